//! A cluster inventory: the namespaces and pods `kubectl get namespaces,pods
//! -A -o yaml` prints (a `List`, or several YAML documents).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::eval::{NamedPort, Pod};
use crate::k8s::{Protocol, NAMESPACE_NAME_LABEL};

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

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Object {
    kind: String,
    #[serde(default)]
    items: Vec<Object>,
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    spec: Spec,
    #[serde(default)]
    status: Status,
}

#[derive(Deserialize, Default)]
struct Metadata {
    name: Option<String>,
    namespace: Option<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(default)]
    containers: Vec<Container>,
    #[serde(default)]
    init_containers: Vec<Container>,
    #[serde(default)]
    host_network: bool,
}

#[derive(Deserialize, Default)]
struct Status {
    phase: Option<String>,
}

#[derive(Deserialize)]
struct Container {
    #[serde(default)]
    ports: Vec<ContainerPort>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerPort {
    name: Option<String>,
    container_port: u16,
    #[serde(default)]
    protocol: Option<ProtocolName>,
}

#[derive(Deserialize, Clone, Copy)]
enum ProtocolName {
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

/// Reads an inventory file; errors name the file and, where known, the line.
pub fn load(path: &Path) -> Result<Inventory, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read `{}`: {}",
            path.display(),
            crate::error::io_reason(&e)
        )
    })?;
    parse(&path.display().to_string(), &text)
}

/// The first typed error of `text`, with its line and column.
fn locate_error(name: &str, text: &str) -> Option<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for doc in serde_yaml::Deserializer::from_str(text) {
        if let Err(e) = Option::<Object>::deserialize(doc) {
            let at = e
                .location()
                .map_or_else(String::new, |l| format!(":{}:{}", l.line(), l.column()));
            return Some(format!("`{name}`{at}: not a Kubernetes object list: {e}"));
        }
    }
    None
}

/// Parses inventory text; `name` is used in error messages.
pub fn parse(name: &str, text: &str) -> Result<Inventory, String> {
    let mut objects = Vec::new();
    // Bounded in depth, merge keys resolved (`k8s::yaml`).
    let documents = crate::k8s::yaml::parse_documents(text).map_err(|e| {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!(":{l}:{c}"),
            _ => String::new(),
        };
        format!("`{name}`{at}: not a Kubernetes object list: {}", e.message)
    })?;
    for doc in documents {
        match Option::<Object>::deserialize(doc) {
            Ok(object) => objects.extend(object),
            // Read the text again (its depth is known to be bounded now) for
            // the line and column of the mistake.
            Err(e) => {
                return Err(locate_error(name, text)
                    .unwrap_or_else(|| format!("`{name}`: not a Kubernetes object list: {e}")))
            }
        }
    }
    let mut inventory = Inventory::default();
    let mut pods = Vec::new();
    // Finished pods are skipped, but they show the file is an inventory.
    let mut saw_pod = false;
    let mut flat = Vec::new();
    for o in objects {
        if o.kind == "List" {
            flat.extend(o.items);
        } else {
            flat.push(o);
        }
    }
    for (i, o) in flat.into_iter().enumerate() {
        let what =
            |field: &str| format!("`{name}`: item {} (a {}) has no `{field}`", i + 1, o.kind);
        match o.kind.as_str() {
            "Namespace" => {
                let ns = o
                    .metadata
                    .name
                    .clone()
                    .ok_or_else(|| what("metadata.name"))?;
                let mut labels = o.metadata.labels.clone().unwrap_or_default();
                labels
                    .entry(NAMESPACE_NAME_LABEL.to_string())
                    .or_insert_with(|| ns.clone());
                inventory.namespaces.insert(ns, labels);
            }
            "Pod" => {
                saw_pod = true;
                let pod_name = o
                    .metadata
                    .name
                    .clone()
                    .ok_or_else(|| what("metadata.name"))?;
                let ns = o
                    .metadata
                    .namespace
                    .clone()
                    .ok_or_else(|| what("metadata.namespace"))?;
                if matches!(o.status.phase.as_deref(), Some("Succeeded" | "Failed")) {
                    continue;
                }
                let mut ports = Vec::new();
                for c in o.spec.containers.iter().chain(&o.spec.init_containers) {
                    for p in &c.ports {
                        if p.container_port == 0 {
                            return Err(format!(
                                "`{name}`: pod `{ns}/{pod_name}` declares container port 0"
                            ));
                        }
                        if let Some(port_name) = &p.name {
                            ports.push(NamedPort {
                                name: port_name.clone(),
                                protocol: match p.protocol {
                                    None | Some(ProtocolName::Tcp) => Protocol::Tcp,
                                    Some(ProtocolName::Udp) => Protocol::Udp,
                                    Some(ProtocolName::Sctp) => Protocol::Sctp,
                                },
                                number: p.container_port,
                            });
                        }
                    }
                }
                pods.push((
                    ns.clone(),
                    ClusterPod {
                        name: pod_name,
                        host_network: o.spec.host_network,
                        pod: Pod {
                            namespace: ns,
                            namespace_labels: BTreeMap::new(),
                            labels: o.metadata.labels.clone().unwrap_or_default(),
                            ports,
                        },
                    },
                ));
            }
            _ => {}
        }
    }
    if inventory.namespaces.is_empty() && pods.is_empty() && !saw_pod {
        return Err(format!(
            "`{name}` holds no namespaces and no pods; an inventory is the output of `kubectl get namespaces,pods -A -o yaml`"
        ));
    }
    for (ns, mut pod) in pods {
        pod.pod.namespace_labels =
            inventory.namespaces.get(&ns).cloned().unwrap_or_else(|| {
                BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), ns.clone())])
            });
        inventory.pods.push(pod);
    }
    Ok(inventory)
}
