//! Endpoints of a connection: pods (with labels and named ports) and IP addresses.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

/// The label every namespace carries with its own name (Kubernetes 1.21+).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A transport protocol a NetworkPolicy port can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// All protocols, in the order [`crate::eval::PortSet`] stores them.
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

    /// The spelling used by the Kubernetes API (`TCP`, `UDP`, `SCTP`).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// Parses the Kubernetes spelling; the API is case-sensitive.
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Protocol::Tcp => 0,
            Protocol::Udp => 1,
            Protocol::Sctp => 2,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A container port declared by a pod, which named ports in rules resolve to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NamedPort {
    pub name: String,
    pub protocol: Protocol,
    pub number: u16,
}

/// A pod: its namespace (with the namespace's labels), its labels and its
/// declared container ports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pod {
    pub namespace: String,
    /// The namespace's labels; `kubernetes.io/metadata.name` is implied.
    pub namespace_labels: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<NamedPort>,
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
}

impl Endpoint {
    pub(crate) fn pod(&self) -> Option<&Pod> {
        match self {
            Endpoint::Pod(pod) => Some(pod),
            Endpoint::Ip(_) => None,
        }
    }
}
