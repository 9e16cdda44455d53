//! `npc diff --semantic`: connectivity changes instead of text changes. For
//! every ordered pair of endpoints, the ports that applying npc's output
//! newly allows or newly denies, judged by the evaluator.
//!
//! "Before" is every deployed NetworkPolicy. "After" is npc's output plus the
//! deployed policies npc does not manage: applying the output replaces npc's
//! own policies and leaves the others in force.

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Serialize;

use super::compare::is_managed;
use super::{Deployed, Error};
use crate::eval::{Endpoint, PolicySet, PortSet};

/// A flow whose verdict changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlowChange {
    pub source: String,
    pub destination: String,
    /// Ports newly allowed, as text (`TCP 8080; UDP 53`), empty if none.
    pub allowed: String,
    /// Ports newly denied, as text, empty if none.
    pub denied: String,
}

/// The connectivity changes over a set of endpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SemanticReport {
    pub endpoints: usize,
    pub changes: Vec<FlowChange>,
    /// Deployed objects that could not be read as NetworkPolicies.
    pub notes: Vec<String>,
}

impl SemanticReport {
    pub fn has_differences(&self) -> bool {
        !self.changes.is_empty()
    }

    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Encode {
            message: e.to_string(),
        })
    }

    /// One line per change: `+` newly allowed, `-` newly denied.
    pub fn render_human(&self) -> String {
        let mut out = format!(
            "{} flow(s) change over {} endpoints\n",
            self.changes.len(),
            self.endpoints
        );
        for c in &self.changes {
            if !c.allowed.is_empty() {
                out.push_str(&format!(
                    "+ {} -> {}: {}\n",
                    c.source, c.destination, c.allowed
                ));
            }
            if !c.denied.is_empty() {
                out.push_str(&format!(
                    "- {} -> {}: {}\n",
                    c.source, c.destination, c.denied
                ));
            }
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    }
}

/// Compares the connectivity before and after applying `desired`.
pub fn compare(
    desired: &[NetworkPolicy],
    deployed: &Deployed,
    endpoints: &[(String, Endpoint)],
) -> Result<SemanticReport, Error> {
    let mut report = SemanticReport {
        endpoints: endpoints.len(),
        ..SemanticReport::default()
    };
    let mut before = Vec::new();
    let mut after = desired.to_vec();
    for p in &deployed.policies {
        match serde_json::from_value::<NetworkPolicy>(p.object.clone()) {
            Ok(policy) => {
                if !is_managed(&p.object) {
                    after.push(policy.clone());
                }
                before.push(policy);
            }
            Err(e) => report.notes.push(format!(
                "{}: not a valid NetworkPolicy, left out: {e}",
                p.origin
            )),
        }
    }
    let invalid = |e: crate::eval::PolicyErrors| Error::Encode {
        message: format!("the policies cannot be evaluated: {e}"),
    };
    let before = PolicySet::new(before).map_err(invalid)?;
    let after = PolicySet::new(after).map_err(invalid)?;
    for (src_name, src) in endpoints {
        for (dst_name, dst) in endpoints {
            if src_name == dst_name {
                continue;
            }
            let (was, now) = (
                before.allowed_ports(src, dst),
                after.allowed_ports(src, dst),
            );
            if was == now {
                continue;
            }
            let text = |s: PortSet| {
                if s.is_empty() {
                    String::new()
                } else {
                    s.to_string()
                }
            };
            report.changes.push(FlowChange {
                source: src_name.clone(),
                destination: dst_name.clone(),
                allowed: text(now.difference(&was)),
                denied: text(was.difference(&now)),
            });
        }
    }
    Ok(report)
}

/// An endpoint a program names: one representative, the name it is shown
/// under, and the peers of the program it stands for.
#[derive(Clone, Debug)]
pub struct ProgramEndpoint {
    /// `web/frontend`, `web/{tier=db}`, `web/*`, `{team=ops}/*` (pods in a
    /// namespace the program does not manage, chosen by labels), or the
    /// representative address.
    pub name: String,
    pub endpoint: Endpoint,
    /// How explanations name it: ``a pod in `web` with labels `app=frontend` ``.
    pub description: String,
    /// The peers of the program it is a representative of, in program order.
    pub peers: Vec<crate::ir::Peer>,
}

/// The endpoints of a program and the named container ports every
/// representative pod declares.
#[derive(Clone, Debug, Default)]
pub struct ProgramEndpoints {
    pub endpoints: Vec<ProgramEndpoint>,
    pub named_ports: Vec<crate::eval::NamedPort>,
}

/// The endpoints a program names, as representatives (LANGUAGE.md §5): a
/// pod per pod peer and managed namespace it covers, an address per IP
/// block. Every pod declares every named port the program uses.
pub fn program_endpoints(program: &crate::ir::Program) -> Vec<(String, Endpoint)> {
    program_endpoint_list(program)
        .endpoints
        .into_iter()
        .map(|e| (e.name, e.endpoint))
        .collect()
}

