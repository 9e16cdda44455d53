use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::bounds::{pod_positions, Bounds};
use super::port_classes::{self, PortTargets};
use super::selector;
use crate::eval::{PeerKind, PolicyKind, PolicySet, PolicyView};
use crate::hashing::HashMap;
use crate::k8s::cluster_policy::ClusterObject;
use crate::k8s::selector::{Operator, Selector};
use crate::k8s::{Cidr, Direction, Protocol, NAMESPACE_NAME_LABEL};

/// What the policies can tell apart, gathered once per policy set (or
/// namespace by namespace, as a build emits them: [`Index::add`]): the
/// selector index, namespace names, address bounds and port targets.
#[derive(Default)]
pub struct Index {
    /// Every distinct namespace selector of every peer, in the order first
    /// seen; the others refer to them by index (peer compaction makes them
    /// long: comparing and cloning them per peer was most of the work).
    pub(super) namespace_selectors: Vec<Selector>,
    /// The index of each in `namespace_selectors`.
    pub(super) namespace_selector_ids: HashMap<Selector, usize>,
    /// The same, by the address of a selector shared by a policy set
    /// (held here, so that no other selector takes its address): every
    /// policy of a namespace repeats the same few, and hashing a long
    /// selector per peer was most of the index's work. (The key is the
    /// address as a number, so that the index can move between threads.)
    shared_ids: HashMap<usize, (Arc<Selector>, usize)>,
    /// Whether each selector of `namespace_selectors` is only a list of
    /// names (one `In` on `kubernetes.io/metadata.name`, nothing else):
    /// a namespace found under its name in `selectors_by_name` matches it.
    names_only: Vec<bool>,
    /// Pod selectors that concern pods of a namespace, by its name: the
    /// policies' own podSelectors, peers without a namespaceSelector, and
    /// peers whose namespaceSelector names the namespace.
    /// (Shared with the policy set the views read, when they are a set's.)
    pub(super) pods_by_namespace: HashMap<String, BTreeSet<Arc<Selector>>>,
    /// Peers with any other namespace selector: namespaces (by index) → pods.
    pub(super) pods_by_selector: Vec<BTreeSet<Arc<Selector>>>,
    /// The selectors of `pods_by_selector` that admit only a list of
    /// namespace names (`kubernetes.io/metadata.name In [...]`, as peer
    /// compaction writes them), by name; the others apply to any namespace.
    pub(super) selectors_by_name: HashMap<String, BTreeSet<usize>>,
    /// The other selectors that require a label (`{team=a}`), by the first
    /// label they require: only namespaces with that label can match.
    pub(super) selectors_by_label: HashMap<String, HashMap<String, BTreeSet<usize>>>,
    /// The rest, which may match any namespace.
    pub(super) selectors_for_any: BTreeSet<usize>,
    /// Namespace names the policies mention.
    pub(super) namespace_names: BTreeSet<String>,
    /// Bounds of every ipBlock and except, and of every `networks` CIDR of
    /// a cluster policy.
    pub(super) bounds: Bounds,
    /// The ports of the rules about each pod.
    pub(super) targets: PortTargets,
    /// Bounds of the `networks` of cluster policies, which see pod
    /// addresses: a destination pod takes one address per stretch between
    /// them (a pod may lie inside or outside each).
    pub(super) pod_bounds: Bounds,
    /// DNS names and patterns of CiliumNetworkPolicies' `toFQDNs`.
    pub(super) names: BTreeSet<crate::k8s::DnsName>,
}

/// The namespace names a selector admits, when it admits only a list of
/// names (an `In` or a `matchLabels` entry on `kubernetes.io/metadata.name`).
fn names_of(sel: &Selector) -> Option<Vec<&String>> {
    if let Some(name) = sel.match_labels.get(NAMESPACE_NAME_LABEL) {
        return Some(vec![name]);
    }
    sel.expressions
        .iter()
        .find(|r| r.key == NAMESPACE_NAME_LABEL && r.operator == Operator::In)
        .map(|r| r.values.iter().collect())
}

/// The namespace a selector names by `kubernetes.io/metadata.name` alone.
pub(super) fn named(sel: &Selector) -> Option<&str> {
    (sel.expressions.is_empty() && sel.match_labels.len() == 1)
        .then(|| {
            sel.match_labels
                .get(NAMESPACE_NAME_LABEL)
                .map(String::as_str)
        })
        .flatten()
}

