//! Runs the independent checkers from the project venv: `nca`
//! (network-config-analyzer) for connectivity maps, `kubernetes-validate` for
//! schema checks, and converts between their formats and `npc::eval`.
//!
//! The venv is created once per test binary by `scripts/venv.sh`. If that
//! fails, the tests fail loudly; set `NPC_SKIP_NCA=1` to skip them instead.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::eval::{NamedPort, Pod, PolicySet, PortSet, Protocol};
use serde_json::{json, Value};

/// A namespace and its labels (`kubernetes.io/metadata.name` is implied).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// A pod of the inventory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodDecl {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<NamedPort>,
}

impl PodDecl {
    /// `namespace/name`, as nca prints pods.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// Namespaces and pods to evaluate policies against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    pub namespaces: Vec<Namespace>,
    pub pods: Vec<PodDecl>,
}

/// Allowed ports per ordered pair of distinct pods (`namespace/name` keys);
/// pairs that allow nothing are absent.
pub type Matrix = BTreeMap<(String, String), PortSet>;

/// Which way an address line of nca's map goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressDirection {
    /// `addresses => pod`
    FromAddresses,
    /// `pod => addresses`
    ToAddresses,
}

/// One line of nca's map between an inclusive address range and a pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressLine {
    pub first: IpAddr,
    pub last: IpAddr,
    pub direction: AddressDirection,
    pub pod: String,
    pub ports: PortSet,
}

/// nca's connectivity map: pod pairs, and address ranges to or from pods.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Connectivity {
    pub pods: Matrix,
    pub addresses: Vec<AddressLine>,
}

impl Connectivity {
    /// What nca allows between an address and a pod (empty when no line
    /// covers the address).
    pub fn address_ports(&self, ip: IpAddr, direction: AddressDirection, pod: &str) -> PortSet {
        let mut set = PortSet::empty();
        for line in &self.addresses {
            let same_family = line.first.is_ipv4() == ip.is_ipv4();
            if line.direction == direction
                && line.pod == pod
                && same_family
                && line.first <= ip
                && ip <= line.last
            {
                set.union_with(&line.ports);
            }
        }
        set
    }
}

impl Inventory {
    /// The pods as evaluator endpoints, in inventory order.
    pub fn eval_pods(&self) -> Vec<Pod> {
        let ns_labels: BTreeMap<&str, &BTreeMap<String, String>> = self
            .namespaces
            .iter()
            .map(|n| (n.name.as_str(), &n.labels))
            .collect();
        self.pods
            .iter()
            .map(|p| Pod {
                namespace: p.namespace.clone(),
                namespace_labels: ns_labels
                    .get(p.namespace.as_str())
                    .map(|l| (*l).clone())
                    .unwrap_or_default(),
                labels: p.labels.clone(),
                ports: p.ports.clone(),
                ips: Vec::new(),
                address: None,
            })
            .collect()
    }

    /// `kind: List` of `Namespace` objects, for `nca --ns_list`.
    pub fn namespaces_yaml(&self) -> String {
        let items: Vec<Value> = self
            .namespaces
            .iter()
            .map(|n| {
                json!({"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": n.name, "labels": n.labels}})
            })
            .collect();
        to_yaml(&json!({"apiVersion": "v1", "kind": "List", "items": items}))
    }

    /// `kind: List` of `Pod` objects with named container ports, for `nca --pod_list`.
    pub fn pods_yaml(&self) -> String {
        let items: Vec<Value> = self
            .pods
            .iter()
            .map(|p| {
                let ports: Vec<Value> = p
                    .ports
                    .iter()
                    .map(|np| json!({"name": np.name, "containerPort": np.number, "protocol": np.protocol.as_str()}))
                    .collect();
                json!({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": p.name, "namespace": p.namespace, "labels": p.labels},
                       "spec": {"containers": [{"name": "main", "image": "registry.invalid/app", "ports": ports}]}})
            })
            .collect();
        to_yaml(&json!({"apiVersion": "v1", "kind": "List", "items": items}))
    }

    /// The evaluator's matrix in nca's shape: distinct pods, non-empty sets.
    pub fn npc_matrix(&self, set: &PolicySet) -> Matrix {
        let pods = self.eval_pods();
        let matrix = set.matrix(&pods);
        let mut out = Matrix::new();
        for (i, a) in self.pods.iter().enumerate() {
            for (j, b) in self.pods.iter().enumerate() {
                let ports = matrix.get(i, j);
                if i != j && !ports.is_empty() {
                    out.insert((a.key(), b.key()), ports.clone());
                }
            }
        }
        out
    }
}

