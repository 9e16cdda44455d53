//! Objects into the model: duplicates resolved, pods reported as their
//! owners, namespaces completed.
//!
//! A pod with an owner reference is reported as the topmost owner the input
//! holds (Pod → ReplicaSet → Deployment, Pod → Job → CronJob); when the
//! input holds none, as the owner reference itself (`ReplicaSet/web-5d8f9`).
//! Any other workload manifest is reported as itself. A workload's pod
//! shapes come from its pods when the input has some (what runs), else from
//! its pod template.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::objects::{Collected, NamespaceObject, WorkloadObject};
use super::{
    Location, Manifests, Namespace, Naming, PodEntry, ShapeOrigin, Workload, WorkloadId,
    WorkloadName,
};
use crate::diagnostic::{codes, Diagnostic};
use crate::eval::PolicySet;
use crate::k8s::cluster_policy::ClusterObject;
use crate::k8s::NAMESPACE_NAME_LABEL;
use crate::source::SourceMap;

/// Owner chains longer than this are cut (no real chain has more than 3).
const MAX_OWNER_HOPS: usize = 8;

/// The kind of an owner known by name only (an owner reference without
/// `kind`, W103, whose owner the input does not hold).
pub const UNKNOWN_KIND: &str = "Unknown";

/// Keeps the last of the items with the same key, in input order, and
/// warns at every earlier definition.
fn dedup<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    origin: impl Fn(&T) -> &Location,
    what: impl Fn(&T) -> &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<T> {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    let mut out = Vec::with_capacity(last.len());
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        let kept = last.get(&k).copied().unwrap_or(i);
        if kept != i {
            let later = origin(&items[kept]);
            diagnostics.push(
                Diagnostic::new(
                    codes::DUPLICATE_OBJECT,
                    origin(item).span,
                    format!(
                        "{} `{}` is defined again later; the later definition is used",
                        what(item),
                        k.split_once(' ').map_or(k.as_str(), |(_, name)| name)
                    ),
                )
                .with_secondary(later.span, "defined again here")
                .with_help(
                    "keep one definition, or analyze the directories of one environment at a time",
                ),
            );
        }
    }
    for (i, item) in items.into_iter().enumerate() {
        if last.get(&key(&item)) == Some(&i) {
            out.push(item);
        }
    }
    out
}

enum Top {
    /// An object of the input (index into the workload objects).
    Known(usize),
    /// A pod's owner that the input does not hold.
    Inferred { kind: String, name: String },
}

