//! Flows between two isolated sides that reach each other only through
//! `*` or label-set peers.
//!
//! Such endpoints leave out the managed namespaces isolated on their other
//! side (an `allow` would open that side too). When an egress rule of `A`
//! and an ingress rule of `B` both leave the other's namespace out, the
//! flows they allow together are written here, as one `allow` per pair of
//! rules: the pods of `A` its rule and `B`'s peer select, to the pods of `B`
//! its rule and `A`'s peer select, on the ports both rules allow. Neither
//! side is opened further than its own rule: the statement is exact.
//!
//! The same holds for peers that name the other namespace (no
//! namespaceSelector: their own; a namespaceSelector on
//! `kubernetes.io/metadata.name`) once the equivalence check has left out
//! the statements written for both rules (each opened its other side
//! further than the input): an egress rule to `podSelector: {}` and an
//! ingress rule from `podSelector: {}` of one namespace isolated both ways
//! become one `allow` for the pods both select.

use std::collections::{BTreeMap, BTreeSet};

use super::complement::{self, Term};
use super::endpoints::{named_by, never_matches, protocol_suffix, value, Managed};
use super::translate::{left_out, Group, Settings, StatementId, FROM};
use crate::eval::{NamedPort, PeerKind, PolicyView, PortEntry, PortSet, RuleView};
use crate::k8s::{escape_controls, Direction, Protocol, Selector};

/// The managed namespaces a peer (`None`: every peer) leaves out, by name.
fn left_out_by(peer: Option<PeerKind<'_>>, exclude: &[Managed]) -> BTreeSet<String> {
    let all = || exclude.iter().map(|m| m.name.clone()).collect();
    let Some(p) = peer else { return all() };
    let PeerKind::Pods {
        namespaces: Some(sel),
        ..
    } = p
    else {
        return BTreeSet::new();
    };
    if sel.is_empty() {
        return all();
    }
    if named_by(sel).is_some() {
        return BTreeSet::new();
    }
    exclude
        .iter()
        .filter(|m| sel.matches(&m.labels))
        .map(|m| m.name.clone())
        .collect()
}

/// A rule's ports: numbers as a set, names apart (`None`: every port).
fn port_sets(entries: Option<&[PortEntry]>) -> Option<(PortSet, BTreeSet<(Protocol, String)>)> {
    let entries = entries.filter(|l| !l.is_empty())?;
    let mut numbers = PortSet::empty();
    let mut names = BTreeSet::new();
    for entry in entries {
        match entry {
            PortEntry::Protocol(protocol) => numbers.insert(*protocol, 1, 65535),
            PortEntry::Range(protocol, start, end) => numbers.insert(*protocol, *start, *end),
            PortEntry::Named(protocol, name) => {
                names.insert((*protocol, name.clone()));
            }
        }
    }
    Some((numbers, names))
}

/// A rule's ports with its named ports given by the numbers `declared`
/// says the destination declares them at; `None` when one is not declared.
fn resolved(
    (numbers, names): (PortSet, BTreeSet<(Protocol, String)>),
    declared: &[NamedPort],
) -> Option<(PortSet, BTreeSet<(Protocol, String)>)> {
    let mut numbers = numbers;
    for (protocol, name) in names {
        let n = declared
            .iter()
            .find(|d| d.protocol == protocol && d.name == name)?;
        numbers.insert(protocol, n.number, n.number);
    }
    Some((numbers, BTreeSet::new()))
}

/// The ports both rules allow, as an NPL port list (`Some(None)`: every
/// port); `None` when none, or when a named port meets a number (which
/// only the destination pod's declaration could reconcile: `declared`,
/// the ports every destination pod is taken to declare, under
/// `--assume-workload-ports`, gives the names their numbers).
fn both(
    a: Option<&[PortEntry]>,
    b: Option<&[PortEntry]>,
    declared: Option<&[NamedPort]>,
) -> Option<Option<String>> {
    let (numbers, names) = match (port_sets(a), port_sets(b)) {
        (None, None) => return Some(None),
        (Some(x), None) | (None, Some(x)) => x,
        (Some((na, sa)), Some((nb, sb))) => {
            if sa != sb && (!sa.is_empty() || !sb.is_empty()) {
                let declared = declared?;
                let (na, _) = resolved((na, sa), declared)?;
                let (nb, _) = resolved((nb, sb), declared)?;
                (na.intersection(&nb), BTreeSet::new())
            } else {
                (na.intersection(&nb), sa)
            }
        }
    };
    let mut out: Vec<String> = Vec::new();
    for protocol in Protocol::ALL {
        let suffix = protocol_suffix(protocol);
        for r in numbers.ranges(protocol) {
            out.push(if r.start == r.end {
                format!("{}{suffix}", r.start)
            } else {
                format!("{}-{}{suffix}", r.start, r.end)
            });
        }
    }
    for (protocol, name) in names {
        out.push(format!("{name}{}", protocol_suffix(protocol)));
    }
    match out.len() {
        0 => None,
        1 => Some(Some(out.remove(0))),
        _ => Some(Some(format!("{{{}}}", out.join(", ")))),
    }
}

