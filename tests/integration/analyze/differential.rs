//! Differential test of `npc analyze`: random manifests (namespaces with
//! labels, workloads of every kind and shape of manifest, NetworkPolicies
//! with every selector and port form) are written to files for npc, and the
//! generator's own model of the pods they stand for goes to nca
//! (network-config-analyzer). Every ordered pair of workloads and every
//! (workload, external range) pair must agree.
//!
//! The generator decides what each workload's pods are; npc has to find the
//! same from the manifests (templates, `ownerReferences`, Lists), so the
//! reader is checked as much as the analysis.
//!
//! Environment: `NPC_ANALYZE_CASES` (default 300), `NPC_ANALYZE_SEED`
//! (default fixed), `NPC_SKIP_NCA=1` to skip. Cases are merged 20 to a run
//! of each tool (their namespaces are distinct, so they still connect to
//! each other where policies leave them open).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::time::Instant;

use crate::support::nca::{self, AddressDirection, Inventory, Namespace, PodDecl};
use crate::support::npc::{npc as run_npc, stderr};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::eval::{NamedPort, PortSet, Protocol};
use serde_json::{json, Value};

pub use crate::support::Rng;

const POD_LABELS: &[(&str, &[&str])] = &[
    ("app", &["web", "db", "api", "cache"]),
    ("tier", &["front", "back"]),
    ("env", &["prod", "dev"]),
];
const NS_LABELS: &[(&str, &[&str])] = &[("team", &["a", "b"]), ("env", &["prod", "dev"])];
const NAMED_PORTS: &[(&str, Protocol, u16)] = &[
    ("http", Protocol::Tcp, 80),
    ("http", Protocol::Tcp, 8080),
    ("http", Protocol::Udp, 80),
    ("dns", Protocol::Udp, 53),
    ("dns-tcp", Protocol::Tcp, 53),
    ("metrics", Protocol::Tcp, 9090),
    ("sig", Protocol::Sctp, 7000),
];
const PORT_NAMES: &[&str] = &["http", "dns", "metrics", "sig", "absent"];
const PORTS: &[u16] = &[53, 80, 443, 5432, 7000, 8080, 9090];
const IP_BLOCKS: &[(&str, &[&str])] = &[
    ("10.0.0.0/8", &["10.1.0.0/16"]),
    ("0.0.0.0/0", &["169.254.0.0/16", "10.0.0.0/8"]),
    ("172.16.0.0/12", &["172.16.5.0/24", "172.20.0.0/14"]),
    ("192.168.1.1/32", &[]),
    ("203.0.113.0/24", &["203.0.113.128/25"]),
    ("fd00::/8", &["fd00:1::/32"]),
    ("::/0", &["fd00::/8"]),
    ("2001:db8::/32", &["2001:db8:1::/48"]),
];

/// How a workload is written in the manifests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// Its own manifest with a pod template (Deployment, StatefulSet, ...).
    Template(&'static str),
    /// A bare Pod.
    Pod,
    /// Deployment + ReplicaSet + pods with `ownerReferences` (a cluster dump).
    DeploymentDump,
    /// StatefulSet + pods whose `statefulset.kubernetes.io/pod-name` differs.
    StatefulSetDump,
    /// Pods whose owner (a ReplicaSet) is not in the input.
    OrphanPods,
    /// CronJob + Job + pod.
    CronJobDump,
}

const TEMPLATE_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

/// A generated workload: what npc must report, and its pods.
#[derive(Clone, Debug)]
struct Workload {
    namespace: String,
    name: String,
    /// The kind npc reports.
    kind: String,
    form: Form,
    labels: BTreeMap<String, String>,
    ports: Vec<NamedPort>,
    host_network: bool,
}

impl Workload {
    fn key(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }

    /// The label sets of its pods, as the manifests give them.
    fn pod_labels(&self) -> Vec<BTreeMap<String, String>> {
        let with = |k: &str, v: &str| {
            let mut l = self.labels.clone();
            l.insert(k.into(), v.into());
            l
        };
        match self.form {
            Form::DeploymentDump => vec![with("pod-template-hash", "5d8f9c")],
            Form::StatefulSetDump => (0..2)
                .map(|i| {
                    with(
                        "statefulset.kubernetes.io/pod-name",
                        &format!("{}-{i}", self.name),
                    )
                })
                .collect(),
            Form::OrphanPods => vec![with("pod-template-hash", "77ab3")],
            Form::CronJobDump => vec![with("job-name", &format!("{}-1", self.name))],
            Form::Template(_) | Form::Pod => vec![self.labels.clone()],
        }
    }

