//! Checks against a cluster inventory: `expect` lines between real pods
//! (E029) and label hygiene (W006 endpoints that match no pod, W007
//! namespace labels that differ from the declaration, W008 host-network
//! pods, W009 named ports no destination declares).

use std::collections::BTreeSet;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use super::describe;
use super::expect::Checker;
use super::inventory::{ClusterPod, Inventory};
use super::trace::Tracer;
use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::emit::Provenance;
use crate::eval::{Endpoint, PolicySet};
use crate::ir::{Dns, NamespaceSelector, OriginKind, Peer, PortNumber, Ports, Program, Selector};
use crate::k8s::cluster_policy::ClusterObject;
use crate::regions::representative::{address, peer_covers, Kind, Representative};
use crate::source::{SourceMap, Span};

/// The pods (or the address) an endpoint stands for in the cluster. Pods on
/// the host network are left out: no policy applies to them (W008).
pub fn endpoints(peer: &Peer, inventory: &Inventory) -> Vec<Representative> {
    match peer {
        Peer::Pods { .. } => inventory
            .pods
            .iter()
            .filter(|p| !p.host_network && peer_covers(peer, &Endpoint::Pod(p.pod.clone())))
            .map(pod_representative)
            .collect(),
        Peer::Ip(block) => address(block)
            .map(|ip| Representative {
                kind: Kind::Address,
                endpoint: Endpoint::Ip(ip),
            })
            .into_iter()
            .collect(),
        Peer::Name(name) => vec![crate::regions::representative::name_representative(name)],
    }
}

/// A representative at each address of `positions` (itself when none).
fn placed(r: Representative, positions: &[std::net::IpAddr]) -> Vec<Representative> {
    if positions.is_empty() || !matches!(r.endpoint, Endpoint::Pod(_)) {
        return vec![r];
    }
    positions
        .iter()
        .map(|a| {
            let mut copy = r.clone();
            if let Endpoint::Pod(p) = &mut copy.endpoint {
                p.address = Some(*a);
            }
            copy
        })
        .collect()
}

/// A pod of the inventory as an endpoint.
pub fn pod_representative(p: &ClusterPod) -> Representative {
    Representative {
        kind: Kind::Inventory(p.key()),
        endpoint: Endpoint::Pod(p.pod.clone()),
    }
}

fn matching<'i>(peer: &Peer, inventory: &'i Inventory) -> Vec<&'i ClusterPod> {
    inventory
        .pods
        .iter()
        .filter(|p| peer_covers(peer, &Endpoint::Pod(p.pod.clone())))
        .collect()
}

/// Every pod peer the program names, with the statement it appears in.
fn named_peers(program: &Program) -> Vec<(Span, Peer)> {
    let mut out = Vec::new();
    for r in &program.rules {
        if r.origin.kind != OriginKind::Allow {
            continue;
        }
        out.extend(r.sources.iter().map(|p| (r.origin.span, p.clone())));
        out.extend(
            r.destinations
                .iter()
                .map(|(p, _)| (r.origin.span, p.clone())),
        );
    }
    for s in &program.scrapes {
        out.extend(s.sources.iter().map(|p| (s.span, p.clone())));
        out.push((
            s.span,
            Peer::Pods {
                namespaces: NamespaceSelector::Matching(Selector::default()),
                pods: s.pods.clone(),
            },
        ));
    }
    if let Dns::Servers {
        peers,
        span: Some(span),
    } = &program.dns
    {
        out.extend(peers.iter().map(|p| (*span, p.clone())));
    }
    for e in &program.expectations {
        out.extend(e.sources.iter().map(|p| (e.span, p.clone())));
        out.extend(e.destinations.iter().map(|p| (e.span, p.clone())));
    }
    out
}

