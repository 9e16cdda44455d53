//! Lint of existing manifests: the `L` findings, each a `Diagnostic` with a
//! span into the YAML (file and line of the object, and of the field where
//! there is one).
//!
//! Each rule (its code, name, summary and description) is defined once,
//! beside its check: [`dns`] (L001), `traps`, `selection`, `shadow`,
//! `one_sided`, `tiers` (the cluster policies' traps, L012-L015) and
//! `names` (L016, CiliumNetworkPolicy `toFQDNs` without a DNS rule). [`RULES`] lists them; `npc lint --help`, SARIF's rule
//! descriptions and the tables of `docs/errors/README.md` and
//! `docs/analyze.md` are made from it (the last two checked by a test).
//!
//! Semantics come from the evaluator (`eval`: views of policies, rules
//! and peers, and its port matrices); this module only decides what is
//! worth saying. The pods a check reasons about ([`Subject`]s) are the
//! input's workloads, plus one representative pod for each policy that
//! selects none of them, so that a directory of policies alone is checked.

pub mod dns;
mod names;
mod one_sided;
mod selection;
mod shadow;
mod tiers;
mod traps;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::eval::{Endpoint, Pod, PolicyId, PolicyName, PolicySet, PolicyView};
use crate::manifest::{Manifests, Policy, WorkloadId};
use crate::source::Span;

/// A lint rule: the code its findings carry (with the one-line summary
/// that titles its page), a name, and what it finds in a sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub code: Code,
    /// Lower case words joined by `-` (`dns-trap`): another name for the
    /// code on the command line and in SARIF.
    pub name: &'static str,
    /// What the check finds, for `--help` and the documentation (Markdown:
    /// field names in backticks).
    pub description: &'static str,
}

impl Rule {
    pub const fn new(
        id: &'static str,
        name: &'static str,
        summary: &'static str,
        description: &'static str,
    ) -> Rule {
        Rule {
            code: Code {
                id,
                severity: Severity::Warning,
                summary,
            },
            name,
            description,
        }
    }

    /// The page that explains the rule.
    pub fn page(&self) -> String {
        self.code.page()
    }
}

/// Every lint rule, in code order. A new rule is defined beside its check
/// and registered here (and its check called from [`lint`] when it has a
/// module of its own).
pub const RULES: &[Rule] = &[
    dns::DNS_TRAP,
    traps::AND_OR_TRAP,
    selection::POLICY_SELECTS_NOTHING,
    selection::PEER_SELECTS_NOTHING,
    selection::UNDECLARED_PORT_NAME,
    traps::DNS_PORT_WITHOUT_PROTOCOL,
    selection::HOST_NETWORK_TARGET,
    shadow::SHADOWED_POLICY,
    traps::HIDDEN_ALLOW_ALL,
    traps::HALF_WORLD,
    one_sided::ONE_SIDED,
    tiers::PRIORITY_TIE,
    tiers::TIER_DENIES_DNS,
    tiers::SHADOWED_TIER_RULE,
    tiers::UNREACHED_BASELINE,
    names::NAME_WITHOUT_DNS_RULE,
];

/// The rule with this code or name (in any letter case).
pub fn rule(code_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| {
        r.code.id.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// A set of pods a check reasons about.
#[derive(Clone, Debug)]
pub struct Subject {
    pub pod: Pod,
    /// The same pod as an endpoint, made once.
    pub endpoint: Endpoint,
    /// The workload, or the policy whose pods this representative stands for.
    pub of: SubjectOf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectOf {
    Workload(WorkloadId),
    /// A made-up pod that the policy selects (no workload of the input does).
    Representative(PolicyId),
}

/// One policy of the input: as written (for spans) and as compiled.
#[derive(Clone, Copy, Debug)]
pub struct Item<'a> {
    pub id: PolicyId,
    pub policy: &'a Policy,
    pub view: PolicyView<'a>,
}

impl Item<'_> {
    /// The first line of a field of the policy.
    pub fn field(&self, path: &str) -> Span {
        self.policy.origin.field(path)
    }

    /// `namespace/name`
    pub fn key(&self) -> String {
        self.policy.key()
    }
}

/// A host-network pod shape: its workload, the shape's index, the pod.
pub struct HostPod {
    pub workload: WorkloadId,
    pub shape: usize,
    pub endpoint: Endpoint,
}

/// What every check reads.
pub struct Context<'a> {
    pub manifests: &'a Manifests,
    /// The manifests' policies, compiled (`manifests.set`).
    pub set: &'a PolicySet,
    /// Workload shapes not on the host network, then representatives.
    pub subjects: Vec<Subject>,
    /// Host-network shapes.
    pub host: Vec<HostPod>,
}

