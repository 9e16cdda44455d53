//! Cluster policies read from YAML by the manifest reader and analyzed by
//! `npc analyze` (the library entry the command calls): the pods of a case
//! written as `Namespace` and `Pod` objects (labels, named container ports,
//! `status.podIPs`), the policies as written, and the connections the
//! analysis lists read back per pair of pods and per address.

use std::collections::BTreeMap;
use std::net::IpAddr;

use npc::analyze::{Analysis, Peer};
use npc::eval::{Pod, PortSet};
use serde_json::{json, Value};

/// `Namespace` and `Pod` objects for `pods` (`ns/name` keys), then `policies`
/// (YAML documents separated by `---`), as one multi-document text.
pub fn yaml(pods: &[(String, Pod)], policies: &str) -> String {
    let mut namespaces: BTreeMap<&str, &BTreeMap<String, String>> = BTreeMap::new();
    for (_, pod) in pods {
        namespaces.insert(&pod.namespace, &pod.namespace_labels);
    }
    let mut docs: Vec<String> = Vec::new();
    for (name, labels) in namespaces {
        let object = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}});
        docs.push(serde_yaml::to_string(&object).unwrap());
    }
    for (key, pod) in pods {
        let (_, name) = key.split_once('/').unwrap();
        let ports: Vec<Value> = pod
            .ports
            .iter()
            .map(|p| json!({"name": p.name, "containerPort": p.number, "protocol": p.protocol.as_str()}))
            .collect();
        let ips: Vec<Value> = pod
            .address
            .iter()
            .chain(&pod.ips)
            .map(|ip| json!({"ip": ip.to_string()}))
            .collect();
        let object = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": pod.namespace, "labels": pod.labels},
            "spec": {"containers": [{"name": "main", "image": "registry.example/app", "ports": ports}]},
            "status": {"phase": "Running", "podIPs": ips},
        });
        docs.push(serde_yaml::to_string(&object).unwrap());
    }
    if !policies.trim().is_empty() {
        docs.push(format!("{}\n", policies.trim_end()));
    }
    docs.join("---\n")
}

/// Reads the text as `npc analyze` does and analyzes it (IPv4 ranges);
/// any error diagnostic fails the test.
pub fn analysis(text: &str) -> Analysis {
    let reading = npc::manifest::load_str("case.yaml", text, &npc::manifest::Options::default());
    let errors: Vec<String> = reading
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code.id, d.message))
        .collect();
    assert!(
        errors.is_empty(),
        "the reader refused the case: {errors:#?}\n{text}"
    );
    npc::analyze::analyze(&reading.manifests, &npc::analyze::Options::default())
}

fn is_workload(peer: &Peer, key: &str) -> bool {
    matches!(peer, Peer::Workload(w) if format!("{}/{}", w.namespace, w.name) == key)
}

fn in_range(peer: &Peer, ip: IpAddr) -> bool {
    matches!(peer, Peer::External(r) if r.first.is_ipv4() == ip.is_ipv4() && r.first <= ip && ip <= r.last)
}

/// What the analysis lists from workload `src` to workload `dst` (`ns/name`).
pub fn between(analysis: &Analysis, src: &str, dst: &str) -> PortSet {
    let found: Vec<&PortSet> = analysis
        .connections
        .iter()
        .filter(|c| is_workload(&c.src, src) && is_workload(&c.dst, dst))
        .map(|c| &c.conn.0)
        .collect();
    assert!(found.len() <= 1, "{src} -> {dst} listed twice");
    found.first().map_or_else(PortSet::empty, |p| (*p).clone())
}

/// What the analysis lists from `workload` to the address `ip` (egress), or
/// from it to the workload (ingress).
pub fn with_address(analysis: &Analysis, workload: &str, ip: IpAddr, egress: bool) -> PortSet {
    let found: Vec<&PortSet> = analysis
        .connections
        .iter()
        .filter(|c| {
            if egress {
                is_workload(&c.src, workload) && in_range(&c.dst, ip)
            } else {
                in_range(&c.src, ip) && is_workload(&c.dst, workload)
            }
        })
        .map(|c| &c.conn.0)
        .collect();
    assert!(found.len() <= 1, "{workload} and {ip} listed twice");
    found.first().map_or_else(PortSet::empty, |p| (*p).clone())
}
