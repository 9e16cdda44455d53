//! An independent evaluator of cluster policies, written from the API text
//! (network-policy-api v0.2.0 for ClusterNetworkPolicy, v0.1.7 for
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy), over the objects as
//! JSON. It shares no code with `npc::eval`: selectors, CIDRs and ports are
//! matched here, and it is deliberately simple: one connection and one port
//! at a time, policies sorted by priority, rules tried in order.
//!
//! From the API text (`ClusterNetworkPolicySpec.tier`): per side of a
//! connection, the Admin tier decides first (Accept and Deny are final,
//! Pass skips the rest of the tier), then the NetworkPolicies of a pod they
//! select (final), then the Baseline tier, then allow. `networks` match
//! in-cluster traffic too (the API says so), so a pod's address counts.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

/// A pod as the oracle sees it.
#[derive(Clone, Debug)]
pub struct Pod {
    /// The namespace's labels, `kubernetes.io/metadata.name` included.
    pub namespace_labels: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// Container ports: (name, protocol `TCP`/`UDP`/`SCTP`, number).
    pub ports: Vec<(String, String, u16)>,
    pub address: IpAddr,
}

/// One end of a connection.
#[derive(Clone, Debug)]
pub enum End<'a> {
    Pod(&'a Pod),
    Address(IpAddr),
}

