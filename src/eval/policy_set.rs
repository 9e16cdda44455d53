//! A set of policies indexed by namespace, and the queries over it.

use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use super::endpoint::{Endpoint, Pod};
use super::error::{ErrorSink, PolicyErrors};
use super::policy::{CompiledPolicy, NamespaceScope, Peer, Peers, PolicyKind, Rules, SelectorMemo};
use super::ports::RulePorts;
use super::portset::PortSet;
use super::selector::Selector;
use super::tiers::{Step, TierMatch, TierSet};
use crate::hashing::{HashMap, HashSet};
use crate::k8s::cluster_policy::{Action, ClusterObject, Tier};
use crate::k8s::{Direction, IpBlock, Protocol};

/// A policy by namespace and name (and kind: a CiliumNetworkPolicy may
/// share its name with a NetworkPolicy).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyName {
    pub namespace: String,
    pub name: String,
    pub kind: PolicyKind,
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)?;
        if self.kind != PolicyKind::NetworkPolicy {
            write!(f, " ({})", self.kind.as_str())?;
        }
        Ok(())
    }
}

/// A policy's place in a [`PolicySet`] (and, for manifests, in
/// `Manifests::policies`): the order policies were added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyId(u32);

impl PolicyId {
    pub(crate) fn from_index(i: usize) -> PolicyId {
        PolicyId(u32::try_from(i).unwrap_or(u32::MAX))
    }

    /// The position (for parallel lists kept by the owner of the set).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One rule whose peer and ports matched a connection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleRef {
    pub policy: PolicyName,
    /// The same policy's place in its set.
    pub id: PolicyId,
    /// Index into `spec.ingress` or `spec.egress`.
    pub rule: usize,
    /// Index into the rule's `from`/`to`; `None` when the rule has no peers
    /// (which matches every peer).
    pub peer: Option<usize>,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rule {}", self.policy, self.rule)?;
        if let Some(peer) = self.peer {
            write!(f, " peer {peer}")?;
        }
        Ok(())
    }
}

/// The decision of one side (the source's egress or the destination's ingress).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// Some policy selecting the endpoint isolates this direction.
    pub isolated: bool,
    /// Not isolated, or some rule matched.
    pub allowed: bool,
    /// The policies that select the endpoint and isolate this direction.
    pub selecting: Vec<PolicyName>,
    /// Every (rule, peer) that matched the connection.
    pub matched: Vec<RuleRef>,
    /// Which of the four steps decided (without cluster policies: the
    /// NetworkPolicies when isolated, else the default).
    pub step: Step,
    /// The first admin rule that matched (it decided, or passed).
    pub admin: Option<TierMatch>,
    /// The baseline rule that decided, when the baseline was consulted.
    pub baseline: Option<TierMatch>,
}

impl Side {
    fn open() -> Side {
        Side {
            isolated: false,
            allowed: true,
            selecting: Vec::new(),
            matched: Vec::new(),
            step: Step::Default,
            admin: None,
            baseline: None,
        }
    }
}

/// Whether a connection is allowed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// `egress.allowed && ingress.allowed`.
    pub allowed: bool,
    /// The source's egress side.
    pub egress: Side,
    /// The destination's ingress side.
    pub ingress: Side,
}

/// NetworkPolicies ready for evaluation.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    pub(crate) policies: Vec<CompiledPolicy>,
    by_namespace: HashMap<String, Vec<usize>>,
    /// Cluster policies (admin and baseline tiers), decided around the
    /// NetworkPolicies (see `tiers`).
    pub(crate) tiers: TierSet,
    /// Every distinct selector of the policies, each held once: the
    /// policies of a program repeat the same pod and namespace selectors
    /// in many peers (an `expect` check holds every policy to its end).
    selectors: HashSet<Arc<Selector>>,
    /// Every distinct list of rule ports, each held once likewise.
    ports: HashSet<Arc<RulePorts>>,
}

impl CompiledPolicy {
    pub(crate) fn rules(&self, direction: Direction) -> Option<&Rules> {
        match direction {
            Direction::Ingress => self.ingress.as_ref(),
            Direction::Egress => self.egress.as_ref(),
        }
    }

    pub(crate) fn id(&self) -> PolicyName {
        PolicyName {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            kind: self.kind,
        }
    }
}

