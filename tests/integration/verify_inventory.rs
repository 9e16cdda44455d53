//! `--inventory`: the kubectl fixture parses; expectations are checked
//! between real pods; label hygiene warnings W006-W009 point at the program;
//! pod names work in `explain`; a malformed inventory is a usage error.

use crate::support::npc::npc;

use npc::verify::inventory;

const FIXTURE: &str = "tests/data/inventory/cluster.yaml";
const PROGRAM: &str = "tests/data/inventory/shop.npl";

fn fixture() -> inventory::Inventory {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    inventory::load(&path).unwrap()
}

/// Compiles `text` and runs the inventory checks; (code, line, message) each.
fn check(text: &str, inv: &inventory::Inventory) -> Vec<(String, usize, String)> {
    let c = npc::compile_str("p.npl", text);
    assert!(
        !c.has_errors(),
        "{}",
        npc::render::human(&c.diagnostics, &c.sources, false)
    );
    let program = c.program.as_ref().unwrap();
    let diags = npc::verify::cluster::check(
        program,
        &c.policies,
        &c.cilium,
        &c.provenance,
        &c.sources,
        inv,
    );
    let file = c.sources.get(npc::source::FileId(0)).unwrap();
    let mut out: Vec<(String, usize, String)> = diags
        .into_iter()
        .map(|d| {
            (
                d.code.id.to_string(),
                file.line_of(d.span.start()),
                d.message,
            )
        })
        .collect();
    out.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    out
}

#[test]
fn the_kubectl_list_parses() {
    let inv = fixture();
    assert_eq!(inv.namespaces.len(), 4);
    // The Succeeded job pod is left out.
    let pods: Vec<String> = inv.pods.iter().map(|p| p.key()).collect();
    assert_eq!(
        pods,
        [
            "web/frontend-7d9f8c6b5-x2kqp",
            "web/node-agent-9xk2p",
            "payments/api-server-5c7f9d-abcde",
            "payments/postgres-primary-0",
            "monitoring/prometheus-0",
            "kube-system/coredns-5d78c9869d-4lq7w",
        ]
    );
    let api = &inv.pods[2].pod;
    assert_eq!(
        api.namespace_labels.get("pci").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        api.resolve_port("http-metrics", npc::eval::Protocol::Tcp),
        Some(9102)
    );
    // A port without `protocol` is TCP.
    assert_eq!(
        api.resolve_port("http", npc::eval::Protocol::Tcp),
        Some(8080)
    );
    let dns = &inv.pods[5].pod;
    assert_eq!(dns.resolve_port("dns", npc::eval::Protocol::Udp), Some(53));
    assert!(inv.pods[1].host_network);
    // A pod in a namespace the inventory does not list still has its name label.
    assert_eq!(
        dns.namespace_labels
            .get("kubernetes.io/metadata.name")
            .map(String::as_str),
        Some("kube-system")
    );
}

#[test]
fn the_fixture_program_reports_each_hygiene_warning_at_its_line() {
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PROGRAM))
            .unwrap();
    let found = check(&text, &fixture());
    let summary: Vec<(&str, usize)> = found.iter().map(|(c, l, _)| (c.as_str(), *l)).collect();
    assert_eq!(
        summary,
        [
            ("W007", 2),
            ("W008", 2),
            ("W007", 3),
            ("W009", 12),
            ("W006", 13)
        ],
        "{found:#?}"
    );
    assert_eq!(found[1].2, "`web/node-agent-9xk2p` in `web` uses the host network, which NetworkPolicy does not apply to");
    assert_eq!(
        found[3].2,
        "no pod of `payments/api-server` declares a TCP container port named `metrics`"
    );
    assert_eq!(found[4].2, "`web/checkout` matches no pod in the inventory");
}

