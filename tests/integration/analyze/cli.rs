//! `npc analyze` on the command line: inputs, formats, focus, exit codes.

use crate::support::npc::{npc, npc_with_stdin, stderr, stdout};

const RECIPE: &str = "tests/data/manifests/recipes/allow-from-namespace.yaml";

#[test]
fn reads_standard_input_and_prints_lines() {
    let text = std::fs::read_to_string(crate::support::npc::root().join(RECIPE)).unwrap();
    let out = npc_with_stdin(&["analyze", "-"], &text);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&npc(&["analyze", RECIPE])));
    assert!(stdout(&out)
        .contains("monitoring/prometheus[StatefulSet] => api/server[Deployment] : TCP 9090\n"));
    assert!(stderr(&out).contains("read 1 file: 3 workloads, 2 NetworkPolicies, 3 namespaces"));
}

#[test]
fn csv_and_markdown_carry_the_same_lines() {
    let txt = stdout(&npc(&["analyze", RECIPE]));
    let csv = stdout(&npc(&["analyze", RECIPE, "-o", "csv"]));
    let md = stdout(&npc(&["analyze", RECIPE, "-o", "md"]));
    assert!(csv.starts_with("src,dst,conn\n"));
    assert!(md.starts_with("| src | dst | conn |\n|-----|-----|------|\n"));
    assert_eq!(csv.lines().count(), txt.lines().count() + 1);
    assert_eq!(md.lines().count(), txt.lines().count() + 2);
    let egress = stdout(&npc(&[
        "analyze",
        "tests/data/manifests/recipes/egress-external.yaml",
        "-o",
        "csv",
    ]));
    // Commas inside a field are quoted.
    assert!(egress.contains(",\"TCP 443,8000-8100\"\n"), "{egress}");
}

#[test]
fn focus_keeps_the_lines_of_one_workload() {
    let out = npc(&["analyze", RECIPE, "--focus", "api/server"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.is_empty());
    assert!(
        text.lines().all(|l| l.contains("api/server[Deployment]")),
        "{text}"
    );
    let out = npc(&["analyze", RECIPE, "--focus", "api/sever"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no workload `api/sever` in the input (did you mean `api/server`?)"),
        "{}",
        stderr(&out)
    );
    let out = npc(&["analyze", RECIPE, "--focus", "server"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn exposure_lists_selectors() {
    let out = npc(&["analyze", RECIPE, "--focus", "api/server", "--exposure"]);
    let text = stdout(&out);
    assert!(
        text.contains(
            "Ingress Exposure:\napi/server[Deployment] <= {purpose=monitoring}/* : TCP 9090\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Egress Exposure:\napi/server[Deployment] => */* : All Connections\n"),
        "{text}"
    );
}

#[test]
fn malformed_manifests_fail_with_a_location_unless_keep_going() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(crate::support::npc::root().join(RECIPE)).unwrap();
    std::fs::write(dir.path().join("a.yaml"), &good).unwrap();
    std::fs::write(dir.path().join("b.yml"), "a: 1\n---\nkind: [oops\n").unwrap();
    std::fs::write(dir.path().join("ignored.txt"), "not: [read").unwrap();
    let path = dir.path().to_str().unwrap();
    let out = npc(&["analyze", path, "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty(), "no partial output");
    let err = stderr(&out);
    assert!(
        err.contains("[E101] Error: document 2 is not valid YAML"),
        "{err}"
    );
    assert!(err.contains("b.yml:3:"), "{err}");
    let out = npc(&["analyze", path, "--keep-going", "--color", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("[E101] Warning"), "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&npc(&["analyze", RECIPE])));
    let out = npc(&["analyze", path, "--error-format", "json"]);
    let diags: serde_json::Value = serde_json::from_str(&stderr(&out)).unwrap();
    assert_eq!(diags[0]["code"], "E101");
    assert_eq!(diags[0]["location"]["line"], 3);
}

#[test]
fn missing_paths_are_usage_errors() {
    let out = npc(&["analyze", "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read `no/such/file.yaml`: no such file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_namespace_option_places_objects_without_one() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {metadata: {labels: {app: a}}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, labels: {app: b}}\n";
    let out = npc_with_stdin(&["analyze", "-", "-n", "team"], text);
    let lines = stdout(&out);
    assert!(
        lines.contains("team/a[Deployment] => team/b[Pod] : All Connections\n"),
        "{lines}"
    );
}

#[test]
fn host_network_workloads_are_left_out_with_a_note() {
    let out = npc(&["analyze", "tests/data/manifests/kubectl-list.yaml"]);
    assert!(!stdout(&out).contains("node-agent"));
    assert!(stderr(&out).contains("note: left out a workload on the host network (NetworkPolicy does not apply to them): kube-system/node-agent[DaemonSet]"), "{}", stderr(&out));
}
