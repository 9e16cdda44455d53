//! Connectivity of existing manifests: which workloads (not pods) and which
//! external address ranges may connect, on which ports, decided by the
//! evaluator (`eval`) over the manifests' policies.
//!
//! * Each workload stands for its pod shapes (`manifest::PodShape`); a
//!   connection between two workloads is the union over their shapes.
//!   Self-connections are left out; host-network workloads are left out
//!   and listed (NetworkPolicy does not apply to them).
//! * External addresses (of the families asked for) are split at every
//!   `ipBlock` bound (CIDR and `except`) of every policy; for each workload
//!   and direction, adjacent ranges with the same ports are one line, so a
//!   line splits only where the verdict changes. With netpol-analyzer's
//!   conventions, sources split at the ingress rules' ipBlocks and
//!   destinations at the egress rules', each range a line of its own.
//! * Pods with addresses (a cluster dump's `status.podIPs`) are matched by
//!   the ipBlocks that contain them, as the evaluator does everywhere.
//! * With exposure, each workload also lists the selectors its policies
//!   open it to (pods that may not be in the input).
//!
//! The result ([`Analysis`]) is plain data with a stable JSON form;
//! [`text`] prints it as text, CSV, Markdown or JSON.

mod exposure;
mod external;
pub mod text;

use std::fmt;
use std::net::IpAddr;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::eval::{Pod, PortSet, Protocol};
use crate::manifest::{Manifests, WorkloadName};

pub use exposure::{peer_text, selector_text, ExposedPeer, Exposure};

/// An inclusive range of addresses of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpRange {
    pub first: IpAddr,
    pub last: IpAddr,
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// One end of a connection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// Addresses outside the cluster (sorted first, IPv4 before IPv6).
    External(IpRange),
    Workload(WorkloadName),
    /// A DNS name or pattern of a CiliumNetworkPolicy's `toFQDNs` (a
    /// destination only).
    Name(String),
}

impl fmt::Display for Peer {
    /// `ns/name[Kind]` or `first-last[External]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Workload(id) => write!(f, "{id}"),
            Peer::External(range) => write!(f, "{range}[External]"),
            Peer::Name(name) => write!(f, "{name}[Name]"),
        }
    }
}

impl Serialize for Peer {
    /// `{"kind", "namespace", "name"}` or `{"kind": "External", "name":
    /// "first-last", "first", "last"}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Peer::Workload(id) => {
                let mut o = s.serialize_struct("Workload", 3)?;
                o.serialize_field("kind", &id.kind)?;
                o.serialize_field("namespace", &id.namespace)?;
                o.serialize_field("name", &id.name)?;
                o.end()
            }
            Peer::External(range) => {
                let mut o = s.serialize_struct("External", 4)?;
                o.serialize_field("kind", "External")?;
                o.serialize_field("name", &range.to_string())?;
                o.serialize_field("first", &range.first.to_string())?;
                o.serialize_field("last", &range.last.to_string())?;
                o.end()
            }
            Peer::Name(name) => {
                let mut o = s.serialize_struct("Name", 2)?;
                o.serialize_field("kind", "Name")?;
                o.serialize_field("name", name)?;
                o.end()
            }
        }
    }
}

/// The allowed (protocol, port) pairs of a connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Conn(pub PortSet);

impl fmt::Display for Conn {
    /// `All Connections`, or `TCP 80,8080-8090,UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, &Protocol::ALL)
    }
}

