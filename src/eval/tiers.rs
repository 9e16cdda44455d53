//! Cluster policies (ClusterNetworkPolicy v1alpha2; AdminNetworkPolicy and
//! BaselineAdminNetworkPolicy v1alpha1) compiled for evaluation, and the
//! four steps that decide one side of a connection:
//!
//! 1. the admin tier: the first rule that applies to this side and matches
//!    the connection, policies by priority, rules in order; `Accept` allows,
//!    `Deny` denies, `Pass` skips the rest of the tier;
//! 2. the NetworkPolicies: if any isolates the pod in this direction, their
//!    rules decide;
//! 3. the baseline tier, as the admin tier (a `Pass` there decides nothing);
//! 4. nothing decided: allowed.
//!
//! A `networks` peer matches an address endpoint inside one of its CIDRs
//! (a DNS name by the address it resolves to), and a pod whose address is
//! known and inside one. A pod whose address is
//! unknown is taken to lie in the CIDRs that hold every address of a family
//! (`0.0.0.0/0`, `::/0`: `world` contains every pod) and outside the others;
//! `expect` lines give pods every position instead (`regions::Splitter`).
//! Named ports (`destinationNamedPort`) match the destination pod's
//! container port of that name, whatever its protocol.

use super::endpoint::{Endpoint, Pod};
use super::error::{ErrorSink, PolicyError, PolicyErrors};
use super::portset::PortSet;
use super::selector::{self, Selector};
use crate::k8s::cluster_policy::{self as api, Action, ClusterObject, Tier};
use crate::k8s::{Cidr, Direction, Protocol};

/// The tier rule that matched one side of a connection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TierMatch {
    pub tier: Tier,
    /// The object's kind and name.
    pub kind: &'static str,
    pub policy: String,
    pub priority: i32,
    pub direction: Direction,
    /// Index into `spec.ingress` / `spec.egress`.
    pub rule: usize,
    pub action: Action,
}

/// Which of the four steps decided a side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// An admin rule accepted or denied.
    Admin,
    /// The pod is isolated by NetworkPolicies, whose rules decided.
    NetworkPolicies,
    /// A baseline rule accepted or denied.
    Baseline,
    /// Nothing applied: allowed.
    Default,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Peer {
    Namespaces(Selector),
    Pods {
        namespaces: Selector,
        pods: Selector,
    },
    Networks(Vec<Cidr>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PortMatch {
    Range(Protocol, u16, u16),
    Named(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    action: Action,
    peers: Vec<Peer>,
    /// `None`: every port of every protocol.
    ports: Option<Vec<PortMatch>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Subject {
    namespaces: Selector,
    pods: Selector,
}

/// What one rule of a tier did for one side of a connection: it matched
/// the peer and some of the connection's ports, and it decided some of
/// them (no earlier rule of the tier had; `Pass` decides to skip).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleOutcome {
    /// The policy's place in [`crate::eval::PolicySet::tier_policies`].
    pub policy: usize,
    /// Index into `spec.ingress` / `spec.egress`.
    pub rule: usize,
    pub matched: bool,
    pub decided: bool,
}

/// A compiled cluster policy, for checks that reason about its subject and
/// rules (lint).
#[derive(Clone, Copy, Debug)]
pub struct TierPolicyView<'a>(&'a CompiledTierPolicy);

impl TierPolicyView<'_> {
    pub fn kind(&self) -> &'static str {
        self.0.kind
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn tier(&self) -> Tier {
        self.0.tier
    }

    pub fn priority(&self) -> i32 {
        self.0.priority
    }

    /// Whether the policy's subject selects the pod.
    pub fn selects(&self, pod: &Pod) -> bool {
        self.0.subject.selects(pod)
    }

    /// How many rules the policy has in a direction.
    pub fn rule_count(&self, direction: Direction) -> usize {
        self.0.rules(direction).len()
    }

    /// The action of one rule.
    pub fn action(&self, direction: Direction, rule: usize) -> Option<Action> {
        self.0.rules(direction).get(rule).map(|r| r.action)
    }

    /// A pod the subject selects, when its selectors can be satisfied: its
    /// namespace is the one the namespace selector names
    /// (`kubernetes.io/metadata.name`), else a made-up one.
    pub fn representative(&self) -> Option<Pod> {
        let subject = &self.0.subject;
        let namespace_labels = subject.namespaces.satisfying_labels()?;
        let labels = subject.pods.satisfying_labels()?;
        let namespace = namespace_labels
            .get(crate::k8s::NAMESPACE_NAME_LABEL)
            .cloned()
            .unwrap_or_else(|| format!("{}-subject", self.0.tier.as_str()));
        let mut namespace_labels = namespace_labels;
        namespace_labels.insert(
            crate::k8s::NAMESPACE_NAME_LABEL.to_string(),
            namespace.clone(),
        );
        let pod = Pod {
            namespace,
            namespace_labels,
            labels,
            ports: Vec::new(),
            ips: Vec::new(),
            address: None,
        };
        self.selects(&pod).then_some(pod)
    }
}

/// One cluster policy, compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CompiledTierPolicy {
    kind: &'static str,
    name: String,
    tier: Tier,
    priority: i32,
    subject: Subject,
    ingress: Vec<Rule>,
    egress: Vec<Rule>,
}

