//! NPL endpoints and ports for the peers and ports of NetworkPolicy rules:
//! workload names, label sets, namespace parts (less the managed
//! namespaces an `allow` would open the other side of), CIDRs with
//! `except`, `world`, port lists.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::complement::{self, Term};
use super::translate::{Group, Settings};
use crate::k8s::selector::{Operator, Requirement, Selector};
use crate::k8s::{Cidr, Protocol, NAMESPACE_NAME_LABEL};

pub(super) fn is_empty_selector(sel: Option<&LabelSelector>) -> bool {
    sel.is_none_or(|s| {
        s.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
            && s.match_expressions.as_ref().is_none_or(Vec::is_empty)
    })
}

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

/// `{k=v, k in (a, b), ...}`; an error for a selector the API refuses.
pub(super) fn label_set(sel: &LabelSelector) -> Result<String, String> {
    typed(sel).map(|s| s.to_string())
}

/// The typed selector; an error naming the first expression the API
/// refuses.
pub(super) fn typed(sel: &LabelSelector) -> Result<Selector, String> {
    Selector::from_api(sel).map_err(|errors| {
        errors
            .first()
            .map_or_else(String::new, |e| format!("selector: {}", e.kind))
    })
}

/// The pod part of an endpoint: `*`, a workload name, or a label set.
pub(super) fn pod_part(sel: Option<&LabelSelector>, settings: &Settings) -> Result<String, String> {
    let Some(sel) = sel.filter(|s| !is_empty_selector(Some(s))) else {
        return Ok("*".to_string());
    };
    let labels = sel.match_labels.clone().unwrap_or_default();
    if sel.match_expressions.as_ref().is_none_or(Vec::is_empty) && labels.len() == 1 {
        if let Some(name) = labels.get(&settings.workload_label) {
            return Ok(value(name));
        }
    }
    label_set(sel)
}

