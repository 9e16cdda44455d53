//! The regions of an `expect` endpoint: every pod or address it can denote,
//! partitioned by what the emitted policies can tell apart, with one
//! representative per region.
//!
//! An expectation is universal: `expect deny */x -> web/a:80` holds only if
//! no pod labelled `app=x` in any namespace reaches `web/a` on 80. Two pods
//! behave the same under a set of policies when every selector and every
//! `ipBlock` of those policies treats them the same, so it is enough to
//! check one pod per combination of selector verdicts:
//!
//! * a namespace is a managed one (its declared labels are its labels), or
//!   an undeclared one: any name the policies mention, or a fresh one, with
//!   any labels; its labels are split by the values that namespace
//!   selectors mention (each value, another value, no label);
//! * a pod's labels are split likewise by the pod selectors that concern
//!   its namespace (the podSelectors of policies there and the peers that
//!   can match pods there);
//! * a destination may declare any named port of the rules that can decide
//!   a flow to it from a source (`port_classes::PortTargets`), at a number
//!   in any class of numbers the numbered ports of those rules (and the
//!   ports asked about) tell apart, or not at all ([`port_classes`]: a pod
//!   cannot listen on one port twice, so several names, each in its own
//!   class, are checked on one pod);
//! * an address range is split at every bound of every `ipBlock` and
//!   `except`.
//!
//! The enumeration is bounded ([`MAX_REGIONS`]); an endpoint with more
//! regions than that is reported instead of checked on a sample.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::port_classes::{self, Class, Name, PortTargets, PortUse};
use super::representative::{Kind, Representative};
use crate::eval::{Endpoint, NamedPort, Pod};
use crate::ir::{NamespaceSelector, Operator, Peer, PortNumber, Ports, Program, Selector};
use crate::k8s::cluster_policy::ClusterObject;
use crate::k8s::{Cidr, IpBlock, Protocol, NAMESPACE_NAME_LABEL};

/// The most regions one endpoint of one expectation may have.
pub const MAX_REGIONS: usize = 20_000;

/// A label value no selector mentions, for "any other value".
const OTHER_VALUE: &str = "other";

/// Why an endpoint was not split into regions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooManyRegions;

/// What the policies can tell apart, gathered once per policy set (or
/// namespace by namespace, as a build emits them: [`Atoms::add`]).
#[derive(Default)]
pub struct Atoms {
    /// Every distinct namespace selector of every peer, in the order first
    /// seen; the others refer to them by index (peer compaction makes them
    /// long: comparing and cloning them per peer was most of the work).
    pub(super) namespace_selectors: Vec<Selector>,
    /// The index of each in `namespace_selectors`.
    pub(super) namespace_selector_ids: HashMap<Selector, usize>,
    /// Pod selectors that concern pods of a namespace, by its name: the
    /// policies' own podSelectors, peers without a namespaceSelector, and
    /// peers whose namespaceSelector names the namespace.
    pub(super) pods_by_namespace: HashMap<String, BTreeSet<Selector>>,
    /// Peers with any other namespace selector: namespaces (by index) → pods.
    pub(super) pods_by_selector: HashMap<usize, BTreeSet<Selector>>,
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
    pod_bounds: Bounds,
    /// DNS names and patterns of CiliumNetworkPolicies' `toFQDNs`.
    pub(super) names: BTreeSet<crate::k8s::DnsName>,
}

/// The bounds of address ranges, per family: the first address of every
/// ipBlock and except, and the address after its last.
#[derive(Clone, Debug, Default)]
pub struct Bounds {
    pub v4: BTreeSet<u128>,
    pub v6: BTreeSet<u128>,
}

