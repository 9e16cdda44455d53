//! Random NPL programs for the differential contract test: every statement,
//! endpoint and port form, drawn from small pools so that rules collide.
//! Deterministic for a seed (a xorshift generator, no external crate).

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NAMESPACES: &[&str] = &["alpha", "beta", "gamma", "delta"];
const UNMANAGED: &[&str] = &["ext", "kube-system"];
const WORKLOADS: &[&str] = &["api", "db", "web", "job"];
const TEAMS: &[&str] = &["a", "b"];
const TIERS: &[&str] = &["x", "y"];
const NAMED_PORTS: &[&str] = &["metrics", "http"];
const CIDRS: &[&str] = &[
    "10.0.0.0/8",
    "10.0.0.0/8 except 10.1.0.0/16",
    "10.0.0.0/8 except (10.1.0.0/16, 10.2.0.0/16)",
    "192.0.2.7",
    "203.0.113.0/24",
    "[2001:db8::/32]",
    "world",
];

fn namespace(rng: &mut Rng, managed: &[String]) -> String {
    if rng.chance(80) && !managed.is_empty() {
        managed[rng.below(managed.len())].clone()
    } else {
        rng.pick(UNMANAGED).to_string()
    }
}

/// A pod label set. `Exists`/`DoesNotExist` are left out of pod parts: nca
/// mishandles them in peers (pinned in `nca_known_defect_...`).
fn pod_labels(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("{{app={}}}", rng.pick(WORKLOADS)),
        1 => format!(
            "{{app in ({}, {})}}",
            rng.pick(WORKLOADS),
            rng.pick(WORKLOADS)
        ),
        2 => format!(
            "{{app={}, role!={}}}",
            rng.pick(WORKLOADS),
            rng.pick(&["canary-free", "batch"])
        ),
        _ => format!("{{role={}}}", rng.pick(&["front", "back"])),
    }
}

fn namespace_labels(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => format!("{{team={}}}", rng.pick(TEAMS)),
        1 => format!("{{tier={}}}", rng.pick(TIERS)),
        2 => format!("{{team={}, tier!={}}}", rng.pick(TEAMS), rng.pick(TIERS)),
        3 => "{team}".to_string(),
        _ => format!("{{tier in ({}, {})}}", rng.pick(TIERS), rng.pick(TIERS)),
    }
}

/// A pod endpoint (no ports).
fn pod_endpoint(rng: &mut Rng, managed: &[String]) -> String {
    match rng.below(9) {
        0..=2 => format!("{}/{}", namespace(rng, managed), rng.pick(WORKLOADS)),
        3 => format!("{}/*", namespace(rng, managed)),
        4 => format!("{}/{}", namespace(rng, managed), pod_labels(rng)),
        5 => format!("{}/{}", namespace_labels(rng), rng.pick(WORKLOADS)),
        6 => format!("{}/*", namespace_labels(rng)),
        7 => format!("*/{}", rng.pick(WORKLOADS)),
        _ => "cluster".to_string(),
    }
}

fn ports(rng: &mut Rng) -> String {
    let one = |rng: &mut Rng| -> String {
        match rng.below(8) {
            0 | 1 => rng.pick(&["80", "443", "8080", "5432"]).to_string(),
            2 => format!("{}/udp", rng.pick(&["53", "8125"])),
            3 => "9000/sctp".to_string(),
            4 => "53/any".to_string(),
            5 => format!(
                "{}-{}",
                rng.pick(&["8000", "8080"]),
                rng.pick(&["8100", "8443"])
            ),
            6 => rng.pick(NAMED_PORTS).to_string(),
            _ => format!("{}/udp", rng.pick(NAMED_PORTS)),
        }
    };
    match rng.below(4) {
        0 => String::new(),
        1 | 2 => format!(":{}", one(rng)),
        _ => format!(":{{{}, {}}}", one(rng), one(rng)),
    }
}

const NAMES: &[&str] = &[
    "api.stripe.com",
    "hooks.slack.com",
    "*.s3.amazonaws.com",
    "x.s3.amazonaws.com",
    "API.Example.ORG.",
];

