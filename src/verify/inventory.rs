//! A cluster inventory: the namespaces and pods `kubectl get namespaces,pods
//! -A -o yaml` prints (a `List`, or several YAML documents), read with the
//! manifest reader (`manifest`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::eval::Pod;
use crate::manifest;

/// The namespaces and pods of a cluster.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// Namespace name → its labels (with `kubernetes.io/metadata.name`).
    pub namespaces: BTreeMap<String, BTreeMap<String, String>>,
    /// Running (or pending) pods, in file order.
    pub pods: Vec<ClusterPod>,
}

/// One pod of the inventory.
#[derive(Clone, Debug)]
pub struct ClusterPod {
    pub name: String,
    /// Uses the node's network namespace: no NetworkPolicy applies to it.
    pub host_network: bool,
    /// Labels, namespace labels and named container ports, for the evaluator.
    pub pod: Pod,
}

impl ClusterPod {
    /// `namespace/name`
    pub fn key(&self) -> String {
        format!("{}/{}", self.pod.namespace, self.name)
    }
}

/// Reads an inventory file; errors name the file and, where known, the line.
pub fn load(path: &Path) -> Result<Inventory, String> {
    let text = crate::files::read_text(path, crate::files::MAX_MANIFEST_BYTES)
        .map_err(|e| e.to_string())?;
    parse(&path.display().to_string(), &text)
}

/// Parses inventory text with the manifest reader; `name` is used in error
/// messages. The namespaces are the `Namespace` objects; the pods are the
/// `Pod` objects that run or wait to (finished ones are left out).
pub fn parse(name: &str, text: &str) -> Result<Inventory, String> {
    let reading = manifest::load_str(name, text, &manifest::Options::default());
    let manifests = &reading.manifests;
    if let Some(d) = reading.diagnostics.iter().find(|d| d.is_error()) {
        let at = manifests
            .sources
            .get(d.span.file)
            .map_or_else(String::new, |f| {
                format!(
                    ":{}:{}",
                    f.line_of(d.span.start()),
                    f.column_of(d.span.start())
                )
            });
        return Err(format!("`{name}`{at}: {}", d.message));
    }
    if manifests.skipped.contains_key("(not a Kubernetes object)") {
        return Err(format!(
            "`{name}`: not a Kubernetes object list: a document has no `kind`"
        ));
    }
    let namespaces: BTreeMap<String, BTreeMap<String, String>> = manifests
        .namespaces
        .iter()
        .filter(|n| n.origin.is_some())
        .map(|n| (n.name.clone(), n.labels.clone()))
        .collect();
    // Finished pods are left out, but they show the file is an inventory.
    if namespaces.is_empty() && manifests.pods.is_empty() && manifests.finished_pods == 0 {
        return Err(format!(
            "`{name}` holds no namespaces and no pods; an inventory is the output of `kubectl get namespaces,pods -A -o yaml`"
        ));
    }
    let pods = manifests
        .pods
        .iter()
        .map(|p| ClusterPod {
            name: p.name.clone(),
            host_network: p.shape.host_network,
            pod: Pod {
                namespace: p.namespace.clone(),
                namespace_labels: manifests.namespace_labels(&p.namespace),
                labels: p.shape.labels.clone(),
                ports: p.shape.ports.clone(),
                ips: Vec::new(),
                address: None,
            },
        })
        .collect();
    Ok(Inventory { namespaces, pods })
}
