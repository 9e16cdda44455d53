//! CIDR parsing and containment for `ipBlock`s.

use std::net::IpAddr;

/// A parsed CIDR with host bits cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d[/n]` or `[v6[/n]]` (brackets optional). Host bits
    /// must be zero: `10.1.0.0/8` is an error with the network suggested.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let inner = text.trim_start_matches('[').trim_end_matches(']');
        let (addr, prefix) = match inner.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (inner, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("the prefix length must be between 0 and {max}"))?,
        };
        let cidr = Cidr { addr, prefix };
        let network = cidr.network();
        if network != addr {
            return Err(format!(
                "host bits are set; the network is `{}`",
                Cidr {
                    addr: network,
                    prefix
                }
            ));
        }
        Ok(cidr)
    }

    fn bits(addr: IpAddr) -> u128 {
        match addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    }

    fn width(self) -> u32 {
        if self.addr.is_ipv4() {
            32
        } else {
            128
        }
    }

    fn mask(self) -> u128 {
        let host = self.width() - u32::from(self.prefix);
        let all: u128 = if self.width() == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        if host >= 128 {
            0
        } else {
            all & !((1u128 << host).wrapping_sub(1)) & all
        }
    }

    fn network(self) -> IpAddr {
        let bits = Self::bits(self.addr) & self.mask();
        match self.addr {
            IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::from(u32::try_from(bits).unwrap_or(0))),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::from(bits)),
        }
    }

    /// Whether `other` lies strictly inside this block.
    pub fn strictly_contains(self, other: Cidr) -> bool {
        self.addr.is_ipv4() == other.addr.is_ipv4()
            && other.prefix > self.prefix
            && (Self::bits(other.addr) & self.mask()) == Self::bits(self.addr)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalizes() {
        assert_eq!(Cidr::parse("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            Cidr::parse("192.0.2.7").unwrap().to_string(),
            "192.0.2.7/32"
        );
        assert_eq!(
            Cidr::parse("[2001:db8::/32]").unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(Cidr::parse("[::1]").unwrap().to_string(), "::1/128");
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().to_string(), "0.0.0.0/0");
        assert!(Cidr::parse("10.1.0.0/8")
            .unwrap_err()
            .contains("10.0.0.0/8"));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("300.0.0.0/8").is_err());
    }

    #[test]
    fn containment() {
        let p = |s| Cidr::parse(s).unwrap();
        assert!(p("10.0.0.0/8").strictly_contains(p("10.1.0.0/16")));
        assert!(!p("10.0.0.0/8").strictly_contains(p("10.0.0.0/8")));
        assert!(!p("10.0.0.0/8").strictly_contains(p("11.0.0.0/16")));
        assert!(!p("10.0.0.0/8").strictly_contains(p("[::/64]")));
        assert!(p("0.0.0.0/0").strictly_contains(p("169.254.0.0/16")));
        assert!(p("[2001:db8::/32]").strictly_contains(p("[2001:db8:1::/48]")));
        assert!(p("[::/0]").strictly_contains(p("[2001:db8::/32]")));
    }
}
