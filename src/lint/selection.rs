//! What policies select, checked against the input's workloads: a policy
//! that selects none (L003), a peer that matches none (L004), a named port
//! no destination declares (L005), and policies or peers aimed at
//! host-network pods (L007).
//!
//! L003–L005 need workloads to judge by: L003 is reported only in
//! namespaces with workloads, L004 and L005 only when the input has some.

use super::{list, Context, Item, Rule, SubjectOf};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::{Direction, Endpoint, PeerKind, Pod, PortEntry};
use crate::k8s::{Operator, Selector, NAMESPACE_NAME_LABEL};
use crate::source::Span;

/// L003: policy selects no workload.
pub const POLICY_SELECTS_NOTHING: Rule = Rule::new(
    "L003",
    "policy-selects-nothing",
    "policy selects no workload",
    "a policy that selects no workload of its namespace",
);

/// L004: peer matches no workload.
pub const PEER_SELECTS_NOTHING: Rule = Rule::new(
    "L004",
    "peer-selects-nothing",
    "peer matches no workload",
    "a peer that matches no workload",
);

/// L005: named port no destination declares.
pub const UNDECLARED_PORT_NAME: Rule = Rule::new(
    "L005",
    "undeclared-port-name",
    "named port no destination declares",
    "a named port that no destination declares",
);

/// L007: policy aimed at host-network pods.
pub const HOST_NETWORK_TARGET: Rule = Rule::new(
    "L007",
    "host-network-target",
    "policy aimed at host-network pods",
    "a policy or peer aimed at host-network pods",
);

pub fn check(cx: &Context<'_>, explained: &[Span], out: &mut Diagnostics) {
    for item in cx.items() {
        let (view, policy) = (item.view, item.policy);
        let selected: Vec<&Pod> = cx
            .subjects
            .iter()
            .filter(|s| matches!(s.of, SubjectOf::Workload(_)) && view.selects(&s.pod))
            .map(|s| &s.pod)
            .collect();
        let host_selected: Vec<&super::HostPod> = cx
            .host
            .iter()
            .filter(|h| h.endpoint.pod().is_some_and(|pod| view.selects(pod)))
            .collect();

        // L003
        let namespace_has_workloads = cx
            .manifests
            .workloads
            .iter()
            .any(|w| w.id.namespace == view.namespace());
        if selected.is_empty() && host_selected.is_empty() && namespace_has_workloads {
            let here: Vec<String> = cx
                .manifests
                .workloads
                .iter()
                .filter(|w| w.id.namespace == view.namespace())
                .map(|w| format!("`{}`", w.id))
                .collect();
            out.push(
                Diagnostic::new(
                    POLICY_SELECTS_NOTHING.code,
                    item.field("spec.podSelector"),
                    format!("`{}` selects no workload of the input", policy.key()),
                )
                .with_primary("matches no pod template")
                .with_note(format!("workloads in `{}`: {}", view.namespace(), list(&here, 6)))
                .with_help("compare the selector with the labels of the pod templates; a policy that selects no pod isolates nothing and allows nothing"),
            );
        }

        // L007: a policy whose own selector singles out host-network pods.
        let first_host = host_selected.first().and_then(|h| {
            let shape = cx.manifests.workload(h.workload)?.shapes.get(h.shape)?;
            Some(
                shape
                    .origin
                    .field(&format!("{}.hostNetwork", shape.spec_path)),
            )
        });
        if let (Some(flag), false) = (first_host, view.pod_selector().is_empty()) {
            let names: Vec<String> = host_selected
                .iter()
                .filter_map(|h| cx.manifests.workload(h.workload))
                .map(|w| format!("`{}`", w.id))
                .collect();
            out.push(
                Diagnostic::new(
                    HOST_NETWORK_TARGET.code,
                    item.field("spec.podSelector"),
                    format!("`{}` selects pods on the host network, which NetworkPolicy does not apply to", policy.key()),
                )
                .with_primary(format!("selects {}", list(&names, 4)))
                .with_secondary(flag, "this workload uses the node's network")
                .with_help("restrict such pods by other means (node firewall, the CNI's host policies), or run them without `hostNetwork`"),
            );
        }

        peers(cx, &item, explained, out);
        named_ports(cx, &item, &selected, out);
    }
}

/// The namespaces a `namespaceSelector` names by `kubernetes.io/metadata.name`.
fn by_name(selector: &Selector) -> Vec<String> {
    let mut names: Vec<String> = selector
        .match_labels
        .get(NAMESPACE_NAME_LABEL)
        .into_iter()
        .cloned()
        .collect();
    for e in &selector.expressions {
        if e.key == NAMESPACE_NAME_LABEL && e.operator == Operator::In {
            names.extend(e.values.iter().cloned());
        }
    }
    names
}

