//! Exact sets of (protocol, port) as sorted disjoint ranges over 1..=65535.

use std::fmt;

use crate::k8s::Protocol;

/// An inclusive range of ports, `start <= end`, both in 1..=65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

pub(crate) const MIN_PORT: u16 = 1;
pub(crate) const MAX_PORT: u16 = 65535;
const FULL: PortRange = PortRange {
    start: MIN_PORT,
    end: MAX_PORT,
};

/// A set of (protocol, port) pairs: for each of TCP, UDP and SCTP, sorted,
/// disjoint, non-adjacent ranges. Equality is set equality.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PortSet {
    ranges: [Vec<PortRange>; 3],
}

impl PortSet {
    /// No port of any protocol.
    pub fn empty() -> PortSet {
        PortSet::default()
    }

    /// Every port of every protocol.
    pub fn full() -> PortSet {
        PortSet {
            ranges: [vec![FULL], vec![FULL], vec![FULL]],
        }
    }

    /// Every port of one protocol.
    pub fn all_of(protocol: Protocol) -> PortSet {
        let mut set = PortSet::empty();
        set.ranges[protocol.index()] = vec![FULL];
        set
    }

    /// One range of one protocol; ports outside 1..=65535 are dropped.
    pub fn range(protocol: Protocol, start: u16, end: u16) -> PortSet {
        let mut set = PortSet::empty();
        set.insert(protocol, start, end);
        set
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.iter().all(Vec::is_empty)
    }

    pub fn is_full(&self) -> bool {
        self.ranges.iter().all(|r| r.as_slice() == [FULL])
    }

    /// The sorted disjoint ranges of one protocol.
    pub fn ranges(&self, protocol: Protocol) -> &[PortRange] {
        &self.ranges[protocol.index()]
    }

    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        let ranges = self.ranges(protocol);
        // The ranges are sorted: find the last range starting at or before `port`.
        let i = ranges.partition_point(|r| r.start <= port);
        i > 0 && ranges[i - 1].end >= port
    }

    /// Adds `start..=end` of `protocol` (clamped to 1..=65535; empty if start > end).
    pub fn insert(&mut self, protocol: Protocol, start: u16, end: u16) {
        let start = start.max(MIN_PORT);
        if start > end {
            return;
        }
        let added = [PortRange { start, end }];
        let merged = union_ranges(&self.ranges[protocol.index()], &added);
        self.ranges[protocol.index()] = merged;
    }

    /// Adds every pair of `other` to this set.
    pub fn union_with(&mut self, other: &PortSet) {
        for (mine, theirs) in self.ranges.iter_mut().zip(&other.ranges) {
            if theirs.is_empty() || mine.as_slice() == [FULL] {
                continue;
            }
            if mine.is_empty() {
                mine.clone_from(theirs);
            } else {
                *mine = union_ranges(mine, theirs);
            }
        }
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        let mut set = self.clone();
        set.union_with(other);
        set
    }

    pub fn intersection(&self, other: &PortSet) -> PortSet {
        let mut set = PortSet::empty();
        for (i, out) in set.ranges.iter_mut().enumerate() {
            *out = intersect_ranges(&self.ranges[i], &other.ranges[i]);
        }
        set
    }

    /// The pairs of the full set that are not in this one.
    pub fn complement(&self) -> PortSet {
        let mut set = PortSet::empty();
        for (i, out) in set.ranges.iter_mut().enumerate() {
            let mut next = MIN_PORT;
            let mut done = false;
            for r in &self.ranges[i] {
                if r.start > next {
                    out.push(PortRange {
                        start: next,
                        end: r.start - 1,
                    });
                }
                match r.end.checked_add(1) {
                    Some(n) => next = n,
                    None => done = true,
                }
            }
            if !done {
                out.push(PortRange {
                    start: next,
                    end: MAX_PORT,
                });
            }
        }
        set
    }

    pub fn difference(&self, other: &PortSet) -> PortSet {
        self.intersection(&other.complement())
    }
}