/// The named ports and the numbered ports (inclusive ranges) of the
/// policies' rules, per protocol.
pub type PortUse = (
    BTreeSet<(String, Protocol)>,
    BTreeMap<Protocol, BTreeSet<(u16, u16)>>,
);

/// What [`probe_sets`] needs of NetworkPolicies.
pub fn port_use(policies: &[&[NetworkPolicy]]) -> PortUse {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let mut names: BTreeSet<(String, Protocol)> = BTreeSet::new();
    let mut numbered: BTreeMap<Protocol, BTreeSet<(u16, u16)>> = BTreeMap::new();
    for p in policies.iter().flat_map(|set| set.iter()) {
        let Some(spec) = &p.spec else { continue };
        let ingress = spec.ingress.iter().flatten().map(|r| &r.ports);
        let egress = spec.egress.iter().flatten().map(|r| &r.ports);
        for port in ingress.chain(egress).flatten().flatten() {
            let protocol = port
                .protocol
                .as_deref()
                .and_then(Protocol::parse)
                .unwrap_or(Protocol::Tcp);
            match &port.port {
                Some(IntOrString::String(name)) => {
                    names.insert((name.clone(), protocol));
                }
                Some(IntOrString::Int(n)) => {
                    let start = u16::try_from(*n).unwrap();
                    let end = port.end_port.map_or(start, |e| u16::try_from(e).unwrap());
                    numbered.entry(protocol).or_default().insert((start, end));
                }
                None => {}
            }
        }
    }
    (names, numbered)
}

/// Container-port declarations for probe pods of policies (see
/// [`probe_sets`]).
pub fn named_port_probes(policies: &[&[NetworkPolicy]]) -> Vec<Vec<NamedPort>> {
    let (names, numbered) = port_use(policies);
    probe_sets(&names, &numbered)
}

/// Container-port declarations for probe pods, chosen independently of
/// npc's regions (this is an oracle): every named port, declared inside and
/// outside every numbered port and range of its protocol: at numbers that
/// lie in every combination of those entries that a number can lie in
/// (found among each entry's first number, the number after its last, and
/// a number no entry contains: every stretch of numbers that no bound
/// crosses starts at one of them).
/// Every (name, number) appears in some set; a set never declares a name
/// twice (Kubernetes requires unique port names in a pod) nor two names on
/// one (protocol, number). Empty when there is no named port.
pub fn probe_sets(
    names: &BTreeSet<(String, Protocol)>,
    numbered: &BTreeMap<Protocol, BTreeSet<(u16, u16)>>,
) -> Vec<Vec<NamedPort>> {
    // Numbers that some entries contain and others do not: one for each
    // distinct set of entries containing it (a first number of an entry,
    // the number after its last, a number no entry contains).
    let numbers = |protocol: Protocol| -> Vec<u16> {
        let entries = numbered.get(&protocol).cloned().unwrap_or_default();
        let mut candidates: BTreeSet<u16> = BTreeSet::new();
        for &(start, end) in &entries {
            candidates.insert(start);
            candidates.extend(end.checked_add(1));
        }
        candidates.extend(
            (30_000..=u16::MAX)
                .chain(1..30_000)
                .find(|n| entries.iter().all(|(a, b)| !(a..=b).contains(&n))),
        );
        let mut seen: BTreeSet<Vec<(u16, u16)>> = BTreeSet::new();
        candidates
            .into_iter()
            .filter(|n| {
                let containing: Vec<(u16, u16)> = entries
                    .iter()
                    .filter(|(a, b)| (a..=b).contains(&n))
                    .copied()
                    .collect();
                seen.insert(containing)
            })
            .collect()
    };
    // Name i goes to set k at the (k + i)-th number, so that names of one
    // protocol share sets without sharing numbers.
    let mut sets: Vec<Vec<NamedPort>> = Vec::new();
    for (i, (name, protocol)) in names.iter().enumerate() {
        let numbers = numbers(*protocol);
        for k in 0..numbers.len() {
            let number = numbers[(k + i) % numbers.len()];
            let mut j = k;
            loop {
                if j >= sets.len() {
                    sets.resize(j + 1, Vec::new());
                }
                let set = &mut sets[j];
                let taken = set
                    .iter()
                    .any(|p| &p.name == name || (p.protocol == *protocol && p.number == number));
                if !taken {
                    set.push(NamedPort {
                        name: name.clone(),
                        protocol: *protocol,
                        number,
                    });
                    break;
                }
                j += 1;
            }
        }
    }
    sets.retain(|s| !s.is_empty());
    sets
}

