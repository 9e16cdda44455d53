//! Read access to compiled policies, for checks that ask which pods a
//! policy, one of its rules or one of a rule's peers selects, with exactly
//! the semantics [`PolicySet::evaluate`] uses.

use std::collections::BTreeMap;

use super::endpoint::{Endpoint, Pod};
use super::policy::{
    matches_namespace, CompiledPolicy, NamespaceScope, Peer, Peers, PolicyKind, Rule,
};
use super::policy_set::{PolicyId, PolicyName, PolicySet};
use super::ports::PortEntry;
use super::portset::PortSet;
use crate::k8s::{Direction, IpBlock, Selector};

/// One policy of a [`PolicySet`].
#[derive(Clone, Copy, Debug)]
pub struct PolicyView<'a> {
    policy: &'a CompiledPolicy,
    id: PolicyId,
}

/// One rule (`spec.ingress[i]` or `spec.egress[i]`) of a policy.
#[derive(Clone, Copy, Debug)]
pub struct RuleView<'a> {
    rule: &'a Rule,
    namespace: &'a str,
    direction: Direction,
    index: usize,
}

/// One item of a rule's `from`/`to`.
#[derive(Clone, Copy, Debug)]
pub struct PeerView<'a> {
    peer: &'a Peer,
    namespace: &'a str,
    index: usize,
}

/// What one peer selects, typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerKind<'a> {
    /// Pods: the namespace part (`None`: no `namespaceSelector`, the
    /// policy's own namespace) AND the pod part (`podSelector`, everything
    /// when absent).
    Pods {
        namespaces: Option<&'a Selector>,
        pods: &'a Selector,
    },
    /// An `ipBlock`.
    Ip(&'a IpBlock),
    /// A DNS name or pattern (a CiliumNetworkPolicy's `toFQDNs`).
    Name(&'a crate::k8s::DnsName),
}

impl PolicySet {
    /// The policies in the order they were given to [`PolicySet::new`].
    pub fn views(&self) -> impl Iterator<Item = PolicyView<'_>> {
        self.policies
            .iter()
            .enumerate()
            .map(|(i, policy)| PolicyView {
                policy,
                id: PolicyId::from_index(i),
            })
    }

    /// The policies after the first `count` (those pushed since the set
    /// held `count`: [`PolicySet::view_count`]).
    pub fn views_after(&self, count: usize) -> impl Iterator<Item = PolicyView<'_>> {
        self.policies
            .iter()
            .enumerate()
            .skip(count)
            .map(|(i, policy)| PolicyView {
                policy,
                id: PolicyId::from_index(i),
            })
    }

    /// How many policies [`PolicySet::views`] gives (NetworkPolicies and
    /// CiliumNetworkPolicies; cluster policies are not among them).
    pub fn view_count(&self) -> usize {
        self.policies.len()
    }

    /// One policy, by id.
    pub fn view(&self, id: PolicyId) -> Option<PolicyView<'_>> {
        self.policies
            .get(id.index())
            .map(|policy| PolicyView { policy, id })
    }
}

impl<'a> PolicyView<'a> {
    /// The policy's place in its set.
    pub fn id(&self) -> PolicyId {
        self.id
    }

    /// `namespace/name` (and the kind, which tells apart a
    /// CiliumNetworkPolicy that shares its name with a NetworkPolicy).
    pub fn policy_name(&self) -> PolicyName {
        self.policy.id()
    }

    /// The API kind the policy was read from.
    pub fn kind(&self) -> PolicyKind {
        self.policy.kind
    }

