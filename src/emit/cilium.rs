//! Emission of DNS names for Cilium (`set cni = cilium`): per managed,
//! egress-isolated namespace, one `cilium.io/v2` CiliumNetworkPolicy per
//! source pod set that an `allow` sends to DNS names, beside the namespace's
//! NetworkPolicies (Cilium enforces both, as a union).
//!
//! Each object selects the source pods (`endpointSelector`, in the policy's
//! namespace) and holds, in order:
//! 1. Cilium's DNS rule: egress to every `dns` endpoint on 53, UDP and TCP,
//!    with `rules: {dns: [{matchPattern: "*"}]}`, which sends the pods'
//!    lookups through Cilium's DNS proxy: Cilium learns a name's addresses
//!    only from the answers the proxy sees. Pod endpoints are `toEndpoints`,
//!    addresses (a node-local cache) `toCIDRSet`. Written even where the
//!    namespace says `no dns`: names cannot work without it. The ports are
//!    written per protocol, as the namespace's `allow-dns` NetworkPolicy
//!    writes them, so that Cilium merges the two allows on the same
//!    (port, protocol) keys: the one with the DNS rule redirects to the
//!    proxy, which lets every lookup through.
//! 2. One rule per set of ports: `toFQDNs` (`matchName`, `matchPattern`)
//!    with `toPorts` (none: every port).
//!
//! Objects are named like the NetworkPolicy of the same pods
//! (`NAME-PREFIX` + the workload's policy name): a different kind, so no
//! clash, and the name depends only on the pods selected.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};

use super::{naming, source_list, PolicyOrigins};
use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::ir::{
    Cni, Dns, ManagedNamespace, NamespaceSelector, Origin, OriginKind, Peer, PortNumber, Ports,
    Program, Selector,
};
use crate::k8s::cilium::{
    self, CidrRule, CiliumNetworkPolicy, DnsRule, EgressRule, FqdnSelector, L7Rules, PortProtocol,
    PortRule, Spec,
};
use crate::k8s::Direction;
use crate::k8s::{
    names, DnsName, Operator, Protocol, MANAGED_BY_LABEL, MANAGED_BY_VALUE, NAMESPACE_NAME_LABEL,
    SOURCE_ANNOTATION,
};
use crate::source::{SourceMap, Span};

/// The most ports one `toPorts` entry may list (the CRD's `maxItems`).
pub const MAX_PORTS: usize = 40;

/// The CiliumNetworkPolicies of one namespace, with their origins.
#[derive(Debug, Default)]
pub struct EmittedCilium {
    /// Sorted by name.
    pub policies: Vec<CiliumNetworkPolicy>,
    /// Per policy name: the origins of each egress rule.
    pub provenance: BTreeMap<String, PolicyOrigins>,
    pub diagnostics: Diagnostics,
}

/// The names a set of source pods is allowed to reach, by ports.
#[derive(Default)]
struct Reach<'p> {
    by_ports: BTreeMap<&'p Ports, (BTreeSet<&'p DnsName>, BTreeSet<Origin>)>,
}