    fn ports_json(&self) -> Vec<Value> {
        self.ports
            .iter()
            .map(|p| json!({"name": p.name, "containerPort": p.number, "protocol": p.protocol.as_str()}))
            .collect()
    }

    fn pod_spec(&self) -> Value {
        let mut spec = json!({"containers": [{"name": "main", "image": "registry.invalid/app", "ports": self.ports_json()}]});
        if self.host_network {
            spec["hostNetwork"] = json!(true);
        }
        spec
    }

    fn meta(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
        owner: Option<(&str, &str, &str)>,
    ) -> Value {
        let mut m = json!({"name": name, "namespace": self.namespace, "labels": labels, "uid": format!("uid-{}-{name}", self.namespace)});
        if let Some((api, kind, owner_name)) = owner {
            m["ownerReferences"] = json!([{"apiVersion": api, "kind": kind, "name": owner_name,
                "uid": format!("uid-{}-{owner_name}", self.namespace), "controller": true}]);
        }
        m
    }

    /// The objects that describe it.
    fn objects(&self) -> Vec<Value> {
        let template = |labels: &BTreeMap<String, String>| json!({"metadata": {"labels": labels}, "spec": self.pod_spec()});
        let pods = |owner: Option<(&str, &str, &str)>| -> Vec<Value> {
            self.pod_labels()
                .iter()
                .enumerate()
                .map(|(i, labels)| {
                    let name = match self.form {
                        Form::Pod => self.name.clone(),
                        _ => format!("{}-p{i}", self.name),
                    };
                    json!({"apiVersion": "v1", "kind": "Pod",
                           "metadata": self.meta(&name, labels, owner),
                           "spec": self.pod_spec(), "status": {"phase": "Running"}})
                })
                .collect()
        };
        let selector = json!({"matchLabels": {"gen": self.name}});
        match self.form {
            Form::Template(kind) => {
                let (api, spec) = match kind {
                    "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => (
                        "apps/v1",
                        json!({"selector": selector, "template": template(&self.labels)}),
                    ),
                    "Job" => ("batch/v1", json!({"template": template(&self.labels)})),
                    "CronJob" => (
                        "batch/v1",
                        json!({"schedule": "@daily", "jobTemplate": {"spec": {"template": template(&self.labels)}}}),
                    ),
                    _ => (
                        "v1",
                        json!({"selector": {"gen": self.name}, "template": template(&self.labels)}),
                    ),
                };
                vec![json!({"apiVersion": api, "kind": kind,
                            "metadata": {"name": self.name, "namespace": self.namespace}, "spec": spec})]
            }
            Form::Pod => pods(None),
            Form::DeploymentDump => {
                let rs = format!("{}-5d8f9c", self.name);
                let mut out = vec![
                    json!({"apiVersion": "apps/v1", "kind": "Deployment",
                           "metadata": self.meta(&self.name, &BTreeMap::new(), None),
                           "spec": {"selector": selector, "template": template(&self.labels)},
                           "status": {"replicas": 1}}),
                    json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                           "metadata": self.meta(&rs, &BTreeMap::new(), Some(("apps/v1", "Deployment", &self.name))),
                           "spec": {"selector": selector, "template": template(&self.pod_labels()[0])}}),
                ];
                out.extend(pods(Some(("apps/v1", "ReplicaSet", &rs))));
                out
            }
            Form::StatefulSetDump => {
                let mut out = vec![json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                    "metadata": self.meta(&self.name, &BTreeMap::new(), None),
                    "spec": {"selector": selector, "serviceName": self.name, "template": template(&self.labels)}})];
                out.extend(pods(Some(("apps/v1", "StatefulSet", &self.name))));
                out
            }
            Form::OrphanPods => pods(Some(("apps/v1", "ReplicaSet", &self.name))),
            Form::CronJobDump => {
                let job = format!("{}-1", self.name);
                let mut out = vec![
                    json!({"apiVersion": "batch/v1", "kind": "CronJob",
                           "metadata": self.meta(&self.name, &BTreeMap::new(), None),
                           "spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": template(&self.labels)}}}}),
                    json!({"apiVersion": "batch/v1", "kind": "Job",
                           "metadata": self.meta(&job, &BTreeMap::new(), Some(("batch/v1", "CronJob", &self.name))),
                           "spec": {"template": template(&self.pod_labels()[0])}}),
                ];
                out.extend(pods(Some(("batch/v1", "Job", &job))));
                // A finished pod of an earlier run: left out by both sides.
                out.push(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": self.meta(&format!("{}-done", self.name), &self.pod_labels()[0], Some(("batch/v1", "Job", &job))),
                    "spec": self.pod_spec(), "status": {"phase": "Succeeded"}}));
                out
            }
        }
    }
}

