//! Comparison and reports: kubectl output equals npc's, and each object lands in the right class.

use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::diff::{compare, load_path, load_str, render_human, DiffOptions, DiffReport, ObjectKey};
use serde::Deserialize as _;

fn data(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/diff")
        .join(path)
}

fn policies(text: &str) -> Vec<NetworkPolicy> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| NetworkPolicy::deserialize(doc).unwrap())
        .collect()
}

fn desired() -> Vec<NetworkPolicy> {
    policies(&std::fs::read_to_string(data("desired.yaml")).unwrap())
}

fn key(s: &str) -> ObjectKey {
    let (namespace, name) = s.split_once('/').unwrap();
    ObjectKey {
        kind: None,
        namespace: namespace.into(),
        name: name.into(),
    }
}

fn keys(list: &[&str]) -> Vec<ObjectKey> {
    list.iter().map(|s| key(s)).collect()
}

fn diff(desired: &[NetworkPolicy], deployed: &str) -> DiffReport {
    compare(
        desired,
        &load_str("deployed.yaml", deployed).unwrap(),
        &DiffOptions::default(),
    )
    .unwrap()
}

#[test]
fn kubectl_output_of_applied_policies_equals_npc_output() {
    let actual = load_path(&data("kubectl-list.yaml")).unwrap();
    let report = compare(&desired(), &actual, &DiffOptions::default()).unwrap();
    assert_eq!(
        report,
        DiffReport {
            unchanged: keys(&["payments/api-server", "web/default-deny"]),
            ..DiffReport::default()
        }
    );
    assert!(!report.has_differences());
    assert_eq!(report.exit_code(), 0);
}

const MANAGED: &str = "labels: {app.kubernetes.io/managed-by: npc}";

fn policy(ns: &str, name: &str, labels: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}, {labels}}}\nspec: {spec}\n"
    )
}

