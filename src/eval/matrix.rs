//! All-pairs allowed ports for a pod inventory, with per-pod and per-rule precomputation.

use std::collections::{BTreeMap, HashMap};

use super::endpoint::Pod;
use super::policy::{matches_namespace, Peer, Peers, Rule};
use super::policy_set::PolicySet;
use super::portset::PortSet;
use crate::k8s::Direction;

/// `allowed_ports` for every ordered pair of a pod list. Cells share their
/// port sets: most pairs allow everything or nothing.
#[derive(Clone, Debug)]
pub struct PortMatrix {
    len: usize,
    cells: Vec<u32>,
    sets: Vec<PortSet>,
}

const EMPTY: u32 = 0;
const FULL: u32 = 1;

impl PortMatrix {
    /// The number of pods (the matrix is `len × len`).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The ports pod `src` may open to pod `dst` (indices into the pod list).
    /// Out-of-range indices give the empty set.
    pub fn get(&self, src: usize, dst: usize) -> &PortSet {
        let cell = if src < self.len && dst < self.len {
            self.cells
                .get(src * self.len + dst)
                .copied()
                .unwrap_or(EMPTY)
        } else {
            EMPTY
        };
        self.sets.get(cell as usize).unwrap_or(&self.sets[0])
    }
}

/// A fixed-size set of pod indices.
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize, value: bool) -> Bits {
        let word = if value { u64::MAX } else { 0 };
        Bits(vec![word; len.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

/// One rule of one policy, with the pods its peers match.
struct RuleIndex<'a> {
    rule: &'a Rule,
    peers: Bits,
}

/// Pods grouped by namespace and namespace labels, so that namespace
/// selectors are checked once per group.
struct NamespaceGroups<'a> {
    groups: Vec<(&'a Pod, Vec<usize>)>,
}

impl<'a> NamespaceGroups<'a> {
    fn new(pods: &'a [Pod]) -> NamespaceGroups<'a> {
        let mut index: HashMap<(&str, &BTreeMap<String, String>), usize> = HashMap::new();
        let mut groups: Vec<(&Pod, Vec<usize>)> = Vec::new();
        for (i, pod) in pods.iter().enumerate() {
            let key = (pod.namespace.as_str(), &pod.namespace_labels);
            let g = *index.entry(key).or_insert_with(|| {
                groups.push((pod, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
        NamespaceGroups { groups }
    }

    fn peer_matches(&self, pods: &[Pod], policy_namespace: &str, peers: &Peers, bits: &mut Bits) {
        let list = match peers {
            Peers::All => {
                (0..pods.len()).for_each(|i| bits.set(i));
                return;
            }
            Peers::List(list) => list,
        };
        for peer in list {
            let Peer::Pods {
                namespaces,
                pods: selector,
            } = peer
            else {
                continue; // ipBlocks never match pods
            };
            for (representative, members) in &self.groups {
                if !matches_namespace(namespaces, policy_namespace, representative) {
                    continue;
                }
                for &i in members {
                    if selector.matches(&pods[i].labels) {
                        bits.set(i);
                    }
                }
            }
        }
    }
}

impl PolicySet {
    /// `allowed_ports(pods[s], pods[d])` for every ordered pair `(s, d)`,
    /// including `s == d`.
    pub fn matrix(&self, pods: &[Pod]) -> PortMatrix {
        let n = pods.len();
        let groups = NamespaceGroups::new(pods);
        // rule_ids[(policy, direction)] = first index into `rules`.
        let mut rules: Vec<RuleIndex<'_>> = Vec::new();
        let mut first_rule: HashMap<(usize, bool), usize> = HashMap::new();
        let mut per_pod = |pod: &Pod, direction: Direction| -> Option<Vec<usize>> {
            let mut isolated = false;
            let mut ids = Vec::new();
            for p in self.selecting(pod, direction) {
                isolated = true;
                let policy = &self.policies[p];
                let Some(policy_rules) = policy.rules(direction) else {
                    continue;
                };
                let key = (p, direction == Direction::Ingress);
                let first = *first_rule.entry(key).or_insert_with(|| {
                    let first = rules.len();
                    for rule in policy_rules {
                        let mut peers = Bits::new(n, false);
                        groups.peer_matches(pods, &policy.namespace, &rule.peers, &mut peers);
                        rules.push(RuleIndex { rule, peers });
                    }
                    first
                });
                ids.extend(first..first + policy_rules.len());
            }
            isolated.then_some(ids)
        };
        let egress: Vec<Option<Vec<usize>>> =
            pods.iter().map(|p| per_pod(p, Direction::Egress)).collect();
        let ingress: Vec<Option<Vec<usize>>> = pods
            .iter()
            .map(|p| per_pod(p, Direction::Ingress))
            .collect();

        let mut sets = vec![PortSet::empty(), PortSet::full()];
        let mut interned: HashMap<PortSet, u32> = HashMap::new();
        let mut cells = Vec::with_capacity(n * n);
        let full = PortSet::full();
        for (s, src_rules) in egress.iter().enumerate() {
            for (d, dst_rules) in ingress.iter().enumerate() {
                let dst = Some(&pods[d]);
                let side = |ids: &Option<Vec<usize>>, peer: usize| -> Option<PortSet> {
                    let ids = ids.as_ref()?;
                    let mut set = PortSet::empty();
                    for &r in ids {
                        if rules[r].peers.get(peer) {
                            rules[r].rule.ports.add_to(dst, &mut set);
                        }
                    }
                    Some(set)
                };
                let e = side(src_rules, d);
                if e.as_ref().is_some_and(PortSet::is_empty) {
                    cells.push(EMPTY);
                    continue;
                }
                let i = side(dst_rules, s);
                let cell = match (e, i) {
                    (None, None) => FULL,
                    (Some(set), None) | (None, Some(set)) => {
                        intern(set, &mut sets, &mut interned, &full)
                    }
                    (Some(e), Some(i)) => {
                        intern(e.intersection(&i), &mut sets, &mut interned, &full)
                    }
                };
                cells.push(cell);
            }
        }
        PortMatrix {
            len: n,
            cells,
            sets,
        }
    }
}

fn intern(
    set: PortSet,
    sets: &mut Vec<PortSet>,
    interned: &mut HashMap<PortSet, u32>,
    full: &PortSet,
) -> u32 {
    if set.is_empty() {
        return EMPTY;
    }
    if set == *full {
        return FULL;
    }
    if let Some(&id) = interned.get(&set) {
        return id;
    }
    let id = u32::try_from(sets.len()).unwrap_or(u32::MAX);
    sets.push(set.clone());
    interned.insert(set, id);
    id
}
