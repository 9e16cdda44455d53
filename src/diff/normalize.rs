//! Normalization of NetworkPolicy objects so that objects with the same meaning compare equal.
//!
//! Both sides of a diff are JSON values (not typed objects), so that a field
//! npc does not know about still shows up as a difference instead of being
//! dropped silently. Every step below preserves the meaning the API server
//! and the CNI give the object; each is its own function with a test that
//! fails without it. Steps that would also be true but are deliberately NOT
//! done:
//! - duplicates in lists are kept: the API server stores them, and `kubectl
//!   apply` would change them, so the diff shows them;
//! - `matchLabels: {k: v}` is not rewritten to `matchExpressions` `In [v]`
//!   (or back): equivalent, but a rewrite would hide how the object is written;
//! - an empty `namespaceSelector: {}` is never dropped: it means "every
//!   namespace", while an absent one means "the policy's namespace";
//! - CIDRs are compared as written (the API server validates, not rewrites).

use std::cmp::Ordering;

use serde_json::{Map, Value};

/// The annotation `kubectl apply` writes with a copy of the applied object.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Metadata fields that the API server fills in; they say nothing about what
/// the policy allows.
pub const SERVER_METADATA_FIELDS: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
];

/// Brings a NetworkPolicy into its canonical form. `ignored_annotations` are
/// removed too (for annotations that change without changing the policy).
pub fn normalize(policy: &mut Value, ignored_annotations: &[String]) {
    drop_nulls(policy);
    drop_server_metadata(policy);
    drop_annotations(policy, ignored_annotations);
    drop_empty_metadata_maps(policy);
    default_namespace(policy);
    default_pod_selector(policy);
    default_port_protocol(policy);
    infer_policy_types(policy);
    drop_empty_selector_parts(policy);
    drop_pod_selector_beside_namespace_selector(policy);
    drop_empty_rule_lists(policy);
    sort_unordered_lists(policy);
}

/// A `null` field is the same as an absent one (the API server decodes both
/// to the zero value).
pub fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Removes what the API server fills in: `status`, the server-populated
/// metadata fields and the last-applied-configuration annotation (and
/// `annotations` when nothing is left). The one metadata normalizer: `npc
/// diff` compares objects through it, and `npc import` writes the policies
/// it keeps through it.
pub fn drop_server_metadata(object: &mut Value) {
    drop_server_fields(object);
    drop_annotations(object, &[]);
    if let Some(meta) = metadata_mut(object) {
        if meta.get("annotations").is_some_and(is_empty_map) {
            meta.remove("annotations");
        }
    }
}

/// Removes `status` and the server-populated metadata fields.
pub fn drop_server_fields(policy: &mut Value) {
    if let Some(obj) = policy.as_object_mut() {
        obj.remove("status");
    }
    if let Some(meta) = metadata_mut(policy) {
        for field in SERVER_METADATA_FIELDS {
            meta.remove(*field);
        }
    }
}

/// Removes the last-applied-configuration annotation and the annotations
/// the caller asked to ignore.
pub fn drop_annotations(policy: &mut Value, ignored: &[String]) {
    let Some(annotations) = metadata_mut(policy)
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    annotations.remove(LAST_APPLIED_ANNOTATION);
    for key in ignored {
        annotations.remove(key);
    }
}

/// `labels: {}` and `annotations: {}` are the same as none.
pub fn drop_empty_metadata_maps(policy: &mut Value) {
    if let Some(meta) = metadata_mut(policy) {
        for field in ["labels", "annotations"] {
            if meta.get(field).is_some_and(is_empty_map) {
                meta.remove(field);
            }
        }
    }
}

/// An object without a namespace is created in `default`.
pub fn default_namespace(policy: &mut Value) {
    if let Some(meta) = metadata_mut(policy) {
        if !meta.get("namespace").is_some_and(Value::is_string) {
            meta.insert("namespace".into(), Value::String("default".into()));
        }
    }
}

