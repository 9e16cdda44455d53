//! Exact sets of (protocol, port): per protocol, sorted disjoint ranges.

use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
}

pub const PROTOS: [Proto; 3] = [Proto::Tcp, Proto::Udp, Proto::Sctp];

impl Proto {
    pub fn parse(s: &str) -> Option<Proto> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TCP" => Some(Proto::Tcp),
            "UDP" => Some(Proto::Udp),
            "SCTP" => Some(Proto::Sctp),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortSet(BTreeMap<Proto, Vec<(u16, u16)>>);

impl PortSet {
    pub fn none() -> PortSet {
        PortSet::default()
    }

    pub fn all() -> PortSet {
        let mut s = PortSet::default();
        for p in PROTOS {
            s.add(p, 1, 65535);
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.0.values().all(Vec::is_empty)
    }

    pub fn is_all(&self) -> bool {
        *self == PortSet::all()
    }

    pub fn contains(&self, proto: Proto, port: u16) -> bool {
        self.0
            .get(&proto)
            .is_some_and(|rs| rs.iter().any(|(a, b)| *a <= port && port <= *b))
    }

    pub fn add(&mut self, proto: Proto, lo: u16, hi: u16) {
        let ranges = self.0.entry(proto).or_default();
        ranges.push((lo, hi));
        ranges.sort();
        let mut merged: Vec<(u16, u16)> = Vec::new();
        for (a, b) in ranges.drain(..) {
            match merged.last_mut() {
                Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *ranges = merged;
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        let mut out = self.clone();
        for (p, rs) in &other.0 {
            for (a, b) in rs {
                out.add(*p, *a, *b);
            }
        }
        out
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = PortSet::default();
        for (p, rs) in &self.0 {
            for (a, b) in rs {
                for (c, d) in other.0.get(p).into_iter().flatten() {
                    let lo = (*a).max(*c);
                    let hi = (*b).min(*d);
                    if lo <= hi {
                        out.add(*p, lo, hi);
                    }
                }
            }
        }
        out.0.retain(|_, v| !v.is_empty());
        out
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return write!(f, "all");
        }
        if self.is_empty() {
            return write!(f, "none");
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .filter(|(_, rs)| !rs.is_empty())
            .map(|(p, rs)| {
                let r: Vec<String> = rs
                    .iter()
                    .map(|(a, b)| {
                        if a == b {
                            a.to_string()
                        } else {
                            format!("{a}-{b}")
                        }
                    })
                    .collect();
                format!("{p:?} {}", r.join(","))
            })
            .collect();
        write!(f, "{}", parts.join("; "))
    }
}
