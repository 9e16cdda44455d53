//! CiliumNetworkPolicy objects read for evaluation, into the same compiled
//! form as NetworkPolicies, so that a pod selected by both is governed by the
//! union of their rules, as Cilium enforces it.
//!
//! What is modelled is what npc writes: `endpointSelector` on pod labels
//! (Cilium adds the policy's namespace), `egress` rules with `toEndpoints`,
//! `toCIDRSet` or `toFQDNs`, on `toPorts`, and DNS rules (`rules: {dns:
//! [...]}`; npc writes `{matchPattern: "*"}`): they decide which lookups
//! Cilium's proxy answers, and narrow no connection. A policy with egress rules isolates the
//! egress of the pods it selects, as a NetworkPolicy with `Egress` does.
//! Anything else (ingress, deny rules, other peers, other layer 7 rules,
//! named ports) is refused as not modelled rather than read as something
//! it is not.
//!
//! Selectors are read as Cilium reads them: `k8s:io.kubernetes.pod.namespace`
//! is the pod's namespace name, `k8s:io.cilium.k8s.namespace.labels.KEY` the
//! label `KEY` of the pod's namespace, any other key (with `k8s:` or `any:`,
//! or without a source) a pod label; a peer selector without a namespace key
//! selects pods of the policy's own namespace only.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::networking::v1::NetworkPolicyPort;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::error::ErrorSink;
use super::policy::{CompiledPolicy, NamespaceScope, Peer, Peers, PolicyKind, Rule};
use super::ports::RulePorts;
use super::selector::Selector;
use crate::k8s::cilium::{self, CiliumNetworkPolicy, PortProtocol, SplitSelector};
use crate::k8s::{Cidr, DnsName, IpBlock, NAMESPACE_NAME_LABEL};

impl CompiledPolicy {
    /// A CiliumNetworkPolicy as npc writes it; what it does not model is
    /// reported.
    pub(crate) fn compile_cilium(
        policy: &CiliumNetworkPolicy,
        sink: &mut ErrorSink<'_>,
    ) -> Option<CompiledPolicy> {
        let before = sink.errors.len();
        let namespace = policy.namespace().to_string();
        let name = policy.name().to_string();
        if namespace.is_empty() {
            sink.report("metadata.namespace", "a policy needs a namespace");
        }
        if name.is_empty() {
            sink.report("metadata.name", "a policy needs a name");
        }
        if policy.api_version != cilium::API_VERSION || policy.kind != cilium::KIND {
            sink.report(
                "kind",
                format!(
                    "`{}/{}` is not `{}/{}`",
                    policy.api_version,
                    policy.kind,
                    cilium::API_VERSION,
                    cilium::KIND
                ),
            );
        }
        let pod_selector = endpoint_selector(&policy.spec.endpoint_selector, sink);
        let egress: Vec<Rule> = policy
            .spec
            .egress
            .iter()
            .enumerate()
            .map(|(i, rule)| egress_rule(rule, &namespace, &format!("spec.egress[{i}]"), sink))
            .collect();
        (sink.errors.len() == before).then_some(CompiledPolicy {
            kind: PolicyKind::Cilium,
            namespace,
            name,
            pod_selector: Arc::new(pod_selector),
            ingress: None,
            // A policy without egress rules isolates nothing (npc writes none).
            egress: (!egress.is_empty()).then_some(egress),
            dns_rules: dns_rules(policy),
        })
    }
}

/// The pods of the policy's namespace that `endpointSelector` selects.
fn endpoint_selector(sel: &LabelSelector, sink: &mut ErrorSink<'_>) -> Selector {
    let path = "spec.endpointSelector";
    let parts = split(sel, path, sink);
    if !parts.namespace_is_empty() {
        sink.report(
            path,
            "a namespace key in `endpointSelector` is not modelled (the policy's namespace applies)",
        );
    }
    compile(&parts.pods, path, sink)
}

