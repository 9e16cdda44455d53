//! All-pairs allowed ports for a pod inventory, with per-pod and per-rule precomputation.

use std::collections::{BTreeMap, HashMap};

use super::endpoint::{Endpoint, Pod};
use super::policy::{matches_namespace, pod_in_block, Peer, Peers, Rule};
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
            let (namespaces, selector) = match peer {
                Peer::Pods { namespaces, pods } => (namespaces, pods),
                // An ipBlock matches the pods with a known address in it.
                Peer::Ip(block) => {
                    for (i, pod) in pods.iter().enumerate() {
                        if pod_in_block(block, pod) {
                            bits.set(i);
                        }
                    }
                    continue;
                }
                // A DNS name is never a pod.
                Peer::Name(_) => continue,
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

/// Per-pod rule lists, computed once for a pod list.
struct Prepared<'a> {
    rules: Vec<RuleIndex<'a>>,
    /// Per pod: `None` when its egress is not isolated, else the indices
    /// into `rules` of every egress rule of the policies selecting it.
    egress: Vec<Option<Vec<usize>>>,
    /// The same for ingress.
    ingress: Vec<Option<Vec<usize>>>,
}

impl Prepared<'_> {
    /// The ports one side allows: `ids` are the rules of the pod that owns
    /// the side, `peer` the index of the other pod, `dst` the destination.
    fn side(&self, ids: &Option<Vec<usize>>, peer: usize, dst: &Pod) -> Option<PortSet> {
        let ids = ids.as_ref()?;
        let mut set = PortSet::empty();
        for &r in ids {
            if self.rules[r].peers.get(peer) {
                self.rules[r].rule.ports.add_to(Some(dst), &mut set);
            }
        }
        Some(set)
    }
}

/// The two sides of every ordered pair apart: the source's egress and the
/// destination's ingress. A side that is not isolated allows everything.
#[derive(Clone, Debug)]
pub struct SideMatrices {
    /// Cell `(s, d)`: what the egress policies of `pods[s]` allow towards `pods[d]`.
    pub egress: PortMatrix,
    /// Cell `(s, d)`: what the ingress policies of `pods[d]` allow from `pods[s]`.
    pub ingress: PortMatrix,
}

/// Port sets shared between cells.
struct Interner {
    sets: Vec<PortSet>,
    ids: HashMap<PortSet, u32>,
    full: PortSet,
}

impl Interner {
    fn new() -> Interner {
        Interner {
            sets: vec![PortSet::empty(), PortSet::full()],
            ids: HashMap::new(),
            full: PortSet::full(),
        }
    }

    fn intern(&mut self, set: PortSet) -> u32 {
        intern(set, &mut self.sets, &mut self.ids, &self.full)
    }
}

