//! Emitted policies as YAML documents or JSON values, written field by field
//! straight from the objects into the text by the one YAML writer
//! (`k8s::yaml`, which quotes every scalar for YAML 1.1 and 1.2 readers
//! alike) or the JSON writer (`k8s::json`). Keys come in the order of the
//! objects' JSON form (sorted), as `serde_json` writes them. A policy with a
//! field npc never sets goes through its serde form, so nothing is ever
//! dropped.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::Resource as _;

use crate::k8s::json::{write_json, JsonWriter};
use crate::k8s::object::ObjectWriter;
use crate::k8s::yaml::{write_node, BlockWriter, Node};

/// Appends one policy as a YAML document (no `---`).
pub fn write_policy(out: &mut String, policy: &NetworkPolicy) -> Result<(), String> {
    let mut w = BlockWriter::new(out);
    if npc_fields_only(policy) {
        network_policy(&mut w, policy);
    } else {
        let value = serde_json::to_value(policy).map_err(|e| e.to_string())?;
        write_node(&mut w, &Node::from_json(&value));
    }
    Ok(())
}

/// Writes one policy as the next value of a JSON writer.
pub fn write_policy_json(w: &mut JsonWriter<'_>, policy: &NetworkPolicy) -> Result<(), String> {
    if npc_fields_only(policy) {
        network_policy(w, policy);
    } else {
        let value = serde_json::to_value(policy).map_err(|e| e.to_string())?;
        write_json(w, &value);
    }
    Ok(())
}

/// Whether the policy sets only fields that npc sets (the metadata below;
/// every field of the spec is written here).
fn npc_fields_only(p: &NetworkPolicy) -> bool {
    matches!(
        &p.metadata,
        ObjectMeta {
            annotations: _,
            creation_timestamp: None,
            deletion_grace_period_seconds: None,
            deletion_timestamp: None,
            finalizers: None,
            generate_name: None,
            generation: None,
            labels: _,
            managed_fields: None,
            name: _,
            namespace: _,
            owner_references: None,
            resource_version: None,
            self_link: None,
            uid: None,
        }
    )
}

/// The number of fields that are set.
fn count(fields: &[bool]) -> usize {
    fields.iter().filter(|f| **f).count()
}

fn network_policy<W: ObjectWriter>(w: &mut W, p: &NetworkPolicy) {
    w.map(3 + usize::from(p.spec.is_some()));
    w.field_str("apiVersion", NetworkPolicy::API_VERSION);
    w.field_str("kind", NetworkPolicy::KIND);
    w.field("metadata");
    metadata(w, &p.metadata);
    if let Some(spec) = &p.spec {
        w.field("spec");
        spec_value(w, spec);
    }
    w.end();
}

fn metadata<W: ObjectWriter>(w: &mut W, meta: &ObjectMeta) {
    w.map(count(&[
        meta.annotations.is_some(),
        meta.labels.is_some(),
        meta.name.is_some(),
        meta.namespace.is_some(),
    ]));
    if let Some(a) = &meta.annotations {
        w.field("annotations");
        string_map(w, a);
    }
    if let Some(l) = &meta.labels {
        w.field("labels");
        string_map(w, l);
    }
    if let Some(n) = &meta.name {
        w.field_str("name", n);
    }
    if let Some(n) = &meta.namespace {
        w.field_str("namespace", n);
    }
    w.end();
}

fn string_map<W: ObjectWriter>(w: &mut W, map: &BTreeMap<String, String>) {
    w.map(map.len());
    for (k, v) in map {
        w.entry_str(k, v);
    }
    w.end();
}

fn strings<W: ObjectWriter>(w: &mut W, v: &[String]) {
    w.seq(v.len());
    for s in v {
        w.str(s);
    }
    w.end();
}

fn spec_value<W: ObjectWriter>(w: &mut W, spec: &NetworkPolicySpec) {
    w.map(count(&[
        spec.egress.is_some(),
        spec.ingress.is_some(),
        spec.pod_selector.is_some(),
        spec.policy_types.is_some(),
    ]));
    if let Some(egress) = &spec.egress {
        w.field("egress");
        w.seq(egress.len());
        for r in egress {
            w.map(count(&[r.ports.is_some(), r.to.is_some()]));
            if let Some(p) = &r.ports {
                w.field("ports");
                ports(w, p);
            }
            if let Some(to) = &r.to {
                w.field("to");
                peers(w, to);
            }
            w.end();
        }
        w.end();
    }
    if let Some(ingress) = &spec.ingress {
        w.field("ingress");
        w.seq(ingress.len());
        for r in ingress {
            w.map(count(&[r.from.is_some(), r.ports.is_some()]));
            if let Some(from) = &r.from {
                w.field("from");
                peers(w, from);
            }
            if let Some(p) = &r.ports {
                w.field("ports");
                ports(w, p);
            }
            w.end();
        }
        w.end();
    }
    if let Some(sel) = &spec.pod_selector {
        w.field("podSelector");
        label_selector(w, sel);
    }
    if let Some(types) = &spec.policy_types {
        w.field("policyTypes");
        strings(w, types);
    }
    w.end();
}

fn peers<W: ObjectWriter>(w: &mut W, peers: &[NetworkPolicyPeer]) {
    w.seq(peers.len());
    for p in peers {
        w.map(count(&[
            p.ip_block.is_some(),
            p.namespace_selector.is_some(),
            p.pod_selector.is_some(),
        ]));
        if let Some(IPBlock { cidr, except }) = &p.ip_block {
            w.field("ipBlock");
            w.map(1 + usize::from(except.is_some()));
            w.field_str("cidr", cidr);
            if let Some(e) = except {
                w.field("except");
                strings(w, e);
            }
            w.end();
        }
        if let Some(sel) = &p.namespace_selector {
            w.field("namespaceSelector");
            label_selector(w, sel);
        }
        if let Some(sel) = &p.pod_selector {
            w.field("podSelector");
            label_selector(w, sel);
        }
        w.end();
    }
    w.end();
}

fn label_selector<W: ObjectWriter>(w: &mut W, sel: &LabelSelector) {
    w.map(count(&[
        sel.match_expressions.is_some(),
        sel.match_labels.is_some(),
    ]));
    if let Some(exprs) = &sel.match_expressions {
        w.field("matchExpressions");
        w.seq(exprs.len());
        for r in exprs {
            w.map(2 + usize::from(r.values.is_some()));
            w.field_str("key", &r.key);
            w.field_str("operator", &r.operator);
            if let Some(v) = &r.values {
                w.field("values");
                strings(w, v);
            }
            w.end();
        }
        w.end();
    }
    if let Some(labels) = &sel.match_labels {
        w.field("matchLabels");
        string_map(w, labels);
    }
    w.end();
}

fn ports<W: ObjectWriter>(w: &mut W, ports: &[NetworkPolicyPort]) {
    w.seq(ports.len());
    for p in ports {
        w.map(count(&[
            p.end_port.is_some(),
            p.port.is_some(),
            p.protocol.is_some(),
        ]));
        if let Some(end) = p.end_port {
            w.field("endPort");
            w.int(i64::from(end));
        }
        match &p.port {
            Some(IntOrString::Int(n)) => {
                w.field("port");
                w.int(i64::from(*n));
            }
            Some(IntOrString::String(s)) => w.field_str("port", s),
            None => {}
        }
        if let Some(proto) = &p.protocol {
            w.field_str("protocol", proto);
        }
        w.end();
    }
    w.end();
}
