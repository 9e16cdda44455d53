//! Objects into the model: duplicates resolved, pods reported as their
//! owners, namespaces completed.
//!
//! A pod with an owner reference is reported as the topmost owner the input
//! holds (Pod → ReplicaSet → Deployment, Pod → Job → CronJob); when the
//! input holds none, as the owner reference itself (`ReplicaSet/web-5d8f9`).
//! Any other workload manifest is reported as itself. A workload's pod
//! shapes come from its pods when the input has some (what runs), else from
//! its pod template.

use std::collections::{BTreeMap, HashMap};

use super::objects::{Collected, NamespaceObject, WorkloadObject};
use super::{Manifests, Namespace, Origin, ShapeOrigin, Workload, WorkloadId};
use crate::diagnostic::{codes, Diagnostic};
use crate::k8s::NAMESPACE_NAME_LABEL;
use crate::source::SourceMap;

/// Owner chains longer than this are cut (no real chain has more than 3).
const MAX_OWNER_HOPS: usize = 8;

/// Keeps the last of the items with the same key, in input order, and
/// warns at every earlier definition.
fn dedup<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    origin: impl Fn(&T) -> &Origin,
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
    diagnostics: &mut Vec<Diagnostic>,
) -> Manifests {
    // Keys start with the kind (workloads of different kinds may share a
    // name); the message shows what follows the first space.
    let objects: Vec<WorkloadObject> = dedup(
        collected.workloads,
        |w| format!("{} {}/{}", w.kind.kind, w.namespace, w.name),
        |w| &w.origin,
        |w| w.kind.kind,
        diagnostics,
    );
    let policies = dedup(
        collected.policies,
        |p| format!("NetworkPolicy {}", p.key()),
        |p| &p.origin,
        |_| "NetworkPolicy",
        diagnostics,
    );
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
    let owner_of = |i: usize| -> Option<Result<usize, (String, String)>> {
        let w = &objects[i];
        let r = w.owner.as_ref()?;
        let found = r
            .uid
            .as_deref()
            .and_then(|u| by_uid.get(u))
            .or_else(|| by_name.get(&(w.namespace.as_str(), r.kind.as_str(), r.name.as_str())))
            .copied()
            .filter(|&j| objects[j].namespace == w.namespace);
        Some(found.ok_or_else(|| (r.kind.clone(), r.name.clone())))
    };
    let top = |i: usize| -> Top {
        if objects[i].kind.kind != "Pod" {
            return Top::Known(i);
        }
        let mut at = i;
        for _ in 0..MAX_OWNER_HOPS {
            match owner_of(at) {
                None => return Top::Known(at),
                Some(Ok(j)) if j != at => at = j,
                Some(Ok(_)) => return Top::Known(at),
                Some(Err((kind, name))) if at == i => return Top::Inferred { kind, name },
                Some(Err(_)) => return Top::Known(at),
            }
        }
        Top::Known(at)
    };

    // Which objects stand for a workload, and which pods run under each.
    let mut pods_of: BTreeMap<WorkloadId, (Option<usize>, Vec<usize>)> = BTreeMap::new();
    let mut absorbed = vec![false; objects.len()];
    for (i, w) in objects.iter().enumerate() {
        if w.kind.kind != "Pod" {
            continue;
        }
        let (id, known) = match top(i) {
            Top::Known(j) => (
                WorkloadId {
                    namespace: objects[j].namespace.clone(),
                    name: objects[j].name.clone(),
                    kind: objects[j].kind.kind.to_string(),
                },
                Some(j),
            ),
            Top::Inferred { kind, name } => (
                WorkloadId {
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
        pods_of.entry(id).or_insert((known, Vec::new())).1.push(i);
    }
    // Owners that the input holds above another workload object (a
    // ReplicaSet under a Deployment) are not workloads of their own.
    for i in 0..objects.len() {
        if objects[i].kind.kind == "Pod" {
            continue;
        }
        let mut at = i;
        for _ in 0..MAX_OWNER_HOPS {
            match owner_of(at) {
                Some(Ok(j)) if j != at => {
                    absorbed[i] = true;
                    at = j;
                }
                _ => break,
            }
        }
    }

    let mut workloads = Vec::new();
    for (i, w) in objects.iter().enumerate() {
        if absorbed[i] {
            continue;
        }
        let id = WorkloadId {
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
        .chain(policies.iter().map(|p| p.namespace().to_string()));
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
        policies,
        skipped: collected.skipped,
        finished_pods: collected.finished_pods,
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
