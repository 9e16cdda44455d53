//! External address ranges: every address of both families, split at the
//! bounds of every `ipBlock` and `except`, then merged back where no
//! workload can tell adjacent ranges apart.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{IpRange, Subjects};
use crate::eval::{Endpoint, PolicySet, PortSet};
use crate::manifest::Manifests;

/// The elementary ranges, sorted: IPv4 then IPv6, each family covered.
pub fn ranges(manifests: &Manifests) -> Vec<IpRange> {
    // Where a new range starts, per family (numbers as `Cidr::range` gives them).
    let mut v4: BTreeSet<u128> = BTreeSet::from([0]);
    let mut v6: BTreeSet<u128> = BTreeSet::from([0]);
    for block in manifests.set.ip_blocks() {
        {
            for &cidr in std::iter::once(&block.cidr).chain(&block.except) {
                let (first, last) = cidr.range();
                let (starts, max) = if cidr.is_ipv4() {
                    (&mut v4, u128::from(u32::MAX))
                } else {
                    (&mut v6, u128::MAX)
                };
                starts.insert(first);
                if last < max {
                    starts.insert(last + 1);
                }
            }
        }
    }
    let mut out = Vec::new();
    let v4_addr = |n: u128| IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)));
    let v6_addr = |n: u128| IpAddr::V6(Ipv6Addr::from(n));
    for (starts, max, addr) in [
        (
            &v4,
            u128::from(u32::MAX),
            &v4_addr as &dyn Fn(u128) -> IpAddr,
        ),
        (&v6, u128::MAX, &v6_addr),
    ] {
        let starts: Vec<u128> = starts.iter().copied().collect();
        for (i, &first) in starts.iter().enumerate() {
            let last = starts.get(i + 1).map_or(max, |next| next - 1);
            out.push(IpRange {
                first: addr(first),
                last: addr(last),
            });
        }
    }
    out
}

/// Port sets shared by many cells.
#[derive(Default)]
pub struct Sets {
    sets: Vec<PortSet>,
    ids: HashMap<PortSet, u32>,
}

impl Sets {
    fn intern(&mut self, set: PortSet) -> u32 {
        if let Some(&id) = self.ids.get(&set) {
            return id;
        }
        let id = u32::try_from(self.sets.len()).unwrap_or(u32::MAX);
        self.sets.push(set.clone());
        self.ids.insert(set, id);
        id
    }

    pub fn get(&self, id: u32) -> &PortSet {
        static EMPTY: std::sync::OnceLock<PortSet> = std::sync::OnceLock::new();
        self.sets
            .get(id as usize)
            .unwrap_or_else(|| EMPTY.get_or_init(PortSet::empty))
    }
}

/// For every range (rows) and subject pod (columns): what the pod may open
/// to the range (egress) and accept from it (ingress), as interned sets.
pub struct Table {
    pub rows: Vec<Vec<(u32, u32)>>,
    pub sets: Sets,
}

/// Evaluates every pod against the first address of every range: the
/// policies treat all addresses of a range alike, by construction.
pub fn table(set: &PolicySet, subjects: &Subjects, ranges: &[IpRange]) -> Table {
    let mut sets = Sets::default();
    let full = sets.intern(PortSet::full());
    let endpoints: Vec<Endpoint> = subjects.pods.iter().cloned().map(Endpoint::Pod).collect();
    let open: Vec<(bool, bool)> = subjects
        .pods
        .iter()
        .map(|p| {
            (
                set.egress_policies(p).is_empty(),
                set.ingress_policies(p).is_empty(),
            )
        })
        .collect();
    let mut rows = Vec::with_capacity(ranges.len());
    for range in ranges {
        let ip = Endpoint::Ip(range.first);
        let row = endpoints
            .iter()
            .zip(&open)
            .map(|(pod, &(egress_open, ingress_open))| {
                let egress = if egress_open {
                    full
                } else {
                    sets.intern(set.allowed_ports(pod, &ip))
                };
                let ingress = if ingress_open {
                    full
                } else {
                    sets.intern(set.allowed_ports(&ip, pod))
                };
                (egress, ingress)
            })
            .collect();
        rows.push(row);
    }
    Table { rows, sets }
}

/// Adjacent ranges of one family with equal rows become one; each merged
/// range comes with its row as port sets.
pub fn merge(ranges: &[IpRange], table: &Table) -> Vec<(IpRange, Vec<(PortSet, PortSet)>)> {
    let mut out: Vec<(IpRange, usize)> = Vec::new();
    for (i, range) in ranges.iter().enumerate() {
        match out.last_mut() {
            Some((last, row))
                if last.first.is_ipv4() == range.first.is_ipv4()
                    && table.rows[*row] == table.rows[i] =>
            {
                last.last = range.last;
            }
            _ => out.push((*range, i)),
        }
    }
    out.into_iter()
        .map(|(range, row)| {
            let sets = table.rows[row]
                .iter()
                .map(|&(e, i)| (table.sets.get(e).clone(), table.sets.get(i).clone()))
                .collect();
            (range, sets)
        })
        .collect()
}