/// The cluster policies of a policy set, each tier by priority.
#[derive(Clone, Debug, Default)]
pub(crate) struct TierSet {
    admin: Vec<CompiledTierPolicy>,
    baseline: Vec<CompiledTierPolicy>,
}

impl TierSet {
    pub fn is_empty(&self) -> bool {
        self.admin.is_empty() && self.baseline.is_empty()
    }

    pub fn len(&self) -> usize {
        self.admin.len() + self.baseline.len()
    }

    /// Adds objects; every field the API refuses (or the evaluator cannot
    /// model: `nodes`, `domainNames`) is reported, and the object left out.
    pub fn add(&mut self, objects: &[ClusterObject]) -> Result<(), PolicyErrors> {
        let mut errors: Vec<PolicyError> = Vec::new();
        for object in objects {
            let mut sink = ErrorSink {
                policy: format!("{} {}", object.kind(), object.name()),
                errors: &mut errors,
            };
            if let Some(compiled) = compile(object, &mut sink) {
                match compiled.tier {
                    Tier::Admin => self.admin.push(compiled),
                    Tier::Baseline => self.baseline.push(compiled),
                }
            }
        }
        // The API leaves the order of equal priorities undefined; npc never
        // writes two, and orders them by name for a stable answer.
        for list in [&mut self.admin, &mut self.baseline] {
            list.sort_by(|a, b| (a.priority, &a.name).cmp(&(b.priority, &b.name)));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(PolicyErrors(errors))
        }
    }

