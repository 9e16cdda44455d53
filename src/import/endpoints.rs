//! NPL endpoints and ports for the peers and ports of NetworkPolicy rules,
//! read through the evaluator's views (`eval::RuleView`, `eval::PeerKind`,
//! `eval::PortEntry`): workload names, label sets, namespace parts (less
//! the managed namespaces an `allow` would open the other side of), CIDRs
//! with `except`, `world`, port lists.

use std::collections::{BTreeMap, BTreeSet};

use super::complement::{self, Term};
use super::translate::{Group, Settings};
use crate::eval::{PeerKind, PortEntry, RuleView};
use crate::k8s::selector::{Operator, Requirement, Selector};
use crate::k8s::{Cidr, IpBlock, Protocol, NAMESPACE_NAME_LABEL};

/// A label value (or workload name) as NPL writes it: bare when it can be,
/// quoted otherwise.
pub(super) fn value(text: &str) -> String {
    let bare = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && text
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if bare {
        text.to_string()
    } else {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The pod part of an endpoint: `*`, a workload name, or a label set.
pub(super) fn pod_part(sel: &Selector, settings: &Settings) -> String {
    if sel.is_empty() {
        return "*".to_string();
    }
    if sel.expressions.is_empty() && sel.match_labels.len() == 1 {
        if let Some(name) = sel.match_labels.get(&settings.workload_label) {
            return value(name);
        }
    }
    sel.to_string()
}

/// The namespaces a namespaceSelector names outright: one
/// `kubernetes.io/metadata.name` label, or one `In` on it whose values are
/// all namespace names; `None` for any other selector.
pub(super) fn named_by(sel: &Selector) -> Option<BTreeSet<String>> {
    if sel.expressions.is_empty() && sel.match_labels.len() == 1 {
        return sel
            .match_labels
            .get(NAMESPACE_NAME_LABEL)
            .map(|name| BTreeSet::from([name.clone()]));
    }
    match (sel.match_labels.is_empty(), sel.expressions.first()) {
        (true, Some(e))
            if sel.expressions.len() == 1
                && e.key == NAMESPACE_NAME_LABEL
                && e.operator == Operator::In
                && e.values
                    .iter()
                    .all(|n| crate::k8s::names::dns1123_label(n).is_ok()) =>
        {
            Some(e.values.clone())
        }
        _ => None,
    }
}

/// The namespace parts a peer's namespaceSelector stands for: names, `*`,
/// or a label set.
/// The managed namespaces left out of a `*` or label-set part are
/// returned too.
pub(super) fn namespace_parts(sel: &Selector, exclude: &[Managed]) -> (Vec<String>, Vec<Managed>) {
    if sel.is_empty() {
        return (vec![excluding("*", exclude)], exclude.to_vec());
    }
    if let Some(names) = named_by(sel) {
        return (names.into_iter().collect(), Vec::new());
    }
    // Only the managed namespaces the set reaches get the other side.
    let exclude: Vec<Managed> = exclude
        .iter()
        .filter(|m| sel.matches(&m.labels))
        .cloned()
        .collect();
    // The set less the left-out namespaces may match none at all.
    let mut less = sel.clone();
    if !exclude.is_empty() {
        let names = exclude.iter().map(|m| m.name.clone());
        // One `notin` on the name: merged with one the set has already.
        let old = less
            .expressions
            .iter()
            .find(|r| r.key == NAMESPACE_NAME_LABEL && r.operator == Operator::NotIn)
            .cloned();
        let mut values = BTreeSet::new();
        if let Some(old) = old {
            less.expressions.remove(&old);
            values = old.values;
        }
        values.extend(names);
        less.expressions.insert(Requirement::new(
            NAMESPACE_NAME_LABEL,
            Operator::NotIn,
            values,
        ));
    }
    if less.is_unsatisfiable() {
        return (Vec::new(), exclude);
    }
    (vec![less.to_string()], exclude)
}

/// A managed namespace isolated in one direction, as `*` and label-set
/// endpoints leave it out.
#[derive(Clone, Debug)]
pub struct Managed {
    pub name: String,
    /// Its declared labels (with `kubernetes.io/metadata.name`), as NPL
    /// matches label sets against it.
    pub labels: BTreeMap<String, String>,
    /// Its pods that no policy isolates in that direction (label sets):
    /// they are written back as endpoints of their own.
    pub open: Vec<Term>,
}

/// The open pods of left-out namespaces that a peer's pod selector
/// selects, as endpoints.
pub(super) fn open_endpoints(left_out: &[Managed], pods: &Selector) -> Vec<String> {
    let mut out = Vec::new();
    for m in left_out {
        for t in &m.open {
            if let Some(r) = complement::restrict(t, pods) {
                let text = format!("{}/{}", m.name, complement::render(&r));
                if !out.contains(&text) {
                    out.push(text);
                }
            }
        }
    }
    out
}

/// A namespace part (`*` or a label set) less some namespaces, by name.
pub(super) fn excluding(part: &str, exclude: &[Managed]) -> String {
    if exclude.is_empty() {
        return part.to_string();
    }
    let names: Vec<&str> = exclude.iter().map(|m| m.name.as_str()).collect();
    let entry = format!("{NAMESPACE_NAME_LABEL} notin ({})", names.join(", "));
    match part.strip_suffix('}') {
        Some(rest) if rest != "{" => format!("{rest}, {entry}}}"),
        _ => format!("{{{entry}}}"),
    }
}

/// Whether a peer can match no pod: a selector of it no set of labels
/// satisfies (it matches nothing; NPL refuses such a label set).
pub(super) fn never_matches(peer: PeerKind<'_>) -> bool {
    match peer {
        PeerKind::Pods { namespaces, pods } => {
            pods.is_unsatisfiable() || namespaces.is_some_and(Selector::is_unsatisfiable)
        }
        PeerKind::Ip(_) | PeerKind::Name(_) => false,
    }
}

/// An ipBlock as one NPL endpoint: the CIDR and its `except` list.
fn ip_block(block: &IpBlock) -> String {
    let excepts: Vec<String> = block.except.iter().map(|e| address(*e)).collect();
    let mut text = address(block.cidr);
    match excepts.as_slice() {
        [] => {}
        [one] => text.push_str(&format!(" except {one}")),
        _ => text.push_str(&format!(" except ({})", excepts.join(", "))),
    }
    text
}

/// One peer as NPL endpoints (a namespace `In` list is several; a DNS
/// name, which no NetworkPolicy has, none).
pub(super) fn peer(
    p: PeerKind<'_>,
    namespace: &str,
    exclude: &[Managed],
    settings: &Settings,
) -> Vec<String> {
    let (namespace_selector, pod_selector) = match p {
        PeerKind::Ip(block) => return vec![ip_block(block)],
        PeerKind::Name(_) => return Vec::new(),
        PeerKind::Pods { namespaces, pods } => (namespaces, pods),
    };
    let pods = pod_part(pod_selector, settings);
    let (namespaces, left_out) = match namespace_selector {
        None => (vec![namespace.to_string()], Vec::new()),
        Some(sel) => namespace_parts(sel, exclude),
    };
    let mut out: Vec<String> = namespaces
        .into_iter()
        .map(|n| format!("{n}/{pods}"))
        .collect();
    out.extend(open_endpoints(&left_out, pod_selector));
    out
}

/// A CIDR as NPL writes it (IPv6 in brackets).
pub(super) fn address(cidr: Cidr) -> String {
    if cidr.is_ipv4() {
        cidr.to_string()
    } else {
        format!("[{cidr}]")
    }
}

/// The endpoints of a rule's `from`/`to`, grouped as they become
/// statements: each selector peer alone (an `allow` writes the other side
/// of it, and the equivalence check may find that side needs leaving out),
/// the ipBlocks together (their other side is never written). No peer
/// means every peer: `cluster` and `world`.
pub(super) fn peer_groups(
    rule: &RuleView<'_>,
    namespace: &str,
    exclude: &[Managed],
    settings: &Settings,
) -> Vec<(Group, Vec<String>)> {
    if rule.matches_all_peers() {
        let mut pods = vec![if exclude.is_empty() {
            "cluster".to_string()
        } else {
            format!("{}/*", excluding("*", exclude))
        }];
        pods.extend(open_endpoints(exclude, &Selector::everything()));
        return vec![
            (Group::Peer(0), pods),
            (Group::Addresses, vec!["world".to_string()]),
        ];
    }
    let mut out: Vec<(Group, Vec<String>)> = Vec::new();
    let mut ips: Vec<String> = Vec::new();
    for p in rule.peers() {
        let kind = p.kind();
        // A peer no pod or namespace can match is left out (and a rule
        // whose peers are all left out matches nothing: no statement).
        if never_matches(kind) {
            continue;
        }
        let endpoints = peer(kind, namespace, exclude, settings);
        if p.is_ip_block() {
            ips.extend(
                endpoints
                    .into_iter()
                    .filter(|e| !ips.contains(e))
                    .collect::<Vec<_>>(),
            );
        } else if !endpoints.is_empty() {
            out.push((Group::Peer(p.index()), endpoints));
        }
    }
    let v4 = ips.iter().any(|e| e == "0.0.0.0/0");
    let v6 = ips.iter().any(|e| e == "[::/0]");
    if v4 && v6 {
        ips.retain(|e| e != "0.0.0.0/0" && e != "[::/0]");
        ips.push("world".to_string());
    }
    if !ips.is_empty() {
        out.push((Group::Addresses, ips));
    }
    out
}

/// Every endpoint of a rule's `from`/`to` (for the DNS rule), less the
/// managed namespaces `exclude`.
pub(super) fn peers(
    rule: &RuleView<'_>,
    namespace: &str,
    exclude: &[Managed],
    settings: &Settings,
) -> Vec<String> {
    peer_groups(rule, namespace, exclude, settings)
        .into_iter()
        .flat_map(|(_, e)| e)
        .collect()
}

/// The suffix of a port of `protocol` in NPL (none for TCP).
pub(super) fn protocol_suffix(protocol: Protocol) -> String {
    match protocol {
        Protocol::Tcp => String::new(),
        other => format!("/{}", other.lowercase()),
    }
}

/// A rule's ports as an NPL port list (`None`: every port).
pub(super) fn ports(entries: Option<&[PortEntry]>) -> Option<String> {
    ports_declared(entries, &[])
}

/// A rule's ports as an NPL port list, a single number written as the
/// name `declared` gives it (a workload's container ports, under
/// `--assume-workload-ports`: `7070` to `cartservice` is `grpc`, and the
/// statement written for the rule on the other side, by name, is then the
/// same statement).
pub(super) fn ports_declared(
    entries: Option<&[PortEntry]>,
    declared: &[crate::eval::NamedPort],
) -> Option<String> {
    let entries = entries.filter(|l| !l.is_empty())?;
    let mut out: Vec<String> = Vec::new();
    for entry in entries {
        let text = match entry {
            PortEntry::Protocol(protocol) => format!("1-65535{}", protocol_suffix(*protocol)),
            PortEntry::Range(protocol, start, end) if end > start => {
                format!("{start}-{end}{}", protocol_suffix(*protocol))
            }
            PortEntry::Range(protocol, number, _) => match declared
                .iter()
                .filter(|d| d.protocol == *protocol && d.number == *number)
                .map(|d| d.name.as_str())
                .min()
            {
                Some(name) => format!("{name}{}", protocol_suffix(*protocol)),
                None => format!("{number}{}", protocol_suffix(*protocol)),
            },
            PortEntry::Named(protocol, name) => format!("{name}{}", protocol_suffix(*protocol)),
        };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    Some(if out.len() == 1 {
        out.remove(0)
    } else {
        format!("{{{}}}", out.join(", "))
    })
}
