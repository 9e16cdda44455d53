//! Exposure: what each workload's policies open it to, written as
//! selectors, so that pods the input does not hold (another team's
//! namespace, a pod created tomorrow) are visible too.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Serialize;

use super::{Conn, Subjects};
use crate::eval::{Direction, PolicySet, PortSet};
use crate::k8s::{Selector, NAMESPACE_NAME_LABEL};
use crate::manifest::{Manifests, WorkloadId};

/// A set of pods as NPL writes it: `*/*` (every pod of the cluster),
/// `web/{app=api}`, `{team=ops}/*`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ExposedPeer(pub String);

/// One selector a workload is open to, in one direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exposure {
    pub workload: WorkloadId,
    /// `ingress` (the peer may connect to the workload) or `egress`.
    pub direction: &'static str,
    pub peer: ExposedPeer,
    pub conn: Conn,
    /// Egress to named ports (`TCP/http`): each destination pod resolves
    /// them to its own number, so they are listed apart.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub named_ports: Vec<String>,
}

/// `{app=api, tier in (a, b)}`, or `*` for the empty selector (a
/// selector the API refuses is never in an evaluated policy; it reads as
/// `*` here).
pub fn selector_text(selector: &LabelSelector) -> String {
    match Selector::from_api(selector) {
        Ok(s) if !s.is_empty() => s.to_string(),
        _ => "*".to_owned(),
    }
}

/// A pod peer of a policy in `namespace` as NPL writes it.
pub fn peer_text(peer: &NetworkPolicyPeer, namespace: &str) -> String {
    let pods = peer
        .pod_selector
        .as_ref()
        .map_or_else(|| "*".to_owned(), selector_text);
    let namespaces = match &peer.namespace_selector {
        None => namespace.to_owned(),
        Some(s) => {
            let by_name = s.match_expressions.as_ref().is_none_or(Vec::is_empty)
                && s.match_labels.as_ref().is_some_and(|m| m.len() == 1);
            match s
                .match_labels
                .as_ref()
                .and_then(|m| m.get(NAMESPACE_NAME_LABEL))
            {
                Some(name) if by_name => name.clone(),
                _ => selector_text(s),
            }
        }
    };
    format!("{namespaces}/{pods}")
}

fn raw_peer(
    policy: &NetworkPolicy,
    direction: Direction,
    rule: usize,
    peer: usize,
) -> Option<&NetworkPolicyPeer> {
    let spec = policy.spec.as_ref()?;
    match direction {
        Direction::Ingress => spec.ingress.as_ref()?.get(rule)?.from.as_ref()?.get(peer),
        Direction::Egress => spec.egress.as_ref()?.get(rule)?.to.as_ref()?.get(peer),
    }
}

type Key = (WorkloadId, Direction, ExposedPeer);

/// Every workload's exposure, sorted by workload, direction, peer.
pub fn exposure(manifests: &Manifests, set: &PolicySet, subjects: &Subjects) -> Vec<Exposure> {
    let index: HashMap<_, usize> = set.views().enumerate().map(|(i, v)| (v.id(), i)).collect();
    let mut found: BTreeMap<Key, (PortSet, BTreeSet<String>)> = BTreeMap::new();
    let everything = ExposedPeer("*/*".to_owned());
    for (p, pod) in subjects.pods.iter().enumerate() {
        let workload = &manifests.workloads[subjects.owner[p]].id;
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
                let Some(&i) = index.get(&id) else { continue };
                let (Some(view), Some(policy)) = (set.view(i), manifests.policies.get(i)) else {
                    continue;
                };
                for (r, rule) in view.rules(direction).iter().enumerate() {
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
                    for (k, peer) in rule.peers().iter().enumerate() {
                        if peer.is_ip_block() {
                            continue;
                        }
                        let Some(raw) = raw_peer(&policy.object, direction, r, k) else {
                            continue;
                        };
                        let text = peer_text(raw, view.namespace());
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
