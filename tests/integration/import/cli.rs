//! `npc import` as a command: files written, exit codes, the E104 page.

use crate::support::npc::{npc, root, stderr, stdout};

#[test]
fn import_then_build_works_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("policies.npl");
    // The demo's ingress rules name ports (`grpc`) that the egress rules
    // number (`7070`): exact for its own pods only, so the assumption is
    // asked for by name.
    let out = npc(&[
        "import",
        "tests/data/manifests/boutique",
        "--out-file",
        program.to_str().unwrap(),
        "--assume-workload-ports",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("equivalent: 12 workloads, "),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("--assume-workload-ports"),
        "{}",
        stderr(&out)
    );
    // A flow to a named port is written once, by the name its destination
    // declares (frontend's egress rule numbers it, cartservice's ingress
    // rule names it).
    let text = std::fs::read_to_string(&program).unwrap();
    assert_eq!(
        text.matches("allow frontend -> cartservice:grpc\n").count(),
        1,
        "{text}"
    );
    assert!(!text.contains("cartservice:7070"), "{text}");
    let build = npc(&["build", program.to_str().unwrap()]);
    assert!(build.status.success(), "{}", stderr(&build));
    assert!(stdout(&build).contains("kind: NetworkPolicy"));
    // The program is written as `npc fmt` would write it.
    let check = npc(&["fmt", "--check", program.to_str().unwrap()]);
    assert!(check.status.success(), "{}", stderr(&check));

    // The demo's own workloads under the built policies: `npc analyze`
    // (checked against nca on its own) finds the same connections between
    // them as under the hand-written ones.
    let cluster = dir.path().join("cluster");
    std::fs::create_dir(&cluster).unwrap();
    for f in [
        "deployments.yaml",
        "namespace.yaml",
        "replicasets.yaml",
        "services.yaml",
    ] {
        std::fs::copy(
            root().join("tests/data/manifests/boutique").join(f),
            cluster.join(f),
        )
        .unwrap();
    }
    std::fs::write(cluster.join("policies.yaml"), stdout(&build)).unwrap();
    let workload_connections = |path: &str| -> Vec<serde_json::Value> {
        let out = npc(&["analyze", path, "-o", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        v["connections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["src"]["kind"] != "External" && c["dst"]["kind"] != "External")
            .cloned()
            .collect()
    };
    let before = workload_connections("tests/data/manifests/boutique");
    let after = workload_connections(cluster.to_str().unwrap());
    assert!(before.len() >= 16, "{before:?}");
    assert_eq!(before, after);
}

#[test]
fn named_against_numbered_ports_are_not_assumed_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("policies.npl");
    let out = npc(&[
        "import",
        "tests/data/manifests/boutique",
        "--out-file",
        program.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("[E104]"), "{err}");
    assert!(err.contains("`--assume-workload-ports`"), "{err}");
    assert!(!program.exists(), "nothing is written");
}

/// A named port against a number through label selectors on both sides:
/// E104 names `--assume-workload-ports`, and with it the import converts.
#[test]
fn named_against_numbered_ports_through_label_selectors_convert_with_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("policies.npl");
    let input = "tests/data/import-corpus/31-named-against-numbered-by-labels.yaml";
    let out = npc(&["import", input, "--out-file", program.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("[E104]"), "{err}");
    assert!(err.contains("`--assume-workload-ports`"), "{err}");
    assert!(err.contains("container ports"), "{err}");
    let out = npc(&[
        "import",
        input,
        "--out-file",
        program.to_str().unwrap(),
        "--assume-workload-ports",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&program).unwrap();
    assert!(
        text.contains("allow shop/* -> observability/collector:4317"),
        "{text}"
    );
}

#[test]
fn unconvertible_policies_stop_the_import_unless_kept() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("p.npl");
    let input = "tests/data/import/both-sides-differ.yaml";
    let out = npc(&["import", input, "--out-file", program.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("[E104]"), "{err}");
    // Keeping `data/db-ingress` is enough: `shop/web-egress` is then
    // written exactly (its other side no longer managed).
    assert!(err.contains("`data/db-ingress` ingress rule 0"), "{err}");
    assert_eq!(err.matches("[E104]").count(), 1, "{err}");
    assert!(
        err.contains("the input allows TCP 5432, the program would allow none"),
        "{err}"
    );
    assert!(
        !program.exists(),
        "nothing is written when the import is refused"
    );

    let out = npc(&[
        "import",
        input,
        "--out-file",
        program.to_str().unwrap(),
        "--keep-unconvertible",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning") || stderr(&out).contains("Warning"));
    assert!(
        stderr(&out).contains("1 policy kept unconverted"),
        "{}",
        stderr(&out)
    );
    let kept = std::fs::read_to_string(dir.path().join("unconvertible.yaml")).unwrap();
    assert_eq!(kept.matches("kind: NetworkPolicy").count(), 1, "{kept}");
    assert!(!kept.contains("web-egress") && kept.contains("db-ingress"));
    let text = std::fs::read_to_string(&program).unwrap();
    assert!(
        text.contains("allow shop/* -> data/db:{5432, 7000}"),
        "{text}"
    );
    // What the API server fills in is not kept (it would make an apply conflict).
    assert!(
        !kept.contains("resourceVersion") && !kept.contains("uid"),
        "{kept}"
    );
    // The kept policies read back as the input's policies.
    let lint = npc(&[
        "analyze",
        dir.path().join("unconvertible.yaml").to_str().unwrap(),
    ]);
    assert!(lint.status.success(), "{}", stderr(&lint));
    let build = npc(&["build", program.to_str().unwrap()]);
    assert!(build.status.success(), "{}", stderr(&build));
}

#[test]
fn program_on_stdout_and_help_with_examples() {
    let out = npc(&["import", "tests/data/manifests/recipes/deny-all.yaml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("namespace shop"), "{}", stdout(&out));
    let help = npc(&["import", "--help"]);
    assert!(stdout(&help).contains("Examples:"));
    assert!(stdout(&help).contains("--keep-unconvertible"));
}

#[test]
fn workload_label_setting_is_carried_into_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("in.yaml");
    std::fs::write(
        &yaml,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api, namespace: web}\n\
         spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector:\n        \
         matchLabels: {app.kubernetes.io/name: front}\n    ports: [{port: 80}]\n",
    )
    .unwrap();
    let out = npc(&[
        "import",
        yaml.to_str().unwrap(),
        "--workload-label",
        "app.kubernetes.io/name",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("set workload-label = app.kubernetes.io/name"),
        "{text}"
    );
    assert!(text.contains("allow web/front -> web/*:80"), "{text}");
}

#[test]
fn the_e104_page_example_reports_e104() {
    let page = std::fs::read_to_string(root().join("docs/errors/E104.md")).unwrap();
    let start = page.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + page[start..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("example.yaml");
    std::fs::write(&yaml, &page[start..end]).unwrap();
    let out = npc(&["import", yaml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("[E104]"), "{}", stderr(&out));
}

/// A selector of pods whose workload label is empty (`app: ""`, a valid
/// label value) is the workload `ns/""` and converts.
#[test]
fn an_empty_workload_label_value_converts() {
    let input = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec:\n  podSelector: {matchLabels: {app: \"\"}}\n  policyTypes: [Ingress]\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: x}}}]\n";
    let out = crate::support::npc::npc_with_stdin(&["import", "-"], input);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("allow a/x -> a/\"\""),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("equivalent:"), "{}", stderr(&out));
}

/// The program `npc import -` writes for `yaml`; the import must succeed.
fn imported(yaml: &str) -> String {
    let out = crate::support::npc::npc_with_stdin(&["import", "-"], yaml);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn an_empty_egress_list_without_policy_types_isolates_ingress_only() {
    // The API server defaults `policyTypes` to Ingress alone when the
    // egress list is empty, as the evaluator reads it: the program isolates
    // ingress only, and is equivalent (it was once written isolated for
    // egress too, and refused with E104).
    let program = imported(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: front}}
    ports: [{port: 8080}]
  egress: []
",
    );
    assert!(
        program.contains("namespace shop {\n  isolate ingress\n}"),
        "{program}"
    );
    assert!(
        program.contains("allow shop/front -> shop/*:8080"),
        "{program}"
    );
}

#[test]
fn a_policy_without_spec_isolates_ingress_of_its_namespace() {
    // No `spec` is the empty spec: every pod of the namespace, ingress
    // isolated, nothing allowed (it was once read as isolating nothing, and
    // the namespace refused with E104).
    let program = imported(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
",
    );
    assert!(
        program.contains("namespace shop {\n  isolate ingress\n}"),
        "{program}"
    );
    assert!(!program.contains("allow"), "{program}");
}

#[test]
fn a_peer_another_rule_covers_on_the_same_ports_is_written_once() {
    // `port: 80` and `port: 80, protocol: TCP` are the same ports: the
    // rule from every pod of the namespace covers the rule from `app: a`.
    let program = imported(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: a}}
    ports: [{port: 80}]
  - from:
    - podSelector: {}
    ports: [{port: 80, protocol: TCP}]
",
    );
    let allows: Vec<&str> = program.lines().filter(|l| l.starts_with("allow")).collect();
    assert_eq!(allows, ["allow shop/* -> shop/*:80"], "{program}");
}
