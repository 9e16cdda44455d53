//! Loading of deployed objects (YAML files, directories of them, or text
//! from stdin) through the manifest reader (`manifest`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::Error;

use crate::k8s::cluster_policy;
use crate::k8s::{cilium, NETWORK_POLICY_API_VERSION, NETWORK_POLICY_KIND};
use crate::manifest::{self, objects::Flat};
use crate::source::{SourceFile, SourceMap};

/// The objects read from one input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deployed {
    /// The NetworkPolicy objects, in input order, not yet normalized.
    pub policies: Vec<DeployedPolicy>,
    /// The cluster policies (ClusterNetworkPolicy, AdminNetworkPolicy,
    /// BaselineAdminNetworkPolicy), in input order, not yet normalized.
    pub cluster: Vec<DeployedPolicy>,
    /// The CiliumNetworkPolicy objects (npc writes them for DNS names), in
    /// input order, not yet normalized.
    pub cilium: Vec<DeployedPolicy>,
    /// How many other objects were skipped, by kind (`apiVersion/kind`).
    pub other_kinds: BTreeMap<String, usize>,
    /// Symbolic links in an input directory that lead out of it, not read
    /// (`files::skipped_link`).
    pub skipped_links: Vec<String>,
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
}

/// Loads a manifest file, or every `.yaml`/`.yml`/`.json` file under a
/// directory (recursively, in sorted path order), with the manifest reader.
pub fn load_path(path: &Path) -> Result<Deployed, Error> {
    let inputs = manifest::input::read(&[path.to_path_buf()]).map_err(|e| Error::Read {
        message: e
            .to_string()
            .split_once("`: ")
            .map_or_else(|| e.to_string(), |(_, why)| why.to_string()),
        path: e.name,
    })?;
    let mut out = deployed(&inputs.sources)?;
    out.skipped_links = inputs.skipped_links;
    Ok(out)
}

/// Loads multi-document YAML text; `origin` names it in errors and notes
/// (e.g. `<stdin>`).
pub fn load_str(origin: &str, text: &str) -> Result<Deployed, Error> {
    let mut sources = SourceMap::default();
    sources.add(SourceFile::new(origin, None, text));
    deployed(&sources)
}

/// The objects as written: deployed policies are compared as objects (not
/// validated nor modelled), so only the manifest reader's documents and
/// `List` flattening are used. The first malformed document stops.
fn deployed(sources: &SourceMap) -> Result<Deployed, Error> {
    let (documents, diagnostics) = manifest::raw_documents(sources);
    let name = |file| {
        sources
            .get(file)
            .map_or_else(|| "<unknown>".to_string(), |f| f.name.clone())
    };
    let located = |span: crate::source::Span, message: String| {
        let file = sources.get(span.file);
        Error::Parse {
            origin: name(span.file),
            line: file.map(|f| f.line_of(span.start())),
            column: file.map(|f| f.column_of(span.start())),
            message,
        }
    };
    if let Some(d) = diagnostics.iter().find(|d| d.is_error()) {
        return Err(located(d.span, d.message.clone()));
    }
    let mut out = Deployed::default();
    for document in documents {
        // JSON holds what the comparison needs; a document it cannot hold
        // (a key that is not a string) is an error.
        serde_json::to_value(&document.value)
            .map_err(|e| located(document.start, e.to_string()))?;
        for flat in document.objects {
            let object = match flat {
                Flat::Object(object) => object,
                Flat::ItemsNotAList { path, found } => {
                    return Err(located(
                        document.start,
                        format!("`{path}` of a list must be a list, not {found}"),
                    ));
                }
                Flat::NotAnObject => {
                    *out.other_kinds
                        .entry("(not a Kubernetes object)".into())
                        .or_default() += 1;
                    continue;
                }
            };
            let cluster = object.api_version.rsplit_once('/').map(|(g, _)| g)
                == Some(cluster_policy::GROUP)
                && cluster_policy::KINDS.contains(&object.kind.as_str());
            let is_cilium =
                object.api_version == cilium::API_VERSION && object.kind == cilium::KIND;
            if !is_cilium
                && object.api_version.rsplit_once('/').map(|(g, _)| g) == Some(cilium::GROUP)
                && object.kind.ends_with("NetworkPolicy")
            {
                // Another of Cilium's policy kinds: it isolates pods too,
                // and npc neither writes nor compares it.
                return Err(located(
                    document.start,
                    format!(
                        "`{}/{}` objects are not compared: npc writes NetworkPolicies and, for DNS names, `{}/{}` only",
                        object.api_version,
                        object.kind,
                        cilium::API_VERSION,
                        cilium::KIND
                    ),
                ));
            }
            if !cluster
                && !is_cilium
                && (object.api_version != NETWORK_POLICY_API_VERSION
                    || object.kind != NETWORK_POLICY_KIND)
            {
                *out.other_kinds
                    .entry(format!("{}/{}", object.api_version, object.kind))
                    .or_default() += 1;
                continue;
            }
            let mut value = serde_json::to_value(&object.value)
                .map_err(|e| located(document.start, e.to_string()))?;
            if let Some(map) = value.as_object_mut() {
                map.insert("apiVersion".into(), Value::String(object.api_version));
                map.insert("kind".into(), Value::String(object.kind));
            }
            let items: String = object
                .path
                .split('.')
                .filter(|p| !p.is_empty())
                .map(|p| format!("/{}", p.replace('[', "/").trim_end_matches(']')))
                .collect();
            let policy = DeployedPolicy {
                origin: format!("{}#{}{items}", name(document.file), document.index),
                object: value,
            };
            if cluster {
                out.cluster.push(policy);
            } else if is_cilium {
                out.cilium.push(policy);
            } else {
                out.policies.push(policy);
            }
        }
    }
    Ok(out)
}
