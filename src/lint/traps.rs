//! Traps in how a rule is written: the AND/OR indentation trap (L002),
//! port 53 without a protocol (L006), allow-alls hidden in a rule (L009),
//! and half of the world (L010).

use k8s_openapi::api::networking::v1::NetworkPolicyPort;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{list, Context, Item, Rule, SubjectOf};
use crate::analyze::{peer_text, selector_text};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::{Direction, PeerKind, RuleView};
use crate::k8s::Cidr;
use crate::manifest::written::{self, RawRule};

/// L002: two peers where one was likely meant.
pub const AND_OR_TRAP: Rule = Rule::new(
    "L002",
    "and-or-trap",
    "two peers where one was likely meant",
    "a lone `namespaceSelector` and a lone `podSelector` where one peer was meant (the AND/OR trap)",
);

/// L006: port 53 without a protocol.
pub const DNS_PORT_WITHOUT_PROTOCOL: Rule = Rule::new(
    "L006",
    "dns-port-without-protocol",
    "port 53 without a protocol",
    "port 53 without `protocol` (TCP only)",
);

/// L009: rule allows more than it seems to.
pub const HIDDEN_ALLOW_ALL: Rule = Rule::new(
    "L009",
    "hidden-allow-all",
    "rule allows more than it seems to",
    "an allow-all hidden in a rule: `from: []`, ports that slipped into a rule of their own, `namespaceSelector: {}`",
);

/// L010: all of one IP family but none of the other.
pub const HALF_WORLD: Rule = Rule::new(
    "L010",
    "half-world",
    "all of one IP family but none of the other",
    "`0.0.0.0/0` without `::/0`, or the reverse",
);

fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(|e| e.is_empty())
}

pub fn check(cx: &Context<'_>, out: &mut Diagnostics) {
    for item in cx.items() {
        let rules = written::rules(item.policy);
        let mut previous: Option<&RawRule<'_>> = None;
        for rule in &rules {
            and_or(cx, &item, rule, out);
            dns_port(&item, rule, out);
            let before = previous.filter(|p| p.direction == rule.direction);
            hidden_allow_all(&item, rule, before, out);
            half_world(&item, rule, out);
            previous = Some(rule);
        }
    }
}

/// L002: `- namespaceSelector: A` and `- podSelector: B` as two peers, when
/// the pods B selects run only in namespaces A selects and not in the
/// policy's own namespace, where a lone podSelector applies.
fn and_or(cx: &Context<'_>, item: &Item<'_>, rule: &RawRule<'_>, out: &mut Diagnostics) {
    let Some(peers) = rule.peers else { return };
    let lone_ns: Vec<usize> = (0..peers.len())
        .filter(|&k| {
            peers[k].namespace_selector.is_some()
                && peers[k].pod_selector.is_none()
                && peers[k].ip_block.is_none()
        })
        .collect();
    let lone_pods: Vec<usize> = (0..peers.len())
        .filter(|&k| {
            peers[k].pod_selector.is_some()
                && peers[k].namespace_selector.is_none()
                && peers[k].ip_block.is_none()
        })
        .collect();
    if lone_ns.is_empty() || lone_pods.is_empty() {
        return;
    }
    let view = item.view;
    let rules = view.rules(rule.direction);
    let Some(rule_view) = rules.get(rule.index) else {
        return;
    };
    let peer_views = rule_view.peers();
    let namespace = view.namespace();
    let workloads: Vec<&super::Subject> = cx
        .subjects
        .iter()
        .filter(|s| matches!(s.of, SubjectOf::Workload(_)))
        .collect();
    for &p in &lone_pods {
        let Some(pod_peer) = peer_views.get(p) else {
            continue;
        };
        // As written, the podSelector matches pods of the policy's namespace only.
        if workloads.iter().any(|s| pod_peer.matches(&s.endpoint)) {
            continue;
        }
        for &n in &lone_ns {
            let Some(ns_peer) = peer_views.get(n) else {
                continue;
            };
            let elsewhere: Vec<String> = workloads
                .iter()
                .filter(|s| {
                    s.pod.namespace != namespace
                        && ns_peer.matches_namespace(&s.pod.namespace, &s.pod.namespace_labels)
                            == Some(true)
                        && pod_peer.matches_pod_labels(&s.pod.labels) == Some(true)
                })
                .map(|s| cx.name(s.of))
                .collect();
            if elsewhere.is_empty() {
                continue;
            }
            let pods = match pod_peer.kind() {
                PeerKind::Pods { pods, .. } => selector_text(pods),
                PeerKind::Ip(_) | PeerKind::Name(_) => continue,
            };
            let namespaces = match ns_peer.kind() {
                PeerKind::Pods {
                    namespaces: Some(namespaces),
                    ..
                } => selector_text(namespaces),
                _ => continue,
            };
            let field = rule.field();
            let d = Diagnostic::new(
                AND_OR_TRAP.code,
                item.field(&rule.peer_path(p)),
                format!("`{field}` has a lone `namespaceSelector` and a lone `podSelector`: two peers (OR), not one (AND)"),
            )
            .with_primary("a separate peer: pods of this policy's namespace only")
            .with_secondary(item.field(&rule.peer_path(n)), "a separate peer: every pod of these namespaces")
            .with_note(format!(
                "pods matching `{pods}` run only in namespaces that `{namespaces}` matches ({}), never in `{namespace}`, where a podSelector without namespaceSelector applies",
                list(&elsewhere, 4)
            ))
            .with_note(format!("as written, the rule admits every pod of those namespaces, not only the `{pods}` ones"))
            .with_help("to mean these pods in these namespaces, write one peer: remove the `-` before `podSelector` so that it belongs to the same item as `namespaceSelector`");
            out.push(d);
        }
    }
}

