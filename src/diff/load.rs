//! Loading of deployed objects: YAML files, directories of them, or text from stdin.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize as _;
use serde_json::Value;

use super::Error;

use crate::k8s::{NETWORK_POLICY_API_VERSION, NETWORK_POLICY_KIND};

/// The objects read from one input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deployed {
    /// The NetworkPolicy objects, in input order, not yet normalized.
    pub policies: Vec<DeployedPolicy>,
    /// How many other objects were skipped, by kind (`apiVersion/kind`).
    pub other_kinds: BTreeMap<String, usize>,
}

/// One NetworkPolicy with the place it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct DeployedPolicy {
    /// `file` or `file#document` (1-based), for notes.
    pub origin: String,
    pub object: Value,
}

impl Deployed {
    /// How many objects were skipped because they are not NetworkPolicies.
    pub fn other_count(&self) -> usize {
        self.other_kinds.values().sum()
    }

    fn merge(&mut self, other: Deployed) {
        self.policies.extend(other.policies);
        for (kind, n) in other.other_kinds {
            *self.other_kinds.entry(kind).or_default() += n;
        }
    }
}

/// Loads a YAML file, or every `.yaml`/`.yml` file under a directory
/// (recursively, in sorted path order).
pub fn load_path(path: &Path) -> Result<Deployed, Error> {
    let mut loaded = Deployed::default();
    for file in yaml_files(path)? {
        let text =
            crate::files::read_text(&file, crate::files::MAX_MANIFEST_BYTES).map_err(|e| {
                Error::Read {
                    path: file.display().to_string(),
                    message: e.reason.to_string(),
                }
            })?;
        loaded.merge(load_str(&file.display().to_string(), &text)?);
    }
    Ok(loaded)
}

/// Loads multi-document YAML text; `origin` names it in errors and notes
/// (e.g. `<stdin>`).
pub fn load_str(origin: &str, text: &str) -> Result<Deployed, Error> {
    let mut loaded = Deployed::default();
    // Bounded in depth, merge keys resolved (`k8s::yaml`).
    let documents = crate::k8s::yaml::parse_documents(text).map_err(|e| Error::Parse {
        origin: origin.to_string(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    for (index, document) in documents.into_iter().enumerate() {
        let value = Value::deserialize(document).map_err(|e| Error::Parse {
            origin: origin.to_string(),
            line: None,
            column: None,
            message: format!("document {}: {e}", index + 1),
        })?;
        let doc_origin = format!("{origin}#{}", index + 1);
        collect(&doc_origin, value, None, &mut loaded);
    }
    Ok(loaded)
}

/// Sorts one document into policies and skipped kinds. `List` objects (as
/// `kubectl get -o yaml` prints) and typed lists (`NetworkPolicyList`, whose
/// items carry no `apiVersion`/`kind`) are flattened.
fn collect(origin: &str, value: Value, inherited: Option<(&str, &str)>, out: &mut Deployed) {
    if value.is_null() {
        return;
    }
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    let api_version = text("apiVersion").or_else(|| inherited.map(|i| i.0.to_string()));
    let kind = text("kind").or_else(|| inherited.map(|i| i.1.to_string()));
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        *out.other_kinds
            .entry("(not a Kubernetes object)".into())
            .or_default() += 1;
        return;
    };
    if let (Some(item_kind), Some(Value::Array(_))) =
        (kind.strip_suffix("List"), value.get("items"))
    {
        let item_kind = item_kind.to_string();
        let Value::Object(mut map) = value else {
            return;
        };
        let Some(Value::Array(items)) = map.remove("items") else {
            return;
        };
        // A plain `List` says nothing about its items' kind.
        let inherit = (!item_kind.is_empty()).then_some((api_version.as_str(), item_kind.as_str()));
        for (i, item) in items.into_iter().enumerate() {
            let item_origin = format!("{origin}/items/{i}");
            collect(&item_origin, item, inherit, out);
        }
        return;
    }
    if api_version == NETWORK_POLICY_API_VERSION && kind == NETWORK_POLICY_KIND {
        let mut object = value;
        if let Some(map) = object.as_object_mut() {
            map.insert("apiVersion".into(), Value::String(api_version));
            map.insert("kind".into(), Value::String(kind));
        }
        out.policies.push(DeployedPolicy {
            origin: origin.to_string(),
            object,
        });
    } else {
        *out.other_kinds
            .entry(format!("{api_version}/{kind}"))
            .or_default() += 1;
    }
}

/// The YAML files a path names: itself, or the `.yaml`/`.yml` files below
/// it, sorted. Symlinked directories are not followed (no cycles).
fn yaml_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    let read_error = |p: &Path, e: std::io::Error| Error::Read {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    let meta = fs::metadata(path).map_err(|e| read_error(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| read_error(&dir, e))? {
            let entry = entry.map_err(|e| read_error(&dir, e))?;
            let p = entry.path();
            let file_type = entry.file_type().map_err(|e| read_error(&p, e))?;
            if file_type.is_dir() {
                dirs.push(p);
            } else if is_yaml(&p) && (file_type.is_file() || p.is_file()) {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "yaml" || e == "yml")
}