impl Index {
    /// What the NetworkPolicies of a set tell apart.
    pub fn of(set: &PolicySet) -> Index {
        let mut index = Index::default();
        index.add(set.views());
        index
    }

    /// Adds what more policies can tell apart, read through the
    /// evaluator's views.
    pub fn add<'a>(&mut self, policies: impl IntoIterator<Item = PolicyView<'a>>) {
        for policy in policies {
            match policy.kind() {
                PolicyKind::NetworkPolicy => self.targets.add(&policy),
                PolicyKind::Cilium => self.add_cilium_ports(&policy),
            }
            let ns = policy.namespace().to_string();
            if !self.namespace_names.contains(&ns) {
                self.namespace_names.insert(ns.clone());
            }
            self.add_pods_of(&ns, policy.pod_selector_shared());
            for direction in [Direction::Ingress, Direction::Egress] {
                for rule in policy.rules(direction) {
                    for peer in rule.peers() {
                        match peer.selectors_shared() {
                            Some((None, pods)) => self.add_pods_of(&ns, pods),
                            Some((Some(namespaces), pods)) => {
                                self.add_shared_selected_pods(namespaces, pods)
                            }
                            None => self.add_peer(&ns, peer.kind()),
                        }
                    }
                }
            }
        }
    }

    /// Adds one peer of a rule of a policy in namespace `ns`.
    fn add_peer(&mut self, ns: &str, peer: PeerKind<'_>) {
        match peer {
            PeerKind::Ip(block) => self.bounds.add_block(block),
            PeerKind::Name(name) => {
                self.names.insert(name.clone());
            }
            PeerKind::Pods {
                namespaces: None,
                pods,
            } => self.add_pods_of(ns, &Arc::new(pods.clone())),
            PeerKind::Pods {
                namespaces: Some(n),
                pods,
            } => self.add_selected_pods(n, &Arc::new(pods.clone())),
        }
    }

    /// [`Index::add_selected_pods`] for a namespace selector shared by a
    /// policy set: found by its address when seen before.
    fn add_shared_selected_pods(&mut self, namespaces: &Arc<Selector>, pods: &Arc<Selector>) {
        let Some(&(_, id)) = self.shared_ids.get(&address(namespaces)) else {
            self.add_selected_pods(namespaces, pods);
            let id = self.intern(namespaces);
            self.shared_ids
                .insert(address(namespaces), (Arc::clone(namespaces), id));
            return;
        };
        match named(namespaces) {
            Some(name) => self.add_pods_of(name, pods),
            None => self.add_pods_under(id, pods),
        }
    }

    /// Adds pods of the namespaces the selector `id` admits.
    fn add_pods_under(&mut self, id: usize, pods: &Arc<Selector>) {
        if let Some(set) = self.pods_by_selector.get_mut(id) {
            if !set.contains(pods) {
                set.insert(Arc::clone(pods));
            }
        }
    }

    /// Adds pods of the namespaces a selector admits: by name when it
    /// names one namespace alone, else under the interned selector.
    fn add_selected_pods(&mut self, namespaces: &Selector, pods: &Arc<Selector>) {
        if let Some(name) = named(namespaces) {
            if !self.namespace_names.contains(name) {
                self.namespace_names.insert(name.to_string());
            }
            self.add_pods_of(name, pods);
            self.intern(namespaces);
        } else {
            let id = self.intern(namespaces);
            self.add_pods_under(id, pods);
        }
    }

    /// Adds a pod selector that concerns pods of namespace `ns` (cloned
    /// only when it is new: most peers repeat one already seen).
    fn add_pods_of(&mut self, ns: &str, pods: &Arc<Selector>) {
        match self.pods_by_namespace.get_mut(ns) {
            Some(set) => {
                if !set.contains(pods) {
                    set.insert(Arc::clone(pods));
                }
            }
            None => {
                self.pods_by_namespace
                    .insert(ns.to_string(), BTreeSet::from([Arc::clone(pods)]));
            }
        }
    }

    /// Adds what cluster policies can tell apart: their subjects, peers,
    /// `networks` (which also place pods) and ports.
    pub fn add_cluster(&mut self, objects: &[ClusterObject]) {
        for object in objects {
            let Ok(value) = object.to_json() else {
                continue;
            };
            let spec = &value["spec"];
            self.cluster_selection(&spec["subject"]);
            let ingress = spec["ingress"].as_array().into_iter().flatten();
            let egress = spec["egress"].as_array().into_iter().flatten();
            for rule in ingress.chain(egress) {
                let peers = rule["from"]
                    .as_array()
                    .into_iter()
                    .chain(rule["to"].as_array())
                    .flatten();
                for peer in peers {
                    self.cluster_selection(peer);
                    // The CIDRs of one peer as ranges, adjacent ones merged
                    // (a block with exceptions is written as many CIDRs).
                    let mut ranges: Vec<(bool, u128, u128)> = peer["networks"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c.as_str().and_then(|t| Cidr::parse_lenient(t).ok()))
                        .map(|c| {
                            let (a, b) = c.range();
                            (c.is_ipv4(), a, b)
                        })
                        .collect();
                    ranges.sort_unstable();
                    let mut merged: Vec<(bool, u128, u128)> = Vec::new();
                    for (v4, a, b) in ranges {
                        match merged.last_mut() {
                            Some((f, _, end))
                                if *f == v4 && end.checked_add(1).is_some_and(|n| n >= a) =>
                            {
                                *end = (*end).max(b);
                            }
                            _ => merged.push((v4, a, b)),
                        }
                    }
                    for (v4, a, b) in merged {
                        for bounds in [&mut self.bounds, &mut self.pod_bounds] {
                            let list = if v4 { &mut bounds.v4 } else { &mut bounds.v6 };
                            list.insert(a);
                            list.extend(b.checked_add(1));
                        }
                    }
                }
                // v1alpha2 `protocols`, v1alpha1 `ports`.
                let ports = rule["protocols"]
                    .as_array()
                    .into_iter()
                    .chain(rule["ports"].as_array())
                    .flatten();
                let mut uses = port_classes::PortUse::default();
                for port in ports {
                    let named = port["destinationNamedPort"]
                        .as_str()
                        .or(port["namedPort"].as_str());
                    if let Some(name) = named {
                        // A cluster policy's named port matches whatever
                        // protocol its container port declares.
                        for protocol in Protocol::ALL {
                            uses.named.insert((name.to_string(), protocol));
                        }
                    }
                    let range = |v: &serde_json::Value| {
                        let (start, end) = match v["number"].as_i64().or(v["port"].as_i64()) {
                            Some(n) => (n, n),
                            None => (
                                v["range"]["start"].as_i64().or(v["start"].as_i64())?,
                                v["range"]["end"].as_i64().or(v["end"].as_i64())?,
                            ),
                        };
                        Some((u16::try_from(start).ok()?, u16::try_from(end).ok()?))
                    };
                    for (key, protocol) in [
                        ("tcp", Protocol::Tcp),
                        ("udp", Protocol::Udp),
                        ("sctp", Protocol::Sctp),
                    ] {
                        if let Some((a, b)) = range(&port[key]["destinationPort"]) {
                            uses.add_numbered(protocol, a, b);
                        }
                    }
                    for key in ["portNumber", "portRange"] {
                        let p = &port[key];
                        let protocol = p["protocol"]
                            .as_str()
                            .and_then(Protocol::parse)
                            .unwrap_or(Protocol::Tcp);
                        if let Some((a, b)) = range(p) {
                            uses.add_numbered(protocol, a, b);
                        }
                    }
                }
                self.targets.add_everywhere(uses);
            }
        }
    }

    /// A cluster policy's subject or peer: `namespaces`, or `pods` with
    /// its namespace selector.
    fn cluster_selection(&mut self, value: &serde_json::Value) {
        let read = |v: &serde_json::Value| -> Option<Selector> {
            let sel: LabelSelector = serde_json::from_value(v.clone()).ok()?;
            Some(selector(&sel))
        };
        let (namespaces, pods) = if let Some(ns) = value.get("namespaces") {
            (read(ns), Some(Selector::default()))
        } else if let Some(pods) = value.get("pods") {
            (
                read(&pods["namespaceSelector"]).or(Some(Selector::default())),
                read(&pods["podSelector"]),
            )
        } else {
            return;
        };
        let (Some(namespaces), Some(pods)) = (namespaces, pods) else {
            return;
        };
        self.add_selected_pods(&namespaces, &Arc::new(pods));
    }

    /// The index of a namespace selector, registered (by the names it
    /// admits, or as one for any namespace) when first seen; cloned only
    /// then (peer compaction makes namespace selectors long, and every
    /// policy of a namespace repeats them).
    pub(super) fn intern(&mut self, n: &Selector) -> usize {
        if let Some(&id) = self.namespace_selector_ids.get(n) {
            return id;
        }
        self.register(n.clone())
    }

    /// Registers a selector not seen before.
    fn register(&mut self, n: Selector) -> usize {
        let id = self.namespace_selectors.len();
        if named(&n).is_none() {
            match names_of(&n) {
                Some(names) => {
                    for name in names {
                        self.selectors_by_name
                            .entry(name.clone())
                            .or_default()
                            .insert(id);
                    }
                }
                None => match n.match_labels.iter().next() {
                    Some((key, value)) => {
                        self.selectors_by_label
                            .entry(key.clone())
                            .or_default()
                            .entry(value.clone())
                            .or_default()
                            .insert(id);
                    }
                    None => {
                        self.selectors_for_any.insert(id);
                    }
                },
            }
        }
        if let Some(name) = n.match_labels.get(NAMESPACE_NAME_LABEL) {
            self.namespace_names.insert(name.clone());
        }
        for r in &n.expressions {
            if r.key == NAMESPACE_NAME_LABEL {
                self.namespace_names.extend(r.values.iter().cloned());
            }
        }
        let names_only = n.match_labels.is_empty()
            && n.expressions.len() == 1
            && n.expressions
                .iter()
                .all(|r| r.key == NAMESPACE_NAME_LABEL && r.operator == Operator::In);
        self.names_only.push(names_only);
        self.pods_by_selector.push(BTreeSet::new());
        self.namespace_selector_ids.insert(n.clone(), id);
        self.namespace_selectors.push(n);
        id
    }

    /// The pod selectors that concern pods of one namespace, each held
    /// selector once (in no particular order; two equal selectors held
    /// apart are merely tested twice).
    pub fn pod_selectors(&self, name: &str, labels: &BTreeMap<String, String>) -> Vec<&Selector> {
        let mut out: Vec<&Selector> = self
            .pods_by_namespace
            .get(name)
            .into_iter()
            .flatten()
            .map(|s| &**s)
            .collect();
        let by_label = |key: &str, value: &str| {
            self.selectors_by_label
                .get(key)
                .and_then(|values| values.get(value))
                .into_iter()
                .flatten()
        };
        let mut candidates: Vec<usize> = self.selectors_for_any.iter().copied().collect();
        candidates.extend(self.selectors_by_name.get(name).into_iter().flatten());
        candidates.extend(by_label(NAMESPACE_NAME_LABEL, name));
        for (key, value) in labels {
            candidates.extend(by_label(key, value));
        }
        candidates.sort_unstable();
        candidates.dedup();
        // A list of names found under this name admits the namespace when
        // its name label is its name (as it always is but in a manifest).
        let named_so = labels.get(NAMESPACE_NAME_LABEL).map(String::as_str) == Some(name);
        let listed: &BTreeSet<usize> = match self.selectors_by_name.get(name) {
            Some(ids) if named_so => ids,
            _ => &BTreeSet::new(),
        };
        for id in candidates {
            let Some(namespaces) = self.namespace_selectors.get(id) else {
                continue;
            };
            let known = listed.contains(&id) && self.names_only.get(id) == Some(&true);
            if known || namespaces.matches(labels) {
                out.extend(
                    self.pods_by_selector
                        .get(id)
                        .into_iter()
                        .flatten()
                        .map(|s| &**s),
                );
            }
        }
        // The same selector held once is listed once (peers of many
        // namespace selectors repeat the same pods: a duplicate only
        // lengthened every verdict of `label_classes`, never changed one).
        out.sort_unstable_by_key(|s| std::ptr::from_ref::<Selector>(*s));
        out.dedup_by_key(|s| std::ptr::from_ref::<Selector>(*s));
        out
    }
}

