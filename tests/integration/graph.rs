//! `npc graph`: reviewed DOT and Mermaid snapshots of every example; every
//! edge and every missing edge agrees with `npc explain`; selections, the
//! failing-expectation graph, exit codes, safe file output and escaping.
//! Rendering with Graphviz and in a browser is `scripts/test-graph.sh`.

use std::path::Path;

use npc::graph::{build::build, EdgeSource, Graph, NodeKind};
use npc::load::Input;

use crate::support::npc::npc;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn examples() -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                name.strip_suffix(".npl").map(str::to_string)
            })
            .collect();
    names.sort();
    names
}

fn graph_of(name: &str, text: &str) -> Graph {
    let c = npc::compile_str(name, text);
    build(&c, name).unwrap()
}

fn example_graph(name: &str) -> Graph {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/{name}.npl"));
    let input = Input {
        name: format!("examples/{name}.npl"),
        path: Some(path.clone()),
        text: std::fs::read_to_string(&path).unwrap(),
    };
    let c = npc::compile(vec![input]);
    build(&c, name).unwrap()
}

#[test]
fn dot_and_mermaid_of_every_example() {
    let names = examples();
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        let file = format!("examples/{name}.npl");
        for format in ["dot", "mermaid"] {
            let o = npc(&["graph", &file, "-o", format]);
            assert_eq!(o.status.code(), Some(0), "{file}: {}", text(&o.stderr));
            assert_eq!(text(&o.stderr), "", "{file}: no diagnostics");
            insta::assert_snapshot!(format!("{format}-{name}"), text(&o.stdout));
        }
    }
}

/// The endpoint `npc explain` takes for a node: a pod node's id (NPL), an
/// address node's representative address (``the address `8.8.8.8` ``).
fn query_endpoint(node: &npc::graph::Node) -> Option<String> {
    if node.id.contains(" #") {
        return None;
    }
    // A pod of namespaces chosen by labels that the program does not
    // manage (the group is the label set): `npc explain` reads such an
    // endpoint as the managed namespaces' pods, another representative.
    if node.kind != NodeKind::External && (node.group.starts_with('{') || node.group == "*") {
        return None;
    }
    if node.kind != NodeKind::External {
        return Some(node.id.clone());
    }
    // A DNS name is queried by its name (or pattern).
    if node.description.starts_with("the name") {
        return Some(node.label.clone());
    }
    let ip = node.description.split('`').nth(1)?;
    Some(if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    })
}

/// The numeric part of an edge's ports, as `npc explain` prints allowed
/// ports when no named port is asked for (its representatives then declare none).
fn numeric_ports(e: &npc::graph::Edge) -> String {
    if e.all_ports {
        return "all".to_string();
    }
    let mut parts: Vec<String> = Vec::new();
    for proto in ["TCP", "UDP", "SCTP"] {
        let ranges: Vec<String> = e
            .port_ranges
            .iter()
            .filter(|r| r.protocol == proto && r.name.is_none())
            .map(|r| {
                if r.start == 1 && r.end == u16::MAX {
                    "all".to_string()
                } else if r.start == r.end {
                    r.start.to_string()
                } else {
                    format!("{}-{}", r.start, r.end)
                }
            })
            .collect();
        if !ranges.is_empty() {
            parts.push(format!("{proto} {}", ranges.join(",")));
        }
    }
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join("; ")
    }
}