    /// The policies of a tier, in the order they decide.
    pub fn views(&self, tier: Tier) -> Vec<TierPolicyView<'_>> {
        self.tier(tier).iter().map(TierPolicyView).collect()
    }

    /// What each rule of `tier` that applies to `owner`'s `direction` does
    /// with the peer: the rules of the policies that select `owner`, in
    /// order, each with whether it matched and decided some port.
    pub fn outcomes(
        &self,
        tier: Tier,
        owner: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dst: Option<&Pod>,
    ) -> Vec<RuleOutcome> {
        let mut out = Vec::new();
        let mut undecided = PortSet::full();
        for (p, policy) in self.tier(tier).iter().enumerate() {
            if !policy.subject.selects(owner) {
                continue;
            }
            for (r, rule) in policy.rules(direction).iter().enumerate() {
                let hit = if rule.matches_peer(peer) {
                    rule.port_set(dst)
                } else {
                    PortSet::empty()
                };
                let decided = hit.intersection(&undecided);
                undecided = undecided.difference(&decided);
                out.push(RuleOutcome {
                    policy: p,
                    rule: r,
                    matched: !hit.is_empty(),
                    decided: !decided.is_empty(),
                });
            }
        }
        out
    }

    /// Every CIDR of every `networks` peer, each once, in order.
    pub fn networks(&self) -> Vec<Cidr> {
        let mut out: Vec<Cidr> = Vec::new();
        for policy in self.admin.iter().chain(&self.baseline) {
            for rule in policy.ingress.iter().chain(&policy.egress) {
                for peer in &rule.peers {
                    if let Peer::Networks(cidrs) = peer {
                        for c in cidrs {
                            if !out.contains(c) {
                                out.push(*c);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn tier(&self, tier: Tier) -> &[CompiledTierPolicy] {
        match tier {
            Tier::Admin => &self.admin,
            Tier::Baseline => &self.baseline,
        }
    }

    /// The first rule of `tier` that applies to `owner`'s `direction` and
    /// matches the peer and `(protocol, port)`; `dst` resolves named ports.
    pub fn first_match(
        &self,
        tier: Tier,
        owner: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dst: Option<&Pod>,
        (protocol, port): (Protocol, u16),
    ) -> Option<TierMatch> {
        for policy in self.tier(tier) {
            if !policy.subject.selects(owner) {
                continue;
            }
            for (i, rule) in policy.rules(direction).iter().enumerate() {
                if rule.matches_peer(peer) && rule.matches_port(dst, protocol, port) {
                    return Some(TierMatch {
                        tier,
                        kind: policy.kind,
                        policy: policy.name.clone(),
                        priority: policy.priority,
                        direction,
                        rule: i,
                        action: rule.action,
                    });
                }
            }
        }
        None
    }

    /// The ports `tier` decides for one side, and what it leaves
    /// undecided (`Pass` included): (accepted, undecided).
    fn ports(
        &self,
        tier: Tier,
        owner: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dst: Option<&Pod>,
        mut undecided: PortSet,
    ) -> (PortSet, PortSet) {
        let mut accepted = PortSet::empty();
        let mut passed = PortSet::empty();
        'policies: for policy in self.tier(tier) {
            if !policy.subject.selects(owner) {
                continue;
            }
            for rule in policy.rules(direction) {
                if undecided.is_empty() {
                    break 'policies;
                }
                if !rule.matches_peer(peer) {
                    continue;
                }
                let hit = rule.port_set(dst).intersection(&undecided);
                if hit.is_empty() {
                    continue;
                }
                match rule.action {
                    Action::Accept => accepted.union_with(&hit),
                    Action::Deny => {}
                    Action::Pass => passed.union_with(&hit),
                }
                undecided = undecided.difference(&hit);
            }
        }
        undecided.union_with(&passed);
        (accepted, undecided)
    }

    /// The ports one side allows after the four steps; `np` is what the
    /// NetworkPolicies allow on this side (`None`: they do not isolate it).
    pub fn side_ports(
        &self,
        owner: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dst: Option<&Pod>,
        np: Option<PortSet>,
    ) -> PortSet {
        let (mut allowed, rest) =
            self.ports(Tier::Admin, owner, direction, peer, dst, PortSet::full());
        if rest.is_empty() {
            return allowed;
        }
        match np {
            Some(np) => allowed.union_with(&np.intersection(&rest)),
            None => {
                let (accepted, rest) =
                    self.ports(Tier::Baseline, owner, direction, peer, dst, rest);
                allowed.union_with(&accepted);
                allowed.union_with(&rest);
            }
        }
        allowed
    }
}

impl CompiledTierPolicy {
    fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

impl Subject {
    fn selects(&self, pod: &Pod) -> bool {
        self.namespaces.matches_with(|k| pod.namespace_label(k)) && self.pods.matches(&pod.labels)
    }
}

/// Whether a pod's address lies in one of `cidrs`: its address when known,
/// else whether a CIDR holds every address of a family.
fn pod_in(cidrs: &[Cidr], pod: &Pod) -> bool {
    let mut known = pod.ips.iter().copied().chain(pod.address).peekable();
    if known.peek().is_none() {
        return cidrs.iter().any(|c| c.is_everything());
    }
    known.any(|ip| cidrs.iter().any(|c| c.contains(ip)))
}

impl Rule {
    fn matches_peer(&self, peer: &Endpoint) -> bool {
        self.peers.iter().any(|p| match (p, peer) {
            (Peer::Namespaces(ns), Endpoint::Pod(pod)) => {
                ns.matches_with(|k| pod.namespace_label(k))
            }
            (Peer::Pods { namespaces, pods }, Endpoint::Pod(pod)) => {
                namespaces.matches_with(|k| pod.namespace_label(k)) && pods.matches(&pod.labels)
            }
            (Peer::Networks(cidrs), Endpoint::Ip(ip)) => cidrs.iter().any(|c| c.contains(*ip)),
            // A DNS name is the address it resolves to: `networks` see it.
            (Peer::Networks(cidrs), Endpoint::Name { address, .. }) => {
                cidrs.iter().any(|c| c.contains(*address))
            }
            (Peer::Networks(cidrs), Endpoint::Pod(pod)) => pod_in(cidrs, pod),
            _ => false,
        })
    }

    fn matches_port(&self, dst: Option<&Pod>, protocol: Protocol, port: u16) -> bool {
        let Some(list) = &self.ports else {
            return true;
        };
        list.iter().any(|m| match m {
            PortMatch::Range(p, a, b) => *p == protocol && *a <= port && port <= *b,
            PortMatch::Named(name) => dst.is_some_and(|pod| {
                pod.ports
                    .iter()
                    .any(|np| np.name == *name && np.protocol == protocol && np.number == port)
            }),
        })
    }

    /// The (protocol, port) pairs the rule matches toward `dst`.
    fn port_set(&self, dst: Option<&Pod>) -> PortSet {
        let Some(list) = &self.ports else {
            return PortSet::full();
        };
        let mut set = PortSet::empty();
        for m in list {
            match m {
                PortMatch::Range(p, a, b) => set.insert(*p, *a, *b),
                PortMatch::Named(name) => {
                    for np in dst.iter().flat_map(|pod| &pod.ports) {
                        if np.name == *name {
                            set.insert(np.protocol, np.number, np.number);
                        }
                    }
                }
            }
        }
        set
    }
}

// ------------------------------------------------------------------ reading

fn compile(object: &ClusterObject, sink: &mut ErrorSink<'_>) -> Option<CompiledTierPolicy> {
    let before = sink.errors.len();
    let name = object.name().to_string();
    if name.is_empty() {
        sink.report("metadata.name", "a policy needs a name");
    }
    let (tier, priority, subject, ingress, egress) = match object {
        ClusterObject::Cluster(p) => {
            let tier = match p.spec.tier.as_str() {
                "Admin" => Tier::Admin,
                "Baseline" => Tier::Baseline,
                other => {
                    sink.report(
                        "spec.tier",
                        format!("unknown tier `{other}` (expected Admin or Baseline)"),
                    );
                    Tier::Admin
                }
            };
            let ingress = p
                .spec
                .ingress
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, r)| {
                    let path = format!("spec.ingress[{i}]");
                    let peers = ingress_peers(&r.from, &path, sink);
                    let ports = protocols(r.protocols.as_deref(), &path, sink);
                    rule(&r.action, r.from.len(), peers, ports, &path, sink)
                })
                .collect();
            let egress = p
                .spec
                .egress
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, r)| {
                    let path = format!("spec.egress[{i}]");
                    let peers = egress_peers(&r.to, &path, sink);
                    let ports = protocols(r.protocols.as_deref(), &path, sink);
                    named_with_networks(&peers, ports.as_deref(), &path, sink);
                    rule(&r.action, r.to.len(), peers, ports, &path, sink)
                })
                .collect();
            (tier, p.spec.priority, &p.spec.subject, ingress, egress)
        }
        ClusterObject::Admin(p) => (
            Tier::Admin,
            p.spec.priority,
            &p.spec.subject,
            v1alpha1_ingress(p.spec.ingress.as_deref(), sink),
            v1alpha1_egress(p.spec.egress.as_deref(), sink),
        ),
        ClusterObject::Baseline(p) => (
            Tier::Baseline,
            0,
            &p.spec.subject,
            v1alpha1_ingress(p.spec.ingress.as_deref(), sink),
            v1alpha1_egress(p.spec.egress.as_deref(), sink),
        ),
    };
    if !(i32::from(api::MIN_PRIORITY)..=i32::from(api::MAX_PRIORITY)).contains(&priority) {
        sink.report(
            "spec.priority",
            format!(
                "priority {priority} is not in {}..={}",
                api::MIN_PRIORITY,
                api::MAX_PRIORITY
            ),
        );
    }
    let subject = match (&subject.namespaces, &subject.pods) {
        (Some(ns), None) => Subject {
            namespaces: selector::compile(ns, "spec.subject.namespaces", sink),
            pods: Selector::everything(),
        },
        (None, Some(pods)) => Subject {
            namespaces: selector::compile(
                &pods.namespace_selector,
                "spec.subject.pods.namespaceSelector",
                sink,
            ),
            pods: selector::compile(&pods.pod_selector, "spec.subject.pods.podSelector", sink),
        },
        _ => {
            sink.report(
                "spec.subject",
                "exactly one of `namespaces` and `pods` must be set",
            );
            Subject {
                namespaces: Selector::everything(),
                pods: Selector::everything(),
            }
        }
    };
    (sink.errors.len() == before).then_some(CompiledTierPolicy {
        kind: object.kind(),
        name,
        tier,
        priority,
        subject,
        ingress,
        egress,
    })
}

fn rule(
    action: &str,
    written: usize,
    peers: Vec<Peer>,
    ports: Option<Vec<PortMatch>>,
    path: &str,
    sink: &mut ErrorSink<'_>,
) -> Rule {
    let action = Action::parse_api(action).unwrap_or_else(|| {
        sink.report(
            format!("{path}.action"),
            format!("unknown action `{action}`"),
        );
        Action::Deny
    });
    // A peer refused on its own is reported as such.
    if written == 0 {
        sink.report(path, "a rule needs at least one peer");
    }
    Rule {
        action,
        peers,
        ports,
    }
}

fn pods_peer(pods: &api::NamespacedPod, path: &str, sink: &mut ErrorSink<'_>) -> Peer {
    Peer::Pods {
        namespaces: selector::compile(
            &pods.namespace_selector,
            format!("{path}.pods.namespaceSelector"),
            sink,
        ),
        pods: selector::compile(&pods.pod_selector, format!("{path}.pods.podSelector"), sink),
    }
}

fn ingress_peers(peers: &[api::IngressPeer], path: &str, sink: &mut ErrorSink<'_>) -> Vec<Peer> {
    peers
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let here = format!("{path}.from[{i}]");
            match (&p.namespaces, &p.pods) {
                (Some(ns), None) => Some(Peer::Namespaces(selector::compile(
                    ns,
                    format!("{here}.namespaces"),
                    sink,
                ))),
                (None, Some(pods)) => Some(pods_peer(pods, &here, sink)),
                _ => {
                    sink.report(&here, "exactly one of `namespaces` and `pods` must be set");
                    None
                }
            }
        })
        .collect()
}

