//! External address ranges: every address of the families shown, split at
//! the bounds of every `ipBlock` and `except`; merged back where no
//! workload can tell adjacent ranges apart (the ranges the policies
//! distinguish), and for netpol-analyzer's conventions per direction.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{IpFamily, IpRange, Subjects};
use crate::eval::{Endpoint, PolicySet, PortSet};
use crate::k8s::IpBlock;

/// The elementary ranges of the families asked for, sorted (IPv4 then
/// IPv6, each family covered): split at every bound of `blocks`.
pub fn ranges<'a>(blocks: impl Iterator<Item = &'a IpBlock>, families: IpFamily) -> Vec<IpRange> {
    // Where a new range starts, per family (numbers as `Cidr::range` gives them).
    let mut v4: BTreeSet<u128> = BTreeSet::from([0]);
    let mut v6: BTreeSet<u128> = BTreeSet::from([0]);
    for block in blocks {
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
    let mut out = Vec::new();
    let v4_addr = |n: u128| IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)));
    let v6_addr = |n: u128| IpAddr::V6(Ipv6Addr::from(n));
    let mut families_shown = Vec::new();
    if families.v4() {
        families_shown.push((
            &v4,
            u128::from(u32::MAX),
            &v4_addr as &dyn Fn(u128) -> IpAddr,
        ));
    }
    if families.v6() {
        families_shown.push((&v6, u128::MAX, &v6_addr));
    }
    for (starts, max, addr) in families_shown {
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

/// netpol-analyzer's address ranges for one direction: the elementary
/// ranges of `blocks`, merged where no block tells adjacent ones apart
/// (each range is in the same blocks, `except` considered, as the next).
pub fn atoms(blocks: &[&IpBlock], families: IpFamily) -> Vec<IpRange> {
    let mut out: Vec<(IpRange, Vec<bool>)> = Vec::new();
    for range in ranges(blocks.iter().copied(), families) {
        let inside: Vec<bool> = blocks.iter().map(|b| b.contains(range.first)).collect();
        match out.last_mut() {
            Some((last, was))
                if *was == inside && last.first.is_ipv4() == range.first.is_ipv4() =>
            {
                last.last = range.last;
            }
            _ => out.push((range, inside)),
        }
    }
    out.into_iter().map(|(r, _)| r).collect()
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
    // A side no NetworkPolicy isolates allows everything, unless cluster
    // policies decide before or after them.
    let tiers = set.has_tiers();
    let open: Vec<(bool, bool)> = subjects
        .pods
        .iter()
        .map(|p| {
            (
                !tiers && set.egress_policies(p).is_empty(),
                !tiers && set.ingress_policies(p).is_empty(),
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