/// Compares every `stride`-th ordered pair of nodes of the graph of `input`
/// with `npc explain` on the same two endpoints; returns (checked, skipped).
fn cross_check(input: &Input, stride: usize) -> (usize, usize) {
    let c = npc::compile(vec![input.clone()]);
    let g = build(&c, &input.name).unwrap();
    let (mut checked, mut skipped) = (0, 0);
    let nodes: Vec<_> = g
        .nodes
        .iter()
        .filter_map(|n| query_endpoint(n).map(|q| (n, q)))
        .collect();
    // The allowed connection; a tier statement's `deny` is an edge of its own.
    let denial = |e: &&npc::graph::Edge| e.origins == [npc::graph::EdgeSource::Deny];
    let edge = |s: &str, d: &str| {
        g.edges
            .iter()
            .find(|e| e.source == s && e.target == d && !denial(e))
    };
    let denied = |s: &str, d: &str| {
        g.edges
            .iter()
            .any(|e| e.source == s && e.target == d && denial(&e))
    };
    let pairs = nodes
        .iter()
        .flat_map(|s| nodes.iter().map(move |d| (s, d)))
        .step_by(stride);
    for ((s, sq), (d, dq)) in pairs {
        if s.kind == NodeKind::External && d.kind == NodeKind::External {
            continue;
        }
        // A DNS name is never a source.
        if s.description.starts_with("the name") {
            continue;
        }
        let query = format!("{sq} -> {dq}");
        let x = npc::verify::explain::explain(vec![input.clone()], &query, None);
        let x = x
            .explanation
            .unwrap_or_else(|| panic!("{}: {query}", input.name));
        // `*/x` and `{labels}/x` nodes outside the managed namespaces
        // have no query of their own: explain reads them as the
        // managed namespaces' pods (checked with an inventory below).
        if x.pairs.len() != 1 {
            skipped += 1;
            continue;
        }
        let allowed = &x.pairs[0].allowed_ports;
        let at = format!("{}: {query} ({} -> {})", input.name, s.id, d.id);
        // An edge to (from) a range inside a wider one may be left out
        // when the wider range's edge says the same.
        let wider = || {
            d.inside
                .iter()
                .filter_map(|w| edge(&s.id, w))
                .chain(s.inside.iter().filter_map(|w| edge(w, &d.id)))
                .find(|e| &numeric_ports(e) == allowed)
        };
        match edge(&s.id, &d.id).or_else(wider) {
            Some(e) => assert_eq!(&numeric_ports(e), allowed, "{at}"),
            None if s.open_egress() && d.open_ingress() && !denied(&s.id, &d.id) => {
                assert_eq!(allowed, "all", "{at} is open on both sides")
            }
            None => assert_eq!(allowed, "none", "{at} has no edge"),
        }
        checked += 1;
    }
    (checked, skipped)
}

#[test]
fn every_edge_and_every_missing_edge_agrees_with_explain() {
    let (mut checked, mut skipped) = (0, 0);
    for name in examples() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/{name}.npl"));
        let input = Input {
            name: format!("examples/{name}.npl"),
            path: Some(path.clone()),
            text: std::fs::read_to_string(&path).unwrap(),
        };
        let (c, s) = cross_check(&input, 1);
        checked += c;
        skipped += s;
    }
    assert!(
        checked > 500 && skipped < checked / 2,
        "{checked} pairs, {skipped} skipped"
    );
}

#[test]
fn a_generated_program_agrees_with_explain() {
    // Two teams: label-set endpoints across namespaces, nested address
    // ranges, every isolation variant the generator writes. Explaining
    // compiles the program each time: one pair in 23 (a prime: the pairs
    // spread over the sources and destinations).
    let text = npc_gen::generate(10, 4, 3);
    let (checked, skipped) = cross_check(&Input::from_str("gen.npl", text), 23);
    assert!(
        checked > 150 && skipped < checked / 2,
        "{checked} pairs, {skipped} skipped"
    );
}