fn egress_rule(
    rule: &cilium::EgressRule,
    namespace: &str,
    path: &str,
    sink: &mut ErrorSink<'_>,
) -> Rule {
    let kinds = [
        rule.to_endpoints.is_some(),
        rule.to_cidr_set.is_some(),
        rule.to_fqdns.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() > 1 {
        sink.report(
            path,
            "`toEndpoints`, `toCIDRSet` and `toFQDNs` are exclusive in one rule",
        );
    }
    let mut peers = Vec::new();
    let mut any_peer_field = false;
    if let Some(list) = &rule.to_endpoints {
        any_peer_field = true;
        for (i, sel) in list.iter().enumerate() {
            let here = format!("{path}.toEndpoints[{i}]");
            let parts = split(sel, &here, sink);
            let pods = compile(&parts.pods, &here, sink);
            let namespaces = if parts.names_namespace {
                NamespaceScope::Matching(Arc::new(compile(&parts.namespace, &here, sink)))
            } else if parts.namespace_is_empty() {
                NamespaceScope::Own
            } else {
                // Namespace labels, in the policy's own namespace.
                let mut own = parts.namespace.clone();
                own.match_labels
                    .get_or_insert_with(BTreeMap::new)
                    .insert(NAMESPACE_NAME_LABEL.to_string(), namespace.to_string());
                NamespaceScope::Matching(Arc::new(compile(&own, &here, sink)))
            };
            peers.push(Peer::Pods {
                namespaces,
                pods: Arc::new(pods),
            });
        }
    }
    if let Some(list) = &rule.to_cidr_set {
        any_peer_field = true;
        for (i, entry) in list.iter().enumerate() {
            let here = format!("{path}.toCIDRSet[{i}]");
            let cidr = match Cidr::parse_lenient(&entry.cidr) {
                Ok(c) => c,
                Err(message) => {
                    sink.report(format!("{here}.cidr"), message);
                    continue;
                }
            };
            let mut except = Vec::new();
            for (j, text) in entry.except.iter().flatten().enumerate() {
                match Cidr::parse_lenient(text) {
                    Ok(e) if cidr.strictly_contains(e) => except.push(e),
                    Ok(_) => sink.report(
                        format!("{here}.except[{j}]"),
                        format!("`{text}` is not strictly inside `{}`", entry.cidr),
                    ),
                    Err(message) => sink.report(format!("{here}.except[{j}]"), message),
                }
            }
            peers.push(Peer::Ip(IpBlock { cidr, except }));
        }
    }
    if let Some(list) = &rule.to_fqdns {
        any_peer_field = true;
        for (i, entry) in list.iter().enumerate() {
            let here = format!("{path}.toFQDNs[{i}]");
            let text = match (&entry.match_name, &entry.match_pattern) {
                (Some(n), None) => n.as_str(),
                (None, Some(p)) if p.starts_with("*.") => p.as_str(),
                (None, Some(_)) => {
                    sink.report(
                        format!("{here}.matchPattern"),
                        "only a leading `*.` (one label) is modelled",
                    );
                    continue;
                }
                _ => {
                    sink.report(&here, "exactly one of `matchName` and `matchPattern`");
                    continue;
                }
            };
            match DnsName::parse(text) {
                Ok(name) if name.is_pattern() == entry.match_pattern.is_some() => {
                    peers.push(Peer::Name(name));
                }
                Ok(_) => sink.report(&here, format!("`{text}` is not a name")),
                Err(why) => sink.report(&here, why.0),
            }
        }
    }
    let ports = Arc::new(port_rules(rule, path, sink));
    Rule {
        // No peer field: every peer (Cilium reads a rule with `toPorts`
        // alone as a wildcard), as `to` is missing in a NetworkPolicy.
        peers: if any_peer_field {
            Peers::List(peers)
        } else {
            Peers::All
        },
        ports,
    }
}

/// The texts of the policy's DNS rules, in lower case without a trailing
/// dot (the compiled rules check their form).
fn dns_rules(policy: &CiliumNetworkPolicy) -> Vec<String> {
    let mut out: Vec<String> = policy
        .spec
        .egress
        .iter()
        .flat_map(|r| r.to_ports.iter().flatten())
        .flat_map(|p| p.rules.iter().flat_map(|l7| &l7.dns))
        .filter_map(|d| d.match_name.as_deref().or(d.match_pattern.as_deref()))
        .map(|text| text.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether a DNS rule's text (`matchName`, or `matchPattern` where `*`
/// alone matches every name and elsewhere stands for any characters but a
/// dot) matches `name`; both in lower case without a trailing dot.
pub(crate) fn dns_rule_matches(rule: &str, name: &str) -> bool {
    if rule == "*" {
        return true;
    }
    match rule.split_once('*') {
        None => rule == name,
        Some((head, tail)) => {
            let Some(rest) = name.strip_prefix(head) else {
                return false;
            };
            // `*` takes no dot: try every split within the first label.
            (0..=rest.len())
                .take_while(|&i| i == 0 || rest.get(..i).is_some_and(|p| !p.contains('.')))
                .any(|i| rest.get(i..).is_some_and(|r| dns_rule_matches(tail, r)))
        }
    }
}

/// `toPorts` as NetworkPolicy ports; the DNS rule npc writes narrows no
/// connection, any other layer 7 rule is not modelled.
fn port_rules(rule: &cilium::EgressRule, path: &str, sink: &mut ErrorSink<'_>) -> RulePorts {
    let Some(list) = &rule.to_ports else {
        return RulePorts::compile(None, path, sink);
    };
    let mut ports = Vec::new();
    for (i, port_rule) in list.iter().enumerate() {
        let here = format!("{path}.toPorts[{i}]");
        if let Some(l7) = &port_rule.rules {
            // A DNS rule sends lookups through Cilium's proxy, which
            // answers those it does not allow with an error: the
            // connection to port 53 itself is allowed either way.
            let well_formed = l7.dns.iter().all(|d| {
                matches!(
                    (d.match_name.as_deref(), d.match_pattern.as_deref()),
                    (Some(n), None) | (None, Some(n)) if !n.is_empty()
                )
            });
            if l7.dns.is_empty() || !well_formed {
                sink.report(
                    format!("{here}.rules"),
                    "a DNS rule is a list of entries with one of `matchName` and `matchPattern`",
                );
            }
        }
        if port_rule.ports.is_empty() {
            // Cilium reads a port rule without ports as every port.
            return RulePorts::compile(None, path, sink);
        }
        for (j, p) in port_rule.ports.iter().enumerate() {
            ports.extend(port(p, &format!("{here}.ports[{j}]"), sink));
        }
    }
    RulePorts::compile(Some(&ports), path, sink)
}

/// One Cilium port entry as NetworkPolicy ports (`ANY` is three).
fn port(p: &PortProtocol, path: &str, sink: &mut ErrorSink<'_>) -> Vec<NetworkPolicyPort> {
    let protocols: &[&str] = match p.protocol.as_str() {
        "TCP" => &["TCP"],
        "UDP" => &["UDP"],
        "SCTP" => &["SCTP"],
        "ANY" | "" => &["TCP", "UDP", "SCTP"],
        other => {
            sink.report(
                format!("{path}.protocol"),
                format!("the protocol `{other}` is not modelled"),
            );
            return Vec::new();
        }
    };
    let number = match p.port.parse::<u16>() {
        Ok(n) => n,
        Err(_) => {
            sink.report(
                format!("{path}.port"),
                format!(
                    "`{}` is not a port number (named ports are not modelled)",
                    p.port
                ),
            );
            return Vec::new();
        }
    };
    protocols
        .iter()
        .map(|protocol| NetworkPolicyPort {
            // Port 0: every port of the protocol.
            port: (number != 0).then_some(IntOrString::Int(i32::from(number))),
            end_port: p.end_port,
            protocol: Some((*protocol).to_string()),
        })
        .collect()
}

/// A Cilium selector split into its pod part and its namespace part; a key
/// of another source is reported (and the parts are then empty: the policy
/// is refused anyway).
fn split(sel: &LabelSelector, path: &str, sink: &mut ErrorSink<'_>) -> SplitSelector {
    cilium::split_selector(sel).unwrap_or_else(|key| {
        sink.report(path, format!("the label `{key}` is not modelled"));
        SplitSelector::default()
    })
}

fn compile(sel: &LabelSelector, path: &str, sink: &mut ErrorSink<'_>) -> Selector {
    super::selector::compile(sel, path, sink)
}

#[cfg(test)]
mod tests {
    use super::dns_rule_matches as glob;

    #[test]
    fn dns_rules_match_as_cilium_reads_them() {
        assert!(glob("*", "api.stripe.com"));
        assert!(glob("*.stripe.com", "api.stripe.com"));
        assert!(!glob("*.stripe.com", "a.b.stripe.com"));
        assert!(!glob("*.stripe.com", "stripe.com"));
        assert!(glob("api.stripe.com", "api.stripe.com"));
        assert!(glob("api*.example.com", "api-v2.example.com"));
        assert!(!glob("api.stripe.com", "api.stripe.co"));
    }

    use super::super::{Endpoint, Pod, PolicySet, Protocol};
    use crate::k8s::cilium::CiliumNetworkPolicy;
    use crate::k8s::DnsName;

    fn set(yaml: &str) -> PolicySet {
        let policy: CiliumNetworkPolicy = serde_yaml::from_str(yaml).unwrap();
        let mut set = PolicySet::default();
        set.extend_cilium(&[policy]).unwrap();
        set
    }

    fn name(n: &str, ip: &str) -> Endpoint {
        Endpoint::Name {
            name: DnsName::parse(n).unwrap(),
            address: ip.parse().unwrap(),
        }
    }

    const POLICY: &str = r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: pay}
spec:
  endpointSelector: {matchLabels: {app: api}}
  egress:
  - toEndpoints:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}
    toPorts:
    - ports: [{port: "53", protocol: UDP}, {port: "53", protocol: TCP}]
      rules: {dns: [{matchPattern: "*"}]}
  - toFQDNs: [{matchName: api.stripe.com}, {matchPattern: "*.s3.amazonaws.com"}]
    toPorts:
    - ports: [{port: "443", protocol: TCP}]
  - toEndpoints:
    - matchLabels: {k8s:io.cilium.k8s.namespace.labels.team: ops}
      matchExpressions: [{key: k8s:io.kubernetes.pod.namespace, operator: Exists}]
  - toEndpoints: [{matchLabels: {app: db}}]
  - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}]
    toPorts: [{ports: [{port: "8000", endPort: 8100, protocol: ANY}]}]
