//! Objects the API server accepts: no emitted policy is larger than
//! [`MAX_OBJECT_BYTES`], serialized as npc's YAML or as compact JSON (what
//! `kubectl` sends). A larger policy is split into parts with the same pod
//! selector and policy types, each holding some of the rules (a rule's peers
//! may be spread over several parts, and a peer's `In` list over several
//! peers). NetworkPolicies add up, so the parts allow exactly what the whole
//! did: a rule allows the union of its peers on its ports, and
//! `k ∈ A ∪ B ∧ R` is `(k ∈ A ∧ R) ∨ (k ∈ B ∧ R)`.
//!
//! The limit is 128 KiB, well below the API server's 1.5 MiB request limit
//! (etcd's default): `kubectl apply` without `--server-side` (and Argo CD's
//! default) also copies the whole object into the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, and all
//! annotations of an object together may hold at most 256 KiB.
//!
//! Sizes are decided with [`size_bound`], an upper bound that costs a walk
//! over the object's strings; only a policy whose bound is over the limit is
//! serialized to measure it exactly.

use crate::k8s::Operator;
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The largest object npc emits, in bytes of YAML or compact JSON.
pub const MAX_OBJECT_BYTES: usize = 128 * 1024;

/// Bytes counted for every string besides its own: the indentation, `- `,
/// `: `, quotes, the line break (YAML) or quotes, `:`, `,` and brackets
/// (JSON) that can come with it. A YAML line of npc's objects holds at most
/// one key and one scalar and is indented by at most 10 columns.
const PER_STRING: usize = 24;
/// Bytes counted for every number.
const PER_NUMBER: usize = PER_STRING + 11;
/// `---` between documents, and the braces of the outermost object.
const PER_OBJECT: usize = 32;

/// An upper bound of a string's size in YAML or JSON, with its punctuation:
/// printable ASCII other than `"`, `'` and `\` is written as it is (or
/// quoted); anything else may be escaped, at most 8 bytes per byte.
pub fn text(s: &str) -> usize {
    let simple = s.bytes().all(|b| AS_IT_IS[usize::from(b)]);
    s.len() * if simple { 1 } else { 8 } + PER_STRING
}

/// The bytes [`text`] counts once: one lookup each (every string of every
/// policy is measured).
const AS_IT_IS: [bool; 256] = crate::k8s::object::byte_set(&[(b' ', b'~')], b"\"'\\");

/// [`text`] of a field name: printable ASCII, so its length plus the
/// punctuation, without looking at its bytes.
fn key(name: &'static str) -> usize {
    debug_assert_eq!(name.len() + PER_STRING, text(name));
    name.len() + PER_STRING
}

fn selector(sel: &LabelSelector) -> usize {
    let mut n = 0;
    if let Some(labels) = &sel.match_labels {
        n += key("matchLabels") + labels.iter().map(|(k, v)| text(k) + text(v)).sum::<usize>();
    }
    if let Some(exprs) = &sel.match_expressions {
        n += key("matchExpressions") + exprs.iter().map(requirement).sum::<usize>();
    }
    n
}

fn requirement(r: &LabelSelectorRequirement) -> usize {
    key("key")
        + text(&r.key)
        + key("operator")
        + text(&r.operator)
        + r.values.as_ref().map_or(0, |v| {
            key("values") + v.iter().map(|s| text(s)).sum::<usize>()
        })
}

/// The size bound of one peer.
pub fn peer_bound(p: &NetworkPolicyPeer) -> usize {
    let mut n = 0;
    if let Some(b) = &p.ip_block {
        n += key("ipBlock") + key("cidr") + text(&b.cidr);
        if let Some(e) = &b.except {
            n += key("except") + e.iter().map(|s| text(s)).sum::<usize>();
        }
    }
    if let Some(s) = &p.namespace_selector {
        n += key("namespaceSelector") + selector(s);
    }
    if let Some(s) = &p.pod_selector {
        n += key("podSelector") + selector(s);
    }
    n
}

fn port(p: &NetworkPolicyPort) -> usize {
    let mut n = 0;
    match &p.port {
        Some(IntOrString::Int(_)) => n += key("port") + PER_NUMBER,
        Some(IntOrString::String(s)) => n += key("port") + text(s),
        None => {}
    }
    if p.end_port.is_some() {
        n += key("endPort") + PER_NUMBER;
    }
    if let Some(proto) = &p.protocol {
        n += key("protocol") + text(proto);
    }
    n
}

/// The size bound of a rule without its peers.
fn rule_frame(ports: Option<&[NetworkPolicyPort]>) -> usize {
    key("from") + ports.map_or(0, |ps| key("ports") + ps.iter().map(port).sum::<usize>())
}

