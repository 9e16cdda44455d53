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
use crate::k8s::cilium::CiliumNetworkPolicy;
use crate::k8s::cluster_policy::ClusterObject;

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

    /// One line per change: `+` newly allowed, `-` newly denied; endpoint
    /// names and notes with their control characters escaped.
    pub fn render_human(&self) -> String {
        let e = |text: &str| crate::k8s::escape_controls(text).into_owned();
        let mut out = format!(
            "{} flow(s) change over {} endpoints\n",
            self.changes.len(),
            self.endpoints
        );
        for c in &self.changes {
            if !c.allowed.is_empty() {
                out.push_str(&format!(
                    "+ {} -> {}: {}\n",
                    e(&c.source),
                    e(&c.destination),
                    c.allowed
                ));
            }
            if !c.denied.is_empty() {
                out.push_str(&format!(
                    "- {} -> {}: {}\n",
                    e(&c.source),
                    e(&c.destination),
                    c.denied
                ));
            }
        }
        for n in &self.notes {
            out.push_str(&format!("note: {}\n", e(n)));
        }
        out
    }
}

/// What the pods of the endpoints are: representatives of a program's
/// endpoints, which may declare a named port at any number, or real pods,
/// which declare what they declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pods {
    /// Each pod is also compared, as a destination, declaring the named
    /// ports of either policy set in every class of numbers their numbered
    /// ports and ranges tell apart (`regions::port_classes`).
    Representatives,
    /// Each pod is compared as it is (an inventory's pods).
    AsDeclared,
}

/// Compares the connectivity before and after applying `desired`.
/// `stand_ins`: the container ports the endpoints declare at numbers npc
/// picked for the program's named ports ([`ProgramEndpoints::named_ports`];
/// none for an inventory's pods): shown by name, never by number.
pub fn compare(
    desired: &[NetworkPolicy],
    deployed: &Deployed,
    endpoints: &[(String, Endpoint)],
    stand_ins: &[crate::eval::NamedPort],
    pods: Pods,
) -> Result<SemanticReport, Error> {
    compare_all(desired, &[], &[], deployed, endpoints, stand_ins, pods)
}

