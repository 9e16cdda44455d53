//! Emitted policies as YAML documents: each policy becomes a
//! [`Node`] tree borrowing its strings, written by the one YAML writer
//! (`k8s::yaml`), which quotes every scalar for YAML 1.1 and 1.2 readers
//! alike. The fields npc sets are mapped directly (the general serializer
//! spent half of a build in its event emitter); a policy with any other field
//! set goes through its serde form, so nothing is ever dropped.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::Resource as _;

use crate::k8s::yaml::{write_document, Node};

/// Appends one policy as a YAML document (no `---`).
pub fn write_policy(out: &mut String, policy: &NetworkPolicy) -> Result<(), String> {
    match network_policy(policy) {
        Some(node) => write_document(out, &node),
        None => {
            let value = serde_json::to_value(policy).map_err(|e| e.to_string())?;
            write_document(out, &Node::from_json(&value));
        }
    }
    Ok(())
}

fn network_policy(p: &NetworkPolicy) -> Option<Node<'_>> {
    let mut m = vec![
        ("apiVersion", Node::Str(NetworkPolicy::API_VERSION)),
        ("kind", Node::Str(NetworkPolicy::KIND)),
        ("metadata", metadata(&p.metadata)?),
    ];
    if let Some(spec) = &p.spec {
        m.push(("spec", spec_node(spec)));
    }
    Some(Node::map(m))
}

fn metadata(meta: &ObjectMeta) -> Option<Node<'_>> {
    // Only the fields npc sets; anything else goes the general way.
    let ObjectMeta {
        annotations,
        creation_timestamp: None,
        deletion_grace_period_seconds: None,
        deletion_timestamp: None,
        finalizers: None,
        generate_name: None,
        generation: None,
        labels,
        managed_fields: None,
        name,
        namespace,
        owner_references: None,
        resource_version: None,
        self_link: None,
        uid: None,
    } = meta
    else {
        return None;
    };
    let mut m = Vec::new();
    if let Some(a) = annotations {
        m.push(("annotations", string_map(a)));
    }
    if let Some(l) = labels {
        m.push(("labels", string_map(l)));
    }
    if let Some(n) = name {
        m.push(("name", Node::Str(n)));
    }
    if let Some(n) = namespace {
        m.push(("namespace", Node::Str(n)));
    }
    Some(Node::map(m))
}

fn string_map(map: &BTreeMap<String, String>) -> Node<'_> {
    Node::Map(
        map.iter()
            .map(|(k, v)| (Node::Str(k), Node::Str(v)))
            .collect(),
    )
}

fn strings(v: &[String]) -> Node<'_> {
    Node::Seq(v.iter().map(|s| Node::Str(s)).collect())
}

fn spec_node(spec: &NetworkPolicySpec) -> Node<'_> {
    let mut m = Vec::new();
    if let Some(egress) = &spec.egress {
        let rules = egress
            .iter()
            .map(|r| {
                let mut e = Vec::new();
                if let Some(p) = &r.ports {
                    e.push(("ports", Node::Seq(p.iter().map(port).collect())));
                }
                if let Some(to) = &r.to {
                    e.push(("to", Node::Seq(to.iter().map(peer).collect())));
                }
                Node::map(e)
            })
            .collect();
        m.push(("egress", Node::Seq(rules)));
    }
    if let Some(ingress) = &spec.ingress {
        let rules = ingress
            .iter()
            .map(|r| {
                let mut e = Vec::new();
                if let Some(from) = &r.from {
                    e.push(("from", Node::Seq(from.iter().map(peer).collect())));
                }
                if let Some(p) = &r.ports {
                    e.push(("ports", Node::Seq(p.iter().map(port).collect())));
                }
                Node::map(e)
            })
            .collect();
        m.push(("ingress", Node::Seq(rules)));
    }
    if let Some(sel) = &spec.pod_selector {
        m.push(("podSelector", label_selector(sel)));
    }
    if let Some(types) = &spec.policy_types {
        m.push(("policyTypes", strings(types)));
    }
    Node::map(m)
}

fn peer(p: &NetworkPolicyPeer) -> Node<'_> {
    let mut m = Vec::new();
    if let Some(IPBlock { cidr, except }) = &p.ip_block {
        let mut b = vec![("cidr", Node::Str(cidr.as_str()))];
        if let Some(e) = except {
            b.push(("except", strings(e)));
        }
        m.push(("ipBlock", Node::map(b)));
    }
    if let Some(sel) = &p.namespace_selector {
        m.push(("namespaceSelector", label_selector(sel)));
    }
    if let Some(sel) = &p.pod_selector {
        m.push(("podSelector", label_selector(sel)));
    }
    Node::map(m)
}

fn label_selector(sel: &LabelSelector) -> Node<'_> {
    let mut m = Vec::new();
    if let Some(exprs) = &sel.match_expressions {
        let items = exprs
            .iter()
            .map(|r| {
                let mut e = vec![
                    ("key", Node::Str(r.key.as_str())),
                    ("operator", Node::Str(r.operator.as_str())),
                ];
                if let Some(v) = &r.values {
                    e.push(("values", strings(v)));
                }
                Node::map(e)
            })
            .collect();
        m.push(("matchExpressions", Node::Seq(items)));
    }
    if let Some(labels) = &sel.match_labels {
        m.push(("matchLabels", string_map(labels)));
    }
    Node::map(m)
}

fn port(p: &NetworkPolicyPort) -> Node<'_> {
    let mut m = Vec::new();
    if let Some(end) = p.end_port {
        m.push(("endPort", Node::Int(i128::from(end))));
    }
    match &p.port {
        Some(IntOrString::Int(n)) => m.push(("port", Node::Int(i128::from(*n)))),
        Some(IntOrString::String(s)) => m.push(("port", Node::Str(s))),
        None => {}
    }
    if let Some(proto) = &p.protocol {
        m.push(("protocol", Node::Str(proto)));
    }
    Node::map(m)
}