/// L004 and the peer half of L007.
///
/// A peer is judged only where the input can judge it: not when it names
/// namespaces the input lacks, not when it is a DNS peer and the input has
/// no DNS server, not in namespaces without workloads in the input.
fn peers(cx: &Context<'_>, item: &Item<'_>, explained: &[Span], out: &mut Diagnostics) {
    let dns = Endpoint::Pod(super::dns::stand_in(cx));
    let rules = [Direction::Ingress, Direction::Egress]
        .into_iter()
        .flat_map(|d| item.view.rules(d));
    for rule in rules {
        for peer in rule.peers() {
            let PeerKind::Pods {
                namespaces: namespace_selector,
                pods,
            } = peer.kind()
            else {
                continue;
            };
            let field = match rule.direction() {
                Direction::Ingress => "from",
                Direction::Egress => "to",
            };
            let path = format!("{}.{field}[{}]", rule.path(), peer.index());
            let matches_workload = cx
                .subjects
                .iter()
                .any(|s| matches!(s.of, SubjectOf::Workload(_)) && peer.matches(&s.endpoint));
            let host: Vec<String> = cx
                .host
                .iter()
                .filter(|h| peer.matches(&h.endpoint))
                .filter_map(|h| cx.manifests.workload(h.workload))
                .map(|w| format!("`{}`", w.id))
                .collect();
            let specific = !pods.is_empty();
            if !host.is_empty() && specific {
                out.push(
                    Diagnostic::new(
                        HOST_NETWORK_TARGET.code,
                        item.field(&path),
                        "this peer matches pods on the host network, whose traffic carries the node's address",
                    )
                    .with_primary(format!("matches {}", list(&host, 4)))
                    .with_note("NetworkPolicy never matches host-network pods as peers: their connections come from, and go to, node addresses")
                    .with_help("allow the nodes' addresses with an `ipBlock` instead"),
                );
                continue;
            }
            if matches_workload || !host.is_empty() || !cx.has_workloads() {
                continue;
            }
            let span = item.field(&path);
            let named = namespace_selector.map(by_name).unwrap_or_default();
            let outside = named.iter().any(|n| cx.manifests.namespace(n).is_none());
            if explained.contains(&span) || outside || peer.matches(&dns) {
                continue;
            }
            let namespaces: Vec<&crate::manifest::Namespace> = cx
                .manifests
                .namespaces
                .iter()
                .filter(|n| peer.matches_namespace(&n.name, &n.labels) == Some(true))
                .collect();
            let populated = namespaces.iter().any(|n| {
                cx.manifests
                    .workloads
                    .iter()
                    .any(|w| w.id.namespace == n.name)
            });
            if !namespaces.is_empty() && !populated {
                continue;
            }
            let d = if namespaces.is_empty() {
                let uses_name =
                    namespace_selector.is_some_and(|s| s.match_labels.contains_key("name"));
                let mut d = Diagnostic::new(
                    PEER_SELECTS_NOTHING.code,
                    item.field(&path),
                    "this peer's `namespaceSelector` matches no namespace of the input",
                )
                .with_primary("no namespace has these labels")
                .with_note("if the namespace is not part of this input, allow L004 or lint it together with its Namespace object")
                .with_help("select a namespace by name with the label every namespace carries: `kubernetes.io/metadata.name: NAME`");
                if uses_name {
                    d = d.with_note("namespaces carry `kubernetes.io/metadata.name`, not `name`, unless someone labelled them");
                }
                d
            } else {
                let names: Vec<String> =
                    namespaces.iter().map(|n| format!("`{}`", n.name)).collect();
                Diagnostic::new(
                    PEER_SELECTS_NOTHING.code,
                    item.field(&path),
                    "this peer matches no workload of the input",
                )
                .with_primary("no pod template has these labels")
                .with_note(format!("namespaces it selects: {}", list(&names, 6)))
                .with_help("compare the selector with the labels of the pod templates; as written, the rule allows nothing from these peers")
            };
            out.push(d);
        }
    }
}

/// L005: a named port that no destination of its rule declares.
fn named_ports(cx: &Context<'_>, item: &Item<'_>, selected: &[&Pod], out: &mut Diagnostics) {
    if !cx.has_workloads() {
        return;
    }
    let rules = [Direction::Ingress, Direction::Egress]
        .into_iter()
        .flat_map(|d| item.view.rules(d));
    for rule in rules {
        let Some(ports) = rule.port_entries() else {
            continue;
        };
        let destinations: Vec<&Pod> = match rule.direction() {
            Direction::Ingress => selected.to_vec(),
            Direction::Egress => cx
                .subjects
                .iter()
                .filter(|s| matches!(s.of, SubjectOf::Workload(_)) && rule.matches(&s.endpoint))
                .map(|s| &s.pod)
                .collect(),
        };
        if destinations.is_empty() {
            continue;
        }
        for (k, port) in ports.iter().enumerate() {
            let PortEntry::Named(protocol, name) = port else {
                continue;
            };
            let protocol = *protocol;
            if destinations
                .iter()
                .any(|d| d.resolve_port(name, protocol).is_some())
            {
                continue;
            }
            let mut declared: Vec<String> = destinations
                .iter()
                .flat_map(|d| {
                    d.ports
                        .iter()
                        .map(|p| format!("`{}` ({} {})", p.name, p.protocol, p.number))
                })
                .collect();
            declared.sort();
            declared.dedup();
            let note = if declared.is_empty() {
                "its destinations declare no named port".to_owned()
            } else {
                format!("its destinations declare {}", list(&declared, 6))
            };
            out.push(
                Diagnostic::new(
                    UNDECLARED_PORT_NAME.code,
                    item.field(&format!("{}.ports[{k}]", rule.path())),
                    format!("no destination of this rule declares the {protocol} port `{name}`"),
                )
                .with_primary("resolves to no port")
                .with_note(note)
                .with_help(format!("name the container port `{name}` (with protocol {protocol}) in the pod templates, or write its number")),
            );
        }
    }
}