/// [`compare`] with cluster policies and CiliumNetworkPolicies (DNS names)
/// on both sides: npc's replace the deployed ones it manages, the others
/// stay in force. Deployed CiliumNetworkPolicies are read as the evaluator
/// models them (`eval::cilium`): one it does not model is an error, never
/// left out.
pub fn compare_all(
    desired: &[NetworkPolicy],
    desired_cluster: &[ClusterObject],
    desired_cilium: &[CiliumNetworkPolicy],
    deployed: &Deployed,
    endpoints: &[(String, Endpoint)],
    stand_ins: &[crate::eval::NamedPort],
    pods: Pods,
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
    // The note on named ports comes before those on cluster policies.
    let note_at = report.notes.len();
    let mut cluster_before = Vec::new();
    let mut cluster_after = desired_cluster.to_vec();
    for p in &deployed.cluster {
        match ClusterObject::from_json(&p.object) {
            Some(Ok(object)) => {
                if !is_managed(&p.object) {
                    cluster_after.push(object.clone());
                }
                cluster_before.push(object);
            }
            Some(Err(e)) => report.notes.push(format!(
                "{}: not a valid cluster policy, left out: {e}",
                p.origin
            )),
            None => {}
        }
    }
    let mut before_cilium = Vec::new();
    let mut after_cilium = desired_cilium.to_vec();
    for p in &deployed.cilium {
        let mut object = p.object.clone();
        super::normalize::drop_nulls(&mut object);
        super::normalize::drop_server_fields(&mut object);
        let policy = serde_json::from_value::<CiliumNetworkPolicy>(object).map_err(|e| {
            Error::Encode {
                message: format!(
                    "{}: a CiliumNetworkPolicy npc cannot evaluate (it models the policies npc writes for DNS names): {e}",
                    p.origin
                ),
            }
        })?;
        if !is_managed(&p.object) {
            after_cilium.push(policy.clone());
        }
        before_cilium.push(policy);
    }
    let mut before = PolicySet::new(before).map_err(invalid)?;
    before.add_cluster(&cluster_before).map_err(invalid)?;
    before.extend_cilium(&before_cilium).map_err(invalid)?;
    let mut after = PolicySet::new(after).map_err(invalid)?;
    after.add_cluster(&cluster_after).map_err(invalid)?;
    after.extend_cilium(&after_cilium).map_err(invalid)?;
    let declarations = match pods {
        Pods::Representatives => {
            let (declarations, note) = named_port_declarations(&before, &after);
            if let Some(note) = note {
                report.notes.insert(note_at, note);
            }
            declarations
        }
        Pods::AsDeclared => Vec::new(),
    };
    // A pod as the endpoints declare it shows the stand-ins' numbers by
    // name; a pod declaring a named port elsewhere says so in its name.
    let text = |s: PortSet, stand_ins: &[crate::eval::NamedPort]| {
        if s.is_empty() {
            String::new()
        } else {
            crate::verify::describe::port_set_named(&s, stand_ins)
        }
    };
    for (src_name, src) in endpoints {
        for (dst_name, dst) in endpoints {
            if src_name == dst_name {
                continue;
            }
            let (was, now) = (
                before.allowed_ports(src, dst),
                after.allowed_ports(src, dst),
            );
            let (allowed, denied) = (now.difference(&was), was.difference(&now));
            if was != now {
                report.changes.push(FlowChange {
                    source: src_name.clone(),
                    destination: dst_name.clone(),
                    allowed: text(allowed.clone(), stand_ins),
                    denied: text(denied.clone(), stand_ins),
                });
            }
            let Endpoint::Pod(pod) = dst else { continue };
            // The same pod declaring the named ports elsewhere: a change
            // at a number it declares is that name's.
            for ports in &declarations {
                let declaring = Endpoint::Pod(crate::eval::Pod {
                    ports: ports.clone(),
                    ..pod.clone()
                });
                let (was, now) = (
                    before.allowed_ports(src, &declaring),
                    after.allowed_ports(src, &declaring),
                );
                if was == now {
                    continue;
                }
                for port in ports {
                    let (p, n) = (port.protocol, port.number);
                    let here = PortSet::range(p, n, n);
                    let (more, less) = (
                        now.difference(&was).intersection(&here),
                        was.difference(&now).intersection(&here),
                    );
                    if (more.is_empty() || allowed.contains(p, n))
                        && (less.is_empty() || denied.contains(p, n))
                    {
                        continue;
                    }
                    report.changes.push(FlowChange {
                        source: src_name.clone(),
                        destination: format!("{dst_name} (declaring `{}` as {p} {n})", port.name),
                        allowed: text(more, &[]),
                        denied: text(less, &[]),
                    });
                }
            }
        }
    }
    Ok(report)
}

/// Container-port declarations that give every named port of either
/// policy set a number in every class of numbers their numbered ports and
/// ranges tell apart (none when no rule names a port), and a note when
/// there are too many to compare them all.
fn named_port_declarations(
    before: &PolicySet,
    after: &PolicySet,
) -> (Vec<Vec<crate::eval::NamedPort>>, Option<String>) {
    use crate::eval::{Direction, PolicyKind};
    use crate::regions::port_classes::{self, PortUse};
    let mut uses = PortUse::default();
    let policies = before
        .views()
        .chain(after.views())
        .filter(|p| p.kind() == PolicyKind::NetworkPolicy);
    for policy in policies {
        for direction in [Direction::Ingress, Direction::Egress] {
            for rule in policy.rules(direction) {
                for port in rule.port_entries().into_iter().flatten() {
                    uses.add_entry(port);
                }
            }
        }
    }
    let wanted: Vec<_> = uses
        .named
        .iter()
        .map(|(name, protocol)| (name.clone(), *protocol, uses.classes(*protocol, &[])))
        .collect();
    let pairs: usize = wanted.iter().map(|(_, _, classes)| classes.len()).sum();
    let too_many = || {
        format!(
            "named ports were compared at numbers no rule names only: giving each of {} named ports a number in each class of numbers the rules tell apart takes more than {MAX_DECLARATIONS} declarations per pod",
            wanted.len()
        )
    };
    if pairs > MAX_DECLARATIONS * 16 {
        return (Vec::new(), Some(too_many()));
    }
    // The first declaration declares nothing: the endpoint itself is that.
    match port_classes::pack(&wanted, &[], MAX_DECLARATIONS) {
        Ok(mut all) => (all.split_off(1.min(all.len())), None),
        Err(port_classes::TooMany) => (Vec::new(), Some(too_many())),
    }
}

