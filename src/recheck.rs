//! What one check of a program keeps for the next check of the same
//! program (the language server checks after every edit): the policies as
//! indexed for the `expect` check (`eval::PolicySet` and `regions::Index`)
//! and, for each of them, the parts of the emitted object that indexing
//! reads. An edit changes the policies of the namespaces it touches, or
//! none (an `expect` line, a comment); the others are emitted equal.
//!
//! - When every object is equal to the last check's, in the same order,
//!   the last check's set and index are the ones this check would build:
//!   they are taken as they are.
//! - Otherwise the set and index are built again, in the order a whole
//!   check builds them, but a NetworkPolicy equal to one of the namespace's
//!   last check is moved compiled from the last set instead of being
//!   compiled again.
//!
//! The key is the object itself, not where it came from: an edit moves the
//! spans of every later statement, and a policy's annotations name its
//! source lines, but neither is read by compilation (`eval::CompiledPolicy`
//! is a function of a NetworkPolicy's namespace, name and spec alone). Cilium
//! and cluster objects are compared whole. So what is re-used is exactly
//! what building again would give.

use std::collections::HashMap;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::eval::{CompiledPolicy, PolicySet};
use crate::k8s::cilium::CiliumNetworkPolicy;
use crate::k8s::cluster_policy::ClusterObject;
use crate::regions;

/// The last check's indexed policies and what they were built from (see
/// the module).
#[derive(Default)]
pub struct Recheck {
    last: Option<Last>,
    reused: usize,
    compiled: usize,
    whole: usize,
}

/// One check's set and index, and their inputs in the order they were added.
struct Last {
    cluster: Option<Vec<ClusterObject>>,
    namespaces: Vec<Namespace>,
    set: PolicySet,
    index: regions::Index,
}

/// One namespace's objects as added to the set.
struct Namespace {
    name: String,
    policies: Vec<Key>,
    cilium: Vec<CiliumNetworkPolicy>,
}

/// What compiling a NetworkPolicy reads (the object with only its
/// namespace, name and spec; the spec is compared, never read here), and
/// where its compiled form is in the set.
struct Key {
    object: NetworkPolicy,
    at: usize,
}

impl Key {
    /// The key of `policy`, moved out of it.
    fn of(policy: NetworkPolicy, at: usize) -> Key {
        Key {
            object: NetworkPolicy {
                metadata: ObjectMeta {
                    namespace: policy.metadata.namespace,
                    name: policy.metadata.name,
                    ..ObjectMeta::default()
                },
                spec: policy.spec,
            },
            at,
        }
    }

    fn name(&self) -> Option<&str> {
        self.object.metadata.name.as_deref()
    }

    /// Whether compiling `policy` gives what compiling this key's object gave.
    fn compiles(&self, policy: &NetworkPolicy) -> bool {
        self.object.metadata.name == policy.metadata.name
            && self.object.metadata.namespace == policy.metadata.namespace
            && self.object.spec == policy.spec
    }
}

/// The objects a check adds to the set, in order: the cluster objects
/// (when the program has tiers), then each namespace's NetworkPolicies and
/// CiliumNetworkPolicies.
#[derive(Default)]
pub(crate) struct Objects {
    pub cluster: Option<Vec<ClusterObject>>,
    pub namespaces: Vec<(String, Vec<NetworkPolicy>, Vec<CiliumNetworkPolicy>)>,
}

/// A set and index built (or taken) for one check, why the policies
/// cannot be evaluated, if they cannot, and what they were built from.
pub(crate) struct Built {
    pub set: PolicySet,
    pub index: regions::Index,
    pub unevaluable: Option<String>,
    pub keys: Keys,
}

/// What a set and index were built from (see [`Recheck::keep`]).
pub(crate) struct Keys {
    cluster: Option<Vec<ClusterObject>>,
    namespaces: Vec<Namespace>,
}

