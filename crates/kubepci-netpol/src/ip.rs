//! IPv4 and IPv6 address sets: CIDRs, `ipBlock` with `except`, and back to CIDRs for output.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ranges::RangeSet;

/// A set of IPv4 and IPv6 addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IpSet {
    v4: RangeSet,
    v6: RangeSet,
}

/// A parsed CIDR: family, network address (host bits cleared) and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x:y::/n`. Host bits are allowed and cleared (Kubernetes accepts
    /// them in `ipBlock`).
    ///
    /// # Errors
    /// When the text is not a CIDR.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a CIDR (no prefix length)"))?;
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not a CIDR (bad address)"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= bits(addr))
            .ok_or_else(|| format!("`{text}` is not a CIDR (bad prefix length)"))?;
        let (lo, _) = bounds(addr, prefix);
        let addr = match addr {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(u32::try_from(lo).unwrap_or(0))),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(lo)),
        };
        Ok(Cidr { addr, prefix })
    }

    /// Whether this is an IPv4 CIDR.
    #[must_use]
    pub fn is_v4(&self) -> bool {
        self.addr.is_ipv4()
    }

    /// Prefix length.
    #[must_use]
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `other` is a strict subset of this CIDR (what `except` entries must be).
    #[must_use]
    pub fn strictly_contains(&self, other: &Cidr) -> bool {
        if self.is_v4() != other.is_v4() || other.prefix <= self.prefix {
            return false;
        }
        let (lo, hi) = bounds(self.addr, self.prefix);
        let (olo, ohi) = bounds(other.addr, other.prefix);
        lo <= olo && ohi <= hi
    }

    /// The addresses of this CIDR.
    #[must_use]
    pub fn to_set(&self) -> IpSet {
        let (lo, hi) = bounds(self.addr, self.prefix);
        let range = RangeSet::range(lo, hi);
        if self.is_v4() {
            IpSet {
                v4: range,
                v6: RangeSet::empty(),
            }
        } else {
            IpSet {
                v4: RangeSet::empty(),
                v6: range,
            }
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn bits(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

fn to_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// First and last address of `addr/prefix`.
fn bounds(addr: IpAddr, prefix: u8) -> (u128, u128) {
    let width = bits(addr);
    let host_bits = u32::from(width - prefix);
    let value = to_u128(addr);
    let host_mask: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    (value & !host_mask, value | host_mask)
}

impl IpSet {
    /// No address.
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            v4: RangeSet::empty(),
            v6: RangeSet::empty(),
        }
    }

    /// Every IPv4 and IPv6 address.
    #[must_use]
    pub fn all() -> Self {
        Self {
            v4: RangeSet::range(0, u128::from(u32::MAX)),
            v6: RangeSet::range(0, u128::MAX),
        }
    }

    /// An `ipBlock`: `cidr` minus every `except`.
    ///
    /// # Errors
    /// A CIDR that does not parse, or an `except` that is not a strict subset of `cidr`
    /// (the API server rejects both).
    pub fn ip_block(cidr: &str, except: &[&str]) -> Result<IpSet, String> {
        let base = Cidr::parse(cidr)?;
        let mut set = base.to_set();
        for e in except {
            let e = Cidr::parse(e)?;
            if !base.strictly_contains(&e) {
                return Err(format!("except `{e}` is not a strict subset of `{base}`"));
            }
            set = set.subtract(&e.to_set());
        }
        Ok(set)
    }

    /// Parses a list of CIDRs into their union.
    ///
    /// # Errors
    /// The first CIDR that does not parse.
    pub fn from_cidrs<S: AsRef<str>>(cidrs: &[S]) -> Result<IpSet, String> {
        cidrs.iter().try_fold(IpSet::empty(), |acc, c| {
            Ok(acc.union(&Cidr::parse(c.as_ref())?.to_set()))
        })
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Whether the set holds every address of both families.
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.v4.covers(0, u128::from(u32::MAX)) && self.v6.covers(0, u128::MAX)
    }

    /// Whether `addr` is in the set.
    #[must_use]
    pub fn contains(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(_) => self.v4.contains(to_u128(addr)),
            IpAddr::V6(_) => self.v6.contains(to_u128(addr)),
        }
    }

    /// `self ∪ other`.
    #[must_use]
    pub fn union(&self, other: &IpSet) -> IpSet {
        IpSet {
            v4: self.v4.union(&other.v4),
            v6: self.v6.union(&other.v6),
        }
    }

    /// `self ∩ other`.
    #[must_use]
    pub fn intersect(&self, other: &IpSet) -> IpSet {
        IpSet {
            v4: self.v4.intersect(&other.v4),
            v6: self.v6.intersect(&other.v6),
        }
    }

    /// `self \ other`.
    #[must_use]
    pub fn subtract(&self, other: &IpSet) -> IpSet {
        IpSet {
            v4: self.v4.subtract(&other.v4),
            v6: self.v6.subtract(&other.v6),
        }
    }

    /// Whether the sets share an address.
    #[must_use]
    pub fn overlaps(&self, other: &IpSet) -> bool {
        self.v4.overlaps(&other.v4) || self.v6.overlaps(&other.v6)
    }

    /// Whether every address of `other` is in this set.
    #[must_use]
    pub fn is_superset(&self, other: &IpSet) -> bool {
        other.subtract(self).is_empty()
    }

    /// The smallest list of CIDRs whose union is this set, IPv4 first, in address order.
    #[must_use]
    pub fn to_cidrs(&self) -> Vec<String> {
        let mut out = Vec::new();
        for &(lo, hi) in self.v4.ranges() {
            for (start, prefix) in split(lo, hi, 32) {
                let start = u32::try_from(start).unwrap_or(0);
                out.push(format!("{}/{prefix}", Ipv4Addr::from(start)));
            }
        }
        for &(lo, hi) in self.v6.ranges() {
            for (start, prefix) in split(lo, hi, 128) {
                out.push(format!("{}/{prefix}", Ipv6Addr::from(start)));
            }
        }
        out
    }
}

