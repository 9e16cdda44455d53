//! Representative endpoints: the pods and addresses an `expect` endpoint stands for.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::eval::{Endpoint, NamedPort, Pod, PortSet};
use crate::ir::{NamespaceSelector, Peer, PortNumber, Ports, Program, Selector};
use crate::k8s::{IpBlock, NAMESPACE_NAME_LABEL};

/// One concrete endpoint an `expect` endpoint stands for.
#[derive(Clone, Debug)]
pub struct Representative {
    pub endpoint: Endpoint,
    pub kind: Kind,
}

/// What a representative stands for, for naming it in notes.
#[derive(Clone, Debug)]
pub enum Kind {
    /// A pod with just these labels; `declared` when its namespace is one
    /// the program declares.
    Pod {
        declared: bool,
    },
    /// A pod of a cluster inventory, `namespace/name`.
    Inventory(String),
    Address,
    /// A DNS name, connected to at one of its addresses.
    Name,
}

impl Representative {
    /// How a note names it: `a pod in `web` with labels `app=frontend``.
    /// Made on demand: most representatives are never named.
    pub fn description(&self) -> String {
        match (&self.kind, &self.endpoint) {
            (
                Kind::Inventory(key),
                Endpoint::Pod(Pod {
                    address: Some(address),
                    ..
                }),
            ) => format!("pod `{key}` at the address `{address}`"),
            (Kind::Inventory(key), _) => format!("pod `{key}`"),
            (_, Endpoint::Ip(ip)) => format!("the address `{ip}`"),
            (_, Endpoint::Name { name, address }) => {
                format!("the name `{name}` (resolved to `{address}`)")
            }
            (Kind::Pod { declared }, Endpoint::Pod(pod)) => {
                let mut text = format!("a pod in `{}`", pod.namespace);
                if !declared {
                    let own: BTreeMap<String, String> = pod
                        .namespace_labels
                        .iter()
                        .filter(|(k, _)| k.as_str() != NAMESPACE_NAME_LABEL)
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    text.push_str(&format!(
                        " (a namespace the program does not declare, with {})",
                        label_text(&own)
                    ));
                }
                text.push_str(&format!(" with {}", label_text(&pod.labels)));
                if let Some(address) = pod.address {
                    text.push_str(&format!(" and the address `{address}`"));
                }
                text
            }
            (Kind::Address | Kind::Name, Endpoint::Pod(pod)) => {
                format!("a pod in `{}`", pod.namespace)
            }
        }
    }
}

/// `app=frontend, tier=web`, or `no labels`.
pub fn label_text(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "no labels".to_string();
    }
    let list: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("labels `{}`", list.join(", "))
}

/// The namespaces (name, labels incl. `kubernetes.io/metadata.name`) a pod
/// peer's namespace part stands for: the named one, or the managed ones a
/// label set covers, or else one synthetic namespace carrying its labels.
fn namespaces(
    ns: &NamespaceSelector,
    program: &Program,
) -> Vec<(String, BTreeMap<String, String>)> {
    match ns {
        NamespaceSelector::Named(name) => {
            let labels = program.namespaces.get(name).map_or_else(
                || BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), name.clone())]),
                |m| m.labels.clone(),
            );
            vec![(name.clone(), labels)]
        }
        NamespaceSelector::Matching(sel) => {
            let managed: Vec<_> = program
                .namespaces
                .values()
                .filter(|m| sel.matches(&m.labels))
                .map(|m| (m.name.clone(), m.labels.clone()))
                .collect();
            if !managed.is_empty() {
                return managed;
            }
            synthetic_namespace(sel, program).into_iter().collect()
        }
    }
}

fn synthetic_namespace(
    sel: &Selector,
    program: &Program,
) -> Option<(String, BTreeMap<String, String>)> {
    let mut labels = sel.satisfying_labels()?;
    if let Some(name) = labels.get(NAMESPACE_NAME_LABEL) {
        return Some((name.clone(), labels));
    }
    (0..=program.namespaces.len() + sel.expressions.len()).find_map(|i| {
        let name = if i == 0 {
            "unmanaged".to_string()
        } else {
            format!("unmanaged-{i}")
        };
        labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.clone());
        (!program.namespaces.contains_key(&name) && sel.matches(&labels))
            .then(|| (name, labels.clone()))
    })
}

/// The representatives of one `expect` endpoint; a destination declares the
/// given named container ports.
pub fn representatives(peer: &Peer, program: &Program, ports: &[NamedPort]) -> Vec<Representative> {
    match peer {
        Peer::Pods {
            namespaces: ns,
            pods,
        } => {
            let Some(labels) = pods.satisfying_labels() else {
                return Vec::new();
            };
            namespaces(ns, program)
                .into_iter()
                .map(|(namespace, namespace_labels)| Representative {
                    kind: Kind::Pod { declared: true },
                    endpoint: Endpoint::Pod(Pod {
                        namespace,
                        namespace_labels,
                        labels: labels.clone(),
                        ports: ports.to_vec(),
                        // Representative pods carry no address: ipBlocks never match them.
                        ips: Vec::new(),
                        address: None,
                    }),
                })
                .collect()
        }
        Peer::Ip(block) => address(block)
            .map(|ip| Representative {
                kind: Kind::Address,
                endpoint: Endpoint::Ip(ip),
            })
            .into_iter()
            .collect(),
        Peer::Name(name) => vec![name_representative(name)],
    }
}