fn egress_peers(peers: &[api::EgressPeer], path: &str, sink: &mut ErrorSink<'_>) -> Vec<Peer> {
    peers
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let here = format!("{path}.to[{i}]");
            let set = [
                p.namespaces.is_some(),
                p.pods.is_some(),
                p.networks.is_some(),
                p.nodes.is_some(),
                p.domain_names.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if set != 1 {
                sink.report(
                    &here,
                    "exactly one of `namespaces`, `pods`, `networks`, `nodes` and `domainNames` must be set",
                );
                return None;
            }
            if p.nodes.is_some() || p.domain_names.is_some() {
                sink.report(
                    &here,
                    "`nodes` and `domainNames` peers are not evaluated by npc",
                );
                return None;
            }
            if let Some(ns) = &p.namespaces {
                return Some(Peer::Namespaces(selector::compile(
                    ns,
                    format!("{here}.namespaces"),
                    sink,
                )));
            }
            if let Some(pods) = &p.pods {
                return Some(pods_peer(pods, &here, sink));
            }
            let list = p.networks.as_deref().unwrap_or_default();
            if list.is_empty() || list.len() > api::MAX_NETWORKS {
                sink.report(
                    format!("{here}.networks"),
                    format!("`networks` holds 1 to {} CIDRs", api::MAX_NETWORKS),
                );
            }
            let cidrs = list
                .iter()
                .enumerate()
                .filter_map(|(j, text)| match Cidr::parse_lenient(text) {
                    Ok(c) => Some(c),
                    Err(message) => {
                        sink.report(format!("{here}.networks[{j}]"), message);
                        None
                    }
                })
                .collect();
            Some(Peer::Networks(cidrs))
        })
        .collect()
}

