//! Each normalization step, proven by a pair of objects that mean the same,
//! differ as written, and compare equal only because of that step.

use npc::diff::normalize::normalize;
use serde_json::Value;

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

fn normalized(text: &str) -> Value {
    let mut v = yaml(text);
    normalize(&mut v, &[]);
    v
}

/// `a` and `b` differ as written but are equal after normalization.
fn assert_equivalent(a: &str, b: &str) {
    assert_ne!(yaml(a), yaml(b), "the pair must differ before normalizing");
    assert_eq!(normalized(a), normalized(b));
}

/// `a` and `b` mean different things and must stay different.
fn assert_distinct(a: &str, b: &str) {
    assert_ne!(normalized(a), normalized(b));
}

const BASE: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns}
spec:
  podSelector: {}
  policyTypes: [Ingress]
";

fn with(extra_spec: &str) -> String {
    format!("{BASE}{extra_spec}")
}

#[test]
fn nulls_are_absent() {
    assert_equivalent(BASE, &with("  ingress: null\n"));
}

#[test]
fn status_is_dropped() {
    assert_equivalent(BASE, &format!("{BASE}status: {{}}\n"));
}

#[test]
fn server_metadata_is_dropped() {
    for field in [
        "uid: 0d3c5a54",
        "resourceVersion: \"48214\"",
        "generation: 2",
        "creationTimestamp: \"2025-05-02T09:14:11Z\"",
        "managedFields: [{manager: kubectl}]",
        "selfLink: /apis/x",
    ] {
        let with_field = BASE.replace("namespace: ns}", &format!("namespace: ns, {field}}}"));
        assert_equivalent(BASE, &with_field);
    }
}

#[test]
fn last_applied_annotation_and_then_empty_annotations_are_dropped() {
    let applied = BASE.replace(
        "namespace: ns}",
        "namespace: ns, annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}'}}",
    );
    assert_equivalent(BASE, &applied);
}

#[test]
fn other_annotations_are_kept_unless_ignored() {
    let annotated = BASE.replace("namespace: ns}", "namespace: ns, annotations: {a: b}}");
    assert_distinct(BASE, &annotated);
    let mut v = yaml(&annotated);
    normalize(&mut v, &["a".to_string()]);
    assert_eq!(v, normalized(BASE));
}

#[test]
fn empty_label_and_annotation_maps_are_dropped() {
    let empty = BASE.replace(
        "namespace: ns}",
        "namespace: ns, labels: {}, annotations: {}}",
    );
    assert_equivalent(BASE, &empty);
}

#[test]
fn missing_namespace_is_default() {
    let explicit = BASE.replace("namespace: ns", "namespace: default");
    let missing = BASE.replace(", namespace: ns", "");
    assert_equivalent(&explicit, &missing);
}

#[test]
fn missing_pod_selector_is_empty() {
    assert_equivalent(BASE, &BASE.replace("  podSelector: {}\n", ""));
}

#[test]
fn port_protocol_defaults_to_tcp() {
    assert_equivalent(
        &with("  ingress: [{ports: [{port: 80}]}]\n"),
        &with("  ingress: [{ports: [{port: 80, protocol: TCP}]}]\n"),
    );
    assert_distinct(
        &with("  ingress: [{ports: [{port: 53}]}]\n"),
        &with("  ingress: [{ports: [{port: 53, protocol: UDP}]}]\n"),
    );
}

#[test]
fn policy_types_are_inferred_ingress_always_egress_iff_rules() {
    let no_types = BASE.replace("  policyTypes: [Ingress]\n", "");
    assert_equivalent(BASE, &no_types);
    assert_equivalent(
        &with("  egress: [{}]\n").replace("[Ingress]", "[Ingress, Egress]"),
        &format!("{no_types}  egress: [{{}}]\n"),
    );
    // An empty list is inferred too, as the API server does.
    assert_equivalent(BASE, &BASE.replace("[Ingress]", "[]"));
    // Given types are never overridden: egress-only stays egress-only.
    assert_distinct(BASE, &BASE.replace("[Ingress]", "[Egress]"));
}