impl Bounds {
    /// Adds the bounds of a CIDR.
    pub fn add_cidr(&mut self, c: Cidr) {
        let (first, last) = c.range();
        let bounds = if c.is_ipv4() {
            &mut self.v4
        } else {
            &mut self.v6
        };
        bounds.insert(first);
        bounds.extend(last.checked_add(1));
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Adds the bounds of an API object's ipBlock and its excepts.
    pub fn add(&mut self, block: &IPBlock) {
        for text in std::iter::once(&block.cidr).chain(block.except.iter().flatten()) {
            if let Ok(c) = Cidr::parse_lenient(text) {
                let (first, last) = c.range();
                let bounds = if c.is_ipv4() {
                    &mut self.v4
                } else {
                    &mut self.v6
                };
                bounds.insert(first);
                bounds.extend(last.checked_add(1));
            }
        }
    }
}

/// A label selector of an API object in its typed form. A selector the
/// API refuses reads as the empty one: the evaluator refuses policies with
/// such selectors before any region is asked for.
pub fn selector(sel: &LabelSelector) -> Selector {
    Selector::from_api(sel).unwrap_or_default()
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

impl Atoms {
    pub fn new(policies: &[NetworkPolicy]) -> Atoms {
        let mut atoms = Atoms::default();
        atoms.add(policies);
        atoms
    }

    /// Adds what more policies can tell apart.
    pub fn add(&mut self, policies: &[NetworkPolicy]) {
        self.targets.add(policies);
        let atoms = self;
        for policy in policies {
            let ns = policy.metadata.namespace.clone().unwrap_or_default();
            atoms.namespace_names.insert(ns.clone());
            let Some(spec) = &policy.spec else { continue };
            let own = atoms.pods_by_namespace.entry(ns.clone()).or_default();
            own.insert(spec.pod_selector.as_ref().map(selector).unwrap_or_default());
            let ingress = spec.ingress.iter().flatten().map(|r| &r.from);
            let egress = spec.egress.iter().flatten().map(|r| &r.to);
            for peers in ingress.chain(egress) {
                for peer in peers.iter().flatten() {
                    if let Some(block) = &peer.ip_block {
                        atoms.bounds.add(block);
                        continue;
                    }
                    let pods = peer.pod_selector.as_ref().map(selector).unwrap_or_default();
                    match &peer.namespace_selector {
                        None => {
                            atoms
                                .pods_by_namespace
                                .entry(ns.clone())
                                .or_default()
                                .insert(pods);
                        }
                        Some(n) => {
                            let n = selector(n);
                            if let Some(name) = named(&n) {
                                atoms.namespace_names.insert(name.to_string());
                                atoms
                                    .pods_by_namespace
                                    .entry(name.to_string())
                                    .or_default()
                                    .insert(pods);
                                atoms.intern(n);
                            } else {
                                let id = atoms.intern(n);
                                atoms.pods_by_selector.entry(id).or_default().insert(pods);
                            }
                        }
                    }
                }
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
        if let Some(name) = named(&namespaces) {
            self.namespace_names.insert(name.to_string());
            self.pods_by_namespace
                .entry(name.to_string())
                .or_default()
                .insert(pods);
            self.intern(namespaces);
        } else {
            let id = self.intern(namespaces);
            self.pods_by_selector.entry(id).or_default().insert(pods);
        }
    }

    /// The index of a namespace selector, registered (by the names it
    /// admits, or as one for any namespace) when first seen.
    pub(super) fn intern(&mut self, n: Selector) -> usize {
        if let Some(&id) = self.namespace_selector_ids.get(&n) {
            return id;
        }
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
        for r in &n.expressions {
            if r.key == NAMESPACE_NAME_LABEL {
                self.namespace_names.extend(r.values.iter().cloned());
            }
        }
        self.namespace_selector_ids.insert(n.clone(), id);
        self.namespace_selectors.push(n);
        id
    }

    /// The pod selectors that concern pods of one namespace (each source
    /// is a set; a selector in two of them is merely tested twice).
    fn pod_selectors(&self, name: &str, labels: &BTreeMap<String, String>) -> Vec<&Selector> {
        let mut out: Vec<&Selector> = self
            .pods_by_namespace
            .get(name)
            .into_iter()
            .flatten()
            .collect();
        let by_label = |key: &str, value: &str| {
            self.selectors_by_label
                .get(key)
                .and_then(|values| values.get(value))
                .into_iter()
                .flatten()
        };
        let mut candidates: BTreeSet<usize> = self.selectors_for_any.clone();
        candidates.extend(self.selectors_by_name.get(name).into_iter().flatten());
        candidates.extend(by_label(NAMESPACE_NAME_LABEL, name));
        for (key, value) in labels {
            candidates.extend(by_label(key, value));
        }
        for id in candidates {
            let Some(namespaces) = self.namespace_selectors.get(id) else {
                continue;
            };
            if namespaces.matches(labels) {
                out.extend(self.pods_by_selector.get(&id).into_iter().flatten());
            }
        }
        out
    }
}

/// How far [`label_classes`] may go.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The most label assignments returned.
    pub classes: usize,
    /// The most assignments tried.
    pub steps: usize,
}

impl Limits {
    /// The bound of an expectation's regions.
    const REGIONS: Limits = Limits {
        classes: MAX_REGIONS,
        steps: MAX_REGIONS * 16,
    };
}

/// Label assignments that satisfy `required`, one per combination of the
/// verdicts of `selectors` (and of `required`'s own tests). `fixed` labels
/// are set as given (a namespace's name). `None` past the limits.
pub fn label_classes(
    required: &Selector,
    selectors: &[&Selector],
    fixed: &BTreeMap<String, String>,
    limits: Limits,
) -> Option<Vec<BTreeMap<String, String>>> {
    // Every key some selector looks at, with the values it mentions.
    let mut keys: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for sel in selectors.iter().copied().chain([required]) {
        for (k, v) in &sel.match_labels {
            keys.entry(k).or_default().insert(v);
        }
        for r in &sel.expressions {
            keys.entry(&r.key)
                .or_default()
                .extend(r.values.iter().map(String::as_str));
        }
    }
    // The choices per key: fixed, or each mentioned value, another, none.
    let mut choices: Vec<(&str, Vec<Option<String>>)> = Vec::new();
    for (key, values) in keys {
        if let Some(v) = fixed.get(key) {
            choices.push((key, vec![Some(v.clone())]));
            continue;
        }
        if let Some(v) = required.match_labels.get(key) {
            choices.push((key, vec![Some(v.clone())]));
            continue;
        }
        let mut list: Vec<Option<String>> = values.iter().map(|v| Some((*v).to_string())).collect();
        let other = (0..=values.len())
            .map(|i| {
                if i == 0 {
                    OTHER_VALUE.to_string()
                } else {
                    format!("{OTHER_VALUE}-{i}")
                }
            })
            .find(|v| !values.contains(v.as_str()));
        list.extend(other.map(Some));
        list.push(None);
        choices.push((key, list));
    }
    let mut seen: BTreeSet<Vec<bool>> = BTreeSet::new();
    let mut out = Vec::new();
    let mut current: BTreeMap<String, String> = fixed.clone();
    let mut steps = 0usize;
    if enumerate(&choices, 0, &mut current, &mut |labels| {
        steps += 1;
        if steps > limits.steps {
            return false;
        }
        if !required.matches(labels) {
            return true;
        }
        let verdicts: Vec<bool> = selectors.iter().map(|s| s.matches(labels)).collect();
        if seen.insert(verdicts) {
            out.push(labels.clone());
        }
        out.len() <= limits.classes
    }) {
        Some(out)
    } else {
        None
    }
}

/// Calls `visit` with every assignment of the choices; stops (false) when
/// `visit` says so.
fn enumerate(
    choices: &[(&str, Vec<Option<String>>)],
    at: usize,
    current: &mut BTreeMap<String, String>,
    visit: &mut dyn FnMut(&BTreeMap<String, String>) -> bool,
) -> bool {
    let Some((key, values)) = choices.get(at) else {
        return visit(current);
    };
    for value in values {
        match value {
            Some(v) => current.insert((*key).to_string(), v.clone()),
            None => current.remove(*key),
        };
        if !enumerate(choices, at + 1, current, visit) {
            return false;
        }
    }
    current.remove(*key);
    true
}

/// A namespace of one region: name, labels, and whether the program declares it.
type NamespaceRegion = (String, BTreeMap<String, String>, bool);

/// The endpoints a split was made for, and, when they are destinations,
/// the ports asked about and the sources (`None` for sources).
type SplitKey = (Vec<Peer>, Option<DestinationKey>);

/// The ports asked about and the source endpoints of an expectation.
type DestinationKey = (Option<Ports>, Vec<Peer>);

/// The namespaces (name, labels) a pod peer's namespace part can denote,
/// one per region.
fn namespaces(
    scope: &NamespaceSelector,
    program: &Program,
    atoms: &Atoms,
) -> Result<Vec<NamespaceRegion>, TooManyRegions> {
    let (required, names): (Selector, Vec<String>) = match scope {
        NamespaceSelector::Named(n) => (Selector::default(), vec![n.clone()]),
        NamespaceSelector::Matching(sel) => {
            let mut names: Vec<String> = atoms
                .namespace_names
                .iter()
                .filter(|n| !program.namespaces.contains_key(*n))
                .cloned()
                .collect();
            let fresh = (0..)
                .map(|i| {
                    if i == 0 {
                        "other".to_string()
                    } else {
                        format!("other-{i}")
                    }
                })
                .find(|n| {
                    !program.namespaces.contains_key(n) && !atoms.namespace_names.contains(n)
                });
            names.extend(fresh);
            (sel.clone(), names)
        }
    };
    let mut out = Vec::new();
    match scope {
        NamespaceSelector::Named(n) => {
            if let Some(ns) = program.namespaces.get(n) {
                out.push((ns.name.clone(), ns.labels.clone(), true));
            }
        }
        NamespaceSelector::Matching(sel) => {
            for ns in program
                .namespaces
                .values()
                .filter(|ns| sel.matches(&ns.labels))
            {
                out.push((ns.name.clone(), ns.labels.clone(), true));
            }
        }
    }
    let unmanaged: Vec<String> = names
        .into_iter()
        .filter(|n| !program.namespaces.contains_key(n))
        .collect();
    if unmanaged.is_empty() {
        return Ok(out);
    }
    let selectors: Vec<&Selector> = atoms.namespace_selectors.iter().collect();
    for name in unmanaged {
        let fixed = BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), name.clone())]);
        let classes =
            label_classes(&required, &selectors, &fixed, Limits::REGIONS).ok_or(TooManyRegions)?;
        out.extend(
            classes
                .into_iter()
                .map(|labels| (name.clone(), labels, false)),
        );
        if out.len() > MAX_REGIONS {
            return Err(TooManyRegions);
        }
    }
    Ok(out)
}