/// A port list toward a DNS name: no named ports (E054).
fn name_ports(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => String::new(),
        1 => ":443".to_string(),
        2 => ":{80, 443}".to_string(),
        3 => format!(":{}/udp", rng.pick(&["53", "443"])),
        _ => ":8000-8100".to_string(),
    }
}

/// DNS names toward which some sources are allowed (`set cni = cilium`),
/// drawn from their own generator so that the rest of a seed's program is
/// what it always was.
fn names_part(seed: u64, managed: &[String]) -> String {
    let mut rng = Rng::new(seed ^ 0x4E41_4D45_5321);
    if !rng.chance(35) {
        return String::new();
    }
    let mut out = String::from("set cni = cilium\n");
    for _ in 0..(1 + rng.below(3)) {
        let mut destinations = Vec::new();
        for _ in 0..(1 + rng.below(2)) {
            let d = if rng.chance(20) {
                format!("{}{}", rng.pick(CIDRS), name_ports(&mut rng))
            } else {
                format!("{}{}", rng.pick(NAMES), name_ports(&mut rng))
            };
            destinations.push(d);
        }
        out.push_str(&format!(
            "allow {} -> {}\n",
            pod_endpoint(&mut rng, managed),
            destinations.join(", ")
        ));
    }
    out
}

/// The share of programs (percent) whose namespaces may isolate some pods
/// only (`isolate ... only`).
const ONLY_PERCENT: u64 = 30;

/// A pod set of `only`: a workload, a label set of the pools, or the
/// block's alias `members`.
fn only_set(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 | 1 => rng.pick(WORKLOADS).to_string(),
        2 => pod_labels(rng),
        3 => format!("{{role={}}}", rng.pick(&["front", "back"])),
        _ => "members".to_string(),
    }
}

/// The `isolate` statements of a namespace that isolates some pods only
/// (with the `let` of the alias `members` they may use first).
fn only_isolation(rng: &mut Rng) -> Vec<String> {
    let mut sets = vec![only_set(rng)];
    if rng.chance(40) {
        sets.push(only_set(rng));
    }
    let list = sets.join(", ");
    let mut body = Vec::new();
    if list.contains("members") {
        let value = if rng.chance(50) {
            rng.pick(WORKLOADS).to_string()
        } else {
            pod_labels(rng)
        };
        body.push(format!("let members = {value}"));
    }
    match rng.below(5) {
        0 | 1 => body.push(format!("isolate ingress only {list}")),
        2 => body.push(format!("isolate egress only {list}")),
        3 => body.push(format!("isolate ingress, egress only {list}")),
        _ => {
            let (limited, whole) = if rng.chance(50) {
                ("ingress", "egress")
            } else {
                ("egress", "ingress")
            };
            body.push(format!("isolate {limited} only {list}"));
            if rng.chance(60) {
                body.push(format!("isolate {whole}"));
            } else {
                body.push(format!(
                    "isolate {whole} only {}",
                    only_set(rng).replace("members", "web")
                ));
            }
        }
    }
    body
}

