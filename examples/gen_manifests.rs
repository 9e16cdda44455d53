//! Generates a directory of Kubernetes manifests for benchmarking `npc
//! analyze` and `npc lint`: N namespaces with W workloads and P policies
//! each (deterministic for a seed).
//!
//! ```text
//! cargo run --release --example gen_manifests -- --namespaces 100 --workloads 10 --policies 10 --out DIR
//! ```
//!
//! Namespaces are labelled by team (ten teams), tier and env. Workloads are
//! Deployments, with a StatefulSet, a DaemonSet and a CronJob in some
//! namespaces, labelled `app`, `tier` and `version`, with named ports
//! `http`, `grpc` and `metrics`. Policies per namespace: a default deny
//! (both directions), a DNS allowance, then per workload: ingress from a
//! neighbour on `http`, from a team's namespaces on `grpc`, from the
//! monitoring team on `metrics`; egress to a workload of another namespace,
//! to external CIDRs (some with `except`, some IPv6). Each namespace is one
//! directory with `workloads.yaml` and `policies.yaml`; `namespaces.yaml`
//! lists the namespaces. nca reads the same directory (`nca -r DIR`).

use std::fmt::Write as _;
use std::path::PathBuf;

/// SplitMix64: small, seedable, reproducible everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const TIERS: &[&str] = &["edge", "backend", "data"];
const CIDRS: &[&str] = &[
    "0.0.0.0/0\n        except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]",
    "10.40.0.0/16",
    "203.0.113.0/24",
    "198.51.100.0/24\n        except: [198.51.100.128/25]",
    "\"2001:db8::/32\"",
    "192.0.2.0/24",
];

/// The files of one generated input: (relative path, text).
pub fn generate(
    namespaces: usize,
    workloads: usize,
    policies: usize,
    seed: u64,
) -> Vec<(String, String)> {
    let mut rng = Rng(seed);
    let mut files = Vec::new();
    let mut ns_text = String::new();
    let ns_name = |n: usize| format!("ns{n:04}");
    for n in 0..namespaces {
        let _ = write!(
            ns_text,
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n  labels:\n    team: t{}\n    tier: {}\n    env: {}\n",
            ns_name(n),
            n % 10,
            TIERS[n % 3],
            if n % 2 == 0 { "prod" } else { "dev" }
        );
    }
    files.push(("namespaces.yaml".to_string(), ns_text));
    for n in 0..namespaces {
        let ns = ns_name(n);
        let mut w = String::new();
        for i in 0..workloads {
            let (api, kind) = match (i, n % 4) {
                (3, 0) => ("apps/v1", "StatefulSet"),
                (4, 1) => ("apps/v1", "DaemonSet"),
                (5, 2) => ("batch/v1", "CronJob"),
                _ => ("apps/v1", "Deployment"),
            };
            let labels = format!(
                "{{app: w{i}, tier: {}, version: v{}}}",
                TIERS[i % 3],
                1 + rng.below(3)
            );
            let pod_spec = "spec:\n      containers:\n      - name: main\n        image: registry.example/app:1\n        ports:\n        - {name: http, containerPort: 8080}\n        - {name: grpc, containerPort: 9000}\n        - {name: metrics, containerPort: 9090}\n";
            let _ = write!(w, "---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w{i}\n  namespace: {ns}\nspec:\n");
            if kind == "CronJob" {
                let nested = pod_spec.replace("\n    ", "\n        ");
                let _ = write!(
                    w,
                    "  schedule: \"@hourly\"\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels: {labels}\n        {nested}"
                );
            } else {
                let _ = write!(
                    w,
                    "  selector:\n    matchLabels: {{app: w{i}}}\n  template:\n    metadata:\n      labels: {labels}\n    {pod_spec}"
                );
            }
        }
        let mut p = String::new();
        let policy = |p: &mut String, name: &str, body: &str| {
            let _ = write!(
                p,
                "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{body}"
            );
        };
        if policies > 0 {
            policy(
                &mut p,
                "default-deny",
                "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
            );
        }
        if policies > 1 {
            policy(&mut p, "allow-dns", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels: {kubernetes.io/metadata.name: kube-system}\n      podSelector:\n        matchLabels: {k8s-app: kube-dns}\n    ports:\n    - {port: 53, protocol: UDP}\n    - {port: 53, protocol: TCP}\n");
        }
        for k in 0..policies.saturating_sub(2) {
            let target = k % workloads.max(1);
            let neighbour = (target + 1 + rng.below(workloads.max(2) - 1)) % workloads.max(1);
            let other_ns = ns_name(rng.below(namespaces));
            let other_app = rng.below(workloads.max(1));
            let team = rng.below(10);
            let cidr = CIDRS[rng.below(CIDRS.len())];
            let body = format!(
                "  podSelector:\n    matchLabels: {{app: w{target}}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels: {{app: w{neighbour}}}\n    ports:\n    - port: http\n  - from:\n    - namespaceSelector:\n        matchLabels: {{team: t{team}}}\n      podSelector:\n        matchExpressions: [{{key: tier, operator: In, values: [edge, backend]}}]\n    ports:\n    - port: grpc\n  - from:\n    - namespaceSelector:\n        matchLabels: {{team: t9, tier: data}}\n    ports:\n    - {{port: 9090, protocol: TCP}}\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels: {{kubernetes.io/metadata.name: {other_ns}}}\n      podSelector:\n        matchLabels: {{app: w{other_app}}}\n    ports:\n    - {{port: 8000, endPort: 8100}}\n  - to:\n    - ipBlock:\n        cidr: {cidr}\n    ports:\n    - {{port: 443, protocol: TCP}}\n"
            );
            policy(&mut p, &format!("w{target}-{k}"), &body);
        }
        files.push((format!("{ns}/workloads.yaml"), w));
        files.push((format!("{ns}/policies.yaml"), p));
    }
    files
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut namespaces, mut workloads, mut policies, mut seed) = (100, 10, 10, 1);
    let mut out: Option<PathBuf> = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match flag.as_str() {
            "--namespaces" => namespaces = value().parse().unwrap_or(namespaces),
            "--workloads" => workloads = value().parse().unwrap_or(workloads),
            "--policies" => policies = value().parse().unwrap_or(policies),
            "--seed" => seed = value().parse().unwrap_or(seed),
            "--out" => out = Some(PathBuf::from(value())),
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!("usage: gen_manifests --out DIR [--namespaces N] [--workloads W] [--policies P] [--seed S]");
        std::process::exit(2);
    };
    for (path, text) in generate(namespaces, workloads, policies, seed) {
        let file = out.join(path);
        if let Some(parent) = file.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                eprintln!("cannot create {}: {e}", parent.display());
                std::process::exit(1);
            }
        }
        if let Err(e) = std::fs::write(&file, text) {
            eprintln!("cannot write {}: {e}", file.display());
            std::process::exit(1);
        }
    }
}
