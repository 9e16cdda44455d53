//! The resolved intermediate representation: names resolved, defaults
//! applied, every value validated. No pest and no Kubernetes types here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

pub use crate::k8s::cluster_policy::{Action, Tier};
use crate::k8s::{Direction, DnsName, IpBlock, Labels, Protocol};
use crate::source::Span;

/// The whole resolved program.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Program {
    pub settings: Settings,
    pub namespaces: BTreeMap<String, ManagedNamespace>,
    /// `allow` statements, then the rules carve-out passes add.
    pub rules: Vec<Rule>,
    pub dns: Dns,
    pub scrapes: Vec<Scrape>,
    pub expectations: Vec<Expectation>,
    /// The `admin` and `baseline` blocks.
    pub tiers: Tiers,
}

/// Written as the derived form would be, without the parts of version 2
/// a program does not use: the IR of a version 1 program reads as it
/// always has.
impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Program");
        d.field("settings", &self.settings)
            .field("namespaces", &self.namespaces)
            .field("rules", &self.rules)
            .field("dns", &self.dns)
            .field("scrapes", &self.scrapes)
            .field("expectations", &self.expectations);
        if !self.tiers.is_empty() {
            d.field("tiers", &self.tiers);
        }
        d.finish()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The label a bare workload name selects on (`app`).
    pub workload_label: String,
    /// Prepended to every policy name.
    pub name_prefix: String,
    /// The API version tier blocks are written in.
    pub cluster_policy_api: ClusterPolicyApi,
    /// The priorities cluster policies may take, inclusive.
    pub cluster_policy_priorities: (u16, u16),
    /// The CNI the policies are written for (`set cni`).
    pub cni: Cni,
}

/// The priorities cluster policies take unless `set cluster-policy-priorities` says otherwise.
pub const DEFAULT_PRIORITIES: (u16, u16) = (
    crate::k8s::cluster_policy::MIN_PRIORITY,
    crate::k8s::cluster_policy::MAX_PRIORITY,
);

impl Default for Settings {
    fn default() -> Self {
        Settings {
            workload_label: "app".to_string(),
            name_prefix: String::new(),
            cluster_policy_api: ClusterPolicyApi::default(),
            cluster_policy_priorities: DEFAULT_PRIORITIES,
            cni: Cni::Generic,
        }
    }
}

/// As the derived form, the settings of version 2 only when not their default.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Settings");
        d.field("workload_label", &self.workload_label)
            .field("name_prefix", &self.name_prefix);
        if self.cluster_policy_api != ClusterPolicyApi::default() {
            d.field("cluster_policy_api", &self.cluster_policy_api);
        }
        if self.cluster_policy_priorities != DEFAULT_PRIORITIES {
            d.field("cluster_policy_priorities", &self.cluster_policy_priorities);
        }
        if self.cni != Cni::Generic {
            d.field("cni", &self.cni);
        }
        d.finish()
    }
}

/// `set cluster-policy-api = v1alpha2 | v1alpha1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClusterPolicyApi {
    /// ClusterNetworkPolicy, `policy.networking.k8s.io/v1alpha2`.
    #[default]
    V1alpha2,
    /// AdminNetworkPolicy and BaselineAdminNetworkPolicy, `v1alpha1`.
    V1alpha1,
}

impl ClusterPolicyApi {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterPolicyApi::V1alpha2 => "v1alpha2",
            ClusterPolicyApi::V1alpha1 => "v1alpha1",
        }
    }
}

/// The `admin` and `baseline` blocks of a program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tiers {
    pub admin: Option<TierBlock>,
    pub baseline: Option<TierBlock>,
}

impl Tiers {
    pub fn is_empty(&self) -> bool {
        self.admin.is_none() && self.baseline.is_none()
    }

    /// The blocks there are, `admin` first.
    pub fn blocks(&self) -> impl Iterator<Item = &TierBlock> {
        self.admin.iter().chain(self.baseline.iter())
    }

    pub fn get(&self, tier: Tier) -> Option<&TierBlock> {
        match tier {
            Tier::Admin => self.admin.as_ref(),
            Tier::Baseline => self.baseline.as_ref(),
        }
    }
}

/// One tier block: its statements in order (DNS statements inserted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierBlock {
    pub tier: Tier,
    /// The `admin` / `baseline` keyword.
    pub span: Span,
    /// Whether DNS statements are inserted before `deny` (no `no dns`).
    pub dns: bool,
    pub statements: Vec<TierStatement>,
}

