//! Offline-verifiable proofs.
//!
//! - [`InclusionProof`], c2sp.org/tlog-proof
//!   (`c2sp.org/tlog-proof@v1`, optional `extra <base64>`, `index <N>`, the inclusion hashes in
//!   base64 one per line, an empty line, then the signed checkpoint verbatim);
//! - [`ConsistencyProof`], the body of a c2sp.org/tlog-witness `add-checkpoint` request
//!   (`old <size>`, up to 63 consistency hashes in base64, an empty line, then the signed
//!   checkpoint), which a witness can consume as it is.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kubepci_tlog::Hash;

use crate::MAX_NOTE_BYTES;
use crate::checkpoint::{Checkpoint, SignedCheckpoint, open_checkpoint};
use crate::error::CheckpointError;
use crate::key::NoteVerifier;

/// First line of a c2sp.org/tlog-proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// A proof never needs more hashes than this (trees below 2⁶³ leaves).
const MAX_PROOF_HASHES: usize = 63;

fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// Reads base64 hash lines up to the first empty line; returns the hashes and the remainder.
fn parse_hashes(mut rest: &str) -> Result<(Vec<Hash>, &str), CheckpointError> {
    let mut hashes = Vec::new();
    loop {
        let (line, after) = rest
            .split_once('\n')
            .ok_or(CheckpointError::MalformedProof(
                "missing empty line before the checkpoint",
            ))?;
        rest = after;
        if line.is_empty() {
            return Ok((hashes, rest));
        }
        if hashes.len() == MAX_PROOF_HASHES {
            return Err(CheckpointError::MalformedProof("too many proof hashes"));
        }
        let hash = B64
            .decode(line)
            .ok()
            .and_then(|raw| Hash::from_slice(&raw))
            .ok_or(CheckpointError::MalformedProof(
                "proof line is not a base64 SHA-256 hash",
            ))?;
        hashes.push(hash);
    }
}

fn input_text(bytes: &[u8]) -> Result<&str, CheckpointError> {
    if bytes.len() > MAX_NOTE_BYTES {
        return Err(CheckpointError::TooLarge {
            max: MAX_NOTE_BYTES,
        });
    }
    std::str::from_utf8(bytes).map_err(|_| CheckpointError::MalformedProof("proof is not utf-8"))
}

/// A c2sp.org/tlog-proof: leaf `index` is in the tree of the enclosed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// Unauthenticated extra data; kubepci puts the leaf record here so that the leaf hash can be
    /// recomputed (the proof then authenticates it).
    pub extra: Option<Vec<u8>>,
    /// Zero-based leaf index.
    pub index: u64,
    /// The inclusion path, leaf's sibling first.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: String,
}

impl InclusionProof {
    /// The text form.
    pub fn to_text(&self) -> String {
        let mut out = String::from(TLOG_PROOF_HEADER);
        out.push('\n');
        if let Some(extra) = &self.extra {
            out.push_str("extra ");
            out.push_str(&B64.encode(extra));
            out.push('\n');
        }
        out.push_str(&format!("index {}\n", self.index));
        for hash in &self.hashes {
            out.push_str(&B64.encode(hash.as_bytes()));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parses the text form (no verification).
    pub fn parse(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let text = input_text(bytes)?;
        let rest = text
            .strip_prefix(TLOG_PROOF_HEADER)
            .and_then(|r| r.strip_prefix('\n'))
            .ok_or(CheckpointError::MalformedProof(
                "missing c2sp.org/tlog-proof@v1 header",
            ))?;
        let (mut line, mut rest) = rest
            .split_once('\n')
            .ok_or(CheckpointError::MalformedProof("missing index line"))?;
        let mut extra = None;
        if let Some(encoded) = line.strip_prefix("extra ") {
            extra = Some(
                B64.decode(encoded)
                    .map_err(|_| CheckpointError::MalformedProof("extra is not base64"))?,
            );
            (line, rest) = rest
                .split_once('\n')
                .ok_or(CheckpointError::MalformedProof("missing index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_decimal)
            .ok_or(CheckpointError::MalformedProof("malformed index line"))?;
        let (hashes, checkpoint) = parse_hashes(rest)?;
        Ok(Self {
            extra,
            index,
            hashes,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Verifies the checkpoint's signature and that `leaf_hash` is leaf `index` of its tree.
    pub fn verify(
        &self,
        verifier: &NoteVerifier,
        leaf_hash: &Hash,
    ) -> Result<SignedCheckpoint, CheckpointError> {
        let signed = open_checkpoint(self.checkpoint.as_bytes(), verifier)?;
        kubepci_tlog::verify_inclusion(
            self.index,
            signed.checkpoint.size,
            leaf_hash,
            &self.hashes,
            &signed.checkpoint.root,
        )
        .map_err(CheckpointError::Proof)?;
        Ok(signed)
    }
}

/// A consistency proof from a tree of `old_size` leaves to the enclosed checkpoint, in the
/// tlog-witness `add-checkpoint` body format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// Size of the older tree.
    pub old_size: u64,
    /// The consistency proof hashes.
    pub hashes: Vec<Hash>,
    /// The newer signed checkpoint, verbatim.
    pub checkpoint: String,
}

impl ConsistencyProof {
    /// The text form.
    pub fn to_text(&self) -> String {
        let mut out = format!("old {}\n", self.old_size);
        for hash in &self.hashes {
            out.push_str(&B64.encode(hash.as_bytes()));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parses the text form (no verification).
    pub fn parse(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let text = input_text(bytes)?;
        let (line, rest) = text
            .split_once('\n')
            .ok_or(CheckpointError::MalformedProof("missing old line"))?;
        let old_size = line
            .strip_prefix("old ")
            .and_then(parse_decimal)
            .ok_or(CheckpointError::MalformedProof("malformed old line"))?;
        let (hashes, checkpoint) = parse_hashes(rest)?;
        Ok(Self {
            old_size,
            hashes,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Verifies the new checkpoint's signature and that `old` (a checkpoint trusted earlier, of
    /// the same origin) is a prefix of it. Returns the new checkpoint.
    pub fn verify(
        &self,
        verifier: &NoteVerifier,
        old: &Checkpoint,
    ) -> Result<SignedCheckpoint, CheckpointError> {
        let new = open_checkpoint(self.checkpoint.as_bytes(), verifier)?;
        if old.origin != new.checkpoint.origin {
            return Err(CheckpointError::OriginMismatch {
                expected: new.checkpoint.origin.clone(),
                found: old.origin.clone(),
            });
        }
        if old.size != self.old_size {
            return Err(CheckpointError::MalformedProof(
                "old size does not match the old checkpoint",
            ));
        }
        if old.size == 0 {
            // Every tree extends the empty tree.
            return if self.hashes.is_empty() {
                Ok(new)
            } else {
                Err(CheckpointError::MalformedProof(
                    "a proof from the empty tree must be empty",
                ))
            };
        }
        kubepci_tlog::verify_consistency(
            old.size,
            new.checkpoint.size,
            &self.hashes,
            &old.root,
            &new.checkpoint.root,
        )
        .map_err(CheckpointError::Proof)?;
        Ok(new)
    }
}
