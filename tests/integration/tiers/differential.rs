//! npc's evaluator against the oracle on random cluster policies that npc
//! would never write: overlapping priorities, `Pass` in a baseline, every
//! peer and port form of both API versions, beside random NetworkPolicies.
//! The NetworkPolicy side verdicts come from npc's NetworkPolicy evaluator
//! (checked against nca by `eval_differential`); everything about the
//! tiers is the oracle's own. The second check writes the same random
//! objects as YAML beside the pods (`Namespace` and `Pod` objects with
//! labels, named ports and addresses) and compares what `npc analyze`
//! lists, pair by pair and toward addresses, with the oracle.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::eval::{Endpoint, NamedPort, Pod, PolicySet, Protocol};
use npc::k8s::cluster_policy::ClusterObject;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::oracle;

struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NAMESPACES: &[(&str, &str)] = &[("a", "x"), ("b", "y"), ("c", "x")];

/// The pods with their `ns/name` keys (the workloads `npc analyze` lists).
fn named_pods() -> Vec<(String, Pod)> {
    pods()
        .into_iter()
        .map(|p| (format!("{}/{}", p.namespace, p.labels["role"]), p))
        .collect()
}

fn pods() -> Vec<Pod> {
    let mut out = Vec::new();
    let mut n = 1u8;
    for (ns, team) in NAMESPACES {
        for role in ["server", "client"] {
            let mut p = Pod::new(ns, [("role", role), ("app", ns)]);
            p.namespace_labels = BTreeMap::from([
                ("team".to_string(), (*team).to_string()),
                ("kubernetes.io/metadata.name".to_string(), (*ns).to_string()),
            ]);
            p.ports = vec![
                NamedPort {
                    name: "web".into(),
                    protocol: Protocol::Tcp,
                    number: 80,
                },
                NamedPort {
                    name: "dns".into(),
                    protocol: Protocol::Udp,
                    number: 53,
                },
            ];
            p.address = Some(IpAddr::from([10, 0, 0, n]));
            n += 1;
            out.push(p);
        }
    }
    out
}

fn selector(g: &mut Gen, namespace: bool) -> Value {
    match g.below(5) {
        0 => json!({}),
        1 if namespace => json!({"matchLabels": {"team": g.pick(&["x", "y"])}}),
        1 => json!({"matchLabels": {"role": g.pick(&["server", "client"])}}),
        2 if namespace => {
            json!({"matchExpressions": [{"key": "team", "operator": g.pick(&["In", "NotIn"]), "values": [g.pick(&["x", "y"])]}]})
        }
        2 => {
            json!({"matchExpressions": [{"key": "role", "operator": g.pick(&["In", "NotIn"]), "values": [g.pick(&["server", "client"])]}]})
        }
        3 if namespace => {
            json!({"matchLabels": {"kubernetes.io/metadata.name": g.pick(&["a", "b", "c"])}})
        }
        3 => {
            json!({"matchExpressions": [{"key": g.pick(&["role", "tier"]), "operator": g.pick(&["Exists", "DoesNotExist"])}]})
        }
        _ => json!({"matchLabels": {"app": g.pick(&["a", "b", "c"])}}),
    }
}

fn peer(g: &mut Gen, egress: bool) -> Value {
    match g.below(if egress { 3 } else { 2 }) {
        0 => json!({"namespaces": selector(g, true)}),
        1 => {
            json!({"pods": {"namespaceSelector": selector(g, true), "podSelector": selector(g, false)}})
        }
        _ => {
            let cidrs: Vec<&str> = (0..1 + g.below(2))
                .map(|_| {
                    g.pick(&[
                        "10.0.0.0/29",
                        "10.0.0.4/30",
                        "10.0.0.2/32",
                        "0.0.0.0/0",
                        "192.0.2.0/24",
                    ])
                })
                .collect();
            json!({"networks": cidrs})
        }
    }
}

