//! `npc kustomize fn` as a KRM function: each `tests/data/kustomize/fn/NAME.input.yaml`
//! ResourceList goes through the binary on stdin; stdout must equal
//! `NAME.expected.yaml` and the exit code the one listed here.
//! `NPC_BLESS=1 cargo test --test integration kustomize_fn::` rewrites the expected files
//! (review the diff before committing).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::npc::run_with_stdin;

fn fn_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kustomize/fn")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_fn(input: &str) -> Run {
    let out = run_with_stdin(
        crate::support::npc::command()
            .args(["kustomize", "fn"])
            .current_dir(fn_dir()),
        input,
    );
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs one case against its golden output and returns the run for extra checks.
fn golden(name: &str, code: i32) -> Run {
    let dir = fn_dir();
    let input = std::fs::read_to_string(dir.join(format!("{name}.input.yaml"))).unwrap();
    let run = run_fn(&input);
    assert_eq!(run.code, code, "{name}: exit code; stderr:\n{}", run.stderr);
    let expected_path = dir.join(format!("{name}.expected.yaml"));
    if std::env::var_os("NPC_BLESS").is_some() {
        std::fs::write(&expected_path, &run.stdout).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    assert_eq!(
        run.stdout,
        expected,
        "{name}: output differs from {}; run with NPC_BLESS=1 to update",
        expected_path.display()
    );
    run
}

fn yaml(text: &str) -> serde_yaml::Value {
    serde_yaml::from_str(text).unwrap()
}

fn items(list: &serde_yaml::Value) -> Vec<(String, String)> {
    list["items"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn generates_policies_from_source_files() {
    let run = golden("generate", 0);
    let list = yaml(&run.stdout);
    assert!(list.get("results").is_none());
    let policies = items(&list);
    assert!(!policies.is_empty());
    assert!(policies.iter().all(|(k, _)| k == "NetworkPolicy"));
    // The same policies `npc build` prints, plus the generator annotation.
    let build = crate::support::npc::command()
        .args(["build", "policies.npl"])
        .current_dir(fn_dir())
        .output()
        .unwrap();
    let built: Vec<serde_yaml::Value> =
        serde_yaml::Deserializer::from_str(std::str::from_utf8(&build.stdout).unwrap())
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect();
    let mut generated = list["items"].as_sequence().unwrap().clone();
    for g in &mut generated {
        let annotations = g["metadata"]["annotations"].as_mapping_mut().unwrap();
        assert_eq!(annotations.remove("npc.dev/generator"), Some("web".into()));
    }
    assert_eq!(generated, built);
}

#[test]
fn passes_other_items_through_in_order_and_replaces_its_earlier_output() {
    let run = golden("passthrough", 0);
    let got = items(&yaml(&run.stdout));
    let names: Vec<&str> = got.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(&names[..3], ["settings", "hand-written", "frontend"]);
    assert!(!names.contains(&"stale"), "{names:?}");
    assert!(got[3..].iter().all(|(k, _)| k == "NetworkPolicy"));
    // Unrelated items are untouched, key order included.
    assert!(run.stdout.contains("data:\n    z: last\n    a: first\n"));
}

#[test]
fn compiles_inline_source_in_match_expressions_form() {
    let run = golden("inline", 0);
    assert!(run.stdout.contains("matchExpressions"));
    assert!(!run.stdout.contains("matchLabels"));
}

#[test]
fn reports_compile_errors_as_results_and_exits_1() {
    let run = golden("error", 1);
    let list = yaml(&run.stdout);
    let results = list["results"].as_sequence().unwrap();
    assert_eq!(results[0]["severity"], "error");
    assert_eq!(results[0]["tags"]["code"], "E001");
    assert_eq!(results[0]["tags"]["line"], "2");
    assert_eq!(results[0]["file"]["path"], "broken/spec.source");
    // Items pass through; nothing is generated from a broken program.
    assert_eq!(
        items(&list),
        [("ConfigMap".to_string(), "kept".to_string())]
    );
    assert!(run.stderr.contains("E001"), "{}", run.stderr);
}

#[test]
fn reports_warnings_as_warning_results() {
    let run = golden("warning", 0);
    let list = yaml(&run.stdout);
    assert_eq!(list["results"][0]["severity"], "warning");
    assert_eq!(list["results"][0]["tags"]["code"], "W001");
    assert!(!items(&list).is_empty());
}

#[test]
fn warnings_as_errors_fails_the_run() {
    let run = golden("warnings-as-errors", 1);
    let list = yaml(&run.stdout);
    assert_eq!(list["results"][0]["severity"], "error");
    assert!(items(&list).is_empty());
}

#[test]
fn refuses_a_kustomization_item_with_common_labels() {
    let run = golden("kustomization-trap", 1);
    let list = yaml(&run.stdout);
    assert_eq!(list["results"][0]["file"]["path"], "kustomization.yaml");
    assert!(list["results"][0]["message"]
        .as_str()
        .unwrap()
        .contains("commonLabels"));
}

#[test]
fn refuses_sources_outside_the_root() {
    let run = golden("path-escape", 1);
    assert!(run.stderr.contains("outside the kustomization directory"));
}

#[test]
fn rejects_input_that_is_not_a_resource_list() {
    let run = run_fn("apiVersion: v1\nkind: ConfigMap\n");
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("not a `ResourceList`"),
        "{}",
        run.stderr
    );
}

/// The KRM example through a real KRM runner, when kpt is installed
/// (optional: kubectl cannot run exec functions, and kpt is not required).
#[test]
fn krm_example_runs_under_kpt() {
    if Command::new("kpt").arg("version").output().is_err() {
        eprintln!("kpt not found: skipping the kpt run of examples/kustomize/krm");
        return;
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_npc")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kustomize/krm");
    let out = Command::new("kpt")
        .args(["fn", "eval", ".", "--exec", "./npc-fn", "--fn-config"])
        .args(["generator.yaml", "--output", "unwrap"])
        .current_dir(&dir)
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("kind: NetworkPolicy"), "{stdout}");
    assert!(
        stdout.contains("npc.dev/generator: inline-policies"),
        "{stdout}"
    );
}

/// Resources the function does not generate pass through with the same
/// content: block scalars holding `key: on` lines, flow collections, anchors
/// and aliases, YAML 1.1 look-alikes, multi-line and odd strings. Only their
/// quoting may change (to what both YAML 1.1 and 1.2 readers read back).
#[test]
fn passes_foreign_resources_through_unchanged_in_content() {
    let input = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: flags
    namespace: web
    labels: &common {team: payments, tier: "on"}
  data:
    app.properties: |
      feature: on
      debug: no
      level: 1_000
    flow: '{a: 1, b: [x, y]}'
    quoted: "yes"
    timestamp: "2024-01-15"
    tabbed: "a\tb"
    trailing: "x \n"
    empty: ""
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: reuses
    labels: *common
  data: {nested: "{k: v}", list: "[1, 2]"}
functionConfig:
  apiVersion: npc.dev/v1alpha1
  kind: NetworkPolicyGenerator
  metadata: {name: web}
  spec:
    source: "namespace web\n"
"#;
    let run = run_fn(input);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let before: serde_yaml::Value = serde_yaml::from_str(input).unwrap();
    let after: serde_yaml::Value = serde_yaml::from_str(&run.stdout).unwrap();
    assert_eq!(after["items"][0], before["items"][0], "{}", run.stdout);
    assert_eq!(after["items"][1], before["items"][1], "{}", run.stdout);
    // The block scalar is kept as a block, its lines untouched.
    assert!(
        run.stdout.contains(
            "    app.properties: |\n      feature: on\n      debug: no\n      level: 1_000\n"
        ),
        "{}",
        run.stdout
    );
    // Strings that YAML 1.1 would read as something else stay quoted.
    assert!(run.stdout.contains("tier: 'on'"), "{}", run.stdout);
    assert!(run.stdout.contains("quoted: 'yes'"), "{}", run.stdout);
    assert!(
        run.stdout.contains("timestamp: '2024-01-15'"),
        "{}",
        run.stdout
    );
}
