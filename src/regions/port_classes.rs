//! Named ports as regions: the port numbers that numbered rules tell apart,
//! and the container ports a destination pod may declare to meet each.
//!
//! A rule's named port resolves on the destination pod, which may declare
//! it at any number. Whether that number is allowed depends on the
//! numbered ports of the other rules, on both sides: `egress: [{ports:
//! [{port: http}]}]` against `ingress: [{ports: [{port: 8000, endPort:
//! 8100}]}]` allows a pod declaring `http` as 8005, and not one declaring
//! it as 9000. Numbers that lie in the same numbered entries (a port or a
//! range, per protocol) are treated alike by every rule: one **class** per
//! distinct set of entries containing them.
//!
//! Which (protocol, number) a flow may use depends only on which named
//! port, if any, the destination declares at that number: two names never
//! share a number on one pod, and each rule admits a number through its
//! numbered entries or through the name declared there. So a pod that
//! declares several names, each in its own class, is checked for all of
//! them at once; [`pack`] spreads the (name, class) pairs to check over as
//! few declarations as it can, never a name twice in one pod (Kubernetes
//! requires unique port names in a pod).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::eval::{Endpoint, NamedPort, PolicyView, PortEntry, RuleView};
use crate::hashing::{HashMap, HashSet};
use crate::k8s::selector::{Operator, Selector};
use crate::k8s::{Direction, Protocol, NAMESPACE_NAME_LABEL};

/// A named port and its protocol.
pub type Name = (String, Protocol);

/// Numbers from here up read as "some other port" in a message: the first
/// number of a class is taken from here when the class has one.
const EPHEMERAL: u16 = 49152;

/// The numbered ports and ranges of rules, per protocol, and the named
/// ports.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortUse {
    pub numbered: BTreeMap<Protocol, BTreeSet<(u16, u16)>>,
    pub named: BTreeSet<Name>,
}

impl PortUse {
    pub fn is_empty(&self) -> bool {
        self.numbered.is_empty() && self.named.is_empty()
    }

    /// Adds what another holds.
    pub fn extend(&mut self, other: &PortUse) {
        for (protocol, entries) in &other.numbered {
            self.numbered
                .entry(*protocol)
                .or_default()
                .extend(entries.iter().copied());
        }
        self.named.extend(other.named.iter().cloned());
    }

    /// Adds a port entry of a rule as the evaluator reads it (a whole
    /// protocol tells no numbers apart).
    pub fn add_entry(&mut self, entry: &PortEntry) {
        match entry {
            PortEntry::Protocol(_) => {}
            PortEntry::Range(protocol, start, end) => self.add_numbered(*protocol, *start, *end),
            PortEntry::Named(protocol, name) => {
                self.named.insert((name.clone(), *protocol));
            }
        }
    }

    /// Adds a numbered port or range (inclusive); port 0 is left out.
    pub fn add_numbered(&mut self, protocol: Protocol, start: u16, end: u16) {
        if start > 0 && end >= start {
            self.numbered
                .entry(protocol)
                .or_default()
                .insert((start, end));
        }
    }

    /// The classes of `protocol`, the ranges of `extra` (the ports an
    /// expectation asks about) telling numbers apart too.
    pub fn classes(&self, protocol: Protocol, extra: &[(u16, u16)]) -> Vec<Class> {
        let mut entries: Vec<(u16, u16)> = self
            .numbered
            .get(&protocol)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        entries.extend(extra.iter().filter(|(a, b)| *a > 0 && b >= a));
        classes(&entries)
    }
}