/// The container ports a destination pod may declare, one declaration per
/// pod to check (`port_classes`): none but the named ports asked about,
/// and every named port of the rules about the pod (`rules`) in every
/// class of numbers their numbered ports tell apart that matters for the
/// ports asked about (each class, without ports). A named port asked about
/// is declared in every declaration, in each class in turn.
fn port_declarations(
    ports: Option<&Ports>,
    rules: &PortUse,
) -> Result<Vec<Vec<NamedPort>>, TooManyRegions> {
    let asked: Vec<&crate::ir::Port> = match ports {
        Some(Ports::Only(list)) => list.iter().collect(),
        _ => Vec::new(),
    };
    let every_port = !matches!(ports, Some(Ports::Only(_)));
    let required: Vec<Name> = asked
        .iter()
        .filter_map(|p| match &p.number {
            PortNumber::Named(n) => Some((n.clone(), p.protocol)),
            _ => None,
        })
        .collect();
    let numbers = |protocol: Protocol| -> Vec<(u16, u16)> {
        asked
            .iter()
            .filter(|p| p.protocol == protocol)
            .filter_map(|p| match p.number {
                PortNumber::Single(n) => Some((n, n)),
                PortNumber::Range(a, b) => Some((a, b)),
                PortNumber::Named(_) => None,
            })
            .collect()
    };
    let mut names: BTreeSet<Name> = rules.named.clone();
    names.extend(required.iter().cloned());
    let mut wanted: Vec<(String, Protocol, Vec<Class>)> = Vec::new();
    for (name, protocol) in names {
        let asked_numbers = numbers(protocol);
        let mut classes = rules.classes(protocol, &asked_numbers);
        let is_required = required.iter().any(|(n, p)| *n == name && *p == protocol);
        if !every_port && !is_required {
            // Declared elsewhere, it changes nothing asked about.
            classes.retain(|c| asked_numbers.iter().any(|(a, b)| c.meets(*a, *b)));
        }
        if !classes.is_empty() {
            wanted.push((name, protocol, classes));
        }
    }
    port_classes::pack(&wanted, &required, MAX_REGIONS).map_err(|_| TooManyRegions)
}

