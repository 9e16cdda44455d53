//! The contract of tier blocks (docs/language.md, "Cluster guardrails"),
//! computed from the resolved program's written statements, one connection
//! and one port at a time: never from the emitted objects, and without the
//! statements npc inserts before a `deny` (their effect is derived here
//! from the language text: DNS traffic toward a `dns` endpoint that a
//! `deny` would cover is passed in `admin` and accepted in `baseline`).
//!
//! Per side: the first `admin` statement that applies and covers decides
//! (`pass` hands over); then, if npc's namespace policies isolate that side,
//! the contract of `model.rs`; then the first `baseline` statement; then
//! allowed. Pods have addresses (`addresses`): an address destination
//! covers the pods whose address lies in it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use npc::eval::Protocol;
use npc::ir::{Action, Dns, Peer, PortNumber, Ports, Program, Tier, TierBlock, TierStatement};
use npc::k8s::Direction;

use super::addresses::in_block;
use super::model::{allowed_on_side, names};
use crate::support::nca::{Inventory, PodDecl as Pod};

/// One end of a connection, for the tier contract.
#[derive(Clone, Copy, Debug)]
pub enum End<'a> {
    Pod(&'a Pod),
    Address(IpAddr),
}

/// The probes a verdict is compared at: every port the program writes and
/// its neighbours, DNS, the container ports of the inventory, and a few
/// others, in each protocol.
pub fn probes(program: &Program, inv: &Inventory) -> Vec<(Protocol, u16)> {
    let mut numbers: Vec<u16> = vec![1, 22, 52, 53, 54, 80, 443, 5432, 8080, 9000, 65535];
    let mut add_ports = |ports: &Ports| {
        if let Ports::Only(set) = ports {
            for p in set {
                match p.number {
                    PortNumber::Single(n) => {
                        numbers.extend([n.saturating_sub(1).max(1), n, n.saturating_add(1)])
                    }
                    PortNumber::Range(a, b) => {
                        numbers.extend([a.saturating_sub(1).max(1), a, b, b.saturating_add(1)])
                    }
                    PortNumber::Named(_) => {}
                }
            }
        }
    };
    for r in &program.rules {
        for (_, p) in &r.destinations {
            add_ports(p);
        }
    }
    for block in program.tiers.blocks() {
        for s in &block.statements {
            for (_, p) in &s.destinations {
                add_ports(p);
            }
        }
    }
    for pod in &inv.pods {
        numbers.extend(pod.ports.iter().map(|p| p.number));
    }
    numbers.sort_unstable();
    numbers.dedup();
    Protocol::ALL
        .into_iter()
        .flat_map(|p| numbers.iter().map(move |n| (p, *n)))
        .collect()
}

/// Addresses for the pods: inside each address range a tier statement
/// names, and outside all of them, in turn.
pub fn addresses(program: &Program, inv: &Inventory) -> BTreeMap<String, IpAddr> {
    let mut candidates: Vec<IpAddr> = Vec::new();
    for block in program.tiers.blocks() {
        for s in &block.statements {
            for (p, _) in &s.destinations {
                if let Peer::Ip(b) = p {
                    candidates.extend(super::addresses::representatives_of(b));
                }
            }
        }
    }
    candidates.push("198.51.100.77".parse().unwrap());
    candidates.push("2001:db8:ffff::7".parse().unwrap());
    candidates.sort();
    candidates.dedup();
    inv.pods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key(), candidates[i % candidates.len()]))
        .collect()
}

fn pod_named(peer: &Peer, pod: &Pod, inv: &Inventory) -> bool {
    names(peer, pod, inv)
}

