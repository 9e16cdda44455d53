//! DNS names in the contract (LANGUAGE.md §7.3), computed from the resolved
//! program alone, never from the emitted objects.
//!
//! A name denotes the addresses it resolves to when the connection is made:
//! a part of `world`, never a pod, possibly inside any CIDR. A pod P may
//! open a connection to name N at address A on a port when P's egress is not
//! isolated, or some `allow` from P covers N (the name, or a pattern whose
//! `*` is N's first label) on that port, or covers A as an address (as for
//! any address). With names, `set cni = cilium` also gives every pod that an
//! `allow` sends to a name (in an egress-isolated managed namespace) the
//! DNS rule: egress to every `dns` endpoint on 53/udp and 53/tcp, even where
//! its namespace says `no dns`.
//!
//! nca reads NetworkPolicies only: it is compared with the contract without
//! names (`model::allowed`, `addresses::pod_to_ip`); npc's evaluator, given
//! the CiliumNetworkPolicies too, with the whole contract (this module).

use std::net::IpAddr;

use npc::eval::{Endpoint, PolicySet, PortSet};
use npc::ir::{Cni, Dns, OriginKind, Peer, PortNumber, Ports, Program};
use npc::k8s::DnsName;

use super::{addresses, model};
use crate::support::nca::{Inventory, PodDecl as Pod};

/// Whether the program gives `p` the names' DNS rule.
pub fn reaches_names(program: &Program, inv: &Inventory, p: &Pod) -> bool {
    program.settings.cni == Cni::Cilium
        && super::model::isolated(program, p, false)
        && program.rules.iter().any(|r| {
            r.origin.kind == OriginKind::Allow
                && r.destinations.iter().any(|(d, _)| d.is_name())
                && r.sources.iter().any(|s| model::names(s, p, inv))
        })
}

/// Pod → pod under the whole contract: the names' DNS rule widens the
/// source's egress toward the DNS server pods.
pub fn pod_to_pod(program: &Program, inv: &Inventory, p: &Pod, q: &Pod) -> PortSet {
    let mut egress = model::allowed_on_side(program, inv, p, q, false);
    let ingress = model::allowed_on_side(program, inv, p, q, true);
    if reaches_names(program, inv, p) {
        if let Dns::Servers { peers, .. } = &program.dns {
            if peers.iter().any(|s| model::names(s, q, inv)) {
                egress = egress.union(&model::dns_ports());
            }
        }
    }
    egress.intersection(&ingress)
}

/// Pod → address under the whole contract.
pub fn pod_to_ip(program: &Program, inv: &Inventory, p: &Pod, addr: IpAddr) -> PortSet {
    let names = |peer: &Peer, pod: &Pod| model::names(peer, pod, inv);
    let mut out = addresses::pod_to_ip(program, p, addr, names);
    if reaches_names(program, inv, p) {
        if let Dns::Servers { peers, .. } = &program.dns {
            if peers
                .iter()
                .any(|s| matches!(s, Peer::Ip(b) if addresses::in_block(b, addr)))
            {
                out = out.union(&model::dns_ports());
            }
        }
    }
    out
}

/// Pod → name `n` resolved to `addr`, under the whole contract.
pub fn pod_to_name(
    program: &Program,
    inv: &Inventory,
    p: &Pod,
    n: &DnsName,
    addr: IpAddr,
) -> PortSet {
    let isolated = super::model::isolated(program, p, false);
    if !isolated {
        return PortSet::full();
    }
    let mut out = pod_to_ip(program, inv, p, addr);
    if program.settings.cni != Cni::Cilium {
        return out;
    }
    for r in program
        .rules
        .iter()
        .filter(|r| r.origin.kind == OriginKind::Allow)
    {
        if !r.sources.iter().any(|s| model::names(s, p, inv)) {
            continue;
        }
        for (d, ports) in &r.destinations {
            if let Peer::Name(written) = d {
                if covers(written, n) {
                    out = out.union(&numeric(ports));
                }
            }
        }
    }
    out
}

/// Whether a written name or pattern covers a name: equal, or `*.` and one
/// more label than the rest (written here from the language's words, not
/// from npc's `DnsName::covers`).
pub fn covers(written: &DnsName, n: &DnsName) -> bool {
    let (w, n) = (written.as_str(), n.as_str());
    if w == n {
        return true;
    }
    match (w.strip_prefix("*."), n.split_once('.')) {
        (Some(suffix), Some((first, rest))) => !first.is_empty() && first != "*" && rest == suffix,
        _ => false,
    }
}

fn numeric(ports: &Ports) -> PortSet {
    let Ports::Only(set) = ports else {
        return PortSet::full();
    };
    let mut out = PortSet::empty();
    for p in set {
        match &p.number {
            PortNumber::Single(n) => out.insert(p.protocol, *n, *n),
            PortNumber::Range(a, b) => out.insert(p.protocol, *a, *b),
            PortNumber::Named(_) => {}
        }
    }
    out
}

