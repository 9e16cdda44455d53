//! The semantic contract (docs/language.md, "The semantic contract"), computed from the resolved
//! program alone (never from the emitted policies): for two pods, the ports
//! on which the first may connect to the second.

use npc::ir::{Dns, OriginKind, Peer, PortNumber, Ports, Program};

use npc::eval::{PortSet, Protocol};

use super::inventory::namespace;
use crate::support::nca::{Inventory, PodDecl as Pod};

/// Whether a pod peer names this pod.
pub fn names(peer: &Peer, pod: &Pod, inv: &Inventory) -> bool {
    let Peer::Pods { namespaces, pods } = peer else {
        return false;
    };
    let Some(ns) = namespace(inv, &pod.namespace) else {
        return false;
    };
    namespaces.covers(&ns.name, &ns.labels) && pods.matches(&pod.labels)
}

/// Ports as seen at a destination pod: named ports resolve to its container ports.
pub fn resolve(ports: &Ports, dst: &Pod) -> PortSet {
    let Ports::Only(set) = ports else {
        return PortSet::full();
    };
    let mut out = PortSet::empty();
    for p in set {
        let pr = p.protocol;
        match &p.number {
            PortNumber::Single(n) => out.insert(pr, *n, *n),
            PortNumber::Range(a, b) => out.insert(pr, *a, *b),
            PortNumber::Named(name) => {
                if let Some(cp) = dst
                    .ports
                    .iter()
                    .find(|cp| &cp.name == name && cp.protocol == pr)
                {
                    out.insert(pr, cp.number, cp.number);
                }
            }
        }
    }
    out
}

pub fn dns_ports() -> PortSet {
    let mut s = PortSet::empty();
    s.insert(Protocol::Udp, 53, 53);
    s.insert(Protocol::Tcp, 53, 53);
    s
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Egress,
    Ingress,
}

/// What the program's intent allows from `p` to `q` on one side.
fn covered(program: &Program, inv: &Inventory, p: &Pod, q: &Pod, side: Side) -> PortSet {
    let mut out = PortSet::empty();
    for rule in program
        .rules
        .iter()
        .filter(|r| r.origin.kind == OriginKind::Allow)
    {
        if !rule.sources.iter().any(|s| names(s, p, inv)) {
            continue;
        }
        for (dst, ports) in &rule.destinations {
            if names(dst, q, inv) {
                out = out.union(&resolve(ports, q));
            }
        }
    }
    // DNS: each egress-isolated managed namespace without `no dns` reaches
    // the servers; servers in ingress-isolated namespaces admit everyone.
    if let Dns::Servers { peers, .. } = &program.dns {
        if peers.iter().any(|s| names(s, q, inv)) {
            let open = match side {
                Side::Egress => program
                    .namespaces
                    .get(&p.namespace)
                    .is_some_and(|ns| ns.dns),
                Side::Ingress => true,
            };
            if open {
                out = out.union(&dns_ports());
            }
        }
    }
    // Scrape: the source reaches the selected pods of every namespace except
    // managed ones that say `no scrape`.
    for s in &program.scrapes {
        let excluded = program
            .namespaces
            .get(&q.namespace)
            .is_some_and(|ns| !ns.scrape);
        if !excluded && s.sources.iter().any(|src| names(src, p, inv)) && s.pods.matches(&q.labels)
        {
            out = out.union(&resolve(&s.ports, q));
        }
    }
    out
}

/// Whether a pod is isolated on one side (§7.1: "P is an egress-isolated
/// pod of a managed namespace"): its namespace is managed and isolates that
/// direction, for every pod, or, when some `only` set names the direction,
/// for the pods of those sets. Read from the program's pod sets here, not
/// through the compiler's helpers.
pub fn isolated(program: &Program, pod: &Pod, ingress: bool) -> bool {
    let Some(ns) = program.namespaces.get(&pod.namespace) else {
        return false;
    };
    let names_side = |i: &npc::ir::Isolation| if ingress { i.ingress } else { i.egress };
    if !names_side(&ns.isolation) {
        return false;
    }
    let sets: Vec<_> = ns
        .only
        .iter()
        .filter(|s| names_side(&s.isolation))
        .collect();
    sets.is_empty() || sets.iter().any(|s| s.pods.matches(&pod.labels))
}

/// One side of the contract: what the source's egress (`ingress` false) or
/// the destination's ingress (`ingress` true) allows, everything when that
/// side is not isolated.
pub fn allowed_on_side(
    program: &Program,
    inv: &Inventory,
    p: &Pod,
    q: &Pod,
    ingress: bool,
) -> PortSet {
    let (pod, side) = if ingress {
        (q, Side::Ingress)
    } else {
        (p, Side::Egress)
    };
    if isolated(program, pod, ingress) {
        covered(program, inv, p, q, side)
    } else {
        PortSet::full()
    }
}

/// The contract: allowed iff each isolated side is covered.
pub fn allowed(program: &Program, inv: &Inventory, p: &Pod, q: &Pod) -> PortSet {
    let egress_isolated = isolated(program, p, false);
    let ingress_isolated = isolated(program, q, true);
    let egress = if egress_isolated {
        covered(program, inv, p, q, Side::Egress)
    } else {
        PortSet::full()
    };
    let ingress = if ingress_isolated {
        covered(program, inv, p, q, Side::Ingress)
    } else {
        PortSet::full()
    };
    egress.intersection(&ingress)
}
