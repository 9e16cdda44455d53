//! One NetworkPolicy compiled for evaluation: selectors, rules, peers, isolation.

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};

use std::sync::Arc;

use super::endpoint::{Endpoint, Pod};
use super::error::ErrorSink;
use super::ports::RulePorts;
use super::selector::Selector;
use crate::k8s::{Cidr, DnsName, IpBlock};

/// Which namespaces a pod peer reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NamespaceScope {
    /// No `namespaceSelector`: the policy's own namespace.
    Own,
    /// A `namespaceSelector` (empty: every namespace); shared with the
    /// equal selectors of the same set (see `PolicySet::push`).
    Matching(Arc<Selector>),
}

/// One item of `from`/`to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    Pods {
        namespaces: NamespaceScope,
        /// `podSelector`, or everything when absent; shared like the
        /// namespace selector.
        pods: Arc<Selector>,
    },
    Ip(IpBlock),
    /// A CiliumNetworkPolicy's `toFQDNs` entry: a name or a pattern.
    Name(DnsName),
}

/// The API kind a policy was read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKind {
    /// `networking.k8s.io/v1` NetworkPolicy.
    #[default]
    NetworkPolicy,
    /// `cilium.io/v2` CiliumNetworkPolicy (egress only, as npc writes it).
    Cilium,
}

impl PolicyKind {
    /// The object's `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => "NetworkPolicy",
            PolicyKind::Cilium => crate::k8s::cilium::KIND,
        }
    }
}

/// A rule's peers: `All` for a missing or empty `from`/`to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Peers {
    All,
    List(Vec<Peer>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    pub peers: Peers,
    /// Shared with the equal port lists of the same set (see `PolicySet::push`).
    pub ports: Arc<RulePorts>,
}

/// The rules of one direction of an isolating policy.
pub(crate) type Rules = Vec<Rule>;

/// One NetworkPolicy compiled for evaluation (read it through a
/// [`super::PolicyView`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledPolicy {
    pub(crate) kind: PolicyKind,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) pod_selector: Arc<Selector>,
    /// `Some` when the policy isolates ingress of the pods it selects.
    pub(crate) ingress: Option<Rules>,
    /// `Some` when the policy isolates egress of the pods it selects.
    pub(crate) egress: Option<Rules>,
    /// A CiliumNetworkPolicy's DNS rules (`toPorts[].rules.dns`): the
    /// `matchName` and `matchPattern` texts, in lower case without a
    /// trailing dot. They send lookups through Cilium's proxy and narrow no
    /// connection; empty for every other kind.
    pub(crate) dns_rules: Vec<String>,
}

impl Peer {
    /// Whether this peer of a policy in `policy_namespace` matches `endpoint`.
    pub fn matches(&self, policy_namespace: &str, endpoint: &Endpoint) -> bool {
        match (self, endpoint) {
            (Peer::Pods { namespaces, pods }, Endpoint::Pod(pod)) => {
                matches_pod(namespaces, pods, policy_namespace, pod)
            }
            (Peer::Ip(block), Endpoint::Ip(ip) | Endpoint::Name { address: ip, .. }) => {
                block.contains(*ip)
            }
            (Peer::Ip(block), Endpoint::Pod(pod)) => pod_in_block(block, pod),
            (Peer::Name(pattern), Endpoint::Name { name, .. }) => pattern.covers(name),
            _ => false,
        }
    }
}

/// Whether an `ipBlock` contains one of a pod's known addresses (a pod
/// without addresses is in none).
pub(crate) fn pod_in_block(block: &IpBlock, pod: &Pod) -> bool {
    pod.ips.iter().any(|ip| block.contains(*ip))
}

pub(crate) fn matches_namespace(
    namespaces: &NamespaceScope,
    policy_namespace: &str,
    pod: &Pod,
) -> bool {
    match namespaces {
        NamespaceScope::Own => pod.namespace == policy_namespace,
        NamespaceScope::Matching(selector) => selector.matches_with(|k| pod.namespace_label(k)),
    }
}

fn matches_pod(
    namespaces: &NamespaceScope,
    pods: &Selector,
    policy_namespace: &str,
    pod: &Pod,
) -> bool {
    matches_namespace(namespaces, policy_namespace, pod) && pods.matches(&pod.labels)
}

impl CompiledPolicy {
    pub fn selects(&self, pod: &Pod) -> bool {
        pod.namespace == self.namespace && self.pod_selector.matches(&pod.labels)
    }

