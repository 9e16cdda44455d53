//! Generates synthetic but realistic NPL programs for npc's benchmarks.
//!
//! ```text
//! cargo run --release -p npc-gen -- --namespaces N --workloads W [--shape SHAPE] [--seed S]
//! ```
//!
//! Three shapes (`Shape`), each N managed namespaces with W workloads:
//!
//! - `mixed` (the default): namespaces in teams of eight (two `edge`, four
//!   `backend`, two `data` namespaces each). Per namespace: a declaration with
//!   `team` and `tier` labels (about one in four as a block with an `isolate`
//!   variant, a block-local alias and bare names), a call tree among its
//!   workloads, calls to a team neighbour and to a random namespace, a source
//!   and a destination given as namespace label sets, egress to a CIDR with
//!   `except` and to `world`, named ports, ranges and sets, a `let` alias,
//!   and `expect` lines that hold. Once per program: `dns`, `scrape`, global
//!   aliases and two rules that fan out over a whole tier.
//! - `fan-out`: `mixed`, and every namespace carries a `zone=zK` label (seven
//!   zones) and admits the gateways of the next zone to each of its
//!   workloads: `allow {zone=zK}/gateway -> NS/WORKLOAD:PORTS`, a label-set
//!   source matching about one namespace in seven. Each gateway's egress
//!   then names every workload of about N/7 namespaces.
//! - `cdk8s`: the intent of `scripts/bench-cdk8s/synth.js`, written with
//!   cdk8s-plus: namespaces `team-I`, workloads `svc-K` on TCP port 8000+K;
//!   each workload calls the next workload of its namespace and the same
//!   workload of the next namespace, and every tenth workload (`svc-0`,
//!   `svc-10`, ...) reaches `0.0.0.0/0` on TCP 443. Default DNS, no scrape,
//!   no `expect` lines.
//!
//! With `--inventory DIR` it also writes `DIR/namespaces.yaml` and
//! `DIR/pods.yaml` (YAML `List`s, one pod per workload) for tools such as
//! `nca --connectivity` that need a cluster to evaluate policies against.
//!
//! The output depends only on the arguments (a small xorshift generator, no
//! external RNG). Every program it prints compiles without errors or
//! warnings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;

/// Namespaces per team.
const TEAM_SIZE: usize = 8;

/// Workload names; past the end, names repeat with a numeric suffix.
const WORKLOADS: &[&str] = &[
    "gateway", "web", "api", "auth", "orders", "worker", "queue", "cache", "db", "search",
];

/// Destination ports of each workload in `WORKLOADS`, in NPL.
const PORTS: &[&str] = &[
    "8443",
    "8080",
    "{8080, grpc}",
    "9000-9010",
    "{8080, metrics}",
    "{8080, 9090/udp}",
    "{5672, amqp}",
    "6379",
    "5432",
    "{9200, 9300-9400}",
];

/// One single port each workload is reachable on (for `expect`).
const FIRST_PORT: &[u16] = &[8443, 8080, 8080, 9000, 8080, 8080, 5672, 6379, 5432, 9200];

/// Namespace name stems.
const STEMS: &[&str] = &[
    "shop", "pay", "cart", "search", "media", "auth", "ledger", "ship", "mail", "report", "promo",
    "stock", "review", "geo", "notify", "billing",
];

/// xorshift64*: deterministic, good enough for shaping test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Never zero, and different seeds diverge from the first draw.
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// `namespace NAME labels {...}`: isolated both ways.
    Plain,
    /// A block spelling out `isolate ingress, egress`, with local statements.
    Both,
    IngressOnly,
    EgressOnly,
    /// Isolated both ways, but not scraped.
    NoScrape,
}

impl Variant {
    fn ingress(self) -> bool {
        self != Variant::EgressOnly
    }

    fn egress(self) -> bool {
        self != Variant::IngressOnly
    }
}

struct Namespace {
    name: String,
    team: usize,
    tier: &'static str,
    variant: Variant,
}

fn tier(i: usize) -> &'static str {
    match i % TEAM_SIZE {
        0 | 1 => "edge",
        2..=5 => "backend",
        _ => "data",
    }
}