impl Index {
    /// Every distinct namespace selector of every peer.
    pub fn namespace_selectors(&self) -> &[Selector] {
        &self.namespace_selectors
    }

    /// The namespace names the policies mention (their own namespaces, and
    /// names their namespace selectors admit).
    pub fn namespace_names(&self) -> &BTreeSet<String> {
        &self.namespace_names
    }

    /// The bounds of every ipBlock and except (and of every `networks`
    /// CIDR of a cluster policy).
    pub fn bounds(&self) -> &Bounds {
        &self.bounds
    }

    /// The ports of the rules about each pod.
    pub fn targets(&self) -> &PortTargets {
        &self.targets
    }

    /// See [`pod_positions`].
    pub fn pod_positions(&self) -> Vec<std::net::IpAddr> {
        pod_positions(self)
    }
}

/// The address of a shared selector, as a key of [`Index::shared_ids`].
fn address(selector: &Arc<Selector>) -> usize {
    Arc::as_ptr(selector) as usize
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::networking::v1::NetworkPolicy;

    use super::Index;
    use crate::eval::PolicySet;
    use crate::k8s::{Selector, NAMESPACE_NAME_LABEL};
    use crate::regions::{label_classes, Limits};

    use crate::testing::Rng;

    fn pods(rng: &mut Rng) -> String {
        let mut labels = Vec::new();
        for key in ["app", "role", "tier"] {
            if rng.below(2) == 0 {
                labels.push(format!("{key}: {}", rng.pick(&["a", "b", "c"])));
            }
        }
        format!("{{matchLabels: {{{}}}}}", labels.join(", "))
    }

    fn policy(rng: &mut Rng, i: usize) -> NetworkPolicy {
        let mut peers = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let namespaces = match rng.below(4) {
                0 => String::new(),
                1 => "namespaceSelector: {matchLabels: {team: x}}, ".to_string(),
                2 => format!(
                    "namespaceSelector: {{matchExpressions: [{{key: kubernetes.io/metadata.name, operator: In, values: [{}, n9]}}]}}, ",
                    rng.pick(&["n0", "n1", "n2"])
                ),
                _ => format!(
                    "namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {}}}}}, ",
                    rng.pick(&["n0", "n1", "n2"])
                ),
            };
            peers.push(format!("{{{namespaces}podSelector: {}}}", pods(rng)));
        }
        let yaml = format!(
            "metadata: {{name: p{i}, namespace: {}}}
spec:
  podSelector: {}
  ingress: [{{from: [{}]}}]",
            rng.pick(&["n0", "n1", "n2"]),
            pods(rng),
            peers.join(", ")
        );
        serde_yaml::from_str(&yaml).unwrap()
    }

    /// `pod_selectors` lists each held selector once, and what it leaves
    /// out changes no label class: the classes of the list with every
    /// selector of every source (duplicates included) are the same, in the
    /// same order, with the same labels.
    #[test]
    fn concerned_selectors_listed_once_give_the_same_label_classes() {
        let mut rng = Rng(7);
        let mut deduplicated = 0;
        for round in 0..80 {
            let policies: Vec<NetworkPolicy> = (0..1 + rng.below(10))
                .map(|i| policy(&mut rng, i))
                .collect();
            let set = PolicySet::new(policies).unwrap();
            let index = Index::of(&set);
            for name in ["n0", "n1", "n2", "n3"] {
                let mut labels =
                    BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), name.to_string())]);
                if rng.below(2) == 0 {
                    labels.insert("team".to_string(), "x".to_string());
                }
                let listed = index.pod_selectors(name, &labels);
                // Every selector of every source, in their order.
                let mut every: Vec<&Selector> = index
                    .pods_by_namespace
                    .get(name)
                    .into_iter()
                    .flatten()
                    .map(|s| &**s)
                    .collect();
                let mut ids: Vec<usize> = (0..index.namespace_selectors.len()).collect();
                ids.retain(|id| index.namespace_selectors[*id].matches(&labels));
                for id in ids {
                    every.extend(
                        index
                            .pods_by_selector
                            .get(id)
                            .into_iter()
                            .flatten()
                            .map(|s| &**s),
                    );
                }
                fn distinct<'a>(list: &[&'a Selector]) -> Vec<&'a Selector> {
                    let mut v: Vec<&Selector> = list.to_vec();
                    v.sort();
                    v.dedup();
                    v
                }
                assert_eq!(distinct(&listed), distinct(&every), "round {round} {name}");
                if listed.len() < every.len() {
                    deduplicated += 1;
                }
                let required = Selector::default();
                let none = BTreeMap::new();
                assert_eq!(
                    label_classes(&required, &listed, &none, Limits::REGIONS),
                    label_classes(&required, &every, &none, Limits::REGIONS),
                    "round {round} {name}"
                );
            }
        }
        assert!(deduplicated > 20, "{deduplicated}");
    }
}