/// The size bound of a policy without its rules: metadata, pod selector,
/// policy types, and the keys of the rule lists.
fn frame(p: &NetworkPolicy) -> usize {
    let mut n = PER_OBJECT
        + key("apiVersion")
        + key("networking.k8s.io/v1")
        + key("kind")
        + key("NetworkPolicy")
        + key("metadata")
        + key("spec")
        + key("ingress")
        + key("egress");
    let m = &p.metadata;
    for map in [&m.annotations, &m.labels].into_iter().flatten() {
        n += key("annotations") + map.iter().map(|(k, v)| text(k) + text(v)).sum::<usize>();
    }
    for s in [&m.name, &m.namespace].into_iter().flatten() {
        n += key("namespace") + text(s);
    }
    if let Some(spec) = &p.spec {
        if let Some(sel) = &spec.pod_selector {
            n += key("podSelector") + selector(sel);
        }
        if let Some(types) = &spec.policy_types {
            n += key("policyTypes") + types.iter().map(|t| text(t)).sum::<usize>();
        }
    }
    n
}

/// An upper bound of the policy's size as npc's YAML and as compact JSON.
pub fn size_bound(p: &NetworkPolicy) -> usize {
    let mut n = frame(p);
    if let Some(spec) = &p.spec {
        for r in spec.ingress.iter().flatten() {
            n += rule_frame(r.ports.as_deref())
                + r.from.iter().flatten().map(peer_bound).sum::<usize>();
        }
        for r in spec.egress.iter().flatten() {
            n += rule_frame(r.ports.as_deref())
                + r.to.iter().flatten().map(peer_bound).sum::<usize>();
        }
    }
    n
}

/// The exact size: the larger of npc's YAML and compact JSON.
pub fn exact_size(p: &NetworkPolicy) -> Result<usize, String> {
    let mut yaml = String::new();
    super::yaml::write_policy(&mut yaml, p)?;
    let json = serde_json::to_vec(p).map_err(|e| e.to_string())?;
    Ok(yaml.len().max(json.len()))
}

/// Whether a policy must be split.
pub fn too_large(p: &NetworkPolicy, limit: usize) -> Result<bool, String> {
    Ok(size_bound(p) > limit && exact_size(p)? > limit)
}

/// One rule of a part: the original rule's index and the peers it keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct RulePart {
    pub rule: usize,
    pub peers: Vec<NetworkPolicyPeer>,
}

/// The rules of one part, by direction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Part {
    pub ingress: Vec<RulePart>,
    pub egress: Vec<RulePart>,
}

/// A peer that alone does not fit in an object: it has no `In` list left
/// to divide. `rule` is its rule's index in `ingress` or `egress`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indivisible {
    pub bytes: usize,
    pub ingress: bool,
    pub rule: usize,
}

/// Divides the rules of `policy` into parts whose size bound stays within
/// `limit`, with the policy's metadata and a source annotation whose bound
/// is at most `annotation_bytes` (each part gets its own annotation).
pub fn split(
    policy: &NetworkPolicy,
    annotation_bytes: usize,
    limit: usize,
) -> Result<Vec<Part>, Indivisible> {
    let Some(spec) = &policy.spec else {
        return Ok(vec![Part::default()]);
    };
    // The frame without the annotation, and room for a `.NNN` suffix on
    // the name.
    let mut bare = policy.clone();
    bare.metadata.annotations = None;
    let fixed = frame(&bare) + text(crate::k8s::SOURCE_ANNOTATION) + annotation_bytes + 8;
    let budget = limit.saturating_sub(fixed);

    let ingress = spec
        .ingress
        .iter()
        .flatten()
        .map(|r| (rule_frame(r.ports.as_deref()), r.from.as_deref()));
    let egress = spec
        .egress
        .iter()
        .flatten()
        .map(|r| (rule_frame(r.ports.as_deref()), r.to.as_deref()));
    let mut parts = vec![Part::default()];
    let mut used = 0;
    for (ingress_side, rules) in [
        (true, ingress.collect::<Vec<_>>()),
        (false, egress.collect::<Vec<_>>()),
    ] {
        for (rule, (overhead, peers)) in rules.into_iter().enumerate() {
            let max_peer = budget.checked_sub(overhead).ok_or(Indivisible {
                bytes: fixed + overhead,
                ingress: ingress_side,
                rule,
            })?;
            // The rule is open in the current part after its first peer.
            let mut open = false;
            for peer in divided(peers.unwrap_or_default(), max_peer) {
                let mut bytes = peer_bound(&peer);
                if bytes > max_peer {
                    // The bound is loose; the peer may still fit alone.
                    let alone = alone(policy, ingress_side, rule, &peer);
                    let exact = exact_size(&alone).unwrap_or(usize::MAX);
                    if exact.saturating_add(annotation_bytes + 8) > limit {
                        return Err(Indivisible {
                            bytes: exact,
                            ingress: ingress_side,
                            rule,
                        });
                    }
                    bytes = budget.saturating_sub(overhead);
                }
                let mut cost = bytes + if open { 0 } else { overhead };
                if used + cost > budget {
                    parts.push(Part::default());
                    used = 0;
                    open = false;
                    cost = bytes + overhead;
                }
                let Some(part) = parts.last_mut() else {
                    continue;
                };
                let list = if ingress_side {
                    &mut part.ingress
                } else {
                    &mut part.egress
                };
                match list.last_mut() {
                    Some(last) if open && last.rule == rule => last.peers.push(peer),
                    _ => list.push(RulePart {
                        rule,
                        peers: vec![peer],
                    }),
                }
                used += cost;
                open = true;
            }
        }
    }
    Ok(parts)
}