fn protocols(g: &mut Gen, v1alpha1: bool, named: bool) -> Option<Value> {
    if g.below(3) == 0 {
        return None;
    }
    let items: Vec<Value> = (0..1 + g.below(2))
        .map(|_| match (g.below(if named { 4 } else { 3 }), v1alpha1) {
            (0, false) => {
                let number = [53, 80, 8080][g.below(3)];
                json!({g.pick(&["tcp", "udp", "sctp"]): {"destinationPort": {"number": number}}})
            }
            (0, true) => {
                let number = [53, 80, 8080][g.below(3)];
                json!({"portNumber": {"protocol": g.pick(&["TCP", "UDP", "SCTP"]), "port": number}})
            }
            (1, false) => json!({g.pick(&["tcp", "udp"]): {"destinationPort": {"range": {"start": 50, "end": 81}}}}),
            (1, true) => json!({"portRange": {"protocol": g.pick(&["TCP", "UDP"]), "start": 50, "end": 81}}),
            (2, false) => json!({"tcp": {"destinationPort": {"range": {"start": 81, "end": 9000}}}}),
            (2, true) => json!({"portRange": {"start": 81, "end": 9000}}),
            (_, false) => json!({"destinationNamedPort": g.pick(&["web", "dns"])}),
            (_, true) => json!({"namedPort": g.pick(&["web", "dns"])}),
        })
        .collect();
    Some(Value::Array(items))
}

