//! IP blocks (IPv4 and IPv6): one CIDR type with two parsers, strict for NPL
//! (host bits are an error the user should hear about) and lenient for API
//! objects (host bits are masked, as the API server's validation allows).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A network: its address with host bits cleared, and its prefix length.
/// Ordered by family (IPv4 first), then address, then prefix. Debug output
/// is the CIDR text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cidr {
    V4 { network: u32, prefix: u8 },
    V6 { network: u128, prefix: u8 },
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl Cidr {
    /// The block of `prefix` bits around `addr`, host bits cleared; `None`
    /// when the prefix is longer than the address.
    pub fn masked(addr: IpAddr, prefix: u8) -> Option<Cidr> {
        match addr {
            IpAddr::V4(a) if prefix <= 32 => Some(Cidr::V4 {
                network: u32::from(a) & mask32(prefix),
                prefix,
            }),
            IpAddr::V6(a) if prefix <= 128 => Some(Cidr::V6 {
                network: u128::from(a) & mask128(prefix),
                prefix,
            }),
            _ => None,
        }
    }

    /// Parses `address[/prefix]` as NPL writes it (IPv6 without its
    /// brackets); a bare address is a single host. Host bits are an error
    /// that names the network, so `10.1.0.0/8` is never read as `10.0.0.0/8`
    /// behind the user's back.
    pub fn parse_strict(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IP address"))?;
        let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("the prefix length must be between 0 and {max}"))?,
        };
        let cidr = Cidr::masked(addr, prefix)
            .ok_or_else(|| format!("the prefix length must be between 0 and {max}"))?;
        if cidr.network_address() != addr {
            return Err(format!("host bits are set; the network is `{cidr}`"));
        }
        Ok(cidr)
    }

    /// Parses `address/prefix` as an `ipBlock` in an API object holds it;
    /// host bits are masked off.
    pub fn parse_lenient(text: &str) -> Result<Cidr, String> {
        let Some((address, prefix)) = text.split_once('/') else {
            return Err(format!(
                "`{text}` is not a CIDR (expected `address/prefix`)"
            ));
        };
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("`{text}` has an invalid prefix length"))?;
        let addr: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not a CIDR (invalid address)"))?;
        Cidr::masked(addr, prefix).ok_or_else(|| {
            let family = if addr.is_ipv4() {
                "an IPv4 prefix length is at most 32"
            } else {
                "an IPv6 prefix length is at most 128"
            };
            format!("`{text}`: {family}")
        })
    }

    pub fn is_ipv4(self) -> bool {
        matches!(self, Cidr::V4 { .. })
    }

    pub fn prefix(self) -> u8 {
        match self {
            Cidr::V4 { prefix, .. } | Cidr::V6 { prefix, .. } => prefix,
        }
    }

    /// Every address of the family (`0.0.0.0/0`, `::/0`).
    pub fn is_everything(self) -> bool {
        self.prefix() == 0
    }

    /// The first and last address, as numbers (IPv4 in the low 32 bits).
    pub fn range(self) -> (u128, u128) {
        match self {
            Cidr::V4 { network, prefix } => {
                (u128::from(network), u128::from(network | !mask32(prefix)))
            }
            Cidr::V6 { network, prefix } => (network, network | !mask128(prefix)),
        }
    }

    /// The address numbered `n` in this block's family (see [`Cidr::range`]).
    pub fn address(self, n: u128) -> Option<IpAddr> {
        match self {
            Cidr::V4 { .. } => u32::try_from(n).ok().map(|n| IpAddr::V4(Ipv4Addr::from(n))),
            Cidr::V6 { .. } => Some(IpAddr::V6(Ipv6Addr::from(n))),
        }
    }

    /// The block's first address (host bits cleared).
    pub fn network_address(self) -> IpAddr {
        match self {
            Cidr::V4 { network, .. } => IpAddr::V4(Ipv4Addr::from(network)),
            Cidr::V6 { network, .. } => IpAddr::V6(Ipv6Addr::from(network)),
        }
    }

    /// Whether the address lies in the block. Families never mix: an IPv4
    /// address is in no IPv6 block (IPv4-mapped blocks included).
    pub fn contains(self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Cidr::V4 { network, prefix }, IpAddr::V4(a)) => {
                u32::from(a) & mask32(prefix) == network
            }
            (Cidr::V6 { network, prefix }, IpAddr::V6(a)) => {
                u128::from(a) & mask128(prefix) == network
            }
            _ => false,
        }
    }

    /// Whether `inner` is a subset of this block (itself included).
    pub fn covers(self, inner: Cidr) -> bool {
        match (self, inner) {
            (
                Cidr::V4 { network, prefix },
                Cidr::V4 {
                    network: n,
                    prefix: p,
                },
            ) => p >= prefix && n & mask32(prefix) == network,
            (
                Cidr::V6 { network, prefix },
                Cidr::V6 {
                    network: n,
                    prefix: p,
                },
            ) => p >= prefix && n & mask128(prefix) == network,
            _ => false,
        }
    }

    /// Whether `inner` is a proper subset of this block, as an `except`
    /// entry must be.
    pub fn strictly_contains(self, inner: Cidr) -> bool {
        self.covers(inner) && inner.prefix() > self.prefix()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network_address(), self.prefix())
    }
}