#[test]
fn empty_selector_parts_are_absent() {
    assert_equivalent(
        BASE,
        &BASE.replace(
            "podSelector: {}",
            "podSelector: {matchLabels: {}, matchExpressions: []}",
        ),
    );
    assert_equivalent(
        &with("  ingress: [{from: [{podSelector: {matchExpressions: [{key: a, operator: Exists}]}}]}]\n"),
        &with("  ingress: [{from: [{podSelector: {matchExpressions: [{key: a, operator: Exists, values: []}]}}]}]\n"),
    );
}

#[test]
fn empty_pod_selector_beside_namespace_selector_is_dropped() {
    assert_equivalent(
        &with("  ingress: [{from: [{namespaceSelector: {matchLabels: {team: ops}}}]}]\n"),
        &with("  ingress: [{from: [{namespaceSelector: {matchLabels: {team: ops}}, podSelector: {}}]}]\n"),
    );
    // Alone, `podSelector: {}` means the policy's namespace, while
    // `namespaceSelector: {}` means every namespace: never the same.
    assert_distinct(
        &with("  ingress: [{from: [{podSelector: {}}]}]\n"),
        &with("  ingress: [{from: [{namespaceSelector: {}}]}]\n"),
    );
    assert_distinct(
        &with("  ingress: [{from: [{podSelector: {}}]}]\n"),
        &with("  ingress: [{from: [{namespaceSelector: {}, podSelector: {}}]}]\n"),
    );
}

#[test]
fn empty_rule_lists_are_absent() {
    assert_equivalent(
        &with("  ingress: [{}]\n"),
        &with("  ingress: [{ports: [], from: []}]\n"),
    );
    assert_equivalent(BASE, &with("  ingress: []\n"));
    // No rule at all (deny) is not one empty rule (allow all).
    assert_distinct(BASE, &with("  ingress: [{}]\n"));
}

#[test]
fn unordered_lists_are_sorted() {
    // policyTypes
    assert_equivalent(
        &with("  egress: [{}]\n").replace("[Ingress]", "[Ingress, Egress]"),
        &with("  egress: [{}]\n").replace("[Ingress]", "[Egress, Ingress]"),
    );
    for (a, b) in [
        // ports
        (
            "  ingress: [{ports: [{port: 443}, {port: 80}]}]\n",
            "  ingress: [{ports: [{port: 80}, {port: 443}]}]\n",
        ),
        // peers
        (
            "  ingress: [{from: [{podSelector: {matchLabels: {a: b}}}, {ipBlock: {cidr: 10.0.0.0/8}}]}]\n",
            "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}, {podSelector: {matchLabels: {a: b}}}]}]\n",
        ),
        // rules
        (
            "  ingress: [{ports: [{port: 1}]}, {ports: [{port: 2}]}]\n",
            "  ingress: [{ports: [{port: 2}]}, {ports: [{port: 1}]}]\n",
        ),
        // matchExpressions and their values
        (
            "  ingress: [{from: [{podSelector: {matchExpressions: [{key: b, operator: Exists}, {key: a, operator: In, values: [y, x]}]}}]}]\n",
            "  ingress: [{from: [{podSelector: {matchExpressions: [{key: a, operator: In, values: [x, y]}, {key: b, operator: Exists}]}}]}]\n",
        ),
        // ipBlock except
        (
            "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.2.0.0/16, 10.1.0.0/16]}}]}]\n",
            "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}}]}]\n",
        ),
    ] {
        assert_equivalent(&with(a), &with(b));
    }
}

#[test]
fn numbers_sort_by_value_for_a_readable_diff() {
    let v = normalized(&with(
        "  ingress: [{ports: [{port: 443}, {port: 8080}, {port: 80}]}]\n",
    ));
    let ports: Vec<i64> = v["spec"]["ingress"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [80, 443, 8080]);
}

#[test]
fn duplicates_are_kept() {
    assert_distinct(
        &with("  ingress: [{ports: [{port: 80}]}]\n"),
        &with("  ingress: [{ports: [{port: 80}, {port: 80}]}]\n"),
    );
}

#[test]
fn normalizing_twice_changes_nothing() {
    let messy = with(
        "  ingress: [{from: [{namespaceSelector: {matchLabels: {}}, podSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.2.0.0/16, 10.1.0.0/16]}}], ports: [{port: 9}, {port: 1, protocol: UDP}]}]\n",
    );
    let once = normalized(&messy);
    let mut twice = once.clone();
    normalize(&mut twice, &[]);
    assert_eq!(once, twice);
}