/// A random program over the pools; it always compiles.
pub fn program(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    // `isolate ... only` is drawn from a generator of its own, so that the
    // programs without it are the ones these seeds always gave.
    let mut only_rng = Rng::new(seed ^ 0x6f6e_6c79);
    let with_only = only_rng.chance(ONLY_PERCENT);
    let mut out = String::new();
    let count = 2 + rng.below(3);
    let managed: Vec<String> = NAMESPACES[..count].iter().map(|s| s.to_string()).collect();
    if rng.chance(30) {
        out.push_str("dns 169.254.20.10, kube-system/{k8s-app=kube-dns}\n");
    } else if rng.chance(20) {
        out.push_str("dns kube-system/{k8s-app=coredns}\n");
        if rng.chance(50) {
            out.push_str("namespace kube-system {\n  isolate ingress\n}\n");
        }
    }
    for ns in &managed {
        let mut labels = Vec::new();
        if rng.chance(70) {
            labels.push(format!("team={}", rng.pick(TEAMS)));
        }
        if rng.chance(70) {
            labels.push(format!("tier={}", rng.pick(TIERS)));
        }
        out.push_str(&format!("namespace {ns}"));
        if !labels.is_empty() {
            out.push_str(&format!(" labels {{{}}}", labels.join(", ")));
        }
        let mut body = Vec::new();
        match rng.below(6) {
            0 => body.push("isolate ingress".to_string()),
            1 => body.push("isolate egress".to_string()),
            2 if rng.chance(50) => body.push("isolate none".to_string()),
            _ => {}
        }
        if with_only && only_rng.chance(50) {
            body = only_isolation(&mut only_rng);
        }
        if rng.chance(15) {
            body.push("no dns".to_string());
        }
        if rng.chance(20) {
            body.push("no scrape".to_string());
        }
        if rng.chance(40) {
            // Bare names and label sets mean pods of this namespace.
            let dst = if rng.chance(50) {
                rng.pick(WORKLOADS).to_string()
            } else {
                pod_labels(&mut rng)
            };
            body.push(format!(
                "allow {} -> {dst}{}",
                rng.pick(WORKLOADS),
                ports(&mut rng)
            ));
        }
        if body.is_empty() {
            out.push('\n');
        } else {
            out.push_str(" {\n");
            for b in body {
                out.push_str(&format!("  {b}\n"));
            }
            out.push_str("}\n");
        }
    }
    if rng.chance(50) {
        out.push_str(&format!(
            "let svc = {}{}\n",
            pod_endpoint(&mut rng, &managed),
            ports(&mut rng)
        ));
        out.push_str(&format!(
            "allow {} -> svc\n",
            pod_endpoint(&mut rng, &managed)
        ));
    }
    for _ in 0..(2 + rng.below(6)) {
        let mut sources = vec![pod_endpoint(&mut rng, &managed)];
        if rng.chance(25) {
            sources.push(rng.pick(CIDRS).to_string());
        }
        if rng.chance(20) {
            sources.push(pod_endpoint(&mut rng, &managed));
        }
        let mut destinations = Vec::new();
        for _ in 0..(1 + rng.below(2)) {
            let d = if rng.chance(20) {
                rng.pick(CIDRS).to_string()
            } else {
                pod_endpoint(&mut rng, &managed)
            };
            destinations.push(format!("{d}{}", ports(&mut rng)));
        }
        out.push_str(&format!(
            "allow {} -> {}\n",
            sources.join(", "),
            destinations.join(", ")
        ));
    }
    if rng.chance(40) {
        let pods = if rng.chance(50) {
            "*".to_string()
        } else {
            "{scrape=yes}".to_string()
        };
        out.push_str(&format!(
            "scrape {} -> {pods}{}\n",
            pod_endpoint(&mut rng, &managed),
            ports(&mut rng)
        ));
    }
    out.push_str(&tiers(seed, &managed));
    out.push_str(&names_part(seed, &managed));
    out
}

/// Ports of a tier statement: named ports without a protocol (a cluster
/// policy's named port takes its container port's), none toward addresses.
fn tier_ports(rng: &mut Rng, address: bool) -> String {
    let one = |rng: &mut Rng| -> String {
        match rng.below(7) {
            0 | 1 => rng.pick(&["80", "443", "8080", "5432"]).to_string(),
            2 => format!("{}/udp", rng.pick(&["53", "8125"])),
            3 => "53/any".to_string(),
            4 => "9000/sctp".to_string(),
            5 => format!(
                "{}-{}",
                rng.pick(&["1", "8000", "8080"]),
                rng.pick(&["8100", "8443", "65535"])
            ),
            _ if address => "8443".to_string(),
            _ => rng.pick(NAMED_PORTS).to_string(),
        }
    };
    match rng.below(4) {
        0 => String::new(),
        1 | 2 => format!(":{}", one(rng)),
        _ => format!(":{{{}, {}}}", one(rng), one(rng)),
    }
}