impl CompiledPolicy {
    /// Compiles one policy for evaluation; every invalid field is reported.
    pub fn read(policy: &NetworkPolicy) -> Result<CompiledPolicy, PolicyErrors> {
        let mut errors = Vec::new();
        let mut sink = ErrorSink {
            policy: format!(
                "{}/{}",
                policy.metadata.namespace.as_deref().unwrap_or("?"),
                policy.metadata.name.as_deref().unwrap_or("?")
            ),
            errors: &mut errors,
        };
        match CompiledPolicy::compile(policy, &mut sink) {
            Some(compiled) if errors.is_empty() => Ok(compiled),
            _ => Err(PolicyErrors(errors)),
        }
    }
}

impl PolicySet {
    /// Compiles the policies; every invalid field of every policy is reported.
    pub fn new(policies: Vec<NetworkPolicy>) -> Result<PolicySet, PolicyErrors> {
        Self::from_slice(&policies)
    }

    /// As [`PolicySet::new`], for policies the caller keeps (nothing is copied:
    /// the set holds its own compiled form).
    pub fn from_slice(policies: &[NetworkPolicy]) -> Result<PolicySet, PolicyErrors> {
        let mut set = PolicySet::default();
        set.extend_from_slice(policies)?;
        Ok(set)
    }

    /// Adds policies to the set (compiled, so the objects can be dropped
    /// afterwards: a build indexes one namespace at a time).
    pub fn extend_from_slice(&mut self, policies: &[NetworkPolicy]) -> Result<(), PolicyErrors> {
        let mut errors = Vec::new();
        let set = self;
        for policy in policies {
            let before = errors.len();
            // The policy's name is written into its errors only when it
            // has some (most policies have none).
            let mut sink = ErrorSink {
                policy: String::new(),
                errors: &mut errors,
            };
            let mut memo = SelectorMemo::sharing(&mut set.selectors);
            if let Some(compiled) = CompiledPolicy::compile_with(policy, &mut sink, &mut memo) {
                set.push_shared(compiled);
            }
            if let Some(found) = errors.get_mut(before..) {
                let name = format!(
                    "{}/{}",
                    policy.metadata.namespace.as_deref().unwrap_or("?"),
                    policy.metadata.name.as_deref().unwrap_or("?")
                );
                for e in found {
                    e.policy.clone_from(&name);
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(PolicyErrors(errors))
        }
    }

    /// Adds one policy compiled by [`CompiledPolicy::read`].
    pub fn push(&mut self, mut policy: CompiledPolicy) -> PolicyId {
        self.share_selectors(&mut policy);
        self.push_shared(policy)
    }

    /// Adds one policy whose selectors are the set's already (compiled
    /// through a [`SelectorMemo`] sharing them); its port lists are shared
    /// here.
    fn push_shared(&mut self, mut policy: CompiledPolicy) -> PolicyId {
        self.share_ports(&mut policy);
        let id = PolicyId::from_index(self.policies.len());
        self.by_namespace
            .entry(policy.namespace.clone())
            .or_default()
            .push(self.policies.len());
        self.policies.push(policy);
        id
    }

    /// Replaces each selector of `policy` by an equal one already held,
    /// or holds it for the policies that follow.
    fn share_selectors(&mut self, policy: &mut CompiledPolicy) {
        let selectors = &mut self.selectors;
        let mut share = |sel: &mut Arc<Selector>| match selectors.get(sel) {
            Some(held) => *sel = Arc::clone(held),
            None => {
                selectors.insert(Arc::clone(sel));
            }
        };
        share(&mut policy.pod_selector);
        let rules = policy.ingress.iter_mut().chain(policy.egress.iter_mut());
        for rule in rules.flatten() {
            let Peers::List(peers) = &mut rule.peers else {
                continue;
            };
            for peer in peers {
                if let Peer::Pods { namespaces, pods } = peer {
                    if let NamespaceScope::Matching(sel) = namespaces {
                        share(sel);
                    }
                    share(pods);
                }
            }
        }
    }

    /// Replaces each rule's port list of `policy` by an equal one already
    /// held, or holds it for the policies that follow.
    fn share_ports(&mut self, policy: &mut CompiledPolicy) {
        let rules = policy.ingress.iter_mut().chain(policy.egress.iter_mut());
        for rule in rules.flatten() {
            match self.ports.get(&rule.ports) {
                Some(held) => rule.ports = Arc::clone(held),
                None => {
                    self.ports.insert(Arc::clone(&rule.ports));
                }
            }
        }
    }

    /// Adds cluster policies (ClusterNetworkPolicy, AdminNetworkPolicy,
    /// BaselineAdminNetworkPolicy); every invalid field is reported.
    pub fn add_cluster(&mut self, objects: &[ClusterObject]) -> Result<(), PolicyErrors> {
        self.tiers.add(objects)
    }

    /// The cluster policies of a tier, in the order they decide.
    pub fn tier_policies(&self, tier: Tier) -> Vec<super::tiers::TierPolicyView<'_>> {
        self.tiers.views(tier)
    }

    /// What each rule of `tier` does for one side of a connection (see
    /// `tiers::TierSet::outcomes`); `dst` resolves named ports.
    pub fn tier_outcomes(
        &self,
        tier: Tier,
        owner: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dst: Option<&Pod>,
    ) -> Vec<super::tiers::RuleOutcome> {
        self.tiers.outcomes(tier, owner, direction, peer, dst)
    }

    /// Every CIDR of the cluster policies' `networks` peers, each once.
    pub fn tier_networks(&self) -> Vec<crate::k8s::Cidr> {
        self.tiers.networks()
    }

    /// Whether the set holds cluster policies.
    pub fn has_tiers(&self) -> bool {
        !self.tiers.is_empty()
    }

    /// Adds CiliumNetworkPolicies (see `eval::cilium` for what is
    /// modelled): a pod they select is governed by the union of their rules
    /// and those of the NetworkPolicies that select it, as Cilium enforces.
    pub fn extend_cilium(
        &mut self,
        policies: &[crate::k8s::cilium::CiliumNetworkPolicy],
    ) -> Result<(), PolicyErrors> {
        let mut errors = Vec::new();
        for policy in policies {
            let mut sink = ErrorSink {
                policy: format!("{}/{}", policy.namespace(), policy.name()),
                errors: &mut errors,
            };
            if let Some(compiled) = CompiledPolicy::compile_cilium(policy, &mut sink) {
                self.push(compiled);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(PolicyErrors(errors))
        }
    }

    /// NetworkPolicies and cluster policies.
    pub fn len(&self) -> usize {
        self.policies.len() + self.tiers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty() && self.tiers.is_empty()
    }

    /// Indices of the policies that select `pod` and isolate `direction`.
    pub(crate) fn selecting<'a>(
        &'a self,
        pod: &'a Pod,
        direction: Direction,
    ) -> impl Iterator<Item = usize> + 'a {
        let candidates = self.by_namespace.get(&pod.namespace).map(Vec::as_slice);
        candidates
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(move |&i| {
                let policy = &self.policies[i];
                policy.rules(direction).is_some() && policy.selects(pod)
            })
    }