/// The names to check: every name the program writes, an instance of each
/// pattern that no written name is, and a name nothing covers.
pub fn instances(program: &Program) -> Vec<DnsName> {
    let mut written: Vec<DnsName> = Vec::new();
    let mut add = |peer: &Peer| {
        if let Peer::Name(n) = peer {
            if !written.contains(n) {
                written.push(n.clone());
            }
        }
    };
    for r in &program.rules {
        r.destinations.iter().for_each(|(d, _)| add(d));
    }
    for e in &program.expectations {
        e.destinations.iter().for_each(&mut add);
    }
    let mut out: Vec<DnsName> = written
        .iter()
        .filter(|n| !n.is_pattern())
        .cloned()
        .collect();
    for p in written.iter().filter(|n| n.is_pattern()) {
        let suffix = p.as_str().trim_start_matches("*.");
        for label in ["contract-one", "contract-two"] {
            let n = DnsName::parse(&format!("{label}.{suffix}")).unwrap();
            if !out.contains(&n) {
                out.push(n);
            }
        }
        // Two labels where the pattern has one: never covered by it.
        let deeper = DnsName::parse(&format!("a.b.{suffix}")).unwrap();
        if !out.contains(&deeper) {
            out.push(deeper);
        }
    }
    if !out.is_empty() {
        out.push(DnsName::parse("unnamed.contract.example").unwrap());
    }
    out
}

/// Everything about names that disagrees between the whole contract and
/// npc's evaluator over both kinds of objects.
pub fn check(label: &str, c: &npc::Compilation, inv: &Inventory) -> Vec<String> {
    let program = c.program.as_ref().unwrap();
    let names = instances(program);
    if names.is_empty() && c.cilium.is_empty() {
        return Vec::new();
    }
    let mut set = PolicySet::new(c.policies.clone()).unwrap();
    set.extend_cilium(&c.cilium).unwrap();
    let pods = inv.eval_pods();
    let mut failures = Vec::new();
    let matrix = set.matrix(&pods);
    for (i, p) in inv.pods.iter().enumerate() {
        for (j, q) in inv.pods.iter().enumerate() {
            if i == j {
                continue;
            }
            let want = pod_to_pod(program, inv, p, q);
            if &want != matrix.get(i, j) {
                failures.push(format!(
                    "{label}: {} -> {}: contract with names {want}; evaluator {}",
                    p.key(),
                    q.key(),
                    matrix.get(i, j)
                ));
            }
        }
    }
    let addrs = addresses::representatives(program);
    for (i, p) in inv.pods.iter().enumerate() {
        let src = Endpoint::Pod(pods[i].clone());
        for addr in &addrs {
            let want = pod_to_ip(program, inv, p, *addr);
            let got = set.allowed_ports(&src, &Endpoint::Ip(*addr));
            if want != got {
                failures.push(format!(
                    "{label}: {} -> {addr}: contract with names {want}; evaluator {got}",
                    p.key()
                ));
            }
            for n in &names {
                let dst = Endpoint::Name {
                    name: n.clone(),
                    address: *addr,
                };
                let want = pod_to_name(program, inv, p, n, *addr);
                let got = set.allowed_ports(&src, &dst);
                if want != got {
                    failures.push(format!(
                        "{label}: {} -> {n} at {addr}: contract {want}; evaluator {got}",
                        p.key()
                    ));
                }
            }
        }
    }
    failures
}

#[test]
fn covers_is_one_label() {
    let n = |s: &str| DnsName::parse(s).unwrap();
    assert!(covers(&n("*.a.com"), &n("x.a.com")));
    assert!(!covers(&n("*.a.com"), &n("x.y.a.com")));
    assert!(!covers(&n("*.a.com"), &n("a.com")));
    assert!(covers(&n("a.com"), &n("a.com")));
    assert!(!covers(&n("a.com"), &n("*.a.com")));
}

/// The names check is no check that cannot fail: a CiliumNetworkPolicy
/// without its last `toFQDNs` rule, or (in a namespace that says `no dns`,
/// where nothing else allows DNS) without its DNS rule, disagrees.
#[test]
fn the_names_check_finds_a_missing_rule() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/ok/names.npl");
    let c = super::compile_file(&path);
    let inv = super::inventory::build(c.program.as_ref().unwrap());
    assert!(check("names", &c, &inv).is_empty());
    for cut in [0, 1] {
        let mut broken = super::compile_file(&path);
        let policy = broken
            .cilium
            .iter_mut()
            .find(|p| p.namespace() == "payments" && p.name().contains("tier"))
            .unwrap();
        let rules = &mut policy.spec.egress;
        if cut == 0 {
            rules.pop();
        } else {
            rules.retain(|r| r.to_fqdns.is_some());
        }
        assert!(
            !check("broken", &broken, &inv).is_empty(),
            "cut {cut} went unnoticed"
        );
    }
}