    pub fn namespace(&self) -> &'a str {
        &self.policy.namespace
    }

    pub fn name(&self) -> &'a str {
        &self.policy.name
    }

    /// The policy's `podSelector` (everything when absent).
    pub fn pod_selector(&self) -> &'a crate::k8s::Selector {
        &self.policy.pod_selector
    }

    /// [`PolicyView::pod_selector`], shared: the set holds each distinct
    /// selector once, and an index that keeps it need not copy it.
    pub fn pod_selector_shared(&self) -> &'a std::sync::Arc<crate::k8s::Selector> {
        &self.policy.pod_selector
    }

    /// Whether the policy's `podSelector` (in its namespace) selects `pod`.
    pub fn selects(&self, pod: &Pod) -> bool {
        self.policy.selects(pod)
    }

    /// Whether one of the policy's DNS rules (a CiliumNetworkPolicy's
    /// `toPorts[].rules.dns`) sends the lookups of `name` through Cilium's
    /// proxy. `name` is in lower case without a trailing dot.
    pub fn proxies_lookup(&self, name: &str) -> bool {
        self.policy
            .dns_rules
            .iter()
            .any(|rule| super::cilium::dns_rule_matches(rule, name))
    }

    /// Whether the policy isolates `direction` of the pods it selects, after
    /// `policyTypes` defaulting.
    pub fn isolates(&self, direction: Direction) -> bool {
        self.policy.rules(direction).is_some()
    }

    /// The rules of one direction, in order; empty when the policy does not
    /// isolate it.
    pub fn rules(&self, direction: Direction) -> Vec<RuleView<'a>> {
        let namespace = self.policy.namespace.as_str();
        self.policy
            .rules(direction)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, rule)| RuleView {
                rule,
                namespace,
                direction,
                index,
            })
            .collect()
    }
}

impl<'a> RuleView<'a> {
    /// Its index in `spec.ingress` or `spec.egress`.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The namespace of the policy the rule belongs to.
    pub fn namespace(&self) -> &'a str {
        self.namespace
    }

    /// The field path of the rule (`spec.egress[2]`).
    pub fn path(&self) -> String {
        format!("spec.{}[{}]", self.direction.as_str(), self.index)
    }

    /// The rule's `ports` entries, in order; `None` when it has none (every
    /// port of every protocol).
    pub fn port_entries(&self) -> Option<&'a [PortEntry]> {
        self.rule.ports.entries()
    }

    /// A missing or empty `from`/`to`: the rule matches every peer.
    pub fn matches_all_peers(&self) -> bool {
        matches!(self.rule.peers, Peers::All)
    }

    /// The peers, in order (empty when [`RuleView::matches_all_peers`]).
    pub fn peers(&self) -> Vec<PeerView<'a>> {
        match &self.rule.peers {
            Peers::All => Vec::new(),
            Peers::List(list) => list
                .iter()
                .enumerate()
                .map(|(index, peer)| PeerView {
                    peer,
                    namespace: self.namespace,
                    index,
                })
                .collect(),
        }
    }

    /// Whether some peer of the rule matches `endpoint` (ports aside).
    pub fn matches(&self, endpoint: &Endpoint) -> bool {
        match &self.rule.peers {
            Peers::All => true,
            Peers::List(list) => list.iter().any(|p| p.matches(self.namespace, endpoint)),
        }
    }

    /// The ports the rule allows towards `dst` (named ports resolve on the
    /// destination pod; `None`, an address or an unknown destination,
    /// resolves none).
    pub fn ports(&self, dst: Option<&Pod>) -> PortSet {
        let mut set = PortSet::empty();
        self.rule.ports.add_to(dst, &mut set);
        set
    }
}

impl RuleView<'_> {
    /// The rule's named ports (protocol, name), in order.
    pub fn named_ports(&self) -> Vec<(crate::k8s::Protocol, String)> {
        self.rule
            .ports
            .named()
            .map(|(p, n)| (p, n.to_owned()))
            .collect()
    }
}

impl<'a> PeerView<'a> {
    /// Its index in the rule's `from`/`to`.
    pub fn index(&self) -> usize {
        self.index
    }

