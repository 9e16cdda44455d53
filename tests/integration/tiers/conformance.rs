//! Cases in the shapes of the upstream conformance tests of
//! network-policy-api (`conformance/tests/*.go`: four namespaces of two
//! pods each, admin and baseline policies with NetworkPolicies between
//! them), written here from those shapes, not copied. Each case is a set
//! of objects and connections with the verdict the API text gives; npc's
//! evaluator and the oracle of this module's `oracle.rs` must both give it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::eval::{Endpoint, NamedPort, Pod, PolicySet, Protocol};
use npc::k8s::cluster_policy::ClusterObject;
use serde_json::Value;

use super::oracle;

/// The world of the cases: four houses (namespaces), two pods each.
fn pods() -> Vec<(String, Pod)> {
    let mut out = Vec::new();
    let houses = [
        ("lions", "gold", ["leo-0", "leo-1"]),
        ("snakes", "green", ["sly-0", "sly-1"]),
        ("badgers", "yellow", ["huf-0", "huf-1"]),
        ("ravens", "blue", ["rav-0", "rav-1"]),
    ];
    let mut octet = 10u8;
    for (ns, colour, names) in houses {
        for (i, name) in names.iter().enumerate() {
            let mut pod = Pod::new(
                ns,
                [
                    ("app", *name),
                    ("role", if i == 0 { "server" } else { "client" }),
                ],
            );
            pod.namespace_labels = BTreeMap::from([
                ("colour".to_string(), colour.to_string()),
                ("kubernetes.io/metadata.name".to_string(), ns.to_string()),
            ]);
            pod.ports = vec![
                NamedPort {
                    name: "web".into(),
                    protocol: Protocol::Tcp,
                    number: 80,
                },
                NamedPort {
                    name: "alt".into(),
                    protocol: Protocol::Tcp,
                    number: 8080,
                },
                NamedPort {
                    name: "dgram".into(),
                    protocol: Protocol::Udp,
                    number: 53,
                },
                NamedPort {
                    name: "assoc".into(),
                    protocol: Protocol::Sctp,
                    number: 9003,
                },
            ];
            octet += 1;
            pod.address = Some(IpAddr::from([10, 244, 0, octet]));
            out.push((format!("{ns}/{name}"), pod));
        }
    }
    out
}

fn objects(yaml: &str) -> (Vec<ClusterObject>, Vec<NetworkPolicy>) {
    let mut cluster = Vec::new();
    let mut policies = Vec::new();
    for doc in yaml.split("\n---\n") {
        let value: Value = serde_yaml::from_str(doc).unwrap();
        match ClusterObject::from_json(&value) {
            Some(o) => cluster.push(o.unwrap()),
            None => policies.push(serde_json::from_value(value).unwrap()),
        }
    }
    (cluster, policies)
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

/// Checks `(source, destination, protocol, port, allowed)` against npc's
/// evaluator and the oracle (the NetworkPolicy sides from npc's
/// NetworkPolicy evaluator, checked against nca elsewhere).
fn check(name: &str, yaml: &str, cases: &[(&str, &str, Protocol, u16, bool)]) {
    let (cluster, policies) = objects(yaml);
    let mut set = PolicySet::new(policies.clone()).unwrap();
    set.add_cluster(&cluster).unwrap();
    let np = PolicySet::new(policies).unwrap();
    let objects: Vec<Value> = cluster.iter().map(|o| o.to_json().unwrap()).collect();
    let world = pods();
    // The same objects as YAML beside the pods, through `npc analyze`.
    let analysis = super::manifests::analysis(&super::manifests::yaml(&world, yaml));
    let find = |key: &str| -> &Pod { &world.iter().find(|(k, _)| k == key).unwrap().1 };
    for &(src, dst, protocol, port, want) in cases {
        let (s, d) = (find(src), find(dst));
        let (se, de) = (Endpoint::Pod(s.clone()), Endpoint::Pod(d.clone()));
        let by_eval = set.evaluate(&se, &de, protocol, port).allowed;
        let by_ports = set.allowed_ports(&se, &de).contains(protocol, port);
        let np_verdict = np.evaluate(&se, &de, protocol, port);
        let side = |v: &npc::eval::Side| v.isolated.then_some(v.allowed);
        let (os, od) = (oracle_pod(s), oracle_pod(d));
        let proto = protocol.as_str();
        let by_oracle = oracle::side_allowed(
            &objects,
            &os,
            "egress",
            &oracle::End::Pod(&od),
            Some(&od),
            proto,
            port,
            side(&np_verdict.egress),
        ) && oracle::side_allowed(
            &objects,
            &od,
            "ingress",
            &oracle::End::Pod(&os),
            Some(&od),
            proto,
            port,
            side(&np_verdict.ingress),
        );
        // Analyze lists no self-connections: those are checked above only.
        let by_analyze = if src == dst {
            want
        } else {
            super::manifests::between(&analysis, src, dst).contains(protocol, port)
        };
        assert!(
            by_eval == want && by_ports == want && by_oracle == want && by_analyze == want,
            "{name}: {src} -> {dst} {proto} {port}: want {want}, evaluator {by_eval} (ports {by_ports}), oracle {by_oracle}, analyze {by_analyze}"
        );
    }
}

const NP_ALLOW_SNAKES_TO_LIONS: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-snakes, namespace: lions}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {colour: green}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-lions, namespace: snakes}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {colour: gold}}}]}]";