#[test]
fn label_chosen_namespaces_include_unmanaged_ones() {
    let g = example_graph("shop");
    let outside = g.node("*/{monitoring.io/expose-metrics=true}").unwrap();
    assert!(outside.open_ingress() && outside.open_egress());
    let e = g
        .edges
        .iter()
        .find(|e| e.source == "monitoring/prometheus" && e.target == outside.id)
        .unwrap();
    assert_eq!(
        (e.ports.as_str(), e.origins.as_slice()),
        ("TCP 9090", &[EdgeSource::Scrape][..])
    );
    // The same with a real pod of an unmanaged namespace.
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("cluster.yaml");
    std::fs::write(
        &inventory,
        "apiVersion: v1\nkind: List\nitems:\n\
- {apiVersion: v1, kind: Namespace, metadata: {name: other}}\n\
- {apiVersion: v1, kind: Namespace, metadata: {name: monitoring}}\n\
- {apiVersion: v1, kind: Pod, metadata: {name: exporter, namespace: other, labels: {monitoring.io/expose-metrics: 'true'}}, spec: {containers: [{name: c}]}}\n\
- {apiVersion: v1, kind: Pod, metadata: {name: prometheus-0, namespace: monitoring, labels: {app: prometheus}}, spec: {containers: [{name: c}]}}\n",
    )
    .unwrap();
    let o = npc(&[
        "explain",
        "examples/shop.npl",
        "monitoring/prometheus-0 -> other/exporter",
        "--inventory",
        inventory.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("allowed between them: TCP 9090\n"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn shop_edges_name_their_origins_lines_and_rules() {
    let g = example_graph("shop");
    let edge = |id: &str| g.edges.iter().find(|e| e.id == id).unwrap();
    let e = edge("web/frontend -> payments/api-server");
    assert_eq!(e.ports, "TCP 8080");
    assert_eq!(e.origins, vec![EdgeSource::Allow]);
    assert_eq!(g.edge_lines(e), ["examples/shop.npl:16"]);
    let rules: Vec<String> = g
        .edge_rules(e)
        .iter()
        .map(|r| format!("{} {} {}", r.policy, r.direction, r.rule))
        .collect();
    assert_eq!(
        rules,
        ["web/frontend egress 0", "payments/api-server ingress 0"]
    );
    let trace = g.edge_trace(e);
    assert!(
        trace[0].starts_with("the source's egress: isolated by `web/allow-dns`"),
        "{trace:?}"
    );
    let e = edge("web/frontend -> kube-system/{k8s-app=kube-dns}");
    assert_eq!(
        (e.ports.as_str(), e.origins.as_slice()),
        ("TCP 53; UDP 53", &[EdgeSource::Dns][..])
    );
    let e = edge("monitoring/prometheus -> payments/{monitoring.io/expose-metrics=true}");
    assert_eq!(
        (e.ports.as_str(), e.origins.as_slice()),
        ("TCP 9090", &[EdgeSource::Scrape][..])
    );
    let e = edge("{team=ops}/* -> payments/api-server");
    assert_eq!(e.ports, "TCP 8080,metrics");
    assert!(e
        .port_ranges
        .iter()
        .any(|r| r.name.as_deref() == Some("metrics")));
    assert!(g.node("{team=ops}/*").unwrap().open_egress());
    // Every expectation of the example holds, and names its nodes.
    assert!(g.expectations.iter().all(|x| x.holds));
    let x = &g.expectations[1];
    assert_eq!(
        x.text,
        "expect deny web/frontend -> payments/postgres-primary:5432"
    );
    assert_eq!(
        (x.sources.as_slice(), x.targets.as_slice()),
        (
            &["web/frontend".to_string()][..],
            &["payments/postgres-primary".to_string()][..]
        )
    );
}

#[test]
fn a_range_inside_a_wider_one_keeps_only_its_own_connections() {
    let g = graph_of(
        "ranges.npl",
        "namespace web\nallow web/a -> world:443\nallow web/a -> 10.0.0.0/8:22\nallow web/b -> world:443\n",
    );
    let ids: Vec<&str> = g
        .edges
        .iter()
        .map(|e| e.id.as_str())
        .filter(|id| !id.contains("kube-dns"))
        .collect();
    assert_eq!(
        ids,
        [
            "web/a -> 10.0.0.0/8",
            "web/a -> world (IPv4)",
            "web/a -> world (IPv6)",
            "web/b -> world (IPv4)",
            "web/b -> world (IPv6)",
        ]
    );
    let e = g
        .edges
        .iter()
        .find(|e| e.id == "web/a -> 10.0.0.0/8")
        .unwrap();
    assert_eq!(e.ports, "TCP 22,443");
    assert_eq!(g.node("10.0.0.0/8").unwrap().inside, ["world (IPv4)"]);
    // The wider range is represented by an address outside the narrower one.
    assert!(!g.node("world (IPv4)").unwrap().description.contains("`10."));
}

#[test]
fn a_failing_expectation_is_drawn_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.npl");
    std::fs::write(
        &path,
        "namespace web\nallow web/a -> web/b:80\nexpect deny web/a -> web/b:80\nexpect allow web/b -> web/a:80\n",
    )
    .unwrap();
    let o = npc(&["graph", path.to_str().unwrap(), "-o", "dot"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("E029"), "{}", text(&o.stderr));
    let dot = text(&o.stdout);
    assert!(dot.contains("label=\"✗ expect deny TCP 80\""), "{dot}");
    assert!(dot.contains("label=\"✗ expect allow TCP 80\""), "{dot}");
    assert!(
        dot.contains("label=\"TCP 80\""),
        "the connection is drawn: {dot}"
    );
    let c = npc::compile(vec![npc::load::Input::from_file(&path).unwrap()]);
    let g = build(&c, "p").unwrap();
    assert_eq!(g.expectations.len(), 2);
    assert!(g
        .expectations
        .iter()
        .all(|x| !x.holds && !x.failure.is_empty()));
}

#[test]
fn programs_with_errors_have_no_graph() {
    let o = npc(&["graph", "tests/cases/err/E002-unknown-alias.npl"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout), "");
    assert!(text(&o.stderr).contains("E002"));
    let o = npc(&["graph", "no/such/file.npl"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn namespace_and_focus_select_connections() {
    let g = example_graph("shop");
    let sel = |ns: &[&str], focus: &[&str]| {
        g.select(&npc::graph::select::Selection {
            namespaces: ns.iter().map(|s| s.to_string()).collect(),
            focus: focus.iter().map(|s| s.to_string()).collect(),
        })
    };
    let p = sel(&["payments"], &[]).unwrap();
    assert!(!p.edges.is_empty());
    for e in &p.edges {
        assert!(
            e.source.starts_with("payments/") || e.target.starts_with("payments/"),
            "{}",
            e.id
        );
    }
    assert!(p.node("web/frontend").is_some(), "a neighbour of payments");
    assert!(p.node("monitoring/*").is_none());
    let f = sel(&[], &["web/frontend"]).unwrap();
    let ids: Vec<&str> = f.edges.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "web/frontend -> payments/api-server",
            "web/frontend -> kube-system/{k8s-app=kube-dns}"
        ]
    );
    let err = sel(&[], &["web/front"]).unwrap_err().to_string();
    assert!(err.contains("`web/frontend`"), "{err}");
    let o = npc(&["graph", "examples/shop.npl", "--focus-namespace", "paymens"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("the graph has no namespace `paymens`"),
        "{}",
        text(&o.stderr)
    );
    let o = npc(&[
        "graph",
        "examples/shop.npl",
        "--focus",
        "web/frontend",
        "-o",
        "mermaid",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!text(&o.stdout).contains("prometheus"));
}

#[test]
fn output_file_replaces_a_symlink_instead_of_following_it() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let out = dir.path().join("graph.html");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    let o = npc(&[
        "graph",
        "examples/shop.npl",
        "-o",
        "html",
        "--out-file",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(!std::fs::symlink_metadata(&out)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "no temporary file left: {left:?}");
    let o = npc(&[
        "graph",
        "examples/shop.npl",
        "--out-file",
        "/nonexistent-dir/graph.dot",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn html_escapes_what_comes_from_input() {
    let dir = tempfile::tempdir().unwrap();
    // Directories make the `/` of `</script>` part of the path.
    let path = dir.path().join("a</script><script>alert(1)</script>&.npl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, std::fs::read_to_string("examples/shop.npl").unwrap()).unwrap();
    let o = npc(&["graph", path.to_str().unwrap(), "-o", "html"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let html = text(&o.stdout);
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only the page's own scripts"
    );
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(html.contains("a&lt;/script&gt;&lt;script&gt;alert(1)"));
    assert!(
        html.contains("a\\u003c/script\\u003e"),
        "escaped inside the JSON"
    );
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    // The embedded model is the graph, as JSON.
    let start = html.find("id=\"npc-graph\">").unwrap() + "id=\"npc-graph\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let model: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    assert!(model["title"]
        .as_str()
        .unwrap()
        .contains("</script><script>"));
    assert_eq!(
        model["nodes"].as_array().unwrap().len(),
        example_graph("shop").nodes.len()
    );
    // DOT and Mermaid quote the same title.
    let o = npc(&["graph", path.to_str().unwrap()]);
    assert!(text(&o.stdout).contains("label=\"npc graph: "));
}

#[test]
fn output_is_deterministic() {
    for format in ["dot", "mermaid", "html"] {
        let a = npc(&["graph", "examples/multi-team.npl", "-o", format]);
        let b = npc(&["graph", "examples/multi-team.npl", "-o", format]);
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}
