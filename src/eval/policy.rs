//! One NetworkPolicy compiled for evaluation: selectors, rules, peers, isolation.

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::endpoint::{Endpoint, Pod};
use super::error::{ErrorSink, Path};
use super::ports::RulePorts;
use super::selector::Selector;
use crate::hashing::HashSet;
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
        Self::compile_with(policy, sink, &mut SelectorMemo::default())
    }

    /// [`CompiledPolicy::compile`], reading each selector through `memo`.
    pub(crate) fn compile_with<'p>(
        policy: &'p NetworkPolicy,
        sink: &mut ErrorSink<'_>,
        memo: &mut SelectorMemo<'p, '_>,
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
        static NO_SPEC: std::sync::LazyLock<NetworkPolicySpec> =
            std::sync::LazyLock::new(NetworkPolicySpec::default);
        let spec = policy.spec.as_ref().unwrap_or(&NO_SPEC);
        let pod_selector = match &spec.pod_selector {
            Some(selector) => memo.compile(selector, "spec.podSelector", sink),
            None => memo.everything(),
        };
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
                            format!("spec.policyTypes[{i}]"),
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
                    let path = Path::Item(None, "spec.ingress", i);
                    compile_rule(r.from.as_ref(), r.ports.as_ref(), &path, "from", sink, memo)
                })
                .collect()
        });
        let egress = isolates_egress.then(|| {
            let rules = spec.egress.iter().flatten().enumerate();
            rules
                .map(|(i, r)| {
                    let path = Path::Item(None, "spec.egress", i);
                    compile_rule(r.to.as_ref(), r.ports.as_ref(), &path, "to", sink, memo)
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

/// The most selectors a [`SelectorMemo`] remembers: finding one is a
/// comparison with each.
const MEMO_SELECTORS: usize = 64;

/// Selectors compiled before, by the API selector each was read from (the
/// policies of one namespace repeat the same few in every rule), and, when
/// given, the selectors a policy set holds: each selector compiled is
/// replaced by the equal one held, or held from then on (see
/// `PolicySet::push`). Only selectors read without error are remembered,
/// so every error is still reported where it is.
#[derive(Default)]
pub(crate) struct SelectorMemo<'p, 's> {
    seen: Vec<(&'p LabelSelector, Arc<Selector>)>,
    everything: Option<Arc<Selector>>,
    held: Option<&'s mut HashSet<Arc<Selector>>>,
}

impl<'p, 's> SelectorMemo<'p, 's> {
    /// A memo that shares what it compiles with `held`.
    pub(crate) fn sharing(held: &'s mut HashSet<Arc<Selector>>) -> SelectorMemo<'p, 's> {
        SelectorMemo {
            seen: Vec::new(),
            everything: None,
            held: Some(held),
        }
    }

    fn compile(
        &mut self,
        selector: &'p LabelSelector,
        path: impl std::fmt::Display,
        sink: &mut ErrorSink<'_>,
    ) -> Arc<Selector> {
        if let Some((_, found)) = self.seen.iter().find(|(s, _)| *s == selector) {
            return Arc::clone(found);
        }
        let before = sink.errors.len();
        let compiled = self.share(super::selector::compile(selector, path, sink));
        if sink.errors.len() == before && self.seen.len() < MEMO_SELECTORS {
            self.seen.push((selector, Arc::clone(&compiled)));
        }
        compiled
    }

    /// The selector of every pod (a missing `podSelector`).
    fn everything(&mut self) -> Arc<Selector> {
        if let Some(found) = &self.everything {
            return Arc::clone(found);
        }
        let compiled = self.share(Selector::everything());
        self.everything = Some(Arc::clone(&compiled));
        compiled
    }

    fn share(&mut self, selector: Selector) -> Arc<Selector> {
        let Some(held) = self.held.as_deref_mut() else {
            return Arc::new(selector);
        };
        match held.get(&selector) {
            Some(found) => Arc::clone(found),
            None => {
                let selector = Arc::new(selector);
                held.insert(Arc::clone(&selector));
                selector
            }
        }
    }
}

pub(crate) fn compile_rule<'p>(
    peers: Option<&'p Vec<NetworkPolicyPeer>>,
    ports: Option<&Vec<NetworkPolicyPort>>,
    path: &Path<'_>,
    field: &'static str,
    sink: &mut ErrorSink<'_>,
    memo: &mut SelectorMemo<'p, '_>,
) -> Rule {
    let peers = match peers.filter(|p| !p.is_empty()) {
        None => Peers::All,
        Some(list) => Peers::List(
            list.iter()
                .enumerate()
                .filter_map(|(i, peer)| {
                    compile_peer(peer, &Path::Item(Some(path), field, i), sink, memo)
                })
                .collect(),
        ),
    };
    Rule {
        peers,
        ports: Arc::new(RulePorts::compile(ports, path, sink)),
    }
}

fn compile_peer<'p>(
    peer: &'p NetworkPolicyPeer,
    path: &Path<'_>,
    sink: &mut ErrorSink<'_>,
    memo: &mut SelectorMemo<'p, '_>,
) -> Option<Peer> {
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
                    sink.report(format!("{path}.ipBlock.cidr"), message);
                    return None;
                }
            };
            let mut except = Vec::new();
            for (i, text) in block.except.iter().flatten().enumerate() {
                let here = || format!("{path}.ipBlock.except[{i}]");
                match Cidr::parse_lenient(text) {
                    Ok(e) if cidr.strictly_contains(e) => except.push(e),
                    Ok(_) => sink.report(
                        here(),
                        format!("`{text}` is not strictly inside `{}`", block.cidr),
                    ),
                    Err(message) => sink.report(here(), message),
                }
            }
            Some(Peer::Ip(IpBlock { cidr, except }))
        }
        (None, ns, pod) => {
            let namespaces = match ns {
                None => NamespaceScope::Own,
                Some(s) => NamespaceScope::Matching(memo.compile(
                    s,
                    Path::Field(path, "namespaceSelector"),
                    sink,
                )),
            };
            let pods = match pod {
                None => memo.everything(),
                Some(s) => memo.compile(s, Path::Field(path, "podSelector"), sink),
            };
            Some(Peer::Pods { namespaces, pods })
        }
    }
}
