//! Runs the independent engine, `nca` (network-config-analyzer), and parses
//! its pod-to-pod connectivity.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::inventory::{Inventory, Pod};
use super::ports::{PortSet, Proto, PROTOS};

/// The bin directory of the project's venv, created on first use.
pub fn venv_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new("bash")
            .arg(root.join("scripts/venv.sh"))
            .output()
            .expect("run scripts/venv.sh");
        assert!(
            out.status.success(),
            "scripts/venv.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
    .clone()
}

fn yaml_list(items: Vec<serde_json::Value>) -> String {
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    serde_yaml::to_string(&list).unwrap()
}

pub fn write_inventory(dir: &Path, inv: &Inventory) -> (PathBuf, PathBuf) {
    let namespaces = inv
        .namespaces
        .iter()
        .map(|n| serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n.name, "labels": n.labels}}))
        .collect();
    let pods = inv
        .pods
        .iter()
        .map(|p| {
            let ports: Vec<serde_json::Value> = p
                .ports
                .iter()
                .map(|(name, (proto, n))| serde_json::json!({"name": name, "containerPort": n, "protocol": format!("{proto:?}").to_uppercase()}))
                .collect();
            serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": p.name, "namespace": p.namespace, "labels": p.labels},
                "spec": {"containers": [{"name": "main", "image": "example", "ports": ports}]},
            })
        })
        .collect();
    let ns_path = dir.join("namespaces.yaml");
    let pod_path = dir.join("pods.yaml");
    std::fs::write(&ns_path, yaml_list(namespaces)).unwrap();
    std::fs::write(&pod_path, yaml_list(pods)).unwrap();
    (ns_path, pod_path)
}

/// One line of nca's output: source, destination, connections.
pub struct Connection {
    pub src: String,
    pub dst: String,
    pub ports: PortSet,
}

/// `nca --connectivity` over the policies and inventory in `dir`.
pub fn connectivity(dir: &Path, policies: &Path, inv: &Inventory) -> Vec<Connection> {
    let (ns, pods) = write_inventory(dir, inv);
    let out = Command::new(venv_bin().join("nca"))
        .arg("--connectivity")
        .arg(policies)
        .arg("--ns_list")
        .arg(&ns)
        .arg("--pod_list")
        .arg(&pods)
        .args(["-o", "txt_no_fw_rules", "--output_endpoints", "pods"])
        .output()
        .expect("run nca");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() || stdout.contains(" => "),
        "nca failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.lines().filter_map(parse_line).collect()
}

/// `web/frontend => payments/api : {protocols:TCP,dst_ports:8080}`
fn parse_line(line: &str) -> Option<Connection> {
    let (pair, conns) = line.split_once(" : ")?;
    let (src, dst) = pair.split_once(" => ")?;
    Some(Connection {
        src: src.trim().to_string(),
        dst: dst.trim().to_string(),
        ports: parse_connections(conns.trim()),
    })
}

/// nca's connection text: `All connections`, or `{protocols:TCP, UDP,dst_ports:53}`
/// items joined by `;`.
pub fn parse_connections(text: &str) -> PortSet {
    if text.starts_with("All connections") {
        return PortSet::all();
    }
    if text.starts_with("No connections") {
        return PortSet::none();
    }
    let mut out = PortSet::none();
    for item in text.split(';') {
        let item = item.trim().trim_start_matches('{').trim_end_matches('}');
        let (protos_text, ports_text) = match item.split_once(",dst_ports:") {
            Some((p, d)) => (p, Some(d)),
            None => (item, None),
        };
        let protos: Vec<Proto> = protos_text
            .trim_start_matches("protocols:")
            .split(',')
            .filter_map(Proto::parse)
            .collect();
        assert!(
            !item.contains("src_ports") && !item.contains("hosts") && !item.contains("paths"),
            "unexpected nca connection attribute in `{text}`"
        );
        for p in protos {
            match ports_text {
                None => out.add(p, 1, 65535),
                Some(ranges) => {
                    for r in ranges.split(',') {
                        let r = r.trim();
                        let (a, b) = r.split_once('-').unwrap_or((r, r));
                        out.add(p, a.parse().unwrap(), b.parse().unwrap());
                    }
                }
            }
        }
    }
    let _ = PROTOS;
    out
}

/// nca's pod-to-pod matrix keyed by `namespace/pod` names.
pub fn pod_matrix(conns: &[Connection]) -> BTreeMap<(String, String), PortSet> {
    // nca prints one line per group of protocols: a pair may have several.
    let mut out: BTreeMap<(String, String), PortSet> = BTreeMap::new();
    for c in conns
        .iter()
        .filter(|c| c.src.contains('/') && c.dst.contains('/'))
    {
        let e = out.entry((c.src.clone(), c.dst.clone())).or_default();
        *e = e.union(&c.ports);
    }
    out
}

pub fn key(p: &Pod) -> String {
    format!("{}/{}", p.namespace, p.name)
}

/// Whether an nca endpoint text (`0.0.0.0-9.255.255.255,11.0.0.0-...` or an
/// address) contains `addr`.
pub fn ip_range_contains(text: &str, addr: std::net::IpAddr) -> bool {
    text.split(',').any(|part| {
        let part = part.trim();
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (Ok(a), Ok(b)) = (a.parse::<std::net::IpAddr>(), b.parse::<std::net::IpAddr>()) else {
            return false;
        };
        match (a, b, addr) {
            (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b), std::net::IpAddr::V4(x)) => {
                a <= x && x <= b
            }
            (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b), std::net::IpAddr::V6(x)) => {
                a <= x && x <= b
            }
            _ => false,
        }
    })
}
