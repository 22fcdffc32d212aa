//! Read-only access to a store: leaves, bodies, checkpoints and proofs. Needs no lock, so it
//! works on a copy of a store or beside a running server.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use kubepci_checkpoint::{
    ConsistencyProof, InclusionProof, NoteVerifier, SignedCheckpoint, open_checkpoint,
};
use kubepci_tlog::Hash;

use crate::error::StoreError;
use crate::leaf::{LEAF_SIZE, LeafRecord};
use crate::segment::{FRAME_HEADER, Frame, parse_header, segment_path};
use crate::store::{CheckpointRecord, FORMAT_LINE, FileHashes, read_checkpoint_log};

/// A segment whose bodies were removed by retention.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PrunedSegment {
    /// Segment number.
    pub segment: u64,
    /// First sequence number it held.
    pub first_seq: u64,
    /// One past the last sequence number it held.
    pub end_seq: u64,
    /// When it was pruned (RFC 3339).
    pub pruned_at: String,
}

/// Reads the `pruned` file (one `segment <n> seq <first> <end> pruned-at <time>` line each).
pub fn read_pruned(dir: &Path) -> Result<Vec<PrunedSegment>, StoreError> {
    let path = dir.join("pruned");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("read", path, e)),
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        if let ["segment", seg, "seq", first, end, "pruned-at", at] = parts.as_slice()
            && let (Ok(segment), Ok(first_seq), Ok(end_seq)) =
                (seg.parse(), first.parse(), end.parse())
        {
            out.push(PrunedSegment {
                segment,
                first_seq,
                end_seq,
                pruned_at: (*at).to_owned(),
            });
        }
    }
    Ok(out)
}

/// A read-only view of a store.
#[derive(Debug)]
pub struct StoreReader {
    dir: PathBuf,
    leaves: File,
    hashes: File,
    size: u64,
}