/// The CiliumNetworkPolicies of one managed namespace: none unless the
/// program says `set cni = cilium` and the namespace isolates egress.
pub fn emit_namespace(
    program: &Program,
    ns: &ManagedNamespace,
    sources: &SourceMap,
) -> EmittedCilium {
    let mut out = EmittedCilium::default();
    if program.settings.cni != Cni::Cilium || !ns.isolation.egress {
        return out;
    }
    let mut by_pods: BTreeMap<&Selector, Reach<'_>> = BTreeMap::new();
    for rule in &program.rules {
        if rule.origin.kind != OriginKind::Allow || !rule.sides.egress {
            continue;
        }
        if !rule.destinations.iter().any(|(d, _)| d.is_name()) {
            continue;
        }
        for src in &rule.sources {
            let Peer::Pods { namespaces, pods } = src else {
                continue;
            };
            if !namespaces.covers(&ns.name, &ns.labels) || !ns.may_isolate(Direction::Egress, pods)
            {
                continue;
            }
            let reach = by_pods.entry(pods).or_default();
            for (dst, ports) in &rule.destinations {
                if let Peer::Name(name) = dst {
                    let entry = reach.by_ports.entry(ports).or_default();
                    entry.0.insert(name);
                    entry.1.insert(rule.origin);
                }
            }
        }
    }
    let mut first_span: BTreeMap<String, Span> = BTreeMap::new();
    // With `isolate egress only ...`, one policy per pod set the pods meet,
    // selecting the pods AND the set, named with the set's suffix (§7.1).
    let wl = &program.settings.workload_label;
    let mut targets: Vec<(String, Selector, &Reach<'_>)> = Vec::new();
    for (pods, reach) in &by_pods {
        let base = naming::workload_policy_name(pods, wl);
        if !ns.limited(Direction::Egress) {
            targets.push((base, (*pods).clone(), reach));
            continue;
        }
        for set in ns.sets(Direction::Egress) {
            if let Some(selected) = crate::layout::within(pods, &set.pods) {
                let suffix = naming::set_suffix(set, wl);
                targets.push((format!("{base}-{suffix}"), selected, reach));
            }
        }
    }
    for (base, pods, reach) in targets {
        let pods = &pods;
        let name = format!("{}{base}", program.settings.name_prefix);
        let origins: BTreeSet<Origin> = reach
            .by_ports
            .values()
            .flat_map(|(_, o)| o.iter().copied())
            .collect();
        let at = origins.iter().next().map_or(ns.span, |o| o.span);
        if let Err(why) = names::policy_name(&name) {
            out.diagnostics.push(
                Diagnostic::new(
                    codes::INVALID_POLICY_NAME,
                    at,
                    format!("the policy name `{name}` is not valid"),
                )
                .with_primary(why)
                .with_help("shorten `name-prefix`"),
            );
            continue;
        }
        if let Some(first) = first_span.get(&name) {
            out.diagnostics.push(
                Diagnostic::new(
                    codes::INVALID_POLICY_NAME,
                    at,
                    format!("two CiliumNetworkPolicies in `{}` would be named `{name}`", ns.name),
                )
                .with_primary("the pods of this statement get a policy of that name")
                .with_secondary(*first, "and so do the pods of this one")
                .with_help("select the pods with labels whose policy names differ: names are made of the labels (`tier-web-8abe9e93` for `{tier=web}`), so a workload named like that meets the label set"),
            );
            continue;
        }
        first_span.insert(name.clone(), at);
        let (policy, policy_origins) = policy(program, ns, &name, pods, reach, sources);
        let size = serde_json::to_string(&policy).map_or(usize::MAX, |s| s.len());
        if size > super::split::MAX_OBJECT_BYTES {
            out.diagnostics.push(
                Diagnostic::new(
                    codes::POLICY_TOO_LARGE,
                    at,
                    format!(
                        "the CiliumNetworkPolicy `{name}` in `{}` would be larger than {} KiB",
                        ns.name,
                        super::split::MAX_OBJECT_BYTES / 1024
                    ),
                )
                .with_primary("these pods reach too many DNS names")
                .with_help("group the names with patterns (`*.example.com`), or split the pods into workloads of their own"),
            );
            continue;
        }
        out.provenance.insert(name, policy_origins);
        out.policies.push(policy);
    }
    out.policies.sort_by(|a, b| a.name().cmp(b.name()));
    out
}

fn policy(
    program: &Program,
    ns: &ManagedNamespace,
    name: &str,
    pods: &Selector,
    reach: &Reach<'_>,
    sources: &SourceMap,
) -> (CiliumNetworkPolicy, PolicyOrigins) {
    let mut egress = Vec::new();
    let mut origins = PolicyOrigins::default();
    let name_origins: BTreeSet<Origin> = reach
        .by_ports
        .values()
        .flat_map(|(_, o)| o.iter().copied())
        .collect();
    // The DNS rule exists because of the names; its `dns` statement too.
    let mut dns_origins: Vec<Origin> = name_origins
        .iter()
        .map(|o| Origin {
            kind: OriginKind::Dns,
            span: o.span,
        })
        .collect();
    if let Dns::Servers {
        span: Some(span), ..
    } = &program.dns
    {
        dns_origins.push(Origin {
            kind: OriginKind::Dns,
            span: *span,
        });
    }
    for rule in dns_rules(&program.dns) {
        egress.push(rule);
        origins.egress.push(dns_origins.clone());
    }
    for (ports, (names, rule_origins)) in &reach.by_ports {
        let fqdns = names
            .iter()
            .map(|n| {
                if n.is_pattern() {
                    FqdnSelector {
                        match_name: None,
                        match_pattern: Some(n.as_str().to_string()),
                    }
                } else {
                    FqdnSelector {
                        match_name: Some(n.as_str().to_string()),
                        match_pattern: None,
                    }
                }
            })
            .collect();
        egress.push(EgressRule {
            to_fqdns: Some(fqdns),
            to_ports: port_rules(ports, None),
            ..EgressRule::default()
        });
        origins.egress.push(rule_origins.iter().copied().collect());
    }
    let all: BTreeSet<Origin> = origins.egress.iter().flatten().copied().collect();
    origins.policy = all.iter().copied().collect();
    let spans: Vec<Span> = all.iter().map(|o| o.span).collect();
    let metadata = ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(ns.name.clone()),
        labels: Some(BTreeMap::from([(
            MANAGED_BY_LABEL.to_string(),
            MANAGED_BY_VALUE.to_string(),
        )])),
        annotations: Some(BTreeMap::from([(
            SOURCE_ANNOTATION.to_string(),
            source_lines(sources, &spans),
        )])),
        ..ObjectMeta::default()
    };
    let spec = Spec {
        egress,
        endpoint_selector: pods.to_api(),
    };
    (CiliumNetworkPolicy::new(metadata, spec), origins)
}