/// Whether a ports entry covers TCP (no protocol given) or UDP port 53.
fn covers_53(port: &NetworkPolicyPort) -> bool {
    match &port.port {
        Some(IntOrString::Int(p)) => {
            let end = port.end_port.unwrap_or(*p);
            *p <= 53 && 53 <= end
        }
        _ => false,
    }
}

/// L006: `port: 53` without `protocol` (TCP) and no UDP 53 in the rule.
fn dns_port(item: &Item<'_>, rule: &RawRule<'_>, out: &mut Diagnostics) {
    let Some(ports) = rule.ports else { return };
    let udp = ports
        .iter()
        .any(|p| p.protocol.as_deref() == Some("UDP") && (covers_53(p) || p.port.is_none()));
    if udp {
        return;
    }
    for (k, port) in ports.iter().enumerate() {
        if port.protocol.is_none() && covers_53(port) {
            let d = Diagnostic::new(
                DNS_PORT_WITHOUT_PROTOCOL.code,
                item.field(&format!("{}.ports[{k}]", rule.path())),
                "port 53 without `protocol` is TCP only: DNS over UDP stays blocked",
            )
            .with_primary("TCP 53 only")
            .with_help("write both: `{port: 53, protocol: UDP}` and `{port: 53, protocol: TCP}`");
            out.push(d);
        }
    }
}

/// L009: an empty `from`/`to` list (every peer, not none); `ports` in a
/// rule of their own right after a rule with peers and no ports (the
/// indentation slip that opens those ports to everyone); a peer
/// `namespaceSelector: {}` with no pod selector (every pod of the cluster).
fn hidden_allow_all(
    item: &Item<'_>,
    rule: &RawRule<'_>,
    previous: Option<&RawRule<'_>>,
    out: &mut Diagnostics,
) {
    let field = rule.field();
    let everyone = match rule.direction {
        Direction::Ingress => "every source, pod or address",
        Direction::Egress => "every destination, pod or address",
    };
    match rule.peers {
        Some(peers) if peers.is_empty() => {
            let span = item.field(&format!("{}.{field}", rule.path()));
            out.push(
                Diagnostic::new(HIDDEN_ALLOW_ALL.code, span, format!("an empty `{field}` list allows {everyone}, not none"))
                    .with_primary(format!("`{field}: []` matches everything"))
                    .with_help(format!("to allow nothing, delete the rule; to allow everyone, delete `{field}` so that it says so")),
            );
        }
        None => {
            let slip = rule.ports.is_some_and(|p| !p.is_empty())
                && previous
                    .is_some_and(|p| p.peers.is_some_and(|x| !x.is_empty()) && p.ports.is_none());
            if let (true, Some(previous)) = (slip, previous) {
                let span = item.field(&format!("{}.ports", rule.path()));
                out.push(
                    Diagnostic::new(
                        HIDDEN_ALLOW_ALL.code,
                        span,
                        format!("these `ports` form a rule of their own, open to {everyone}"),
                    )
                    .with_primary(format!("a rule without `{field}`"))
                    .with_secondary(item.field(&previous.path()), "the rule before has peers but no ports, so it allows every port")
                    .with_note("a `- ` before `ports` starts a new rule")
                    .with_help(format!("if these ports belong to the rule before, remove the `- ` before `ports` and indent it like `{field}`")),
                );
            }
        }
        Some(peers) => {
            let rules = item.view.rules(rule.direction);
            let compiled = rules
                .get(rule.index)
                .map(RuleView::peers)
                .unwrap_or_default();
            for (k, peer) in peers.iter().enumerate() {
                let cluster = peer.namespace_selector.as_ref().is_some_and(is_empty)
                    && peer.pod_selector.as_ref().is_none_or(is_empty);
                let Some(compiled) = compiled.get(k) else {
                    continue;
                };
                if cluster {
                    let namespace = item.policy.namespace();
                    out.push(
                        Diagnostic::new(
                            HIDDEN_ALLOW_ALL.code,
                            item.field(&rule.peer_path(k)),
                            format!("`namespaceSelector: {{}}` matches every namespace: this peer is every pod of the cluster (`{}`)", peer_text(compiled.kind(), namespace)),
                        )
                        .with_primary("every pod of every namespace")
                        .with_help("if that is meant, keep it; otherwise add a label to `namespaceSelector` or a `podSelector` in the same item"),
                    );
                }
            }
        }
    }
}

/// L010: `0.0.0.0/0` without `::/0` in the same rule, or the reverse.
fn half_world(item: &Item<'_>, rule: &RawRule<'_>, out: &mut Diagnostics) {
    let Some(peers) = rule.peers else { return };
    let everything = |v4: bool| {
        peers.iter().position(|p| {
            p.ip_block
                .as_ref()
                .and_then(|b| Cidr::parse_lenient(&b.cidr).ok())
                .is_some_and(|c| c.is_everything() && c.is_ipv4() == v4)
        })
    };
    let (v4, v6) = (everything(true), everything(false));
    let (k, has, lacks) = match (v4, v6) {
        (Some(k), None) => (k, "IPv4", "::/0"),
        (None, Some(k)) => (k, "IPv6", "0.0.0.0/0"),
        _ => return,
    };
    let other = if has == "IPv4" { "IPv6" } else { "IPv4" };
    out.push(
        Diagnostic::new(
            HALF_WORLD.code,
            item.field(&rule.peer_path(k)),
            format!("this peer allows every {has} address but the rule allows no {other} address"),
        )
        .with_primary(format!("all of {has}"))
        .with_help(format!("on a dual-stack cluster add a peer `ipBlock: {{cidr: {lacks}}}` to the same rule; on a single-stack cluster, allow L010")),
    );
}
