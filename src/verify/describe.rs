//! NPL text for peers and ports, for messages and explanations.

use crate::eval::{Endpoint, NamedPort, PortSet, Protocol};
use crate::ir::{NamespaceSelector, Peer, PortNumber, Ports};

/// An expectation endpoint as NPL writes it: its peer, or `world`.
pub fn peers(list: &[Peer], workload_label: &str) -> String {
    match list {
        [one] => peer(one, workload_label),
        [Peer::Ip(a), Peer::Ip(b)] if a.cidr.is_everything() && b.cidr.is_everything() => {
            "world".to_string()
        }
        many => many
            .iter()
            .map(|p| peer(p, workload_label))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A peer as NPL writes it: `payments/postgres-primary`, `{team=ops}/*`, `world`.
pub fn peer(p: &Peer, workload_label: &str) -> String {
    match p {
        Peer::Name(name) => name.to_string(),
        Peer::Pods { namespaces, pods } => {
            let ns = match namespaces {
                NamespaceSelector::Named(n) => n.clone(),
                NamespaceSelector::Matching(sel) if sel.is_empty() => "*".to_string(),
                NamespaceSelector::Matching(sel) => sel.to_string(),
            };
            let pod = if pods.is_empty() {
                "*".to_string()
            } else if pods.expressions.is_empty() && pods.match_labels.len() == 1 {
                match pods.match_labels.get(workload_label) {
                    Some(name) => name.clone(),
                    None => pods.to_string(),
                }
            } else {
                pods.to_string()
            };
            format!("{ns}/{pod}")
        }
        Peer::Ip(block) => {
            if block.except.is_empty() && block.cidr.is_everything() {
                return "world".to_string();
            }
            let npl = |c: &crate::k8s::Cidr| {
                if c.is_ipv4() {
                    c.to_string()
                } else {
                    format!("[{c}]")
                }
            };
            let cidr = npl(&block.cidr);
            match block.except.as_slice() {
                [] => cidr,
                [one] => format!("{cidr} except {}", npl(one)),
                many => format!(
                    "{cidr} except ({})",
                    many.iter().map(npl).collect::<Vec<_>>().join(", ")
                ),
            }
        }
    }
}

/// `TCP 5432`
pub fn port(protocol: Protocol, number: u16) -> String {
    format!("{protocol} {number}")
}

/// The ports of an `expect` line: `TCP 5432`, `TCP 8000-8100 and UDP 53`, `TCP `metrics``.
pub fn ports(ports: &Ports) -> String {
    let Ports::Only(list) = ports else {
        return "every port".to_string();
    };
    let parts: Vec<String> = list
        .iter()
        .map(|p| match &p.number {
            PortNumber::Single(n) => format!("{} {n}", p.protocol.as_str()),
            PortNumber::Range(a, b) => format!("{} {a}-{b}", p.protocol.as_str()),
            PortNumber::Named(name) => format!("{} `{name}`", p.protocol.as_str()),
        })
        .collect();
    parts.join(" and ")
}

/// A port set for notes: `TCP 8080; UDP 53`, `every port`, `no port`.
pub fn port_set(set: &PortSet) -> String {
    if set.is_full() {
        "every port of TCP, UDP and SCTP".to_string()
    } else if set.is_empty() {
        "no port".to_string()
    } else {
        set.to_string()
    }
}

/// The container ports a representative pod declares at numbers the
/// program does not name: numbers npc picked for the program's named ports,
/// which stand for whatever number a real pod gives the name, and are never
/// shown. A port at a number the program names (a pod that declares `http`
/// as the 9090 an `expect` line asks about) is real and kept out; so are
/// inventory pods' ports and addresses.
pub fn stand_ins(
    r: &crate::regions::representative::Representative,
    program: &crate::ir::Program,
) -> Vec<NamedPort> {
    let (crate::regions::representative::Kind::Pod { .. }, Endpoint::Pod(pod)) =
        (&r.kind, &r.endpoint)
    else {
        return Vec::new();
    };
    if pod.ports.is_empty() {
        return Vec::new();
    }
    let named = crate::regions::representative::numeric_ports(program);
    pod.ports
        .iter()
        .filter(|p| !named.contains(p.protocol, p.number))
        .cloned()
        .collect()
}

/// A named port stood in for by `number`, if one is.
fn stand_in(stand_ins: &[NamedPort], protocol: Protocol, number: u16) -> Option<&NamedPort> {
    stand_ins
        .iter()
        .find(|p| p.protocol == protocol && p.number == number)
}

/// One port for people: `TCP 8080`, or ``named port `http` `` (with the
/// protocol when it is not TCP) where the number stands in for a name.
pub fn port_named(protocol: Protocol, number: u16, stand_ins: &[NamedPort]) -> String {
    match stand_in(stand_ins, protocol, number) {
        Some(p) if protocol == Protocol::Tcp => format!("named port `{}`", p.name),
        Some(p) => format!("named port `{}` ({protocol})", p.name),
        None => port(protocol, number),
    }
}

/// A set of ports as `PortSet` prints it (`TCP 8080; UDP 53`, `all`,
/// `none`), with the numbers that stand in for named ports shown by name:
/// `TCP 8080, named port `http``.
pub fn port_set_named(set: &PortSet, stand_ins: &[NamedPort]) -> String {
    let named_here = |p: Protocol, a: u16, b: u16| a == b && stand_in(stand_ins, p, a).is_some();
    let any = Protocol::ALL
        .into_iter()
        .any(|p| set.ranges(p).iter().any(|r| named_here(p, r.start, r.end)));
    if !any {
        return set.to_string();
    }
    let mut parts = Vec::new();
    for p in Protocol::ALL {
        let mut numbers = Vec::new();
        let mut names = Vec::new();
        for r in set.ranges(p) {
            if named_here(p, r.start, r.end) {
                names.push(port_named(p, r.start, stand_ins));
            } else {
                numbers.push(r.to_string());
            }
        }
        if !numbers.is_empty() {
            parts.push(format!("{p} {}", numbers.join(",")));
        }
        parts.extend(names);
    }
    parts.join("; ")
}

/// The first (protocol, port) of a set.
pub fn first(set: &PortSet) -> Option<(Protocol, u16)> {
    Protocol::ALL
        .into_iter()
        .find_map(|p| set.ranges(p).first().map(|r| (p, r.start)))
}