/// `pods` each copied once per probe declaration set (named
/// `NAME-npK`), declaring that set instead of its own ports.
pub fn probe_copies(pods: &[PodDecl], probes: &[Vec<NamedPort>]) -> Vec<PodDecl> {
    let mut out = Vec::new();
    for pod in pods {
        for (k, ports) in probes.iter().enumerate() {
            out.push(PodDecl {
                name: format!("{}-np{k}", pod.name),
                ports: ports.clone(),
                ..pod.clone()
            });
        }
    }
    out
}

/// Whether `ports`, allowed towards `dst` (`None`: an address), satisfy
/// an `expect` line; `None` when `dst` does not declare a named port the
/// line asks about (the line is not about that pod).
pub fn expectation_holds(
    e: &npc::ir::Expectation,
    ports: &PortSet,
    dst: Option<&PodDecl>,
) -> Option<bool> {
    use npc::ir::{PortNumber, Ports};
    match &e.ports {
        None | Some(Ports::All) => Some(if e.allow {
            ports.is_full()
        } else {
            ports.is_empty()
        }),
        Some(Ports::Only(set)) => {
            let mut all = true;
            for p in set {
                let pr = p.protocol;
                let ok = match &p.number {
                    PortNumber::Single(n) => ports.contains(pr, *n) == e.allow,
                    PortNumber::Range(a, b) => (*a..=*b).all(|n| ports.contains(pr, n) == e.allow),
                    PortNumber::Named(name) => {
                        let cp = dst?
                            .ports
                            .iter()
                            .find(|cp| &cp.name == name && cp.protocol == pr)?;
                        ports.contains(pr, cp.number) == e.allow
                    }
                };
                all &= ok;
            }
            Some(all)
        }
    }
}