/// The ports of the rules that can decide a flow towards a pod: an ingress
/// rule is about the pods its policy selects, an egress rule about the pods
/// its peers match, and each admits only some sources (its `from` peers;
/// the pods its policy selects). A named port resolves on the destination,
/// and only these rules tell its numbers apart: a pod no such rule naming
/// `http` is about behaves the same whatever it declares `http` as, and
/// numbered rules about other pods, or admitting no source asked about,
/// never decide its flows.
#[derive(Clone, Debug, Default)]
pub struct PortTargets {
    /// Egress rules towards every peer (no `to`).
    everywhere: Vec<Target>,
    /// By namespace name: rules about pods of that namespace.
    by_namespace: HashMap<String, Vec<Target>>,
    /// Rules whose peers choose namespaces by other labels and require
    /// one (`{team=a}`), by the first label they require: only namespaces
    /// with that label can match (a program writes one such peer per
    /// label-set endpoint, so trying every one for every pod grew with the
    /// square of the program).
    by_label: HashMap<String, HashMap<String, Vec<SelectorTarget>>>,
    /// Rules whose peers choose namespaces by other labels, none required
    /// (`NotIn`, `Exists`, ...): tried for every namespace.
    by_selector: Vec<SelectorTarget>,
    /// Every distinct port use of the targets, held once (most rules of a
    /// program repeat a few port lists).
    uses: HashSet<Arc<PortUse>>,
}

/// A rule about pods of the namespaces a selector admits.
type SelectorTarget = (Arc<Selector>, Target);

/// One rule about the pods `pods` selects: its ports, and the sources it
/// admits.
#[derive(Clone, Debug)]
struct Target {
    /// Shared by the targets of one peer (a peer naming many namespaces
    /// is one target per name).
    pods: Arc<Selector>,
    ports: Arc<PortUse>,
    admits: Arc<Admits>,
}

/// The sources a rule admits (over-approximated where that is simpler:
/// more sources only means more declarations to check).
#[derive(Clone, Debug)]
enum Admits {
    /// An ingress rule: its `from` peers (every endpoint when empty).
    From {
        namespace: String,
        peers: Vec<PeerMatch>,
    },
    /// An egress rule: the pods its policy selects.
    Selected {
        namespace: String,
        pods: Arc<Selector>,
    },
}

/// A `from` peer: pods (the policy's namespace when `namespaces` is
/// `None`), or any address (an ipBlock, not split further here).
#[derive(Clone, Debug)]
enum PeerMatch {
    Pods {
        namespaces: Option<Arc<Selector>>,
        pods: Arc<Selector>,
    },
    Addresses,
}

impl Admits {
    fn admits(&self, source: &Endpoint) -> bool {
        match (self, source) {
            (Admits::From { peers, .. }, _) if peers.is_empty() => true,
            (Admits::From { namespace, peers }, Endpoint::Pod(pod)) => {
                peers.iter().any(|peer| match peer {
                    PeerMatch::Pods { namespaces, pods } => {
                        let in_namespace = match namespaces {
                            None => pod.namespace == *namespace,
                            Some(sel) => sel.matches_with(|k| pod.namespace_label(k)),
                        };
                        in_namespace && pods.matches(&pod.labels)
                    }
                    PeerMatch::Addresses => false,
                })
            }
            (Admits::From { peers, .. }, Endpoint::Ip(_)) => {
                peers.iter().any(|p| matches!(p, PeerMatch::Addresses))
            }
            (Admits::Selected { namespace, pods }, Endpoint::Pod(pod)) => {
                pod.namespace == *namespace && pods.matches(&pod.labels)
            }
            (Admits::Selected { .. }, Endpoint::Ip(_)) => false,
            (_, Endpoint::Name { .. }) => false,
        }
    }
}