impl<'a> Context<'a> {
    pub fn new(manifests: &'a Manifests) -> Context<'a> {
        let set = &manifests.set;
        let mut subjects = Vec::new();
        let mut host = Vec::new();
        for (w, workload) in manifests.workloads() {
            let labels = manifests.namespace_labels(&workload.id.namespace);
            for (s, shape) in workload.shapes.iter().enumerate() {
                let pod = workload.pod(&shape.shape, &labels);
                if shape.shape.host_network {
                    host.push(HostPod {
                        workload: w,
                        shape: s,
                        endpoint: Endpoint::Pod(pod),
                    });
                } else {
                    subjects.push(Subject {
                        endpoint: Endpoint::Pod(pod.clone()),
                        pod,
                        of: SubjectOf::Workload(w),
                    });
                }
            }
        }
        let workloads = subjects.len();
        for view in set.views() {
            let selects_some = subjects
                .iter()
                .take(workloads)
                .any(|s| view.selects(&s.pod))
                || host
                    .iter()
                    .any(|h| h.endpoint.pod().is_some_and(|pod| view.selects(pod)));
            if selects_some {
                continue;
            }
            let Some(labels) = view.pod_selector().satisfying_labels() else {
                continue;
            };
            let pod = Pod {
                namespace: view.namespace().to_owned(),
                namespace_labels: manifests.namespace_labels(view.namespace()),
                labels,
                address: None,
                ports: Vec::new(),
                ips: Vec::new(),
            };
            // The evaluator has the last word on whether it is selected.
            if view.selects(&pod) {
                subjects.push(Subject {
                    endpoint: Endpoint::Pod(pod.clone()),
                    pod,
                    of: SubjectOf::Representative(view.id()),
                });
            }
        }
        Context {
            manifests,
            set,
            subjects,
            host,
        }
    }

    /// `ns/name[Kind]`, or `pods selected by `ns/policy``.
    pub fn name(&self, of: SubjectOf) -> String {
        match of {
            SubjectOf::Workload(w) => self
                .manifests
                .workload(w)
                .map_or_else(String::new, |w| format!("`{}`", w.id)),
            SubjectOf::Representative(p) => match self.manifests.policy(p) {
                Some(policy) => format!("pods selected by `{}`", policy.key()),
                // CiliumNetworkPolicies follow the NetworkPolicies in the set.
                None => self
                    .manifests
                    .cilium
                    .iter()
                    .find(|c| c.id == Some(p))
                    .map_or_else(String::new, |c| {
                        format!("pods selected by `{}` (CiliumNetworkPolicy)", c.key())
                    }),
            },
        }
    }

    /// Whether the input has any workload (checks about selection need some).
    pub fn has_workloads(&self) -> bool {
        !self.manifests.workloads.is_empty()
    }

    /// Every policy, in input order.
    pub fn items(&self) -> impl Iterator<Item = Item<'a>> + 'a {
        self.manifests.policies().map(|(policy, view)| Item {
            id: view.id(),
            policy,
            view,
        })
    }

    /// One policy by id.
    pub fn item(&self, id: PolicyId) -> Option<Item<'a>> {
        Some(Item {
            id,
            policy: self.manifests.policy(id)?,
            view: self.set.view(id)?,
        })
    }

