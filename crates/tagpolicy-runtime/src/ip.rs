//! IP addresses and CIDR blocks for the `IpAddress` / `NotIpAddress` condition operators.
//!
//! ```
//! use tagpolicy_runtime::ip::Cidr;
//! let block = Cidr::parse("192.168.0.0/16").unwrap();
//! assert_eq!(block.contains_str("192.168.10.10"), Some(true));
//! assert_eq!(block.contains_str("192.169.0.1"), Some(false));
//! assert_eq!(block.contains_str("2001:db8::1"), Some(false)); // an IPv4 block never holds IPv6
//! assert_eq!(block.contains_str("not an ip"), None);
//! ```

pub use core::net::IpAddr;

/// Longest textual IP address [`parse_ip`] can accept (an IPv6 address with an embedded IPv4
/// address: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`). Longer text is rejected before parsing.
const MAX_ADDRESS_LEN: usize = 45;

/// A CIDR block, IPv4 or IPv6.
///
/// The stored address is always the network address (host bits cleared), so two blocks are equal
/// exactly when they contain the same addresses and have the same family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    /// Network address; for IPv4 in the low 32 bits.
    bits: u128,
    prefix: u8,
    v6: bool,
}

/// Network mask of `prefix` leading ones in a `width`-bit address, as a u128 (low `width` bits).
const fn mask(prefix: u8, width: u32) -> u128 {
    let all: u128 = match u128::MAX.checked_shr(128u32.saturating_sub(width)) {
        Some(m) => m,
        None => 0,
    };
    // Host bits: the low (width - prefix) bits.
    let host_bits = width.saturating_sub(prefix as u32);
    let host: u128 = match 1u128.checked_shl(host_bits) {
        Some(v) => v.wrapping_sub(1),
        None => u128::MAX,
    };
    all & !host
}

impl core::fmt::Display for Cidr {
    /// `10.0.0.0/8`, `2001:db8::/32`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.v6 {
            write!(
                f,
                "{}/{}",
                core::net::Ipv6Addr::from(self.bits),
                self.prefix
            )
        } else {
            let v4 = u32::try_from(self.bits & 0xffff_ffff).unwrap_or(0);
            write!(f, "{}/{}", core::net::Ipv4Addr::from(v4), self.prefix)
        }
    }
}

impl Cidr {
    /// An IPv4 block from a big-endian address (`u32::from(Ipv4Addr)`) and a prefix length; host bits
    /// are cleared. `None` if `prefix > 32`.
    ///
    /// ```
    /// use tagpolicy_runtime::ip::Cidr;
    /// const TEN: Cidr = match Cidr::v4(0x0a01_0203, 8) { Some(c) => c, None => panic!() };
    /// assert_eq!(TEN, Cidr::parse("10.0.0.0/8").unwrap());
    /// assert!(Cidr::v4(0, 33).is_none());
    /// ```
    pub const fn v4(addr: u32, prefix: u8) -> Option<Cidr> {
        if prefix > 32 {
            return None;
        }
        Some(Cidr {
            bits: addr as u128 & mask(prefix, 32),
            prefix,
            v6: false,
        })
    }

    /// An IPv6 block from a big-endian address (`u128::from(Ipv6Addr)`) and a prefix length; host
    /// bits are cleared. `None` if `prefix > 128`.
    ///
    /// ```
    /// use tagpolicy_runtime::ip::Cidr;
    /// let block = Cidr::v6(0x2001_0db8 << 96, 32).unwrap();
    /// assert_eq!(block, Cidr::parse("2001:db8::/32").unwrap());
    /// assert!(Cidr::v6(0, 129).is_none());
    /// ```
    pub const fn v6(addr: u128, prefix: u8) -> Option<Cidr> {
        if prefix > 128 {
            return None;
        }
        Some(Cidr {
            bits: addr & mask(prefix, 128),
            prefix,
            v6: true,
        })
    }