/// The pod-to-pod pairs of the inventory that an `expect` line of the
/// program covers and a connectivity map (nca's, or the evaluator's in its
/// shape) contradicts (at most `limit` named).
pub fn expectation_failures(
    program: &npc::ir::Program,
    inv: &Inventory,
    conn: &Connectivity,
    limit: usize,
) -> Vec<String> {
    use npc::ir::Peer;
    let covers = |peers: &[Peer], pod: &PodDecl| {
        let labels = inv
            .namespaces
            .iter()
            .find(|n| n.name == pod.namespace)
            .map(|n| {
                let mut l = n.labels.clone();
                l.insert(npc::k8s::NAMESPACE_NAME_LABEL.to_string(), n.name.clone());
                l
            })
            .unwrap_or_default();
        peers.iter().any(|peer| match peer {
            Peer::Pods { namespaces, pods } => {
                namespaces.covers(&pod.namespace, &labels) && pods.matches(&pod.labels)
            }
            Peer::Ip(_) | Peer::Name(_) => false,
        })
    };
    let mut out = Vec::new();
    for e in &program.expectations {
        for p in inv.pods.iter().filter(|p| covers(&e.sources, p)) {
            for q in inv.pods.iter().filter(|q| covers(&e.destinations, q)) {
                if p.key() == q.key() {
                    continue;
                }
                let ports = conn
                    .pods
                    .get(&(p.key(), q.key()))
                    .cloned()
                    .unwrap_or_default();
                if expectation_holds(e, &ports, Some(q)) == Some(false) && out.len() < limit {
                    out.push(format!(
                        "`expect {}` at byte {}: {ports} allowed from {} to {} (declaring {:?})",
                        if e.allow { "allow" } else { "deny" },
                        e.span.start(),
                        p.key(),
                        q.key(),
                        q.ports
                    ));
                }
            }
        }
    }
    out
}

/// YAML that YAML 1.1 readers (nca uses PyYAML) read back as written.
fn to_yaml(value: &Value) -> String {
    npc::k8s::yaml::to_string(&npc::k8s::yaml::Node::from_json(value))
}

/// Policies as a multi-document YAML stream.
pub fn policies_yaml(policies: &[NetworkPolicy]) -> String {
    policies
        .iter()
        .map(|p| to_yaml(&serde_json::to_value(p).unwrap()))
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Whether nca tests are skipped (`NPC_SKIP_NCA=1`).
pub fn skipped() -> bool {
    std::env::var("NPC_SKIP_NCA").is_ok_and(|v| v == "1")
}

/// The venv's bin directory, created on first use. `None` when skipped;
/// panics when the venv cannot be created.
pub fn venv_bin() -> Option<&'static Path> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    if skipped() {
        eprintln!("NPC_SKIP_NCA=1: skipping checks against nca / kubernetes-validate");
        return None;
    }
    let bin = BIN.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/venv.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed ({}):\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Ok(PathBuf::from(path))
    });
    match bin {
        Ok(path) => Some(path.as_path()),
        Err(e) => {
            panic!("the nca venv is not available (set NPC_SKIP_NCA=1 to skip these tests): {e}")
        }
    }
}

/// Runs `nca --connectivity` on the policies (multi-document YAML) and the
/// inventory; `None` when skipped.
pub fn connectivity(
    policies_yaml: &str,
    inventory: &Inventory,
) -> Option<Result<Connectivity, String>> {
    let bin = venv_bin()?;
    Some(run_connectivity(bin, policies_yaml, inventory))
}