/// `accept|deny|pass [ingress|egress] SRC -> DST[:PORTS]`, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierStatement {
    pub action: Action,
    /// The side as written; `None` applies to each side whose endpoint
    /// denotes pods (see [`TierStatement::applies`]).
    pub side: Option<Direction>,
    /// Pods only: an address source is an error.
    pub sources: Vec<Peer>,
    pub destinations: Vec<(Peer, Ports)>,
    pub origin: TierOrigin,
}

impl TierStatement {
    /// Whether the statement applies to `direction`: to the sources'
    /// egress (they are always pods), to the destinations' ingress when
    /// some destination denotes pods.
    pub fn applies(&self, direction: Direction) -> bool {
        match (self.side, direction) {
            (Some(side), d) => side == d,
            (None, Direction::Egress) => !self.sources.is_empty(),
            (None, Direction::Ingress) => self
                .destinations
                .iter()
                .any(|(p, _)| matches!(p, Peer::Pods { .. })),
        }
    }
}

/// Where a tier statement came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TierOrigin {
    /// The statement as written; for an inserted DNS statement, the `deny`
    /// it was inserted before.
    pub span: Span,
    /// Inserted before a `deny` so that DNS keeps working.
    pub dns: bool,
}

/// What the CNI enforces beyond NetworkPolicy: `set cni = cilium` lets DNS
/// names be destinations (CiliumNetworkPolicy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Cni {
    /// Standard NetworkPolicy only.
    #[default]
    Generic,
    Cilium,
}

/// A namespace declared with `namespace`: npc owns its policies.
#[derive(Clone, PartialEq, Eq)]
pub struct ManagedNamespace {
    pub name: String,
    /// Declared labels plus `kubernetes.io/metadata.name`.
    pub labels: BTreeMap<String, String>,
    /// The directions in which some pods are isolated: every pod, or the
    /// pods of `only` for the directions a pod set names.
    pub isolation: Isolation,
    /// `isolate DIRS only PODSET {, PODSET}`: the pod sets a direction's
    /// isolation is limited to. A direction no set names isolates every pod.
    pub only: Vec<PodSet>,
    pub dns: bool,
    pub scrape: bool,
    pub span: Span,
}

/// As the derived form, `only` only when a body writes it: the IR of a
/// version 1 program reads as it always has.
impl std::fmt::Debug for ManagedNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("ManagedNamespace");
        d.field("name", &self.name)
            .field("labels", &self.labels)
            .field("isolation", &self.isolation);
        if !self.only.is_empty() {
            d.field("only", &self.only);
        }
        d.field("dns", &self.dns)
            .field("scrape", &self.scrape)
            .field("span", &self.span)
            .finish()
    }
}

impl ManagedNamespace {
    /// Whether the isolation of `direction` is limited to the pod sets of
    /// `only` (some set names it).
    pub fn limited(&self, direction: Direction) -> bool {
        self.only.iter().any(|s| s.isolation.has(direction))
    }

    /// The pod sets that isolate `direction`, when it is limited.
    pub fn sets(&self, direction: Direction) -> impl Iterator<Item = &PodSet> {
        self.only.iter().filter(move |s| s.isolation.has(direction))
    }

    /// Whether a pod of this namespace with these labels is isolated in
    /// `direction` (§7.1: an isolated pod of a managed namespace).
    pub fn isolates(&self, direction: Direction, labels: &BTreeMap<String, String>) -> bool {
        self.isolation.has(direction)
            && (!self.limited(direction) || self.sets(direction).any(|s| s.pods.matches(labels)))
    }