"#;

    #[test]
    fn cilium_rules_are_evaluated_as_cilium_reads_them() {
        let set = set(POLICY);
        let api = Endpoint::Pod(Pod::new("pay", [("app", "api")]));
        let allowed =
            |dst: &Endpoint, p: Protocol, port: u16| set.evaluate(&api, dst, p, port).allowed;
        // Names and patterns (one label), on their ports.
        assert!(allowed(
            &name("api.stripe.com", "192.0.2.1"),
            Protocol::Tcp,
            443
        ));
        assert!(!allowed(
            &name("api.stripe.com", "192.0.2.1"),
            Protocol::Tcp,
            80
        ));
        assert!(allowed(
            &name("x.s3.amazonaws.com", "192.0.2.1"),
            Protocol::Tcp,
            443
        ));
        assert!(!allowed(
            &name("a.x.s3.amazonaws.com", "192.0.2.1"),
            Protocol::Tcp,
            443
        ));
        // An address is not a name.
        assert!(!allowed(
            &Endpoint::Ip("192.0.2.1".parse().unwrap()),
            Protocol::Tcp,
            443
        ));
        // DNS on both protocols.
        let dns = Endpoint::Pod(Pod::new("kube-system", [("k8s-app", "kube-dns")]));
        assert!(allowed(&dns, Protocol::Udp, 53));
        assert!(allowed(&dns, Protocol::Tcp, 53));
        assert!(!allowed(&dns, Protocol::Tcp, 54));
        // Namespace labels, any namespace.
        let mut ops = Pod::new("tools", [("x", "y")]);
        ops.namespace_labels.insert("team".into(), "ops".into());
        assert!(allowed(&Endpoint::Pod(ops), Protocol::Udp, 9));
        // A selector without a namespace: the policy's own namespace.
        assert!(allowed(
            &Endpoint::Pod(Pod::new("pay", [("app", "db")])),
            Protocol::Tcp,
            5432
        ));
        assert!(!allowed(
            &Endpoint::Pod(Pod::new("web", [("app", "db")])),
            Protocol::Tcp,
            5432
        ));
        // CIDR sets match addresses, of names too; `ANY` is every protocol.
        assert!(allowed(
            &name("api.example.com", "10.2.0.1"),
            Protocol::Sctp,
            8050
        ));
        assert!(!allowed(
            &name("api.example.com", "10.1.0.1"),
            Protocol::Tcp,
            8050
        ));
        assert!(allowed(
            &Endpoint::Ip("10.2.0.1".parse().unwrap()),
            Protocol::Udp,
            8100
        ));
        // Egress of other pods is not isolated.
        let web = Endpoint::Pod(Pod::new("pay", [("app", "web")]));
        assert!(
            set.evaluate(&web, &name("a.b.com", "192.0.2.1"), Protocol::Tcp, 1)
                .allowed
        );
        let id = set.egress_policies(&Pod::new("pay", [("app", "api")]))[0];
        assert_eq!(
            set.name(id).map(|n| n.to_string()).as_deref(),
            Some("pay/api (CiliumNetworkPolicy)")
        );
    }

    #[test]
    fn a_dns_rule_of_some_names_allows_the_port() {
        let yaml = POLICY.replace(r#"matchPattern: "*"}]}"#, r#"matchName: api.stripe.com}]}"#);
        let policy: CiliumNetworkPolicy = serde_yaml::from_str(&yaml).unwrap();
        let mut set = PolicySet::default();
        set.extend_cilium(&[policy]).unwrap();
        let mut dns = Pod::new("kube-system", [("k8s-app", "kube-dns")]);
        dns.namespace_labels
            .insert("kubernetes.io/metadata.name".into(), "kube-system".into());
        let api = Endpoint::Pod(Pod::new("pay", [("app", "api")]));
        let verdict = set.evaluate(&api, &Endpoint::Pod(dns), Protocol::Udp, 53);
        assert!(verdict.allowed);
    }

    #[test]
    fn what_is_not_modelled_is_refused() {
        for (field, yaml) in [
            ("rules", POLICY.replace(r#"matchPattern: "*"}]}"#, r#"matchName: ""}]}"#)),
            ("reserved", POLICY.replace("k8s-app: kube-dns", "reserved:host: \"\"")),
            ("port", POLICY.replace(r#"port: "443""#, r#"port: "https""#)),
            ("matchPattern", POLICY.replace("*.s3.amazonaws.com", "s3*.amazonaws.com")),
            ("exclusive", POLICY.replace("- toEndpoints: [{matchLabels: {app: db}}]", "- toEndpoints: [{matchLabels: {app: db}}]\n    toCIDRSet: [{cidr: 10.0.0.0/8}]")),
        ] {
            let policy: CiliumNetworkPolicy = serde_yaml::from_str(&yaml).unwrap();
            let mut set = PolicySet::default();
            let err = set.extend_cilium(&[policy]).unwrap_err().to_string();
            assert!(!err.is_empty(), "{field}");
            assert!(set.is_empty(), "{field}");
        }
    }
}
