//! The leaf record: a small fixed-size record per event that the Merkle tree commits to.
//!
//! # Format (version 1, 256 bytes, integers big-endian)
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | format version, `1` |
//! | 1 | 1 | kind: `1` Kubernetes audit event, `2` Falco alert, `3` kubepci report summary |
//! | 2 | 1 | stage: `0` none, `1` RequestReceived, `2` ResponseStarted, `3` ResponseComplete, `4` Panic, `255` other |
//! | 3 | 1 | flags: bit 0 auditID field holds `SHA-256(auditID)`, bit 1 source field holds `SHA-256(source)` (value longer than 64 bytes) |
//! | 4 | 8 | sequence number (= leaf index) |
//! | 12 | 8 | receive time, Unix nanoseconds |
//! | 20 | 8 | event time (`stageTimestamp`, alert `time`; receive time when absent), Unix nanoseconds |
//! | 28 | 32 | SHA-256 of the event's bytes as received |
//! | 60 | 8 | segment number holding the body |
//! | 68 | 8 | byte offset of the body's frame in that segment |
//! | 76 | 4 | offset of the body in the frame's decompressed block |
//! | 80 | 4 | body length |
//! | 84 | 1 | auditID length (≤ 64) |
//! | 85 | 64 | auditID, zero-padded |
//! | 149 | 1 | source length (≤ 64) |
//! | 150 | 64 | source (authenticated client), zero-padded |
//! | 214 | 38 | reserved, zero |
//! | 252 | 4 | CRC-32C of bytes 0..252 |
//!
//! The tree's leaf hash is `SHA-256(0x00 || all 256 bytes)` (RFC 6962).

use sha2::{Digest, Sha256};

/// Size of a leaf record in bytes.
pub const LEAF_SIZE: usize = 256;
const FIELD_MAX: usize = 64;
const CRC_AT: usize = 252;

/// What produced the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// An `audit.k8s.io` Event from the apiserver.
    K8sAudit,
    /// A Falco (or falcosidekick) alert.
    FalcoAlert,
    /// The signed summary of a `kubepci report` (`kubepci report --record`).
    ReportSummary,
}

impl EventKind {
    fn code(self) -> u8 {
        match self {
            EventKind::K8sAudit => 1,
            EventKind::FalcoAlert => 2,
            EventKind::ReportSummary => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(EventKind::K8sAudit),
            2 => Some(EventKind::FalcoAlert),
            3 => Some(EventKind::ReportSummary),
            _ => None,
        }
    }

    /// Short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::K8sAudit => "k8s-audit",
            EventKind::FalcoAlert => "falco",
            EventKind::ReportSummary => "kubepci-report",
        }
    }
}

/// The audit stage of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// No stage (alerts).
    None,
    /// `RequestReceived`.
    RequestReceived,
    /// `ResponseStarted`.
    ResponseStarted,
    /// `ResponseComplete`.
    ResponseComplete,
    /// `Panic`.
    Panic,
    /// Any other value.
    Other,
}

impl Stage {
    /// Maps the JSON `stage` value.
    pub fn from_name(name: Option<&str>) -> Self {
        match name {
            None => Stage::None,
            Some("RequestReceived") => Stage::RequestReceived,
            Some("ResponseStarted") => Stage::ResponseStarted,
            Some("ResponseComplete") => Stage::ResponseComplete,
            Some("Panic") => Stage::Panic,
            Some(_) => Stage::Other,
        }
    }

    /// The JSON name ("" for none).
    pub fn name(self) -> &'static str {
        match self {
            Stage::None => "",
            Stage::RequestReceived => "RequestReceived",
            Stage::ResponseStarted => "ResponseStarted",
            Stage::ResponseComplete => "ResponseComplete",
            Stage::Panic => "Panic",
            Stage::Other => "Other",
        }
    }

    fn code(self) -> u8 {
        match self {
            Stage::None => 0,
            Stage::RequestReceived => 1,
            Stage::ResponseStarted => 2,
            Stage::ResponseComplete => 3,
            Stage::Panic => 4,
            Stage::Other => 255,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Stage::None,
            1 => Stage::RequestReceived,
            2 => Stage::ResponseStarted,
            3 => Stage::ResponseComplete,
            4 => Stage::Panic,
            255 => Stage::Other,
            _ => return None,
        })
    }
}