fn random_labels(
    rng: &mut Rng,
    vocab: &[(&str, &[&str])],
    percent: usize,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, vs) in vocab {
        if rng.chance(percent) {
            out.insert(k.to_string(), rng.pick(vs).to_string());
        }
    }
    out
}

/// A random selector; `key_ops` allows Exists/DoesNotExist.
fn selector(rng: &mut Rng, vocab: &[(&str, &[&str])], names: &[String], key_ops: bool) -> Value {
    let mut sel = serde_json::Map::new();
    if rng.chance(55) {
        let mut m = serde_json::Map::new();
        for _ in 0..1 + rng.below(2) {
            let (k, vs) = rng.pick(vocab);
            m.insert(k.to_string(), json!(rng.pick(vs)));
        }
        if !names.is_empty() && rng.chance(20) {
            m = serde_json::Map::new();
            m.insert("kubernetes.io/metadata.name".into(), json!(rng.pick(names)));
        }
        sel.insert("matchLabels".into(), Value::Object(m));
    }
    if rng.chance(30) {
        let mut exprs = Vec::new();
        for _ in 0..1 + rng.below(2) {
            let (k, vs) = rng.pick(vocab);
            let mut values: Vec<&str> = vs.iter().copied().filter(|_| rng.chance(60)).collect();
            if values.is_empty() {
                values.push(vs[0]);
            }
            exprs.push(match rng.below(if key_ops { 4 } else { 2 }) {
                0 => json!({"key": k, "operator": "In", "values": values}),
                1 => json!({"key": k, "operator": "NotIn", "values": values}),
                2 => json!({"key": k, "operator": "Exists"}),
                _ => json!({"key": k, "operator": "DoesNotExist"}),
            });
        }
        sel.insert("matchExpressions".into(), json!(exprs));
    }
    Value::Object(sel)
}

fn peer(rng: &mut Rng, ns_names: &[String]) -> Value {
    match rng.below(10) {
        0..=2 => json!({"podSelector": selector(rng, POD_LABELS, &[], true)}),
        3..=4 => json!({"namespaceSelector": selector(rng, NS_LABELS, ns_names, true)}),
        // nca 2.1.0 evaluates Exists/DoesNotExist of a peer's podSelector
        // in the policy's namespace only (eval_differential pins it).
        5..=7 => json!({"namespaceSelector": selector(rng, NS_LABELS, ns_names, true),
                        "podSelector": selector(rng, POD_LABELS, &[], false)}),
        _ => {
            let (cidr, except) = *rng.pick(IP_BLOCKS);
            if except.is_empty() || rng.chance(30) {
                json!({"ipBlock": {"cidr": cidr}})
            } else {
                json!({"ipBlock": {"cidr": cidr, "except": except}})
            }
        }
    }
}

fn port(rng: &mut Rng) -> Value {
    let mut p = serde_json::Map::new();
    match rng.below(10) {
        0..=3 => {
            p.insert("port".into(), json!(rng.pick(PORTS)));
        }
        4..=5 => {
            let start = *rng.pick(PORTS);
            p.insert("port".into(), json!(start));
            p.insert(
                "endPort".into(),
                json!(start + [0, 1, 100, 1000][rng.below(4)]),
            );
        }
        6..=8 => {
            p.insert("port".into(), json!(rng.pick(PORT_NAMES)));
        }
        _ => {}
    }
    if p.is_empty() || rng.chance(50) {
        p.insert("protocol".into(), json!(rng.pick(&["TCP", "UDP", "SCTP"])));
    }
    Value::Object(p)
}