/// The policy with one rule holding one peer, and no annotation.
fn alone(
    policy: &NetworkPolicy,
    ingress: bool,
    rule: usize,
    peer: &NetworkPolicyPeer,
) -> NetworkPolicy {
    let mut p = policy.clone();
    p.metadata.annotations = None;
    if let Some(spec) = &mut p.spec {
        let part = Part {
            ingress: if ingress {
                vec![RulePart {
                    rule,
                    peers: vec![peer.clone()],
                }]
            } else {
                Vec::new()
            },
            egress: if ingress {
                Vec::new()
            } else {
                vec![RulePart {
                    rule,
                    peers: vec![peer.clone()],
                }]
            },
        };
        spec.ingress = Some(ingress_rules(
            spec.ingress.as_deref().unwrap_or_default(),
            &part,
        ));
        spec.egress = Some(egress_rules(
            spec.egress.as_deref().unwrap_or_default(),
            &part,
        ));
    }
    p
}

/// The peers, each divided (by its `In` lists) until its bound is at most
/// `max`, where that is possible.
fn divided(peers: &[NetworkPolicyPeer], max: usize) -> Vec<NetworkPolicyPeer> {
    let mut out = Vec::new();
    let mut todo: Vec<NetworkPolicyPeer> = peers.iter().rev().cloned().collect();
    while let Some(peer) = todo.pop() {
        if peer_bound(&peer) <= max {
            out.push(peer);
            continue;
        }
        match halve(&peer) {
            Some((a, b)) => {
                todo.push(b);
                todo.push(a);
            }
            None => out.push(peer),
        }
    }
    out
}
/// A peer as two peers whose union is the peer: the longest `In` list of its
/// namespace or pod selector divided in two. `None` without such a list.
fn halve(peer: &NetworkPolicyPeer) -> Option<(NetworkPolicyPeer, NetworkPolicyPeer)> {
    let longest = |sel: &Option<LabelSelector>| -> Option<(usize, usize)> {
        sel.as_ref()?
            .match_expressions
            .as_ref()?
            .iter()
            .enumerate()
            .filter(|(_, r)| r.operator == Operator::In.as_str())
            .map(|(i, r)| (i, r.values.as_ref().map_or(0, Vec::len)))
            .filter(|(_, len)| *len >= 2)
            .max_by_key(|(_, len)| *len)
    };
    let in_ns = longest(&peer.namespace_selector);
    let in_pods = longest(&peer.pod_selector);
    let use_ns = match (in_ns, in_pods) {
        (Some((_, a)), Some((_, b))) => a >= b,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => return None,
    };
    let (index, len) = if use_ns { in_ns? } else { in_pods? };
    let mut first = peer.clone();
    let mut second = peer.clone();
    for (half, range) in [(&mut first, 0..len / 2), (&mut second, len / 2..len)] {
        let sel = if use_ns {
            half.namespace_selector.as_mut()?
        } else {
            half.pod_selector.as_mut()?
        };
        let req = sel.match_expressions.as_mut()?.get_mut(index)?;
        let values = req.values.as_mut()?;
        *values = values.get(range)?.to_vec();
    }
    Some((first, second))
}

/// The ingress rules of a part, rebuilt from the original rules.
pub fn ingress_rules(
    original: &[NetworkPolicyIngressRule],
    part: &Part,
) -> Vec<NetworkPolicyIngressRule> {
    part.ingress
        .iter()
        .filter_map(|r| {
            original.get(r.rule).map(|o| NetworkPolicyIngressRule {
                from: Some(r.peers.clone()),
                ports: o.ports.clone(),
            })
        })
        .collect()
}

/// The egress rules of a part, rebuilt from the original rules.
pub fn egress_rules(
    original: &[NetworkPolicyEgressRule],
    part: &Part,
) -> Vec<NetworkPolicyEgressRule> {
    part.egress
        .iter()
        .filter_map(|r| {
            original.get(r.rule).map(|o| NetworkPolicyEgressRule {
                to: Some(r.peers.clone()),
                ports: o.ports.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_counts_printable_ascii_once_and_anything_else_eight_times() {
        assert_eq!(text(""), PER_STRING);
        assert_eq!(text("app.kubernetes.io/name"), 22 + PER_STRING);
        assert_eq!(text(" ~"), 2 + PER_STRING);
        for s in ["a\"b", "a'b", "a\\b", "a\tb", "a\u{7f}b", "é"] {
            assert_eq!(text(s), s.len() * 8 + PER_STRING, "{s:?}");
        }
    }
}