impl Recheck {
    /// How many NetworkPolicies checks through this have taken compiled
    /// from an earlier check, how many they compiled, and how many checks
    /// took the whole set and index of the check before.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.reused, self.compiled, self.whole)
    }

    /// The set and index of `objects`, as a whole check builds them (see
    /// `compose`): the cluster objects first, then each namespace's
    /// NetworkPolicies, its CiliumNetworkPolicies, and what they tell apart.
    pub(crate) fn build(&mut self, objects: Objects) -> Built {
        let last = match self.last.take() {
            Some(last) if last.same(&objects) => {
                self.whole += 1;
                self.reused += last
                    .namespaces
                    .iter()
                    .map(|n| n.policies.len())
                    .sum::<usize>();
                return Built {
                    set: last.set,
                    index: last.index,
                    unevaluable: None,
                    keys: Keys {
                        cluster: last.cluster,
                        namespaces: last.namespaces,
                    },
                };
            }
            other => other,
        };
        // The last set's compiled policies, each moved out at most once.
        let mut last = last;
        let mut last_policies: Vec<Option<CompiledPolicy>> = last
            .as_mut()
            .map(|l| std::mem::take(&mut l.set.policies))
            .unwrap_or_default()
            .into_iter()
            .map(Some)
            .collect();
        let last_keys: HashMap<&str, &[Key]> = last
            .iter()
            .flat_map(|l| &l.namespaces)
            .map(|n| (n.name.as_str(), n.policies.as_slice()))
            .collect();
        let mut set = PolicySet::default();
        let mut index = regions::Index::default();
        let mut unevaluable = None;
        if let Some(cluster) = &objects.cluster {
            if let Err(e) = set.add_cluster(cluster) {
                unevaluable = Some(e.to_string());
            }
            index.add_cluster(cluster);
        }
        let mut keys = Vec::with_capacity(objects.namespaces.len());
        for (name, policies, cilium) in objects.namespaces {
            let first = set.view_count();
            let old = last_keys.get(name.as_str()).copied().unwrap_or_default();
            let compiled = self.compile(&policies, old, &mut last_policies);
            let mut kept = Vec::new();
            match compiled {
                Some(compiled) => {
                    // The objects are not needed any more: their keys
                    // are moved out of them.
                    for (policy, c) in policies.into_iter().zip(compiled) {
                        kept.push(Key::of(policy, set.view_count()));
                        set.push(c);
                    }
                }
                // Compiled and reported as a whole check does.
                None => {
                    if let Err(e) = set.extend_from_slice(&policies) {
                        unevaluable = Some(e.to_string());
                    }
                }
            }
            if let Err(e) = set.extend_cilium(&cilium) {
                unevaluable = Some(e.to_string());
            }
            index.add(set.views_after(first));
            keys.push(Namespace {
                name,
                policies: kept,
                cilium,
            });
        }
        Built {
            set,
            index,
            unevaluable,
            keys: Keys {
                cluster: objects.cluster,
                namespaces: keys,
            },
        }
    }

    /// Each policy compiled, or moved from `last` (the last set's compiled
    /// policies) when one of `old` has the same namespace, name and spec;
    /// `None` when one does not compile.
    fn compile(
        &mut self,
        policies: &[NetworkPolicy],
        old: &[Key],
        last: &mut [Option<CompiledPolicy>],
    ) -> Option<Vec<CompiledPolicy>> {
        let mut by_name: Option<HashMap<&str, &Key>> = None;
        let mut out = Vec::with_capacity(policies.len());
        for (i, policy) in policies.iter().enumerate() {
            // By place first: a namespace's policies are sorted by name.
            let key = match old.get(i) {
                Some(k) if k.name() == policy.metadata.name.as_deref() => Some(k),
                _ => {
                    let names = by_name.get_or_insert_with(|| {
                        old.iter().filter_map(|k| Some((k.name()?, k))).collect()
                    });
                    policy
                        .metadata
                        .name
                        .as_deref()
                        .and_then(|n| names.get(n).copied())
                }
            };
            let kept = key
                .filter(|k| k.compiles(policy))
                .and_then(|k| last.get_mut(k.at)?.take());
            match kept {
                Some(c) => {
                    self.reused += 1;
                    out.push(c);
                }
                None => {
                    self.compiled += 1;
                    out.push(CompiledPolicy::read(policy).ok()?);
                }
            }
        }
        Some(out)
    }

    /// A check ended with the set and index `build` gave it: kept for the
    /// next check when the policies could be evaluated.
    pub(crate) fn keep(
        &mut self,
        keys: Keys,
        set: PolicySet,
        index: regions::Index,
        unevaluable: Option<String>,
    ) {
        self.last = unevaluable.is_none().then_some(Last {
            cluster: keys.cluster,
            namespaces: keys.namespaces,
            set,
            index,
        });
    }
}

impl Last {
    /// Whether `objects` are the objects this set and index were built from.
    fn same(&self, objects: &Objects) -> bool {
        self.cluster == objects.cluster
            && self.namespaces.len() == objects.namespaces.len()
            && self.namespaces.iter().zip(&objects.namespaces).all(
                |(last, (name, policies, cilium))| {
                    last.name == *name
                        && last.policies.len() == policies.len()
                        && last
                            .policies
                            .iter()
                            .zip(policies)
                            .all(|(k, p)| k.compiles(p))
                        && last.cilium == *cilium
                },
            )
    }
}
