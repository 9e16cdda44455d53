//! The `ports` of a rule: numeric ports and ranges, named ports, whole protocols.

use std::fmt;

use k8s_openapi::api::networking::v1::NetworkPolicyPort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::endpoint::Pod;
use super::error::ErrorSink;
use super::portset::{PortSet, MIN_PORT};
use crate::k8s::{names, Protocol};

/// One entry of a rule's `ports`, as the evaluator reads it (no protocol
/// means TCP; `port` alone is a range of one).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortEntry {
    /// `protocol` without `port`: every port of the protocol.
    Protocol(Protocol),
    /// `port` (and `endPort`): an inclusive numeric range.
    Range(Protocol, u16, u16),
    /// A named port, resolved on the destination pod.
    Named(Protocol, String),
}

/// A rule's `ports`: `None` (missing or empty list) allows every port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RulePorts {
    entries: Option<Vec<PortEntry>>,
    /// The numeric part, precomputed.
    numeric: PortSet,
    has_named: bool,
}

fn to_port(value: i32) -> Option<u16> {
    u16::try_from(value).ok().filter(|p| *p >= MIN_PORT)
}

impl RulePorts {
    pub fn compile(
        ports: Option<&Vec<NetworkPolicyPort>>,
        path: impl fmt::Display,
        sink: &mut ErrorSink<'_>,
    ) -> RulePorts {
        let Some(ports) = ports.filter(|p| !p.is_empty()) else {
            return RulePorts {
                entries: None,
                numeric: PortSet::full(),
                has_named: false,
            };
        };
        let mut entries = Vec::new();
        for (i, port) in ports.iter().enumerate() {
            let here = PortPath(&path, i);
            if let Some(entry) = compile_port(port, &here, sink) {
                entries.push(entry);
            }
        }
        let mut numeric = PortSet::empty();
        let mut has_named = false;
        for entry in &entries {
            match entry {
                PortEntry::Protocol(p) => numeric.union_with(&PortSet::all_of(*p)),
                PortEntry::Range(p, start, end) => numeric.insert(*p, *start, *end),
                PortEntry::Named(..) => has_named = true,
            }
        }
        RulePorts {
            entries: Some(entries),
            numeric,
            has_named,
        }
    }

    /// Adds the ports allowed towards `dst` to `set` (named ports resolve on
    /// `dst`; an IP destination has none).
    pub fn add_to(&self, dst: Option<&Pod>, set: &mut PortSet) {
        set.union_with(&self.numeric);
        if self.has_named {
            self.add_named(dst, set);
        }
    }

    fn add_named(&self, dst: Option<&Pod>, set: &mut PortSet) {
        let Some(pod) = dst else { return };
        for entry in self.entries.iter().flatten() {
            if let PortEntry::Named(protocol, name) = entry {
                if let Some(number) = pod.resolve_port(name, *protocol) {
                    set.insert(*protocol, number, number);
                }
            }
        }
    }

    /// The entries, in order; `None` when the rule has no `ports` (every
    /// port of every protocol).
    pub fn entries(&self) -> Option<&[PortEntry]> {
        self.entries.as_deref()
    }

    /// The named ports of the rule, which only a destination pod resolves.
    pub fn named(&self) -> impl Iterator<Item = (Protocol, &str)> {
        self.entries
            .iter()
            .flatten()
            .filter_map(|entry| match entry {
                PortEntry::Named(protocol, name) => Some((*protocol, name.as_str())),
                _ => None,
            })
    }

    pub fn matches(&self, dst: Option<&Pod>, protocol: Protocol, port: u16) -> bool {
        if self.numeric.contains(protocol, port) {
            return true;
        }
        self.has_named
            && dst.is_some_and(|pod| {
                self.entries.iter().flatten().any(|entry| match entry {
                    PortEntry::Named(p, name) => {
                        *p == protocol && pod.resolve_port(name, *p) == Some(port)
                    }
                    _ => false,
                })
            })
    }
}

/// `PATH.ports[i]`, written only for an error.
struct PortPath<'a, P>(&'a P, usize);

impl<P: fmt::Display> fmt::Display for PortPath<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.ports[{}]", self.0, self.1)
    }
}

fn compile_port(
    port: &NetworkPolicyPort,
    here: &dyn fmt::Display,
    sink: &mut ErrorSink<'_>,
) -> Option<PortEntry> {
    let protocol = match port.protocol.as_deref() {
        None => Protocol::Tcp,
        Some(text) => match Protocol::parse(text) {
            Some(p) => p,
            None => {
                sink.report(
                    format!("{here}.protocol"),
                    format!("unknown protocol `{text}` (expected TCP, UDP or SCTP)"),
                );
                return None;
            }
        },
    };
    match (&port.port, port.end_port) {
        (None, None) => Some(PortEntry::Protocol(protocol)),
        (None, Some(_)) => {
            sink.report(
                format!("{here}.endPort"),
                "`endPort` needs a numeric `port`",
            );
            None
        }
        (Some(IntOrString::Int(n)), end) => {
            let Some(start) = to_port(*n) else {
                sink.report(
                    format!("{here}.port"),
                    format!("port `{n}` is not in 1..=65535"),
                );
                return None;
            };
            let end = match end {
                None => start,
                Some(e) => match to_port(e).filter(|e| *e >= start) {
                    Some(e) => e,
                    None => {
                        sink.report(
                            format!("{here}.endPort"),
                            format!("`endPort` {e} must be in {start}..=65535"),
                        );
                        return None;
                    }
                },
            };
            Some(PortEntry::Range(protocol, start, end))
        }
        (Some(IntOrString::String(name)), end) => {
            if end.is_some() {
                sink.report(
                    format!("{here}.endPort"),
                    "`endPort` cannot be used with a named port",
                );
                return None;
            }
            if names::port_name(name).is_err() {
                sink.report(
                    format!("{here}.port"),
                    format!("`{name}` is not a valid port name (lowercase letters, digits and `-`, at most 15, at least one letter)"),
                );
                return None;
            }
            Some(PortEntry::Named(protocol, name.clone()))
        }
    }
}