/// The objects into the model.
pub fn resolve(
    collected: Collected,
    sources: SourceMap,
    naming: Naming,
    diagnostics: &mut Vec<Diagnostic>,
) -> Manifests {
    // Keys start with the kind (workloads of different kinds may share a
    // name); the message shows what follows the first space.
    let mut objects: Vec<WorkloadObject> = dedup(
        collected.workloads,
        |w| format!("{} {}/{}", w.kind.kind, w.namespace, w.name),
        |w| &w.origin,
        |w| w.kind.kind,
        diagnostics,
    );
    let policies = dedup(
        collected.policies,
        |p| format!("NetworkPolicy {}", p.key()),
        |p| &p.policy.origin,
        |_| "NetworkPolicy",
        diagnostics,
    );
    let mut set = PolicySet::default();
    let mut kept = Vec::with_capacity(policies.len());
    for p in policies {
        set.push(p.compiled);
        kept.push(p.policy);
    }
    let mut cilium = dedup(
        collected.cilium,
        |p| format!("CiliumNetworkPolicy {}", p.key()),
        |p| &p.origin,
        |_| "CiliumNetworkPolicy",
        diagnostics,
    );
    for p in &mut cilium {
        // Cluster policies are added after: the length counts policies.
        let first = set.len();
        if set.extend_cilium(std::slice::from_ref(&p.object)).is_ok() {
            p.id = Some(crate::eval::PolicyId::from_index(first));
        }
    }
    let cluster = dedup(
        collected.cluster,
        |p| format!("{} {}", p.object.kind(), p.object.name()),
        |p| &p.origin,
        |p| p.object.kind(),
        diagnostics,
    );
    let cluster_objects: Vec<ClusterObject> = cluster.iter().map(|p| p.object.clone()).collect();
    if let (Err(errors), Some(first)) = (set.add_cluster(&cluster_objects), cluster.first()) {
        // Each object was compiled alone when read: not reached.
        for e in errors.0 {
            diagnostics.push(Diagnostic::new(
                codes::UNREAD_POLICY_FIELD,
                first.origin.span,
                format!("{}: `{}`: {}", e.policy, e.path, e.message),
            ));
        }
    }
    let ipv6 = set.ip_blocks().any(|b| !b.cidr.is_ipv4())
        || objects
            .iter()
            .any(|o| o.shape.ips.iter().any(IpAddr::is_ipv6));
    let ranges = AddressRanges::new(&set);
    for o in &mut objects {
        o.shape.ips = ranges.representatives(&o.shape.ips);
    }
    let namespace_objects = dedup(
        collected.namespaces,
        |n: &NamespaceObject| format!("Namespace {}", n.name),
        |n| &n.origin,
        |_| "Namespace",
        diagnostics,
    );

    let by_name: HashMap<(&str, &str, &str), usize> = objects
        .iter()
        .enumerate()
        .map(|(i, w)| ((w.namespace.as_str(), w.kind.kind, w.name.as_str()), i))
        .collect();
    let by_uid: HashMap<&str, usize> = objects
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.uid.as_deref().map(|u| (u, i)))
        .collect();
    // parent[i]: the owner of object i that the input holds.
    let mut parent: Vec<Option<usize>> = vec![None; objects.len()];
    // The owner references of pods that name an object the input lacks.
    let mut missing: Vec<Option<(String, String)>> = vec![None; objects.len()];
    // Workload objects (not pods) by namespace and name, for an owner
    // reference without `kind`: the one object of that name, if unique.
    let mut owners_by_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, w) in objects.iter().enumerate() {
        if w.kind.kind != "Pod" {
            owners_by_name
                .entry((w.namespace.as_str(), w.name.as_str()))
                .or_default()
                .push(i);
        }
    }
    for (i, w) in objects.iter().enumerate() {
        let Some(r) = w.owner.as_ref() else { continue };
        // netpol-analyzer names a pod after its controller and every other
        // object after itself: no chains.
        if naming == Naming::NetpolAnalyzer && w.kind.kind != "Pod" {
            continue;
        }
        let by_reference = match (r.kind.as_deref(), r.name.as_deref()) {
            (Some(kind), Some(name)) => by_name.get(&(w.namespace.as_str(), kind, name)).copied(),
            (None, Some(name)) => match owners_by_name.get(&(w.namespace.as_str(), name)) {
                Some(found) if found.len() == 1 => Some(found[0]),
                _ => None,
            },
            _ => None,
        };
        let found = r
            .uid
            .as_deref()
            .and_then(|u| by_uid.get(u).copied())
            .or(by_reference)
            .filter(|&j| j != i && objects[j].namespace == w.namespace);
        match (found, &r.name) {
            (Some(j), _) => parent[i] = Some(j),
            (None, Some(name)) => {
                let kind = r.kind.clone().unwrap_or_else(|| match naming {
                    Naming::Npc => UNKNOWN_KIND.to_string(),
                    Naming::NetpolAnalyzer => "Pod".to_string(),
                });
                missing[i] = Some((kind, name.clone()));
            }
            // Neither found nor named: the object stands for itself.
            (None, None) => {}
        }
    }
    // Owner cycles (only hostile input has them) are cut at their first
    // object, and chains longer than any real one are cut too.
    for i in 0..objects.len() {
        let mut seen = vec![i];
        let mut at = i;
        while let Some(j) = parent[at] {
            if let Some(k) = seen.iter().position(|&s| s == j) {
                // The cycle is seen[k..]: cut it at its first object.
                let first = seen[k..].iter().copied().min().unwrap_or(j);
                parent[first] = None;
                break;
            }
            if seen.len() > MAX_OWNER_HOPS {
                parent[at] = None;
                break;
            }
            seen.push(j);
            at = j;
        }
    }
    let root = |i: usize| -> usize {
        let mut at = i;
        for _ in 0..=MAX_OWNER_HOPS {
            match parent[at] {
                Some(j) => at = j,
                None => break,
            }
        }
        at
    };
    let top = |i: usize| -> Top {
        match (&missing[i], parent[i]) {
            (Some((kind, name)), None) => Top::Inferred {
                kind: kind.clone(),
                name: name.clone(),
            },
            _ => Top::Known(root(i)),
        }
    };

    // A finished pod stands for its Job or CronJob (whose pods are
    // mostly finished when a cluster is dumped); any other is left out.
    let mut finished_pods = 0;
    let dropped: Vec<bool> = (0..objects.len())
        .map(|i| {
            if !objects[i].finished {
                return false;
            }
            let kind = match top(i) {
                Top::Known(j) => objects[j].kind.kind.to_string(),
                Top::Inferred { kind, .. } => kind,
            };
            let keep = matches!(kind.as_str(), "Job" | "CronJob");
            finished_pods += usize::from(!keep);
            !keep
        })
        .collect();

    // Which objects stand for a workload, and which pods run under each.
    let mut pods_of: BTreeMap<WorkloadName, (Option<usize>, Vec<usize>)> = BTreeMap::new();
    let mut absorbed = dropped.clone();
    // Each pod with an owner, and the workload it is reported as.
    let mut reported_as: Vec<(usize, WorkloadName)> = Vec::new();
    for (i, w) in objects.iter().enumerate() {
        if w.kind.kind != "Pod" || w.owner.is_none() || dropped[i] {
            continue;
        }
        let (id, known) = match top(i) {
            Top::Known(j) => (
                WorkloadName {
                    namespace: objects[j].namespace.clone(),
                    name: objects[j].name.clone(),
                    kind: objects[j].kind.kind.to_string(),
                },
                Some(j),
            ),
            Top::Inferred { kind, name } => (
                WorkloadName {
                    namespace: w.namespace.clone(),
                    name,
                    kind,
                },
                None,
            ),
        };
        if known != Some(i) {
            absorbed[i] = true;
        }
        reported_as.push((i, id.clone()));
        pods_of.entry(id).or_insert((known, Vec::new())).1.push(i);
    }
    // Objects with an owner in the input (a ReplicaSet under a
    // Deployment) are not workloads of their own.
    for (i, absorbed) in absorbed.iter_mut().enumerate() {
        if parent[i].is_some() && root(i) != i {
            *absorbed = true;
        }
    }

    let mut workloads = Vec::new();
    for (i, w) in objects.iter().enumerate() {
        if absorbed[i] {
            continue;
        }
        let id = WorkloadName {
            namespace: w.namespace.clone(),
            name: w.name.clone(),
            kind: w.kind.kind.to_string(),
        };
        let pods = pods_of
            .remove(&id)
            .map(|(_, pods)| pods)
            .unwrap_or_default();
        let sources: Vec<usize> = if pods.is_empty() { vec![i] } else { pods };
        workloads.push(Workload {
            id,
            shapes: shapes(&objects, &sources),
            origin: w.origin.clone(),
            inferred: false,
        });
    }
    // Owners known only from their pods' references.
    for (id, (known, pods)) in pods_of {
        if known.is_some() || pods.is_empty() {
            continue;
        }
        workloads.push(Workload {
            origin: objects[pods[0]].origin.clone(),
            shapes: shapes(&objects, &pods),
            id,
            inferred: true,
        });
    }
    workloads.sort_by(|a, b| a.id.cmp(&b.id));
    let index_of = |id: &WorkloadName| workloads.binary_search_by(|w| w.id.cmp(id)).ok();
    let reported_as: HashMap<usize, WorkloadName> = reported_as.into_iter().collect();
    let mut pods = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        if o.kind.kind != "Pod" || o.finished {
            continue;
        }
        let id = reported_as
            .get(&i)
            .cloned()
            .unwrap_or_else(|| WorkloadName {
                namespace: o.namespace.clone(),
                name: o.name.clone(),
                kind: "Pod".to_string(),
            });
        if let Some(workload) = index_of(&id) {
            pods.push(PodEntry {
                namespace: o.namespace.clone(),
                name: o.name.clone(),
                shape: o.shape.clone(),
                origin: o.origin.clone(),
                workload: WorkloadId::from_index(workload),
            });
        }
    }

    let mut namespaces: BTreeMap<String, Namespace> = namespace_objects
        .into_iter()
        .map(|n| {
            (
                n.name.clone(),
                Namespace {
                    name: n.name,
                    labels: n.labels,
                    origin: Some(n.origin),
                },
            )
        })
        .collect();
    let named = workloads
        .iter()
        .map(|w| w.id.namespace.clone())
        .chain(kept.iter().map(|p| p.namespace().to_string()))
        .chain(cilium.iter().map(|p| p.object.namespace().to_string()));
    for name in named {
        namespaces.entry(name.clone()).or_insert_with(|| Namespace {
            labels: BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), name.clone())]),
            name,
            origin: None,
        });
    }

    Manifests {
        sources,
        namespaces: namespaces.into_values().collect(),
        workloads,
        policies: kept,
        set,
        cluster,
        cilium,
        skipped: collected.skipped,
        pods,
        kinds: collected.kinds,
        finished_pods,
        ipv6,
        skipped_links: Vec::new(),
    }
}