fn rules(rng: &mut Rng, ns_names: &[String], field: &str) -> Value {
    let mut rules = Vec::new();
    for _ in 0..rng.below(3) + usize::from(rng.chance(70)) {
        let mut rule = serde_json::Map::new();
        match rng.below(10) {
            0 => {}
            1 => {
                rule.insert(field.into(), json!([]));
            }
            _ => {
                let peers: Vec<Value> =
                    (0..1 + rng.below(3)).map(|_| peer(rng, ns_names)).collect();
                rule.insert(field.into(), json!(peers));
            }
        }
        match rng.below(10) {
            0..=1 => {}
            2 => {
                rule.insert("ports".into(), json!([]));
            }
            _ => {
                let ports: Vec<Value> = (0..1 + rng.below(3)).map(|_| port(rng)).collect();
                rule.insert("ports".into(), json!(ports));
            }
        }
        rules.push(Value::Object(rule));
    }
    json!(rules)
}

fn policy(rng: &mut Rng, namespace: &str, ns_names: &[String], name: String) -> NetworkPolicy {
    let mut spec = serde_json::Map::new();
    spec.insert("podSelector".into(), selector(rng, POD_LABELS, &[], true));
    // Shapes nca 2.1.0 rejects or misreads are avoided (eval_differential
    // pins each): policyTypes out of order, a direction's rules without
    // its policy type, `egress: []` without policyTypes.
    let (types, ingress, egress) = match rng.below(6) {
        0 => (None, true, true),
        1 => (Some(json!(["Ingress"])), true, false),
        2 => (Some(json!(["Egress"])), false, true),
        _ => (Some(json!(["Ingress", "Egress"])), true, true),
    };
    if let Some(types) = &types {
        spec.insert("policyTypes".into(), types.clone());
    }
    if ingress && rng.chance(75) {
        spec.insert("ingress".into(), rules(rng, ns_names, "from"));
    }
    if egress && rng.chance(60) {
        let rules = rules(rng, ns_names, "to");
        if types.is_some() || rules.as_array().is_some_and(|r| !r.is_empty()) {
            spec.insert("egress".into(), rules);
        }
    }
    serde_json::from_value(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }))
    .unwrap()
}

/// One random input: namespaces (some declared, some only named), workloads, policies.
#[derive(Clone, Debug, Default)]
pub struct Case {
    namespaces: Vec<(Namespace, bool)>,
    workloads: Vec<Workload>,
    policies: Vec<NetworkPolicy>,
}

impl Case {
    pub fn random(rng: &mut Rng, case: usize) -> Case {
        let mut out = Case::default();
        let count = 2 + rng.below(2);
        let names: Vec<String> = (0..count).map(|n| format!("c{case}-n{n}")).collect();
        for name in &names {
            let declared = rng.chance(85);
            let labels = if declared {
                random_labels(rng, NS_LABELS, 60)
            } else {
                BTreeMap::new()
            };
            out.namespaces.push((
                Namespace {
                    name: name.clone(),
                    labels,
                },
                declared,
            ));
            for w in 0..1 + rng.below(3) {
                let form = match rng.below(12) {
                    0..=4 => Form::Template(TEMPLATE_KINDS[rng.below(TEMPLATE_KINDS.len())]),
                    5 => Form::Pod,
                    6..=7 => Form::DeploymentDump,
                    8 => Form::StatefulSetDump,
                    9 => Form::OrphanPods,
                    _ => Form::CronJobDump,
                };
                let kind = match form {
                    Form::Template(k) => k,
                    Form::Pod => "Pod",
                    Form::DeploymentDump => "Deployment",
                    Form::StatefulSetDump => "StatefulSet",
                    Form::OrphanPods => "ReplicaSet",
                    Form::CronJobDump => "CronJob",
                };
                let mut ports: Vec<NamedPort> = Vec::new();
                for _ in 0..rng.below(3) {
                    let (pname, protocol, number) = *rng.pick(NAMED_PORTS);
                    if !ports.iter().any(|x| x.name == pname) {
                        ports.push(NamedPort {
                            name: pname.into(),
                            protocol,
                            number,
                        });
                    }
                }
                out.workloads.push(Workload {
                    namespace: name.clone(),
                    name: format!("w{w}"),
                    kind: kind.into(),
                    form,
                    labels: random_labels(rng, POD_LABELS, 65),
                    ports,
                    host_network: rng.chance(4),
                });
            }
        }
        for i in 0..1 + rng.below(4) {
            let ns = rng.pick(&names).clone();
            out.policies
                .push(policy(rng, &ns, &names, format!("np{i}")));
        }
        out
    }