impl PolicySet {
    fn prepare<'a>(&'a self, pods: &[Pod]) -> Prepared<'a> {
        let n = pods.len();
        let groups = NamespaceGroups::new(pods);
        // first_rule[(policy, direction)] = first index into `rules`.
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
        Prepared {
            rules,
            egress,
            ingress,
        }
    }

    /// `allowed_ports(pods[s], pods[d])` for every ordered pair `(s, d)`,
    /// including `s == d`.
    pub fn matrix(&self, pods: &[Pod]) -> PortMatrix {
        let n = pods.len();
        if self.has_tiers() {
            return self.pairwise(pods, |s, d| {
                self.allowed_ports(&Endpoint::Pod(s.clone()), &Endpoint::Pod(d.clone()))
            });
        }
        let prepared = self.prepare(pods);
        let mut interner = Interner::new();
        let mut cells = Vec::with_capacity(n * n);
        for (s, src_rules) in prepared.egress.iter().enumerate() {
            for (d, dst_rules) in prepared.ingress.iter().enumerate() {
                let e = prepared.side(src_rules, d, &pods[d]);
                if e.as_ref().is_some_and(PortSet::is_empty) {
                    cells.push(EMPTY);
                    continue;
                }
                let i = prepared.side(dst_rules, s, &pods[d]);
                let cell = match (e, i) {
                    (None, None) => FULL,
                    (Some(set), None) | (None, Some(set)) => interner.intern(set),
                    (Some(e), Some(i)) => interner.intern(e.intersection(&i)),
                };
                cells.push(cell);
            }
        }
        PortMatrix {
            len: n,
            cells,
            sets: interner.sets,
        }
    }

    /// Each side of every ordered pair `(s, d)` apart; `allowed_ports` is
    /// the intersection of the two cells.
    pub fn side_matrices(&self, pods: &[Pod]) -> SideMatrices {
        let n = pods.len();
        if self.has_tiers() {
            let side = |owner: &Pod, direction, peer: &Pod, dst: &Pod| {
                self.decided_ports(owner, direction, &Endpoint::Pod(peer.clone()), Some(dst))
                    .unwrap_or_else(PortSet::full)
            };
            return SideMatrices {
                egress: self.pairwise(pods, |s, d| side(s, Direction::Egress, d, d)),
                ingress: self.pairwise(pods, |s, d| side(d, Direction::Ingress, s, d)),
            };
        }
        let prepared = self.prepare(pods);
        let mut interner = Interner::new();
        let mut egress = Vec::with_capacity(n * n);
        let mut ingress = Vec::with_capacity(n * n);
        for (s, src_rules) in prepared.egress.iter().enumerate() {
            for (d, dst_rules) in prepared.ingress.iter().enumerate() {
                let e = prepared.side(src_rules, d, &pods[d]);
                egress.push(e.map_or(FULL, |set| interner.intern(set)));
                let i = prepared.side(dst_rules, s, &pods[d]);
                ingress.push(i.map_or(FULL, |set| interner.intern(set)));
            }
        }
        SideMatrices {
            egress: PortMatrix {
                len: n,
                cells: egress,
                sets: interner.sets.clone(),
            },
            ingress: PortMatrix {
                len: n,
                cells: ingress,
                sets: interner.sets,
            },
        }
    }
}

impl PolicySet {
    /// A matrix cell by cell: the precomputation above knows
    /// NetworkPolicies only; with cluster policies each pair is decided
    /// by the four steps.
    fn pairwise(&self, pods: &[Pod], cell: impl Fn(&Pod, &Pod) -> PortSet) -> PortMatrix {
        let n = pods.len();
        let mut interner = Interner::new();
        let mut cells = Vec::with_capacity(n * n);
        for s in pods {
            for d in pods {
                cells.push(interner.intern(cell(s, d)));
            }
        }
        PortMatrix {
            len: n,
            cells,
            sets: interner.sets,
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

#[cfg(test)]
mod tests {
    use k8s_openapi::api::networking::v1::NetworkPolicy;

    use super::*;

    #[test]
    fn the_sides_intersect_to_the_matrix() {
        let policies: Vec<NetworkPolicy> = [
            "metadata: {name: a, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: 80}, {port: 90}]}]",
            "metadata: {name: b, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {}}], ports: [{port: 90}, {port: http}]}]",
        ]
        .iter()
        .map(|y| serde_yaml::from_str(y).unwrap())
        .collect();
        let set = PolicySet::new(policies).unwrap();
        let mut b = Pod::new("x", [("app", "b")]);
        b.ports.push(crate::eval::NamedPort {
            name: "http".into(),
            protocol: crate::k8s::Protocol::Tcp,
            number: 80,
        });
        let pods = vec![Pod::new("x", [("app", "a")]), b, Pod::new("x", [])];
        let matrix = set.matrix(&pods);
        let sides = set.side_matrices(&pods);
        for s in 0..pods.len() {
            for d in 0..pods.len() {
                let both = sides.egress.get(s, d).intersection(sides.ingress.get(s, d));
                assert_eq!(&both, matrix.get(s, d), "{s} -> {d}");
            }
        }
        assert_eq!(sides.egress.get(0, 1).to_string(), "TCP 80,90");
        assert_eq!(sides.ingress.get(0, 1).to_string(), "TCP 80,90");
        assert_eq!(sides.egress.get(0, 2).to_string(), "none");
        assert_eq!(sides.ingress.get(2, 0).to_string(), "all");
        assert_eq!(matrix.get(0, 1).to_string(), "TCP 80,90");
    }
}