    /// Parses `address/prefix` ("10.0.0.0/8", "2001:db8::/32"); a bare address means /32 or /128.
    ///
    /// Host bits set in the address are allowed and masked off ("192.168.0.0/8" is 192.0.0.0/8,
    /// case `iam-simulate/NotIpAddress #11`). The address follows Rust's `core::net` syntax: IPv4
    /// in four decimal octets without leading zeros ("010.0.0.1" is rejected), IPv6 in any standard
    /// form including `::` and an embedded IPv4 tail, hex digits in either case, no zone index. The
    /// prefix is 1 to 3 decimal digits without sign and without leading zeros ("/033", "/08", "/+8",
    /// "/-1", "/" are rejected; "/0" is accepted). No whitespace anywhere.
    ///
    /// ```
    /// use tagpolicy_runtime::ip::Cidr;
    /// assert_eq!(Cidr::parse("10.1.2.3/8"), Cidr::parse("10.0.0.0/8"));
    /// assert_eq!(Cidr::parse("10.0.0.1").unwrap().prefix(), 32);
    /// assert!(Cidr::parse("1.2.3/8").is_none());
    /// assert!(Cidr::parse(" 10.0.0.0/8").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Cidr> {
        let (address, prefix) = match s.split_once('/') {
            Some((address, prefix)) => (address, Some(parse_prefix(prefix)?)),
            None => (s, None),
        };
        match parse_ip(address)? {
            IpAddr::V4(a) => Cidr::v4(u32::from(a), prefix.unwrap_or(32)),
            IpAddr::V6(a) => Cidr::v6(u128::from(a), prefix.unwrap_or(128)),
        }
    }

    /// Is `ip` inside this block? An IPv4 block never contains an IPv6 address and vice versa
    /// (also not an IPv4-mapped IPv6 address such as `::ffff:10.0.0.1`).
    ///
    /// ```
    /// use tagpolicy_runtime::ip::{Cidr, IpAddr};
    /// let block = Cidr::parse("2001:db8::/32").unwrap();
    /// assert!(block.contains("2001:db8:85a3::8a2e:370:7334".parse::<IpAddr>().unwrap()));
    /// assert!(!block.contains("192.168.0.1".parse::<IpAddr>().unwrap()));
    /// ```
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) if !self.v6 => {
                u128::from(u32::from(a)) & mask(self.prefix, 32) == self.bits
            }
            IpAddr::V6(a) if self.v6 => u128::from(a) & mask(self.prefix, 128) == self.bits,
            _ => false,
        }
    }

    /// Parses the request value `s` as an IP address ([`parse_ip`]) and tells whether this block
    /// contains it; `None` if `s` is not an IP address.
    ///
    /// The request value must be a bare address: a CIDR request value ("10.0.0.0/24") is `None`, not
    /// a subset test. This follows iam-simulate, which requires the key value to be a valid IPv4 or
    /// IPv6 address (cases `iam-simulate/IpAddress #1`, `#8`); AWS fills `aws:SourceIp` with one
    /// address. Callers implementing `NotIpAddress` must treat `None` as "condition does not hold"
    /// (case `iam-simulate/NotIpAddress #1`: fail closed).
    ///
    /// ```
    /// use tagpolicy_runtime::ip::Cidr;
    /// let block = Cidr::parse("10.0.0.0/8").unwrap();
    /// assert_eq!(block.contains_str("10.0.0.1"), Some(true));
    /// assert_eq!(block.contains_str("10.0.0.0/24"), None);
    /// ```
    pub fn contains_str(&self, s: &str) -> Option<bool> {
        parse_ip(s).map(|ip| self.contains(ip))
    }

    /// Is this an IPv6 block?
    pub fn is_v6(&self) -> bool {
        self.v6
    }

    /// The prefix length (0..=32 for IPv4, 0..=128 for IPv6).
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The network address with host bits cleared, big-endian; an IPv4 address is in the low 32 bits.
    /// `Cidr::v4(c.bits() as u32, c.prefix())` / `Cidr::v6(c.bits(), c.prefix())` rebuild the block.
    pub fn bits(&self) -> u128 {
        self.bits
    }
}