impl fmt::Debug for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

/// An `ipBlock` peer: a CIDR minus its `except` blocks.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpBlock {
    pub cidr: Cidr,
    pub except: Vec<Cidr>,
}

impl IpBlock {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.contains(ip) && !self.except.iter().any(|e| e.contains(ip))
    }

    /// The block as a list of CIDRs without exceptions: the fewest aligned
    /// blocks whose union is the CIDR minus its `except` blocks, in address
    /// order (how an API without `except`, such as a ClusterNetworkPolicy's
    /// `networks`, writes the same set).
    pub fn cidrs(&self) -> Vec<Cidr> {
        let mut out = Vec::new();
        cover(self.cidr, &self.except, &mut out);
        out
    }
}

impl Cidr {
    /// Whether the two blocks share an address.
    pub fn overlaps(self, other: Cidr) -> bool {
        self.covers(other) || other.covers(self)
    }

    /// The two halves of a block (`None` for a single address).
    fn halves(self) -> Option<(Cidr, Cidr)> {
        match self {
            Cidr::V4 { network, prefix } if prefix < 32 => {
                let bit = 1u32 << (31 - u32::from(prefix));
                Some((
                    Cidr::V4 {
                        network,
                        prefix: prefix + 1,
                    },
                    Cidr::V4 {
                        network: network | bit,
                        prefix: prefix + 1,
                    },
                ))
            }
            Cidr::V6 { network, prefix } if prefix < 128 => {
                let bit = 1u128 << (127 - u32::from(prefix));
                Some((
                    Cidr::V6 {
                        network,
                        prefix: prefix + 1,
                    },
                    Cidr::V6 {
                        network: network | bit,
                        prefix: prefix + 1,
                    },
                ))
            }
            _ => None,
        }
    }
}