impl StoreReader {
    /// Opens a store directory for reading.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let format = std::fs::read_to_string(dir.join("FORMAT"))
            .map_err(|e| StoreError::io("read", dir.join("FORMAT"), e))?;
        if format != FORMAT_LINE {
            return Err(StoreError::UnknownFormat { path: dir.into() });
        }
        let leaves_path = dir.join("leaves");
        let leaves =
            File::open(&leaves_path).map_err(|e| StoreError::io("open", &leaves_path, e))?;
        let hashes_path = dir.join("hashes");
        let hashes =
            File::open(&hashes_path).map_err(|e| StoreError::io("open", &hashes_path, e))?;
        let size = leaves
            .metadata()
            .map_err(|e| StoreError::io("stat", &leaves_path, e))?
            .len()
            / LEAF_SIZE as u64;
        Ok(Self {
            dir: dir.into(),
            leaves,
            hashes,
            size,
        })
    }

    /// Entries in the `leaves` file.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The raw leaf record at `seq`.
    pub fn leaf_bytes(&self, seq: u64) -> Result<[u8; LEAF_SIZE], StoreError> {
        if seq >= self.size {
            return Err(StoreError::NotFound(format!(
                "entry {seq} does not exist (the store has {} entries)",
                self.size
            )));
        }
        let mut buf = [0u8; LEAF_SIZE];
        self.leaves
            .read_exact_at(&mut buf, seq * LEAF_SIZE as u64)
            .map_err(|e| StoreError::io("read", self.dir.join("leaves"), e))?;
        Ok(buf)
    }

    /// The decoded leaf record at `seq`.
    pub fn leaf(&self, seq: u64) -> Result<LeafRecord, StoreError> {
        LeafRecord::decode(&self.leaf_bytes(seq)?)
            .map_err(|e| StoreError::Damaged(format!("leaf {seq}: {e}")))
    }

    /// The event bytes a leaf points to, exactly as received.
    pub fn body(&self, leaf: &LeafRecord) -> Result<Vec<u8>, StoreError> {
        let path = segment_path(&self.dir, leaf.segment);
        let file = File::open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                StoreError::NotFound(format!(
                    "the body of entry {} was pruned or is missing",
                    leaf.seq
                ))
            } else {
                StoreError::io("open", &path, e)
            }
        })?;
        let mut header = [0u8; FRAME_HEADER];
        file.read_exact_at(&mut header, leaf.frame_offset)
            .map_err(|e| StoreError::io("read", &path, e))?;
        let parsed = parse_header(&header)
            .map_err(|e| StoreError::Damaged(format!("entry {}: {e}", leaf.seq)))?;
        let mut bytes = vec![0u8; parsed.frame_len()];
        file.read_exact_at(&mut bytes, leaf.frame_offset)
            .map_err(|e| StoreError::io("read", &path, e))?;
        let frame = Frame::from_bytes(&bytes)
            .map_err(|e| StoreError::Damaged(format!("entry {}: {e}", leaf.seq)))?;
        let block = frame
            .decompress()
            .map_err(|e| StoreError::Damaged(format!("entry {}: {e}", leaf.seq)))?;
        let start = leaf.body_offset as usize;
        block
            .get(start..start + leaf.body_len as usize)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| {
                StoreError::Damaged(format!("entry {} points outside its frame", leaf.seq))
            })
    }

    /// Every record of the `checkpoints` file (unverified).
    pub fn checkpoint_records(&self) -> Result<Vec<CheckpointRecord>, StoreError> {
        read_checkpoint_log(&self.dir).map(|(records, _)| records)
    }

    /// The latest checkpoint that verifies with `verifier`.
    pub fn latest_checkpoint(
        &self,
        verifier: &NoteVerifier,
    ) -> Result<SignedCheckpoint, StoreError> {
        self.checkpoint_records()?
            .iter()
            .rev()
            .find_map(|r| open_checkpoint(r.note.as_bytes(), verifier).ok())
            .ok_or_else(|| {
                StoreError::NotFound("the store has no checkpoint signed by this key".into())
            })
    }

    /// The stored checkpoint of exactly `size` entries that verifies with `verifier`.
    pub fn checkpoint_of_size(
        &self,
        size: u64,
        verifier: &NoteVerifier,
    ) -> Result<SignedCheckpoint, StoreError> {
        self.checkpoint_records()?
            .iter()
            .filter_map(|r| open_checkpoint(r.note.as_bytes(), verifier).ok())
            .find(|cp| cp.checkpoint.size == size)
            .ok_or_else(|| {
                StoreError::NotFound(format!("no checkpoint of size {size} in the store"))
            })
    }

    /// Root of the first `size` entries, from the stored hashes.
    pub fn root_at(&self, size: u64) -> Result<Hash, StoreError> {
        kubepci_tlog::tree_hash(size, &FileHashes { file: &self.hashes }).map_err(StoreError::Proof)
    }

    /// A c2sp.org/tlog-proof that entry `index` is in `checkpoint`; the leaf record goes in the
    /// `extra` line so that a verifier can recompute the leaf hash.
    pub fn prove_inclusion(
        &self,
        index: u64,
        checkpoint: &SignedCheckpoint,
    ) -> Result<InclusionProof, StoreError> {
        let size = checkpoint.checkpoint.size;
        if size > self.size {
            return Err(StoreError::Damaged(format!(
                "checkpoint covers {size} entries but the store has {}",
                self.size
            )));
        }
        let hashes = kubepci_tlog::prove_inclusion(index, size, &FileHashes { file: &self.hashes })
            .map_err(StoreError::Proof)?;
        Ok(InclusionProof {
            extra: Some(self.leaf_bytes(index)?.to_vec()),
            index,
            hashes,
            checkpoint: checkpoint.note.clone(),
        })
    }

    /// A tlog-witness style consistency proof from `old_size` entries to `new`.
    pub fn prove_consistency(
        &self,
        old_size: u64,
        new: &SignedCheckpoint,
    ) -> Result<ConsistencyProof, StoreError> {
        let new_size = new.checkpoint.size;
        if new_size > self.size {
            return Err(StoreError::Damaged(format!(
                "checkpoint covers {new_size} entries but the store has {}",
                self.size
            )));
        }
        let hashes = if old_size == 0 {
            Vec::new()
        } else {
            kubepci_tlog::prove_consistency(old_size, new_size, &FileHashes { file: &self.hashes })
                .map_err(StoreError::Proof)?
        };
        Ok(ConsistencyProof {
            old_size,
            hashes,
            checkpoint: new.note.clone(),
        })
    }
}