/// The declarations of destination pods for the ports and sources of an
/// expectation, made once per set of ports of the rules that can decide a
/// flow from those sources to a pod.
struct Declarations<'a> {
    atoms: &'a Atoms,
    /// `None` for sources: they declare nothing (named ports resolve on
    /// the destination).
    ports: Option<Option<Ports>>,
    /// The source representatives.
    sources: Vec<Endpoint>,
    made: HashMap<PortUse, Rc<Vec<Vec<NamedPort>>>>,
}

impl Declarations<'_> {
    fn for_pod(
        &mut self,
        namespace: &str,
        namespace_labels: &BTreeMap<String, String>,
        labels: &BTreeMap<String, String>,
    ) -> Result<Rc<Vec<Vec<NamedPort>>>, TooManyRegions> {
        let Some(ports) = &self.ports else {
            return Ok(Rc::new(vec![Vec::new()]));
        };
        let rules =
            self.atoms
                .targets
                .ports_for(namespace, namespace_labels, labels, Some(&self.sources));
        if let Some(found) = self.made.get(&rules) {
            return Ok(Rc::clone(found));
        }
        let made = Rc::new(port_declarations(ports.as_ref(), &rules)?);
        self.made.insert(rules, Rc::clone(&made));
        Ok(made)
    }
}

