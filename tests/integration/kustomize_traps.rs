//! The kustomization trap checks read a kustomization as kustomize does:
//! merge keys (nested, in lists, through anchors, and overriding the keys
//! written before them), a byte-order mark, YAML 1.1 booleans, and keys matched without
//! regard to case (kustomize decodes through Go's `encoding/json`, which
//! folds case: `Namespace:` and even `nameſpace:` set the namespace). What
//! they cannot read (duplicate keys, a second document, invalid YAML) is an
//! error naming the file, never a silently skipped check. Each case runs
//! through `npc kustomize generate` and, as a `Kustomization` item, through
//! `npc kustomize fn`.

use std::path::Path;
use std::process::Command;

use crate::support::npc::{command, run_with_stdin, stderr, stdout};

const PROGRAM: &str = "namespace web\nnamespace api\nallow web/frontend -> api/server:8080\n";
const GENERATOR: &str = "apiVersion: npc.dev/v1alpha1\nkind: NetworkPolicyGenerator\nmetadata: {name: policies}\nspec:\n  sources: [policies.npl]\n";

/// Kustomizations that kustomize applies and that would move every policy
/// (`namespace: prod`) or rewrite its selectors (`env: prod`).
const TRAPS: &[(&str, &str)] = &[
    ("plain namespace", "namespace: prod\n"),
    ("merge key", "<<: {namespace: prod}\n"),
    ("merge key list", "<<: [{namespace: prod}]\n"),
    ("byte-order mark", "\u{feff}namespace: prod\n"),
    ("capitalised key", "Namespace: prod\n"),
    ("upper-case key", "NAMESPACE: prod\n"),
    ("long s", "nameſpace: prod\n"),
    ("quoted key", "\"namespace\": prod\n"),
    ("tagged value", "namespace: !!str prod\n"),
    ("common labels", "commonLabels: {env: prod}\n"),
    ("lower-case commonlabels", "commonlabels: {env: prod}\n"),
    (
        "includeSelectors: yes",
        "labels: [{pairs: {env: prod}, includeSelectors: yes}]\n",
    ),
    (
        "includeSelectors: on",
        "labels:\n- pairs: {env: prod}\n  includeSelectors: on\n",
    ),
    (
        "includeSelectors: True",
        "labels: [{pairs: {env: prod}, includeSelectors: True}]\n",
    ),
    (
        "capitalised includeSelectors",
        "labels: [{pairs: {env: prod}, IncludeSelectors: true}]\n",
    ),
    (
        "capitalised labels",
        "Labels: [{Pairs: {env: prod}, includeSelectors: true}]\n",
    ),
    // Merge keys inside merged maps, and merge keys that override a key
    // written before them (kustomize reads merge keys as go-yaml v2 does:
    // in order, each entry replacing what came before).
    ("nested merge key", "<<: {<<: {namespace: prod}}\n"),
    (
        "nested merge key, commonLabels",
        "<<: {<<: {commonLabels: {env: prod}}}\n",
    ),
    (
        "nested merge key in a labels entry",
        "labels: [{<<: {<<: {includeSelectors: true}}, pairs: {env: prod}}]\n",
    ),
    (
        "anchor through another key",
        "commonAnnotations: &b {<<: &a {namespace: prod}}\n<<: *b\n",
    ),
    ("nested merge key in a list", "<<: [{}, {<<: {namespace: prod}}]\n"),
    (
        "merge key list of aliases",
        "commonAnnotations: &a {namespace: prod}\n<<: [*a]\n",
    ),
    (
        "merge key after an empty namespace",
        "namespace: \"\"\n<<: {namespace: prod}\n",
    ),
    (
        "merge key after an empty commonLabels",
        "commonLabels: {}\n<<: {commonLabels: {env: prod}}\n",
    ),
    (
        "merge key after includeSelectors: false",
        "labels: [{pairs: {env: prod}, includeSelectors: false, <<: {includeSelectors: true}}]\n",
    ),
    (
        "merge key after includeSelectors: false, nested",
        "labels: [{pairs: {env: prod}, includeSelectors: false, <<: {<<: {includeSelectors: true}}}]\n",
    ),
];

/// Kustomizations npc cannot read the way kustomize would.
const UNREADABLE: &[(&str, &str)] = &[
    ("duplicate namespace", "namespace: web\nnamespace: prod\n"),
    (
        "duplicate commonLabels",
        "commonLabels: {}\ncommonLabels: {env: prod}\n",
    ),
    ("second document", "resources: []\n---\nnamespace: prod\n"),
    ("invalid YAML", "namespace: [prod\n"),
    ("not a mapping", "- namespace: prod\n"),
];

