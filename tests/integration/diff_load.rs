//! Loading deployed objects: files, directories, multi-document text, lists, errors.

use std::path::Path;

use npc::diff::{load_path, load_str, Error};

fn data(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/diff")
        .join(path)
}

fn names(loaded: &npc::diff::Deployed) -> Vec<String> {
    loaded
        .policies
        .iter()
        .map(|p| p.object["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn kubectl_list_is_flattened() {
    let loaded = load_path(&data("kubectl-list.yaml")).unwrap();
    assert_eq!(names(&loaded), ["default-deny", "api-server"]);
    assert_eq!(loaded.other_count(), 0);
    assert!(loaded.policies[0]
        .origin
        .ends_with("kubectl-list.yaml#1/items/0"));
}

#[test]
fn typed_list_items_inherit_kind() {
    // The API's own `NetworkPolicyList` items carry no apiVersion/kind.
    let text = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicyList
items:
- metadata: {name: a, namespace: x}
  spec: {podSelector: {}}
";
    let loaded = load_str("<stdin>", text).unwrap();
    assert_eq!(names(&loaded), ["a"]);
    assert_eq!(loaded.policies[0].object["kind"], "NetworkPolicy");

    // A plain `List` does not lend its items a kind.
    let text = "apiVersion: v1\nkind: List\nitems:\n- metadata: {name: a}\n";
    let loaded = load_str("<stdin>", text).unwrap();
    assert!(loaded.policies.is_empty());
    assert_eq!(loaded.other_kinds["(not a Kubernetes object)"], 1);
}

#[test]
fn multi_document_text_counts_other_kinds() {
    let text = "
apiVersion: v1
kind: Service
metadata: {name: s}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: x}
---
---
apiVersion: v1
kind: Service
metadata: {name: t}
---
just: a map
";
    let loaded = load_str("<stdin>", text).unwrap();
    assert_eq!(names(&loaded), ["a"]);
    assert_eq!(loaded.other_kinds["v1/Service"], 2);
    assert_eq!(loaded.other_kinds["(not a Kubernetes object)"], 1);
    assert_eq!(loaded.other_count(), 3);
}

#[test]
fn old_api_versions_are_not_network_policies() {
    let text = "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: a}\n";
    let loaded = load_str("<stdin>", text).unwrap();
    assert!(loaded.policies.is_empty());
    assert_eq!(loaded.other_kinds["extensions/v1beta1/NetworkPolicy"], 1);
}

#[test]
fn directory_is_read_recursively_in_sorted_order() {
    let loaded = load_path(&data("tree")).unwrap();
    assert_eq!(names(&loaded), ["default-deny", "legacy-allow-all"]);
    assert_eq!(loaded.other_kinds["apps/v1/Deployment"], 1);
    assert_eq!(loaded.other_kinds["v1/Namespace"], 1);
    assert!(loaded.policies[1].origin.ends_with("20-payments.yml#1"));
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let err = load_str(
        "bad.yaml",
        "apiVersion: v1\nkind: [unclosed\nmetadata: {}\n",
    )
    .unwrap_err();
    let Error::Parse { origin, line, .. } = &err else {
        panic!("expected a parse error, got {err:?}");
    };
    assert_eq!(origin, "bad.yaml");
    assert!(line.is_some());
    let shown = err.to_string();
    assert!(
        shown.starts_with("invalid YAML in `bad.yaml` at line "),
        "{shown}"
    );
    assert!(
        !shown.contains(" at line 3 column"),
        "location given twice: {shown}"
    );
}

#[test]
fn malformed_file_in_directory_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ok.yaml"),
        "kind: Service\napiVersion: v1\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.yml"), "a: b\n  c: d\n").unwrap();
    let err = load_path(dir.path()).unwrap_err();
    assert!(err.to_string().contains("broken.yml"), "{err}");
}

#[test]
fn missing_path_is_a_read_error() {
    let err = load_path(&data("no-such-file.yaml")).unwrap_err();
    assert!(matches!(err, Error::Read { .. }));
    assert!(err.to_string().starts_with("cannot read `"), "{err}");
}

#[test]
fn non_string_keys_are_an_error_not_a_panic() {
    assert!(load_str("x.yaml", "{? [a, b] : c}\n").is_err());
}