/// Runs every inventory check.
pub fn check(
    program: &Program,
    policies: &[NetworkPolicy],
    cilium: &[crate::k8s::cilium::CiliumNetworkPolicy],
    provenance: &Provenance,
    sources: &SourceMap,
    inventory: &Inventory,
) -> Diagnostics {
    check_with(
        program,
        policies,
        &[],
        cilium,
        provenance,
        sources,
        inventory,
    )
}

/// [`check`] with the program's cluster-scoped objects. The inventory's
/// pods have no known address: where cluster policies have `networks`, a
/// destination pod is checked at every position relative to them.
pub fn check_with(
    program: &Program,
    policies: &[NetworkPolicy],
    cluster: &[ClusterObject],
    cilium: &[crate::k8s::cilium::CiliumNetworkPolicy],
    provenance: &Provenance,
    sources: &SourceMap,
    inventory: &Inventory,
) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let set = PolicySet::from_slice(policies).and_then(|mut set| {
        set.add_cluster(cluster)?;
        set.extend_cilium(cilium)?;
        Ok(set)
    });
    let mut index = crate::regions::Index::default();
    index.add_cluster(cluster);
    let positions = index.pod_positions();
    if let Ok(set) = set {
        let checker = Checker {
            set: &set,
            tracer: Tracer {
                program,
                provenance,
                sources,
            },
        };
        for e in &program.expectations {
            let srcs: Vec<_> = e
                .sources
                .iter()
                .flat_map(|p| endpoints(p, inventory))
                .collect();
            let dsts: Vec<_> = e
                .destinations
                .iter()
                .flat_map(|p| endpoints(p, inventory))
                .flat_map(|r| placed(r, &positions))
                .collect();
            if let Some(d) = checker.check(e, &srcs, &dsts) {
                diags.push(d.with_note("checked against the pods of the inventory"));
            }
        }
    }
    let workload = &program.settings.workload_label;
    let mut seen = BTreeSet::new();
    for (span, peer) in named_peers(program) {
        if !matches!(peer, Peer::Pods { .. }) || !matching(&peer, inventory).is_empty() {
            continue;
        }
        let text = describe::peer(&peer, workload);
        if !seen.insert((span, text.clone())) {
            continue;
        }
        diags.push(
            Diagnostic::new(
                codes::SELECTS_NO_POD,
                span,
                format!("`{text}` matches no pod in the inventory"),
            )
            .with_primary("matches no pod")
            .with_note("a selector that matches no pod allows nothing; a typo or a renamed label silently breaks the connection")
            .with_help(format!(
                "check the labels of the pods this should select (`kubectl get pods -n NAMESPACE --show-labels`); the workload label is `{workload}`"
            )),
        );
    }
    namespace_labels(program, inventory, &mut diags);
    host_network(program, inventory, &mut diags);
    named_ports(program, inventory, &mut diags);
    diags
}

/// W007: declared namespace labels against the cluster's.
fn namespace_labels(program: &Program, inventory: &Inventory, diags: &mut Diagnostics) {
    let selectors: BTreeSet<Selector> = named_peers(program)
        .into_iter()
        .filter_map(|(_, p)| match p {
            Peer::Pods {
                namespaces: NamespaceSelector::Matching(sel),
                ..
            } if !sel.is_empty() => Some(sel),
            _ => None,
        })
        .collect();
    for ns in program.namespaces.values() {
        let Some(actual) = inventory.namespaces.get(&ns.name) else {
            continue;
        };
        let mut notes = Vec::new();
        for (k, v) in &ns.labels {
            match actual.get(k) {
                Some(a) if a == v => {}
                Some(a) => notes.push(format!("declared `{k}={v}`, the cluster has `{k}={a}`")),
                None => notes.push(format!(
                    "declared `{k}={v}`, the cluster has no `{k}` label"
                )),
            }
        }
        for sel in &selectors {
            let (declared, real) = (sel.matches(&ns.labels), sel.matches(actual));
            if declared != real {
                notes.push(format!(
                    "`{}` {} it in the cluster, but not as declared",
                    sel,
                    if real { "covers" } else { "does not cover" }
                ));
            }
        }
        if notes.is_empty() {
            continue;
        }
        let real: Vec<String> = actual
            .iter()
            .filter(|(k, _)| k.as_str() != crate::k8s::NAMESPACE_NAME_LABEL)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut d = Diagnostic::new(
            codes::NAMESPACE_LABELS_DIFFER,
            ns.span,
            format!(
                "the labels of namespace `{}` differ from the cluster",
                ns.name
            ),
        )
        .with_primary("declared here");
        for n in notes {
            d = d.with_note(n);
        }
        diags.push(d.with_help(format!(
            "declare the cluster's labels: `namespace {} labels {{{}}}`",
            ns.name,
            real.join(", ")
        )));
    }
}

