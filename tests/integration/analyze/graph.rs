//! `npc analyze --format dot|mermaid|html`: the pictures `npc graph` draws,
//! of existing manifests. Reviewed snapshots, and for every corpus input the
//! drawn model agrees with the analysis: an edge for every allowed
//! connection that some policy decides, with the same ports, and none
//! between two sides that no policy isolates.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::corpus::inputs;
use crate::support::npc::{npc, root, stderr, stdout};

fn relative(path: &std::path::Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("../snapshots");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn dot_and_mermaid_snapshots() {
    for (input, formats) in [
        ("tests/data/manifests/boutique", &["dot", "mermaid"][..]),
        ("tests/data/manifests/recipes/and-vs-or.yaml", &["dot"][..]),
        (
            "tests/data/manifests/recipes/egress-external.yaml",
            &["dot"][..],
        ),
    ] {
        for format in formats {
            let out = npc(&["analyze", input, "-o", format]);
            assert!(out.status.success(), "{input}: {}", stderr(&out));
            let name = input
                .trim_start_matches("tests/data/manifests/")
                .trim_end_matches(".yaml")
                .replace('/', "-");
            snapshot(&format!("analyze-{format}-{name}"), &stdout(&out));
        }
    }
}

/// The model embedded in an HTML report.
fn model(html: &str) -> Value {
    let start = html.find(r#"id="npc-graph">"#).expect("the model") + r#"id="npc-graph">"#.len();
    let end = start + html[start..].find("</script>").expect("its end");
    serde_json::from_str(&html[start..end]).unwrap()
}

/// `ns/name[Kind]` or `first-last[External]`, as the analysis names a peer.
fn peer_key(v: &Value) -> String {
    match v["kind"].as_str().unwrap() {
        "External" => format!("{}[External]", v["name"].as_str().unwrap()),
        kind => format!(
            "{}/{}[{kind}]",
            v["namespace"].as_str().unwrap(),
            v["name"].as_str().unwrap()
        ),
    }
}

/// `(protocol, start, end)` of a connection, or `None` for every port.
type Ports = Option<BTreeSet<(String, u64, u64)>>;

fn json_conn(v: &Value) -> Ports {
    if v.as_str() == Some("all") {
        return None;
    }
    let mut out = BTreeSet::new();
    for (p, ranges) in v.as_object().unwrap() {
        for r in ranges.as_array().unwrap() {
            out.insert((p.clone(), r[0].as_u64().unwrap(), r[1].as_u64().unwrap()));
        }
    }
    Some(out)
}

fn edge_conn(e: &Value) -> Ports {
    if e["all_ports"].as_bool().unwrap() {
        return None;
    }
    // Adjacent pieces (cut at named ports) are joined again.
    let mut by: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for r in e["port_ranges"].as_array().unwrap() {
        by.entry(r["protocol"].as_str().unwrap().to_string())
            .or_default()
            .push((r["start"].as_u64().unwrap(), r["end"].as_u64().unwrap()));
    }
    let mut out = BTreeSet::new();
    for (p, mut list) in by {
        list.sort();
        let mut joined: Vec<(u64, u64)> = Vec::new();
        for (a, b) in list {
            match joined.last_mut() {
                Some(last) if last.1 + 1 == a => last.1 = b,
                _ => joined.push((a, b)),
            }
        }
        out.extend(joined.into_iter().map(|(a, b)| (p.clone(), a, b)));
    }
    Some(out)
}

#[test]
fn every_drawn_edge_is_an_analyzed_connection_and_every_decided_one_is_drawn() {
    let mut edges_checked = 0;
    for input in inputs() {
        let path = relative(&input);
        let json = npc(&["analyze", &path, "-o", "json"]);
        assert!(json.status.success(), "{path}: {}", stderr(&json));
        let analysis: Value = serde_json::from_str(&stdout(&json)).unwrap();
        let html = npc(&["analyze", &path, "-o", "html"]);
        assert!(html.status.success(), "{path}: {}", stderr(&html));
        let m = model(&stdout(&html));
        assert_eq!(m["of"], "manifests", "{path}");
        // Node id → (analysis key, open ingress, open egress).
        let mut nodes: BTreeMap<String, (String, bool, bool)> = BTreeMap::new();
        for n in m["nodes"].as_array().unwrap() {
            let open = |side: &str| !n[side]["isolated"].as_bool().unwrap_or(false);
            nodes.insert(
                n["id"].as_str().unwrap().to_string(),
                (
                    n["stands_for"][0].as_str().unwrap().to_string(),
                    open("ingress"),
                    open("egress"),
                ),
            );
        }
        let open_ingress: BTreeMap<&str, bool> =
            nodes.values().map(|(k, i, _)| (k.as_str(), *i)).collect();
        let open_egress: BTreeMap<&str, bool> =
            nodes.values().map(|(k, _, e)| (k.as_str(), *e)).collect();
        let mut drawn: BTreeMap<(String, String), Ports> = BTreeMap::new();
        for e in m["edges"].as_array().unwrap() {
            let src = &nodes[e["source"].as_str().unwrap()].0;
            let dst = &nodes[e["target"].as_str().unwrap()].0;
            let set = &m["rule_sets"][e["rule_set"].as_u64().unwrap() as usize];
            assert!(
                !set["rules"].as_array().unwrap().is_empty(),
                "{path}: {} names the rules that allow it",
                e["id"]
            );
            drawn.insert((src.clone(), dst.clone()), edge_conn(e));
        }
        let mut expected = BTreeMap::new();
        for c in analysis["connections"].as_array().unwrap() {
            let (src, dst) = (peer_key(&c["src"]), peer_key(&c["dst"]));
            // External ranges are open on both sides; a workload is in
            // the model whenever it is analyzed.
            let src_open = open_egress.get(src.as_str()).copied().unwrap_or(true);
            let dst_open = open_ingress.get(dst.as_str()).copied().unwrap_or(true);
            if src_open && dst_open {
                continue;
            }
            expected.insert((src, dst), json_conn(&c["conn"]));
        }
        assert_eq!(drawn, expected, "{path}");
        edges_checked += drawn.len();
    }
    assert!(edges_checked > 20, "{edges_checked} edges checked");
}

#[test]
fn exposure_is_not_drawn() {
    let out = npc(&[
        "analyze",
        "tests/data/manifests/boutique",
        "-o",
        "dot",
        "--exposure",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--exposure"), "{}", stderr(&out));
}

/// `pods` pods in `web`, and `policies` policies that each select every pod
/// of it and allow every pod of it in and out: every connection is allowed
/// by every policy, on both sides.
fn every_policy_everywhere(pods: usize, policies: usize) -> String {
    let mut out = Vec::new();
    for i in 0..pods {
        out.push(format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: web\n  labels:\n    app: p{i}\nspec:\n  containers:\n  - name: c\n    image: nginx\n"
        ));
    }
    for i in 0..policies {
        out.push(format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np{i}\n  namespace: web\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - podSelector: {{}}\n  egress:\n  - to:\n    - podSelector: {{}}\n"
        ));
    }
    out.join("---\n")
}

/// Runs npc under a limit of `mib` MiB of address space.
fn npc_within(mib: u64, args: &[&str]) -> std::process::Output {
    let mut script = format!("ulimit -v {} && exec \"$0\"", mib * 1024);
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${i}\""));
    }
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_npc"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Every edge once embedded every rule that allows it (and a trace naming
/// every policy): 150 pods and 150 policies made a 446 MB page in 2.1 GB.
/// Rules and traces are stored once and referenced, so the page grows
/// with the connections, not with connections × policies.
#[test]
fn a_drawing_grows_with_its_connections_not_with_its_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.yaml");
    std::fs::write(&path, every_policy_everywhere(120, 120)).unwrap();
    let path = path.display().to_string();
    let txt = npc_within(1024, &["analyze", &path]);
    assert!(txt.status.success(), "{}", stderr(&txt));
    let connections = stdout(&txt).lines().count();
    assert_eq!(connections, 120 * 119);
    for format in ["html", "dot", "mermaid"] {
        let out = npc_within(1024, &["analyze", &path, "--format", format]);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        // About 300 bytes a connection; 240 rules each would be 100 times that.
        let per_connection = out.stdout.len() / connections;
        assert!(
            per_connection < 1_000,
            "{format}: {per_connection} bytes a connection"
        );
    }
    let html = npc_within(1024, &["analyze", &path, "--format", "html"]);
    let m = model(&stdout(&html));
    // Each edge names the 240 rules through one shared list.
    assert_eq!(m["rules"].as_array().unwrap().len(), 240);
    let edge = &m["edges"][0];
    let set = &m["rule_sets"][edge["rule_set"].as_u64().unwrap() as usize];
    assert_eq!(set["rules"].as_array().unwrap().len(), 240);
    assert_eq!(m["rule_sets"].as_array().unwrap().len(), 1);
}

/// A drawing of more connections than the limit ends in an error that
/// says how to draw less (or to list them as text), quickly and in little
/// memory; `--focus` draws one workload's connections.
#[test]
fn a_drawing_of_too_many_connections_is_refused_with_a_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.yaml");
    std::fs::write(&path, every_policy_everywhere(240, 2)).unwrap();
    let path = path.display().to_string();
    let out = npc_within(1024, &["analyze", &path, "--format", "html"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("57360 connections"), "{err}");
    assert!(err.contains("--focus") && err.contains("-o txt"), "{err}");
    let out = npc_within(
        1024,
        &["analyze", &path, "--format", "html", "--focus", "web/p7"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        model(&stdout(&out))["edges"].as_array().unwrap().len(),
        2 * 239
    );
}