/// `spec.podSelector` is required; the API server stores a missing one as
/// `{}` (every pod of the namespace).
pub fn default_pod_selector(policy: &mut Value) {
    if let Some(spec) = spec_mut(policy) {
        spec.entry("podSelector")
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// A port without `protocol` is TCP.
pub fn default_port_protocol(policy: &mut Value) {
    for_each_rule(policy, |rule| {
        for port in array_items(rule.get_mut("ports")) {
            if let Some(port) = port.as_object_mut() {
                port.entry("protocol")
                    .or_insert_with(|| Value::String("TCP".into()));
            }
        }
    });
}

/// Missing or empty `policyTypes` is inferred: Ingress always, Egress only if
/// there are egress rules.
pub fn infer_policy_types(policy: &mut Value) {
    let Some(spec) = spec_mut(policy) else {
        return;
    };
    let given = spec
        .get("policyTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| !types.is_empty());
    if given {
        return;
    }
    let has_egress = spec
        .get("egress")
        .and_then(Value::as_array)
        .is_some_and(|rules| !rules.is_empty());
    let mut types = vec![Value::String("Ingress".into())];
    if has_egress {
        types.push(Value::String("Egress".into()));
    }
    spec.insert("policyTypes".into(), Value::Array(types));
}

/// In a label selector, `matchLabels: {}`, `matchExpressions: []` and an
/// expression's `values: []` are the same as absent.
pub fn drop_empty_selector_parts(policy: &mut Value) {
    for_each_selector(policy, |selector| {
        if selector.get("matchLabels").is_some_and(is_empty_map) {
            selector.remove("matchLabels");
        }
        if selector.get("matchExpressions").is_some_and(is_empty_list) {
            selector.remove("matchExpressions");
        }
        for expr in array_items(selector.get_mut("matchExpressions")) {
            if let Some(expr) = expr.as_object_mut() {
                if expr.get("values").is_some_and(is_empty_list) {
                    expr.remove("values");
                }
            }
        }
    });
}

/// In a peer with a `namespaceSelector`, an empty `podSelector` (every pod)
/// is the same as none: both select all pods of the selected namespaces.
/// (Without a `namespaceSelector` the two differ, and nothing is dropped.)
pub fn drop_pod_selector_beside_namespace_selector(policy: &mut Value) {
    for_each_peer(policy, |peer| {
        let empty_pods = peer.get("podSelector").is_some_and(is_empty_selector);
        if empty_pods && peer.contains_key("namespaceSelector") {
            peer.remove("podSelector");
        }
    });
}

/// In a rule, `ports: []`, `from: []` and `to: []` mean "all", as absent
/// ones do; in the spec, `ingress: []` and `egress: []` mean no rules, as
/// absent ones do. Runs after `infer_policy_types`, which looks at `egress`.
pub fn drop_empty_rule_lists(policy: &mut Value) {
    for_each_rule(policy, |rule| {
        for field in ["ports", "from", "to"] {
            if rule.get(field).is_some_and(is_empty_list) {
                rule.remove(field);
            }
        }
    });
    if let Some(spec) = spec_mut(policy) {
        for field in ["ingress", "egress"] {
            if spec.get(field).is_some_and(is_empty_list) {
                spec.remove(field);
            }
        }
    }
}

/// Sorts every list whose order has no meaning: rules and peers are ORed,
/// ports are ORed, expressions are ANDed, and `values`, `except` and
/// `policyTypes` are sets. Inner lists are sorted before the lists that hold
/// them, so that equal elements compare equal.
pub fn sort_unordered_lists(policy: &mut Value) {
    for_each_selector(policy, |selector| {
        for expr in array_items(selector.get_mut("matchExpressions")) {
            sort_list(expr.get_mut("values"));
        }
        sort_list(selector.get_mut("matchExpressions"));
    });
    for_each_peer(policy, |peer| {
        sort_list(peer.get_mut("ipBlock").and_then(|b| b.get_mut("except")));
    });
    for_each_rule(policy, |rule| {
        for field in ["ports", "from", "to"] {
            sort_list(rule.get_mut(field));
        }
    });
    if let Some(spec) = spec_mut(policy) {
        for field in ["ingress", "egress", "policyTypes"] {
            sort_list(spec.get_mut(field));
        }
    }
}

/// A total order on JSON values: by type, then numbers by value, strings and
/// arrays lexicographically, objects by their (sorted) entries.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => {
            let (fx, fy) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            fx.total_cmp(&fy)
                .then_with(|| x.to_string().cmp(&y.to_string()))
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => iter_cmp(x.iter(), y.iter()),
        (Value::Object(x), Value::Object(y)) => {
            let mut xs: Vec<_> = x.iter().collect();
            let mut ys: Vec<_> = y.iter().collect();
            xs.sort_by(|p, q| p.0.cmp(q.0));
            ys.sort_by(|p, q| p.0.cmp(q.0));
            for (p, q) in xs.iter().zip(&ys) {
                let ord = p.0.cmp(q.0).then_with(|| compare_values(p.1, q.1));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            xs.len().cmp(&ys.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

fn iter_cmp<'a>(
    mut x: impl Iterator<Item = &'a Value>,
    mut y: impl Iterator<Item = &'a Value>,
) -> Ordering {
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => match compare_values(p, q) {
                Ordering::Equal => {}
                ord => return ord,
            },
        }
    }
}

fn sort_list(list: Option<&mut Value>) {
    if let Some(items) = list.and_then(Value::as_array_mut) {
        items.sort_by(compare_values);
    }
}

fn is_empty_map(v: &Value) -> bool {
    v.as_object().is_some_and(Map::is_empty)
}

fn is_empty_list(v: &Value) -> bool {
    v.as_array().is_some_and(Vec::is_empty)
}

/// A selector with neither labels nor expressions (after
/// `drop_empty_selector_parts`, that is `{}`).
fn is_empty_selector(v: &Value) -> bool {
    v.as_object().is_some_and(|s| {
        s.iter().all(|(k, v)| match k.as_str() {
            "matchLabels" => is_empty_map(v),
            "matchExpressions" => is_empty_list(v),
            _ => false,
        })
    })
}

fn metadata_mut(policy: &mut Value) -> Option<&mut Map<String, Value>> {
    policy.get_mut("metadata").and_then(Value::as_object_mut)
}

fn spec_mut(policy: &mut Value) -> Option<&mut Map<String, Value>> {
    policy.get_mut("spec").and_then(Value::as_object_mut)
}

fn array_items(list: Option<&mut Value>) -> impl Iterator<Item = &mut Value> {
    list.and_then(Value::as_array_mut)
        .into_iter()
        .flat_map(|items| items.iter_mut())
}

/// Calls `f` on every ingress and egress rule.
fn for_each_rule(policy: &mut Value, mut f: impl FnMut(&mut Map<String, Value>)) {
    let Some(spec) = spec_mut(policy) else {
        return;
    };
    for field in ["ingress", "egress"] {
        for rule in array_items(spec.get_mut(field)) {
            if let Some(rule) = rule.as_object_mut() {
                f(rule);
            }
        }
    }
}

/// Calls `f` on every peer (`from` / `to` item) of every rule.
fn for_each_peer(policy: &mut Value, mut f: impl FnMut(&mut Map<String, Value>)) {
    for_each_rule(policy, |rule| {
        for field in ["from", "to"] {
            for peer in array_items(rule.get_mut(field)) {
                if let Some(peer) = peer.as_object_mut() {
                    f(peer);
                }
            }
        }
    });
}

/// Calls `f` on every label selector: `spec.podSelector` and the peers'
/// `podSelector` and `namespaceSelector`.
fn for_each_selector(policy: &mut Value, mut f: impl FnMut(&mut Map<String, Value>)) {
    if let Some(selector) = spec_mut(policy)
        .and_then(|s| s.get_mut("podSelector"))
        .and_then(Value::as_object_mut)
    {
        f(selector);
    }
    for_each_peer(policy, |peer| {
        for field in ["podSelector", "namespaceSelector"] {
            if let Some(selector) = peer.get_mut(field).and_then(Value::as_object_mut) {
                f(selector);
            }
        }
    });
}