/// A term as the pod part of an endpoint.
fn pods(term: &Term, settings: &Settings) -> String {
    if term.is_empty() {
        return "*".to_string();
    }
    if term.expressions.is_empty() && term.match_labels.len() == 1 {
        if let Some(name) = term.match_labels.get(&settings.workload_label) {
            return value(name);
        }
    }
    complement::render(term)
}

/// The container ports of the workloads, by namespace and value of the
/// workload label: what a pod so labelled is taken to declare under
/// `--assume-workload-ports`.
pub type WorkloadPorts = BTreeMap<(String, String), Vec<NamedPort>>;

/// The ports every pod a term selects in a namespace is taken to declare:
/// the term names a workload (by the workload label) whose container ports
/// are known, and the settings assume workload ports.
fn declared_by<'a>(
    term: &Term,
    namespace: &str,
    ports: &'a WorkloadPorts,
    settings: &Settings,
) -> Option<&'a [NamedPort]> {
    if !settings.assume_workload_ports {
        return None;
    }
    let name = term.match_labels.get(&settings.workload_label)?;
    ports
        .get(&(namespace.to_string(), name.clone()))
        .map(Vec::as_slice)
}

/// Both selectors at once, as a term.
fn and(a: &Selector, b: &Selector) -> Option<Term> {
    complement::restrict(&complement::restrict(&Term::everything(), a)?, b)
}

/// The pod selector of a peer (`None`, every peer: every pod).
fn pods_of<'a>(peer: Option<PeerKind<'a>>, everything: &'a Selector) -> &'a Selector {
    match peer {
        Some(PeerKind::Pods { pods, .. }) => pods,
        _ => everything,
    }
}

/// The rules of one direction of a policy that isolates it (`skip`: the
/// index of an egress rule left out).
fn rules<'a>(
    policy: &PolicyView<'a>,
    direction: Direction,
    skip: Option<usize>,
) -> Vec<RuleView<'a>> {
    policy
        .rules(direction)
        .into_iter()
        .filter(|r| Some(r.index()) != skip)
        .collect()
}

/// The peers of a rule with their index in `from`/`to` (the statement
/// group of each): each selector peer, or `None` for "every peer" (group 0).
fn peers<'a>(rule: &RuleView<'a>) -> Vec<(usize, Option<PeerKind<'a>>)> {
    if rule.matches_all_peers() {
        return vec![(0, None)];
    }
    rule.peers()
        .iter()
        .filter(|p| matches!(p.kind(), PeerKind::Pods { .. }) && !never_matches(p.kind()))
        .map(|p| (p.index(), Some(p.kind())))
        .collect()
}

/// The namespaces a peer names outright: its policy's own (a pod
/// selector without a namespaceSelector), or those a namespaceSelector on
/// `kubernetes.io/metadata.name` lists. Its statement writes them by name,
/// and opens their other side; once the check has left it out, its flows
/// are written as pairs.
fn named_namespaces(peer: Option<PeerKind<'_>>, own: &str) -> BTreeSet<String> {
    match peer {
        Some(PeerKind::Pods {
            namespaces: None, ..
        }) => BTreeSet::from([own.to_string()]),
        Some(PeerKind::Pods {
            namespaces: Some(sel),
            ..
        }) => named_by(sel).unwrap_or_default(),
        _ => BTreeSet::new(),
    }
}

/// `namespace/name` of a policy.
fn key(policy: &PolicyView<'_>) -> String {
    format!("{}/{}", policy.namespace(), policy.name())
}

/// Whether the statement written for one peer of a rule was left out of
/// the program (its other side, isolated, admits less than it opens).
fn dropped_peer(
    dropped: &BTreeSet<StatementId>,
    policy: &PolicyView<'_>,
    direction: Direction,
    rule: usize,
    peer: usize,
) -> bool {
    dropped.contains(&StatementId {
        policy: key(policy),
        direction,
        rule,
        group: Group::Peer(peer),
    })
}

/// One pair's statement before it is written: its source, its
/// destination with the ports, the two policies, its id.
struct Found {
    src: String,
    dst: String,
    keys: Vec<String>,
    id: StatementId,
    left: bool,
}