/// The most declarations a destination is compared with (each one more
/// comparison of every pair).
const MAX_DECLARATIONS: usize = 64;

/// An endpoint a program names: one representative, the name it is shown
/// under, and the peers of the program it stands for.
#[derive(Clone, Debug)]
pub struct ProgramEndpoint {
    /// `web/frontend`, `web/{tier=db}`, `web/*`, `{team=ops}/*` (pods in a
    /// namespace the program does not manage, chosen by labels), or the
    /// representative address.
    pub name: String,
    pub endpoint: Endpoint,
    /// For a pod in a namespace the program neither manages nor names: the
    /// label set of the namespaces it stands for (`{team=ops}`, `*`).
    pub namespace_set: Option<String>,
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

/// The endpoints a program names, as representatives (docs/language.md, "Endpoints"): a
/// pod per pod peer and managed namespace it covers (and one in a namespace
/// the program does not manage, for a peer that chooses namespaces by
/// labels), an address per IP block. Every pod declares every named port
/// the program uses.
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
    use crate::regions::representative::{named_ports, representatives, Representative};
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
    for block in program.tiers.blocks() {
        for st in &block.statements {
            peers.extend(st.sources.iter().cloned());
            for (p, pp) in &st.destinations {
                peers.push(p.clone());
                if let Ports::Only(set) = pp {
                    ports.extend(set.iter().cloned());
                }
            }
        }
    }
    for s in &program.scrapes {
        peers.extend(s.sources.iter().cloned());
        peers.push(Peer::Pods {
            namespaces: NamespaceSelector::Matching(Selector::default()),
            pods: s.pods.clone(),
        });
    }
    let named = named_ports(program, Some(&Ports::Only(ports.into_iter().collect())));
    let blocks: Vec<crate::k8s::IpBlock> = peers
        .iter()
        .filter_map(|p| match p {
            Peer::Ip(b) => Some(b.clone()),
            Peer::Pods { .. } | Peer::Name(_) => None,
        })
        .collect();
    let mut out: Vec<ProgramEndpoint> = Vec::new();
    for peer in peers {
        let mut reps: Vec<Representative> = match &peer {
            Peer::Ip(block) => ip_representative(block, &blocks).into_iter().collect(),
            Peer::Pods { .. } | Peer::Name(_) => representatives(&peer, program, &named),
        };
        if let Some(outside) = outside_managed(&peer, program) {
            reps.extend(representatives(&outside, program, &named));
        }
        for r in reps {
            if let Some(known) = out.iter_mut().find(|e| e.endpoint == r.endpoint) {
                if !known.peers.contains(&peer) {
                    known.peers.push(peer.clone());
                }
                continue;
            }
            let short = short_name(&r.endpoint, &program.settings.workload_label);
            let namespace_set = namespace_set(&r.endpoint, &peer, program);
            // A pod of label-chosen namespaces is named by their label set.
            let name = match &namespace_set {
                Some(set) => {
                    let pod_part = short.split_once('/').map_or("*", |(_, p)| p);
                    format!("{set}/{pod_part}")
                }
                None => short,
            };
            out.push(ProgramEndpoint {
                name,
                namespace_set,
                description: r.description(),
                endpoint: r.endpoint,
                peers: vec![peer.clone()],
            });
        }
    }
    ProgramEndpoints {
        endpoints: out,
        named_ports: named,
    }
}