/// W008: host-network pods in managed namespaces.
fn host_network(program: &Program, inventory: &Inventory, diags: &mut Diagnostics) {
    for ns in program.namespaces.values() {
        let pods: Vec<String> = inventory
            .pods
            .iter()
            .filter(|p| p.host_network && p.pod.namespace == ns.name)
            .map(|p| format!("`{}`", p.key()))
            .collect();
        if pods.is_empty() {
            continue;
        }
        diags.push(
            Diagnostic::new(
                codes::HOST_NETWORK_POD,
                ns.span,
                format!(
                    "{} in `{}` {} the host network, which NetworkPolicy does not apply to",
                    pods.join(", "),
                    ns.name,
                    if pods.len() == 1 { "uses" } else { "use" }
                ),
            )
            .with_primary("not isolated for these pods")
            .with_note("a hostNetwork pod shares the node's network namespace: policies neither select it nor match it as a peer, so it bypasses this namespace's isolation")
            .with_help("run the workload without `hostNetwork: true`, or move it to a namespace npc does not manage and reach it by address (ipBlock)"),
        );
    }
}

/// W009: named ports that no destination pod declares.
fn named_ports(program: &Program, inventory: &Inventory, diags: &mut Diagnostics) {
    let mut targets: Vec<(Span, Peer, &Ports)> = Vec::new();
    for r in &program.rules {
        if r.origin.kind == OriginKind::Allow {
            targets.extend(
                r.destinations
                    .iter()
                    .map(|(p, ports)| (r.origin.span, p.clone(), ports)),
            );
        }
    }
    for s in &program.scrapes {
        let peer = Peer::Pods {
            namespaces: NamespaceSelector::Matching(Selector::default()),
            pods: s.pods.clone(),
        };
        targets.push((s.span, peer, &s.ports));
    }
    let mut seen = BTreeSet::new();
    for (span, peer, ports) in targets {
        let Ports::Only(list) = ports else { continue };
        let pods = matching(&peer, inventory);
        if pods.is_empty() {
            continue;
        }
        for p in list {
            let PortNumber::Named(name) = &p.number else {
                continue;
            };
            let proto = p.protocol;
            if pods
                .iter()
                .any(|pod| pod.pod.resolve_port(name, proto).is_some())
            {
                continue;
            }
            if !seen.insert((span, name.clone(), proto)) {
                continue;
            }
            let names: Vec<String> = pods
                .iter()
                .take(5)
                .map(|p| format!("`{}`", p.key()))
                .collect();
            diags.push(
                Diagnostic::new(
                    codes::UNDECLARED_NAMED_PORT,
                    span,
                    format!(
                        "no pod of `{}` declares a {proto} container port named `{name}`",
                        describe::peer(&peer, &program.settings.workload_label)
                    ),
                )
                .with_primary("this named port allows nothing")
                .with_note(format!(
                    "a named port resolves against the destination pod's container ports; checked {}{}",
                    names.join(", "),
                    if pods.len() > 5 { format!(" and {} more", pods.len() - 5) } else { String::new() }
                ))
                .with_help(format!(
                    "name the container port `{name}` in the pod template, or write the port number"
                )),
            );
        }
    }
}