/// The API's rule: no named port in a rule with a `networks` peer.
fn named_with_networks(
    peers: &[Peer],
    ports: Option<&[PortMatch]>,
    path: &str,
    sink: &mut ErrorSink<'_>,
) {
    let networks = peers.iter().any(|p| matches!(p, Peer::Networks(_)));
    let named = ports
        .into_iter()
        .flatten()
        .any(|p| matches!(p, PortMatch::Named(_)));
    if networks && named {
        sink.report(
            path,
            "a named port cannot be used in a rule with a `networks` peer",
        );
    }
}

fn to_port(n: i32) -> Option<u16> {
    u16::try_from(n).ok().filter(|p| *p >= 1)
}

fn protocols(
    list: Option<&[api::ProtocolMatch]>,
    path: &str,
    sink: &mut ErrorSink<'_>,
) -> Option<Vec<PortMatch>> {
    let list = list?;
    if list.is_empty() {
        sink.report(format!("{path}.protocols"), "`protocols` cannot be empty");
    }
    let mut out = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let here = format!("{path}.protocols[{i}]");
        let fields = [
            m.tcp.as_ref().map(|p| (Protocol::Tcp, p)),
            m.udp.as_ref().map(|p| (Protocol::Udp, p)),
            m.sctp.as_ref().map(|p| (Protocol::Sctp, p)),
        ];
        let set = fields.iter().flatten().count() + usize::from(m.destination_named_port.is_some());
        if set != 1 {
            sink.report(
                &here,
                "exactly one of `tcp`, `udp`, `sctp` and `destinationNamedPort` must be set",
            );
            continue;
        }
        if let Some(name) = &m.destination_named_port {
            out.push(PortMatch::Named(name.clone()));
            continue;
        }
        for (protocol, ports) in fields.into_iter().flatten() {
            let Some(port) = &ports.destination_port else {
                sink.report(&here, "`destinationPort` must be set");
                continue;
            };
            match (port.number, &port.range) {
                (Some(n), None) => match to_port(n) {
                    Some(n) => out.push(PortMatch::Range(protocol, n, n)),
                    None => sink.report(&here, format!("port {n} is not in 1..=65535")),
                },
                (None, Some(r)) => match (to_port(r.start), to_port(r.end)) {
                    (Some(a), Some(b)) if a < b => out.push(PortMatch::Range(protocol, a, b)),
                    _ => sink.report(
                        &here,
                        format!(
                            "range {}-{} must have 1 <= start < end <= 65535",
                            r.start, r.end
                        ),
                    ),
                },
                _ => sink.report(&here, "exactly one of `number` and `range` must be set"),
            }
        }
    }
    Some(out)
}