fn generate_in(dir: &Path, kustomization: &str) -> std::process::Output {
    std::fs::write(dir.join("policies.npl"), PROGRAM).unwrap();
    std::fs::write(dir.join("generator.yaml"), GENERATOR).unwrap();
    std::fs::write(
        dir.join("kustomization.yaml"),
        format!("generators: [generator.yaml]\n{kustomization}").replacen(
            "generators: [generator.yaml]\n\u{feff}",
            "\u{feff}generators: [generator.yaml]\n",
            1,
        ),
    )
    .unwrap();
    command()
        .args(["kustomize", "generate", "generator.yaml"])
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn generate_refuses_every_trap_kustomize_would_apply() {
    for (what, text) in TRAPS {
        let tmp = tempfile::tempdir().unwrap();
        let o = generate_in(tmp.path(), text);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{what}: output despite the trap");
        assert!(
            stderr(&o).contains("kustomization.yaml"),
            "{what}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn generate_refuses_a_kustomization_it_cannot_read() {
    for (what, text) in UNREADABLE {
        let tmp = tempfile::tempdir().unwrap();
        let o = generate_in(tmp.path(), text);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{what}");
        assert!(
            stderr(&o).contains("cannot read the kustomization `kustomization.yaml`"),
            "{what}: {}",
            stderr(&o)
        );
    }
}

/// Kustomizations kustomize applies without touching the policies.
const HARMLESS: &[(&str, &str)] = &[
    ("nothing", ""),
    (
        "labels without selectors",
        "labels: [{pairs: {env: prod}, includeSelectors: no}]\n",
    ),
    ("empty commonLabels", "commonLabels: {}\n"),
    ("null namespace", "namespace:\n"),
    ("trailing document marker", "resources: []\n---\n"),
    // The earlier of two merged maps wins; a key written after a merge
    // key replaces the merged entry.
    (
        "earlier merged map turns includeSelectors off",
        "labels: [{pairs: {env: prod}, <<: [{includeSelectors: false}, {includeSelectors: true}]}]\n",
    ),
    ("empty namespace after a merge key", "<<: {namespace: prod}\nnamespace: \"\"\n"),
];

#[test]
fn generate_accepts_harmless_kustomizations() {
    for (what, text) in HARMLESS {
        let tmp = tempfile::tempdir().unwrap();
        let o = generate_in(tmp.path(), text);
        assert_eq!(o.status.code(), Some(0), "{what}: {}", stderr(&o));
        assert!(stdout(&o).contains("kind: NetworkPolicy"), "{what}");
    }
}

fn resource_list(kustomization: &str) -> String {
    let indented: String = kustomization.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: kustomize.config.k8s.io/v1beta1\n  kind: Kustomization\n  metadata:\n    annotations: {{config.kubernetes.io/path: kustomization.yaml}}\n{indented}functionConfig:\n  apiVersion: npc.dev/v1alpha1\n  kind: NetworkPolicyGenerator\n  metadata: {{name: policies}}\n  spec:\n    source: {PROGRAM:?}\n"
    )
}

#[test]
fn fn_refuses_every_trap_in_a_kustomization_item() {
    for (what, text) in TRAPS {
        if text.starts_with('\u{feff}') {
            continue; // a byte-order mark belongs to a file, not to an item
        }
        let o = run_with_stdin(command().args(["kustomize", "fn"]), &resource_list(text));
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
        let list: serde_yaml::Value = serde_yaml::from_str(&stdout(&o)).unwrap();
        let kinds: Vec<&str> = list["items"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["Kustomization"], "{what}: nothing generated");
        assert_eq!(list["results"][0]["severity"], "error", "{what}");
        assert_eq!(
            list["results"][0]["file"]["path"], "kustomization.yaml",
            "{what}"
        );
    }
}

#[test]
fn fn_refuses_a_kustomization_item_it_cannot_read() {
    for (what, text) in UNREADABLE {
        if *what == "second document" || *what == "not a mapping" || *what == "invalid YAML" {
            continue; // not expressible as one item of a valid ResourceList
        }
        let o = run_with_stdin(command().args(["kustomize", "fn"]), &resource_list(text));
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{what}");
    }
}

/// Renders `kustomization` over one NetworkPolicy of `web` with kustomize
/// itself: whether it moved the policy to `prod` or relabelled its pods.
fn kustomize_render(what: &str, text: &str) -> (bool, bool) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("policy.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: web}\nspec:\n  podSelector: {matchLabels: {app: a}}\n",
    )
    .unwrap();
    let body = format!(
        "resources: [policy.yaml]\n{}",
        text.trim_start_matches('\u{feff}')
    );
    let body = if text.starts_with('\u{feff}') {
        format!("\u{feff}{body}")
    } else {
        body
    };
    std::fs::write(tmp.path().join("kustomization.yaml"), body).unwrap();
    let o = Command::new("kubectl")
        .arg("kustomize")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{what}: {}", stderr(&o));
    let v: serde_yaml::Value = serde_yaml::from_slice(&o.stdout).unwrap();
    (
        v["metadata"]["namespace"] == "prod",
        v["spec"]["podSelector"]["matchLabels"]["env"] == "prod",
    )
}

/// The traps are real: kustomize itself applies each one, and none of the
/// harmless kustomizations (kubectl is required, as for the other
/// kustomize tests).
#[test]
fn kustomize_applies_every_trap() {
    let found = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        // As the other kustomize tests: missing kubectl fails unless allowed.
        assert!(
            std::env::var("NPC_ALLOW_NO_KUBECTL").is_ok_and(|v| v == "1"),
            "kubectl is required for this test (or set NPC_ALLOW_NO_KUBECTL=1)"
        );
        return;
    }
    for (what, text) in TRAPS {
        let (moved, relabelled) = kustomize_render(what, text);
        assert!(moved || relabelled, "{what}: kustomize ignored it");
    }
    for (what, text) in HARMLESS {
        let (moved, relabelled) = kustomize_render(what, text);
        assert!(!moved && !relabelled, "{what}: kustomize applied it");
    }
}