/// A short identifier field (auditID, source): inline when ≤ 64 bytes, else its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdField {
    bytes: Vec<u8>,
    hashed: bool,
}

impl IdField {
    /// Encodes a value for the leaf.
    pub fn new(value: &str) -> Self {
        if value.len() <= FIELD_MAX {
            IdField {
                bytes: value.as_bytes().to_vec(),
                hashed: false,
            }
        } else {
            IdField {
                bytes: Sha256::digest(value.as_bytes()).to_vec(),
                hashed: true,
            }
        }
    }

    /// Displayable form: the value, or `sha256:<hex>` when it was too long to store.
    pub fn display(&self) -> String {
        if self.hashed {
            let mut hex = String::from("sha256:");
            for b in &self.bytes {
                hex.push_str(&format!("{b:02x}"));
            }
            hex
        } else {
            String::from_utf8_lossy(&self.bytes).into_owned()
        }
    }

    /// True when it matches `value` as [`IdField::new`] would encode it.
    pub fn matches(&self, value: &str) -> bool {
        *self == IdField::new(value)
    }
}

/// A decoded leaf record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafRecord {
    /// Event kind.
    pub kind: EventKind,
    /// Audit stage.
    pub stage: Stage,
    /// Sequence number, equal to the leaf's index in the tree.
    pub seq: u64,
    /// Receive time, Unix nanoseconds.
    pub received_at_ns: i64,
    /// Event time, Unix nanoseconds.
    pub event_time_ns: i64,
    /// SHA-256 of the event bytes.
    pub event_sha256: [u8; 32],
    /// Segment holding the body.
    pub segment: u64,
    /// Offset of the body's frame in the segment.
    pub frame_offset: u64,
    /// Offset of the body in the frame's decompressed block.
    pub body_offset: u32,
    /// Length of the body.
    pub body_len: u32,
    /// The event's auditID (alerts: uuid).
    pub audit_id: IdField,
    /// The authenticated client that sent it.
    pub source: IdField,
}

/// Why 256 bytes are not a valid leaf record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LeafError {
    /// The CRC-32C does not match (torn write or edit).
    #[error("leaf record checksum mismatch")]
    Checksum,
    /// A field has a value no writer produces.
    #[error("leaf record has an invalid field")]
    Invalid,
}

fn be_u64(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(x)
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_be_bytes(x)
}

impl LeafRecord {
    /// The 256-byte encoding.
    pub fn encode(&self) -> [u8; LEAF_SIZE] {
        let mut b = [0u8; LEAF_SIZE];
        b[0] = 1;
        b[1] = self.kind.code();
        b[2] = self.stage.code();
        b[3] = u8::from(self.audit_id.hashed) | (u8::from(self.source.hashed) << 1);
        b[4..12].copy_from_slice(&self.seq.to_be_bytes());
        b[12..20].copy_from_slice(&self.received_at_ns.to_be_bytes());
        b[20..28].copy_from_slice(&self.event_time_ns.to_be_bytes());
        b[28..60].copy_from_slice(&self.event_sha256);
        b[60..68].copy_from_slice(&self.segment.to_be_bytes());
        b[68..76].copy_from_slice(&self.frame_offset.to_be_bytes());
        b[76..80].copy_from_slice(&self.body_offset.to_be_bytes());
        b[80..84].copy_from_slice(&self.body_len.to_be_bytes());
        // IdField values are at most 64 bytes by construction.
        let id = &self.audit_id.bytes[..self.audit_id.bytes.len().min(FIELD_MAX)];
        b[84] = id.len() as u8;
        b[85..85 + id.len()].copy_from_slice(id);
        let src = &self.source.bytes[..self.source.bytes.len().min(FIELD_MAX)];
        b[149] = src.len() as u8;
        b[150..150 + src.len()].copy_from_slice(src);
        let crc = crc32c::crc32c(&b[..CRC_AT]);
        b[CRC_AT..].copy_from_slice(&crc.to_be_bytes());
        b
    }