/// The representatives of one expectation endpoint (its peers: one, or the
/// two halves of `world`), one per region. A destination's pods declare
/// the container ports of each case of their declarations, and, when
/// `placed`, take each position relative to the `networks` of cluster
/// policies (one address per stretch between their bounds, in each family).
fn representatives(
    peers: &[Peer],
    program: &Program,
    atoms: &Atoms,
    declarations: &mut Declarations<'_>,
    placed: bool,
) -> Result<Vec<Representative>, TooManyRegions> {
    let positions = if placed {
        pod_positions(atoms)
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    for peer in peers {
        match peer {
            Peer::Pods {
                namespaces: scope,
                pods,
            } => {
                for (namespace, namespace_labels, managed) in namespaces(scope, program, atoms)? {
                    let concerned = atoms.pod_selectors(&namespace, &namespace_labels);
                    let classes =
                        label_classes(pods, &concerned, &BTreeMap::new(), Limits::REGIONS)
                            .ok_or(TooManyRegions)?;
                    for labels in classes {
                        let cases = declarations.for_pod(&namespace, &namespace_labels, &labels)?;
                        for ports in cases.iter() {
                            let rep = pod(&namespace, &namespace_labels, managed, &labels, ports);
                            if positions.is_empty() {
                                out.push(rep);
                                continue;
                            }
                            for address in &positions {
                                let mut placed = rep.clone();
                                if let Endpoint::Pod(p) = &mut placed.endpoint {
                                    p.address = Some(*address);
                                }
                                out.push(placed);
                            }
                        }
                        if out.len() > MAX_REGIONS {
                            return Err(TooManyRegions);
                        }
                    }
                }
            }
            Peer::Ip(block) => {
                let plain = addresses(block, atoms);
                // A DNS name may resolve into the block: each name the
                // policies tell apart, at each of its addresses.
                let names = super::names::at_addresses(&plain, atoms);
                out.extend(plain);
                out.extend(names);
            }
            Peer::Name(name) => out.extend(super::names::representatives(name, atoms)),
        }
        if out.len() > MAX_REGIONS {
            return Err(TooManyRegions);
        }
    }
    Ok(out)
}

fn pod(
    namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
    managed: bool,
    labels: &BTreeMap<String, String>,
    ports: &[NamedPort],
) -> Representative {
    Representative {
        kind: Kind::Pod { declared: managed },
        endpoint: Endpoint::Pod(Pod {
            namespace: namespace.to_string(),
            namespace_labels: namespace_labels.clone(),
            labels: labels.clone(),
            ports: ports.to_vec(),
            // Representative pods carry no address: ipBlocks never match them.
            ips: Vec::new(),
            address: None,
        }),
    }
}

impl Atoms {
    /// See [`pod_positions`].
    pub fn pod_positions(&self) -> Vec<std::net::IpAddr> {
        pod_positions(self)
    }
}

/// The addresses a pod may have that cluster policies' `networks` tell
/// apart: one per stretch between their bounds, in each family (none when
/// no cluster policy has `networks`).
fn pod_positions(atoms: &Atoms) -> Vec<std::net::IpAddr> {
    if atoms.pod_bounds.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (family, bounds) in [
        (
            Cidr::V4 {
                network: 0,
                prefix: 0,
            },
            &atoms.pod_bounds.v4,
        ),
        (
            Cidr::V6 {
                network: 0,
                prefix: 0,
            },
            &atoms.pod_bounds.v6,
        ),
    ] {
        let (first, last) = family.range();
        let mut cuts: BTreeSet<u128> = bounds.iter().copied().filter(|c| *c <= last).collect();
        cuts.insert(first);
        let cuts: Vec<u128> = cuts.into_iter().collect();
        for (i, start) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).map_or(last, |next| next - 1);
            if let Some(ip) = family.address(pick_pod(family, *start, end)) {
                out.push(ip);
            }
        }
    }
    out
}