/// A tier statement's destinations: pods, or (for the egress side) addresses.
fn tier_destinations(rng: &mut Rng, managed: &[String], addresses: bool) -> Vec<String> {
    (0..(1 + rng.below(2)))
        .map(|_| {
            if addresses && rng.chance(30) {
                let cidr = rng.pick(CIDRS).to_string();
                format!("{cidr}{}", tier_ports(rng, true))
            } else {
                format!("{}{}", pod_endpoint(rng, managed), tier_ports(rng, false))
            }
        })
        .collect()
}

/// `admin` and `baseline` blocks for some programs, from a generator of
/// their own: the rest of a program is what it was for the same seed.
fn tiers(seed: u64, managed: &[String]) -> String {
    let mut rng = Rng::new(seed ^ 0x7133_7133_7133);
    // A quarter of the programs: each is checked pair by pair on every
    // probe port by the tier contract, the API oracle and the evaluator,
    // the slowest part of the run (`NPC_RANDOM_PROGRAMS` runs more).
    if !rng.chance(25) {
        return String::new();
    }
    let mut out = String::new();
    let v1alpha1 = rng.chance(15);
    if v1alpha1 {
        out.push_str("set cluster-policy-api = v1alpha1\n");
    }
    if rng.chance(80) {
        out.push_str("admin {\n");
        if rng.chance(10) {
            out.push_str("  no dns\n");
        }
        for _ in 0..(1 + rng.below(5)) {
            let action = rng.pick(&["accept", "deny", "deny", "pass"]);
            let side = rng.pick(&["", "", "ingress ", "egress "]);
            let mut sources = vec![pod_endpoint(&mut rng, managed)];
            if rng.chance(20) {
                sources.push(pod_endpoint(&mut rng, managed));
            }
            let dst = tier_destinations(&mut rng, managed, side != "ingress ");
            out.push_str(&format!(
                "  {action} {side}{} -> {}\n",
                sources.join(", "),
                dst.join(", ")
            ));
        }
        out.push_str("}\n");
    }
    if rng.chance(70) {
        out.push_str("baseline {\n");
        if rng.chance(10) {
            out.push_str("  no dns\n");
        }
        for _ in 0..(1 + rng.below(4)) {
            let action = rng.pick(&["accept", "deny", "deny"]);
            if v1alpha1 {
                // One BaselineAdminNetworkPolicy, one subject.
                let dst = tier_destinations(&mut rng, managed, true);
                out.push_str(&format!(
                    "  {action} egress cluster -> {}\n",
                    dst.join(", ")
                ));
                continue;
            }
            let side = rng.pick(&["", "ingress ", "egress "]);
            let src = pod_endpoint(&mut rng, managed);
            let dst = tier_destinations(&mut rng, managed, side != "ingress ");
            out.push_str(&format!("  {action} {side}{src} -> {}\n", dst.join(", ")));
        }
        out.push_str("}\n");
    }
    out
}

/// Candidate `expect` lines for a random program: random endpoints (pods of
/// its managed namespaces, label-set namespaces, addresses as sources) and
/// ports (none, a named port, a number, a range, a set), either verdict.
/// Not all hold; the test keeps those npc proves and checks them against the
/// contract and nca.
pub fn expectation_candidates(seed: u64, program: &str) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x5eed_e3b3);
    let managed: Vec<String> = NAMESPACES
        .iter()
        .filter(|n| {
            program
                .lines()
                .any(|l| l.split_whitespace().take(2).eq(["namespace", **n]))
        })
        .map(|n| n.to_string())
        .collect();
    let mut out = Vec::new();
    for _ in 0..6 {
        let verdict = if rng.chance(50) { "allow" } else { "deny" };
        let src = if rng.chance(15) {
            rng.pick(CIDRS).to_string()
        } else {
            pod_endpoint(&mut rng, &managed)
        };
        let dst = pod_endpoint(&mut rng, &managed);
        out.push(format!(
            "expect {verdict} {src} -> {dst}{}",
            ports(&mut rng)
        ));
    }
    out
}