fn object(g: &mut Gen, i: usize) -> Value {
    let v1alpha1 = g.below(4) == 0;
    let tier = g.pick(&["Admin", "Baseline"]);
    let subject = if g.below(2) == 0 {
        json!({"namespaces": selector(g, true)})
    } else {
        json!({"pods": {"namespaceSelector": selector(g, true), "podSelector": selector(g, false)}})
    };
    let mut spec = json!({"subject": subject});
    for direction in ["ingress", "egress"] {
        let rules: Vec<Value> = (0..g.below(3))
            .map(|_| {
                let egress = direction == "egress";
                let peers: Vec<Value> = (0..1 + g.below(2)).map(|_| peer(g, egress)).collect();
                let networks = peers.iter().any(|p| p.get("networks").is_some());
                let action = if v1alpha1 {
                    g.pick(&["Allow", "Deny", "Pass"])
                } else {
                    g.pick(&["Accept", "Deny", "Pass"])
                };
                let mut rule = json!({"action": action});
                rule[if egress { "to" } else { "from" }] = Value::Array(peers);
                if let Some(p) = protocols(g, v1alpha1, !networks) {
                    rule[if v1alpha1 { "ports" } else { "protocols" }] = p;
                }
                rule
            })
            .collect();
        if !rules.is_empty() {
            spec[direction] = Value::Array(rules);
        }
    }
    let priority = g.below(4);
    if v1alpha1 {
        let kind = if tier == "Admin" {
            "AdminNetworkPolicy"
        } else {
            "BaselineAdminNetworkPolicy"
        };
        if tier == "Admin" {
            spec["priority"] = json!(priority);
        }
        json!({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": kind, "metadata": {"name": format!("p{i}")}, "spec": spec})
    } else {
        spec["tier"] = json!(tier);
        spec["priority"] = json!(priority);
        json!({"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy", "metadata": {"name": format!("p{i}")}, "spec": spec})
    }
}

fn network_policy(g: &mut Gen, i: usize) -> NetworkPolicy {
    let (ns, _) = NAMESPACES[g.below(NAMESPACES.len())];
    let types = g.pick(&["[Ingress]", "[Egress]", "[Ingress, Egress]"]);
    let rule = if g.below(2) == 0 {
        "[{from: [{namespaceSelector: {matchLabels: {team: x}}}], ports: [{port: 80}]}]"
    } else {
        "[{from: [{podSelector: {matchLabels: {role: client}}}]}]"
    };
    let egress = if g.below(2) == 0 {
        "[{to: [{ipBlock: {cidr: 10.0.0.0/30}}]}]"
    } else {
        "[]"
    };
    let text = format!(
        "metadata: {{name: np{i}, namespace: {ns}}}\nspec:\n  podSelector: {{matchLabels: {{role: {}}}}}\n  policyTypes: {types}\n  ingress: {rule}\n  egress: {egress}\n",
        g.pick(&["server", "client"])
    );
    serde_yaml::from_str(&text).unwrap()
}

fn oracle_pod(p: &Pod) -> oracle::Pod {
    oracle::Pod {
        namespace_labels: p.namespace_labels.clone(),
        labels: p.labels.clone(),
        ports: p
            .ports
            .iter()
            .map(|x| (x.name.clone(), x.protocol.as_str().to_string(), x.number))
            .collect(),
        address: p.address.unwrap(),
    }
}

const PROBES: &[(Protocol, u16)] = &[
    (Protocol::Tcp, 53),
    (Protocol::Tcp, 80),
    (Protocol::Tcp, 81),
    (Protocol::Tcp, 8080),
    (Protocol::Udp, 53),
    (Protocol::Udp, 80),
    (Protocol::Sctp, 80),
];

fn run(seed: u64) -> Result<(), TestCaseError> {
    let mut g = Gen(seed | 1);
    let objects: Vec<Value> = (0..1 + g.below(4)).map(|i| object(&mut g, i)).collect();
    let policies: Vec<NetworkPolicy> = (0..g.below(3)).map(|i| network_policy(&mut g, i)).collect();
    let cluster: Vec<ClusterObject> = objects
        .iter()
        .map(|o| ClusterObject::from_json(o).unwrap().unwrap())
        .collect();
    let np = PolicySet::new(policies.clone()).unwrap();
    let mut set = PolicySet::new(policies).unwrap();
    set.add_cluster(&cluster)
        .map_err(|e| TestCaseError::fail(format!("refused: {e}\n{objects:#?}")))?;
    let pods = pods();
    let matrix = set.matrix(&pods);
    for (i, s) in pods.iter().enumerate() {
        for (j, d) in pods.iter().enumerate() {
            let (se, de) = (Endpoint::Pod(s.clone()), Endpoint::Pod(d.clone()));
            let ports = set.allowed_ports(&se, &de);
            prop_assert_eq!(&ports, matrix.get(i, j));
            let (os, od) = (oracle_pod(s), oracle_pod(d));
            for &(protocol, port) in PROBES {
                let n = np.evaluate(&se, &de, protocol, port);
                let side = |v: &npc::eval::Side| v.isolated.then_some(v.allowed);
                let p = protocol.as_str();
                let want = oracle::side_allowed(
                    &objects,
                    &os,
                    "egress",
                    &oracle::End::Pod(&od),
                    Some(&od),
                    p,
                    port,
                    side(&n.egress),
                ) && oracle::side_allowed(
                    &objects,
                    &od,
                    "ingress",
                    &oracle::End::Pod(&os),
                    Some(&od),
                    p,
                    port,
                    side(&n.ingress),
                );
                let verdict = set.evaluate(&se, &de, protocol, port).allowed;
                prop_assert!(
                    want == verdict && want == ports.contains(protocol, port),
                    "seed {}: {}/{:?} -> {}/{:?} {} {}: oracle {}, verdict {}, ports {}\n{:#?}",
                    seed,
                    s.namespace,
                    s.labels,
                    d.namespace,
                    d.labels,
                    p,
                    port,
                    want,
                    verdict,
                    ports,
                    objects
                );
            }
            // Toward addresses: the egress side alone.
            for a in ["10.0.0.2", "10.0.0.9", "192.0.2.1", "203.0.113.1"] {
                let ip: IpAddr = a.parse().unwrap();
                let to = Endpoint::Ip(ip);
                let ports = set.allowed_ports(&se, &to);
                for &(protocol, port) in PROBES {
                    let n = np.evaluate(&se, &to, protocol, port);
                    let want = oracle::side_allowed(
                        &objects,
                        &os,
                        "egress",
                        &oracle::End::Address(ip),
                        None,
                        protocol.as_str(),
                        port,
                        n.egress.isolated.then_some(n.egress.allowed),
                    );
                    prop_assert!(
                        want == ports.contains(protocol, port),
                        "seed {}: -> {} {:?} {}: oracle {}, ports {}\n{:#?}",
                        seed,
                        a,
                        protocol,
                        port,
                        want,
                        ports,
                        objects
                    );
                }
            }
        }
    }
    Ok(())
}

/// The oracle's verdict for one connection between pods, the
/// NetworkPolicy sides from npc's NetworkPolicy evaluator.
fn oracle_between(
    objects: &[Value],
    np: &PolicySet,
    s: &Pod,
    d: &Pod,
    protocol: Protocol,
    port: u16,
) -> bool {
    let (se, de) = (Endpoint::Pod(s.clone()), Endpoint::Pod(d.clone()));
    let n = np.evaluate(&se, &de, protocol, port);
    let side = |v: &npc::eval::Side| v.isolated.then_some(v.allowed);
    let (os, od) = (oracle_pod(s), oracle_pod(d));
    let p = protocol.as_str();
    oracle::side_allowed(
        objects,
        &os,
        "egress",
        &oracle::End::Pod(&od),
        Some(&od),
        p,
        port,
        side(&n.egress),
    ) && oracle::side_allowed(
        objects,
        &od,
        "ingress",
        &oracle::End::Pod(&os),
        Some(&od),
        p,
        port,
        side(&n.ingress),
    )
}

/// Random manifests as YAML through `npc analyze`, against the oracle.
fn run_analyze(seed: u64) -> Result<(), TestCaseError> {
    let mut g = Gen(seed | 1);
    let mut objects: Vec<Value> = (0..1 + g.below(4)).map(|i| object(&mut g, i)).collect();
    // The API holds one BaselineAdminNetworkPolicy, named `default`.
    let mut baseline = false;
    objects.retain_mut(|o| {
        if o["kind"] != "BaselineAdminNetworkPolicy" {
            return true;
        }
        o["metadata"]["name"] = json!("default");
        !std::mem::replace(&mut baseline, true)
    });
    let policies: Vec<NetworkPolicy> = (0..g.below(3)).map(|i| network_policy(&mut g, i)).collect();
    let mut docs: Vec<String> = objects
        .iter()
        .map(|o| serde_yaml::to_string(o).unwrap())
        .collect();
    docs.extend(policies.iter().map(|p| serde_yaml::to_string(p).unwrap()));
    // A dump's pods: their addresses are known, so NetworkPolicy ipBlocks
    // see them too (`Pod::ips`), as the reader gives them.
    let world: Vec<(String, Pod)> = named_pods()
        .into_iter()
        .map(|(k, mut p)| {
            p.ips = p.address.into_iter().collect();
            (k, p)
        })
        .collect();
    let text = super::manifests::yaml(&world, &docs.join("---\n"));
    let analysis = super::manifests::analysis(&text);
    let np = PolicySet::new(policies).unwrap();
    for (sk, s) in &world {
        for (dk, d) in &world {
            if sk == dk {
                continue;
            }
            let listed = super::manifests::between(&analysis, sk, dk);
            for &(protocol, port) in PROBES {
                let want = oracle_between(&objects, &np, s, d, protocol, port);
                prop_assert!(
                    want == listed.contains(protocol, port),
                    "seed {}: {} -> {} {} {}: oracle {}, analyze lists {}\n{}",
                    seed,
                    sk,
                    dk,
                    protocol.as_str(),
                    port,
                    want,
                    listed,
                    text
                );
            }
        }
        let os = oracle_pod(s);
        let se = Endpoint::Pod(s.clone());
        for a in ["10.0.0.2", "10.0.0.9", "192.0.2.1", "203.0.113.1"] {
            let ip: IpAddr = a.parse().unwrap();
            let to = Endpoint::Ip(ip);
            for egress in [true, false] {
                let listed = super::manifests::with_address(&analysis, sk, ip, egress);
                for &(protocol, port) in PROBES {
                    let want = if egress {
                        let n = np.evaluate(&se, &to, protocol, port);
                        oracle::side_allowed(
                            &objects,
                            &os,
                            "egress",
                            &oracle::End::Address(ip),
                            None,
                            protocol.as_str(),
                            port,
                            n.egress.isolated.then_some(n.egress.allowed),
                        )
                    } else {
                        let n = np.evaluate(&to, &se, protocol, port);
                        oracle::side_allowed(
                            &objects,
                            &os,
                            "ingress",
                            &oracle::End::Address(ip),
                            Some(&os),
                            protocol.as_str(),
                            port,
                            n.ingress.isolated.then_some(n.ingress.allowed),
                        )
                    };
                    prop_assert!(
                        want == listed.contains(protocol, port),
                        "seed {}: {} {} {} {} {}: oracle {}, analyze lists {}\n{}",
                        seed,
                        sk,
                        if egress { "->" } else { "<-" },
                        a,
                        protocol.as_str(),
                        port,
                        want,
                        listed,
                        text
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("NPC_TIER_ANALYZE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(100)
    ))]

    #[test]
    fn analyze_over_yaml_agrees_with_the_api_oracle(seed in any::<u64>()) {
        run_analyze(seed)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("NPC_TIER_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
    ))]

    #[test]
    fn the_evaluator_agrees_with_the_api_oracle(seed in any::<u64>()) {
        run(seed)?;
    }
}