/// An address of `[start, end]` for a pod: one of a common pod range when
/// the stretch holds one, else as [`pick`].
fn pick_pod(family: Cidr, start: u128, end: u128) -> u128 {
    let pod = if family.is_ipv4() {
        u128::from(u32::from(Ipv4Addr::new(10, 244, 1, 7)))
    } else {
        u128::from(Ipv6Addr::new(0xfd00, 0x10, 0x244, 1, 0, 0, 0, 7))
    };
    if (start..=end).contains(&pod) {
        pod
    } else {
        pick(family, start, end)
    }
}

/// One address per stretch of the block (minus its excepts) that no bound
/// of any ipBlock crosses.
pub(super) fn addresses(block: &IpBlock, atoms: &Atoms) -> Vec<Representative> {
    let (first, last) = block.cidr.range();
    let bounds = if block.cidr.is_ipv4() {
        &atoms.bounds.v4
    } else {
        &atoms.bounds.v6
    };
    let mut cuts: BTreeSet<u128> = bounds.range(first..=last).copied().collect();
    for e in &block.except {
        let (a, b) = e.range();
        cuts.insert(a);
        cuts.extend(b.checked_add(1));
    }
    cuts.insert(first);
    let cuts: Vec<u128> = cuts
        .into_iter()
        .filter(|c| *c >= first && *c <= last)
        .collect();
    let mut out = Vec::new();
    for (i, start) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(last, |next| next - 1);
        let excepted = block.except.iter().any(|e| {
            let (a, b) = e.range();
            a <= *start && end <= b
        });
        if excepted {
            continue;
        }
        let address = pick(block.cidr, *start, end);
        if let Some(ip) = block.cidr.address(address) {
            out.push(Representative {
                kind: Kind::Address,
                endpoint: Endpoint::Ip(ip),
            });
        }
    }
    out
}

