//! Comparison of the policies npc would emit with the deployed ones, keyed by namespace/name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Serialize;
use serde_json::Value;

use super::load::Deployed;
use super::normalize::normalize;
use super::Error;
use crate::k8s::cluster_policy::ClusterObject;
use crate::k8s::{MANAGED_BY_LABEL, MANAGED_BY_VALUE};

/// What the comparison may ignore.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Annotations removed from both sides before comparing, for
    /// annotations that change without changing the policy.
    pub ignore_annotations: Vec<String>,
}

/// An object's identity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
    /// The kind, when it is not NetworkPolicy (`CiliumNetworkPolicy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A cluster-scoped object has no namespace; its name is `Kind/name`.
impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            return write!(f, "{}", self.name);
        }
        write!(f, "{}/{}", self.namespace, self.name)?;
        if let Some(kind) = &self.kind {
            write!(f, " ({kind})")?;
        }
        Ok(())
    }
}

/// An object that exists on both sides with different contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangedObject {
    #[serde(flatten)]
    pub key: ObjectKey,
    /// Unified diff of the normalized YAML, deployed (`-`) to npc (`+`),
    /// without colour.
    pub diff: String,
}

/// The result of `npc diff`. Every list is sorted by namespace, then name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    /// In npc's output only: applying creates them.
    pub added: Vec<ObjectKey>,
    /// Deployed, managed by npc, no longer in npc's output.
    pub removed: Vec<ObjectKey>,
    pub changed: Vec<ChangedObject>,
    pub unchanged: Vec<ObjectKey>,
    /// Deployed, not managed by npc, in a namespace npc writes policies
    /// for. NetworkPolicies are additive, so these still allow traffic.
    pub unmanaged_in_force: Vec<ObjectKey>,
    /// Deployed NetworkPolicies not managed by npc in other namespaces.
    pub ignored_unmanaged: usize,
    /// Deployed objects that are not NetworkPolicies, by `apiVersion/kind`.
    pub ignored_other_kinds: BTreeMap<String, usize>,
    /// Remarks about the input (duplicates, objects without a name).
    pub notes: Vec<String>,
}

impl DiffReport {
    /// Whether applying npc's output would change the cluster.
    pub fn has_differences(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty())
    }

    /// The process exit code: 0 when there is nothing to apply, 1 otherwise.
    /// Unmanaged policies in force are reported but are no difference.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.has_differences())
    }

    /// The report as pretty-printed JSON, for CI bots.
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Encode {
            message: e.to_string(),
        })
    }
}

/// Compares `desired` (what npc would emit) with `actual` (loaded deployed
/// objects), both normalized.
pub fn compare(
    desired: &[NetworkPolicy],
    actual: &Deployed,
    options: &DiffOptions,
) -> Result<DiffReport, Error> {
    compare_all(desired, &[], &[], actual, options)
}

/// [`compare`] with npc's cluster-scoped objects: they are compared with
/// the deployed cluster policies by kind and name (`ClusterNetworkPolicy/
/// admin-web`); a deployed one managed by npc and no longer emitted is
/// removed, one npc does not manage is in force everywhere. npc's
/// CiliumNetworkPolicies (DNS names) are compared with the deployed ones as
/// objects of their own kind.
pub fn compare_all(
    desired: &[NetworkPolicy],
    desired_cluster: &[ClusterObject],
    desired_cilium: &[crate::k8s::cilium::CiliumNetworkPolicy],
    actual: &Deployed,
    options: &DiffOptions,
) -> Result<DiffReport, Error> {
    let mut report = compare_policies(desired, desired_cilium, actual, options)?;
    let mut wanted = BTreeMap::new();
    for object in desired_cluster {
        let value = object.to_json().map_err(|e| Error::Encode {
            message: e.to_string(),
        })?;
        if let Some((key, value)) = cluster_keyed(value, "npc output", options, &mut report.notes) {
            wanted.insert(key, value);
        }
    }
    let mut deployed: BTreeMap<ObjectKey, Value> = BTreeMap::new();
    for policy in &actual.cluster {
        if let Some((key, value)) = cluster_keyed(
            policy.object.clone(),
            &policy.origin,
            options,
            &mut report.notes,
        ) {
            deployed.insert(key, value);
        }
    }
    for (key, want) in &wanted {
        match deployed.get(key) {
            None => report.added.push(key.clone()),
            Some(have) if have == want => report.unchanged.push(key.clone()),
            Some(have) => report.changed.push(ChangedObject {
                key: key.clone(),
                diff: unified_diff(key, have, want)?,
            }),
        }
    }
    for (key, have) in &deployed {
        if wanted.contains_key(key) {
            continue;
        }
        if is_managed(have) {
            report.removed.push(key.clone());
        } else {
            report.unmanaged_in_force.push(key.clone());
        }
    }
    for list in [
        &mut report.added,
        &mut report.removed,
        &mut report.unchanged,
        &mut report.unmanaged_in_force,
    ] {
        list.sort();
    }
    report.changed.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(report)
}

/// A cluster object normalized (no API defaults to apply: npc writes every
/// field it means) with its key `Kind/name` and no namespace.
fn cluster_keyed(
    mut object: Value,
    origin: &str,
    options: &DiffOptions,
    notes: &mut Vec<String>,
) -> Option<(ObjectKey, Value)> {
    use super::normalize::{
        drop_annotations, drop_empty_metadata_maps, drop_nulls, drop_server_fields,
    };
    drop_nulls(&mut object);
    drop_server_fields(&mut object);
    drop_annotations(&mut object, &options.ignore_annotations);
    drop_empty_metadata_maps(&mut object);
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let Some(name) = object.pointer("/metadata/name").and_then(Value::as_str) else {
        notes.push(format!(
            "a {kind} in {origin} has no `metadata.name` and is skipped"
        ));
        return None;
    };
    let key = ObjectKey {
        namespace: String::new(),
        name: format!("{kind}/{name}"),
        kind: None,
    };
    Some((key, object))
}