#[test]
fn namespace_labels_that_change_no_selector_are_not_reported() {
    // `web` has an extra label `team=ops` in the cluster; no label set here uses it.
    let found = check(
        "namespace web\nallow web/frontend -> web/frontend:80\n",
        &fixture(),
    );
    assert!(found.iter().all(|(c, _, _)| c != "W007"), "{found:#?}");
    // Declared exactly as in the cluster: nothing to say.
    let found = check("namespace payments labels {pci=true}\n", &fixture());
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn an_expectation_that_fails_only_between_real_pods() {
    // Declared, `web` has no `team` label, so the representative frontend is
    // not covered by `{team=ops}/*`; in the cluster `web` has `team=ops`.
    let text = "namespace web { isolate ingress }\nnamespace payments labels {pci=true}\n\
                allow {team=ops}/* -> payments/postgres-primary:5432\n\
                expect deny web/frontend -> payments/postgres-primary:5432\n";
    let c = npc::compile_str("p.npl", text);
    assert!(!c.has_errors(), "the representative check passes");
    let found = check(text, &fixture());
    let e029: Vec<_> = found.iter().filter(|(c, _, _)| c == "E029").collect();
    assert_eq!(e029.len(), 1, "{found:#?}");
    assert_eq!(e029[0].1, 4);
    // And the CLI exits 1 for it.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.npl");
    std::fs::write(&p, text).unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let o = npc(&[
        "check",
        p.to_str().unwrap(),
        "--inventory",
        fixture.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "from pod `web/frontend-7d9f8c6b5-x2kqp` to pod `payments/postgres-primary-0`"
        ),
        "{err}"
    );
}

#[test]
fn a_named_port_resolves_against_the_real_pod() {
    let text = "namespace payments labels {pci=true}\nnamespace monitoring\n\
                allow monitoring/prometheus -> payments/api-server:http-metrics\n";
    let inv = fixture();
    // The api-server pod declares `http-metrics`: no W009.
    let found = check(text, &inv);
    assert!(found.is_empty(), "{found:#?}");
    let explained = npc::verify::explain::explain(
        vec![npc::load::Input::from_str("p.npl", text)],
        "monitoring/prometheus-0 -> payments/api-server-5c7f9d-abcde:{9102, 8080}",
        Some(&inv),
    );
    let x = explained.explanation.unwrap();
    assert_eq!(x.verdict, "partial");
    let checks = &x.pairs[0].checks;
    assert_eq!((checks[0].port, checks[0].allowed), (Some(8080), false));
    assert_eq!((checks[1].port, checks[1].allowed), (Some(9102), true));
    assert_eq!(x.pairs[0].allowed_ports, "TCP 9102");
}

#[test]
fn check_with_the_fixture_exits_0_and_prints_warnings() {
    let o = npc(&["check", PROGRAM, "--inventory", FIXTURE]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "3 expectations hold, 14 policies, checked against 6 pods in 4 namespaces\n"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    for code in ["W006", "W007", "W008", "W009"] {
        assert!(err.contains(&format!("[{code}]")), "{code}: {err}");
    }
    let o = npc(&["check", PROGRAM, "--inventory", FIXTURE, "--deny-warnings"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn explain_accepts_pod_names_from_the_inventory() {
    let o = npc(&[
        "explain",
        PROGRAM,
        "web/frontend-7d9f8c6b5-x2kqp -> payments/api-server:8080",
        "--inventory",
        FIXTURE,
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&o.stdout));
}

#[test]
fn multi_document_inventories_are_accepted() {
    let inv = inventory::parse(
        "c.yaml",
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {a: b}}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: web, labels: {app: x}}\nspec: {containers: []}\n---\n",
    )
    .unwrap();
    assert_eq!(inv.pods.len(), 1);
    assert_eq!(
        inv.pods[0]
            .pod
            .namespace_labels
            .get("a")
            .map(String::as_str),
        Some("b")
    );
}

#[test]
fn malformed_inventories_are_usage_errors_with_file_and_line() {
    let bad = "kind: List\nitems:\n- kind: Pod\n  metadata: {name: p, namespace: web}\n  spec:\n    containers:\n    - ports:\n      - containerPort: 99999\n";
    let e = inventory::parse("c.yaml", bad).unwrap_err();
    assert!(e.starts_with("`c.yaml`:8:"), "{e}");
    let e = inventory::parse("c.yaml", "kind: List\nitems: [\n").unwrap_err();
    assert!(e.starts_with("`c.yaml`:"), "{e}");
    let e = inventory::parse("c.yaml", "items: []\n").unwrap_err();
    assert!(e.contains("kind"), "{e}");
    // A pod without a namespace is in `default`, as kubectl reads it (the
    // one manifest reader decides, for inventories as for `npc analyze`).
    let inv = inventory::parse("c.yaml", "kind: Pod\nmetadata: {name: p}\n").unwrap();
    assert_eq!(inv.pods[0].key(), "default/p");
    let e = inventory::parse(
        "c.yaml",
        "kind: Pod\nmetadata: {name: p, labels: {a: true}}\n",
    )
    .unwrap_err();
    assert!(
        e.starts_with("`c.yaml`:2:") && e.contains("metadata.labels"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.yaml");
    std::fs::write(&p, bad).unwrap();
    let o = npc(&["check", PROGRAM, "--inventory", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(":8:"));
}