/// The distinct shapes of some objects, first origin kept.
fn shapes(objects: &[WorkloadObject], indices: &[usize]) -> Vec<ShapeOrigin> {
    let mut out: Vec<ShapeOrigin> = Vec::new();
    for &i in indices {
        let o = &objects[i];
        if out.iter().any(|s| s.shape == o.shape) {
            continue;
        }
        out.push(ShapeOrigin {
            shape: o.shape.clone(),
            origin: o.origin.clone(),
            labels_path: o.kind.labels_path,
            spec_path: o.kind.spec_path,
        });
    }
    out
}

/// Where the policies' ipBlocks split the addresses of each family: an
/// address stands for every address of its range (no ipBlock tells them
/// apart), represented by the range's first address.
struct AddressRanges {
    v4: BTreeSet<u128>,
    v6: BTreeSet<u128>,
}

impl AddressRanges {
    fn new(set: &PolicySet) -> AddressRanges {
        let mut ranges = AddressRanges {
            v4: BTreeSet::from([0]),
            v6: BTreeSet::from([0]),
        };
        let networks = set.tier_networks();
        let blocks = set
            .ip_blocks()
            .flat_map(|block| std::iter::once(&block.cidr).chain(&block.except));
        for cidr in blocks.chain(&networks) {
            let (first, last) = cidr.range();
            let starts = if cidr.is_ipv4() {
                &mut ranges.v4
            } else {
                &mut ranges.v6
            };
            starts.insert(first);
            starts.insert(last.saturating_add(1));
        }
        ranges
    }

    /// Each address as the first address of its range, each once.
    fn representatives(&self, ips: &[IpAddr]) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        for ip in ips {
            let (n, starts) = match ip {
                IpAddr::V4(a) => (u128::from(u32::from(*a)), &self.v4),
                IpAddr::V6(a) => (u128::from(*a), &self.v6),
            };
            let first = starts.range(..=n).next_back().copied().unwrap_or(0);
            let representative = match ip {
                IpAddr::V4(_) => {
                    IpAddr::V4(Ipv4Addr::from(u32::try_from(first).unwrap_or(u32::MAX)))
                }
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(first)),
            };
            if !out.contains(&representative) {
                out.push(representative);
            }
        }
        out
    }
}