    pub(crate) fn compile(
        policy: &NetworkPolicy,
        sink: &mut ErrorSink<'_>,
    ) -> Option<CompiledPolicy> {
        let before = sink.errors.len();
        let namespace = policy.metadata.namespace.clone().unwrap_or_default();
        let name = policy.metadata.name.clone().unwrap_or_default();
        if namespace.is_empty() {
            sink.report("metadata.namespace", "a policy needs a namespace");
        }
        if name.is_empty() {
            sink.report("metadata.name", "a policy needs a name");
        }
        let default_spec = NetworkPolicySpec::default();
        let spec = policy.spec.as_ref().unwrap_or(&default_spec);
        let pod_selector = match &spec.pod_selector {
            Some(selector) => super::selector::compile(selector, "spec.podSelector", sink),
            None => Selector::everything(),
        };
        let pod_selector = Arc::new(pod_selector);
        let has_egress_rules = spec.egress.as_ref().is_some_and(|e| !e.is_empty());
        let (isolates_ingress, isolates_egress) = match spec.policy_types.as_deref() {
            None | Some([]) => (true, has_egress_rules),
            Some(types) => {
                let mut ingress = false;
                let mut egress = false;
                for (i, t) in types.iter().enumerate() {
                    match t.as_str() {
                        "Ingress" => ingress = true,
                        "Egress" => egress = true,
                        other => sink.report(
                            &format!("spec.policyTypes[{i}]"),
                            format!("unknown policy type `{other}` (expected Ingress or Egress)"),
                        ),
                    }
                }
                (ingress, egress)
            }
        };
        let ingress = isolates_ingress.then(|| {
            let rules = spec.ingress.iter().flatten().enumerate();
            rules
                .map(|(i, r)| {
                    let path = format!("spec.ingress[{i}]");
                    compile_rule(r.from.as_ref(), r.ports.as_ref(), &path, "from", sink)
                })
                .collect()
        });
        let egress = isolates_egress.then(|| {
            let rules = spec.egress.iter().flatten().enumerate();
            rules
                .map(|(i, r)| {
                    let path = format!("spec.egress[{i}]");
                    compile_rule(r.to.as_ref(), r.ports.as_ref(), &path, "to", sink)
                })
                .collect()
        });
        (sink.errors.len() == before).then_some(CompiledPolicy {
            kind: PolicyKind::NetworkPolicy,
            namespace,
            name,
            pod_selector,
            ingress,
            egress,
            dns_rules: Vec::new(),
        })
    }
}

pub(crate) fn compile_rule(
    peers: Option<&Vec<NetworkPolicyPeer>>,
    ports: Option<&Vec<NetworkPolicyPort>>,
    path: &str,
    field: &str,
    sink: &mut ErrorSink<'_>,
) -> Rule {
    let peers = match peers.filter(|p| !p.is_empty()) {
        None => Peers::All,
        Some(list) => Peers::List(
            list.iter()
                .enumerate()
                .filter_map(|(i, peer)| compile_peer(peer, &format!("{path}.{field}[{i}]"), sink))
                .collect(),
        ),
    };
    Rule {
        peers,
        ports: Arc::new(RulePorts::compile(ports, path, sink)),
    }
}

fn compile_peer(peer: &NetworkPolicyPeer, path: &str, sink: &mut ErrorSink<'_>) -> Option<Peer> {
    match (&peer.ip_block, &peer.namespace_selector, &peer.pod_selector) {
        (None, None, None) => {
            sink.report(
                path,
                "a peer needs `podSelector`, `namespaceSelector` or `ipBlock`",
            );
            None
        }
        (Some(_), ns, pod) if ns.is_some() || pod.is_some() => {
            sink.report(
                path,
                "`ipBlock` cannot be combined with `podSelector` or `namespaceSelector`",
            );
            None
        }
        (Some(block), _, _) => {
            let cidr = match Cidr::parse_lenient(&block.cidr) {
                Ok(c) => c,
                Err(message) => {
                    sink.report(&format!("{path}.ipBlock.cidr"), message);
                    return None;
                }
            };
            let mut except = Vec::new();
            for (i, text) in block.except.iter().flatten().enumerate() {
                let here = format!("{path}.ipBlock.except[{i}]");
                match Cidr::parse_lenient(text) {
                    Ok(e) if cidr.strictly_contains(e) => except.push(e),
                    Ok(_) => sink.report(
                        &here,
                        format!("`{text}` is not strictly inside `{}`", block.cidr),
                    ),
                    Err(message) => sink.report(&here, message),
                }
            }
            Some(Peer::Ip(IpBlock { cidr, except }))
        }
        (None, ns, pod) => {
            let namespaces = match ns {
                None => NamespaceScope::Own,
                Some(s) => NamespaceScope::Matching(Arc::new(super::selector::compile(
                    s,
                    &format!("{path}.namespaceSelector"),
                    sink,
                ))),
            };
            let pods = match pod {
                None => Selector::everything(),
                Some(s) => super::selector::compile(s, &format!("{path}.podSelector"), sink),
            };
            Some(Peer::Pods {
                namespaces,
                pods: Arc::new(pods),
            })
        }
    }
}
