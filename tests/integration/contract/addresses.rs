//! IP endpoints in the contract: representative addresses of every IP block
//! a program names, and the connectivity the contract promises to and from them.

use std::net::IpAddr;

use npc::ir::{Dns, OriginKind, Peer, PortNumber, Ports, Program};
use npc::k8s::IpBlock;

use npc::eval::PortSet;

use crate::support::nca::PodDecl as Pod;

fn bits(a: IpAddr) -> (u128, u32) {
    match a {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

fn parse(cidr: &str) -> Option<(IpAddr, u32)> {
    let (a, p) = cidr.split_once('/')?;
    Some((a.parse().ok()?, p.parse().ok()?))
}

/// Whether `addr` lies in `cidr`.
pub fn in_cidr(cidr: &str, addr: IpAddr) -> bool {
    let Some((net, prefix)) = parse(cidr) else {
        return false;
    };
    let ((n, width), (a, w2)) = (bits(net), bits(addr));
    if width != w2 {
        return false;
    }
    let host = width - prefix;
    let mask = if host >= 128 {
        0
    } else {
        !((1u128 << host) - 1)
    };
    (n & mask) == (a & mask)
}

pub fn in_block(block: &IpBlock, addr: IpAddr) -> bool {
    in_cidr(&block.cidr.to_string(), addr)
        && !block.except.iter().any(|e| in_cidr(&e.to_string(), addr))
}

fn plus_one(cidr: &str) -> Option<IpAddr> {
    let (net, prefix) = parse(cidr)?;
    let (n, width) = bits(net);
    let v = if prefix + 1 < width { n + 1 } else { n };
    Some(match net {
        IpAddr::V4(_) => IpAddr::V4(u32::try_from(v).ok()?.into()),
        IpAddr::V6(_) => IpAddr::V6(v.into()),
    })
}

/// Addresses that exercise every IP block of the program: one inside each
/// block, one inside each `except` range, and two public addresses.
pub fn representatives(program: &Program) -> Vec<IpAddr> {
    let mut blocks: Vec<&IpBlock> = Vec::new();
    let mut peers: Vec<&Peer> = Vec::new();
    for r in &program.rules {
        peers.extend(r.sources.iter());
        peers.extend(r.destinations.iter().map(|(p, _)| p));
    }
    if let Dns::Servers { peers: s, .. } = &program.dns {
        peers.extend(s.iter());
    }
    for p in peers {
        if let Peer::Ip(b) = p {
            blocks.push(b);
        }
    }
    let mut out: Vec<IpAddr> = vec![
        "8.8.8.8".parse().unwrap(),
        "2001:4860::8888".parse().unwrap(),
    ];
    for b in blocks {
        out.extend(representatives_of(b));
        out.extend(b.except.iter().filter_map(|e| plus_one(&e.to_string())));
    }
    out.sort();
    out.dedup();
    out
}

/// An address inside the block and outside its `except` ranges.
pub fn representatives_of(block: &IpBlock) -> Option<IpAddr> {
    if block.cidr.to_string().ends_with("/0") {
        return None;
    }
    let first = plus_one(&block.cidr.to_string())?;
    if in_block(block, first) {
        return Some(first);
    }
    // The first address is excepted: try the address after each except range.
    block.except.iter().find_map(|e| {
        let (net, prefix) = parse(&e.to_string())?;
        let (n, width) = bits(net);
        let next = n.checked_add(1u128 << (width - prefix))?;
        let addr = match net {
            IpAddr::V4(_) => IpAddr::V4(u32::try_from(next).ok()?.into()),
            IpAddr::V6(_) => IpAddr::V6(next.into()),
        };
        in_block(block, addr).then_some(addr)
    })
}

fn resolve_for_ip(ports: &Ports) -> PortSet {
    let Ports::Only(set) = ports else {
        return PortSet::full();
    };
    let mut out = PortSet::empty();
    for p in set {
        match &p.number {
            PortNumber::Single(n) => out.insert(p.protocol, *n, *n),
            PortNumber::Range(a, b) => out.insert(p.protocol, *a, *b),
            // A named port resolves against pod ports; an address has none.
            PortNumber::Named(_) => {}
        }
    }
    out
}

/// The contract for pod → address (`names` tells whether a pod peer names a pod).
pub fn pod_to_ip(
    program: &Program,
    p: &Pod,
    addr: IpAddr,
    names: impl Fn(&Peer, &Pod) -> bool,
) -> PortSet {
    let isolated = super::model::isolated(program, p, false);
    if !isolated {
        return PortSet::full();
    }
    let mut out = PortSet::empty();
    for r in program
        .rules
        .iter()
        .filter(|r| r.origin.kind == OriginKind::Allow)
    {
        if !r.sources.iter().any(|s| names(s, p)) {
            continue;
        }
        for (d, ports) in &r.destinations {
            if let Peer::Ip(b) = d {
                if in_block(b, addr) {
                    out = out.union(&resolve_for_ip(ports));
                }
            }
        }
    }
    if let Dns::Servers { peers, .. } = &program.dns {
        let dns_on = program
            .namespaces
            .get(&p.namespace)
            .is_some_and(|ns| ns.dns);
        if dns_on
            && peers
                .iter()
                .any(|s| matches!(s, Peer::Ip(b) if in_block(b, addr)))
        {
            out = out.union(&super::model::dns_ports());
        }
    }
    out
}

/// The contract for address → pod.
pub fn ip_to_pod(
    program: &Program,
    addr: IpAddr,
    q: &Pod,
    names: impl Fn(&Peer, &Pod) -> bool,
) -> PortSet {
    let isolated = super::model::isolated(program, q, true);
    if !isolated {
        return PortSet::full();
    }
    let mut out = PortSet::empty();
    for r in program
        .rules
        .iter()
        .filter(|r| r.origin.kind == OriginKind::Allow)
    {
        if !r
            .sources
            .iter()
            .any(|s| matches!(s, Peer::Ip(b) if in_block(b, addr)))
        {
            continue;
        }
        for (d, ports) in &r.destinations {
            if names(d, q) {
                out = out.union(&super::model::resolve(ports, q));
            }
        }
    }
    out
}