fn run_connectivity(
    bin: &Path,
    policies_yaml: &str,
    inventory: &Inventory,
) -> Result<Connectivity, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let write = |name: &str, text: &str| -> Result<PathBuf, String> {
        let path = dir.path().join(name);
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        Ok(path)
    };
    let policies = write("policies.yaml", policies_yaml)?;
    let namespaces = write("namespaces.yaml", &inventory.namespaces_yaml())?;
    let pods = write("pods.yaml", &inventory.pods_yaml())?;
    let out = Command::new(bin.join("nca"))
        .arg("--connectivity")
        .arg(&policies)
        .arg("--ns_list")
        .arg(&namespaces)
        .arg("--pod_list")
        .arg(&pods)
        .args([
            "-o",
            "txt_no_fw_rules",
            "--output_endpoints",
            "pods",
            "--print_ipv6",
        ])
        .output()
        .map_err(|e| format!("cannot run nca: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reported_error = stdout
        .lines()
        .chain(stderr.lines())
        .any(|l| l.starts_with("Error"));
    if !out.status.success() || reported_error {
        return Err(format!("nca failed ({}):\n{stdout}\n{stderr}", out.status));
    }
    let known: BTreeSet<String> = inventory.pods.iter().map(PodDecl::key).collect();
    parse_connectivity(&stdout, &known)
}

/// Parses nca's `txt_no_fw_rules` connectivity map: lines `src => dst : conns`
/// where an endpoint is a known pod (`namespace/name`) or an address range
/// (`first-last` or one address). A pod not in `known` is an error. A pair
/// may appear on several lines (their union counts).
pub fn parse_connectivity(text: &str, known: &BTreeSet<String>) -> Result<Connectivity, String> {
    let mut map = Connectivity::default();
    for line in text.lines() {
        let Some((src, rest)) = line.split_once(" => ") else {
            continue;
        };
        let Some((dst, conns)) = rest.split_once(" : ") else {
            return Err(format!("unexpected nca line `{line}`"));
        };
        let ports = parse_connections(conns)?;
        if ports.is_empty() {
            continue;
        }
        match (known.contains(src), known.contains(dst)) {
            (true, true) => map
                .pods
                .entry((src.to_owned(), dst.to_owned()))
                .or_insert_with(PortSet::empty)
                .union_with(&ports),
            (false, true) | (true, false) => {
                let (range, pod, direction) = if known.contains(dst) {
                    (src, dst, AddressDirection::FromAddresses)
                } else {
                    (dst, src, AddressDirection::ToAddresses)
                };
                for part in range.split(',') {
                    let (first, last) = parse_address_range(part)
                        .ok_or_else(|| format!("unknown endpoint `{part}` in nca line `{line}`"))?;
                    map.addresses.push(AddressLine {
                        first,
                        last,
                        direction,
                        pod: pod.to_owned(),
                        ports: ports.clone(),
                    });
                }
            }
            (false, false) => return Err(format!("no known pod in nca line `{line}`")),
        }
    }
    Ok(map)
}

/// `10.0.0.0-10.0.255.255`, `192.168.1.1` or `fd00::-fdff::` (IPv6 has `-`
/// only as the range separator too).
fn parse_address_range(text: &str) -> Option<(IpAddr, IpAddr)> {
    let text = text.trim();
    if let Some((first, last)) = text.split_once('-') {
        let (first, last): (IpAddr, IpAddr) = (first.parse().ok()?, last.parse().ok()?);
        return (first.is_ipv4() == last.is_ipv4()).then_some((first, last));
    }
    if let Some((network, _)) = text.split_once('/') {
        // A CIDR: only whole-space blocks are expected here.
        let first: IpAddr = network.parse().ok()?;
        let cidr_last = match first {
            IpAddr::V4(_) => IpAddr::from([255, 255, 255, 255]),
            IpAddr::V6(_) => IpAddr::from([0xffff_u16; 8]),
        };
        return (text == "0.0.0.0/0" || text == "::/0").then_some((first, cidr_last));
    }
    let ip: IpAddr = text.parse().ok()?;
    Some((ip, ip))
}

/// Parses nca's connection-set text: `All connections`, `No connections`,
/// `{protocols:TCP, UDP,dst_ports:80,90-99},{...}`, or `All but {...}`.
/// Only TCP, UDP and SCTP are kept.
pub fn parse_connections(text: &str) -> Result<PortSet, String> {
    let text = text.trim();
    match text {
        "All connections" => return Ok(PortSet::full()),
        "No connections" => return Ok(PortSet::empty()),
        _ => {}
    }
    if let Some(rest) = text.strip_prefix("All but ") {
        return Ok(parse_cubes(rest)?.complement());
    }
    parse_cubes(text)
}

fn parse_cubes(text: &str) -> Result<PortSet, String> {
    let mut set = PortSet::empty();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let body_end = rest
            .find('}')
            .ok_or_else(|| format!("unterminated `{{` in `{text}`"))?;
        let body = rest
            .strip_prefix('{')
            .and_then(|r| r.get(..body_end - 1))
            .ok_or_else(|| format!("expected `{{` in `{text}`"))?;
        set.union_with(&parse_cube(body)?);
        rest = rest[body_end + 1..].trim_start_matches(',').trim();
    }
    Ok(set)
}