/// The address a DNS name stands at when one representative is enough
/// (`npc explain`): a documentation address (TEST-NET-3), outside every
/// private range.
pub const NAME_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));

/// A name (a pattern's first instance) at [`NAME_ADDRESS`].
pub fn name_representative(name: &crate::k8s::DnsName) -> Representative {
    Representative {
        kind: Kind::Name,
        endpoint: Endpoint::Name {
            name: name.instance(&[]),
            address: NAME_ADDRESS,
        },
    }
}

/// An address inside the CIDR and outside its `except` ranges: a public
/// address for `0.0.0.0/0` and `::/0`, else the first host address.
pub fn address(block: &IpBlock) -> Option<IpAddr> {
    let (first, last) = block.cidr.range();
    let mut candidate = if block.cidr.is_everything() {
        if block.cidr.is_ipv4() {
            u128::from(u32::from(Ipv4Addr::new(8, 8, 8, 8)))
        } else {
            u128::from(Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888))
        }
    } else if last - first >= 2 {
        first + 1
    } else {
        first
    };
    let excepts: Vec<(u128, u128)> = block.except.iter().map(|e| e.range()).collect();
    for _ in 0..=excepts.len() {
        match excepts.iter().find(|(a, b)| (*a..=*b).contains(&candidate)) {
            Some((_, b)) => candidate = b.checked_add(1)?,
            None => break,
        }
    }
    let outside = excepts.iter().all(|(a, b)| !(*a..=*b).contains(&candidate));
    (outside && candidate <= last)
        .then(|| block.cidr.address(candidate))
        .flatten()
}

/// Whether an IR peer covers a concrete endpoint.
pub fn peer_covers(peer: &Peer, endpoint: &Endpoint) -> bool {
    match (peer, endpoint) {
        (Peer::Pods { namespaces, pods }, Endpoint::Pod(pod)) => {
            namespaces.covers(&pod.namespace, &namespace_labels(pod)) && pods.matches(&pod.labels)
        }
        (Peer::Ip(block), Endpoint::Ip(ip) | Endpoint::Name { address: ip, .. }) => {
            block.contains(*ip)
        }
        (Peer::Name(pattern), Endpoint::Name { name, .. }) => pattern.covers(name),
        _ => false,
    }
}

/// A pod's namespace labels with `kubernetes.io/metadata.name` filled in.
pub fn namespace_labels(pod: &Pod) -> BTreeMap<String, String> {
    let mut labels = pod.namespace_labels.clone();
    labels
        .entry(NAMESPACE_NAME_LABEL.to_string())
        .or_insert_with(|| pod.namespace.clone());
    labels
}

/// Every numeric port the program names, per protocol: named ports of
/// representatives are given numbers outside it, so that a numeric rule
/// cannot match them by accident.
pub fn numeric_ports(program: &Program) -> PortSet {
    let mut set = PortSet::empty();
    let mut add = |ports: &Ports| {
        if let Ports::Only(list) = ports {
            for p in list {
                let proto = p.protocol;
                match p.number {
                    PortNumber::Single(n) => set.insert(proto, n, n),
                    PortNumber::Range(a, b) => set.insert(proto, a, b),
                    PortNumber::Named(_) => {}
                }
            }
        }
    };
    for rule in &program.rules {
        for (_, ports) in &rule.destinations {
            add(ports);
        }
    }
    for s in &program.scrapes {
        add(&s.ports);
    }
    for e in &program.expectations {
        if let Some(p) = &e.ports {
            add(p);
        }
    }
    set
}

/// Container ports for the named ports in `ports`, on numbers from 49152 up
/// that the program does not name otherwise.
pub fn named_ports(program: &Program, ports: Option<&Ports>) -> Vec<NamedPort> {
    let Some(Ports::Only(list)) = ports else {
        return Vec::new();
    };
    // Most expectations name numbers only: skip the scan of the program.
    if !list
        .iter()
        .any(|p| matches!(p.number, PortNumber::Named(_)))
    {
        return Vec::new();
    }
    let mut used = numeric_ports(program);
    let mut out = Vec::new();
    for p in list {
        let PortNumber::Named(name) = &p.number else {
            continue;
        };
        let proto = p.protocol;
        let number = (49152..=u16::MAX)
            .chain(1024..49152)
            .find(|n| !used.contains(proto, *n));
        if let Some(number) = number {
            used.insert(proto, number, number);
            out.push(NamedPort {
                name: name.clone(),
                protocol: proto,
                number,
            });
        }
    }
    out
}