impl PortTargets {
    /// Adds the rules with ports of one more policy.
    pub fn add(&mut self, policy: &PolicyView<'_>) {
        let ns = policy.namespace().to_string();
        let selected = Arc::clone(policy.pod_selector_shared());
        let uses = |rule: &RuleView<'_>| -> PortUse {
            let mut uses = PortUse::default();
            rule.port_entries()
                .into_iter()
                .flatten()
                .for_each(|p| uses.add_entry(p));
            uses
        };
        for rule in policy.rules(Direction::Ingress) {
            let ports = uses(&rule);
            if ports.is_empty() {
                continue;
            }
            let ports = self.share(ports);
            let peers = rule
                .peers()
                .iter()
                .map(|peer| match peer.selectors_shared() {
                    Some((namespaces, pods)) => PeerMatch::Pods {
                        namespaces: namespaces.cloned(),
                        pods: Arc::clone(pods),
                    },
                    None => PeerMatch::Addresses,
                })
                .collect();
            let target = Target {
                pods: Arc::clone(&selected),
                ports,
                admits: Arc::new(Admits::From {
                    namespace: ns.clone(),
                    peers,
                }),
            };
            self.by_namespace
                .entry(ns.clone())
                .or_default()
                .push(target);
        }
        for rule in policy.rules(Direction::Egress) {
            let ports = uses(&rule);
            if ports.is_empty() {
                continue;
            }
            let ports = self.share(ports);
            let admits = Arc::new(Admits::Selected {
                namespace: ns.clone(),
                pods: Arc::clone(&selected),
            });
            let target = |pods: Arc<Selector>| Target {
                pods,
                ports: Arc::clone(&ports),
                admits: Arc::clone(&admits),
            };
            if rule.matches_all_peers() {
                self.everywhere.push(target(Arc::new(Selector::default())));
                continue;
            }
            for peer in rule.peers() {
                let Some((namespaces, pods)) = peer.selectors_shared() else {
                    continue;
                };
                let pods = Arc::clone(pods);
                let Some(namespaces) = namespaces else {
                    self.push_namespace_target(&ns, target(pods));
                    continue;
                };
                match listed_names(namespaces) {
                    Some(list) => {
                        for name in list {
                            self.push_namespace_target(name, target(Arc::clone(&pods)));
                        }
                    }
                    None => self.push_selector_target(namespaces, target(pods)),
                }
            }
        }
    }

    /// The port use held for `ports` (the one already held when equal).
    fn share(&mut self, ports: PortUse) -> Arc<PortUse> {
        match self.uses.get(&ports) {
            Some(held) => Arc::clone(held),
            None => {
                let ports = Arc::new(ports);
                self.uses.insert(Arc::clone(&ports));
                ports
            }
        }
    }

    /// Adds a target about pods of one namespace (its key allocated once).
    fn push_namespace_target(&mut self, namespace: &str, target: Target) {
        match self.by_namespace.get_mut(namespace) {
            Some(list) => list.push(target),
            None => {
                self.by_namespace
                    .insert(namespace.to_string(), vec![target]);
            }
        }
    }

    /// Adds a target about pods of the namespaces a selector (that lists
    /// no names) admits: under the first label it requires, if any.
    fn push_selector_target(&mut self, namespaces: &Arc<Selector>, target: Target) {
        let entry = (Arc::clone(namespaces), target);
        match namespaces.match_labels.iter().next() {
            Some((key, value)) => self
                .by_label
                .entry(key.clone())
                .or_default()
                .entry(value.clone())
                .or_default()
                .push(entry),
            None => self.by_selector.push(entry),
        }
    }

    /// Adds ports of rules about every pod from every source: a cluster
    /// policy's (over-approximated: more targets only means more
    /// declarations to check).
    pub fn add_everywhere(&mut self, ports: PortUse) {
        if ports.is_empty() {
            return;
        }
        self.everywhere.push(Target {
            pods: Arc::new(Selector::default()),
            ports: Arc::new(ports),
            admits: Arc::new(Admits::From {
                namespace: String::new(),
                peers: Vec::new(),
            }),
        });
    }

    /// The ports of the rules about a pod that admit one of `sources` (any
    /// source when `None`).
    pub fn ports_for(
        &self,
        namespace: &str,
        namespace_labels: &BTreeMap<String, String>,
        labels: &BTreeMap<String, String>,
        sources: Option<&[Endpoint]>,
    ) -> PortUse {
        let mut out = PortUse::default();
        let admitted = |t: &Target| match sources {
            None => true,
            Some(list) => list.iter().any(|s| t.admits.admits(s)),
        };
        // Most targets share a few port uses (held once): one already
        // added adds nothing, whatever its pods and sources.
        let mut added: Vec<*const PortUse> = Vec::new();
        // Targets share their pod selectors too (those of one peer, and
        // equal ones of a policy set): each is tested once.
        let mut verdicts: Vec<(*const Selector, bool)> = Vec::new();
        let mut add = |t: &Target| {
            let ports = Arc::as_ptr(&t.ports);
            if added.contains(&ports) {
                return;
            }
            let pods = Arc::as_ptr(&t.pods);
            let selects = match verdicts.iter().find(|(p, _)| *p == pods) {
                Some((_, verdict)) => *verdict,
                None => {
                    let verdict = t.pods.matches(labels);
                    // A short list: searching it must stay cheaper than a test.
                    if verdicts.len() < 32 {
                        verdicts.push((pods, verdict));
                    }
                    verdict
                }
            };
            if selects && admitted(t) {
                out.extend(&t.ports);
                added.push(ports);
            }
        };
        self.everywhere.iter().for_each(&mut add);
        self.by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .for_each(&mut add);
        // `kubernetes.io/metadata.name` is the namespace's name unless
        // its labels say otherwise.
        let get = |key: &str| match namespace_labels.get(key) {
            Some(value) => Some(value.as_str()),
            None if key == NAMESPACE_NAME_LABEL => Some(namespace),
            None => None,
        };
        let mut try_selector = |(namespaces, t): &SelectorTarget| {
            if namespaces.matches_with(get) {
                add(t);
            }
        };
        self.by_selector.iter().for_each(&mut try_selector);
        if !self.by_label.is_empty() {
            let mut keys: Vec<&str> = namespace_labels.keys().map(String::as_str).collect();
            if !namespace_labels.contains_key(NAMESPACE_NAME_LABEL) {
                keys.push(NAMESPACE_NAME_LABEL);
            }
            for key in keys {
                let (Some(values), Some(value)) = (self.by_label.get(key), get(key)) else {
                    continue;
                };
                values
                    .get(value)
                    .into_iter()
                    .flatten()
                    .for_each(&mut try_selector);
            }
        }
        out
    }
}