    /// The policies that select `pod` and isolate its ingress.
    pub fn ingress_policies(&self, pod: &Pod) -> Vec<PolicyId> {
        self.policies_isolating(pod, Direction::Ingress)
    }

    /// The policies that select `pod` and isolate its egress.
    pub fn egress_policies(&self, pod: &Pod) -> Vec<PolicyId> {
        self.policies_isolating(pod, Direction::Egress)
    }

    /// The policies that select `pod` and isolate `direction`, in order.
    pub fn policies_isolating(&self, pod: &Pod, direction: Direction) -> Vec<PolicyId> {
        self.selecting(pod, direction)
            .map(PolicyId::from_index)
            .collect()
    }

    /// A policy's namespace and name.
    pub fn name(&self, id: PolicyId) -> Option<PolicyName> {
        self.policies.get(id.index()).map(CompiledPolicy::id)
    }

    /// Every `ipBlock` of every rule of every policy.
    pub fn ip_blocks(&self) -> impl Iterator<Item = &IpBlock> {
        self.ip_blocks_in(
            self.policies
                .iter()
                .flat_map(|p| p.ingress.iter().chain(p.egress.iter())),
        )
    }

    /// Every `ipBlock` of the rules of one direction (`from` of ingress
    /// rules, `to` of egress rules) of every policy.
    pub fn ip_blocks_of(&self, direction: Direction) -> impl Iterator<Item = &IpBlock> {
        self.ip_blocks_in(self.policies.iter().filter_map(move |p| p.rules(direction)))
    }

