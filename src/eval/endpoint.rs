//! Endpoints of a connection: pods (with labels and named ports) and IP addresses.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::k8s::{DnsName, Protocol, NAMESPACE_NAME_LABEL};

/// A container port declared by a pod, which named ports in rules resolve to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NamedPort {
    pub name: String,
    pub protocol: Protocol,
    pub number: u16,
}

/// A pod: its namespace (with the namespace's labels), its labels, its
/// declared container ports and, when known, its addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pod {
    pub namespace: String,
    /// The namespace's labels; `kubernetes.io/metadata.name` is implied.
    pub namespace_labels: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<NamedPort>,
    /// The pod's known addresses (`status.podIPs` of a pod in a cluster
    /// dump), or none. A NetworkPolicy `ipBlock` matches a pod endpoint
    /// only through these: a pod without addresses (a template, a
    /// representative pod of the compiler's `expect` check) is matched by
    /// no `ipBlock`, as Kubernetes leaves that to the CNI; a pod with
    /// addresses is matched by every `ipBlock` that contains one of them,
    /// as the Kubernetes e2e suite expects. The address is a property of
    /// the evaluation input, never a switch of the evaluator.
    pub ips: Vec<IpAddr>,
    /// An address the pod is assumed to have where a question depends on
    /// it: the compiler's representatives get one in each range the tier
    /// blocks' `networks` tell apart. Only cluster policies' `networks` see
    /// it (with [`Pod::ips`]); NetworkPolicy `ipBlock`s never do. `None`:
    /// unknown.
    pub address: Option<IpAddr>,
}

impl Pod {
    /// A pod with labels and no declared ports, in a namespace without labels.
    pub fn new<'a>(namespace: &str, labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> Pod {
        Pod {
            namespace: namespace.to_owned(),
            namespace_labels: BTreeMap::new(),
            labels: labels
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ports: Vec::new(),
            ips: Vec::new(),
            address: None,
        }
    }

    /// The value of a namespace label, with `kubernetes.io/metadata.name`
    /// defaulting to the namespace's name.
    pub fn namespace_label(&self, key: &str) -> Option<&str> {
        match self.namespace_labels.get(key) {
            Some(value) => Some(value),
            None if key == NAMESPACE_NAME_LABEL => Some(&self.namespace),
            None => None,
        }
    }

    /// The port number a named port resolves to on this pod, if declared.
    pub fn resolve_port(&self, name: &str, protocol: Protocol) -> Option<u16> {
        self.ports
            .iter()
            .find(|p| p.name == name && p.protocol == protocol)
            .map(|p| p.number)
    }
}

/// One end of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Pod(Pod),
    Ip(IpAddr),
    /// A connection to a DNS name, made to one of the addresses it resolved
    /// to: rules to names (Cilium's `toFQDNs`) match the name, rules to
    /// addresses (`ipBlock`, `toCIDRSet`) the address. Never a pod.
    Name {
        name: DnsName,
        address: IpAddr,
    },
}

impl Endpoint {
    /// The pod, unless the endpoint is an address.
    pub fn pod(&self) -> Option<&Pod> {
        match self {
            Endpoint::Pod(pod) => Some(pod),
            Endpoint::Ip(_) | Endpoint::Name { .. } => None,
        }
    }

    /// The address, unless the endpoint is a pod (whose address npc does
    /// not know).
    pub fn address(&self) -> Option<IpAddr> {
        match self {
            Endpoint::Pod(_) => None,
            Endpoint::Ip(ip) | Endpoint::Name { address: ip, .. } => Some(*ip),
        }
    }
}
