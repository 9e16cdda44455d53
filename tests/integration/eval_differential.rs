//! Differential test: the evaluator's pod-to-pod `allowed_ports` matrix against
//! nca (network-config-analyzer) on random inventories and policies, plus a
//! replay of every disagreement ever found (`tests/eval_regressions/`).
//!
//! Environment: `NPC_EVAL_SEED` (default fixed), `NPC_EVAL_CASES` (default
//! 300), `NPC_SKIP_NCA=1` to skip.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::support::nca::{self, AddressDirection, Inventory, Namespace, PodDecl};
use crate::support::Rng;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::eval::{Endpoint, NamedPort, PolicySet, Protocol};
use serde::Deserialize;
use serde_json::{json, Value};

const POD_LABELS: &[(&str, &[&str])] = &[
    ("app", &["web", "db", "api"]),
    ("tier", &["front", "back"]),
    ("env", &["prod", "dev"]),
];
const NS_LABELS: &[(&str, &[&str])] = &[("team", &["a", "b"]), ("env", &["prod", "dev"])];
/// Named ports a pod may declare (one entry per name at most).
const NAMED_PORTS: &[(&str, Protocol, u16)] = &[
    ("http", Protocol::Tcp, 80),
    ("http", Protocol::Tcp, 8080),
    ("http", Protocol::Udp, 80),
    ("dns", Protocol::Udp, 53),
    ("dns", Protocol::Tcp, 53),
    ("metrics", Protocol::Tcp, 9090),
    ("sig", Protocol::Sctp, 7000),
];
const PORT_NAMES: &[&str] = &["http", "dns", "metrics", "sig", "absent"];
const PORTS: &[u16] = &[53, 80, 443, 7000, 8080, 9090];
/// ipBlocks (cidr, except) the generator uses; their bounds are the probes.
const IP_BLOCKS: &[(&str, &[&str])] = &[
    ("10.0.0.0/8", &["10.1.0.0/16"]),
    ("0.0.0.0/0", &["169.254.0.0/16", "10.0.0.0/8"]),
    ("172.16.0.0/12", &["172.16.5.0/24", "172.20.0.0/14"]),
    ("192.168.1.1/32", &[]),
    ("fd00::/8", &["fd00:1::/32"]),
    ("::/0", &["fd00::/8"]),
    ("2001:db8::/32", &["2001:db8:1::/48"]),
    ("::ffff:0:0/96", &[]),
];