/// The namespace names a selector can match when it lists them
/// (`kubernetes.io/metadata.name` in matchLabels or `In`); `None` when it
/// may match any name.
fn listed_names(sel: &Selector) -> Option<Vec<&str>> {
    if let Some(name) = sel.match_labels.get(NAMESPACE_NAME_LABEL) {
        return Some(vec![name.as_str()]);
    }
    sel.expressions
        .iter()
        .find(|r| r.key == NAMESPACE_NAME_LABEL && r.operator == Operator::In)
        .map(|r| r.values.iter().map(String::as_str).collect())
}

/// Numbers that every numbered entry treats alike: stretches (inclusive)
/// that lie in the same entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    pub stretches: Vec<(u16, u16)>,
    /// Whether no entry contains these numbers.
    pub outside: bool,
}

impl Class {
    /// How many numbers it has.
    pub fn size(&self) -> u32 {
        self.stretches
            .iter()
            .map(|(a, b)| u32::from(*b) - u32::from(*a) + 1)
            .sum()
    }

    /// Whether the class has a number in `[start, end]`.
    pub fn meets(&self, start: u16, end: u16) -> bool {
        self.stretches.iter().any(|(a, b)| *a <= end && start <= *b)
    }

    /// Its numbers in the order they are given out: from 49152 up first
    /// (they read as "another port"), then the rest, each ascending.
    fn numbers(&self) -> impl Iterator<Item = u16> + '_ {
        let high = self
            .stretches
            .iter()
            .filter(|(_, b)| *b >= EPHEMERAL)
            .flat_map(|(a, b)| (*a).max(EPHEMERAL)..=*b);
        let low = self
            .stretches
            .iter()
            .filter(|(a, _)| *a < EPHEMERAL)
            .flat_map(|(a, b)| *a..=(*b).min(EPHEMERAL - 1));
        high.chain(low)
    }
}

/// The classes of numbers 1–65535 under `entries`: a sweep over the bounds
/// of the entries, one class per distinct set of entries containing a
/// stretch, in order of their first number.
fn classes(entries: &[(u16, u16)]) -> Vec<Class> {
    // At each bound, the entries that begin and those that end before it.
    let mut begin: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut end: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, (a, b)) in entries.iter().enumerate() {
        begin.entry(u32::from(*a)).or_default().push(i);
        end.entry(u32::from(*b) + 1).or_default().push(i);
    }
    let mut cuts: BTreeSet<u32> = begin.keys().chain(end.keys()).copied().collect();
    cuts.insert(1);
    cuts.retain(|c| (1..=65535).contains(c));
    let cuts: Vec<u32> = cuts.into_iter().collect();
    let mut active: BTreeSet<usize> = BTreeSet::new();
    let mut index: BTreeMap<Vec<usize>, usize> = BTreeMap::new();
    let mut out: Vec<Class> = Vec::new();
    for (i, cut) in cuts.iter().enumerate() {
        for e in end.get(cut).into_iter().flatten() {
            active.remove(e);
        }
        active.extend(begin.get(cut).into_iter().flatten());
        let last = cuts.get(i + 1).map_or(65535, |next| next - 1);
        let (Ok(a), Ok(b)) = (u16::try_from(*cut), u16::try_from(last)) else {
            continue;
        };
        let key: Vec<usize> = active.iter().copied().collect();
        let outside = key.is_empty();
        let at = *index.entry(key).or_insert_with(|| {
            out.push(Class {
                stretches: Vec::new(),
                outside,
            });
            out.len() - 1
        });
        if let Some(class) = out.get_mut(at) {
            class.stretches.push((a, b));
        }
    }
    out
}