#[test]
fn objects_are_classified() {
    let desired = policies(
        &[
            policy("web", "same", MANAGED, "{podSelector: {}}"),
            policy(
                "web",
                "edited",
                MANAGED,
                "{podSelector: {}, ingress: [{ports: [{port: 80}]}]}",
            ),
            policy("web", "new", MANAGED, "{podSelector: {}}"),
        ]
        .concat(),
    );
    let deployed = [
        policy("web", "same", MANAGED, "{podSelector: {}}"),
        policy(
            "web",
            "edited",
            MANAGED,
            "{podSelector: {}, ingress: [{ports: [{port: 8080}]}]}",
        ),
        policy("web", "gone", MANAGED, "{podSelector: {}}"),
        // Not npc's, in a namespace npc writes to: still allows traffic.
        policy(
            "web",
            "hand-written",
            "labels: {team: web}",
            "{podSelector: {}, ingress: [{}]}",
        ),
        // Not npc's, elsewhere: none of npc's business.
        policy("other", "theirs", "labels: {}", "{podSelector: {}}"),
        // npc's label, in a namespace npc no longer writes to: removed.
        policy("old", "stale", MANAGED, "{podSelector: {}}"),
    ]
    .concat();
    let report = diff(&desired, &deployed);
    assert_eq!(report.added, keys(&["web/new"]));
    assert_eq!(report.removed, keys(&["old/stale", "web/gone"]));
    assert_eq!(report.changed.len(), 1);
    assert_eq!(report.changed[0].key, key("web/edited"));
    assert_eq!(report.unchanged, keys(&["web/same"]));
    assert_eq!(report.unmanaged_in_force, keys(&["web/hand-written"]));
    assert_eq!(report.ignored_unmanaged, 1);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn unmanaged_policies_alone_are_no_difference() {
    let desired = policies(&policy("web", "a", MANAGED, "{podSelector: {}}"));
    let deployed = [
        policy("web", "a", MANAGED, "{podSelector: {}}"),
        policy("web", "extra", "labels: {}", "{podSelector: {}}"),
    ]
    .concat();
    let report = diff(&desired, &deployed);
    assert_eq!(report.unmanaged_in_force, keys(&["web/extra"]));
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn same_name_in_another_namespace_is_another_object() {
    let desired = policies(&policy("a", "p", MANAGED, "{podSelector: {}}"));
    let report = diff(&desired, &policy("b", "p", MANAGED, "{podSelector: {}}"));
    assert_eq!(report.added, keys(&["a/p"]));
    assert_eq!(report.removed, keys(&["b/p"]));
}

#[test]
fn duplicate_deployed_objects_get_a_note_and_the_later_wins() {
    let desired = policies(&policy("web", "p", MANAGED, "{podSelector: {}}"));
    let deployed = [
        policy("web", "p", MANAGED, "{podSelector: {matchLabels: {a: b}}}"),
        policy("web", "p", MANAGED, "{podSelector: {}}"),
    ]
    .concat();
    let report = diff(&desired, &deployed);
    assert_eq!(report.unchanged, keys(&["web/p"]));
    assert_eq!(
        report.notes,
        ["`web/p` is given twice (deployed.yaml#1 and deployed.yaml#2); the later one is compared"]
    );
}

#[test]
fn nameless_deployed_objects_are_skipped_with_a_note() {
    let text =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {generateName: x-}\n";
    let report = diff(&[], text);
    assert_eq!(
        report.notes,
        ["a NetworkPolicy in deployed.yaml#1 has no `metadata.name` and is skipped"]
    );
}

#[test]
fn ignored_annotations_do_not_count_as_changes() {
    let desired = policies(&policy(
        "web",
        "p",
        "annotations: {npc.dev/source: a.npl:3}, labels: {app.kubernetes.io/managed-by: npc}",
        "{podSelector: {}}",
    ));
    let deployed = policy(
        "web",
        "p",
        "annotations: {npc.dev/source: a.npl:2}, labels: {app.kubernetes.io/managed-by: npc}",
        "{podSelector: {}}",
    );
    let actual = load_str("deployed.yaml", &deployed).unwrap();
    let strict = compare(&desired, &actual, &DiffOptions::default()).unwrap();
    assert_eq!(strict.changed.len(), 1);
    let options = DiffOptions {
        ignore_annotations: vec!["npc.dev/source".into()],
    };
    let lenient = compare(&desired, &actual, &options).unwrap();
    assert_eq!(lenient.unchanged, keys(&["web/p"]));
}

/// A small change: npc now allows 8443 instead of 8080, a policy is new, one
/// is gone, and a hand-written policy still allows traffic.
fn small_change() -> DiffReport {
    let mut desired = desired();
    let text = std::fs::read_to_string(data("desired.yaml"))
        .unwrap()
        .replace("port: 8080", "port: 8443");
    desired[0] = policies(&text).remove(0);
    desired.extend(policies(&policy(
        "web",
        "frontend",
        MANAGED,
        "{podSelector: {matchLabels: {app: frontend}}, policyTypes: [Ingress]}",
    )));
    let mut actual = load_path(&data("kubectl-list.yaml")).unwrap();
    actual.policies.extend(
        load_str(
            "extra.yaml",
            &[
                policy("web", "canary", MANAGED, "{podSelector: {}}"),
                policy(
                    "payments",
                    "legacy-allow-all",
                    "labels: {}",
                    "{podSelector: {}, ingress: [{}]}",
                ),
                "---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\n".to_string(),
            ]
            .concat(),
        )
        .unwrap()
        .policies,
    );
    actual.other_kinds.insert("v1/Service".into(), 1);
    compare(&desired, &actual, &DiffOptions::default()).unwrap()
}

#[test]
fn human_report_of_a_small_change() {
    insta::with_settings!({snapshot_path => "../data/diff/snapshots"}, {
        insta::assert_snapshot!(render_human(&small_change(), false));
    });
}

#[test]
fn json_report_of_a_small_change() {
    insta::with_settings!({snapshot_path => "../data/diff/snapshots"}, {
        insta::assert_snapshot!(small_change().to_json().unwrap());
    });
}

#[test]
fn color_only_when_asked() {
    let report = small_change();
    let plain = render_human(&report, false);
    let colored = render_human(&report, true);
    assert!(!plain.contains('\x1b'));
    assert!(
        colored.contains("\x1b[31m-    - port: 8080\x1b[0m"),
        "{colored}"
    );
    assert!(
        colored.contains("\x1b[32m+    - port: 8443\x1b[0m"),
        "{colored}"
    );
    let stripped = colored
        .replace("\x1b[0m", "")
        .replace("\x1b[1m", "")
        .replace("\x1b[31m", "")
        .replace("\x1b[32m", "")
        .replace("\x1b[33m", "")
        .replace("\x1b[36m", "");
    assert_eq!(stripped, plain);
}