impl Conn {
    /// As [`fmt::Display`], with the protocols in netpol-analyzer's
    /// (alphabetical) order for its conventions: `SCTP 7000,TCP 80`.
    pub fn text(&self, conventions: Conventions) -> String {
        struct Shown<'a>(&'a Conn, &'a [Protocol]);
        impl fmt::Display for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, self.1)
            }
        }
        match conventions {
            Conventions::Npc => self.to_string(),
            Conventions::NetpolAnalyzer => {
                Shown(self, &[Protocol::Sctp, Protocol::Tcp, Protocol::Udp]).to_string()
            }
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, order: &[Protocol]) -> fmt::Result {
        if self.0.is_full() {
            return f.write_str("All Connections");
        }
        if self.0.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for &protocol in order {
            let ranges = self.0.ranges(protocol);
            if ranges.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{protocol} ")?;
            for (k, r) in ranges.iter().enumerate() {
                if k > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{r}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for Conn {
    /// `"all"`, or `{"TCP": [[80, 80], [8080, 8090]], "UDP": [[53, 53]]}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_full() {
            return s.serialize_str("all");
        }
        let protocols: Vec<Protocol> = Protocol::ALL
            .into_iter()
            .filter(|p| !self.0.ranges(*p).is_empty())
            .collect();
        let mut map = s.serialize_map(Some(protocols.len()))?;
        for p in protocols {
            let ranges: Vec<[u16; 2]> = self.0.ranges(p).iter().map(|r| [r.start, r.end]).collect();
            map.serialize_entry(p.as_str(), &ranges)?;
        }
        map.end()
    }
}

/// One allowed connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub src: Peer,
    pub dst: Peer,
    pub conn: Conn,
}

/// What the manifests allow.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// Every workload analyzed, sorted (the nodes of the graph).
    pub workloads: Vec<WorkloadName>,
    /// The external ranges the policies distinguish, sorted; together they
    /// cover every IPv4 and IPv6 address.
    pub external: Vec<IpRange>,
    /// Allowed connections, sorted by source then destination; no
    /// self-connections, no empty ones.
    pub connections: Vec<Connection>,
    /// The DNS names and patterns of CiliumNetworkPolicies' `toFQDNs`,
    /// sorted (destinations of `Peer::Name` lines).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Workloads on the host network, left out.
    pub host_network: Vec<WorkloadName>,
    /// With `--exposure`: what each workload's policies open it to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Vec<Exposure>>,
    /// Whose conventions the text follows (the order of protocols).
    #[serde(skip)]
    pub conventions: Conventions,
}

impl Serialize for IpRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut o = s.serialize_struct("IpRange", 3)?;
        o.serialize_field("name", &self.to_string())?;
        o.serialize_field("first", &self.first.to_string())?;
        o.serialize_field("last", &self.last.to_string())?;
        o.end()
    }
}

/// Which address families the external ranges cover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IpFamily {
    #[default]
    V4,
    V6,
    Dual,
}

impl IpFamily {
    pub fn v4(self) -> bool {
        matches!(self, IpFamily::V4 | IpFamily::Dual)
    }

    pub fn v6(self) -> bool {
        matches!(self, IpFamily::V6 | IpFamily::Dual)
    }

    fn shows(self, ip: IpAddr) -> bool {
        if ip.is_ipv4() {
            self.v4()
        } else {
            self.v6()
        }
    }
}

/// Whose conventions the analysis follows where tools differ
/// (docs/analyze.md has the table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Conventions {
    /// npc's: host-network workloads left out (no policy selects them, no
    /// peer matches them), ipBlocks match the pods whose addresses the
    /// input gives, adjacent address ranges with the same connections of a
    /// pair are one line.
    #[default]
    Npc,
    /// netpol-analyzer's: host-network pods analyzed as any pod, ipBlocks
    /// never match pods, the sources split at every ingress ipBlock and the
    /// destinations at every egress ipBlock, protocols in alphabetical
    /// order. The caller shows IPv4 only and names pods as it does
    /// (`manifest::Naming::NetpolAnalyzer`).
    NetpolAnalyzer,
}

/// What to compute.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only connections to or from workloads named `ns/name` (any kind).
    pub focus: Option<(String, String)>,
    /// Only connections with an end in one of these namespaces; with
    /// `focus`, either selects.
    pub focus_namespaces: Vec<String>,
    /// List what each workload is open to beyond the input's workloads.
    pub exposure: bool,
    /// The address families of the external ranges.
    pub families: IpFamily,
    pub conventions: Conventions,
}

