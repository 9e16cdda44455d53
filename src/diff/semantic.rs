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

/// The endpoints a program names, as representatives (LANGUAGE.md §5): a
/// pod per pod peer and managed namespace it covers, an address per IP
/// block. Every pod declares every named port the program uses.
pub fn program_endpoints(program: &crate::ir::Program) -> Vec<(String, Endpoint)> {
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
        peers.extend(e.sources.iter().cloned());
        peers.extend(e.destinations.iter().cloned());
    }
    for s in &program.scrapes {
        peers.extend(s.sources.iter().cloned());
        peers.push(Peer::Pods {
            namespaces: NamespaceSelector::Matching(Selector::default()),
            pods: s.pods.clone(),
        });
    }
    let named = named_ports(program, Some(&Ports::Only(ports)));
    let mut out: Vec<(String, Endpoint)> = Vec::new();
    for peer in peers {
        for r in representatives(&peer, program, &named) {
            let name = short_name(&r.endpoint, &program.settings.workload_label);
            if !out.iter().any(|(d, _)| d == &name) {
                out.push((name, r.endpoint));
            }
        }
    }
    out
}

/// `web/frontend` for a pod that carries only the workload label,
/// `web/{tier=db, zone=a}` otherwise, the address for an IP.
fn short_name(endpoint: &Endpoint, workload_label: &str) -> String {
    match endpoint {
        Endpoint::Ip(ip) => ip.to_string(),
        Endpoint::Pod(pod) => match pod.labels.get(workload_label) {
            Some(w) if pod.labels.len() == 1 => format!("{}/{w}", pod.namespace),
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