fn admin_ingress(action: &str) -> String {
    format!(
        "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {{name: guard-lions}}
spec:
  tier: Admin
  priority: 10
  subject: {{namespaces: {{matchLabels: {{colour: gold}}}}}}
  ingress:
  - {{action: {action}, from: [{{namespaces: {{matchLabels: {{colour: green}}}}}}]}}
---
{NP_ALLOW_SNAKES_TO_LIONS}"
    )
}

#[test]
fn an_admin_deny_wins_over_a_namespace_allow() {
    let t = Protocol::Tcp;
    check(
        "admin deny",
        &admin_ingress("Deny"),
        &[
            ("snakes/sly-0", "lions/leo-0", t, 80, false),
            ("snakes/sly-1", "lions/leo-0", t, 8080, false),
            // Not the subject's peer: the NetworkPolicy decides (no rule for ravens).
            ("ravens/rav-0", "lions/leo-0", t, 80, false),
            // The subject's egress is not touched by an ingress-only policy.
            ("lions/leo-0", "ravens/rav-0", t, 80, true),
            ("lions/leo-0", "badgers/huf-1", t, 80, true),
        ],
    );
}

#[test]
fn a_pass_hands_the_decision_to_the_namespace() {
    let t = Protocol::Tcp;
    check(
        "admin pass",
        &admin_ingress("Pass"),
        &[
            ("snakes/sly-0", "lions/leo-0", t, 80, true),
            ("snakes/sly-1", "lions/leo-1", t, 8080, true),
        ],
    );
    // Pass, no NetworkPolicy there: the baseline decides.
    let yaml = "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: pass-badgers}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {colour: yellow}}}
  ingress: [{action: Pass, from: [{namespaces: {}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: baseline}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {matchLabels: {colour: yellow}}}
  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {colour: green}}}]}]";
    check(
        "pass then baseline",
        yaml,
        &[
            ("snakes/sly-0", "badgers/huf-0", t, 80, false),
            ("ravens/rav-0", "badgers/huf-0", t, 80, true),
        ],
    );
}

#[test]
fn lower_priority_values_decide_first_and_rules_in_order() {
    let t = Protocol::Tcp;
    let policy = |name: &str, priority: u32, action: &str| {
        format!(
            "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {{name: {name}}}
spec:
  tier: Admin
  priority: {priority}
  subject: {{pods: {{namespaceSelector: {{matchLabels: {{colour: blue}}}}, podSelector: {{matchLabels: {{role: server}}}}}}}}
  ingress: [{{action: {action}, from: [{{namespaces: {{}}}}]}}]"
        )
    };
    let deny_first = format!(
        "{}\n---\n{}",
        policy("a", 5, "Deny"),
        policy("b", 10, "Accept")
    );
    check(
        "deny at 5",
        &deny_first,
        &[
            ("lions/leo-0", "ravens/rav-0", t, 80, false),
            ("lions/leo-0", "ravens/rav-1", t, 80, true),
        ],
    );
    let accept_first = format!(
        "{}\n---\n{}",
        policy("a", 50, "Deny"),
        policy("b", 10, "Accept")
    );
    check(
        "accept at 10",
        &accept_first,
        &[("lions/leo-0", "ravens/rav-0", t, 80, true)],
    );
    // Within one object, the first rule that matches.
    let ordered = "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: ordered}
spec:
  tier: Admin
  priority: 3
  subject: {namespaces: {matchLabels: {colour: blue}}}
  egress:
  - {action: Accept, to: [{pods: {namespaceSelector: {matchLabels: {colour: gold}}, podSelector: {matchLabels: {role: server}}}}]}
  - {action: Deny, to: [{namespaces: {matchLabels: {colour: gold}}}]}";
    check(
        "rule order",
        ordered,
        &[
            ("ravens/rav-1", "lions/leo-0", t, 80, true),
            ("ravens/rav-1", "lions/leo-1", t, 80, false),
        ],
    );
}

