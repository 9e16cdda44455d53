//! What one check of a program keeps for the next check of the same
//! program (the language server checks after every edit): each managed
//! namespace's NetworkPolicies as compiled for evaluation, with the parts of
//! the objects that compilation reads (namespace, name and spec). An edit
//! changes the policies of the namespaces it touches; the others are
//! emitted equal, and their compiled form is taken from here instead of
//! being compiled again.
//!
//! The key is the object itself, not where it came from: an edit moves the
//! spans of every later statement, and a policy's annotations name its
//! source lines, but neither is read by compilation (`eval::CompiledPolicy`
//! is a function of the namespace, name and spec alone). So a policy is
//! re-used exactly when compiling it again would give the same value.

use std::collections::{HashMap, HashSet};

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicySpec};

use crate::eval::{CompiledPolicy, PolicyErrors, PolicySet};

/// The compiled policies of the last check, by namespace (see the module).
#[derive(Default)]
pub struct Recheck {
    namespaces: HashMap<String, Vec<Kept>>,
    /// The namespaces the running check has compiled, to forget the others
    /// when it ends.
    seen: HashSet<String>,
    reused: usize,
    compiled: usize,
}

/// One policy as compiled, and what its compilation read.
struct Kept {
    namespace: Option<String>,
    name: Option<String>,
    spec: Option<NetworkPolicySpec>,
    compiled: CompiledPolicy,
}

impl Kept {
    fn of(policy: &NetworkPolicy, compiled: CompiledPolicy) -> Kept {
        Kept {
            namespace: policy.metadata.namespace.clone(),
            name: policy.metadata.name.clone(),
            spec: policy.spec.clone(),
            compiled,
        }
    }

    /// Whether compiling `policy` gives `self.compiled`: it reads nothing
    /// else than these three.
    fn compiles(&self, policy: &NetworkPolicy) -> bool {
        self.name == policy.metadata.name
            && self.namespace == policy.metadata.namespace
            && self.spec == policy.spec
    }
}

impl Recheck {
    /// How many policies checks through this have taken compiled from an
    /// earlier check, and how many they compiled.
    pub fn counts(&self) -> (usize, usize) {
        (self.reused, self.compiled)
    }

    /// [`PolicySet::extend_from_slice`] for the NetworkPolicies of
    /// namespace `ns`: the same policies are added in the same order, each
    /// compiled policy equal to what compiling the object gives. A policy
    /// of the namespace's last check with the same name, namespace and
    /// spec is cloned from there; the others are compiled. When a policy does not compile, the namespace
    /// is compiled as without this (and its errors reported the same way).
    pub(crate) fn extend(
        &mut self,
        set: &mut PolicySet,
        ns: &str,
        policies: &[NetworkPolicy],
    ) -> Result<(), PolicyErrors> {
        self.seen.insert(ns.to_string());
        let mut kept: Vec<Option<Kept>> = self
            .namespaces
            .remove(ns)
            .unwrap_or_default()
            .into_iter()
            .map(Some)
            .collect();
        // Where each kept policy is, by name: built at the first policy
        // that is not at its old place (one added or removed before it).
        let mut by_name: Option<HashMap<String, usize>> = None;
        let mut next: Vec<Kept> = Vec::with_capacity(policies.len());
        for (i, policy) in policies.iter().enumerate() {
            let same_place = kept
                .get(i)
                .and_then(Option::as_ref)
                .is_some_and(|k| k.name == policy.metadata.name);
            let at = if same_place {
                Some(i)
            } else {
                let names = by_name.get_or_insert_with(|| {
                    kept.iter()
                        .enumerate()
                        .filter_map(|(j, k)| Some((k.as_ref()?.name.clone()?, j)))
                        .collect()
                });
                policy
                    .metadata
                    .name
                    .as_ref()
                    .and_then(|n| names.get(n))
                    .copied()
            };
            let found = at.and_then(|j| kept.get_mut(j)).and_then(Option::take);
            match found {
                Some(k) if k.compiles(policy) => {
                    self.reused += 1;
                    next.push(k);
                }
                _ => match CompiledPolicy::read(policy) {
                    Ok(compiled) => {
                        self.compiled += 1;
                        next.push(Kept::of(policy, compiled));
                    }
                    // Reported as a whole check reports it; nothing is kept.
                    Err(_) => return set.extend_from_slice(policies),
                },
            }
        }
        for k in &next {
            set.push(k.compiled.clone());
        }
        self.namespaces.insert(ns.to_string(), next);
        Ok(())
    }

    /// A check begins.
    pub(crate) fn begin(&mut self) {
        self.seen.clear();
    }

    /// A check ended: the namespaces it did not compile are forgotten (a
    /// check that stopped early keeps what it compiled).
    pub(crate) fn end(&mut self) {
        let seen = std::mem::take(&mut self.seen);
        self.namespaces.retain(|ns, _| seen.contains(ns));
    }
}
