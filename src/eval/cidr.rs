//! CIDR blocks (IPv4 and IPv6) and `ipBlock` peers with their `except` lists.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A parsed CIDR; host bits are masked off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cidr {
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
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let Some((address, prefix)) = text.split_once('/') else {
            return Err(format!(
                "`{text}` is not a CIDR (expected `address/prefix`)"
            ));
        };
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("`{text}` has an invalid prefix length"))?;
        if let Ok(v4) = address.parse::<Ipv4Addr>() {
            if prefix > 32 {
                return Err(format!("`{text}`: an IPv4 prefix length is at most 32"));
            }
            return Ok(Cidr::V4 {
                network: u32::from(v4) & mask32(prefix),
                prefix,
            });
        }
        if let Ok(v6) = address.parse::<Ipv6Addr>() {
            if prefix > 128 {
                return Err(format!("`{text}`: an IPv6 prefix length is at most 128"));
            }
            return Ok(Cidr::V6 {
                network: u128::from(v6) & mask128(prefix),
                prefix,
            });
        }
        Err(format!("`{text}` is not a CIDR (invalid address)"))
    }

    /// Whether the address lies in the block. An IPv4 address never matches
    /// an IPv6 block (IPv4-mapped IPv6 blocks included), and vice versa.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Cidr::V4 { network, prefix }, IpAddr::V4(a)) => {
                u32::from(a) & mask32(*prefix) == *network
            }
            (Cidr::V6 { network, prefix }, IpAddr::V6(a)) => {
                u128::from(a) & mask128(*prefix) == *network
            }
            _ => false,
        }
    }

    /// Whether `inner` is a subset of this block.
    pub fn covers(&self, inner: &Cidr) -> bool {
        match (self, inner) {
            (
                Cidr::V4 { network, prefix },
                Cidr::V4 {
                    network: n,
                    prefix: p,
                },
            ) => p >= prefix && n & mask32(*prefix) == *network,
            (
                Cidr::V6 { network, prefix },
                Cidr::V6 {
                    network: n,
                    prefix: p,
                },
            ) => p >= prefix && n & mask128(*prefix) == *network,
            _ => false,
        }
    }
}

/// An `ipBlock` peer: a CIDR minus its `except` blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IpBlock {
    pub cidr: Cidr,
    pub except: Vec<Cidr>,
}

impl IpBlock {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.contains(ip) && !self.except.iter().any(|e| e.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_masks_host_bits() {
        assert_eq!(
            Cidr::parse("10.1.2.3/8"),
            Ok(Cidr::V4 {
                network: 0x0a00_0000,
                prefix: 8
            })
        );
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("255.1.2.3")));
        assert!(Cidr::parse("10.0.0.1/32").unwrap().contains(ip("10.0.0.1")));
        assert!(!Cidr::parse("10.0.0.1/32").unwrap().contains(ip("10.0.0.2")));
        assert!(Cidr::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("::1")));
    }

    #[test]
    fn rejects_malformed_blocks() {
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0/8",
            "x/1",
            "10.0.0.0/-1",
            "",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn families_never_mix() {
        assert!(!Cidr::parse("::ffff:0:0/96")
            .unwrap()
            .contains(ip("10.0.0.1")));
        assert!(!Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("::ffff:10.0.0.1")));
        assert!(!Cidr::parse("::/0")
            .unwrap()
            .covers(&Cidr::parse("10.0.0.0/8").unwrap()));
    }

    #[test]
    fn covers_requires_a_subset() {
        let big = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(big.covers(&Cidr::parse("10.1.0.0/16").unwrap()));
        assert!(!big.covers(&Cidr::parse("11.0.0.0/16").unwrap()));
        assert!(!big.covers(&Cidr::parse("0.0.0.0/0").unwrap()));
    }
}