/// One cube: `key:value` items separated by `,`; values may contain `,`
/// themselves (protocol lists use `, `, port lists use `,`).
fn parse_cube(body: &str) -> Result<PortSet, String> {
    let mut items: Vec<(String, String)> = Vec::new();
    for part in body.split(',') {
        let key = part
            .split_once(':')
            .map(|(k, _)| k)
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        match (key, items.last_mut()) {
            (Some(k), _) => items.push((k.to_owned(), part[k.len() + 1..].to_owned())),
            (None, Some(last)) => {
                last.1.push(',');
                last.1.push_str(part);
            }
            (None, None) => return Err(format!("unexpected cube `{{{body}}}`")),
        }
    }
    let mut protocols: Vec<Protocol> = Protocol::ALL.to_vec();
    let mut ports: Option<Vec<(u16, u16)>> = None;
    for (key, value) in &items {
        match key.as_str() {
            "protocols" => protocols = parse_protocols(value),
            "dst_ports" => {
                let mut ranges = Vec::new();
                for r in value.split(',') {
                    let r = r.trim();
                    let (a, b) = r.split_once('-').unwrap_or((r, r));
                    let a: u16 = a
                        .parse()
                        .map_err(|_| format!("bad port `{r}` in `{{{body}}}`"))?;
                    let b: u16 = b
                        .parse()
                        .map_err(|_| format!("bad port `{r}` in `{{{body}}}`"))?;
                    ranges.push((a, b));
                }
                ports = Some(ranges);
            }
            other => {
                return Err(format!(
                    "unsupported connection property `{other}` in `{{{body}}}`"
                ))
            }
        }
    }
    let mut set = PortSet::empty();
    for protocol in protocols {
        match &ports {
            None => set.union_with(&PortSet::all_of(protocol)),
            Some(ranges) => ranges
                .iter()
                .for_each(|(a, b)| set.insert(protocol, *a, *b)),
        }
    }
    Ok(set)
}

/// `TCP, UDP`, `all but ICMP, SCTP`, or `*`; unmodelled protocols are dropped.
fn parse_protocols(value: &str) -> Vec<Protocol> {
    let value = value.trim();
    if value == "*" {
        return Protocol::ALL.to_vec();
    }
    let (negated, list) = match value.strip_prefix("all but ") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let named: Vec<Protocol> = list
        .split(',')
        .filter_map(|p| Protocol::parse(p.trim()))
        .collect();
    Protocol::ALL
        .into_iter()
        .filter(|p| named.contains(p) != negated)
        .collect()
}

/// Human-readable differences between two matrices (empty when equal).
pub fn diff(npc: &Matrix, nca: &Matrix) -> Vec<String> {
    let keys: BTreeSet<&(String, String)> = npc.keys().chain(nca.keys()).collect();
    let none = PortSet::empty();
    keys.into_iter()
        .filter_map(|k| {
            let (a, b) = (npc.get(k).unwrap_or(&none), nca.get(k).unwrap_or(&none));
            (a != b).then(|| format!("{} => {}: npc allows {a}, nca allows {b}", k.0, k.1))
        })
        .collect()
}

/// Validates YAML (one or more documents) with `kubernetes-validate --strict`
/// against Kubernetes 1.33; `None` when skipped.
pub fn validate_strict(yaml: &str) -> Option<Result<(), String>> {
    let bin = venv_bin()?;
    Some((|| {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("objects.yaml");
        std::fs::write(&path, yaml).map_err(|e| e.to_string())?;
        let out = Command::new(bin.join("kubernetes-validate"))
            .args(["--strict", "--quiet", "-k", "1.33.0"])
            .arg(&path)
            .output()
            .map_err(|e| format!("cannot run kubernetes-validate: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    })())
}