/// `matchLabels` and `matchExpressions`, ANDed; a missing selector field
/// is no requirement.
pub fn selector_matches(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    if let Some(map) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in map {
            if labels.get(k).map(String::as_str) != v.as_str() {
                return false;
            }
        }
    }
    for e in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e["key"].as_str().unwrap_or("");
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let have = labels.get(key).map(String::as_str);
        let ok = match e["operator"].as_str().unwrap_or("") {
            "In" => have.is_some_and(|v| values.contains(&v)),
            "NotIn" => have.is_none_or(|v| !values.contains(&v)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `a.b.c.d/n` or `x::y/n` contains `ip`.
pub fn cidr_contains(cidr: &str, ip: IpAddr) -> bool {
    let Some((addr, len)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(addr), Ok(len)) = (addr.parse::<IpAddr>(), len.parse::<u32>()) else {
        return false;
    };
    match (addr, ip) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

fn in_pods(peer: &Value, pod: &Pod) -> bool {
    selector_matches(&peer["namespaceSelector"], &pod.namespace_labels)
        && selector_matches(&peer["podSelector"], &pod.labels)
}

/// The tier of an object, and its priority (a BaselineAdminNetworkPolicy
/// has none; there is one).
fn tier_of(object: &Value) -> (&'static str, i64) {
    let priority = object["spec"]["priority"].as_i64().unwrap_or(0);
    match object["kind"].as_str() {
        Some("AdminNetworkPolicy") => ("Admin", priority),
        Some("BaselineAdminNetworkPolicy") => ("Baseline", 0),
        _ => match object["spec"]["tier"].as_str() {
            Some("Admin") => ("Admin", priority),
            _ => ("Baseline", priority),
        },
    }
}

fn subject_selects(subject: &Value, pod: &Pod) -> bool {
    if let Some(ns) = subject.get("namespaces") {
        return selector_matches(ns, &pod.namespace_labels);
    }
    if let Some(pods) = subject.get("pods") {
        return in_pods(pods, pod);
    }
    false
}

fn peer_matches(peer: &Value, other: &End<'_>) -> bool {
    if let Some(ns) = peer.get("namespaces") {
        return matches!(other, End::Pod(p) if selector_matches(ns, &p.namespace_labels));
    }
    if let Some(pods) = peer.get("pods") {
        return matches!(other, End::Pod(p) if in_pods(pods, p));
    }
    if let Some(networks) = peer.get("networks").and_then(Value::as_array) {
        let ip = match other {
            End::Pod(p) => p.address,
            End::Address(a) => *a,
        };
        return networks
            .iter()
            .filter_map(Value::as_str)
            .any(|c| cidr_contains(c, ip));
    }
    false
}

/// Whether a rule's ports (v1alpha2 `protocols`, v1alpha1 `ports`) match;
/// named ports resolve on the destination pod, whatever their protocol.
fn ports_match(rule: &Value, dst: Option<&Pod>, protocol: &str, port: u16) -> bool {
    let named = |name: &str| {
        dst.is_some_and(|pod| {
            pod.ports
                .iter()
                .any(|(n, p, number)| n == name && p == protocol && *number == port)
        })
    };
    let in_range = |start: Option<i64>, end: Option<i64>| match (start, end) {
        (Some(a), Some(b)) => a <= i64::from(port) && i64::from(port) <= b,
        _ => false,
    };
    if let Some(list) = rule.get("protocols").and_then(Value::as_array) {
        return list.iter().any(|m| {
            if let Some(name) = m["destinationNamedPort"].as_str() {
                return named(name);
            }
            let key = protocol.to_lowercase();
            let Some(p) = m.get(&key) else {
                return false;
            };
            let dp = &p["destinationPort"];
            if let Some(n) = dp["number"].as_i64() {
                return n == i64::from(port);
            }
            in_range(dp["range"]["start"].as_i64(), dp["range"]["end"].as_i64())
        });
    }
    if let Some(list) = rule.get("ports").and_then(Value::as_array) {
        return list.iter().any(|m| {
            if let Some(name) = m["namedPort"].as_str() {
                return named(name);
            }
            let proto = |v: &Value| v["protocol"].as_str().unwrap_or("TCP") == protocol;
            if let Some(n) = m.get("portNumber") {
                return proto(n) && n["port"].as_i64() == Some(i64::from(port));
            }
            if let Some(r) = m.get("portRange") {
                return proto(r) && in_range(r["start"].as_i64(), r["end"].as_i64());
            }
            false
        });
    }
    true
}

/// The action of the first rule of `tier` that applies to `owner`'s
/// `direction` (`ingress`, `egress`) and matches: `Accept`, `Deny`, `Pass`.
#[allow(clippy::too_many_arguments)] // the flow, as the API reference states it
pub fn first_action(
    objects: &[Value],
    tier: &str,
    owner: &Pod,
    direction: &str,
    peer: &End<'_>,
    dst: Option<&Pod>,
    protocol: &str,
    port: u16,
) -> Option<&'static str> {
    let mut ordered: Vec<&Value> = objects.iter().filter(|o| tier_of(o).0 == tier).collect();
    if ordered.len() > 1 {
        ordered.sort_by(|a, b| {
            (tier_of(a).1, a["metadata"]["name"].as_str())
                .cmp(&(tier_of(b).1, b["metadata"]["name"].as_str()))
        });
    }
    let peers_key = if direction == "ingress" { "from" } else { "to" };
    for object in ordered {
        if !subject_selects(&object["spec"]["subject"], owner) {
            continue;
        }
        for rule in object["spec"][direction].as_array().into_iter().flatten() {
            let peer_hit = rule[peers_key]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| peer_matches(p, peer));
            if peer_hit && ports_match(rule, dst, protocol, port) {
                return Some(match rule["action"].as_str() {
                    Some("Accept" | "Allow") => "Accept",
                    Some("Deny") => "Deny",
                    _ => "Pass",
                });
            }
        }
    }
    None
}

/// One side after the four steps; `policies` is the NetworkPolicies'
/// verdict for it (`None`: they do not isolate the pod on this side).
#[allow(clippy::too_many_arguments)] // the flow, as the API reference states it
pub fn side_allowed(
    objects: &[Value],
    owner: &Pod,
    direction: &str,
    peer: &End<'_>,
    dst: Option<&Pod>,
    protocol: &str,
    port: u16,
    policies: Option<bool>,
) -> bool {
    match first_action(
        objects, "Admin", owner, direction, peer, dst, protocol, port,
    ) {
        Some("Accept") => return true,
        Some("Deny") => return false,
        _ => {}
    }
    if let Some(verdict) = policies {
        return verdict;
    }
    !matches!(
        first_action(objects, "Baseline", owner, direction, peer, dst, protocol, port),
        Some("Deny")
    )
}
