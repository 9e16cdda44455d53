//! Peer compaction: the peers of one rule that differ only in the namespace
//! name, or only in the value of the workload label, become one peer with an
//! `In` requirement. A gateway allowed to call `api` in 140 namespaces gets
//! one peer, `kubernetes.io/metadata.name In [team-11, team-18, ...]` AND
//! `app=api`, instead of 140.
//!
//! Exact by construction: a peer is a namespace part AND a pod part, so
//! `(name=a ∧ P) ∨ (name=b ∧ P)` is `(name ∈ {a, b}) ∧ P`, and likewise
//! `(N ∧ app=x ∧ R) ∨ (N ∧ app=y ∧ R)` is `N ∧ app ∈ {x, y} ∧ R`. No peer
//! is widened: each compacted peer is exactly the union of the peers it
//! replaces. A single name or value keeps the plain `matchLabels` form.
//! The result depends only on the rule's own peers, in sorted order, so it
//! is deterministic and unaffected by edits elsewhere in the program.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{NamespaceSelector, Operator, Peer, Requirement, Selector};
use crate::k8s::{Labels, NAMESPACE_NAME_LABEL};

/// The peers of one rule, compacted: first namespace names per pod part,
/// then workload-label values per (namespace part, rest of the pod part).
pub fn compact(peers: Vec<&Peer>, workload_label: &str) -> BTreeSet<Peer> {
    // Most rules have one peer, or a few that nothing joins: the steps
    // below would take each workload label out and put the same value back.
    if nothing_to_join(&peers) {
        return peers.into_iter().cloned().collect();
    }
    compact_peers(peers, workload_label)
}

/// At most this many peers are checked pair by pair by [`nothing_to_join`].
const FEW_PEERS: usize = 8;

/// Whether the two steps of [`compact`] give the peers back as they are:
/// step 1 joins only peers in named namespaces with equal pod parts, and
/// when it joins none, step 2 joins only peers with equal namespace parts.
/// Checked pair by pair, for a few peers.
fn nothing_to_join(peers: &[&Peer]) -> bool {
    if peers.len() > FEW_PEERS {
        return false;
    }
    for (i, a) in peers.iter().enumerate() {
        let Peer::Pods {
            namespaces: a_ns,
            pods: a_pods,
        } = a
        else {
            continue;
        };
        for b in peers.get(i + 1..).unwrap_or(&[]) {
            let Peer::Pods {
                namespaces: b_ns,
                pods: b_pods,
            } = b
            else {
                continue;
            };
            let both_named = matches!(
                (a_ns, b_ns),
                (NamespaceSelector::Named(_), NamespaceSelector::Named(_))
            );
            if a_ns == b_ns || (both_named && a_pods == b_pods) {
                return false;
            }
        }
    }
    true
}

/// The two steps of [`compact`], for any number of peers.
fn compact_peers(peers: Vec<&Peer>, workload_label: &str) -> BTreeSet<Peer> {
    let mut out = BTreeSet::new();
    // Step 1: the namespace names each pod part is allowed in.
    let mut names_by_pods: BTreeMap<&Selector, BTreeSet<&str>> = BTreeMap::new();
    let mut others = Vec::new();
    for peer in peers {
        match peer {
            Peer::Pods {
                namespaces: NamespaceSelector::Named(name),
                pods,
            } => {
                names_by_pods.entry(pods).or_default().insert(name);
            }
            other => others.push(other.clone()),
        }
    }
    let named = names_by_pods.into_iter().map(|(pods, names)| Peer::Pods {
        namespaces: namespaces_named(names.into_iter().map(str::to_string).collect()),
        pods: pods.clone(),
    });
    // Step 2: the workload-label values per namespace part and the rest of
    // the pod part.
    let mut values_by_rest: BTreeMap<(NamespaceSelector, Selector), BTreeSet<String>> =
        BTreeMap::new();
    for peer in others.into_iter().chain(named) {
        match peer {
            Peer::Pods {
                namespaces,
                mut pods,
            } => match pods.match_labels.remove(workload_label) {
                Some(value) => {
                    values_by_rest
                        .entry((namespaces, pods))
                        .or_default()
                        .insert(value);
                }
                None => {
                    out.insert(Peer::Pods { namespaces, pods });
                }
            },
            other @ (Peer::Ip(_) | Peer::Name(_)) => {
                out.insert(other);
            }
        }
    }
    for ((namespaces, mut pods), values) in values_by_rest {
        add_values(&mut pods, workload_label, values);
        out.insert(Peer::Pods { namespaces, pods });
    }
    out
}

/// One name: the plain form; several: `kubernetes.io/metadata.name In (...)`.
fn namespaces_named(mut names: BTreeSet<String>) -> NamespaceSelector {
    if names.len() == 1 {
        if let Some(name) = names.pop_first() {
            return NamespaceSelector::Named(name);
        }
    }
    NamespaceSelector::Matching(Selector {
        match_labels: Labels::new(),
        expressions: BTreeSet::from([Requirement {
            key: NAMESPACE_NAME_LABEL.to_string(),
            operator: Operator::In,
            values: names,
        }]),
    })
}