fn v1alpha1_ports(
    list: Option<&[api::V1Alpha1Port]>,
    path: &str,
    sink: &mut ErrorSink<'_>,
) -> Option<Vec<PortMatch>> {
    let list = list?;
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let here = format!("{path}.ports[{i}]");
        let protocol = |text: &str, sink: &mut ErrorSink<'_>| {
            Protocol::parse(text).or_else(|| {
                sink.report(&here, format!("unknown protocol `{text}`"));
                None
            })
        };
        match (&p.port_number, &p.named_port, &p.port_range) {
            (Some(n), None, None) => {
                if let (Some(proto), Some(port)) = (protocol(&n.protocol, sink), to_port(n.port)) {
                    out.push(PortMatch::Range(proto, port, port));
                }
            }
            (None, Some(name), None) => out.push(PortMatch::Named(name.clone())),
            (None, None, Some(r)) => {
                if let (Some(proto), Some(a), Some(b)) = (
                    protocol(&r.protocol, sink),
                    to_port(r.start),
                    to_port(r.end),
                ) {
                    out.push(PortMatch::Range(proto, a.min(b), a.max(b)));
                }
            }
            _ => sink.report(
                &here,
                "exactly one of `portNumber`, `namedPort` and `portRange` must be set",
            ),
        }
    }
    Some(out)
}

fn v1alpha1_ingress(
    rules: Option<&[api::V1Alpha1IngressRule]>,
    sink: &mut ErrorSink<'_>,
) -> Vec<Rule> {
    rules
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| {
            let path = format!("spec.ingress[{i}]");
            let peers = ingress_peers(&r.from, &path, sink);
            let ports = v1alpha1_ports(r.ports.as_deref(), &path, sink);
            rule(&r.action, r.from.len(), peers, ports, &path, sink)
        })
        .collect()
}

fn v1alpha1_egress(
    rules: Option<&[api::V1Alpha1EgressRule]>,
    sink: &mut ErrorSink<'_>,
) -> Vec<Rule> {
    rules
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| {
            let path = format!("spec.egress[{i}]");
            let peers = egress_peers(&r.to, &path, sink);
            let ports = v1alpha1_ports(r.ports.as_deref(), &path, sink);
            rule(&r.action, r.to.len(), peers, ports, &path, sink)
        })
        .collect()
}
