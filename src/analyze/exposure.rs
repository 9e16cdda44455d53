//! Exposure: what each workload's policies open it to, written as
//! selectors, so that pods the input does not hold (another team's
//! namespace, a pod created tomorrow) are visible too.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Conn, Subjects};
use crate::eval::{Direction, PeerKind, PolicySet, PortSet};
use crate::k8s::{Selector, NAMESPACE_NAME_LABEL};
use crate::manifest::{Manifests, WorkloadName};

/// A set of pods as NPL writes it: `*/*` (every pod of the cluster),
/// `web/{app=api}`, `{team=ops}/*`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ExposedPeer(pub String);

/// One selector a workload is open to, in one direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exposure {
    pub workload: WorkloadName,
    /// `ingress` (the peer may connect to the workload) or `egress`.
    pub direction: &'static str,
    pub peer: ExposedPeer,
    pub conn: Conn,
    /// Egress to named ports (`TCP/http`): each destination pod resolves
    /// them to its own number, so they are listed apart.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub named_ports: Vec<String>,
}

/// `{app=api, tier in (a, b)}`, or `*` for the empty selector.
pub fn selector_text(selector: &Selector) -> String {
    if selector.is_empty() {
        "*".to_owned()
    } else {
        selector.to_string()
    }
}

/// A pod peer of a policy in `namespace` as NPL writes it (`ns/pods`,
/// `{labels}/pods`, `*/pods`); an ipBlock as its CIDR.
pub fn peer_text(peer: PeerKind<'_>, namespace: &str) -> String {
    match peer {
        PeerKind::Name(name) => name.to_string(),
        PeerKind::Ip(block) => match block.except.as_slice() {
            [] => block.cidr.to_string(),
            except => {
                let except: Vec<String> = except.iter().map(ToString::to_string).collect();
                format!("{} except ({})", block.cidr, except.join(", "))
            }
        },
        PeerKind::Pods { namespaces, pods } => {
            let namespaces = match namespaces {
                None => namespace.to_owned(),
                Some(s) => {
                    let by_name = s.expressions.is_empty() && s.match_labels.len() == 1;
                    match s.match_labels.get(NAMESPACE_NAME_LABEL) {
                        Some(name) if by_name => name.clone(),
                        _ => selector_text(s),
                    }
                }
            };
            format!("{namespaces}/{}", selector_text(pods))
        }
    }
}

type Key = (WorkloadName, Direction, ExposedPeer);

/// Every workload's exposure, sorted by workload, direction, peer.
pub fn exposure(manifests: &Manifests, set: &PolicySet, subjects: &Subjects) -> Vec<Exposure> {
    let mut found: BTreeMap<Key, (PortSet, BTreeSet<String>)> = BTreeMap::new();
    let everything = ExposedPeer("*/*".to_owned());
    for (pod, owner) in subjects.pods.iter().zip(&subjects.owner) {
        let Some(workload) = manifests.workloads.get(*owner).map(|w| &w.id) else {
            continue;
        };
        for direction in [Direction::Ingress, Direction::Egress] {
            let policies = match direction {
                Direction::Ingress => set.ingress_policies(pod),
                Direction::Egress => set.egress_policies(pod),
            };
            let mut add = |peer: ExposedPeer, ports: PortSet, named: Vec<String>| {
                if ports.is_empty() && named.is_empty() {
                    return;
                }
                let entry = found
                    .entry((workload.clone(), direction, peer))
                    .or_insert_with(|| (PortSet::empty(), BTreeSet::new()));
                entry.0.union_with(&ports);
                entry.1.extend(named);
            };
            if policies.is_empty() {
                add(everything.clone(), PortSet::full(), Vec::new());
                continue;
            }
            for id in policies {
                let Some(view) = set.view(id) else { continue };
                for rule in view.rules(direction) {
                    // Ingress ports resolve on the workload itself; egress
                    // ports towards unknown pods resolve nowhere.
                    let (ports, named) = match direction {
                        Direction::Ingress => (rule.ports(Some(pod)), Vec::new()),
                        Direction::Egress => (
                            rule.ports(None),
                            rule.named_ports()
                                .into_iter()
                                .map(|(protocol, name)| format!("{protocol}/{name}"))
                                .collect(),
                        ),
                    };
                    if rule.matches_all_peers() {
                        add(everything.clone(), ports, named);
                        continue;
                    }
                    for peer in rule.peers() {
                        if peer.is_ip_block() {
                            continue;
                        }
                        let text = peer_text(peer.kind(), view.namespace());
                        add(ExposedPeer(text), ports.clone(), named.clone());
                    }
                }
            }
        }
    }
    found
        .into_iter()
        .map(|((workload, direction, peer), (ports, named))| Exposure {
            workload,
            direction: match direction {
                Direction::Ingress => "ingress",
                Direction::Egress => "egress",
            },
            peer,
            conn: Conn(ports),
            named_ports: named.into_iter().collect(),
        })
        .collect()
}