/// Parses a bare IPv4 or IPv6 address (the syntax of `core::net`, see [`Cidr::parse`]); `None` for
/// anything else, including CIDR notation, whitespace and zone indexes.
///
/// ```
/// use tagpolicy_runtime::ip::parse_ip;
/// assert!(parse_ip("2001:0db8:85a3:0000:0000:8a2e:0370:7334").is_some());
/// assert!(parse_ip("192.168.0.1").is_some());
/// assert!(parse_ip("123456789").is_none());
/// assert!(parse_ip("192.168.0.1 ").is_none());
/// ```
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.len() > MAX_ADDRESS_LEN {
        return None;
    }
    s.parse().ok()
}

/// Parses a prefix length: 1 to 3 ASCII digits, no leading zero unless the prefix is exactly "0".
fn parse_prefix(s: &str) -> Option<u8> {
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes.len() > 3 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes.first() == Some(&b'0') {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap_or_else(|| panic!("{s:?} should parse"))
    }

    #[test]
    fn conformance_cases() {
        // iam-simulate/IpAddress and NotIpAddress
        assert_eq!(c("192.168.10.10/32").contains_str("abcdeft"), None);
        assert_eq!(
            c("192.168.10.10/32").contains_str("2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
            Some(false)
        );
        assert_eq!(
            c("2001:0db8:85a3:0000:0000:8a2e:0370:7334/128").contains_str("192.168.10.10"),
            Some(false)
        );
        assert_eq!(
            c("192.168.0.0/16").contains_str("192.168.10.10"),
            Some(true)
        );
        assert_eq!(c("192.168.0.0/16").contains_str("192.169.0.1"), Some(false));
        assert_eq!(c("10.10.72.13").contains_str("10.10.72.13"), Some(true));
        assert_eq!(
            c("2001:0db8::/32").contains_str("2001:0db8:85a3::8a2e:0370:7334"),
            Some(true)
        );
        assert_eq!(c("2001:0db8::/32").contains_str("123456789"), None);
        assert_eq!(
            c("2001:0db8::/32").contains_str("2001:0db9:7335::8a2e:0370:85a3"),
            Some(false)
        );
        assert_eq!(
            c("2001:0db8:85a3::8a2e:0370:7334").contains_str("2001:0db8:85a3::8a2e:0370:7334"),
            Some(true)
        );
        assert_eq!(c("192.168.0.0/8").contains_str("192.168.0.17"), Some(true));
        assert_eq!(c("10.10.0.0/16").contains_str("192.168.0.17"), Some(false));
        // pmapper/ipaddress_condition
        assert_eq!(c("10.0.0.1").contains_str("10.0.0.1"), Some(true));
        assert_eq!(c("10.0.0.1").contains_str("10.0.0.2"), Some(false));
        assert_eq!(c("10.0.0.0/8").contains_str("10.0.0.1"), Some(true));
        assert_eq!(c("10.0.0.0/8").contains_str("127.0.0.1"), Some(false));
        assert_eq!(c("128.223.0.0/16").contains_str("128.223.0.1"), Some(true));
    }

    #[test]
    fn parse_and_accessors() {
        let b = c("10.1.2.3/8");
        assert!(!b.is_v6());
        assert_eq!(b.prefix(), 8);
        assert_eq!(b.bits(), 0x0a00_0000);
        assert_eq!(b, c("10.0.0.0/8"));
        let b = c("2001:DB8::1/32");
        assert!(b.is_v6());
        assert_eq!(b.prefix(), 32);
        assert_eq!(b.bits(), 0x2001_0db8u128 << 96);
        assert_eq!(c("1.2.3.4").prefix(), 32);
        assert_eq!(c("::1").prefix(), 128);
        assert_eq!(c("0.0.0.0/0").bits(), 0);
        assert_eq!(c("255.255.255.255/0").bits(), 0);
        assert_eq!(c("ffff::/0").bits(), 0);
        assert_eq!(c("255.255.255.255/32").bits(), 0xffff_ffff);
        assert_eq!(
            c("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128").bits(),
            u128::MAX
        );
        assert_eq!(c("::ffff:1.2.3.4/128").bits(), 0xffff_0102_0304);
        assert_eq!(c("1.2.3.4/31").bits(), 0x0102_0304);
        assert_eq!(c("1.2.3.5/31").bits(), 0x0102_0304);
        assert_eq!(c("1.2.3.4/1").bits(), 0);
        assert_eq!(c("129.2.3.4/1").bits(), 0x8000_0000);
        assert_eq!(c("1.2.3.4/24"), Cidr::v4(0x0102_0300, 24).unwrap());
        // Rebuilding from accessors.
        for s in [
            "10.0.0.0/8",
            "1.2.3.4",
            "2001:db8::/32",
            "::/0",
            "0.0.0.0/0",
            "fe80::1/64",
        ] {
            let b = c(s);
            let again = if b.is_v6() {
                Cidr::v6(b.bits(), b.prefix())
            } else {
                Cidr::v4(b.bits() as u32, b.prefix())
            };
            assert_eq!(again, Some(b), "{s}");
        }
    }

    #[test]
    fn const_constructors() {
        const A: Option<Cidr> = Cidr::v4(0xc0a8_0a0a, 16);
        const B: Option<Cidr> = Cidr::v6(u128::MAX, 64);
        assert_eq!(A, Some(c("192.168.0.0/16")));
        assert_eq!(B, Some(c("ffff:ffff:ffff:ffff::/64")));
        assert!(Cidr::v4(0, 32).is_some());
        assert!(Cidr::v4(0, 33).is_none());
        assert!(Cidr::v4(0, 255).is_none());
        assert!(Cidr::v6(0, 128).is_some());
        assert!(Cidr::v6(0, 129).is_none());
        assert!(Cidr::v6(0, 255).is_none());
        assert_eq!(Cidr::v4(u32::MAX, 0).unwrap().bits(), 0);
        assert_eq!(Cidr::v6(u128::MAX, 0).unwrap().bits(), 0);
        assert_eq!(Cidr::v6(u128::MAX, 128).unwrap().bits(), u128::MAX);
        assert_eq!(Cidr::v6(u128::MAX, 1).unwrap().bits(), 1u128 << 127);
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "/",
            "/8",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "10.0.0.0/033",
            "10.0.0.0/08",
            "10.0.0.0/00",
            "10.0.0.0/33",
            "10.0.0.0/256",
            "10.0.0.0/1000",
            "10.0.0.0/8/8",
            "10.0.0.0/8 ",
            "10.0.0.0 /8",
            " 10.0.0.0/8",
            "10.0.0.0/ 8",
            "10.0.0.0/8\n",
            "1.2.3/8",
            "1.2.3",
            "1.2.3.4.5",
            "256.0.0.0",
            "010.0.0.1",
            "1.2.3.04",
            "0x10.0.0.1",
            "::/129",
            "2001:db8::/0129",
            "2001:db8:::/32",
            "2001:db8::g/32",
            "fe80::1%eth0",
            "fe80::1%1/64",
            "[::1]",
            "１.２.３.４",
            "1.2.3.4/８",
            "10.0.0.0/8é",
            "localhost",
        ] {
            assert!(Cidr::parse(s).is_none(), "{s:?} should be rejected");
        }
        assert!(Cidr::parse("10.0.0.0/0").is_some());
        assert!(Cidr::parse("::/0").is_some());
        assert!(Cidr::parse("::/128").is_some());
    }

    #[test]
    fn families_never_mix() {
        let v4 = c("0.0.0.0/0");
        let v6 = c("::/0");
        assert!(v4.contains(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))));
        assert!(!v4.contains(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert!(!v4.contains(IpAddr::V6(Ipv4Addr::new(1, 2, 3, 4).to_ipv6_mapped())));
        assert!(v6.contains(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert!(!v6.contains(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert_eq!(c("10.0.0.0/8").contains_str("::ffff:10.0.0.1"), Some(false));
        assert_eq!(
            c("::ffff:0:0/96").contains_str("::ffff:10.0.0.1"),
            Some(true)
        );
        assert_eq!(c("::ffff:0:0/96").contains_str("10.0.0.1"), Some(false));
        assert_ne!(Cidr::v4(0, 0), Cidr::v6(0, 0));
    }

    #[test]
    fn boundaries() {
        let b = c("192.168.1.0/24");
        assert_eq!(b.contains_str("192.168.1.0"), Some(true));
        assert_eq!(b.contains_str("192.168.1.255"), Some(true));
        assert_eq!(b.contains_str("192.168.0.255"), Some(false));
        assert_eq!(b.contains_str("192.168.2.0"), Some(false));
        let b = c("2001:db8::/127");
        assert_eq!(b.contains_str("2001:db8::"), Some(true));
        assert_eq!(b.contains_str("2001:db8::1"), Some(true));
        assert_eq!(b.contains_str("2001:db8::2"), Some(false));
        assert_eq!(c("0.0.0.0/0").contains_str("255.255.255.255"), Some(true));
        assert_eq!(
            c("::/0").contains_str("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            Some(true)
        );
        assert_eq!(
            c("2001:DB8::/32").contains_str("2001:db8:ABCD::1"),
            Some(true)
        );
        for p in 0..=32u8 {
            let b = Cidr::v4(0x8080_8080, p).unwrap();
            assert!(b.contains(IpAddr::V4(Ipv4Addr::from(0x8080_8080))));
            assert_eq!(b.contains(IpAddr::V4(Ipv4Addr::from(0))), p == 0);
        }
        for p in 0..=128u8 {
            let b = Cidr::v6(u128::MAX, p).unwrap();
            assert!(b.contains(IpAddr::V6(Ipv6Addr::from(u128::MAX))));
            assert_eq!(b.contains(IpAddr::V6(Ipv6Addr::from(0))), p == 0);
            let last_net_bit_flipped = if p == 0 {
                None
            } else {
                Some(u128::MAX ^ (1u128 << (128 - p)))
            };
            if let Some(a) = last_net_bit_flipped {
                assert!(!b.contains(IpAddr::V6(Ipv6Addr::from(a))), "prefix {p}");
            }
        }
    }

    #[test]
    fn request_values() {
        let b = c("10.0.0.0/8");
        for s in [
            "10.0.0.0/24",
            "10.0.0.1/32",
            "",
            " 10.0.0.1",
            "10.0.0.1 ",
            "10.0.0.1\0",
            "10.0.0",
            "١٠.0.0.1",
        ] {
            assert_eq!(b.contains_str(s), None, "{s:?}");
        }
        assert_eq!(parse_ip("::"), Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
        assert_eq!(parse_ip("0.0.0.0"), Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        assert!(parse_ip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255").is_some());
        assert!(parse_ip("0000:0000:0000:0000:0000:0000:255.255.255.255").is_some());
    }

    #[test]
    fn hostile_inputs() {
        let mb = "1".repeat(1 << 20);
        assert!(Cidr::parse(&mb).is_none());
        assert!(parse_ip(&mb).is_none());
        let long_prefix = std::format!("10.0.0.0/{mb}");
        assert!(Cidr::parse(&long_prefix).is_none());
        let zeros = std::format!("10.0.0.0/{}8", "0".repeat(1 << 20));
        assert!(Cidr::parse(&zeros).is_none());
        let slashes = "/".repeat(1 << 20);
        assert!(Cidr::parse(&slashes).is_none());
        let colons = ":".repeat(1 << 20);
        assert!(Cidr::parse(&colons).is_none());
        assert_eq!(c("::/0").contains_str(&colons), None);
        let emoji = "😀".repeat(1 << 18);
        assert!(Cidr::parse(&emoji).is_none());
        assert!(Cidr::parse("😀/8").is_none());
        assert!(Cidr::parse("1.2.3.4/😀").is_none());
    }
}