    fn ip_blocks_in<'a>(
        &'a self,
        rules: impl Iterator<Item = &'a Rules> + 'a,
    ) -> impl Iterator<Item = &'a IpBlock> + 'a {
        rules
            .flatten()
            .flat_map(|rule| match &rule.peers {
                Peers::All => [].iter(),
                Peers::List(list) => list.iter(),
            })
            .filter_map(|peer| match peer {
                super::policy::Peer::Ip(block) => Some(block),
                super::policy::Peer::Pods { .. } | super::policy::Peer::Name(_) => None,
            })
    }

    /// Whether `src` may open a connection to `dst` on `protocol`/`port`, with
    /// the policies and rules that decided each side.
    pub fn evaluate(
        &self,
        src: &Endpoint,
        dst: &Endpoint,
        protocol: Protocol,
        port: u16,
    ) -> Verdict {
        let egress = match src {
            Endpoint::Pod(pod) => {
                self.decide(pod, Direction::Egress, dst, dst.pod(), protocol, port)
            }
            Endpoint::Ip(_) | Endpoint::Name { .. } => Side::open(),
        };
        let ingress = match dst {
            Endpoint::Pod(pod) => {
                self.decide(pod, Direction::Ingress, src, Some(pod), protocol, port)
            }
            Endpoint::Ip(_) | Endpoint::Name { .. } => Side::open(),
        };
        Verdict {
            allowed: egress.allowed && ingress.allowed,
            egress,
            ingress,
        }
    }

    /// One side after the four steps (admin, NetworkPolicies, baseline,
    /// default): `owner` is the pod whose policies apply, `peer` the other
    /// endpoint, `dst` the destination pod (for named ports).
    fn decide(
        &self,
        owner: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dst: Option<&Pod>,
        protocol: Protocol,
        port: u16,
    ) -> Side {
        let mut side = self.side(owner, direction, peer, dst, protocol, port);
        if side.isolated {
            side.step = Step::NetworkPolicies;
        }
        if self.tiers.is_empty() {
            return side;
        }
        let first = |tier| {
            self.tiers
                .first_match(tier, owner, direction, peer, dst, (protocol, port))
        };
        side.admin = first(Tier::Admin);
        if let Some(m) = &side.admin {
            if m.action != Action::Pass {
                side.step = Step::Admin;
                side.allowed = m.action == Action::Accept;
                return side;
            }
        }
        if side.isolated {
            return side;
        }
        side.baseline = first(Tier::Baseline).filter(|m| m.action != Action::Pass);
        match &side.baseline {
            Some(m) => {
                side.step = Step::Baseline;
                side.allowed = m.action == Action::Accept;
            }
            None => side.step = Step::Default,
        }
        side
    }

    /// One side: `owner` is the pod whose policies apply, `peer` the other
    /// endpoint, `dst` the destination pod (for named ports).
    fn side(
        &self,
        owner: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dst: Option<&Pod>,
        protocol: Protocol,
        port: u16,
    ) -> Side {
        let mut side = Side::open();
        for i in self.selecting(owner, direction) {
            let policy = &self.policies[i];
            side.isolated = true;
            side.selecting.push(policy.id());
            for (r, rule) in policy.rules(direction).into_iter().flatten().enumerate() {
                if !rule.ports.matches(dst, protocol, port) {
                    continue;
                }
                let rule_ref = |peer: Option<usize>| RuleRef {
                    policy: policy.id(),
                    id: PolicyId::from_index(i),
                    rule: r,
                    peer,
                };
                match &rule.peers {
                    Peers::All => side.matched.push(rule_ref(None)),
                    Peers::List(list) => {
                        for (p, candidate) in list.iter().enumerate() {
                            if candidate.matches(&policy.namespace, peer) {
                                side.matched.push(rule_ref(Some(p)));
                            }
                        }
                    }
                }
            }
        }
        side.allowed = !side.isolated || !side.matched.is_empty();
        side
    }

    /// The exact set of (protocol, port) that `src` may open to `dst`.
    pub fn allowed_ports(&self, src: &Endpoint, dst: &Endpoint) -> PortSet {
        let egress = match src {
            Endpoint::Pod(pod) => self.decided_ports(pod, Direction::Egress, dst, dst.pod()),
            Endpoint::Ip(_) | Endpoint::Name { .. } => None,
        };
        let ingress = match dst {
            Endpoint::Pod(pod) => self.decided_ports(pod, Direction::Ingress, src, Some(pod)),
            Endpoint::Ip(_) | Endpoint::Name { .. } => None,
        };
        match (egress, ingress) {
            (None, None) => PortSet::full(),
            (Some(set), None) | (None, Some(set)) => set,
            (Some(e), Some(i)) => e.intersection(&i),
        }
    }

    /// The ports one side allows after the four steps; `None` when nothing
    /// restricts it (no cluster policy, and not isolated).
    pub(crate) fn decided_ports(
        &self,
        owner: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dst: Option<&Pod>,
    ) -> Option<PortSet> {
        let np = self.side_ports(owner, direction, peer, dst);
        if self.tiers.is_empty() {
            return np;
        }
        Some(self.tiers.side_ports(owner, direction, peer, dst, np))
    }

    /// The ports one side allows; `None` when the side is not isolated.
    fn side_ports(
        &self,
        owner: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dst: Option<&Pod>,
    ) -> Option<PortSet> {
        let mut isolated = false;
        let mut set = PortSet::empty();
        for i in self.selecting(owner, direction) {
            isolated = true;
            let policy = &self.policies[i];
            for rule in policy.rules(direction).into_iter().flatten() {
                let hit = match &rule.peers {
                    Peers::All => true,
                    Peers::List(list) => list.iter().any(|p| p.matches(&policy.namespace, peer)),
                };
                if hit {
                    rule.ports.add_to(dst, &mut set);
                }
            }
        }
        isolated.then_some(set)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use k8s_openapi::api::networking::v1::NetworkPolicy;

    use super::PolicySet;
    use crate::k8s::Direction;

    fn policy(name: &str, namespace: &str, app: &str, from: &str) -> NetworkPolicy {
        serde_yaml::from_str(&format!(
            "
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  podSelector: {{matchLabels: {{app: {app}}}}}
  ingress:
  - from:
    - namespaceSelector: {{matchLabels: {{team: ops}}}}
      podSelector: {{matchLabels: {{app: {from}}}}}
    ports: [{{port: 80}}]
"
        ))
        .unwrap()
    }

    /// The selectors of one peer: namespaces, pods.
    fn peer_selectors(
        set: &PolicySet,
        i: usize,
    ) -> (Arc<crate::k8s::Selector>, Arc<crate::k8s::Selector>) {
        let view = set.views().nth(i).unwrap();
        let rules = view.rules(Direction::Ingress);
        let peers = rules[0].peers();
        let (namespaces, pods) = peers[0].selectors_shared().unwrap();
        (Arc::clone(namespaces.unwrap()), Arc::clone(pods))
    }

    #[test]
    fn equal_selectors_and_ports_are_held_once() {
        let set = PolicySet::new(vec![
            policy("a", "web", "api", "front"),
            policy("b", "shop", "api", "front"),
            policy("c", "shop", "db", "api"),
        ])
        .unwrap();
        let pod = |i: usize| Arc::clone(set.views().nth(i).unwrap().pod_selector_shared());
        assert!(Arc::ptr_eq(&pod(0), &pod(1)));
        assert!(!Arc::ptr_eq(&pod(0), &pod(2)));
        let (ns_a, pods_a) = peer_selectors(&set, 0);
        let (ns_b, pods_b) = peer_selectors(&set, 1);
        let (ns_c, pods_c) = peer_selectors(&set, 2);
        assert!(Arc::ptr_eq(&ns_a, &ns_b) && Arc::ptr_eq(&ns_a, &ns_c));
        assert!(Arc::ptr_eq(&pods_a, &pods_b));
        assert!(!Arc::ptr_eq(&pods_a, &pods_c));
        // The peer's pods `app=api` and the third policy's own
        // `podSelector` are one selector.
        assert!(Arc::ptr_eq(&pods_c, &pod(0)));
        let ports = |i: usize| Arc::clone(&set.policies[i].ingress.as_ref().unwrap()[0].ports);
        assert!(Arc::ptr_eq(&ports(0), &ports(2)));
    }
}