/// Whether a destination endpoint (peer and ports) covers the other end
/// on `protocol`/`port`: a pod peer names a pod, an address peer holds an
/// address or a pod's address; a named port is the destination pod's
/// container port of that name, whatever its protocol.
fn covers(
    peer: &Peer,
    ports: &Ports,
    end: End<'_>,
    addresses: &BTreeMap<String, IpAddr>,
    inv: &Inventory,
    protocol: Protocol,
    port: u16,
) -> bool {
    let hit = match (peer, end) {
        (Peer::Pods { .. }, End::Pod(q)) => pod_named(peer, q, inv),
        (Peer::Pods { .. }, End::Address(_)) => false,
        (Peer::Ip(b), End::Pod(q)) => addresses.get(&q.key()).is_some_and(|a| in_block(b, *a)),
        (Peer::Ip(b), End::Address(a)) => in_block(b, a),
        // Tier statements hold no DNS names (E050).
        (Peer::Name(_), _) => false,
    };
    if !hit {
        return false;
    }
    let Ports::Only(set) = ports else {
        return true;
    };
    set.iter().any(|p| match &p.number {
        PortNumber::Single(n) => p.protocol == protocol && *n == port,
        PortNumber::Range(a, b) => p.protocol == protocol && *a <= port && port <= *b,
        PortNumber::Named(name) => match end {
            End::Pod(q) => q
                .ports
                .iter()
                .any(|cp| &cp.name == name && cp.protocol == protocol && cp.number == port),
            End::Address(_) => false,
        },
    })
}

/// Whether the written statement `s` applies to this side of `p → q` and
/// covers it.
#[allow(clippy::too_many_arguments)]
fn statement_covers(
    s: &TierStatement,
    direction: Direction,
    p: &Pod,
    q: End<'_>,
    addresses: &BTreeMap<String, IpAddr>,
    inv: &Inventory,
    protocol: Protocol,
    port: u16,
) -> bool {
    if !s.sources.iter().any(|src| pod_named(src, p, inv)) {
        return false;
    }
    let sides_ok = |dst: &Peer| match (s.side, direction) {
        (Some(side), d) => side == d,
        (None, Direction::Egress) => true,
        // Without a side, the ingress rule exists for pod destinations.
        (None, Direction::Ingress) => matches!(dst, Peer::Pods { .. }),
    };
    s.destinations
        .iter()
        .any(|(dst, ports)| sides_ok(dst) && covers(dst, ports, q, addresses, inv, protocol, port))
}

/// The DNS statement of the language, before a `deny` (unless the block
/// says `no dns`): with the deny's sides and sources, toward each `dns`
/// endpoint within its destinations, on its ports that are 53/udp or
/// 53/tcp. A DNS pod is within an address destination wherever its address
/// is (a pod may lie in any CIDR); within a pod destination when that names
/// it; a DNS address, when the destination range holds it (and, as every
/// address of a tier statement, it covers a pod at that address).
#[allow(clippy::too_many_arguments)]
fn dns_statement_covers(
    program: &Program,
    block: &TierBlock,
    deny: &TierStatement,
    direction: Direction,
    p: &Pod,
    q: End<'_>,
    addresses: &BTreeMap<String, IpAddr>,
    inv: &Inventory,
    protocol: Protocol,
    port: u16,
) -> bool {
    if !block.dns || deny.action != Action::Deny || port != 53 || protocol == Protocol::Sctp {
        return false;
    }
    let Dns::Servers { peers: servers, .. } = &program.dns else {
        return false;
    };
    if !deny.sources.iter().any(|src| pod_named(src, p, inv)) {
        return false;
    }
    deny.destinations.iter().any(|(dst, ports)| {
        let dns_port = match ports {
            Ports::All => true,
            Ports::Only(set) => set.iter().any(|x| {
                x.protocol == protocol
                    && match x.number {
                        PortNumber::Single(n) => n == 53,
                        PortNumber::Range(a, b) => a <= 53 && 53 <= b,
                        PortNumber::Named(_) => false,
                    }
            }),
        };
        if !dns_port {
            return false;
        }
        let side_ok = match (deny.side, direction, dst) {
            (Some(side), d, _) => side == d,
            (None, Direction::Egress, _) => true,
            (None, Direction::Ingress, Peer::Pods { .. }) => true,
            (None, Direction::Ingress, Peer::Ip(_) | Peer::Name(_)) => false,
        };
        if !side_ok {
            return false;
        }
        servers.iter().any(|server| match (server, dst, q) {
            (Peer::Pods { .. }, Peer::Pods { .. }, End::Pod(pod)) => {
                pod_named(server, pod, inv) && pod_named(dst, pod, inv)
            }
            (Peer::Pods { .. }, Peer::Ip(_), End::Pod(pod)) => pod_named(server, pod, inv),
            (Peer::Ip(s), Peer::Ip(d), End::Address(a)) => in_block(s, a) && in_block(d, a),
            (Peer::Ip(s), Peer::Ip(d), End::Pod(pod)) => addresses
                .get(&pod.key())
                .is_some_and(|a| in_block(s, *a) && in_block(d, *a)),
            _ => false,
        })
    })
}