/// Splits `lo..=hi` into aligned CIDR blocks of a `width`-bit address space.
fn split(mut lo: u128, hi: u128, width: u32) -> Vec<(u128, u32)> {
    let mut out = Vec::new();
    loop {
        // Largest block aligned at `lo` that stays within `hi`.
        let mut size_bits = if lo == 0 { width } else { lo.trailing_zeros() };
        size_bits = size_bits.min(width);
        while size_bits > 0 {
            let last = if size_bits >= 128 {
                u128::MAX
            } else {
                lo + ((1u128 << size_bits) - 1)
            };
            if last <= hi {
                break;
            }
            size_bits -= 1;
        }
        out.push((lo, width - size_bits));
        let last = if size_bits >= 128 {
            u128::MAX
        } else {
            lo + ((1u128 << size_bits) - 1)
        };
        if last >= hi {
            break;
        }
        lo = last + 1;
    }
    out
}

impl fmt::Display for IpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("any address");
        }
        f.write_str(&self.to_cidrs().join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_block_with_except() {
        let set = IpSet::ip_block("10.0.0.0/8", &["10.1.0.0/16"]).expect("valid");
        assert!(set.contains("10.0.0.1".parse().expect("ip")));
        assert!(!set.contains("10.1.2.3".parse().expect("ip")));
        assert!(!set.contains("11.0.0.1".parse().expect("ip")));
        assert_eq!(
            set.to_cidrs(),
            [
                "10.0.0.0/16",
                "10.2.0.0/15",
                "10.4.0.0/14",
                "10.8.0.0/13",
                "10.16.0.0/12",
                "10.32.0.0/11",
                "10.64.0.0/10",
                "10.128.0.0/9"
            ]
        );
    }

    #[test]
    fn except_must_be_a_strict_subset() {
        assert!(IpSet::ip_block("10.0.0.0/8", &["10.0.0.0/8"]).is_err());
        assert!(IpSet::ip_block("10.0.0.0/8", &["11.0.0.0/16"]).is_err());
        assert!(IpSet::ip_block("10.0.0.0/8", &["fd00::/16"]).is_err());
        assert!(IpSet::ip_block("10.0.0.0", &[]).is_err());
        assert!(IpSet::ip_block("10.0.0.0/33", &[]).is_err());
    }

    #[test]
    fn whole_families_and_host_bits() {
        let v4 = IpSet::ip_block("0.0.0.0/0", &[]).expect("v4");
        let v6 = IpSet::ip_block("::/0", &[]).expect("v6");
        assert!(v4.union(&v6).is_all());
        assert!(!v4.is_all());
        assert_eq!(v4.to_cidrs(), ["0.0.0.0/0"]);
        assert_eq!(v6.to_cidrs(), ["::/0"]);
        assert_eq!(
            IpSet::ip_block("192.168.1.77/24", &[])
                .expect("host bits")
                .to_cidrs(),
            ["192.168.1.0/24"]
        );
        assert_eq!(
            IpSet::ip_block("2001:db8::1/32", &["2001:db8:8000::/33"])
                .expect("v6")
                .to_cidrs(),
            ["2001:db8::/33"]
        );
    }

    #[test]
    fn cidr_split_round_trips() {
        let set = IpSet::from_cidrs(&["10.0.0.3/32", "10.0.0.4/30", "10.0.0.8/29", "10.0.0.16/32"])
            .expect("valid");
        let back = IpSet::from_cidrs(&set.to_cidrs()).expect("valid");
        assert_eq!(set, back);
        assert_eq!(
            set.to_cidrs(),
            ["10.0.0.3/32", "10.0.0.4/30", "10.0.0.8/29", "10.0.0.16/32"]
        );
    }
}
