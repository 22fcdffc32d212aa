//! Protocols and port sets.

use std::fmt;

use serde::Serialize;

use crate::ranges::RangeSet;

/// A transport protocol NetworkPolicy can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Protocol {
    /// TCP (the default).
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    /// All protocols.
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

    /// Parses the API's spelling (`TCP`, `UDP`, `SCTP`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// The API's spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    const fn index(self) -> usize {
        match self {
            Protocol::Tcp => 0,
            Protocol::Udp => 1,
            Protocol::Sctp => 2,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lowest and highest port number.
pub const PORT_MIN: u16 = 1;
/// Highest port number.
pub const PORT_MAX: u16 = 65535;

/// A set of (protocol, port) pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PortSet {
    by_protocol: [RangeSet; 3],
}

/// One range of a [`PortSet`], as the JSON output writes it: `port`/`endPort` absent means
/// every port of the protocol.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortRange {
    /// The protocol.
    pub protocol: Protocol,
    /// First port; absent for every port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Last port when the range holds more than one port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_port: Option<u16>,
}

impl PortSet {
    /// No port.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Every port of every protocol.
    #[must_use]
    pub fn all() -> Self {
        let full = RangeSet::range(u128::from(PORT_MIN), u128::from(PORT_MAX));
        Self {
            by_protocol: [full.clone(), full.clone(), full],
        }
    }

    /// Every port of one protocol.
    #[must_use]
    pub fn protocol(protocol: Protocol) -> Self {
        Self::range(protocol, PORT_MIN, PORT_MAX)
    }

    /// `lo..=hi` of one protocol.
    #[must_use]
    pub fn range(protocol: Protocol, lo: u16, hi: u16) -> Self {
        let mut set = Self::none();
        set.by_protocol[protocol.index()] = RangeSet::range(u128::from(lo), u128::from(hi));
        set
    }

    /// One port.
    #[must_use]
    pub fn single(protocol: Protocol, port: u16) -> Self {
        Self::range(protocol, port, port)
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_protocol.iter().all(RangeSet::is_empty)
    }

    /// Whether the set holds every port of every protocol.
    #[must_use]
    pub fn is_all(&self) -> bool {
        Protocol::ALL.iter().all(|p| self.is_all_of(*p))
    }

    /// Whether the set holds every port of `protocol`.
    #[must_use]
    pub fn is_all_of(&self, protocol: Protocol) -> bool {
        self.by_protocol[protocol.index()].covers(u128::from(PORT_MIN), u128::from(PORT_MAX))
    }

    /// Whether `(protocol, port)` is in the set.
    #[must_use]
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.by_protocol[protocol.index()].contains(u128::from(port))
    }

    /// `self ∪ other`.
    #[must_use]
    pub fn union(&self, other: &PortSet) -> PortSet {
        PortSet {
            by_protocol: std::array::from_fn(|i| self.by_protocol[i].union(&other.by_protocol[i])),
        }
    }

    /// Adds `other` to this set.
    pub fn add(&mut self, other: &PortSet) {
        for (mine, theirs) in self.by_protocol.iter_mut().zip(&other.by_protocol) {
            mine.add(theirs);
        }
    }

    /// `self ∩ other`.
    #[must_use]
    pub fn intersect(&self, other: &PortSet) -> PortSet {
        PortSet {
            by_protocol: std::array::from_fn(|i| {
                self.by_protocol[i].intersect(&other.by_protocol[i])
            }),
        }
    }

    /// The set as ranges, TCP first.
    #[must_use]
    pub fn ranges(&self) -> Vec<PortRange> {
        let mut out = Vec::new();
        for protocol in Protocol::ALL {
            if self.is_all_of(protocol) {
                out.push(PortRange {
                    protocol,
                    port: None,
                    end_port: None,
                });
                continue;
            }
            for &(lo, hi) in self.by_protocol[protocol.index()].ranges() {
                let lo = u16::try_from(lo).unwrap_or(PORT_MAX);
                let hi = u16::try_from(hi).unwrap_or(PORT_MAX);
                out.push(PortRange {
                    protocol,
                    port: Some(lo),
                    end_port: (hi != lo).then_some(hi),
                });
            }
        }
        out
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.port, self.end_port) {
            (None, _) => write!(f, "{}/*", self.protocol),
            (Some(p), None) => write!(f, "{}/{p}", self.protocol),
            (Some(p), Some(e)) => write!(f, "{}/{p}-{e}", self.protocol),
        }
    }
}

impl fmt::Display for PortSet {
    /// `any` for every port of every protocol, else `TCP/443, TCP/8000-8080, UDP/*`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("any");
        }
        if self.is_empty() {
            return f.write_str("none");
        }
        let parts: Vec<String> = self.ranges().iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_ranges() {
        let set = PortSet::single(Protocol::Tcp, 443)
            .union(&PortSet::range(Protocol::Tcp, 8000, 8080))
            .union(&PortSet::protocol(Protocol::Udp));
        assert_eq!(set.to_string(), "TCP/443, TCP/8000-8080, UDP/*");
        assert!(set.contains(Protocol::Tcp, 8001));
        assert!(!set.contains(Protocol::Sctp, 443));
        assert_eq!(PortSet::all().to_string(), "any");
        assert!(
            PortSet::all()
                .intersect(&PortSet::single(Protocol::Udp, 53))
                .contains(Protocol::Udp, 53)
        );
    }
}