/// Cilium's DNS rule toward the `dns` endpoints: one rule for the pods
/// (`toEndpoints`), one for the addresses (`toCIDRSet`), which Cilium does
/// not allow in one rule.
pub fn dns_rules(dns: &Dns) -> Vec<EgressRule> {
    let Dns::Servers { peers, .. } = dns else {
        return Vec::new();
    };
    let dns_ports = || {
        Some(vec![PortRule {
            ports: [Protocol::Udp, Protocol::Tcp]
                .iter()
                .map(|p| PortProtocol {
                    end_port: None,
                    port: "53".to_string(),
                    protocol: p.as_str().to_string(),
                })
                .collect(),
            rules: Some(L7Rules {
                dns: vec![DnsRule {
                    match_name: None,
                    match_pattern: Some("*".to_string()),
                }],
            }),
        }])
    };
    let endpoints: Vec<LabelSelector> = peers
        .iter()
        .filter_map(|p| match p {
            Peer::Pods { namespaces, pods } => Some(endpoint_selector(namespaces, pods)),
            _ => None,
        })
        .collect();
    let cidrs: Vec<CidrRule> = peers
        .iter()
        .filter_map(|p| match p {
            Peer::Ip(block) => Some(CidrRule {
                cidr: block.cidr.to_string(),
                except: (!block.except.is_empty())
                    .then(|| block.except.iter().map(ToString::to_string).collect()),
            }),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    if !endpoints.is_empty() {
        out.push(EgressRule {
            to_endpoints: Some(endpoints),
            to_ports: dns_ports(),
            ..EgressRule::default()
        });
    }
    if !cidrs.is_empty() {
        out.push(EgressRule {
            to_cidr_set: Some(cidrs),
            to_ports: dns_ports(),
            ..EgressRule::default()
        });
    }
    out
}

/// A pod peer as a Cilium endpoint selector: the namespace by name
/// (`k8s:io.kubernetes.pod.namespace`), or by its labels
/// (`k8s:io.cilium.k8s.namespace.labels.KEY`) together with the namespace
/// key `Exists` (without a namespace key, Cilium limits a peer to the
/// policy's own namespace); the pod labels with their `k8s:` source.
pub fn endpoint_selector(namespaces: &NamespaceSelector, pods: &Selector) -> LabelSelector {
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    let mut expressions: Vec<LabelSelectorRequirement> = Vec::new();
    let requirement =
        |key: String, op: Operator, values: &BTreeSet<String>| LabelSelectorRequirement {
            key,
            operator: op.as_str().to_string(),
            values: op.takes_values().then(|| values.iter().cloned().collect()),
        };
    match namespaces {
        NamespaceSelector::Named(n) => {
            labels.insert(cilium::POD_NAMESPACE_LABEL.to_string(), n.clone());
        }
        NamespaceSelector::Matching(sel) => {
            let key = |k: &str| {
                if k == NAMESPACE_NAME_LABEL {
                    cilium::POD_NAMESPACE_LABEL.to_string()
                } else {
                    cilium::namespace_label_key(k)
                }
            };
            for (k, v) in &sel.match_labels {
                labels.insert(key(k), v.clone());
            }
            for r in &sel.expressions {
                expressions.push(requirement(key(&r.key), r.operator, &r.values));
            }
            let names_namespace = sel.match_labels.contains_key(NAMESPACE_NAME_LABEL)
                || sel
                    .expressions
                    .iter()
                    .any(|r| r.key == NAMESPACE_NAME_LABEL);
            if !names_namespace {
                expressions.push(requirement(
                    cilium::POD_NAMESPACE_LABEL.to_string(),
                    Operator::Exists,
                    &BTreeSet::new(),
                ));
            }
        }
    }
    for (k, v) in &pods.match_labels {
        labels.insert(format!("{}{k}", cilium::K8S_SOURCE), v.clone());
    }
    for r in &pods.expressions {
        expressions.push(requirement(
            format!("{}{}", cilium::K8S_SOURCE, r.key),
            r.operator,
            &r.values,
        ));
    }
    expressions.sort_by(|a, b| (&a.key, &a.operator).cmp(&(&b.key, &b.operator)));
    LabelSelector {
        match_labels: (!labels.is_empty()).then_some(labels),
        match_expressions: (!expressions.is_empty()).then_some(expressions),
    }
}

/// Ports as `toPorts`: `None` for every port; at most [`MAX_PORTS`] ports
/// per entry. `rules` go with every entry.
fn port_rules(ports: &Ports, rules: Option<L7Rules>) -> Option<Vec<PortRule>> {
    let Ports::Only(set) = ports else {
        return None;
    };
    let list: Vec<PortProtocol> = set
        .iter()
        .filter_map(|p| {
            let (port, end_port) = match p.number {
                PortNumber::Single(n) => (n, None),
                PortNumber::Range(a, b) => (a, Some(i32::from(b))),
                // Refused by resolution (E054).
                PortNumber::Named(_) => return None,
            };
            Some(PortProtocol {
                end_port,
                port: port.to_string(),
                protocol: p.protocol.as_str().to_string(),
            })
        })
        .collect();
    Some(
        list.chunks(MAX_PORTS)
            .map(|chunk| PortRule {
                ports: chunk.to_vec(),
                rules: rules.clone(),
            })
            .collect(),
    )
}

/// The source annotation of an object fed by these spans.
fn source_lines(sources: &SourceMap, spans: &[Span]) -> String {
    let mut lines: BTreeSet<(crate::source::FileId, usize)> = BTreeSet::new();
    for s in spans {
        if let Some(f) = sources.get(s.file) {
            lines.insert((s.file, f.line_of(s.start())));
        }
    }
    let named: Vec<(&str, usize)> = lines
        .iter()
        .filter_map(|(file, line)| sources.get(*file).map(|f| (f.name.as_str(), *line)))
        .collect();
    source_list(&named)
}

/// W024 for every `allow` toward DNS names from pods whose egress npc does
/// not isolate (they reach the name already; a CiliumNetworkPolicy would
/// isolate them). Not for an `allow` that produces nothing at all (W002
/// says so).
pub fn warnings(program: &Program) -> Diagnostics {
    let mut diags = Diagnostics::default();
    if program.settings.cni != Cni::Cilium {
        return diags;
    }
    let isolated = |namespaces: &NamespaceSelector, pods: &Selector| {
        program.namespaces.values().any(|ns| {
            ns.may_isolate(Direction::Egress, pods) && namespaces.covers(&ns.name, &ns.labels)
        })
    };
    for rule in &program.rules {
        if rule.origin.kind != OriginKind::Allow {
            continue;
        }
        let Some(name) = rule.destinations.iter().find_map(|(d, _)| match d {
            Peer::Name(n) => Some(n),
            _ => None,
        }) else {
            continue;
        };
        let open: Vec<&Peer> = rule
            .sources
            .iter()
            .filter(|s| matches!(s, Peer::Pods { namespaces, pods } if !isolated(namespaces, pods)))
            .collect();
        let nothing_else = rule.destinations.iter().all(|(d, _)| d.is_name())
            && rule.sources.iter().all(
                |s| matches!(s, Peer::Pods { namespaces, pods } if !isolated(namespaces, pods)),
            );
        if open.is_empty() || nothing_else {
            continue;
        }
        let wl = &program.settings.workload_label;
        let list: Vec<String> = open
            .iter()
            .map(|p| format!("`{}`", crate::verify::describe::peer(p, wl)))
            .collect();
        diags.push(
            Diagnostic::new(
                codes::NAME_SOURCE_OPEN,
                rule.origin.span,
                if open.len() == 1 {
                    format!("{} reaches `{name}` already: its egress is not isolated", list.join(", "))
                } else {
                    format!("{} reach `{name}` already: their egress is not isolated", list.join(", "))
                },
            )
            .with_primary("no CiliumNetworkPolicy for these sources")
            .with_note("npc writes a CiliumNetworkPolicy only for pods whose egress it isolates: one would put the pods in default-deny egress, which the program did not ask for")
            .with_help("declare the sources' namespace (`namespace NAME`) to isolate its egress and allow only these names, or remove them from this `allow`"),
        );
    }
    diags
}