/// The decision of one tier for one side: `Some(action)` of the first
/// written statement that covers (or of the DNS statement before it).
#[allow(clippy::too_many_arguments)]
fn tier_decision(
    program: &Program,
    tier: Tier,
    direction: Direction,
    p: &Pod,
    q: End<'_>,
    addresses: &BTreeMap<String, IpAddr>,
    inv: &Inventory,
    protocol: Protocol,
    port: u16,
) -> Option<Action> {
    let block = program.tiers.get(tier)?;
    for s in block.statements.iter().filter(|s| !s.origin.dns) {
        if dns_statement_covers(
            program, block, s, direction, p, q, addresses, inv, protocol, port,
        ) {
            return Some(match tier {
                Tier::Admin => Action::Pass,
                Tier::Baseline => Action::Accept,
            });
        }
        if statement_covers(s, direction, p, q, addresses, inv, protocol, port) {
            return Some(s.action);
        }
    }
    None
}

/// One side of `p → q` on one port, by the four steps. For the ingress
/// side `q` must be a pod.
#[allow(clippy::too_many_arguments)]
pub fn side(
    program: &Program,
    inv: &Inventory,
    addresses: &BTreeMap<String, IpAddr>,
    direction: Direction,
    p: &Pod,
    q: End<'_>,
    protocol: Protocol,
    port: u16,
) -> bool {
    let decision = |tier| {
        tier_decision(
            program, tier, direction, p, q, addresses, inv, protocol, port,
        )
    };
    match decision(Tier::Admin) {
        Some(Action::Accept) => return true,
        Some(Action::Deny) => return false,
        _ => {}
    }
    let isolated = match (direction, q) {
        (Direction::Egress, _) => super::model::isolated(program, p, false),
        (Direction::Ingress, End::Pod(q)) => super::model::isolated(program, q, true),
        (Direction::Ingress, End::Address(_)) => false,
    };
    if isolated {
        return match q {
            End::Pod(q) => allowed_on_side(program, inv, p, q, direction == Direction::Ingress)
                .contains(protocol, port),
            // An address: the namespace policies' egress toward it.
            End::Address(a) => {
                super::addresses::pod_to_ip(program, p, a, |peer, pod| names(peer, pod, inv))
                    .contains(protocol, port)
            }
        };
    }
    !matches!(decision(Tier::Baseline), Some(Action::Deny))
}

/// Pod to pod, both sides.
pub fn allowed(
    program: &Program,
    inv: &Inventory,
    addresses: &BTreeMap<String, IpAddr>,
    p: &Pod,
    q: &Pod,
    protocol: Protocol,
    port: u16,
) -> bool {
    side(
        program,
        inv,
        addresses,
        Direction::Egress,
        p,
        End::Pod(q),
        protocol,
        port,
    ) && side_of_ingress(program, inv, addresses, p, q, protocol, port)
}

/// The ingress side of `p → q`: the statements seen from `q`, with `p` as
/// the peer.
fn side_of_ingress(
    program: &Program,
    inv: &Inventory,
    addresses: &BTreeMap<String, IpAddr>,
    p: &Pod,
    q: &Pod,
    protocol: Protocol,
    port: u16,
) -> bool {
    side(
        program,
        inv,
        addresses,
        Direction::Ingress,
        p,
        End::Pod(q),
        protocol,
        port,
    )
}