    /// Whether some pod that `pods` selects may be isolated in `direction`.
    pub fn may_isolate(&self, direction: Direction, pods: &Selector) -> bool {
        self.isolation.has(direction)
            && (!self.limited(direction)
                || self
                    .sets(direction)
                    .any(|s| !pods.and(&s.pods).is_unsatisfiable()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Isolation {
    pub ingress: bool,
    pub egress: bool,
}

impl Isolation {
    pub fn has(self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }
}

impl PodSet {
    /// The set as a reader wrote it: the alias, the workload name, or the
    /// label set.
    pub fn describe(&self, workload_label: &str) -> String {
        if let Some(alias) = &self.alias {
            return alias.clone();
        }
        match (
            self.pods.match_labels.get(workload_label),
            self.pods.match_labels.len(),
            self.pods.expressions.is_empty(),
        ) {
            (Some(name), 1, true) => name.clone(),
            _ => self.pods.to_string(),
        }
    }
}

/// One pod set of `isolate DIRS only ...`: the pods of the namespace it
/// selects are isolated in its directions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSet {
    pub pods: Selector,
    /// The directions whose `isolate` lists this set.
    pub isolation: Isolation,
    /// The alias the set was written as, if any: policy names of the set
    /// end with it (`default-deny-db`); otherwise with the name of the
    /// pods' policy (the workload name, or the label set's).
    pub alias: Option<String>,
    /// Where the set is written (the first place, when listed for both
    /// directions).
    pub span: Span,
}

pub use crate::k8s::selector::{Operator, Requirement, Selector};

/// Which namespaces a pod peer lives in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamespaceSelector {
    /// Exactly the namespace with this name.
    Named(String),
    /// Every namespace whose labels match (`*` is the empty selector).
    Matching(Selector),
}

impl NamespaceSelector {
    /// Whether a namespace with this name and these labels (which include
    /// `kubernetes.io/metadata.name`) is selected.
    pub fn covers(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        match self {
            NamespaceSelector::Named(n) => n == name,
            NamespaceSelector::Matching(sel) => sel.matches(labels),
        }
    }
}

/// One peer: a set of pods (namespace part AND pod part), an IP block, or
/// the addresses a DNS name (or pattern) resolves to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    Pods {
        namespaces: NamespaceSelector,
        pods: Selector,
    },
    Ip(IpBlock),
    /// Only ever a destination (of egress), emitted for Cilium.
    Name(DnsName),
}