/// Why [`pack`] gave up: more declarations than `limit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooMany;

/// Container-port declarations, one per pod to check. The first declares
/// only the names of `required`, each at a number of a class outside every
/// entry where its wanted classes have one (else of its first class). In
/// the others, every (name, protocol, class) of `wanted` is declared, in
/// some declaration, at a number of that class, and every name of
/// `required` is declared in each (at home when it is not being moved). No
/// declaration holds a name twice or two names on one (protocol, number);
/// a wanted name that is also required with another protocol is left out
/// (no pod declares both). At most `limit` declarations, else [`TooMany`].
pub fn pack(
    wanted: &[(String, Protocol, Vec<Class>)],
    required: &[(String, Protocol)],
    limit: usize,
) -> Result<Vec<Vec<NamedPort>>, TooMany> {
    let is_required =
        |name: &str, protocol: Protocol| required.iter().any(|(n, p)| n == name && *p == protocol);
    let mut pending: Vec<(&str, Protocol, &Class)> = Vec::new();
    for (name, protocol, classes) in wanted {
        let clashes = required.iter().any(|(n, _)| n == name);
        if clashes && !is_required(name, *protocol) {
            continue;
        }
        pending.extend(classes.iter().map(|c| (name.as_str(), *protocol, c)));
    }
    // Every name outside every entry first (the pod that reads best in a
    // message), then the scarcest classes first: a one-number class holds
    // one name per pod, and the names waiting for it fill the larger
    // classes meanwhile.
    pending.sort_by_key(|(_, _, class)| (!class.outside, class.size()));
    let home = |name: &str, protocol: Protocol| -> Option<&Class> {
        let classes = &wanted
            .iter()
            .find(|(n, p, _)| n == name && *p == protocol)?
            .2;
        classes.iter().find(|c| c.outside).or(classes.first())
    };
    let free = |set: &[NamedPort], protocol: Protocol, class: &Class| {
        class
            .numbers()
            .find(|n| !set.iter().any(|p| p.protocol == protocol && p.number == *n))
    };
    // The required names not yet in `set`, at home.
    let complete = |set: &mut Vec<NamedPort>| {
        for (name, protocol) in required {
            if set.iter().any(|p| &p.name == name) {
                continue;
            }
            let anywhere = Class {
                stretches: vec![(1, u16::MAX)],
                outside: true,
            };
            let number = home(name, *protocol)
                .and_then(|c| free(set, *protocol, c))
                .or_else(|| free(set, *protocol, &anywhere));
            if let Some(number) = number {
                set.push(NamedPort {
                    name: name.clone(),
                    protocol: *protocol,
                    number,
                });
            }
        }
        set.sort();
    };
    let mut base = Vec::new();
    complete(&mut base);
    let mut out = vec![base];
    // Each round declares, in order, every pending pair whose name is not
    // declared yet and whose class has a free number; the rest wait.
    while !pending.is_empty() {
        let mut set: Vec<NamedPort> = Vec::new();
        let mut rest = Vec::new();
        for (name, protocol, class) in pending {
            let number = if set.iter().any(|p| p.name == name) {
                None
            } else {
                free(&set, protocol, class)
            };
            match number {
                Some(number) => set.push(NamedPort {
                    name: name.to_string(),
                    protocol,
                    number,
                }),
                None => rest.push((name, protocol, class)),
            }
        }
        if set.is_empty() {
            break;
        }
        complete(&mut set);
        if !out.contains(&set) {
            out.push(set);
        }
        if out.len() > limit {
            return Err(TooMany);
        }
        pending = rest;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Pod;
    use k8s_openapi::api::networking::v1::NetworkPolicy;

    fn stretches(entries: &[(u16, u16)]) -> Vec<Vec<(u16, u16)>> {
        classes(entries).into_iter().map(|c| c.stretches).collect()
    }

    #[test]
    fn numbers_are_split_by_the_entries_containing_them() {
        assert_eq!(stretches(&[]), vec![vec![(1, 65535)]]);
        assert_eq!(
            stretches(&[(8000, 8100)]),
            vec![vec![(1, 7999), (8101, 65535)], vec![(8000, 8100)]]
        );
        // Overlapping ranges and a port inside one.
        assert_eq!(
            stretches(&[(8000, 8100), (8050, 9000), (8080, 8080)]),
            vec![
                vec![(1, 7999), (9001, 65535)],
                vec![(8000, 8049)],
                vec![(8050, 8079), (8081, 8100)],
                vec![(8080, 8080)],
                vec![(8101, 9000)],
            ]
        );
        // The last port, and a range to it.
        assert_eq!(
            stretches(&[(65535, 65535), (1, 1)]),
            vec![vec![(1, 1)], vec![(2, 65534)], vec![(65535, 65535)]]
        );
    }

    #[test]
    fn numbers_outside_every_entry_come_from_49152_up() {
        let c = classes(&[(49152, 49152)]);
        assert!(c[0].outside);
        assert_eq!(c[0].numbers().take(2).collect::<Vec<_>>(), [49153, 49154]);
        assert_eq!(c[1].numbers().collect::<Vec<_>>(), [49152]);
    }

    #[test]
    fn only_rules_about_a_pod_that_admit_a_source_count() {
        let policies: Vec<NetworkPolicy> = [
            "metadata: {name: b, namespace: web}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: http}, {port: 80}]}]",
            "metadata: {name: a, namespace: web}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {team: x}}, podSelector: {matchLabels: {app: c}}}], ports: [{port: grpc}]}]",
        ]
        .iter()
        .map(|y| serde_yaml::from_str(y).unwrap())
        .collect();
        let set = crate::eval::PolicySet::new(policies).unwrap();
        let mut targets = PortTargets::default();
        set.views().for_each(|p| targets.add(&p));
        let a = Endpoint::Pod(Pod::new("web", [("app", "a")]));
        let z = Endpoint::Pod(Pod::new("web", [("app", "z")]));
        let none = BTreeMap::new();
        let label = |v: &str| BTreeMap::from([("app".to_string(), v.to_string())]);
        let names = |ns: &str, ns_labels: &BTreeMap<String, String>, pod: &str, from: &Endpoint| {
            let uses =
                targets.ports_for(ns, ns_labels, &label(pod), Some(std::slice::from_ref(from)));
            uses.named.into_iter().map(|(n, _)| n).collect::<Vec<_>>()
        };
        assert_eq!(names("web", &none, "b", &a), ["http"]);
        assert_eq!(
            targets
                .ports_for("web", &none, &label("b"), Some(std::slice::from_ref(&a)))
                .numbered
                .len(),
            1
        );
        // Another source, another pod: no rule about them.
        assert!(names("web", &none, "b", &z).is_empty());
        assert!(names("web", &none, "q", &a).is_empty());
        // The egress rule is about `app=c` pods of namespaces labelled team=x.
        let team = BTreeMap::from([("team".to_string(), "x".to_string())]);
        assert_eq!(names("other", &team, "c", &a), ["grpc"]);
        assert!(names("other", &none, "c", &a).is_empty());
        assert!(names("other", &team, "c", &z).is_empty());
        // Any source.
        assert_eq!(
            targets
                .ports_for("web", &none, &label("b"), None)
                .named
                .len(),
            1
        );
    }

    use crate::testing::Rng;

    /// What [`PortTargets::ports_for`] answers, found by trying every
    /// target of every namespace selector.
    fn ports_for_every_target(
        targets: &PortTargets,
        namespace: &str,
        namespace_labels: &BTreeMap<String, String>,
        labels: &BTreeMap<String, String>,
        sources: Option<&[Endpoint]>,
    ) -> PortUse {
        let mut ns_labels = namespace_labels.clone();
        ns_labels
            .entry(NAMESPACE_NAME_LABEL.to_string())
            .or_insert_with(|| namespace.to_string());
        let mut out = PortUse::default();
        let mut add = |t: &Target| {
            let admitted = sources.is_none_or(|list| list.iter().any(|s| t.admits.admits(s)));
            if t.pods.matches(labels) && admitted {
                out.extend(&t.ports);
            }
        };
        targets.everywhere.iter().for_each(&mut add);
        targets
            .by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .for_each(&mut add);
        let by_label = targets.by_label.values().flat_map(|v| v.values()).flatten();
        for (namespaces, t) in targets.by_selector.iter().chain(by_label) {
            if namespaces.matches(&ns_labels) {
                add(t);
            }
        }
        out
    }

    /// A random namespace selector: labels, expressions, names.
    fn namespace_selector(rng: &mut Rng) -> String {
        let keys = ["team", "tier", NAMESPACE_NAME_LABEL];
        let values = ["a", "b", "c"];
        let mut labels = Vec::new();
        for _ in 0..rng.below(3) {
            labels.push(format!("{}: {}", rng.pick(&keys), rng.pick(&values)));
        }
        let mut expressions = Vec::new();
        for _ in 0..rng.below(2) {
            let key = rng.pick(&keys);
            let value = rng.pick(&values);
            expressions.push(match rng.below(4) {
                0 => format!("{{key: {key}, operator: In, values: [{value}, c]}}"),
                1 => format!("{{key: {key}, operator: NotIn, values: [{value}]}}"),
                2 => format!("{{key: {key}, operator: Exists}}"),
                _ => format!("{{key: {key}, operator: DoesNotExist}}"),
            });
        }
        format!(
            "{{matchLabels: {{{}}}, matchExpressions: [{}]}}",
            labels.join(", "),
            expressions.join(", ")
        )
    }

    fn random_policy(rng: &mut Rng, i: usize) -> NetworkPolicy {
        let apps = ["x", "y", "z"];
        let ports = ["80", "http", "8080", "grpc"];
        let mut egress = Vec::new();
        let mut ingress = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let mut peers = Vec::new();
            for _ in 0..rng.below(3) {
                peers.push(match rng.below(3) {
                    0 => format!(
                        "{{podSelector: {{matchLabels: {{app: {}}}}}}}",
                        rng.pick(&apps)
                    ),
                    _ => format!(
                        "{{namespaceSelector: {}, podSelector: {{matchLabels: {{app: {}}}}}}}",
                        namespace_selector(rng),
                        rng.pick(&apps)
                    ),
                });
            }
            let rule = format!(
                "{{PEERS: [{}], ports: [{{port: {}}}]}}",
                peers.join(", "),
                rng.pick(&ports)
            );
            if rng.below(2) == 0 {
                egress.push(rule.replace("PEERS", "to"));
            } else {
                ingress.push(rule.replace("PEERS", "from"));
            }
        }
        let yaml = format!(
            "metadata: {{name: p{i}, namespace: {}}}
spec:
  podSelector: {{matchLabels: {{app: {}}}}}
  policyTypes: [Ingress, Egress]
  ingress: [{}]
  egress: [{}]",
            rng.pick(&["a", "b", "c"]),
            rng.pick(&apps),
            ingress.join(", "),
            egress.join(", ")
        );
        serde_yaml::from_str(&yaml).unwrap()
    }

    #[test]
    fn targets_by_namespace_label_are_those_every_target_gives() {
        let mut rng = Rng(25);
        let mut checked_nonempty = 0;
        let mut with_label_index = 0;
        for round in 0..60 {
            let policies: Vec<NetworkPolicy> = (0..1 + rng.below(12))
                .map(|i| random_policy(&mut rng, i))
                .collect();
            let set = crate::eval::PolicySet::new(policies).unwrap();
            let mut targets = PortTargets::default();
            set.views().for_each(|p| targets.add(&p));
            if !targets.by_label.is_empty() {
                with_label_index += 1;
            }
            for _ in 0..40 {
                let namespace = rng.pick(&["a", "b", "c", "d"]);
                let mut ns_labels = BTreeMap::new();
                for key in ["team", "tier", NAMESPACE_NAME_LABEL] {
                    if rng.below(3) > 0 {
                        ns_labels.insert(key.to_string(), rng.pick(&["a", "b", "c"]).to_string());
                    }
                }
                let labels =
                    BTreeMap::from([("app".to_string(), rng.pick(&["x", "y", "z"]).to_string())]);
                let source = Endpoint::Pod(Pod {
                    namespace: rng.pick(&["a", "b", "c"]).to_string(),
                    namespace_labels: ns_labels.clone(),
                    labels: BTreeMap::from([(
                        "app".to_string(),
                        rng.pick(&["x", "y"]).to_string(),
                    )]),
                    ..Pod::default()
                });
                let sources = [source];
                for from in [None, Some(&sources[..])] {
                    let fast = targets.ports_for(namespace, &ns_labels, &labels, from);
                    let slow =
                        ports_for_every_target(&targets, namespace, &ns_labels, &labels, from);
                    assert_eq!(
                        fast, slow,
                        "round {round}: {namespace} {ns_labels:?} {labels:?}"
                    );
                    if !fast.is_empty() {
                        checked_nonempty += 1;
                    }
                }
            }
        }
        // The comparison is not vacuous: many pods have ports.
        assert!(checked_nonempty > 500, "{checked_nonempty}");
        // ...and the label index is used.
        assert!(with_label_index > 30, "{with_label_index}");
    }

    fn covered(sets: &[Vec<NamedPort>], name: &str, class: &Class) -> bool {
        sets.iter().any(|s| {
            s.iter()
                .any(|p| p.name == name && class.meets(p.number, p.number))
        })
    }

    #[test]
    fn every_name_meets_every_class_with_no_number_twice() {
        let mut uses = PortUse::default();
        uses.add_numbered(Protocol::Tcp, 80, 80);
        uses.add_numbered(Protocol::Tcp, 8000, 8100);
        let classes = uses.classes(Protocol::Tcp, &[]);
        assert_eq!(classes.len(), 3);
        let wanted: Vec<(String, Protocol, Vec<Class>)> = ["a", "b", "c", "d"]
            .iter()
            .map(|n| (n.to_string(), Protocol::Tcp, classes.clone()))
            .collect();
        let sets = pack(&wanted, &[], 100).unwrap();
        for (name, _, classes) in &wanted {
            for class in classes {
                assert!(covered(&sets, name, class), "{name} {class:?}: {sets:?}");
            }
        }
        for s in &sets {
            let numbers: BTreeSet<u16> = s.iter().map(|p| p.number).collect();
            let names: BTreeSet<&str> = s.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(numbers.len(), s.len(), "{s:?}");
            assert_eq!(names.len(), s.len(), "{s:?}");
        }
        // No named port; every name outside every entry; four names in
        // the one-number class [80]: four pods.
        assert_eq!(sets[0], Vec::new());
        assert!(sets[1].iter().all(|p| p.number >= EPHEMERAL), "{sets:?}");
        assert_eq!(sets.len(), 6, "{sets:?}");
        assert_eq!(pack(&wanted, &[], 5), Err(TooMany));
    }

    #[test]
    fn required_names_are_in_every_declaration() {
        let mut uses = PortUse::default();
        uses.add_numbered(Protocol::Tcp, 9090, 9090);
        let classes = uses.classes(Protocol::Tcp, &[]);
        let wanted = vec![
            ("metrics".to_string(), Protocol::Tcp, classes.clone()),
            ("http".to_string(), Protocol::Tcp, classes.clone()),
            // The same name as a required one, another protocol: no pod.
            ("metrics".to_string(), Protocol::Udp, classes.clone()),
        ];
        let required = vec![("metrics".to_string(), Protocol::Tcp)];
        let sets = pack(&wanted, &required, 100).unwrap();
        assert!(sets.iter().all(|s| s
            .iter()
            .any(|p| p.name == "metrics" && p.protocol == Protocol::Tcp)));
        assert!(sets.iter().flatten().all(|p| p.protocol == Protocol::Tcp));
        for class in &classes {
            assert!(covered(&sets, "metrics", class));
            assert!(covered(&sets, "http", class));
        }
    }
}