fn union_ranges(a: &[PortRange], b: &[PortRange]) -> Vec<PortRange> {
    let mut all: Vec<PortRange> = a.iter().chain(b).copied().collect();
    all.sort_unstable();
    let mut out: Vec<PortRange> = Vec::with_capacity(all.len());
    for r in all {
        match out.last_mut() {
            // Merge overlapping or adjacent ranges.
            Some(last) if u32::from(r.start) <= u32::from(last.end) + 1 => {
                last.end = last.end.max(r.end);
            }
            _ => out.push(r),
        }
    }
    out
}

fn intersect_ranges(a: &[PortRange], b: &[PortRange]) -> Vec<PortRange> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let start = a[i].start.max(b[j].start);
        let end = a[i].end.min(b[j].end);
        if start <= end {
            out.push(PortRange { start, end });
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// `all`, `none`, or e.g. `TCP 80,8000-8080; UDP 53`.
impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_full() {
            return f.write_str("all");
        }
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut first = true;
        for protocol in Protocol::ALL {
            let ranges = self.ranges(protocol);
            if ranges.is_empty() {
                continue;
            }
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{protocol} ")?;
            if ranges == [FULL] {
                f.write_str("all")?;
                continue;
            }
            for (k, r) in ranges.iter().enumerate() {
                if k > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{r}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_merges_overlapping_and_adjacent_ranges() {
        let mut set = PortSet::empty();
        set.insert(Protocol::Tcp, 10, 20);
        set.insert(Protocol::Tcp, 21, 30);
        set.insert(Protocol::Tcp, 5, 12);
        set.insert(Protocol::Tcp, 40, 40);
        assert_eq!(
            set.ranges(Protocol::Tcp),
            [
                PortRange { start: 5, end: 30 },
                PortRange { start: 40, end: 40 }
            ]
        );
        assert!(set.ranges(Protocol::Udp).is_empty());
        assert_eq!(set.to_string(), "TCP 5-30,40");
    }

    #[test]
    fn port_zero_is_not_a_port() {
        assert_eq!(PortSet::range(Protocol::Udp, 0, 0), PortSet::empty());
        assert_eq!(
            PortSet::range(Protocol::Udp, 0, 3).ranges(Protocol::Udp),
            [PortRange { start: 1, end: 3 }]
        );
    }

    #[test]
    fn complement_and_intersection() {
        let a = PortSet::range(Protocol::Tcp, 1, 100);
        let b = PortSet::range(Protocol::Tcp, 50, 65535);
        assert_eq!(a.intersection(&b), PortSet::range(Protocol::Tcp, 50, 100));
        assert_eq!(a.union(&b), PortSet::all_of(Protocol::Tcp));
        assert!(a.union(&a.complement()).is_full());
        assert!(a.intersection(&a.complement()).is_empty());
        assert_eq!(PortSet::full().complement(), PortSet::empty());
        assert_eq!(
            PortSet::range(Protocol::Sctp, 65535, 65535)
                .complement()
                .ranges(Protocol::Sctp),
            [PortRange {
                start: 1,
                end: 65534
            }]
        );
        assert_eq!(b.difference(&a), PortSet::range(Protocol::Tcp, 101, 65535));
    }

    #[test]
    fn contains_checks_range_bounds() {
        let mut set = PortSet::range(Protocol::Udp, 53, 53);
        set.insert(Protocol::Udp, 100, 200);
        assert!(set.contains(Protocol::Udp, 53));
        assert!(!set.contains(Protocol::Udp, 54));
        assert!(set.contains(Protocol::Udp, 100));
        assert!(set.contains(Protocol::Udp, 200));
        assert!(!set.contains(Protocol::Udp, 201));
        assert!(!set.contains(Protocol::Tcp, 53));
        assert_eq!(PortSet::full().to_string(), "all");
        assert_eq!(PortSet::empty().to_string(), "none");
    }
}