/// The statements for every pair of rules that leave each other's
/// namespace out, but those already `written` (each once); their ids are
/// appended to `ids` in text order.
pub fn pairs(
    by_namespace: &BTreeMap<&str, Vec<PolicyView<'_>>>,
    isolated: &BTreeMap<Direction, Vec<Managed>>,
    dropped: &BTreeSet<StatementId>,
    settings: &Settings,
    workload_ports: &WorkloadPorts,
    written: &mut BTreeSet<String>,
    ids: &mut Vec<StatementId>,
) -> String {
    let none = Vec::new();
    let egress_isolated = isolated.get(&Direction::Egress).unwrap_or(&none);
    let ingress_isolated = isolated.get(&Direction::Ingress).unwrap_or(&none);
    let mut text = String::new();
    let mut found: Vec<Found> = Vec::new();
    let mut count = 0usize;
    let everything = Selector::everything();
    for (a, a_policies) in by_namespace {
        for pa in a_policies {
            let a_selector = pa.pod_selector();
            // The DNS rule too: the carve-out leaves out the namespaces
            // isolated for ingress, as every `*` endpoint does.
            for rule_a in rules(pa, Direction::Egress, None) {
                let (ra, a_ports) = (rule_a.index(), rule_a.port_entries());
                for (ia, peer_a) in peers(&rule_a) {
                    let mut reached = left_out_by(peer_a, ingress_isolated);
                    // A peer of the own namespace whose statement was left
                    // out: its flows are those the own ingress rules admit.
                    if dropped_peer(dropped, pa, Direction::Egress, ra, ia) {
                        reached.extend(named_namespaces(peer_a, a));
                    }
                    for b in reached {
                        for pb in by_namespace.get(b.as_str()).into_iter().flatten() {
                            let b_selector = pb.pod_selector();
                            for rule_b in rules(pb, Direction::Ingress, None) {
                                let b_ports = rule_b.port_entries();
                                for (ib, peer_b) in peers(&rule_b) {
                                    // A peer that names the namespace pairs when
                                    // its statement was left out.
                                    let names = named_namespaces(peer_b, &b);
                                    let mutual = if names.is_empty() {
                                        left_out_by(peer_b, egress_isolated).contains(*a)
                                    } else {
                                        names.contains(*a)
                                            && dropped_peer(
                                                dropped,
                                                pb,
                                                Direction::Ingress,
                                                rule_b.index(),
                                                ib,
                                            )
                                    };
                                    if !mutual {
                                        continue;
                                    }
                                    let src = and(a_selector, pods_of(peer_b, &everything));
                                    let dst = and(b_selector, pods_of(peer_a, &everything));
                                    let (Some(src), Some(dst)) = (src, dst) else {
                                        continue;
                                    };
                                    let declared = declared_by(&dst, &b, workload_ports, settings);
                                    let Some(ports) = both(a_ports, b_ports, declared) else {
                                        continue;
                                    };
                                    let src = format!("{a}/{}", pods(&src, settings));
                                    let mut dst = format!("{b}/{}", pods(&dst, settings));
                                    if let Some(p) = ports {
                                        dst.push(':');
                                        dst.push_str(&p);
                                    }
                                    if !written.insert(format!("allow {src} -> {dst}")) {
                                        continue;
                                    }
                                    let id = StatementId {
                                        policy: key(pa),
                                        direction: Direction::Egress,
                                        rule: ra,
                                        group: Group::Pair(count),
                                    };
                                    count += 1;
                                    let left = dropped.contains(&id);
                                    found.push(Found {
                                        src,
                                        dst,
                                        keys: vec![key(pa), key(pb)],
                                        id,
                                        left,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    // Pairs to the same destination on the same ports are one statement
    // (sources listed), unless the check has left one out.
    let mut groups: Vec<Vec<Found>> = Vec::new();
    for f in found {
        let same = groups.iter_mut().find(|g| {
            !f.left
                && g.first()
                    .is_some_and(|first| !first.left && first.dst == f.dst)
        });
        match same {
            Some(g) => g.push(f),
            None => groups.push(vec![f]),
        }
    }
    for group in groups {
        let Some(first) = group.first() else { continue };
        let mut keys: Vec<String> = Vec::new();
        for k in group.iter().flat_map(|f| &f.keys) {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        let sources: Vec<&str> = group.iter().map(|f| f.src.as_str()).collect();
        text.push_str(&format!(
            "{FROM}{} (both sides isolated)\n",
            escape_controls(&keys.join(", "))
        ));
        let line = format!("allow {} -> {}", sources.join(", "), first.dst);
        text.push_str(&left_out(line, first.left));
        text.push_str("\n\n");
        if !first.left {
            ids.push(first.id.clone());
        }
    }
    text
}
