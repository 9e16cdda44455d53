use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use k8s_openapi::api::networking::v1::IPBlock;

use super::representative::{Kind, Representative};
use super::Index;
use crate::eval::Endpoint;
use crate::k8s::{Cidr, IpBlock};

/// The bounds of address ranges, per family: the first address of every
/// ipBlock and except, and the address after its last.
#[derive(Clone, Debug, Default)]
pub struct Bounds {
    pub v4: BTreeSet<u128>,
    pub v6: BTreeSet<u128>,
}

impl Bounds {
    /// Adds the bounds of a CIDR.
    pub fn add_cidr(&mut self, c: Cidr) {
        let (first, last) = c.range();
        let bounds = if c.is_ipv4() {
            &mut self.v4
        } else {
            &mut self.v6
        };
        bounds.insert(first);
        bounds.extend(last.checked_add(1));
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Adds the bounds of an ipBlock and its excepts.
    pub fn add_block(&mut self, block: &IpBlock) {
        self.add_cidr(block.cidr);
        for e in &block.except {
            self.add_cidr(*e);
        }
    }

    /// Adds the bounds of an API object's ipBlock and its excepts.
    pub fn add(&mut self, block: &IPBlock) {
        for text in std::iter::once(&block.cidr).chain(block.except.iter().flatten()) {
            if let Ok(c) = Cidr::parse_lenient(text) {
                let (first, last) = c.range();
                let bounds = if c.is_ipv4() {
                    &mut self.v4
                } else {
                    &mut self.v6
                };
                bounds.insert(first);
                bounds.extend(last.checked_add(1));
            }
        }
    }
}

/// The addresses a pod may have that cluster policies' `networks` tell
/// apart: one per stretch between their bounds, in each family (none when
/// no cluster policy has `networks`).
pub(super) fn pod_positions(index: &Index) -> Vec<std::net::IpAddr> {
    if index.pod_bounds.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (family, bounds) in [
        (
            Cidr::V4 {
                network: 0,
                prefix: 0,
            },
            &index.pod_bounds.v4,
        ),
        (
            Cidr::V6 {
                network: 0,
                prefix: 0,
            },
            &index.pod_bounds.v6,
        ),
    ] {
        let (first, last) = family.range();
        let mut cuts: BTreeSet<u128> = bounds.iter().copied().filter(|c| *c <= last).collect();
        cuts.insert(first);
        let cuts: Vec<u128> = cuts.into_iter().collect();
        for (i, start) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).map_or(last, |next| next - 1);
            if let Some(ip) = family.address(pick_pod(family, *start, end)) {
                out.push(ip);
            }
        }
    }
    out
}

/// An address of `[start, end]` for a pod: one of a common pod range when
/// the stretch holds one, else as [`pick`].
fn pick_pod(family: Cidr, start: u128, end: u128) -> u128 {
    let pod = (
        Ipv4Addr::new(10, 244, 1, 7),
        Ipv6Addr::new(0xfd00, 0x10, 0x244, 1, 0, 0, 0, 7),
    );
    preferred(family, start, end, pod).unwrap_or_else(|| pick(family, start, end))
}

/// The family's address of `preferred` when `[start, end]` holds it.
fn preferred(family: Cidr, start: u128, end: u128, (v4, v6): (Ipv4Addr, Ipv6Addr)) -> Option<u128> {
    let address = if family.is_ipv4() {
        u128::from(u32::from(v4))
    } else {
        u128::from(v6)
    };
    (start..=end).contains(&address).then_some(address)
}

/// One address per stretch of the block (minus its excepts) that no bound
/// of any ipBlock crosses.
pub fn addresses(block: &IpBlock, index: &Index) -> Vec<Representative> {
    let (first, last) = block.cidr.range();
    let bounds = if block.cidr.is_ipv4() {
        &index.bounds.v4
    } else {
        &index.bounds.v6
    };
    let mut cuts: BTreeSet<u128> = bounds.range(first..=last).copied().collect();
    for e in &block.except {
        let (a, b) = e.range();
        cuts.insert(a);
        cuts.extend(b.checked_add(1));
    }
    cuts.insert(first);
    let cuts: Vec<u128> = cuts
        .into_iter()
        .filter(|c| *c >= first && *c <= last)
        .collect();
    let mut out = Vec::new();
    for (i, start) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(last, |next| next - 1);
        let excepted = block.except.iter().any(|e| {
            let (a, b) = e.range();
            a <= *start && end <= b
        });
        if excepted {
            continue;
        }
        let address = pick(block.cidr, *start, end);
        if let Some(ip) = block.cidr.address(address) {
            out.push(Representative {
                kind: Kind::Address,
                endpoint: Endpoint::Ip(ip),
            });
        }
    }
    out
}

/// An address of `[start, end]` that reads well in a message: a well-known
/// public address when the stretch holds one, else not the network address.
fn pick(cidr: Cidr, start: u128, end: u128) -> u128 {
    let public = (
        Ipv4Addr::new(8, 8, 8, 8),
        Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888),
    );
    if let Some(public) = preferred(cidr, start, end, public) {
        public
    } else if end - start >= 2 {
        start + 1
    } else {
        start
    }
}
