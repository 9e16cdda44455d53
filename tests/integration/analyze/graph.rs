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
            assert!(
                !e["rules"].as_array().unwrap().is_empty(),
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