/// An address of `[start, end]` that reads well in a message: a well-known
/// public address when the stretch holds one, else not the network address.
fn pick(cidr: Cidr, start: u128, end: u128) -> u128 {
    let public = if cidr.is_ipv4() {
        u128::from(u32::from(Ipv4Addr::new(8, 8, 8, 8)))
    } else {
        u128::from(Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888))
    };
    if (start..=end).contains(&public) {
        public
    } else if end - start >= 2 {
        start + 1
    } else {
        start
    }
}

/// The regions of both endpoints of an expectation, for its check.
pub struct Plan {
    pub sources: Rc<Vec<Representative>>,
    pub destinations: Rc<Vec<Representative>>,
}

/// Splits expectations' endpoints into regions, remembering each split:
/// most programs name the same endpoints and ports in many expectations.
pub struct Splitter<'a> {
    program: &'a Program,
    atoms: &'a Atoms,
    cache: HashMap<SplitKey, Rc<Vec<Representative>>>,
    /// Destination declarations per ports asked about and sources.
    declarations: HashMap<DestinationKey, Declarations<'a>>,
}

impl<'a> Splitter<'a> {
    pub fn new(program: &'a Program, atoms: &'a Atoms) -> Splitter<'a> {
        Splitter {
            program,
            atoms,
            cache: HashMap::new(),
            declarations: HashMap::new(),
        }
    }

    /// Splits an expectation's endpoints into regions.
    pub fn plan(&mut self, e: &crate::ir::Expectation) -> Result<Plan, TooManyRegions> {
        let sources = self.split(&e.sources, None)?;
        let destinations =
            self.split(&e.destinations, Some((e.ports.clone(), e.sources.clone())))?;
        Ok(Plan {
            sources,
            destinations,
        })
    }

    fn split(
        &mut self,
        peers: &[Peer],
        destination: Option<DestinationKey>,
    ) -> Result<Rc<Vec<Representative>>, TooManyRegions> {
        let key = (peers.to_vec(), destination);
        if let Some(found) = self.cache.get(&key) {
            return Ok(Rc::clone(found));
        }
        let atoms = self.atoms;
        let mut none = Declarations {
            atoms,
            ports: None,
            sources: Vec::new(),
            made: HashMap::new(),
        };
        let declarations = match &key.1 {
            None => &mut none,
            Some((ports, source_peers)) => {
                if !self
                    .declarations
                    .contains_key(&(ports.clone(), source_peers.clone()))
                {
                    let sources = self.split(source_peers, None)?;
                    self.declarations.insert(
                        (ports.clone(), source_peers.clone()),
                        Declarations {
                            atoms,
                            ports: Some(ports.clone()),
                            sources: sources.iter().map(|r| r.endpoint.clone()).collect(),
                            made: HashMap::new(),
                        },
                    );
                }
                match self
                    .declarations
                    .get_mut(&(ports.clone(), source_peers.clone()))
                {
                    Some(found) => found,
                    None => &mut none,
                }
            }
        };
        let placed = key.1.is_some();
        let reps = Rc::new(representatives(
            peers,
            self.program,
            atoms,
            declarations,
            placed,
        )?);
        self.cache.insert(key, Rc::clone(&reps));
        Ok(reps)
    }
}