/// The pods the evaluator sees: one per shape of every workload analyzed
/// (not on the host network, unless with netpol-analyzer's conventions),
/// with the index of its workload.
pub struct Subjects {
    pub pods: Vec<Pod>,
    /// `owner[i]`: index into `Manifests::workloads` of `pods[i]`.
    pub owner: Vec<usize>,
}

impl Subjects {
    pub fn new(manifests: &Manifests) -> Subjects {
        Subjects::with(manifests, Conventions::Npc)
    }

    pub fn with(manifests: &Manifests, conventions: Conventions) -> Subjects {
        let compat = conventions == Conventions::NetpolAnalyzer;
        let mut pods = Vec::new();
        let mut owner = Vec::new();
        for (w, workload) in manifests.workloads.iter().enumerate() {
            let labels = manifests.namespace_labels(&workload.id.namespace);
            for shape in &workload.shapes {
                if compat || !shape.shape.host_network {
                    let mut pod = workload.pod(&shape.shape, &labels);
                    if compat {
                        // netpol-analyzer never matches an ipBlock with a pod.
                        pod.ips.clear();
                    }
                    if !pods.iter().zip(&owner).any(|(p, &o)| o == w && *p == pod) {
                        pods.push(pod);
                        owner.push(w);
                    }
                }
            }
        }
        Subjects { pods, owner }
    }
}

/// The ipBlocks (`cidr` as written, with the policy) that may match pods
/// whose addresses the input does not give: the address ranges where
/// clusters put pods (the private, shared and unique-local ranges)
/// overlap them, and some analyzed pod has no address. Traffic between
/// pods through them depends on the pods' IPs, which only a cluster dump
/// (`status.podIPs`) gives.
pub fn blocks_on_unknown_pods(manifests: &Manifests) -> Vec<String> {
    let subjects = Subjects::new(manifests);
    if subjects.pods.iter().all(|p| !p.ips.is_empty()) {
        return Vec::new();
    }
    let pod_ranges: Vec<crate::k8s::Cidr> = [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
    ]
    .iter()
    .filter_map(|c| crate::k8s::Cidr::parse_lenient(c).ok())
    .collect();
    let mut out: Vec<String> = Vec::new();
    for (policy, view) in manifests.policies() {
        for direction in [
            crate::k8s::Direction::Ingress,
            crate::k8s::Direction::Egress,
        ] {
            for rule in view.rules(direction) {
                for peer in rule.peers() {
                    let crate::eval::PeerKind::Ip(block) = peer.kind() else {
                        continue;
                    };
                    let (first, last) = block.cidr.range();
                    let overlaps = pod_ranges.iter().any(|r| {
                        let (a, b) = r.range();
                        r.is_ipv4() == block.cidr.is_ipv4() && first <= b && a <= last
                    });
                    let text = format!("`{}` in `{}`", block.cidr, policy.key());
                    if overlaps && !out.contains(&text) {
                        out.push(text);
                    }
                }
            }
        }
    }
    out
}