/// The namespace parts a peer's namespaceSelector stands for: names, `*`,
/// or a label set.
/// The managed namespaces left out of a `*` or label-set part are
/// returned too.
pub(super) fn namespace_parts(
    sel: &LabelSelector,
    exclude: &[Managed],
) -> Result<(Vec<String>, Vec<Managed>), String> {
    if is_empty_selector(Some(sel)) {
        return Ok((vec![excluding("*", exclude)], exclude.to_vec()));
    }
    let labels = sel.match_labels.clone().unwrap_or_default();
    let expressions = sel.match_expressions.clone().unwrap_or_default();
    if expressions.is_empty() && labels.len() == 1 {
        if let Some(name) = labels.get(NAMESPACE_NAME_LABEL) {
            return Ok((vec![name.clone()], Vec::new()));
        }
    }
    let typed = typed(sel)?;
    if typed.match_labels.is_empty() && typed.expressions.len() == 1 {
        if let Some(e) = typed.expressions.first() {
            if e.key == NAMESPACE_NAME_LABEL
                && e.operator == Operator::In
                && e.values
                    .iter()
                    .all(|n| crate::k8s::names::dns1123_label(n).is_ok())
            {
                return Ok((e.values.iter().cloned().collect(), Vec::new()));
            }
        }
    }
    // Only the managed namespaces the set reaches get the other side.
    let exclude: Vec<Managed> = exclude
        .iter()
        .filter(|m| typed.matches(&m.labels))
        .cloned()
        .collect();
    // The set less the left-out namespaces may match none at all.
    let mut less = typed;
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
        return Ok((Vec::new(), exclude));
    }
    Ok((vec![less.to_string()], exclude))
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
pub(super) fn open_endpoints(left_out: &[Managed], pods: Option<&LabelSelector>) -> Vec<String> {
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

/// One peer as NPL endpoints (a namespace `In` list is several).
pub(super) fn peer(
    p: &NetworkPolicyPeer,
    namespace: &str,
    exclude: &[Managed],
    settings: &Settings,
) -> Result<Vec<String>, String> {
    if let Some(block) = &p.ip_block {
        let cidr = Cidr::parse_lenient(&block.cidr)?;
        let mut excepts = Vec::new();
        for e in block.except.iter().flatten() {
            excepts.push(address(Cidr::parse_lenient(e)?));
        }
        let mut text = address(cidr);
        match excepts.len() {
            0 => {}
            1 => text.push_str(&format!(" except {}", excepts[0])),
            _ => text.push_str(&format!(" except ({})", excepts.join(", "))),
        }
        return Ok(vec![text]);
    }
    let pods = pod_part(p.pod_selector.as_ref(), settings)?;
    let (namespaces, left_out) = match &p.namespace_selector {
        None => (vec![namespace.to_string()], Vec::new()),
        Some(sel) => namespace_parts(sel, exclude)?,
    };
    let mut out: Vec<String> = namespaces
        .into_iter()
        .map(|n| format!("{n}/{pods}"))
        .collect();
    out.extend(open_endpoints(&left_out, p.pod_selector.as_ref()));
    Ok(out)
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
    list: Option<&Vec<NetworkPolicyPeer>>,
    namespace: &str,
    exclude: &[Managed],
    settings: &Settings,
) -> Result<Vec<(Group, Vec<String>)>, String> {
    let list = match list {
        Some(l) if !l.is_empty() => l,
        _ => {
            let mut pods = vec![if exclude.is_empty() {
                "cluster".to_string()
            } else {
                format!("{}/*", excluding("*", exclude))
            }];
            pods.extend(open_endpoints(exclude, None));
            return Ok(vec![
                (Group::Peer(0), pods),
                (Group::Addresses, vec!["world".to_string()]),
            ]);
        }
    };
    let mut out: Vec<(Group, Vec<String>)> = Vec::new();
    let mut ips: Vec<String> = Vec::new();
    for (i, p) in list.iter().enumerate() {
        // A peer no pod or namespace can match is left out (and a rule
        // whose peers are all left out matches nothing: no statement).
        if complement::never_matches(p.pod_selector.as_ref())
            || complement::never_matches(p.namespace_selector.as_ref())
        {
            continue;
        }
        let endpoints = peer(p, namespace, exclude, settings)?;
        if p.ip_block.is_some() {
            ips.extend(
                endpoints
                    .into_iter()
                    .filter(|e| !ips.contains(e))
                    .collect::<Vec<_>>(),
            );
        } else if !endpoints.is_empty() {
            out.push((Group::Peer(i), endpoints));
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
    Ok(out)
}

/// Every endpoint of a rule's `from`/`to` (for the DNS rule), less the
/// managed namespaces `exclude`.
pub(super) fn peers(
    list: Option<&Vec<NetworkPolicyPeer>>,
    namespace: &str,
    exclude: &[Managed],
    settings: &Settings,
) -> Result<Vec<String>, String> {
    Ok(peer_groups(list, namespace, exclude, settings)?
        .into_iter()
        .flat_map(|(_, e)| e)
        .collect())
}

/// A rule's ports as an NPL port list (`None`: every port).
pub(super) fn ports(list: Option<&Vec<NetworkPolicyPort>>) -> Result<Option<String>, String> {
    ports_declared(list, &[])
}

/// A rule's ports as an NPL port list, a single number written as the
/// name `declared` gives it (a workload's container ports, under
/// `--assume-workload-ports`: `7070` to `cartservice` is `grpc`, and the
/// statement written for the rule on the other side, by name, is then the
/// same statement).
pub(super) fn ports_declared(
    list: Option<&Vec<NetworkPolicyPort>>,
    declared: &[crate::eval::NamedPort],
) -> Result<Option<String>, String> {
    let Some(list) = list.filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let mut out: Vec<String> = Vec::new();
    for p in list {
        let protocol = match p.protocol.as_deref() {
            None => Protocol::Tcp,
            Some(text) => Protocol::parse(text).ok_or_else(|| format!("protocol `{text}`"))?,
        };
        let suffix = match protocol {
            Protocol::Tcp => String::new(),
            other => format!("/{}", other.lowercase()),
        };
        let text = match (&p.port, p.end_port) {
            (None, _) => format!("1-65535{suffix}"),
            (Some(IntOrString::Int(n)), Some(end)) if end > *n => format!("{n}-{end}{suffix}"),
            (Some(IntOrString::Int(n)), _) => match declared
                .iter()
                .filter(|d| d.protocol == protocol && i32::from(d.number) == *n)
                .map(|d| d.name.as_str())
                .min()
            {
                Some(name) => format!("{name}{suffix}"),
                None => format!("{n}{suffix}"),
            },
            (Some(IntOrString::String(name)), _) => {
                if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
                    return Err(format!("the named port `{name}`"));
                }
                format!("{name}{suffix}")
            }
        };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    Ok(Some(if out.len() == 1 {
        out.remove(0)
    } else {
        format!("{{{}}}", out.join(", "))
    }))
}