    /// What the peer selects.
    pub fn kind(&self) -> PeerKind<'a> {
        match self.peer {
            Peer::Pods { namespaces, pods } => PeerKind::Pods {
                namespaces: match namespaces {
                    NamespaceScope::Own => None,
                    NamespaceScope::Matching(s) => Some(s),
                },
                pods,
            },
            Peer::Ip(block) => PeerKind::Ip(block),
            Peer::Name(name) => PeerKind::Name(name),
        }
    }

    /// The selectors of a pod peer, shared as [`PolicyView::pod_selector_shared`]:
    /// the namespace part (`None`: the policy's own namespace) and the
    /// pod part; `None` for an address or a name.
    #[allow(clippy::type_complexity)]
    pub fn selectors_shared(
        &self,
    ) -> Option<(
        Option<&'a std::sync::Arc<Selector>>,
        &'a std::sync::Arc<Selector>,
    )> {
        match self.peer {
            Peer::Pods { namespaces, pods } => Some((
                match namespaces {
                    NamespaceScope::Own => None,
                    NamespaceScope::Matching(s) => Some(s),
                },
                pods,
            )),
            Peer::Ip(_) | Peer::Name(_) => None,
        }
    }

    /// The namespace of the policy the peer belongs to.
    pub fn policy_namespace(&self) -> &'a str {
        self.namespace
    }

    pub fn is_ip_block(&self) -> bool {
        matches!(self.peer, Peer::Ip(_))
    }

    /// The DNS name or pattern of a CiliumNetworkPolicy's `toFQDNs` entry.
    pub fn dns_name(&self) -> Option<&crate::k8s::DnsName> {
        match self.peer {
            Peer::Name(n) => Some(n),
            _ => None,
        }
    }

    /// Whether the peer matches `endpoint`.
    pub fn matches(&self, endpoint: &Endpoint) -> bool {
        self.peer.matches(self.namespace, endpoint)
    }

    /// Whether the peer's namespace part (its `namespaceSelector`, or the
    /// policy's namespace when it has none) admits the namespace `name`
    /// with `labels`; `None` for an ipBlock.
    pub fn matches_namespace(&self, name: &str, labels: &BTreeMap<String, String>) -> Option<bool> {
        match self.peer {
            Peer::Pods { namespaces, .. } => {
                let pod = Pod {
                    namespace: name.to_owned(),
                    namespace_labels: labels.clone(),
                    ..Pod::default()
                };
                Some(matches_namespace(namespaces, self.namespace, &pod))
            }
            Peer::Ip(_) | Peer::Name(_) => None,
        }
    }

    /// Whether the peer's `podSelector` (everything when absent) matches
    /// pod labels, whatever the namespace; `None` for an ipBlock.
    pub fn matches_pod_labels(&self, labels: &BTreeMap<String, String>) -> Option<bool> {
        match self.peer {
            Peer::Pods { pods, .. } => Some(pods.matches(labels)),
            Peer::Ip(_) | Peer::Name(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::networking::v1::NetworkPolicy;

    fn set(yaml: &str) -> PolicySet {
        let policy: NetworkPolicy = serde_yaml::from_str(yaml).unwrap();
        PolicySet::new(vec![policy]).unwrap()
    }

    #[test]
    fn views_follow_the_evaluator() {
        let set = set("
metadata: {name: p, namespace: web}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: front}}
    - namespaceSelector: {matchLabels: {team: ops}}
    ports: [{port: 80}, {port: http}]
");
        let view = set.views().next().unwrap();
        assert_eq!(view.policy_name().to_string(), "web/p");
        assert!(view.isolates(Direction::Ingress));
        assert!(!view.isolates(Direction::Egress));
        let api = Pod {
            ports: vec![super::super::NamedPort {
                name: "http".into(),
                protocol: crate::k8s::Protocol::Tcp,
                number: 8080,
            }],
            ..Pod::new("web", [("app", "api")])
        };
        assert!(view.selects(&api));
        let rules = view.rules(Direction::Ingress);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].ports(Some(&api)).to_string(), "TCP 80,8080");
        assert_eq!(rules[0].ports(None).to_string(), "TCP 80");
        let peers = rules[0].peers();
        let front = Endpoint::Pod(Pod::new("web", [("app", "front")]));
        assert!(peers[0].matches(&front));
        assert!(!peers[1].matches(&front));
        let ops: BTreeMap<String, String> = [("team".to_string(), "ops".to_string())].into();
        assert_eq!(
            peers[0].matches_namespace("web", &BTreeMap::new()),
            Some(true)
        );
        assert_eq!(peers[0].matches_namespace("ops", &ops), Some(false));
        assert_eq!(peers[1].matches_namespace("ops", &ops), Some(true));
        assert_eq!(peers[1].matches_pod_labels(&BTreeMap::new()), Some(true));
        assert!(rules[0].matches(&front));
    }
}