    /// One policy by namespace and name.
    pub fn item_named(&self, name: &PolicyName) -> Option<Item<'a>> {
        self.items()
            .find(|i| i.policy.namespace() == name.namespace && i.policy.name() == name.name)
    }

    /// Where a policy of the set was read and how to name it: a
    /// NetworkPolicy (`ns/name`) or a CiliumNetworkPolicy (`ns/name
    /// (CiliumNetworkPolicy)`), which follow the NetworkPolicies in the set.
    pub fn origin_of(&self, id: PolicyId) -> Option<(&'a crate::manifest::Location, String)> {
        if let Some(p) = self.manifests.policy(id) {
            return Some((&p.origin, p.key()));
        }
        self.manifests
            .cilium
            .iter()
            .find(|c| c.id == Some(id))
            .map(|c| (&c.origin, format!("{} (CiliumNetworkPolicy)", c.key())))
    }

    pub fn endpoint(&self, subject: usize) -> Option<&Endpoint> {
        self.subjects.get(subject).map(|s| &s.endpoint)
    }
}

/// Every finding over the manifests, in source order.
pub fn lint(manifests: &Manifests) -> Vec<Diagnostic> {
    let cx = Context::new(manifests);
    let mut found = Diagnostics::default();
    dns::check(&cx, &mut found);
    traps::check(&cx, &mut found);
    // Peers that L002 explains are not reported again by L004.
    let and_or: Vec<Span> = found
        .iter()
        .filter(|d| d.code == traps::AND_OR_TRAP.code)
        .map(|d| d.span)
        .collect();
    selection::check(&cx, &and_or, &mut found);
    shadow::check(&cx, &mut found);
    one_sided::check(&cx, &mut found);
    tiers::check(&cx, &mut found);
    names::check(&cx, &mut found);
    found.sorted()
}

/// Every lint code.
pub fn codes() -> impl Iterator<Item = Code> {
    RULES.iter().map(|r| r.code)
}

/// Levels chosen on the command line: `allow` drops a code's findings,
/// `deny` makes them errors.
#[derive(Clone, Debug, Default)]
pub struct Levels {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl Levels {
    /// The codes given that are no lint rule's code or name.
    pub fn unknown(&self) -> Vec<String> {
        self.allow
            .iter()
            .chain(&self.deny)
            .filter(|c| rule(c).is_none())
            .cloned()
            .collect()
    }

    pub fn apply(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let listed = |list: &[String], id: &str| {
            list.iter()
                .any(|c| rule(c).is_some_and(|r| r.code.id == id))
        };
        diagnostics
            .into_iter()
            .filter(|d| !listed(&self.allow, d.code.id))
            .map(|mut d| {
                if listed(&self.deny, d.code.id) {
                    d.code = Code {
                        severity: Severity::Error,
                        ..d.code
                    };
                }
                d
            })
            .collect()
    }
}

/// At most `n` names, then how many more.
pub fn list(names: &[String], n: usize) -> String {
    let mut text = names.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > n {
        text.push_str(&format!(" and {} more", names.len() - n));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_drop_or_promote() {
        let d = Diagnostic::new(dns::DNS_TRAP.code, Span::default(), "x");
        let levels = Levels {
            allow: vec![],
            deny: vec!["l001".into()],
        };
        assert!(levels.apply(vec![d.clone()])[0].is_error());
        let levels = Levels {
            allow: vec!["L001".into()],
            deny: vec![],
        };
        assert!(levels.apply(vec![d.clone()]).is_empty());
        let levels = Levels {
            allow: vec!["DNS-trap".into()],
            deny: vec![],
        };
        assert!(levels.apply(vec![d]).is_empty());
        let levels = Levels {
            allow: vec!["L999".into(), "E001".into()],
            deny: vec![],
        };
        assert_eq!(levels.unknown(), ["L999", "E001"]);
    }
}