/// The names and patterns of the policies' `toFQDNs` rules, sorted, each once.
fn name_destinations(set: &crate::eval::PolicySet) -> Vec<crate::k8s::DnsName> {
    let mut out: Vec<crate::k8s::DnsName> = Vec::new();
    for view in set.views() {
        for rule in view.rules(crate::k8s::Direction::Egress) {
            for peer in rule.peers() {
                if let crate::eval::PeerKind::Name(name) = peer.kind() {
                    if !out.contains(name) {
                        out.push(name.clone());
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    out
}

/// Computes the connectivity of the manifests under their policies.
pub fn analyze(manifests: &Manifests, options: &Options) -> Analysis {
    let set = &manifests.set;
    let compat = options.conventions == Conventions::NetpolAnalyzer;
    let subjects = Subjects::with(manifests, options.conventions);
    let selecting = options.focus.is_some() || !options.focus_namespaces.is_empty();
    let in_focus = |w: usize| -> bool {
        let Some(id) = manifests.workloads.get(w).map(|w| &w.id) else {
            return false;
        };
        !selecting
            || options
                .focus
                .as_ref()
                .is_some_and(|(ns, name)| id.namespace == *ns && id.name == *name)
            || options.focus_namespaces.contains(&id.namespace)
    };
    // Pods of each analyzed workload.
    let mut pods_of: Vec<Vec<usize>> = vec![Vec::new(); manifests.workloads.len()];
    for (p, &w) in subjects.owner.iter().enumerate() {
        if let Some(pods) = pods_of.get_mut(w) {
            pods.push(p);
        }
    }
    let analyzed: Vec<usize> = pods_of
        .iter()
        .enumerate()
        .filter(|(_, pods)| !pods.is_empty())
        .map(|(w, _)| w)
        .collect();
    let host_network = manifests
        .workloads
        .iter()
        .enumerate()
        .filter(|(w, _)| pods_of.get(*w).is_none_or(Vec::is_empty))
        .map(|(_, wl)| wl.id.clone())
        .collect();

    let mut connections = Vec::new();
    let matrix = set.matrix(&subjects.pods);
    for &a in &analyzed {
        for &b in &analyzed {
            if a == b || !(in_focus(a) || in_focus(b)) {
                continue;
            }
            let mut ports = PortSet::empty();
            for &s in &pods_of[a] {
                for &d in &pods_of[b] {
                    ports.union_with(matrix.get(s, d));
                }
            }
            let (Some(wa), Some(wb)) = (manifests.workloads.get(a), manifests.workloads.get(b))
            else {
                continue;
            };
            if !ports.is_empty() {
                connections.push(Connection {
                    src: Peer::Workload(wa.id.clone()),
                    dst: Peer::Workload(wb.id.clone()),
                    conn: Conn(ports),
                });
            }
        }
    }

    // What workload `w` may open to (egress) or accept from each range of
    // a table, its pods' sets united.
    let side = |table: &external::Table, w: usize, egress: bool| -> Vec<PortSet> {
        table
            .rows
            .iter()
            .map(|row| {
                let mut set = PortSet::empty();
                for &p in &pods_of[w] {
                    let (e, i) = row[p];
                    set.union_with(table.sets.get(if egress { e } else { i }));
                }
                set
            })
            .collect()
    };
    let mut line = |w: usize, range: IpRange, ports: PortSet, egress: bool| {
        if ports.is_empty() {
            return;
        }
        let workload = Peer::Workload(manifests.workloads[w].id.clone());
        let (src, dst) = if egress {
            (workload, Peer::External(range))
        } else {
            (Peer::External(range), workload)
        };
        connections.push(Connection {
            src,
            dst,
            conn: Conn(ports),
        });
    };
    let shown: Vec<usize> = analyzed.iter().copied().filter(|&w| in_focus(w)).collect();
    // Cluster policies' `networks` split the addresses too.
    let networks: Vec<crate::k8s::IpBlock> = set
        .tier_networks()
        .into_iter()
        .map(|cidr| crate::k8s::IpBlock {
            cidr,
            except: Vec::new(),
        })
        .collect();
    let external_ranges: Vec<IpRange>;
    if compat {
        // Sources split where ingress rules' ipBlocks split them,
        // destinations where egress rules' do; every range its own line.
        let mut listed: Vec<IpRange> = Vec::new();
        for egress in [false, true] {
            let direction = if egress {
                crate::k8s::Direction::Egress
            } else {
                crate::k8s::Direction::Ingress
            };
            let blocks: Vec<&crate::k8s::IpBlock> = set
                .ip_blocks_of(direction)
                .chain(networks.iter().filter(|_| egress))
                .collect();
            let ranges = external::atoms(&blocks, options.families);
            let table = external::table(set, &subjects, &ranges);
            for &w in &shown {
                for (range, ports) in ranges.iter().zip(side(&table, w, egress)) {
                    line(w, *range, ports, egress);
                }
            }
            listed.extend(ranges);
        }
        listed.sort();
        listed.dedup();
        external_ranges = listed;
    } else {
        // Every range the policies distinguish; for each workload and
        // direction, adjacent ranges with the same ports are one line.
        let ranges = external::ranges(set.ip_blocks().chain(&networks), options.families);
        let table = external::table(set, &subjects, &ranges);
        for &w in &shown {
            for egress in [true, false] {
                let mut run: Option<(IpRange, PortSet)> = None;
                for (range, ports) in ranges.iter().zip(side(&table, w, egress)) {
                    match &mut run {
                        Some((r, p))
                            if *p == ports && r.first.is_ipv4() == range.first.is_ipv4() =>
                        {
                            r.last = range.last;
                        }
                        _ => {
                            if let Some((r, p)) = run.take() {
                                line(w, r, p, egress);
                            }
                            run = Some((*range, ports));
                        }
                    }
                }
                if let Some((r, p)) = run {
                    line(w, r, p, egress);
                }
            }
        }
        external_ranges = external::merge(&ranges, &table)
            .into_iter()
            .map(|(r, _)| r)
            .filter(|r| options.families.shows(r.first))
            .collect();
    }
    // Names: what each workload may open to a name whatever address it
    // resolves to (every range the policies tell apart, both families).
    let names = name_destinations(set);
    if !names.is_empty() {
        let literals: Vec<&crate::k8s::DnsName> =
            names.iter().filter(|n| !n.is_pattern()).collect();
        let addresses: Vec<IpAddr> =
            external::ranges(set.ip_blocks().chain(&networks), IpFamily::Dual)
                .iter()
                .map(|r| r.first)
                .collect();
        for &w in &shown {
            for name in &names {
                let instance = name.instance(&literals);
                let mut ports = PortSet::full();
                for &address in &addresses {
                    let to = crate::eval::Endpoint::Name {
                        name: instance.clone(),
                        address,
                    };
                    let mut some = PortSet::empty();
                    for &p in &pods_of[w] {
                        let from = crate::eval::Endpoint::Pod(subjects.pods[p].clone());
                        some.union_with(&set.allowed_ports(&from, &to));
                    }
                    ports = ports.intersection(&some);
                    if ports.is_empty() {
                        break;
                    }
                }
                if !ports.is_empty() {
                    connections.push(Connection {
                        src: Peer::Workload(manifests.workloads[w].id.clone()),
                        dst: Peer::Name(name.as_str().to_string()),
                        conn: Conn(ports),
                    });
                }
            }
        }
    }
    connections.sort_by(|a, b| (&a.src, &a.dst).cmp(&(&b.src, &b.dst)));

    let exposure = options.exposure.then(|| {
        let mut items = exposure::exposure(manifests, set, &subjects);
        items.retain(|e| {
            !selecting
                || options.focus.as_ref().is_some_and(|(ns, name)| {
                    e.workload.namespace == *ns && e.workload.name == *name
                })
                || options.focus_namespaces.contains(&e.workload.namespace)
        });
        items
    });
    // With a focus, the workloads shown are the focused ones and their peers.
    let peers: std::collections::BTreeSet<&WorkloadName> = connections
        .iter()
        .flat_map(|c| [&c.src, &c.dst])
        .filter_map(|p| match p {
            Peer::Workload(id) => Some(id),
            Peer::External(_) | Peer::Name(_) => None,
        })
        .collect();
    Analysis {
        workloads: analyzed
            .iter()
            .filter(|&&w| !selecting || in_focus(w) || peers.contains(&manifests.workloads[w].id))
            .map(|&w| manifests.workloads[w].id.clone())
            .collect(),
        external: external_ranges,
        names: names.iter().map(|n| n.as_str().to_string()).collect(),
        connections,
        host_network,
        exposure,
        conventions: options.conventions,
    }
}