    /// The manifests, in one of several shapes, as files in `dir`.
    pub fn write(&self, rng: &mut Rng, dir: &Path, case: usize) {
        let mut objects: Vec<Value> = Vec::new();
        for (ns, declared) in &self.namespaces {
            if *declared {
                objects.push(json!({"apiVersion": "v1", "kind": "Namespace",
                                    "metadata": {"name": ns.name, "labels": ns.labels}}));
            }
        }
        for w in &self.workloads {
            objects.extend(w.objects());
        }
        for p in &self.policies {
            objects.push(serde_json::to_value(p).unwrap());
        }
        let yaml = |v: &Value| npc::k8s::yaml::to_string(&npc::k8s::yaml::Node::from_json(v));
        match rng.below(4) {
            // One document per object.
            0 => {
                let docs: Vec<String> = objects.iter().map(yaml).collect();
                std::fs::write(dir.join(format!("c{case}.yaml")), docs.join("---\n")).unwrap();
            }
            // A kubectl List.
            1 => {
                let list = json!({"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {"resourceVersion": ""}});
                std::fs::write(dir.join(format!("c{case}.yaml")), yaml(&list)).unwrap();
            }
            // JSON, in a subdirectory.
            2 => {
                let sub = dir.join(format!("c{case}"));
                std::fs::create_dir_all(&sub).unwrap();
                let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
                std::fs::write(
                    sub.join("all.json"),
                    serde_json::to_string_pretty(&list).unwrap(),
                )
                .unwrap();
            }
            // Typed lists whose items have no apiVersion/kind, plus the rest.
            _ => {
                let (policies, rest): (Vec<Value>, Vec<Value>) = objects
                    .into_iter()
                    .partition(|o| o["kind"] == "NetworkPolicy");
                let items: Vec<Value> = policies
                    .into_iter()
                    .map(|mut p| {
                        let m = p.as_object_mut().unwrap();
                        m.remove("apiVersion");
                        m.remove("kind");
                        p
                    })
                    .collect();
                let list = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": items});
                let mut docs = vec![yaml(&list)];
                docs.extend(rest.iter().map(yaml));
                std::fs::write(dir.join(format!("c{case}.yml")), docs.join("---\n")).unwrap();
            }
        }
    }
}

/// What both tools must agree on, per batch.
#[derive(Default)]
struct Counts {
    pairs: usize,
    allowed_pairs: usize,
    /// Pairs that allow some ports but not all.
    partial_pairs: usize,
    external: usize,
    disagreements: Vec<String>,
}

/// An address range and what a workload may do with it.
type AddressLine = (IpAddr, IpAddr, PortSet);

/// npc's JSON: workload pairs and external lines.
struct NpcResult {
    pairs: BTreeMap<(String, String), PortSet>,
    /// (workload key, towards the addresses) → [(first, last, ports)]
    external: BTreeMap<(String, bool), Vec<AddressLine>>,
    ranges: Vec<(IpAddr, IpAddr)>,
    host_network: BTreeSet<String>,
}

fn peer_key(v: &Value) -> Option<String> {
    (v["kind"] != "External").then(|| {
        format!(
            "{}/{}[{}]",
            v["namespace"].as_str().unwrap(),
            v["name"].as_str().unwrap(),
            v["kind"].as_str().unwrap()
        )
    })
}

/// A `conn` of npc's JSON as a port set.
pub fn conn(v: &Value) -> PortSet {
    if v == "all" {
        return PortSet::full();
    }
    let mut set = PortSet::empty();
    for (protocol, ranges) in v.as_object().unwrap() {
        let protocol = Protocol::parse(protocol).unwrap();
        for r in ranges.as_array().unwrap() {
            set.insert(
                protocol,
                r[0].as_u64().unwrap() as u16,
                r[1].as_u64().unwrap() as u16,
            );
        }
    }
    set
}

fn npc_result(json: &Value) -> NpcResult {
    let mut result = NpcResult {
        pairs: BTreeMap::new(),
        external: BTreeMap::new(),
        ranges: Vec::new(),
        host_network: json["host_network"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| peer_key(w).unwrap())
            .collect(),
    };
    for r in json["external"].as_array().unwrap() {
        result.ranges.push((
            r["first"].as_str().unwrap().parse().unwrap(),
            r["last"].as_str().unwrap().parse().unwrap(),
        ));
    }
    for c in json["connections"].as_array().unwrap() {
        let ports = conn(&c["conn"]);
        match (peer_key(&c["src"]), peer_key(&c["dst"])) {
            (Some(a), Some(b)) => {
                result.pairs.insert((a, b), ports);
            }
            (Some(w), None) | (None, Some(w)) => {
                let (direction, range) = if peer_key(&c["src"]).is_some() {
                    (AddressDirection::ToAddresses, &c["dst"])
                } else {
                    (AddressDirection::FromAddresses, &c["src"])
                };
                let first: IpAddr = range["first"].as_str().unwrap().parse().unwrap();
                let last: IpAddr = range["last"].as_str().unwrap().parse().unwrap();
                let outbound = direction == AddressDirection::ToAddresses;
                result
                    .external
                    .entry((w, outbound))
                    .or_default()
                    .push((first, last, ports));
            }
            (None, None) => panic!("an external-to-external line: {c}"),
        }
    }
    result
}

impl NpcResult {
    fn address_ports(&self, workload: &str, direction: AddressDirection, ip: IpAddr) -> PortSet {
        let mut set = PortSet::empty();
        let outbound = direction == AddressDirection::ToAddresses;
        for (first, last, ports) in self
            .external
            .get(&(workload.to_owned(), outbound))
            .into_iter()
            .flatten()
        {
            if first.is_ipv4() == ip.is_ipv4() && *first <= ip && ip <= *last {
                set.union_with(ports);
            }
        }
        set
    }
}

/// Runs both tools on some cases and compares them pair by pair.
fn compare(cases: &[(usize, Case)], seed: u64) -> Option<Counts> {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(seed ^ cases[0].0 as u64);
    let mut inventory = Inventory::default();
    let mut policies = Vec::new();
    // Pod name → workload key, for nca's pods.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut workloads: Vec<String> = Vec::new();
    let mut host: BTreeSet<String> = BTreeSet::new();
    for (k, case) in cases {
        case.write(&mut rng, dir.path(), *k);
        inventory
            .namespaces
            .extend(case.namespaces.iter().map(|(n, _)| n.clone()));
        policies.extend(case.policies.iter().cloned());
        for w in &case.workloads {
            if w.host_network {
                host.insert(w.key());
                continue;
            }
            workloads.push(w.key());
            for (i, labels) in w.pod_labels().into_iter().enumerate() {
                let pod = PodDecl {
                    namespace: w.namespace.clone(),
                    name: format!("{}-{}-{i}", w.name, w.kind.to_lowercase()),
                    labels,
                    ports: w.ports.clone(),
                };
                owner.insert(pod.key(), w.key());
                inventory.pods.push(pod);
            }
        }
    }
    let expected = nca::connectivity(&nca::policies_yaml(&policies), &inventory)?
        .unwrap_or_else(|e| panic!("{e}"));
    let out = run_npc(&[
        "analyze",
        dir.path().to_str().unwrap(),
        "-o",
        "json",
        "--ip-family",
        "dual",
    ]);
    assert!(out.status.success(), "npc analyze failed: {}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got = npc_result(&json);
    // Lint reads the same odd shapes: it must finish with findings only.
    let lint = run_npc(&["lint", dir.path().to_str().unwrap(), "-o", "json"]);
    assert_eq!(
        lint.status.code(),
        Some(0),
        "npc lint failed: {}",
        stderr(&lint)
    );
    let findings: Vec<Value> = serde_json::from_slice(&lint.stdout).unwrap();
    assert!(findings
        .iter()
        .all(|d| d["code"].as_str().is_some_and(|c| c.starts_with('L'))));
    let mut counts = Counts::default();
    let reported: BTreeSet<String> = json["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| peer_key(w).unwrap())
        .collect();
    let generated: BTreeSet<String> = workloads.iter().cloned().collect();
    if reported != generated {
        counts.disagreements.push(format!(
            "workloads: npc reports {:?} that were not generated, misses {:?}",
            reported.difference(&generated).collect::<Vec<_>>(),
            generated.difference(&reported).collect::<Vec<_>>()
        ));
    }
    if got.host_network != host {
        counts.disagreements.push(format!(
            "host-network workloads: npc {:?}, generated {host:?}",
            got.host_network
        ));
    }
    // nca's pod pairs, as workload pairs.
    let mut nca_pairs: BTreeMap<(String, String), PortSet> = BTreeMap::new();
    for ((a, b), ports) in &expected.pods {
        let (wa, wb) = (&owner[a], &owner[b]);
        if wa != wb {
            nca_pairs
                .entry((wa.clone(), wb.clone()))
                .or_insert_with(PortSet::empty)
                .union_with(ports);
        }
    }
    let none = PortSet::empty();
    for a in &workloads {
        for b in &workloads {
            if a == b {
                continue;
            }
            let key = (a.clone(), b.clone());
            let (mine, theirs) = (
                got.pairs.get(&key).unwrap_or(&none),
                nca_pairs.get(&key).unwrap_or(&none),
            );
            counts.pairs += 1;
            counts.allowed_pairs += usize::from(!mine.is_empty());
            counts.partial_pairs += usize::from(!mine.is_empty() && !mine.is_full());
            if mine != theirs {
                counts.disagreements.push(format!(
                    "{a} => {b}: npc allows {mine}, nca allows {theirs}"
                ));
            }
        }
    }
    for key in got.pairs.keys() {
        if !workloads.contains(&key.0) || !workloads.contains(&key.1) {
            counts
                .disagreements
                .push(format!("npc reports an unknown workload pair {key:?}"));
        }
    }
    // Addresses: at both ends of every range either tool draws.
    let mut probes: BTreeSet<IpAddr> = BTreeSet::new();
    for (first, last) in &got.ranges {
        probes.insert(*first);
        probes.insert(*last);
    }
    for line in &expected.addresses {
        probes.insert(line.first);
        probes.insert(line.last);
    }
    let mut pods_of: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (pod, w) in &owner {
        pods_of.entry(w.as_str()).or_default().push(pod.clone());
    }
    for w in &workloads {
        for &ip in &probes {
            for direction in [
                AddressDirection::FromAddresses,
                AddressDirection::ToAddresses,
            ] {
                let mut theirs = PortSet::empty();
                for pod in &pods_of[w.as_str()] {
                    theirs.union_with(&expected.address_ports(ip, direction, pod));
                }
                let mine = got.address_ports(w, direction, ip);
                counts.external += 1;
                if mine != theirs {
                    let line = match direction {
                        AddressDirection::FromAddresses => format!("{ip} => {w}"),
                        AddressDirection::ToAddresses => format!("{w} => {ip}"),
                    };
                    counts
                        .disagreements
                        .push(format!("{line}: npc allows {mine}, nca allows {theirs}"));
                }
            }
        }
    }
    Some(counts)
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const CASES_PER_RUN: usize = 20;

#[test]
fn random_manifests_agree_with_nca() {
    if nca::venv_bin().is_none() {
        return;
    }
    let seed = env_or("NPC_ANALYZE_SEED", 20_250_612);
    let count = env_or("NPC_ANALYZE_CASES", 300) as usize;
    let mut rng = Rng(seed);
    let cases: Vec<(usize, Case)> = (0..count).map(|k| (k, Case::random(&mut rng, k))).collect();
    let started = Instant::now();
    let batches: Vec<&[(usize, Case)]> = cases.chunks(CASES_PER_RUN).collect();
    // Two workers: the machine budget is two cores.
    let results: Vec<Counts> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let batches = &batches;
                scope.spawn(move || {
                    batches
                        .iter()
                        .skip(w)
                        .step_by(2)
                        .filter_map(|batch| compare(batch, seed))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let pairs: usize = results.iter().map(|c| c.pairs).sum();
    let allowed: usize = results.iter().map(|c| c.allowed_pairs).sum();
    let partial: usize = results.iter().map(|c| c.partial_pairs).sum();
    let external: usize = results.iter().map(|c| c.external).sum();
    let disagreements: Vec<&String> = results.iter().flat_map(|c| &c.disagreements).collect();
    let workloads: usize = cases.iter().map(|(_, c)| c.workloads.len()).sum();
    let policies: usize = cases.iter().map(|(_, c)| c.policies.len()).sum();
    eprintln!(
        "{count} random manifest sets (seed {seed}; {workloads} workloads, {policies} policies) in {} runs of each tool: {:.1?}; \
         {pairs} workload pairs compared ({allowed} allow something, {partial} of them only some ports), {external} (workload, address) checks, {} disagreements",
        batches.len(),
        started.elapsed(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "npc analyze and nca disagree (NPC_ANALYZE_SEED={seed}):\n{}",
        disagreements
            .iter()
            .take(40)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