/// One value: `key: value` in `matchLabels`; several: `key In (...)`.
fn add_values(pods: &mut Selector, key: &str, mut values: BTreeSet<String>) {
    if values.len() == 1 {
        if let Some(value) = values.pop_first() {
            pods.match_labels.insert(key.to_string(), value);
            return;
        }
    }
    pods.expressions.insert(Requirement {
        key: key.to_string(),
        operator: Operator::In,
        values,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::{Cidr, IpBlock};
    use crate::layout::tests::pods;

    fn set(values: &[&str]) -> BTreeSet<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn single_peers_keep_the_plain_form() {
        let peers = BTreeSet::from([pods("a", "x")]);
        assert_eq!(compact(peers.iter().collect(), "app"), peers);
    }

    /// The shortcut for one peer gives what the two steps give.
    #[test]
    fn one_peer_is_what_the_steps_make_of_it() {
        let both = Selector {
            match_labels: Labels::from([
                ("app".to_string(), "x".to_string()),
                ("tier".to_string(), "web".to_string()),
            ]),
            expressions: BTreeSet::from([Requirement {
                key: "app".to_string(),
                operator: Operator::In,
                values: set(&["x", "y"]),
            }]),
        };
        let matching = NamespaceSelector::Matching(Selector {
            match_labels: Labels::from([("team".to_string(), "t1".to_string())]),
            expressions: BTreeSet::new(),
        });
        let peers = [
            pods("a", "x"),
            Peer::Pods {
                namespaces: NamespaceSelector::Named("a".to_string()),
                pods: both.clone(),
            },
            Peer::Pods {
                namespaces: matching.clone(),
                pods: both,
            },
            Peer::Pods {
                namespaces: matching,
                pods: Selector::default(),
            },
            Peer::Ip(IpBlock {
                cidr: Cidr::parse_strict("10.0.0.0/8").unwrap(),
                except: vec![Cidr::parse_strict("10.1.0.0/16").unwrap()],
            }),
        ];
        for peer in &peers {
            for label in ["app", "tier", "other"] {
                let steps = compact_peers(vec![peer], label);
                assert_eq!(compact(vec![peer], label), steps, "{peer:?} {label}");
                assert_eq!(steps, BTreeSet::from([peer.clone()]), "{peer:?} {label}");
            }
        }
    }

    /// The shortcut gives what the two steps give, for every set of up to
    /// five peers of a pool where each kind of join can happen.
    #[test]
    fn peers_nothing_joins_are_what_the_steps_make_of_them() {
        let labels = |pairs: &[(&str, &str)]| Selector {
            match_labels: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            expressions: BTreeSet::new(),
        };
        let team = NamespaceSelector::Matching(labels(&[("team", "t1")]));
        let pool = [
            pods("a", "x"),
            pods("b", "x"),
            pods("a", "y"),
            pods("b", "z"),
            Peer::Pods {
                namespaces: NamespaceSelector::Named("a".to_string()),
                pods: labels(&[("app", "x"), ("tier", "web")]),
            },
            Peer::Pods {
                namespaces: team.clone(),
                pods: labels(&[("app", "x")]),
            },
            Peer::Pods {
                namespaces: team,
                pods: labels(&[("app", "y")]),
            },
            Peer::Ip(IpBlock {
                cidr: Cidr::parse_strict("10.0.0.0/8").unwrap(),
                except: Vec::new(),
            }),
        ];
        let mut shortcuts = 0;
        for mask in 1u32..(1 << pool.len()) {
            if mask.count_ones() > 5 {
                continue;
            }
            let peers: Vec<&Peer> = pool
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, p)| p)
                .collect();
            if nothing_to_join(&peers) {
                shortcuts += 1;
            }
            for label in ["app", "tier"] {
                assert_eq!(
                    compact(peers.clone(), label),
                    compact_peers(peers.clone(), label),
                    "{peers:?} {label}"
                );
            }
        }
        // Both ways were taken.
        assert!(shortcuts > 20, "{shortcuts}");
    }

    #[test]
    fn names_then_values_merge_into_one_peer_when_the_product_is_complete() {
        let peers = BTreeSet::from([
            pods("a", "x"),
            pods("b", "x"),
            pods("a", "y"),
            pods("b", "y"),
        ]);
        let got = compact(peers.iter().collect(), "app");
        let want = Peer::Pods {
            namespaces: NamespaceSelector::Matching(Selector {
                match_labels: Labels::new(),
                expressions: BTreeSet::from([Requirement {
                    key: NAMESPACE_NAME_LABEL.to_string(),
                    operator: Operator::In,
                    values: set(&["a", "b"]),
                }]),
            }),
            pods: Selector {
                match_labels: Labels::new(),
                expressions: BTreeSet::from([Requirement {
                    key: "app".to_string(),
                    operator: Operator::In,
                    values: set(&["x", "y"]),
                }]),
            },
        };
        assert_eq!(got, BTreeSet::from([want]));
    }

    #[test]
    fn an_incomplete_product_is_not_widened() {
        // a/x, b/x, a/y: x in {a, b}, and y in a only.
        let peers = BTreeSet::from([pods("a", "x"), pods("b", "x"), pods("a", "y")]);
        let got = compact(peers.iter().collect(), "app");
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got.contains(&pods("a", "y")));
    }

    #[test]
    fn other_labels_and_ip_blocks_are_kept() {
        let web = Peer::Pods {
            namespaces: NamespaceSelector::Named("a".to_string()),
            pods: Selector {
                match_labels: Labels::from([("tier".to_string(), "web".to_string())]),
                expressions: BTreeSet::new(),
            },
        };
        let ip = Peer::Ip(IpBlock {
            cidr: Cidr::parse_strict("10.0.0.0/8").unwrap(),
            except: Vec::new(),
        });
        let peers = BTreeSet::from([web.clone(), ip.clone(), pods("b", "x")]);
        assert_eq!(compact(peers.iter().collect(), "app"), peers);
        // With `tier` as the workload label, `a/{tier=web}` keeps its form.
        assert_eq!(compact(peers.iter().collect(), "tier"), peers);
    }
}
