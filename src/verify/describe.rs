//! NPL text for peers and ports, for messages and explanations.

use crate::eval::{PortSet, Protocol};
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

/// The first (protocol, port) of a set.
pub fn first(set: &PortSet) -> Option<(Protocol, u16)> {
    Protocol::ALL
        .into_iter()
        .find_map(|p| set.ranges(p).first().map(|r| (p, r.start)))
}