#[test]
fn ports_protocols_ranges_and_named_ports() {
    let (t, u, s) = (Protocol::Tcp, Protocol::Udp, Protocol::Sctp);
    let yaml = "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: ports}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {matchLabels: {colour: gold}}}
  ingress:
  - action: Deny
    from: [{namespaces: {matchLabels: {colour: green}}}]
    protocols:
    - tcp: {destinationPort: {number: 8080}}
    - udp: {destinationPort: {range: {start: 50, end: 60}}}
    - destinationNamedPort: assoc
  - action: Accept
    from: [{namespaces: {matchLabels: {colour: green}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nothing, namespace: lions}
spec: {podSelector: {}, policyTypes: [Ingress]}";
    check(
        "ports",
        yaml,
        &[
            ("snakes/sly-0", "lions/leo-0", t, 8080, false),
            ("snakes/sly-0", "lions/leo-0", t, 80, true),
            ("snakes/sly-0", "lions/leo-0", u, 50, false),
            ("snakes/sly-0", "lions/leo-0", u, 60, false),
            ("snakes/sly-0", "lions/leo-0", u, 61, true),
            ("snakes/sly-0", "lions/leo-0", s, 9003, false),
            ("snakes/sly-0", "lions/leo-0", s, 9004, true),
            // The namespace's own deny-all still holds for other peers.
            ("ravens/rav-0", "lions/leo-0", t, 80, false),
        ],
    );
}

#[test]
fn networks_match_pod_addresses() {
    let t = Protocol::Tcp;
    let yaml = "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: inline-cidr}
spec:
  tier: Admin
  priority: 4
  subject: {namespaces: {matchLabels: {colour: blue}}}
  egress:
  - action: Deny
    to: [{networks: [10.244.0.11/32, 10.244.0.12/31]}]
  - action: Accept
    to: [{networks: [0.0.0.0/0]}]";
    check(
        "networks",
        yaml,
        &[
            // leo-0 is .11, leo-1 .12, sly-0 .13, sly-1 .14.
            ("ravens/rav-0", "lions/leo-0", t, 80, false),
            ("ravens/rav-0", "lions/leo-1", t, 80, false),
            ("ravens/rav-0", "snakes/sly-0", t, 80, false),
            ("ravens/rav-0", "snakes/sly-1", t, 80, true),
        ],
    );
}

#[test]
fn namespace_policies_override_the_baseline_only_where_they_isolate() {
    let t = Protocol::Tcp;
    let yaml = "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: baseline}
spec:
  tier: Baseline
  priority: 0
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
  egress: [{action: Accept, to: [{namespaces: {}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-only, namespace: lions}
spec:
  podSelector: {matchLabels: {role: server}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 80}]}]";
    check(
        "baseline",
        yaml,
        &[
            // leo-0 is selected: its policy decides, port by port.
            ("ravens/rav-0", "lions/leo-0", t, 80, true),
            ("ravens/rav-0", "lions/leo-0", t, 8080, false),
            // leo-1 is not: the baseline denies.
            ("ravens/rav-0", "lions/leo-1", t, 80, false),
            // A pod to itself is a connection like any other.
            ("badgers/huf-0", "badgers/huf-0", t, 80, false),
        ],
    );
}

#[test]
fn the_v1alpha1_kinds_read_alike() {
    let t = Protocol::Tcp;
    let yaml = "apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {colour: gold}}}
  ingress:
  - action: Allow
    from: [{pods: {namespaceSelector: {matchLabels: {colour: green}}, podSelector: {matchLabels: {role: client}}}}]
    ports: [{portNumber: {protocol: TCP, port: 80}}, {portRange: {protocol: TCP, start: 8000, end: 8100}}]
  - action: Pass
    from: [{namespaces: {matchLabels: {colour: green}}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]";
    check(
        "v1alpha1",
        yaml,
        &[
            ("snakes/sly-1", "lions/leo-0", t, 80, true),
            ("snakes/sly-1", "lions/leo-0", t, 8080, true),
            ("snakes/sly-1", "lions/leo-0", t, 443, false),
            ("snakes/sly-0", "lions/leo-0", t, 80, false),
            ("ravens/rav-0", "badgers/huf-0", t, 80, false),
        ],
    );
}

/// The same shapes written in NPL: the compiled objects give the same
/// verdicts, and `expect` lines prove them.
#[test]
fn the_shapes_in_npl() {
    let program = "namespace lions labels {colour=gold} {
  isolate ingress
}
admin {
  pass {colour=green}/{role=client} -> {colour=gold}/*:80
  deny {colour=green}/* -> {colour=gold}/*
}
baseline {
  deny ingress cluster -> {colour=yellow}/*
}
allow {colour=green}/* -> lions/*:{80, 8080}

expect allow {colour=green}/{role=client} -> lions/*:80
expect deny {colour=green}/{role=client} -> lions/*:8080
expect deny {colour=green}/{role=server} -> lions/*:80
expect deny {colour=blue}/* -> {colour=yellow}/*:80
expect allow {colour=yellow}/* -> {colour=blue}/*:80
";
    let c = super::schema::compile("shapes.npl", program);
    assert!(c.cluster_policies.len() >= 3);
}