/// As [`program_endpoints`], with what each endpoint stands for. An IP
/// block's representative lies outside the narrower blocks the program
/// names where it can, so that nested blocks get endpoints of their own.
pub fn program_endpoint_list(program: &crate::ir::Program) -> ProgramEndpoints {
    use crate::ir::{NamespaceSelector, Peer, Ports, Selector};
    use crate::verify::representative::{named_ports, representatives};
    let mut peers: Vec<Peer> = Vec::new();
    let mut ports = std::collections::BTreeSet::new();
    for r in &program.rules {
        peers.extend(r.sources.iter().cloned());
        for (p, pp) in &r.destinations {
            peers.push(p.clone());
            if let Ports::Only(set) = pp {
                ports.extend(set.iter().cloned());
            }
        }
    }
    for e in &program.expectations {
        peers.push(e.source.clone());
        peers.push(e.destination.clone());
    }
    for s in &program.scrapes {
        peers.extend(s.sources.iter().cloned());
        peers.push(Peer::Pods {
            namespaces: NamespaceSelector::Matching(Selector::default()),
            pods: s.pods.clone(),
        });
    }
    let named = named_ports(program, Some(&Ports::Only(ports)));
    let blocks: Vec<crate::ir::IpBlock> = peers
        .iter()
        .filter_map(|p| match p {
            Peer::Ip(b) => Some(b.clone()),
            Peer::Pods { .. } => None,
        })
        .collect();
    let mut out: Vec<ProgramEndpoint> = Vec::new();
    for peer in peers {
        let reps = match &peer {
            Peer::Ip(block) => ip_representative(block, &blocks).into_iter().collect(),
            Peer::Pods { .. } => representatives(&peer, program, &named),
        };
        for r in reps {
            if let Some(known) = out.iter_mut().find(|e| e.endpoint == r.endpoint) {
                if !known.peers.contains(&peer) {
                    known.peers.push(peer.clone());
                }
                continue;
            }
            let name = endpoint_name(&r.endpoint, &peer, program);
            out.push(ProgramEndpoint {
                name,
                endpoint: r.endpoint,
                description: r.description,
                peers: vec![peer.clone()],
            });
        }
    }
    ProgramEndpoints {
        endpoints: out,
        named_ports: named,
    }
}

/// The representative of an IP block, outside the strictly narrower blocks
/// of `all` when the block has such an address, else its own representative.
fn ip_representative(
    block: &crate::ir::IpBlock,
    all: &[crate::ir::IpBlock],
) -> Option<crate::verify::representative::Representative> {
    use crate::eval::cidr::Cidr;
    use crate::verify::representative::address;
    let outer = Cidr::parse(&block.cidr).ok()?;
    let mut narrowed = block.clone();
    for other in all {
        if other.cidr == block.cidr || narrowed.except.contains(&other.cidr) {
            continue;
        }
        if Cidr::parse(&other.cidr).is_ok_and(|inner| outer.covers(&inner)) {
            narrowed.except.push(other.cidr.clone());
        }
    }
    let ip = address(&narrowed).or_else(|| address(block))?;
    Some(crate::verify::representative::Representative {
        description: format!("the address `{ip}`"),
        endpoint: Endpoint::Ip(ip),
    })
}

/// The name of an endpoint found as a representative of `peer`.
fn endpoint_name(
    endpoint: &Endpoint,
    peer: &crate::ir::Peer,
    program: &crate::ir::Program,
) -> String {
    use crate::ir::{NamespaceSelector, Peer};
    let name = short_name(endpoint, &program.settings.workload_label);
    // A pod in a namespace the program neither manages nor names stands for
    // the namespaces its peer chooses by labels: name it by that label set.
    if let (Endpoint::Pod(pod), Peer::Pods { namespaces, .. }) = (endpoint, peer) {
        if let NamespaceSelector::Matching(sel) = namespaces {
            if !program.namespaces.contains_key(&pod.namespace) {
                let ns = if sel.is_empty() {
                    "*".to_string()
                } else {
                    crate::verify::describe::selector(sel)
                };
                let pod_part = name.split_once('/').map_or("*", |(_, p)| p);
                return format!("{ns}/{pod_part}");
            }
        }
    }
    name
}

/// `web/frontend` for a pod that carries only the workload label,
/// `web/*` for a pod without labels, `web/{tier=db, zone=a}` otherwise, the
/// address for an IP.
fn short_name(endpoint: &Endpoint, workload_label: &str) -> String {
    match endpoint {
        Endpoint::Ip(ip) => ip.to_string(),
        Endpoint::Pod(pod) => match pod.labels.get(workload_label) {
            Some(w) if pod.labels.len() == 1 => format!("{}/{w}", pod.namespace),
            _ if pod.labels.is_empty() => format!("{}/*", pod.namespace),
            _ => {
                let labels: Vec<String> =
                    pod.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{}/{{{}}}", pod.namespace, labels.join(", "))
            }
        },
    }
}

/// The pods of a cluster inventory (host-network pods left out: no policy
/// applies to them), named `namespace/pod`.
pub fn inventory_endpoints(
    inventory: &crate::verify::inventory::Inventory,
) -> Vec<(String, Endpoint)> {
    inventory
        .pods
        .iter()
        .filter(|p| !p.host_network)
        .map(|p| (p.key(), Endpoint::Pod(p.pod.clone())))
        .collect()
}