fn compare_policies(
    desired: &[NetworkPolicy],
    desired_cilium: &[crate::k8s::cilium::CiliumNetworkPolicy],
    actual: &Deployed,
    options: &DiffOptions,
) -> Result<DiffReport, Error> {
    let mut report = DiffReport {
        ignored_other_kinds: actual.other_kinds.clone(),
        notes: actual.skipped_links.clone(),
        ..DiffReport::default()
    };
    let encode = |e: serde_json::Error| Error::Encode {
        message: e.to_string(),
    };
    let mut wanted = BTreeMap::new();
    for policy in desired {
        let object = serde_json::to_value(policy).map_err(encode)?;
        if let Some((key, object)) = keyed(object, "npc output", options, &mut report.notes) {
            wanted.insert(key, object);
        }
    }
    for policy in desired_cilium {
        let object = serde_json::to_value(policy).map_err(encode)?;
        if let Some((key, object)) = keyed_cilium(object, "npc output", options, &mut report.notes)
        {
            wanted.insert(key, object);
        }
    }
    let mut deployed: BTreeMap<ObjectKey, (Value, String)> = BTreeMap::new();
    let np = actual.policies.iter().map(|p| (p, false));
    let cnp = actual.cilium.iter().map(|p| (p, true));
    for (policy, cilium) in np.chain(cnp) {
        let read = if cilium { keyed_cilium } else { keyed };
        let Some((key, object)) = read(
            policy.object.clone(),
            &policy.origin,
            options,
            &mut report.notes,
        ) else {
            continue;
        };
        if let Some((_, earlier)) = deployed.get(&key) {
            report.notes.push(format!(
                "`{key}` is given twice ({earlier} and {}); the later one is compared",
                policy.origin
            ));
        }
        deployed.insert(key, (object, policy.origin.clone()));
    }
    let managed_namespaces: BTreeSet<&str> = wanted
        .keys()
        .map(|k: &ObjectKey| k.namespace.as_str())
        .collect();

    for (key, want) in &wanted {
        match deployed.get(key) {
            None => report.added.push(key.clone()),
            Some((have, _)) if have == want => report.unchanged.push(key.clone()),
            Some((have, _)) => report.changed.push(ChangedObject {
                key: key.clone(),
                diff: unified_diff(key, have, want)?,
            }),
        }
    }
    for (key, (have, _)) in &deployed {
        if wanted.contains_key(key) {
            continue;
        }
        if is_managed(have) {
            report.removed.push(key.clone());
        } else if managed_namespaces.contains(key.namespace.as_str()) {
            report.unmanaged_in_force.push(key.clone());
        } else {
            report.ignored_unmanaged += 1;
        }
    }
    Ok(report)
}

/// Normalizes an object and finds its key; an object without a name gets a
/// note and is skipped.
fn keyed(
    mut object: Value,
    origin: &str,
    options: &DiffOptions,
    notes: &mut Vec<String>,
) -> Option<(ObjectKey, Value)> {
    normalize(&mut object, &options.ignore_annotations);
    let meta = object.get("metadata");
    let field = |f: &str| meta.and_then(|m| m.get(f)).and_then(Value::as_str);
    let Some(name) = field("name") else {
        notes.push(format!(
            "a NetworkPolicy in {origin} has no `metadata.name` and is skipped"
        ));
        return None;
    };
    let key = ObjectKey {
        namespace: field("namespace").unwrap_or("default").to_string(),
        name: name.to_string(),
        kind: None,
    };
    Some((key, object))
}

/// [`keyed`] for a CiliumNetworkPolicy: only the normalizations that hold
/// for any object (no NetworkPolicy defaults).
fn keyed_cilium(
    mut object: Value,
    origin: &str,
    options: &DiffOptions,
    notes: &mut Vec<String>,
) -> Option<(ObjectKey, Value)> {
    use super::normalize::{
        default_namespace, drop_annotations, drop_empty_metadata_maps, drop_nulls,
        drop_server_fields,
    };
    drop_nulls(&mut object);
    drop_server_fields(&mut object);
    drop_annotations(&mut object, &options.ignore_annotations);
    drop_empty_metadata_maps(&mut object);
    default_namespace(&mut object);
    let meta = object.get("metadata");
    let field = |f: &str| meta.and_then(|m| m.get(f)).and_then(Value::as_str);
    let Some(name) = field("name") else {
        notes.push(format!(
            "a CiliumNetworkPolicy in {origin} has no `metadata.name` and is skipped"
        ));
        return None;
    };
    let key = ObjectKey {
        namespace: field("namespace").unwrap_or("default").to_string(),
        name: name.to_string(),
        kind: Some(crate::k8s::cilium::KIND.to_string()),
    };
    Some((key, object))
}

/// Whether the object carries `app.kubernetes.io/managed-by: npc`.
pub fn is_managed(object: &Value) -> bool {
    object
        .pointer("/metadata/labels")
        .and_then(|labels| labels.get(MANAGED_BY_LABEL))
        .and_then(Value::as_str)
        == Some(MANAGED_BY_VALUE)
}

fn unified_diff(key: &ObjectKey, deployed: &Value, desired: &Value) -> Result<String, Error> {
    let encode = |v: &Value| {
        serde_yaml::to_string(v).map_err(|e| Error::Encode {
            message: e.to_string(),
        })
    };
    let (old, new) = (encode(deployed)?, encode(desired)?);
    let diff = similar::TextDiff::from_lines(&old, &new);
    Ok(diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("deployed: {key}"), &format!("npc: {key}"))
        .to_string())
}
