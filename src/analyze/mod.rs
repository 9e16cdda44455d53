//! Connectivity of existing manifests: which workloads (not pods) and which
//! external address ranges may connect, on which ports, decided by the
//! evaluator (`eval`) over the manifests' policies.
//!
//! * Each workload stands for its pod shapes (`manifest::PodShape`); a
//!   connection between two workloads is the union over their shapes.
//!   Self-connections are left out; host-network workloads are left out
//!   and listed (NetworkPolicy does not apply to them).
//! * External addresses are split at every `ipBlock` bound (CIDR and
//!   `except`) of every policy, IPv4 and IPv6, and adjacent ranges that
//!   every workload treats alike are merged again: each range in the
//!   result is one that the policies distinguish.
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
}

impl fmt::Display for Peer {
    /// `ns/name[Kind]` or `first-last[External]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Workload(id) => write!(f, "{id}"),
            Peer::External(range) => write!(f, "{range}[External]"),
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
        }
    }
}

/// The allowed (protocol, port) pairs of a connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Conn(pub PortSet);

impl fmt::Display for Conn {
    /// `All Connections`, or `TCP 80,8080-8090,UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_full() {
            return f.write_str("All Connections");
        }
        if self.0.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for protocol in Protocol::ALL {
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
    /// Workloads on the host network, left out.
    pub host_network: Vec<WorkloadName>,
    /// With `--exposure`: what each workload's policies open it to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Vec<Exposure>>,
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

/// What to compute.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only connections to or from workloads named `ns/name` (any kind).
    pub focus: Option<(String, String)>,
    /// List what each workload is open to beyond the input's workloads.
    pub exposure: bool,
}

/// The pods the evaluator sees: one per shape of every workload that is
/// not on the host network, with the index of its workload.
pub struct Subjects {
    pub pods: Vec<Pod>,
    /// `owner[i]`: index into `Manifests::workloads` of `pods[i]`.
    pub owner: Vec<usize>,
}

impl Subjects {
    pub fn new(manifests: &Manifests) -> Subjects {
        let mut pods = Vec::new();
        let mut owner = Vec::new();
        for (w, workload) in manifests.workloads.iter().enumerate() {
            let labels = manifests.namespace_labels(&workload.id.namespace);
            for shape in &workload.shapes {
                if !shape.shape.host_network {
                    pods.push(workload.pod(&shape.shape, &labels));
                    owner.push(w);
                }
            }
        }
        Subjects { pods, owner }
    }
}

/// Computes the connectivity of the manifests under their policies.
pub fn analyze(manifests: &Manifests, options: &Options) -> Analysis {
    let set = &manifests.set;
    let subjects = Subjects::new(manifests);
    let in_focus = |w: usize| -> bool {
        let id = &manifests.workloads[w].id;
        options
            .focus
            .as_ref()
            .is_none_or(|(ns, name)| id.namespace == *ns && id.name == *name)
    };
    // Pods of each analyzed workload.
    let mut pods_of: Vec<Vec<usize>> = vec![Vec::new(); manifests.workloads.len()];
    for (p, &w) in subjects.owner.iter().enumerate() {
        pods_of[w].push(p);
    }
    let analyzed: Vec<usize> = (0..manifests.workloads.len())
        .filter(|&w| !pods_of[w].is_empty())
        .collect();
    let host_network = manifests
        .workloads
        .iter()
        .enumerate()
        .filter(|(w, _)| pods_of[*w].is_empty())
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
            if !ports.is_empty() {
                connections.push(Connection {
                    src: Peer::Workload(manifests.workloads[a].id.clone()),
                    dst: Peer::Workload(manifests.workloads[b].id.clone()),
                    conn: Conn(ports),
                });
            }
        }
    }

    let ranges = external::ranges(manifests);
    let table = external::table(set, &subjects, &ranges);
    let merged = external::merge(&ranges, &table);
    for (range, row) in &merged {
        for &w in &analyzed {
            if !in_focus(w) {
                continue;
            }
            let mut egress = PortSet::empty();
            let mut ingress = PortSet::empty();
            for &p in &pods_of[w] {
                egress.union_with(&row[p].0);
                ingress.union_with(&row[p].1);
            }
            let workload = Peer::Workload(manifests.workloads[w].id.clone());
            if !egress.is_empty() {
                connections.push(Connection {
                    src: workload.clone(),
                    dst: Peer::External(*range),
                    conn: Conn(egress),
                });
            }
            if !ingress.is_empty() {
                connections.push(Connection {
                    src: Peer::External(*range),
                    dst: workload,
                    conn: Conn(ingress),
                });
            }
        }
    }
    connections.sort_by(|a, b| (&a.src, &a.dst).cmp(&(&b.src, &b.dst)));

    let exposure = options.exposure.then(|| {
        let mut items = exposure::exposure(manifests, set, &subjects);
        items.retain(|e| {
            options
                .focus
                .as_ref()
                .is_none_or(|(ns, name)| e.workload.namespace == *ns && e.workload.name == *name)
        });
        items
    });
    // With a focus, the workloads shown are the focused ones and their peers.
    let shown: std::collections::BTreeSet<&WorkloadName> = connections
        .iter()
        .flat_map(|c| [&c.src, &c.dst])
        .filter_map(|p| match p {
            Peer::Workload(id) => Some(id),
            Peer::External(_) => None,
        })
        .collect();
    Analysis {
        workloads: analyzed
            .iter()
            .filter(|&&w| {
                options.focus.is_none() || in_focus(w) || shown.contains(&manifests.workloads[w].id)
            })
            .map(|&w| manifests.workloads[w].id.clone())
            .collect(),
        external: merged.iter().map(|(r, _)| *r).collect(),
        connections,
        host_network,
        exposure,
    }
}