    /// Decodes and checks a record.
    pub fn decode(b: &[u8; LEAF_SIZE]) -> Result<Self, LeafError> {
        if crc32c::crc32c(&b[..CRC_AT]) != be_u32(b, CRC_AT) {
            return Err(LeafError::Checksum);
        }
        if b[0] != 1 || b[3] & !0b11 != 0 {
            return Err(LeafError::Invalid);
        }
        let kind = EventKind::from_code(b[1]).ok_or(LeafError::Invalid)?;
        let stage = Stage::from_code(b[2]).ok_or(LeafError::Invalid)?;
        let id_len = usize::from(b[84]);
        let src_len = usize::from(b[149]);
        if id_len > FIELD_MAX || src_len > FIELD_MAX {
            return Err(LeafError::Invalid);
        }
        let mut received = [0u8; 8];
        received.copy_from_slice(&b[12..20]);
        let mut event_time = [0u8; 8];
        event_time.copy_from_slice(&b[20..28]);
        let mut event_sha256 = [0u8; 32];
        event_sha256.copy_from_slice(&b[28..60]);
        Ok(LeafRecord {
            kind,
            stage,
            seq: be_u64(b, 4),
            received_at_ns: i64::from_be_bytes(received),
            event_time_ns: i64::from_be_bytes(event_time),
            event_sha256,
            segment: be_u64(b, 60),
            frame_offset: be_u64(b, 68),
            body_offset: be_u32(b, 76),
            body_len: be_u32(b, 80),
            audit_id: IdField {
                bytes: b[85..85 + id_len].to_vec(),
                hashed: b[3] & 1 != 0,
            },
            source: IdField {
                bytes: b[150..150 + src_len].to_vec(),
                hashed: b[3] & 2 != 0,
            },
        })
    }

    /// The dedupe key: `(kind, source, auditID, stage)` hashed to 16 bytes.
    pub fn dedupe_key(&self) -> DedupeKey {
        dedupe_key(self.kind, &self.source, &self.audit_id, self.stage)
    }
}

/// 16 bytes identifying `(kind, source, auditID, stage)`.
pub type DedupeKey = [u8; 16];

/// Computes the dedupe key of an event.
pub fn dedupe_key(
    kind: EventKind,
    source: &IdField,
    audit_id: &IdField,
    stage: Stage,
) -> DedupeKey {
    let mut h = Sha256::new();
    h.update([
        kind.code(),
        stage.code(),
        u8::from(source.hashed),
        u8::from(audit_id.hashed),
    ]);
    h.update((source.bytes.len() as u32).to_be_bytes());
    h.update(&source.bytes);
    h.update(&audit_id.bytes);
    let digest = h.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LeafRecord {
        LeafRecord {
            kind: EventKind::K8sAudit,
            stage: Stage::ResponseComplete,
            seq: 42,
            received_at_ns: 1_700_000_000_000_000_000,
            event_time_ns: -5,
            event_sha256: [7; 32],
            segment: 3,
            frame_offset: 4096,
            body_offset: 100,
            body_len: 1500,
            audit_id: IdField::new("7e3c1cbb-7cc0-4a64-bd3b-5cf9b7e3a4b1"),
            source: IdField::new(&"x".repeat(100)),
        }
    }

    #[test]
    fn round_trip_and_checksum() {
        let leaf = sample();
        let bytes = leaf.encode();
        assert_eq!(LeafRecord::decode(&bytes), Ok(leaf.clone()));
        assert!(leaf.source.display().starts_with("sha256:"));
        assert!(leaf.source.matches(&"x".repeat(100)));
        let mut bad = bytes;
        bad[13] ^= 1;
        assert_eq!(LeafRecord::decode(&bad), Err(LeafError::Checksum));
        assert_eq!(
            LeafRecord::decode(&[0; LEAF_SIZE]),
            Err(LeafError::Checksum)
        );
    }
}