fn workload(k: usize) -> String {
    let base = WORKLOADS[k % WORKLOADS.len()];
    match k / WORKLOADS.len() {
        0 => base.to_string(),
        n => format!("{base}-{n}"),
    }
}

fn ports(k: usize) -> &'static str {
    PORTS[k % PORTS.len()]
}

fn first_port(k: usize) -> u16 {
    FIRST_PORT[k % FIRST_PORT.len()]
}

/// The caller of workload `k` (k ≥ 1) in the namespace's call tree.
fn parent(k: usize) -> usize {
    (k - 1) / 2
}

fn namespaces_of(namespaces: usize, rng: &mut Rng) -> Vec<Namespace> {
    (0..namespaces)
        .map(|i| {
            let variant = match rng.below(100) {
                0..=74 => Variant::Plain,
                75..=84 => Variant::Both,
                85..=91 => Variant::IngressOnly,
                92..=96 => Variant::EgressOnly,
                _ => Variant::NoScrape,
            };
            Namespace {
                name: format!("{}-{i}", STEMS[i % STEMS.len()]),
                team: i / TEAM_SIZE,
                tier: tier(i),
                variant,
            }
        })
        .collect()
}

/// What a generated program looks like; see the crate documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Mixed,
    FanOut,
    Cdk8s,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Mixed, Shape::FanOut, Shape::Cdk8s];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Mixed => "mixed",
            Shape::FanOut => "fan-out",
            Shape::Cdk8s => "cdk8s",
        }
    }

    pub fn parse(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Zones of the `fan-out` shape: a zone holds about one namespace in seven.
const ZONES: usize = 7;

fn zone(i: usize) -> usize {
    i % ZONES
}

/// Generates the program text of a shape.
pub fn generate_shape(shape: Shape, namespaces: usize, workloads: usize, seed: u64) -> String {
    match shape {
        Shape::Mixed => mixed(namespaces, workloads, seed, false),
        Shape::FanOut => mixed(namespaces, workloads, seed, true),
        Shape::Cdk8s => cdk8s(namespaces, workloads),
    }
}

/// Generates the program text of the `mixed` shape.
pub fn generate(namespaces: usize, workloads: usize, seed: u64) -> String {
    generate_shape(Shape::Mixed, namespaces, workloads, seed)
}

fn mixed(namespaces: usize, workloads: usize, seed: u64, fan_out: bool) -> String {
    let mut rng = Rng::new(seed);
    let ns = namespaces_of(namespaces, &mut rng);
    let w = workloads.max(1);
    let mut out = String::with_capacity(namespaces * w * if fan_out { 180 } else { 120 } + 1024);
    let o = &mut out;
    let kind = if fan_out { " (fan-out)" } else { "" };
    // Whether some namespace of each zone isolates egress (a fan-out rule
    // with no isolated side would only be a warning).
    let mut zone_egress = [false; ZONES];
    for (i, n) in ns.iter().enumerate() {
        zone_egress[zone(i)] |= n.variant.egress();
    }
    writeln!(
        o,
        "# Synthetic benchmark program{kind}: {namespaces} namespaces x {w} workloads, seed {seed}."
    )
    .unwrap();
    writeln!(o).unwrap();
    writeln!(o, "dns 169.254.20.10, kube-system/{{k8s-app=kube-dns}}").unwrap();
    writeln!(o, "namespace kube-system {{").unwrap();
    writeln!(o, "  isolate ingress").unwrap();
    writeln!(o, "}}").unwrap();
    writeln!(
        o,
        "namespace monitoring labels {{team=platform, tier=ops}} {{"
    )
    .unwrap();
    writeln!(o, "  isolate egress").unwrap();
    writeln!(o, "}}").unwrap();
    writeln!(o, "namespace platform labels {{team=platform, tier=ops}}").unwrap();
    writeln!(o).unwrap();
    writeln!(
        o,
        "let corp = 10.0.0.0/8 except (10.96.0.0/12, 10.244.0.0/16)"
    )
    .unwrap();
    writeln!(o, "let status = platform/status:80").unwrap();
    writeln!(
        o,
        "scrape monitoring/prometheus -> {{monitoring.io/expose-metrics=true}}:metrics"
    )
    .unwrap();
    writeln!(o, "allow {{tier=edge}}/gateway -> status").unwrap();
    writeln!(
        o,
        "allow monitoring/grafana -> {{tier=backend}}/api:metrics"
    )
    .unwrap();
    writeln!(o, "expect deny  monitoring/grafana -> platform/status:80").unwrap();

    for (i, n) in ns.iter().enumerate() {
        let name = &n.name;
        writeln!(o).unwrap();
        writeln!(o, "# {name}: team t{}, {} tier", n.team, n.tier).unwrap();
        let labels = if fan_out {
            format!("{{team=t{}, tier={}, zone=z{}}}", n.team, n.tier, zone(i))
        } else {
            format!("{{team=t{}, tier={}}}", n.team, n.tier)
        };
        let block = match n.variant {
            Variant::Plain => None,
            Variant::Both => Some("isolate ingress, egress"),
            Variant::IngressOnly => Some("isolate ingress"),
            Variant::EgressOnly => Some("isolate egress"),
            Variant::NoScrape => Some("no scrape"),
        };
        // The call tree: the block form writes it with bare names inside.
        let mut calls = Vec::new();
        for k in 1..w {
            calls.push((parent(k), k));
        }
        match block {
            None => writeln!(o, "namespace {name} labels {labels}").unwrap(),
            Some(first) => {
                writeln!(o, "namespace {name} labels {labels} {{").unwrap();
                writeln!(o, "  {first}").unwrap();
                if n.variant == Variant::Both && w >= 2 {
                    // A block-local alias and bare names for the first call.
                    let (a, b) = calls.remove(0);
                    writeln!(o, "  let backend = {}:{}", workload(b), ports(b)).unwrap();
                    writeln!(o, "  allow {} -> backend", workload(a)).unwrap();
                }
                writeln!(o, "}}").unwrap();
            }
        }
        for (a, b) in calls {
            writeln!(
                o,
                "allow {name}/{} -> {name}/{}:{}",
                workload(a),
                workload(b),
                ports(b)
            )
            .unwrap();
        }
        // A global alias for the namespace's store, used by its own api.
        if w > 8 {
            writeln!(o, "let {name}-db = {name}/{}:{}", workload(8), ports(8)).unwrap();
            writeln!(o, "allow {name}/{} -> {name}-db", workload(2)).unwrap();
        }
        // Calls to the next namespace of the team and to a random one.
        let team_start = n.team * TEAM_SIZE;
        let team_end = (team_start + TEAM_SIZE).min(namespaces);
        let next = if i + 1 < team_end { i + 1 } else { team_start };
        let api = workload(2 % w);
        let next_name = &ns[next].name;
        // Only rules that yield a policy somewhere (no "produces no rule" warnings).
        let yields = |dst: &Namespace| n.variant.egress() || dst.variant.ingress();
        let next_called = next != i && yields(&ns[next]);
        if next_called {
            writeln!(
                o,
                "allow {name}/{api} -> {next_name}/{api}:{}",
                ports(2 % w)
            )
            .unwrap();
        }
        let r = rng.below(namespaces);
        if r != i && w > 6 && yields(&ns[r]) {
            writeln!(
                o,
                "allow {name}/{} -> {}/{}:{}",
                workload(5),
                ns[r].name,
                workload(6),
                ports(6)
            )
            .unwrap();
        }
        // Label-set endpoints: the team's edge gateways call in; the data
        // tier of the team is reachable from the workers.
        let team = &ns[team_start..team_end];
        let edge_egress = team.iter().any(|t| t.tier == "edge" && t.variant.egress());
        let data_ingress = team.iter().any(|t| t.tier == "data" && t.variant.ingress());
        match n.tier {
            "backend" if edge_egress || n.variant.ingress() => writeln!(
                o,
                "allow {{team=t{}, tier=edge}}/{} -> {name}/{api}:{}",
                n.team,
                workload(0),
                ports(2 % w)
            )
            .unwrap(),
            "edge" if n.variant.egress() || data_ingress => writeln!(
                o,
                "allow {name}/{} -> {{team=t{}, tier=data}}/{}:{}",
                workload(0),
                n.team,
                workload(7 % w),
                ports(7 % w)
            )
            .unwrap(),
            _ => {}
        }
        // Egress out of the cluster.
        match if n.variant.egress() { i % 3 } else { 3 } {
            0 => writeln!(o, "allow {name}/{} -> corp:443", workload(5 % w)).unwrap(),
            1 => writeln!(
                o,
                "allow {name}/{} -> 172.16.0.0/12 except 172.20.0.0/16:{{80, 443}}",
                workload(5 % w)
            )
            .unwrap(),
            2 => writeln!(
                o,
                "allow {name}/{} -> 192.0.2.{}:22",
                workload(5 % w),
                i % 250
            )
            .unwrap(),
            _ => {}
        }
        if n.variant.egress() {
            writeln!(o, "allow {name}/{} -> world:443", workload(0)).unwrap();
        }
        // Fan-out: the gateways of the next zone may call every workload.
        // Namespace i is in zone i % 7 and admits zone (i + 1) % 7, so its
        // own gateway stays denied (the `expect deny` below).
        let admitted = (zone(i) + 1) % ZONES;
        if fan_out && (n.variant.ingress() || zone_egress[admitted]) {
            for k in 0..w {
                writeln!(
                    o,
                    "allow {{zone=z{admitted}}}/{} -> {name}/{}:{}",
                    workload(0),
                    workload(k),
                    ports(k)
                )
                .unwrap();
            }
            // A namespace of the admitted zone: i + 1, or i - 6 at the end.
            let caller = (i + 1 < namespaces)
                .then_some(i + 1)
                .or(i.checked_sub(ZONES - 1));
            if let (Some(j), true) = (caller, w >= 2) {
                writeln!(
                    o,
                    "expect allow {}/{} -> {name}/{}:{}",
                    ns[j].name,
                    workload(0),
                    workload(1),
                    first_port(1)
                )
                .unwrap();
            }
        }
        // Assertions that hold by construction.
        if w >= 2 {
            writeln!(
                o,
                "expect allow {name}/{} -> {name}/{}:{}",
                workload(0),
                workload(1),
                first_port(1)
            )
            .unwrap();
        }
        let last = w - 1;
        if n.variant.ingress() && last >= 3 && last % WORKLOADS.len() != 2 && last != 6 {
            writeln!(
                o,
                "expect deny  {name}/{} -> {name}/{}:{}",
                workload(0),
                workload(last),
                first_port(last)
            )
            .unwrap();
        }
        if next_called {
            writeln!(
                o,
                "expect allow {name}/{api} -> {next_name}/{api}:{}",
                first_port(2 % w)
            )
            .unwrap();
        }
    }
    out
}

/// The `cdk8s` shape's names and ports; `scripts/bench-cdk8s/synth.js`
/// computes the same.
fn cdk8s_namespace(i: usize) -> String {
    format!("team-{i}")
}

fn cdk8s_workload(k: usize) -> String {
    format!("svc-{k}")
}

fn cdk8s_port(k: usize) -> usize {
    8000 + k
}

fn cdk8s(namespaces: usize, workloads: usize) -> String {
    let w = workloads.max(1);
    let mut out = String::with_capacity(namespaces * w * 100 + 1024);
    let o = &mut out;
    writeln!(
        o,
        "# Synthetic benchmark program (cdk8s): {namespaces} namespaces x {w} workloads."
    )
    .unwrap();
    writeln!(
        o,
        "# The same intent as scripts/bench-cdk8s/synth.js; DNS is npc's default."
    )
    .unwrap();
    for i in 0..namespaces {
        writeln!(o, "namespace {}", cdk8s_namespace(i)).unwrap();
    }
    for i in 0..namespaces {
        let name = cdk8s_namespace(i);
        writeln!(o).unwrap();
        for k in 0..w {
            let wl = cdk8s_workload(k);
            if w >= 2 {
                let next = (k + 1) % w;
                writeln!(
                    o,
                    "allow {name}/{wl} -> {name}/{}:{}",
                    cdk8s_workload(next),
                    cdk8s_port(next)
                )
                .unwrap();
            }
            if namespaces >= 2 {
                writeln!(
                    o,
                    "allow {name}/{wl} -> {}/{wl}:{}",
                    cdk8s_namespace((i + 1) % namespaces),
                    cdk8s_port(k)
                )
                .unwrap();
            }
            if k % 10 == 0 {
                writeln!(o, "allow {name}/{wl} -> 0.0.0.0/0:443").unwrap();
            }
        }
    }
    out
}

/// The cluster the `mixed` program talks about: `(namespaces.yaml, pods.yaml)`.
pub fn inventory(namespaces: usize, workloads: usize, seed: u64) -> (String, String) {
    inventory_shape(Shape::Mixed, namespaces, workloads, seed)
}

/// The cluster a program talks about, one pod per workload:
/// `(namespaces.yaml, pods.yaml)`.
pub fn inventory_shape(
    shape: Shape,
    namespaces: usize,
    workloads: usize,
    seed: u64,
) -> (String, String) {
    let w = workloads.max(1);
    // (namespace, labels besides its name), (namespace, pod, labels)
    let mut all: Vec<(String, String)> = vec![("kube-system".to_string(), String::new())];
    let mut pods: Vec<(String, String, String)> = vec![(
        "kube-system".into(),
        "kube-dns".into(),
        "k8s-app: kube-dns".into(),
    )];
    if shape == Shape::Cdk8s {
        for i in 0..namespaces {
            all.push((cdk8s_namespace(i), String::new()));
            for k in 0..w {
                let wl = cdk8s_workload(k);
                pods.push((cdk8s_namespace(i), wl.clone(), format!("app: {wl}")));
            }
        }
        return inventory_yaml(&all, &pods);
    }
    let mut rng = Rng::new(seed);
    let ns = namespaces_of(namespaces, &mut rng);
    let platform = "team: platform, tier: ops".to_string();
    all.push(("monitoring".to_string(), platform.clone()));
    all.push(("platform".to_string(), platform));
    all.extend(ns.iter().enumerate().map(|(i, n)| {
        let zone = match shape {
            Shape::FanOut => format!(", zone: z{}", zone(i)),
            _ => String::new(),
        };
        (
            n.name.clone(),
            format!("team: t{}, tier: {}{zone}", n.team, n.tier),
        )
    }));
    pods.extend([
        (
            "monitoring".into(),
            "prometheus".into(),
            "app: prometheus".into(),
        ),
        ("monitoring".into(), "grafana".into(), "app: grafana".into()),
        (
            "platform".into(),
            "status".into(),
            "app: status, monitoring.io/expose-metrics: \"true\"".into(),
        ),
    ]);
    for n in &ns {
        for k in 0..w {
            let wl = workload(k);
            pods.push((n.name.clone(), wl.clone(), format!("app: {wl}")));
        }
    }
    inventory_yaml(&all, &pods)
}

fn inventory_yaml(
    namespaces: &[(String, String)],
    pods: &[(String, String, String)],
) -> (String, String) {
    let mut ns_yaml = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for (name, labels) in namespaces {
        let sep = if labels.is_empty() { "" } else { ", " };
        writeln!(
            ns_yaml,
            "- {{apiVersion: v1, kind: Namespace, metadata: {{name: {name}, labels: {{kubernetes.io/metadata.name: {name}{sep}{labels}}}}}}}"
        )
        .unwrap();
    }
    let mut pod_yaml = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for (namespace, name, labels) in pods {
        writeln!(
            pod_yaml,
            "- {{apiVersion: v1, kind: Pod, metadata: {{name: {name}-0, namespace: {namespace}, labels: {{{labels}}}}}, \
             spec: {{containers: [{{name: main, image: example, ports: [{{name: grpc, containerPort: 9090, protocol: TCP}}, \
             {{name: metrics, containerPort: 9102, protocol: TCP}}, {{name: amqp, containerPort: 5672, protocol: TCP}}]}}]}}}}"
        )
        .unwrap();
    }
    (ns_yaml, pod_yaml)
}
