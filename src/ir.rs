//! The resolved intermediate representation: names resolved, defaults
//! applied, every value validated. No pest and no Kubernetes types here.

use std::collections::{BTreeMap, BTreeSet};

use crate::k8s::{DnsName, IpBlock, Protocol};
use crate::source::Span;

/// The whole resolved program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Program {
    pub settings: Settings,
    pub namespaces: BTreeMap<String, ManagedNamespace>,
    /// `allow` statements, then the rules carve-out passes add.
    pub rules: Vec<Rule>,
    pub dns: Dns,
    pub scrapes: Vec<Scrape>,
    pub expectations: Vec<Expectation>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The label a bare workload name selects on (`app`).
    pub workload_label: String,
    /// Prepended to every policy name.
    pub name_prefix: String,
    /// The CNI the policies are written for (`set cni`).
    pub cni: Cni,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            workload_label: "app".to_string(),
            name_prefix: String::new(),
            cni: Cni::Generic,
        }
    }
}

/// Shows `cni` only when it is set, so that the IR of a v1 program reads as
/// it always has.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Settings");
        d.field("workload_label", &self.workload_label)
            .field("name_prefix", &self.name_prefix);
        if self.cni != Cni::Generic {
            d.field("cni", &self.cni);
        }
        d.finish()
    }
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedNamespace {
    pub name: String,
    /// Declared labels plus `kubernetes.io/metadata.name`.
    pub labels: BTreeMap<String, String>,
    pub isolation: Isolation,
    pub dns: bool,
    pub scrape: bool,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Isolation {
    pub ingress: bool,
    pub egress: bool,
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
    Only(BTreeSet<Port>),
}

impl Ports {
    /// A set of ports in canonical form: per protocol, numeric ports and
    /// ranges that overlap or touch merged into one range (`{80, 81}` is
    /// `80-81`; 65,535 single ports are one range, not a 15 MB policy), a
    /// range of one port written as that port; named ports as they are.
    /// Equal sets of ports are equal values.
    pub fn only(ports: impl IntoIterator<Item = Port>) -> Ports {
        let mut ranges: BTreeMap<Protocol, Vec<(u16, u16)>> = BTreeMap::new();
        let mut out = BTreeSet::new();
        for port in ports {
            match port.number {
                PortNumber::Single(n) => ranges.entry(port.protocol).or_default().push((n, n)),
                PortNumber::Range(a, b) => ranges.entry(port.protocol).or_default().push((a, b)),
                PortNumber::Named(_) => {
                    out.insert(port);
                }
            }
        }
        for (protocol, mut list) in ranges {
            list.sort_unstable();
            let mut merged: Vec<(u16, u16)> = Vec::with_capacity(list.len());
            for (a, b) in list {
                match merged.last_mut() {
                    Some((_, end)) if u32::from(a) <= u32::from(*end) + 1 => *end = (*end).max(b),
                    _ => merged.push((a, b)),
                }
            }
            out.extend(merged.into_iter().map(|(a, b)| Port {
                protocol,
                number: if a == b {
                    PortNumber::Single(a)
                } else {
                    PortNumber::Range(a, b)
                },
            }));
        }
        Ports::Only(out)
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
            match_labels: BTreeMap::from([("k8s-app".to_string(), "kube-dns".to_string())]),
            expressions: BTreeSet::new(),
        },
    }
}

/// The ports DNS is served on: 53/udp and 53/tcp.
pub fn dns_ports() -> Ports {
    Ports::Only(BTreeSet::from([
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