/// A peer that chooses namespaces by labels also stands for the pods of
/// namespaces the program does not manage (which no policy isolates): the
/// same peer restricted to those, when it also matches managed ones (else
/// its representatives are there already).
fn outside_managed(
    peer: &crate::ir::Peer,
    program: &crate::ir::Program,
) -> Option<crate::ir::Peer> {
    use crate::ir::{NamespaceSelector, Operator, Peer, Requirement};
    use crate::k8s::NAMESPACE_NAME_LABEL;
    let Peer::Pods {
        namespaces: NamespaceSelector::Matching(sel),
        pods,
    } = peer
    else {
        return None;
    };
    if !program.namespaces.values().any(|m| sel.matches(&m.labels)) {
        return None;
    }
    let mut outside = sel.clone();
    outside.expressions.insert(Requirement {
        key: NAMESPACE_NAME_LABEL.to_string(),
        operator: Operator::NotIn,
        values: program.namespaces.keys().cloned().collect(),
    });
    Some(Peer::Pods {
        namespaces: NamespaceSelector::Matching(outside),
        pods: pods.clone(),
    })
}

/// The representative of an IP block, outside the strictly narrower blocks
/// of `all` when the block has such an address, else its own representative.
fn ip_representative(
    block: &crate::k8s::IpBlock,
    all: &[crate::k8s::IpBlock],
) -> Option<crate::regions::representative::Representative> {
    use crate::regions::representative::address;
    let mut narrowed = block.clone();
    for other in all {
        if block.cidr.strictly_contains(other.cidr) && !narrowed.except.contains(&other.cidr) {
            narrowed.except.push(other.cidr);
        }
    }
    let ip = address(&narrowed).or_else(|| address(block))?;
    Some(crate::regions::representative::Representative {
        kind: crate::regions::representative::Kind::Address,
        endpoint: Endpoint::Ip(ip),
    })
}

/// The label set of the namespaces a pod stands for when it lies in a
/// namespace the program neither manages nor names (`{team=ops}`, or `*`
/// for any). Requirements that only exclude managed namespaces are left
/// out: they hold in every other namespace.
fn namespace_set(
    endpoint: &Endpoint,
    peer: &crate::ir::Peer,
    program: &crate::ir::Program,
) -> Option<String> {
    use crate::ir::{NamespaceSelector, Operator, Peer, Requirement};
    use crate::k8s::NAMESPACE_NAME_LABEL;
    let (
        Endpoint::Pod(pod),
        Peer::Pods {
            namespaces: NamespaceSelector::Matching(sel),
            ..
        },
    ) = (endpoint, peer)
    else {
        return None;
    };
    if program.namespaces.contains_key(&pod.namespace) {
        return None;
    }
    let mut shown = sel.clone();
    shown.expressions = sel
        .expressions
        .iter()
        .filter_map(|r| {
            if r.key != NAMESPACE_NAME_LABEL || r.operator != Operator::NotIn {
                return Some(r.clone());
            }
            let values: std::collections::BTreeSet<String> = r
                .values
                .iter()
                .filter(|v| !program.namespaces.contains_key(*v))
                .cloned()
                .collect();
            (!values.is_empty()).then(|| Requirement {
                values,
                ..r.clone()
            })
        })
        .collect();
    Some(if shown.is_empty() {
        "*".to_string()
    } else {
        shown.to_string()
    })
}

/// `web/frontend` for a pod that carries only the workload label,
/// `web/*` for a pod without labels, `web/{tier=db, zone=a}` otherwise, the
/// address for an IP.
fn short_name(endpoint: &Endpoint, workload_label: &str) -> String {
    match endpoint {
        Endpoint::Ip(ip) => ip.to_string(),
        Endpoint::Name { name, .. } => name.to_string(),
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
