//! Evaluator benchmarks: one query, and the full pod-to-pod matrix of a
//! synthetic cluster of 1,000 pods and 1,000 policies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

/// The allocator of the `npc` binary (src/main.rs), so that the numbers are
/// the binary's.
#[cfg(any(target_os = "linux", target_os = "macos"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use npc::eval::{Endpoint, NamedPort, Pod, PolicySet, Protocol};
use serde_json::json;

const NAMESPACES: usize = 20;
const APPS: usize = 25;

/// 1,000 pods: 20 namespaces × 50 pods, labelled `app` (25 values per
/// namespace), `tier` and `env`; namespaces labelled `team` and `env`.
fn pods() -> Vec<Pod> {
    let mut pods = Vec::new();
    for n in 0..NAMESPACES {
        let namespace_labels: BTreeMap<String, String> = [
            ("team".to_string(), format!("t{}", n % 5)),
            (
                "env".to_string(),
                if n % 2 == 0 { "prod" } else { "dev" }.to_string(),
            ),
        ]
        .into();
        for p in 0..50 {
            let labels: BTreeMap<String, String> = [
                ("app".to_string(), format!("app{}", p % APPS)),
                (
                    "tier".to_string(),
                    if p % 3 == 0 { "front" } else { "back" }.to_string(),
                ),
                (
                    "env".to_string(),
                    if p % 4 == 0 { "prod" } else { "dev" }.to_string(),
                ),
            ]
            .into();
            pods.push(Pod {
                ips: Vec::new(),
                namespace: format!("ns{n}"),
                namespace_labels: namespace_labels.clone(),
                labels,
                ports: vec![
                    NamedPort {
                        name: "http".into(),
                        protocol: Protocol::Tcp,
                        number: 8000 + (p % 10) as u16,
                    },
                    NamedPort {
                        name: "metrics".into(),
                        protocol: Protocol::Tcp,
                        number: 9090,
                    },
                ],
                address: None,
            });
        }
    }
    pods
}

/// 1,000 policies: per namespace, a default deny (egress too in even
/// namespaces), a DNS egress allowance,
/// and 48 per-app policies with ingress from other apps (same namespace,
/// other teams' namespaces, matchExpressions), named and numeric ports, and
/// egress to an app plus an ipBlock.
fn policies() -> Vec<NetworkPolicy> {
    let mut out = Vec::new();
    for n in 0..NAMESPACES {
        let ns = format!("ns{n}");
        out.push(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        );
        out.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "dns", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ns0"}},
                        "podSelector": {"matchLabels": {"app": "app0"}}}],
                "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]}}));
        for i in 0..48 {
            let app = format!("app{}", i % APPS);
            let peer_app = format!("app{}", (i * 7 + 3) % APPS);
            out.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": format!("allow-{i}"), "namespace": ns},
                "spec": {
                    "podSelector": {"matchLabels": {"app": app}},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [
                        {"from": [{"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [peer_app, format!("app{}", (i + 24) % APPS)]}]}}],
                         "ports": [{"port": "http"}, {"port": 443}]},
                        {"from": [{"namespaceSelector": {"matchLabels": {"team": format!("t{}", i % 5)}},
                                   "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}}],
                         "ports": [{"port": 8000, "endPort": 8100}]}
                    ],
                    "egress": [
                        {"to": [{"namespaceSelector": {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]},
                                 "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [peer_app, app, format!("app{}", (i + 1) % APPS)]}]}}],
                         "ports": [{"port": "http"}, {"port": "metrics"}, {"port": 443}, {"port": 8050, "endPort": 8200}]},
                        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}
                    ]}}));
        }
    }
    out.into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let pods = pods();
    let policies = policies();
    assert_eq!((pods.len(), policies.len()), (1000, 1000));
    c.bench_function("policy_set_new_1000_policies", |b| {
        b.iter(|| PolicySet::new(black_box(policies.clone())).unwrap())
    });
    let set = PolicySet::new(policies).unwrap();
    let src = Endpoint::Pod(pods[3].clone());
    let dst = Endpoint::Pod(pods[617].clone());
    c.bench_function("evaluate_one_query", |b| {
        b.iter(|| {
            set.evaluate(
                black_box(&src),
                black_box(&dst),
                Protocol::Tcp,
                black_box(8003),
            )
        })
    });
    c.bench_function("allowed_ports_one_pair", |b| {
        b.iter(|| set.allowed_ports(black_box(&src), black_box(&dst)))
    });
    let matrix = set.matrix(&pods);
    let (mut open, mut closed) = (0, 0);
    for s in 0..pods.len() {
        for d in 0..pods.len() {
            match matrix.get(s, d) {
                p if p.is_empty() => closed += 1,
                p if p.is_full() => open += 1,
                _ => {}
            }
        }
    }
    eprintln!(
        "matrix cells: {open} allow all, {closed} allow nothing, {} partial",
        pods.len() * pods.len() - open - closed
    );
    let mut group = c.benchmark_group("matrix");
    group.sample_size(10);
    group.bench_function("matrix_1000_pods_1000_policies", |b| {
        b.iter(|| set.matrix(black_box(&pods)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