/// Addresses at and around the bounds of every generated block.
fn probe_addresses() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = vec![
        "8.8.8.8".parse().unwrap(),
        "::ffff:10.0.0.1".parse().unwrap(),
    ];
    for (cidr, except) in IP_BLOCKS {
        for block in std::iter::once(cidr).chain(except.iter()) {
            let (addr, prefix) = block.split_once('/').unwrap();
            let prefix: u32 = prefix.parse().unwrap();
            match addr.parse::<IpAddr>().unwrap() {
                IpAddr::V4(a) => {
                    let first = u32::from(a);
                    let last = first | u32::MAX.checked_shr(prefix).unwrap_or(0);
                    for x in [
                        first.checked_sub(1),
                        Some(first),
                        Some(last),
                        last.checked_add(1),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        out.push(IpAddr::V4(x.into()));
                    }
                }
                IpAddr::V6(a) => {
                    let first = u128::from(a);
                    let last = first | u128::MAX.checked_shr(prefix).unwrap_or(0);
                    for x in [
                        first.checked_sub(1),
                        Some(first),
                        Some(last),
                        last.checked_add(1),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        out.push(IpAddr::V6(x.into()));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn labels(rng: &mut Rng, vocab: &[(&str, &[&str])]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, vs) in vocab {
        if rng.chance(60) {
            out.insert(k.to_string(), rng.pick(vs).to_string());
        }
    }
    out
}

fn inventory(rng: &mut Rng, case: usize) -> Inventory {
    let mut inv = Inventory::default();
    for n in 0..2 + rng.below(2) {
        let name = format!("c{case}-n{n}");
        inv.namespaces.push(Namespace {
            name: name.clone(),
            labels: labels(rng, NS_LABELS),
        });
        for p in 0..1 + rng.below(3) {
            let mut ports: Vec<NamedPort> = Vec::new();
            for _ in 0..rng.below(3) {
                let (pname, protocol, number) = *rng.pick(NAMED_PORTS);
                if !ports.iter().any(|x| x.name == pname) {
                    ports.push(NamedPort {
                        name: pname.to_owned(),
                        protocol,
                        number,
                    });
                }
            }
            inv.pods.push(PodDecl {
                namespace: name.clone(),
                name: format!("p{p}"),
                labels: labels(rng, POD_LABELS),
                ports,
            });
        }
    }
    inv
}

/// A random label selector. `key_ops` allows Exists/DoesNotExist.
fn selector(rng: &mut Rng, vocab: &[(&str, &[&str])], names: &[String], key_ops: bool) -> Value {
    let mut sel = serde_json::Map::new();
    if rng.chance(50) {
        let mut m = serde_json::Map::new();
        for _ in 0..1 + rng.below(2) {
            let (k, vs) = rng.pick(vocab);
            m.insert(k.to_string(), json!(rng.pick(vs)));
        }
        if !names.is_empty() && rng.chance(15) {
            m = serde_json::Map::new();
            m.insert("kubernetes.io/metadata.name".into(), json!(rng.pick(names)));
        }
        sel.insert("matchLabels".into(), Value::Object(m));
    }
    if rng.chance(35) {
        let mut exprs = Vec::new();
        for _ in 0..1 + rng.below(2) {
            let (k, vs) = rng.pick(vocab);
            let values: Vec<&str> = vs.iter().copied().filter(|_| rng.chance(60)).collect();
            let values = if values.is_empty() {
                vec![vs[0]]
            } else {
                values
            };
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
        3..=5 => json!({"namespaceSelector": selector(rng, NS_LABELS, ns_names, true)}),
        // nca evaluates Exists/DoesNotExist of a peer's podSelector in the
        // policy's namespace only, whatever its namespaceSelector: see
        // `nca_evaluates_key_operators_in_the_policy_namespace_only`.
        6..=8 => {
            json!({"namespaceSelector": selector(rng, NS_LABELS, ns_names, true), "podSelector": selector(rng, POD_LABELS, &[], false)})
        }
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
            let end = start + [0, 1, 100, 1000][rng.below(4)];
            p.insert("port".into(), json!(start));
            p.insert("endPort".into(), json!(end));
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

fn rules(rng: &mut Rng, ns_names: &[String], peers_field: &str) -> Value {
    let mut rules = Vec::new();
    for _ in 0..rng.below(3) + usize::from(rng.chance(70)) {
        let mut rule = serde_json::Map::new();
        match rng.below(10) {
            0 => {}
            1 => {
                rule.insert(peers_field.into(), json!([]));
            }
            _ => {
                let peers: Vec<Value> =
                    (0..1 + rng.below(3)).map(|_| peer(rng, ns_names)).collect();
                rule.insert(peers_field.into(), json!(peers));
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

fn policy(rng: &mut Rng, inv: &Inventory, case: usize, index: usize) -> NetworkPolicy {
    let ns_names: Vec<String> = inv.namespaces.iter().map(|n| n.name.clone()).collect();
    let namespace = rng.pick(&ns_names).clone();
    let mut spec = serde_json::Map::new();
    spec.insert("podSelector".into(), selector(rng, POD_LABELS, &[], true));
    // nca rejects policyTypes in any order but [Ingress, Egress], and an
    // `ingress`/`egress` field whose direction policyTypes leaves out: see
    // the `nca_rejects_*` tests. The generator avoids both shapes.
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
        spec.insert("ingress".into(), rules(rng, &ns_names, "from"));
    }
    if egress && rng.chance(60) {
        let rules = rules(rng, &ns_names, "to");
        // Without policyTypes, nca isolates egress for `egress: []`: see
        // `nca_isolates_egress_for_an_empty_egress_list`.
        if types.is_some() || rules.as_array().is_some_and(|r| !r.is_empty()) {
            spec.insert("egress".into(), rules);
        }
    }
    let value = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": format!("c{case}-np{index}"), "namespace": namespace},
        "spec": spec,
    });
    serde_json::from_value(value).unwrap()
}

/// One independent case: its own namespaces, pods and policies.
#[derive(Clone, Debug, Default)]
struct Case {
    inventory: Inventory,
    policies: Vec<NetworkPolicy>,
}

impl Case {
    fn random(rng: &mut Rng, case: usize) -> Case {
        let inventory = inventory(rng, case);
        let policies = (0..1 + rng.below(4))
            .map(|i| policy(rng, &inventory, case, i))
            .collect();
        Case {
            inventory,
            policies,
        }
    }

    fn merge(cases: &[&Case]) -> Case {
        let mut out = Case::default();
        for c in cases {
            out.inventory
                .namespaces
                .extend(c.inventory.namespaces.iter().cloned());
            out.inventory.pods.extend(c.inventory.pods.iter().cloned());
            out.policies.extend(c.policies.iter().cloned());
        }
        out
    }

    /// Namespaces, pods and policies as one multi-document YAML file.
    fn to_yaml(&self, header: &str) -> String {
        let mut docs = vec![header.to_owned()];
        for n in &self.inventory.namespaces {
            docs.push(nca_yaml(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n.name, "labels": n.labels}})));
        }
        for p in &self.inventory.pods {
            let ports: Vec<Value> = p.ports.iter().map(|np| json!({"name": np.name, "containerPort": np.number, "protocol": np.protocol.as_str()})).collect();
            docs.push(nca_yaml(&json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": p.name, "namespace": p.namespace, "labels": p.labels},
                "spec": {"containers": [{"name": "main", "image": "registry.invalid/app", "ports": ports}]}})));
        }
        docs.push(nca::policies_yaml(&self.policies));
        docs.join("---\n")
    }

    fn from_yaml(text: &str) -> Case {
        let mut case = Case::default();
        for doc in serde_yaml::Deserializer::from_str(text) {
            let value = Value::deserialize(doc).unwrap();
            if value.is_null() {
                continue;
            }
            let meta = &value["metadata"];
            let labels = |v: &Value| -> BTreeMap<String, String> {
                serde_json::from_value(v.clone()).unwrap_or_default()
            };
            match value["kind"].as_str() {
                Some("Namespace") => case.inventory.namespaces.push(Namespace {
                    name: meta["name"].as_str().unwrap().into(),
                    labels: labels(&meta["labels"]),
                }),
                Some("Pod") => {
                    let ports = value["spec"]["containers"][0]["ports"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    case.inventory.pods.push(PodDecl {
                        namespace: meta["namespace"].as_str().unwrap().into(),
                        name: meta["name"].as_str().unwrap().into(),
                        labels: labels(&meta["labels"]),
                        ports: ports
                            .iter()
                            .map(|p| NamedPort {
                                name: p["name"].as_str().unwrap().into(),
                                protocol: Protocol::parse(p["protocol"].as_str().unwrap_or("TCP"))
                                    .unwrap(),
                                number: p["containerPort"].as_u64().unwrap() as u16,
                            })
                            .collect(),
                    });
                }
                Some("NetworkPolicy") => case.policies.push(serde_json::from_value(value).unwrap()),
                other => panic!("unexpected kind {other:?}"),
            }
        }
        case
    }

    /// The differences between npc and nca on this case.
    fn compare(&self) -> Option<Vec<String>> {
        self.compare_with_stats().map(|(diffs, _)| diffs)
    }

    /// The differences, and how many distinct-pod pairs npc allows
    /// everything, something, or nothing (to see that cases are not trivial).
    fn compare_with_stats(&self) -> Option<(Vec<String>, [usize; 3])> {
        let set = PolicySet::new(self.policies.clone())
            .unwrap_or_else(|e| panic!("generated an invalid policy: {e}"));
        let expected = nca::connectivity(&nca::policies_yaml(&self.policies), &self.inventory)?;
        let expected = expected.unwrap_or_else(|e| panic!("{e}"));
        let npc = self.inventory.npc_matrix(&set);
        let pods = self.inventory.pods.len();
        let full = npc.values().filter(|p| p.is_full()).count();
        let stats = [full, npc.len() - full, pods * (pods - 1) - npc.len()];
        let mut diffs = nca::diff(&npc, &expected.pods);
        // Addresses: ipBlocks only match Endpoint::Ip, on both engines.
        for (decl, pod) in self.inventory.pods.iter().zip(self.inventory.eval_pods()) {
            let pod = Endpoint::Pod(pod);
            let key = decl.key();
            for ip in probe_addresses() {
                let addr = Endpoint::Ip(ip);
                for (direction, npc_ports, line) in [
                    (
                        AddressDirection::FromAddresses,
                        set.allowed_ports(&addr, &pod),
                        format!("{ip} => {key}"),
                    ),
                    (
                        AddressDirection::ToAddresses,
                        set.allowed_ports(&pod, &addr),
                        format!("{key} => {ip}"),
                    ),
                ] {
                    let nca_ports = expected.address_ports(ip, direction, &key);
                    if npc_ports != nca_ports {
                        diffs.push(format!(
                            "{line}: npc allows {npc_ports}, nca allows {nca_ports}"
                        ));
                    }
                }
            }
        }
        Some((diffs, stats))
    }
}

fn nca_yaml(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap()
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval_regressions")
}

/// The case (`c<k>-...`) a namespace or `ns/pod` key belongs to;
/// `None` for an address.
fn case_of(key: &str) -> Option<usize> {
    key.strip_prefix('c')?.split('-').next()?.parse().ok()
}

const CASES_PER_RUN: usize = 25;

#[test]
fn random_policies_agree_with_nca() {
    if nca::venv_bin().is_none() {
        return;
    }
    let seed = env_or("NPC_EVAL_SEED", 20_250_601);
    let count = env_or("NPC_EVAL_CASES", 300) as usize;
    let mut rng = Rng(seed);
    let cases: Vec<Case> = (0..count).map(|k| Case::random(&mut rng, k)).collect();
    let started = Instant::now();
    let batches: Vec<Vec<usize>> = (0..count)
        .collect::<Vec<_>>()
        .chunks(CASES_PER_RUN)
        .map(<[usize]>::to_vec)
        .collect();
    // Two workers: the machine budget is two cores.
    let results: Vec<(Vec<String>, [usize; 3])> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let (batches, cases) = (&batches, &cases);
                scope.spawn(move || {
                    batches
                        .iter()
                        .skip(w)
                        .step_by(2)
                        .map(|batch| {
                            let merged =
                                Case::merge(&batch.iter().map(|&k| &cases[k]).collect::<Vec<_>>());
                            merged.compare_with_stats().unwrap_or_default()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut failures = Vec::new();
    let mut by_cases: BTreeMap<Vec<usize>, Vec<String>> = BTreeMap::new();
    let mut stats = [0; 3];
    for (diffs, batch_stats) in &results {
        for (total, n) in stats.iter_mut().zip(batch_stats) {
            *total += n;
        }
        for line in diffs {
            let (src, rest) = line.split_once(" => ").unwrap();
            let dst = rest.split(": ").next().unwrap();
            let mut involved: Vec<usize> = [src, dst].into_iter().filter_map(case_of).collect();
            involved.dedup();
            by_cases.entry(involved).or_default().push(line.clone());
        }
    }
    // One regression file per set of involved cases, named by its content so
    // that a changed generator never overwrites an older file.
    for (involved, lines) in &by_cases {
        let case = Case::merge(&involved.iter().map(|&k| &cases[k]).collect::<Vec<_>>());
        let text = case.to_yaml(&format!(
            "# expect: agree\n# found by NPC_EVAL_SEED={seed}: {}\n",
            lines[0]
        ));
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&text, &mut hasher);
        let ids: Vec<String> = involved.iter().map(ToString::to_string).collect();
        let name = format!(
            "seed{seed}-case{}-{:08x}.yaml",
            ids.join("-"),
            std::hash::Hasher::finish(&hasher) as u32
        );
        std::fs::create_dir_all(regressions_dir()).unwrap();
        std::fs::write(regressions_dir().join(&name), text).unwrap();
        failures.push(format!(
            "{}\n    (saved as tests/eval_regressions/{name})",
            lines.join("\n")
        ));
    }
    eprintln!(
        "{count} random cases (seed {seed}) in {} nca runs: {:.1?}; pod pairs (within and across cases): \
         {} allow all, {} allow some ports, {} allow nothing",
        batches.len(),
        started.elapsed(),
        stats[0],
        stats[1],
        stats[2]
    );
    assert!(
        failures.is_empty(),
        "npc and nca disagree:\n{}",
        failures.join("\n")
    );
}

/// Every disagreement ever found, replayed. A file starting with
/// `# expect: agree` must agree; `# expect: nca-differs` pins a known nca
/// bug (explained in the file) and fails once nca agrees, so that the pin
/// can be removed.
#[test]
fn regression_corpus_agrees_with_nca() {
    if nca::venv_bin().is_none() {
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(regressions_dir())
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let case = Case::from_yaml(&text);
        let diffs = case.compare().unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        if text.starts_with("# expect: agree") {
            if !diffs.is_empty() {
                failures.push(format!("{name}:\n  {}", diffs.join("\n  ")));
            }
        } else if text.starts_with("# expect: nca-differs") {
            if diffs.is_empty() {
                failures.push(format!("{name}: nca now agrees; the pinned nca bug is fixed, change the header to `# expect: agree`"));
            }
        } else {
            failures.push(format!(
                "{name}: first line must be `# expect: agree` or `# expect: nca-differs`"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generated_policies_pass_kubernetes_validation() {
    let mut rng = Rng(env_or("NPC_EVAL_SEED", 20_250_601));
    let cases: Vec<Case> = (0..40).map(|k| Case::random(&mut rng, k)).collect();
    let merged = Case::merge(&cases.iter().collect::<Vec<_>>());
    if let Some(result) = nca::validate_strict(&nca::policies_yaml(&merged.policies)) {
        result.unwrap();
    }
}

fn two_pods() -> Inventory {
    Inventory {
        namespaces: vec![Namespace {
            name: "a".into(),
            labels: BTreeMap::new(),
        }],
        pods: vec![
            PodDecl {
                namespace: "a".into(),
                name: "x".into(),
                ..PodDecl::default()
            },
            PodDecl {
                namespace: "a".into(),
                name: "y".into(),
                ..PodDecl::default()
            },
        ],
    }
}

/// Pins an input that the Kubernetes API accepts and nca rejects: nca must
/// still fail with `error` (else the pin and the generator's exclusion can
/// go), while the schema and the evaluator accept it and give `expected`
/// (pairs of the two pods `a/x`, `a/y` that may connect at all).
fn pin_nca_rejection(spec: &str, error: &str, expected: &[(&str, &str)]) {
    let text = format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: pin, namespace: a}}\nspec:\n  podSelector: {{matchLabels: {{}}}}\n{spec}\n");
    let inventory = two_pods();
    let Some(result) = nca::connectivity(&text, &inventory) else {
        return;
    };
    match result {
        // nca reports these input errors on stdout and may still exit 0.
        Ok(map) => panic!(
            "nca now accepts this input (map {map:?}): drop the pin and the generator's exclusion"
        ),
        Err(e) => assert!(e.contains(error), "{e}"),
    }
    if let Some(valid) = nca::validate_strict(&text) {
        valid.unwrap();
    }
    let policy: NetworkPolicy = serde_yaml::from_str(&text).unwrap();
    let set = PolicySet::new(vec![policy]).unwrap();
    let got: Vec<(String, String)> = inventory.npc_matrix(&set).into_keys().collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, expected);
}

/// nca bug: Kubernetes accepts `policyTypes` in any order; nca 2.1.0 rejects
/// `[Egress, Ingress]` ("policyTypes has invalid value in spec").
#[test]
fn nca_rejects_policy_types_in_reverse_order() {
    pin_nca_rejection(
        "  policyTypes: [Egress, Ingress]",
        "policyTypes has invalid value",
        &[],
    );
}

/// nca bug: Kubernetes accepts an `egress` field when policyTypes leaves out
/// Egress (the rules simply have no effect); nca 2.1.0 rejects the policy,
/// even for `egress: []`.
#[test]
fn nca_rejects_egress_rules_without_egress_policy_type() {
    let error = "egress field but no \"Egress\" in its policyTypes";
    pin_nca_rejection("  policyTypes: [Ingress]\n  egress: []", error, &[]);
    pin_nca_rejection("  policyTypes: [Ingress]\n  egress: [{}]", error, &[]);
}

/// The same nca bug for `ingress` without Ingress in policyTypes.
#[test]
fn nca_rejects_ingress_rules_without_ingress_policy_type() {
    let error = "ingress field but no \"Ingress\" in its policyTypes";
    pin_nca_rejection("  policyTypes: [Egress]\n  ingress: [{}]", error, &[]);
}

/// nca bug: without `policyTypes`, Kubernetes isolates egress only when the
/// policy has at least one egress rule (`len(spec.egress) != 0` in the API
/// defaulting); nca 2.1.0 isolates egress as soon as the `egress` key is
/// present, so `egress: []` denies all egress of the selected pods in nca.
#[test]
fn nca_isolates_egress_for_an_empty_egress_list() {
    let text = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pin, namespace: a}
spec:
  podSelector: {}
  ingress: [{}]
  egress: []
";
    let inventory = two_pods();
    let policy: NetworkPolicy = serde_yaml::from_str(text).unwrap();
    let set = PolicySet::new(vec![policy]).unwrap();
    let npc: Vec<(String, String)> = inventory.npc_matrix(&set).into_keys().collect();
    let both = vec![
        ("a/x".to_string(), "a/y".to_string()),
        ("a/y".to_string(), "a/x".to_string()),
    ];
    assert_eq!(npc, both, "ingress [{{}}] allows all; egress stays open");
    let Some(result) = nca::connectivity(text, &inventory) else {
        return;
    };
    let nca: Vec<(String, String)> = result.unwrap().pods.into_keys().collect();
    assert_eq!(
        nca,
        Vec::<(String, String)>::new(),
        "nca now agrees: drop this pin and the generator's exclusion"
    );
}

/// nca bug: a peer `namespaceSelector` + `podSelector` selects the pods of the
/// matching namespaces whose labels satisfy the podSelector. nca 2.1.0
/// evaluates `Exists`/`DoesNotExist` requirements of that podSelector over
/// the policy's own namespace only (`get_peers_with_key(self.namespace, ...)`),
/// so pods in other namespaces never match (In/NotIn/matchLabels are fine).
#[test]
fn nca_evaluates_key_operators_in_the_policy_namespace_only() {
    let text = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: pin, namespace: b}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {}
      podSelector:
        matchExpressions: [{key: app, operator: Exists}]
";
    let inventory = Inventory {
        namespaces: vec![
            Namespace {
                name: "a".into(),
                labels: BTreeMap::new(),
            },
            Namespace {
                name: "b".into(),
                labels: BTreeMap::new(),
            },
        ],
        pods: vec![
            PodDecl {
                namespace: "a".into(),
                name: "x".into(),
                labels: [("app".to_string(), "db".to_string())].into(),
                ports: vec![],
            },
            PodDecl {
                namespace: "b".into(),
                name: "y".into(),
                ..PodDecl::default()
            },
        ],
    };
    let policy: NetworkPolicy = serde_yaml::from_str(text).unwrap();
    let set = PolicySet::new(vec![policy]).unwrap();
    let npc: Vec<(String, String)> = inventory.npc_matrix(&set).into_keys().collect();
    let all = vec![
        ("a/x".to_string(), "b/y".to_string()),
        ("b/y".to_string(), "a/x".to_string()),
    ];
    assert_eq!(npc, all);
    let Some(result) = nca::connectivity(text, &inventory) else {
        return;
    };
    let nca: Vec<(String, String)> = result.unwrap().pods.into_keys().collect();
    assert_eq!(
        nca,
        all[1..].to_vec(),
        "nca now agrees: drop this pin and the generator's exclusion"
    );
}
