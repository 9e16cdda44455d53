//! `npc diff --semantic`: connectivity changes, judged by the evaluator.

use crate::support::npc::npc;

fn deployed(edit: impl Fn(String) -> String) -> tempfile::NamedTempFile {
    let yaml = String::from_utf8(npc(&["build", "examples/shop.npl"]).stdout).unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), edit(yaml)).unwrap();
    file
}

#[test]
fn own_output_changes_no_flow() {
    let live = deployed(|y| y);
    let o = npc(&[
        "diff",
        "examples/shop.npl",
        "--against",
        live.path().to_str().unwrap(),
        "--semantic",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("0 flow(s) change"));
}

#[test]
fn a_changed_port_is_one_flow_allowed_and_one_denied() {
    let live = deployed(|y| y.replace("port: 5432", "port: 5433"));
    let o = npc(&[
        "diff",
        "examples/shop.npl",
        "--against",
        live.path().to_str().unwrap(),
        "--semantic",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("+ payments/api-server -> payments/postgres-primary: TCP 5432"),
        "{out}"
    );
    assert!(
        out.contains("- payments/api-server -> payments/postgres-primary: TCP 5433"),
        "{out}"
    );
    assert!(out.starts_with("1 flow(s) change"), "{out}");
}

#[test]
fn unmanaged_policies_stay_in_force_after_applying() {
    // A hand-written policy (no managed-by label) that opens the database to
    // the frontend: npc's output does not remove it, so no flow changes.
    let extra = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: legacy\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels:\n      app: postgres-primary\n  policyTypes: [Ingress]\n  ingress:\n  - {}\n";
    let live = deployed(|y| format!("{y}{extra}"));
    let o = npc(&[
        "diff",
        "examples/shop.npl",
        "--against",
        live.path().to_str().unwrap(),
        "--semantic",
        "-o",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 0);
}

#[test]
fn removing_a_deployed_allow_is_reported_as_denied() {
    // Deployed: an extra npc-managed policy that npc no longer emits.
    let extra = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: stale\n  namespace: payments\n  labels:\n    app.kubernetes.io/managed-by: npc\nspec:\n  podSelector:\n    matchLabels:\n      app: postgres-primary\n  policyTypes: [Ingress]\n  ingress:\n  - ports:\n    - port: 5432\n";
    let live = deployed(|y| format!("{y}{extra}"));
    let o = npc(&[
        "diff",
        "examples/shop.npl",
        "--against",
        live.path().to_str().unwrap(),
        "--semantic",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    // The stale rule admitted every source; sources whose own egress is
    // closed (web/frontend) were never let through, outside ones were.
    assert!(
        out.contains("- 8.8.8.8 -> payments/postgres-primary: TCP 5432"),
        "{out}"
    );
    assert!(
        !out.contains("web/frontend -> payments/postgres-primary"),
        "{out}"
    );
    assert!(!out.contains("\n+ "), "nothing becomes allowed: {out}");
}

/// Deployed (labelled as npc's, so applying the program replaces them): `a`
/// may send on the named port `http` only, `c` admits 8000-8100 only; so a
/// pod of `c` that declares `http` as a number in the range is reachable
/// from `a`. The program (what `npc import` once wrote for them) reaches no
/// pod of `c` from `a`: that flow is denied after applying it.
#[test]
fn a_named_port_inside_a_deployed_range_is_a_changed_flow() {
    let live = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        live.path(),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a-egress, namespace: a, labels: {app.kubernetes.io/managed-by: npc}}\n\
         spec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - port: http\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: c-ingress, namespace: c, labels: {app.kubernetes.io/managed-by: npc}}\n\
         spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - ports:\n    - port: 8000\n      endPort: 8100\n",
    )
    .unwrap();
    let program = tempfile::Builder::new().suffix(".npl").tempfile().unwrap();
    std::fs::write(
        program.path(),
        "namespace a {\n  isolate egress\n  no dns\n}\n\nnamespace c {\n  isolate ingress\n}\n\n\
         allow a/* -> {kubernetes.io/metadata.name notin (c)}/*:http\n\
         allow a/* -> world:http\n\
         allow {kubernetes.io/metadata.name notin (a)}/* -> c/*:8000-8100\n\
         allow world -> c/*:8000-8100\n",
    )
    .unwrap();
    let o = npc(&[
        "diff",
        program.path().to_str().unwrap(),
        "--against",
        live.path().to_str().unwrap(),
        "--semantic",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let changes = v["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| {
            c["source"].as_str().unwrap().starts_with("a/")
                && c["destination"].as_str().unwrap().starts_with("c/")
                && !c["denied"].as_str().unwrap().is_empty()
        }),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(o.status.code(), Some(1));
}