impl Peer {
    /// Whether this is a DNS name (or pattern).
    pub fn is_name(&self) -> bool {
        matches!(self, Peer::Name(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortNumber {
    Single(u16),
    /// Inclusive, `first < last`.
    Range(u16, u16),
    /// A named container port of the destination pod.
    Named(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port {
    pub protocol: Protocol,
    pub number: PortNumber,
}

/// The ports a rule allows: every port and protocol, or a set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ports {
    All,
    Only(PortList),
}

/// The ports of [`Ports::Only`]: in order, each once, and shared: a rule's
/// ports are cloned for every peer it names, and a list of one or two
/// ports held in a `BTreeSet` took a node for eleven each time. Cloning is
/// a reference count. It compares, orders, hashes and prints (`Debug`) as
/// the set did.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortList(Arc<[Port]>);

impl PortList {
    pub fn iter(&self) -> std::slice::Iter<'_, Port> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Sorted, each port once, whatever the order and repeats of `iter`.
impl FromIterator<Port> for PortList {
    fn from_iter<I: IntoIterator<Item = Port>>(iter: I) -> Self {
        let mut ports: Vec<Port> = iter.into_iter().collect();
        ports.sort_unstable();
        ports.dedup();
        PortList(ports.into())
    }
}

impl<'a> IntoIterator for &'a PortList {
    type Item = &'a Port;
    type IntoIter = std::slice::Iter<'a, Port>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Debug for PortList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.iter()).finish()
    }
}

impl Ports {
    /// A set of ports in canonical form: per protocol, numeric ports and
    /// ranges that overlap or touch merged into one range (`{80, 81}` is
    /// `80-81`; 65,535 single ports are one range, not a 15 MB policy), a
    /// range of one port written as that port; named ports as they are.
    /// Equal sets of ports are equal values.
    pub fn only(ports: impl IntoIterator<Item = Port>) -> Ports {
        // Numbered ports as ranges, sorted by protocol, then merged in place
        // (a rule's ports are one or two: no map of protocols).
        let mut ranges: Vec<(Protocol, u16, u16)> = Vec::new();
        let mut out = Vec::new();
        for port in ports {
            match port.number {
                PortNumber::Single(n) => ranges.push((port.protocol, n, n)),
                PortNumber::Range(a, b) => ranges.push((port.protocol, a, b)),
                PortNumber::Named(_) => out.push(port),
            }
        }
        ranges.sort_unstable();
        ranges.dedup_by(|next, kept| {
            let joins = next.0 == kept.0 && u32::from(next.1) <= u32::from(kept.2) + 1;
            if joins {
                kept.2 = kept.2.max(next.2);
            }
            joins
        });
        out.extend(ranges.into_iter().map(|(protocol, a, b)| Port {
            protocol,
            number: if a == b {
                PortNumber::Single(a)
            } else {
                PortNumber::Range(a, b)
            },
        }));
        Ports::Only(out.into_iter().collect())
    }

    pub fn union(&self, other: &Ports) -> Ports {
        match (self, other) {
            (Ports::Only(a), Ports::Only(b)) => Ports::only(a.iter().chain(b).cloned()),
            _ => Ports::All,
        }
    }
}

/// Where a rule came from, for annotations, traces and warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OriginKind {
    Allow,
    /// DNS egress of a namespace's pods.
    Dns,
    /// Ingress to a DNS server from the whole cluster.
    DnsServer,
    Scrape,
    /// A namespace's isolation (its default-deny policy).
    Namespace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub kind: OriginKind,
    pub span: Span,
}

/// Which sides a rule is compiled to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sides {
    pub ingress: bool,
    pub egress: bool,
}

impl Sides {
    pub const BOTH: Sides = Sides {
        ingress: true,
        egress: true,
    };
    pub const INGRESS: Sides = Sides {
        ingress: true,
        egress: false,
    };
    pub const EGRESS: Sides = Sides {
        ingress: false,
        egress: true,
    };
}

/// Traffic from every source to every destination on that destination's ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub sources: Vec<Peer>,
    pub destinations: Vec<(Peer, Ports)>,
    pub origin: Origin,
    pub sides: Sides,
}

/// The DNS servers of the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dns {
    Servers {
        peers: Vec<Peer>,
        span: Option<Span>,
    },
    None(Span),
}

impl Default for Dns {
    fn default() -> Self {
        Dns::Servers {
            peers: vec![default_dns_server()],
            span: None,
        }
    }
}

/// `kube-system/{k8s-app=kube-dns}`
pub fn default_dns_server() -> Peer {
    Peer::Pods {
        namespaces: NamespaceSelector::Named("kube-system".to_string()),
        pods: Selector {
            match_labels: Labels::from([("k8s-app".to_string(), "kube-dns".to_string())]),
            expressions: BTreeSet::new(),
        },
    }
}

/// The ports DNS is served on: 53/udp and 53/tcp.
pub fn dns_ports() -> Ports {
    Ports::Only(PortList::from_iter([
        Port {
            protocol: Protocol::Udp,
            number: PortNumber::Single(53),
        },
        Port {
            protocol: Protocol::Tcp,
            number: PortNumber::Single(53),
        },
    ]))
}

/// `scrape SOURCE -> PODSET:PORTS`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scrape {
    pub sources: Vec<Peer>,
    pub pods: Selector,
    pub ports: Ports,
    pub span: Span,
}

/// `expect allow|deny SRC -> DST[:PORT]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub allow: bool,
    /// The peers of each endpoint: one, or the IPv4 and IPv6 halves of `world`.
    pub sources: Vec<Peer>,
    pub destinations: Vec<Peer>,
    /// `None`: every port and protocol (`allow`) or none (`deny`).
    pub ports: Option<Ports>,
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(protocol: Protocol, number: PortNumber) -> Port {
        Port { protocol, number }
    }

    #[test]
    fn port_sets_merge_per_protocol() {
        use PortNumber::{Named, Range, Single};
        use Protocol::{Tcp, Udp};
        let ports = Ports::only([
            port(Tcp, Single(81)),
            port(Udp, Single(81)),
            port(Tcp, Range(75, 79)),
            port(Tcp, Single(80)),
            port(Tcp, Range(70, 76)),
            port(Udp, Single(83)),
            port(Tcp, Named("metrics".into())),
            port(Tcp, Single(90)),
            port(Tcp, Single(90)),
            port(Tcp, Range(65534, 65535)),
            port(Tcp, Single(65533)),
        ]);
        let Ports::Only(list) = ports else {
            unreachable!("a set of ports")
        };
        let mut want = vec![
            port(Tcp, Range(70, 81)),
            port(Tcp, Single(90)),
            port(Tcp, Range(65533, 65535)),
            port(Udp, Single(81)),
            port(Udp, Single(83)),
            port(Tcp, Named("metrics".into())),
        ];
        want.sort();
        assert_eq!(list.iter().cloned().collect::<Vec<_>>(), want);
    }
}