/// Appends to `out` the blocks of `cidr` that no block of `holes` touches,
/// halving the blocks that one touches in part.
fn cover(cidr: Cidr, holes: &[Cidr], out: &mut Vec<Cidr>) {
    if holes.iter().any(|h| h.covers(cidr)) {
        return;
    }
    if !holes.iter().any(|h| cidr.overlaps(*h)) {
        out.push(cidr);
        return;
    }
    if let Some((low, high)) = cidr.halves() {
        cover(low, holes, out);
        cover(high, holes, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn strict_parsing_reports_host_bits() {
        let p = |s| Cidr::parse_strict(s).map(|c| c.to_string());
        assert_eq!(p("10.0.0.0/8").unwrap(), "10.0.0.0/8");
        assert_eq!(p("192.0.2.7").unwrap(), "192.0.2.7/32");
        assert_eq!(p("2001:db8::/32").unwrap(), "2001:db8::/32");
        assert_eq!(p("::1").unwrap(), "::1/128");
        assert_eq!(p("0.0.0.0/0").unwrap(), "0.0.0.0/0");
        assert!(p("10.1.0.0/8").unwrap_err().contains("`10.0.0.0/8`"));
        assert!(p("10.0.0.0/33").is_err());
        assert!(p("300.0.0.0/8").is_err());
    }

    #[test]
    fn lenient_parsing_masks_host_bits() {
        assert_eq!(
            Cidr::parse_lenient("10.1.2.3/8"),
            Ok(Cidr::V4 {
                network: 0x0a00_0000,
                prefix: 8
            })
        );
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0/8",
            "x/1",
            "10.0.0.0/-1",
            "",
        ] {
            assert!(Cidr::parse_lenient(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn containment() {
        let p = |s| Cidr::parse_lenient(s).unwrap();
        assert!(p("0.0.0.0/0").contains(ip("255.1.2.3")));
        assert!(p("10.0.0.1/32").contains(ip("10.0.0.1")));
        assert!(!p("10.0.0.1/32").contains(ip("10.0.0.2")));
        assert!(p("fd00::/8").contains(ip("fd12::1")));
        assert!(p("10.0.0.0/8").strictly_contains(p("10.1.0.0/16")));
        assert!(!p("10.0.0.0/8").strictly_contains(p("10.0.0.0/8")));
        assert!(p("10.0.0.0/8").covers(p("10.0.0.0/8")));
        assert!(!p("10.0.0.0/8").covers(p("11.0.0.0/16")));
        assert!(!p("10.0.0.0/8").covers(p("0.0.0.0/0")));
        assert!(p("::/0").strictly_contains(p("2001:db8::/32")));
    }

    #[test]
    fn families_never_mix() {
        let p = |s| Cidr::parse_lenient(s).unwrap();
        assert!(!p("::ffff:0:0/96").contains(ip("10.0.0.1")));
        assert!(!p("0.0.0.0/0").contains(ip("::ffff:10.0.0.1")));
        assert!(!p("::/0").covers(p("10.0.0.0/8")));
        assert!(!p("10.0.0.0/8").strictly_contains(p("::/64")));
    }

    #[test]
    fn ranges() {
        let p = |s| Cidr::parse_lenient(s).unwrap();
        assert_eq!(p("10.0.0.0/30").range(), (0x0a00_0000, 0x0a00_0003));
        assert_eq!(p("0.0.0.0/0").range(), (0, u128::from(u32::MAX)));
        assert_eq!(p("::/0").range(), (0, u128::MAX));
        assert_eq!(p("10.0.0.0/30").address(0x0a00_0001), Some(ip("10.0.0.1")));
    }

    #[test]
    fn a_block_with_exceptions_is_the_cidrs_of_the_difference() {
        let c = |s: &str| Cidr::parse_strict(s).unwrap();
        let text = |b: &IpBlock| {
            b.cidrs()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        let plain = IpBlock {
            cidr: c("10.0.0.0/8"),
            except: Vec::new(),
        };
        assert_eq!(text(&plain), ["10.0.0.0/8"]);
        let one = IpBlock {
            cidr: c("10.0.0.0/8"),
            except: vec![c("10.0.0.0/9")],
        };
        assert_eq!(text(&one), ["10.128.0.0/9"]);
        let two = IpBlock {
            cidr: c("10.0.0.0/30"),
            except: vec![c("10.0.0.1"), c("10.0.0.2")],
        };
        assert_eq!(text(&two), ["10.0.0.0/32", "10.0.0.3/32"]);
        // Every address of the block is in exactly one CIDR of the cover,
        // unless excepted.
        let block = IpBlock {
            cidr: c("192.168.0.0/24"),
            except: vec![c("192.168.0.64/27"), c("192.168.0.200/30")],
        };
        let cover = block.cidrs();
        for n in 0..=255u32 {
            let addr = IpAddr::V4(Ipv4Addr::from(0xc0a8_0000 | n));
            let hits = cover.iter().filter(|c| c.contains(addr)).count();
            assert_eq!(hits, usize::from(block.contains(addr)), "{addr}");
        }
        let v6 = IpBlock {
            cidr: c("::/0"),
            except: vec![c("fd00::/8")],
        };
        assert_eq!(v6.cidrs().len(), 8);
        assert!(v6.cidrs().iter().all(|x| !x.overlaps(c("fd00::/8"))));
    }
}
