//! The manifest corpus (`tests/data/manifests/`): classic recipes, a
//! microservices demo and a kubectl `List` dump. Each input's analysis is
//! snapshotted, and checked against nca reading the very same files
//! (`nca --connectivity -r`), which models workloads on its own.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use npc::eval::PortSet;
use serde_json::Value;

use super::differential::conn;
use crate::support::nca;
use crate::support::npc::{npc, root, stderr, stdout};

/// Every corpus input: each recipe file, the demo directory, the dump.
pub fn inputs() -> Vec<PathBuf> {
    let dir = root().join("tests/data/manifests");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir.join("recipes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out.push(dir.join("boutique"));
    out.push(dir.join("kubectl-list.yaml"));
    out
}

/// `recipes/deny-all` for `tests/data/manifests/recipes/deny-all.yaml`.
pub fn label(path: &Path) -> String {
    let rel = path
        .strip_prefix(root().join("tests/data/manifests"))
        .unwrap()
        .with_extension("");
    rel.display().to_string()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

#[test]
fn corpus_analysis_snapshots() {
    for input in inputs() {
        let out = npc(&["analyze", &relative(&input)]);
        assert!(
            out.status.success(),
            "{}: {}",
            input.display(),
            stderr(&out)
        );
        let name = format!("analyze-{}", label(&input).replace('/', "-"));
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_snapshot_path("../snapshots");
        settings.bind(|| insta::assert_snapshot!(name, stdout(&out)));
    }
}

#[test]
fn json_form_of_an_analysis() {
    let out = npc(&[
        "analyze",
        "tests/data/manifests/recipes/egress-external.yaml",
        "-o",
        "json",
        "--exposure",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("../snapshots");
    settings.bind(|| insta::assert_snapshot!("analyze-json-egress-external", stdout(&out)));
}

/// One side of an nca line: a workload `ns/name[Kind]` or address ranges.
enum End {
    Workload(String),
    Addresses(Vec<(IpAddr, IpAddr)>),
}

fn end(text: &str) -> End {
    if text.ends_with(']') {
        return End::Workload(text.to_owned());
    }
    End::Addresses(
        text.split(',')
            .map(|part| {
                let (a, b) = part.split_once('-').unwrap_or((part, part));
                (a.trim().parse().unwrap(), b.trim().parse().unwrap())
            })
            .collect(),
    )
}

/// nca's map over workloads: pairs, and address lines (first, last,
/// workload, towards the addresses, ports).
#[derive(Default)]
struct NcaMap {
    pairs: BTreeMap<(String, String), PortSet>,
    addresses: Vec<(IpAddr, IpAddr, String, bool, PortSet)>,
}

fn nca_on_files(path: &Path) -> Option<NcaMap> {
    let bin = nca::venv_bin()?;
    let out = Command::new(bin.join("nca"))
        .arg("--connectivity")
        .arg("-r")
        .arg(path)
        .args([
            "-o",
            "txt_no_fw_rules",
            "--output_endpoints",
            "deployments",
            "--print_ipv6",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.lines().any(|l| l.starts_with("Error")),
        "nca failed on {}: {text}",
        path.display()
    );
    let mut map = NcaMap::default();
    for line in text.lines() {
        let Some((src, rest)) = line.split_once(" => ") else {
            continue;
        };
        let (dst, conns) = rest.split_once(" : ").unwrap();
        let ports = nca::parse_connections(conns).unwrap();
        match (end(src), end(dst)) {
            (End::Workload(a), End::Workload(b)) => {
                map.pairs.insert((a, b), ports);
            }
            (End::Addresses(ranges), End::Workload(w)) => {
                for (a, b) in ranges {
                    map.addresses.push((a, b, w.clone(), false, ports.clone()));
                }
            }
            (End::Workload(w), End::Addresses(ranges)) => {
                for (a, b) in ranges {
                    map.addresses.push((a, b, w.clone(), true, ports.clone()));
                }
            }
            (End::Addresses(_), End::Addresses(_)) => panic!("unexpected nca line {line}"),
        }
    }
    Some(map)
}

fn key(v: &Value) -> Option<String> {
    (v["kind"] != "External").then(|| {
        format!(
            "{}/{}[{}]",
            v["namespace"].as_str().unwrap(),
            v["name"].as_str().unwrap(),
            v["kind"].as_str().unwrap()
        )
    })
}

/// npc and nca read the same files; over npc's workloads (nca also lists
/// the ReplicaSets and Jobs that npc reports as their owners, and
/// host-network pods, which it does not treat apart) they must agree on
/// every pair and every address.
#[test]
fn corpus_agrees_with_nca_reading_the_same_files() {
    let mut compared = 0;
    for input in inputs() {
        let Some(n) = agree_with_nca(&input) else {
            return;
        };
        compared += n;
    }
    eprintln!("corpus: {compared} workload pairs and (workload, address) checks agree with nca");
}

#[allow(dead_code)]
#[path = "../../../examples/gen_manifests.rs"]
mod generator;

/// The benchmark's manifests, small: nca reads the same directory.
#[test]
fn generated_benchmark_manifests_agree_with_nca() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in generator::generate(4, 5, 6, 3) {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    if let Some(n) = agree_with_nca(dir.path()) {
        eprintln!("generated: {n} checks agree with nca");
    }
}

/// Compares npc and nca on one input: the number of checks, `None` when
/// nca is skipped. Panics with every disagreement.
fn agree_with_nca(input: &Path) -> Option<usize> {
    let mut compared = 0;
    {
        let theirs = nca_on_files(input)?;
        let shown = input
            .strip_prefix(root())
            .map_or_else(|_| input.display().to_string(), |p| p.display().to_string());
        // nca prints both families (`--print_ipv6`).
        let out = npc(&["analyze", &shown, "-o", "json", "--ip-family", "dual"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let workloads: BTreeSet<String> = json["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(key)
            .collect();
        let mut mine: BTreeMap<(String, String), PortSet> = BTreeMap::new();
        let mut external: Vec<(IpAddr, IpAddr, String, bool, PortSet)> = Vec::new();
        let mut probes: BTreeSet<IpAddr> = BTreeSet::new();
        for r in json["external"].as_array().unwrap() {
            probes.insert(r["first"].as_str().unwrap().parse().unwrap());
            probes.insert(r["last"].as_str().unwrap().parse().unwrap());
        }
        for c in json["connections"].as_array().unwrap() {
            let ports = conn(&c["conn"]);
            match (key(&c["src"]), key(&c["dst"])) {
                (Some(a), Some(b)) => {
                    mine.insert((a, b), ports);
                }
                (Some(w), None) => {
                    let r = &c["dst"];
                    external.push((
                        r["first"].as_str().unwrap().parse().unwrap(),
                        r["last"].as_str().unwrap().parse().unwrap(),
                        w,
                        true,
                        ports,
                    ));
                }
                (None, Some(w)) => {
                    let r = &c["src"];
                    external.push((
                        r["first"].as_str().unwrap().parse().unwrap(),
                        r["last"].as_str().unwrap().parse().unwrap(),
                        w,
                        false,
                        ports,
                    ));
                }
                (None, None) => panic!("external to external"),
            }
        }
        let mut problems = Vec::new();
        let none = PortSet::empty();
        for a in &workloads {
            for b in &workloads {
                if a == b {
                    continue;
                }
                let k = (a.clone(), b.clone());
                let (x, y) = (
                    mine.get(&k).unwrap_or(&none),
                    theirs.pairs.get(&k).unwrap_or(&none),
                );
                compared += 1;
                if x != y {
                    problems.push(format!("{a} => {b}: npc allows {x}, nca allows {y}"));
                }
            }
        }
        for line in &theirs.addresses {
            probes.insert(line.0);
            probes.insert(line.1);
        }
        let at =
            |lines: &[(IpAddr, IpAddr, String, bool, PortSet)], ip: IpAddr, w: &str, out: bool| {
                let mut set = PortSet::empty();
                for (a, b, who, towards, ports) in lines {
                    if who == w
                        && *towards == out
                        && a.is_ipv4() == ip.is_ipv4()
                        && *a <= ip
                        && ip <= *b
                    {
                        set.union_with(ports);
                    }
                }
                set
            };
        for w in &workloads {
            for &ip in &probes {
                for out in [false, true] {
                    let (x, y) = (at(&external, ip, w, out), at(&theirs.addresses, ip, w, out));
                    compared += 1;
                    if x != y {
                        problems.push(format!(
                            "{w} {} {ip}: npc allows {x}, nca allows {y}",
                            if out { "=>" } else { "<=" }
                        ));
                    }
                }
            }
        }
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            input.display(),
            problems.join("\n")
        );
    }
    Some(compared)
}
