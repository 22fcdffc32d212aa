//! Full verification of a store against its public key.
//!
//! Everything is recomputed from the bytes on disk: every event's SHA-256 from its body, every
//! leaf hash, every stored interior hash and every checkpoint root. Two independent copies of
//! each leaf record (the `leaves` file and the frame that carried the body) are compared
//! position by position, which tells an edited leaf from a deleted, inserted or reordered
//! record. Each kind of problem is reported once with the first bad position and a count.
//! Bodies removed by retention are reported as pruned ranges, not as problems.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use kubepci_checkpoint::{NoteVerifier, SignedCheckpoint, open_checkpoint};
use kubepci_tlog::{CompactRange, HASH_SIZE, Hash, leaf_hash, stored_hash_count};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::leaf::{LEAF_SIZE, LeafRecord};
use crate::reader::{PrunedSegment, read_pruned};
use crate::segment::{FrameError, SEGMENT_HEADER, list_segments, read_frame, segment_path};
use crate::store::{FORMAT_LINE, FileHashes, read_checkpoint_log};

/// The kinds of problem verification can find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// An event's bytes do not match the SHA-256 its leaf commits to.
    EditedBody,
    /// A leaf record differs from its copy in the segment, or its checksum fails.
    EditedLeaf,
    /// A record is missing: the following records moved up.
    DeletedRecord,
    /// A record appears that the segments do not hold.
    InsertedRecord,
    /// Two records swapped places.
    ReorderedRecords,
    /// A frame's checksum or structure is damaged.
    DamagedFrame,
    /// A body is missing without a retention record.
    MissingBody,
    /// A stored tree hash differs from the one recomputed from the leaves.
    HashMismatch,
    /// The store holds fewer entries than a checkpoint covers.
    TruncatedTail,
    /// A checkpoint's signature does not verify with the key.
    ForgedCheckpoint,
    /// A checkpoint is older (smaller) than one signed before it.
    RolledBackCheckpoint,
    /// A checkpoint's root differs from the root recomputed at its size.
    InconsistentCheckpoint,
}

/// One kind of problem: where it first occurs and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// First bad position (entry index), when the problem has one.
    pub position: Option<u64>,
    /// How many times it occurs.
    pub count: u64,
    /// Human-readable detail of the first occurrence.
    pub detail: String,
}

/// The verification report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// Entries in the store.
    pub entries: u64,
    /// Checkpoints in the store that verify.
    pub checkpoints_verified: usize,
    /// Size of the latest verified checkpoint.
    pub latest_checkpoint_size: Option<u64>,
    /// Entries after the latest checkpoint (not yet signed, still checked).
    pub unsigned_entries: u64,
    /// Event bytes whose SHA-256 was recomputed.
    pub body_bytes_verified: u64,
    /// Bodies removed by retention.
    pub pruned: Vec<PrunedSegment>,
    /// Entries whose bodies were pruned.
    pub pruned_entries: u64,
    /// The checkpoint kept elsewhere: `consistent` when given and matching.
    pub external_checkpoint: Option<String>,
    /// Problems found, one per kind, in order of kind.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// True when no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problem of a kind, if found.
    pub fn problem(&self, kind: ProblemKind) -> Option<&Problem> {
        self.problems.iter().find(|p| p.kind == kind)
    }
}

#[derive(Default)]
struct Problems(BTreeMap<ProblemKind, Problem>);

impl Problems {
    fn add(&mut self, kind: ProblemKind, position: Option<u64>, detail: impl FnOnce() -> String) {
        self.0
            .entry(kind)
            .and_modify(|p| p.count += 1)
            .or_insert_with(|| Problem {
                kind,
                position,
                count: 1,
                detail: detail(),
            });
    }
}

/// A leaf as found in a frame, with its body's status.
struct FrameLeaf {
    leaf: [u8; LEAF_SIZE],
    hash: Hash,
    body_ok: bool,
}

/// Frames decoded in parallel, in sequence order.
struct FrameStream {
    segments: VecDeque<u64>,
    dir: std::path::PathBuf,
    reader: Option<(u64, BufReader<File>)>,
    pending: BTreeMap<u64, FrameLeaf>,
    done: bool,
    body_bytes: u64,
    pruned: HashMap<u64, ()>,
}

/// One frame's leaves, decoded body bytes and whether its block decompressed.
type DecodedFrame = (Vec<(u64, FrameLeaf)>, u64, bool);

struct RawFrame {
    frame: crate::segment::Frame,
}

impl FrameStream {
    fn next_raw(&mut self, problems: &mut Problems) -> Option<RawFrame> {
        loop {
            if self.reader.is_none() {
                let seg = self.segments.pop_front()?;
                if self.pruned.contains_key(&seg) {
                    continue;
                }
                let path = segment_path(&self.dir, seg);
                let Ok(file) = File::open(&path) else {
                    continue;
                };
                let mut reader = BufReader::with_capacity(4 << 20, file);
                let mut header = [0u8; SEGMENT_HEADER as usize];
                if reader.read_exact(&mut header).is_err() {
                    continue;
                }
                self.reader = Some((seg, reader));
            }
            let (seg, reader) = self.reader.as_mut()?;
            match read_frame(reader) {
                Ok(Some(frame)) => return Some(RawFrame { frame }),
                Ok(None) => self.reader = None,
                Err(FrameError::Checksum) => {
                    // The header was sound: the reader is past the frame, so go on.
                    let seg = *seg;
                    problems.add(ProblemKind::DamagedFrame, None, || {
                        format!(
                            "a frame in segment {seg} fails its checksum (edited or damaged bytes)"
                        )
                    });
                }
                Err(err) => {
                    let seg = *seg;
                    problems.add(ProblemKind::DamagedFrame, None, || {
                        format!("segment {seg} ends in a damaged frame: {err}")
                    });
                    self.reader = None;
                }
            }
        }
    }

    /// Decodes the next chunk of frames (in parallel) into `pending`.
    fn fill(&mut self, problems: &mut Problems) {
        let mut chunk = Vec::new();
        let mut bytes = 0usize;
        while bytes < 32 << 20 && chunk.len() < 256 {
            let Some(raw) = self.next_raw(problems) else {
                self.done = true;
                break;
            };
            bytes += raw.frame.compressed.len() + raw.frame.leaves.len() * LEAF_SIZE;
            chunk.push(raw);
        }
        let decoded: Vec<DecodedFrame> = chunk
            .par_iter()
            .map(|raw| {
                let block = raw.frame.decompress().ok();
                let mut out = Vec::with_capacity(raw.frame.leaves.len());
                let mut body_bytes = 0u64;
                for (i, leaf) in raw.frame.leaves.iter().enumerate() {
                    let seq = raw.frame.header.first_seq + i as u64;
                    let body_ok = match (&block, LeafRecord::decode(leaf)) {
                        (Some(block), Ok(record)) => {
                            let start = record.body_offset as usize;
                            match block.get(start..start + record.body_len as usize) {
                                Some(body) => {
                                    body_bytes += body.len() as u64;
                                    <[u8; 32]>::from(Sha256::digest(body)) == record.event_sha256
                                }
                                None => false,
                            }
                        }
                        _ => false,
                    };
                    out.push((
                        seq,
                        FrameLeaf {
                            leaf: *leaf,
                            hash: leaf_hash(leaf),
                            body_ok,
                        },
                    ));
                }
                (out, body_bytes, block.is_some())
            })
            .collect();
        for (leaves, body_bytes, decompressed) in decoded {
            self.body_bytes += body_bytes;
            if !decompressed && let Some((seq, _)) = leaves.first() {
                let seq = *seq;
                problems.add(ProblemKind::DamagedFrame, Some(seq), || {
                    format!("the frame holding entry {seq} does not decompress")
                });
            }
            for (seq, leaf) in leaves {
                self.pending.insert(seq, leaf);
            }
        }
    }

    /// The frame copy of entry `seq`, decoding ahead as needed.
    fn get(&mut self, seq: u64, problems: &mut Problems) -> Option<&FrameLeaf> {
        while !self.done && self.pending.last_key_value().is_none_or(|(&k, _)| k < seq) {
            self.fill(problems);
        }
        self.pending.get(&seq)
    }

    fn forget_before(&mut self, seq: u64) {
        while self
            .pending
            .first_key_value()
            .is_some_and(|(&k, _)| k < seq)
        {
            self.pending.pop_first();
        }
    }
}

/// Verifies the store in `dir` with the log's public key, and optionally against a checkpoint
/// kept elsewhere (a witness's copy, an earlier `checkpoint` file saved by an auditor).
pub fn verify_store(
    dir: &Path,
    verifier: &NoteVerifier,
    external: Option<&[u8]>,
) -> Result<VerifyReport, StoreError> {
    let format = std::fs::read_to_string(dir.join("FORMAT"))
        .map_err(|e| StoreError::io("read", dir.join("FORMAT"), e))?;
    if format != FORMAT_LINE {
        return Err(StoreError::UnknownFormat { path: dir.into() });
    }
    let mut problems = Problems::default();
    let mut report = VerifyReport::default();

    // 1. Checkpoints: signatures and monotonic sizes.
    let (records, _) = read_checkpoint_log(dir)?;
    let mut verified: Vec<SignedCheckpoint> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        match open_checkpoint(record.note.as_bytes(), verifier) {
            Ok(cp) => {
                if let Some(prev) = verified.last()
                    && cp.checkpoint.size < prev.checkpoint.size
                {
                    let (old, new) = (prev.checkpoint.size, cp.checkpoint.size);
                    problems.add(ProblemKind::RolledBackCheckpoint, Some(new), || {
                        format!("checkpoint #{i} goes back from {old} to {new} entries")
                    });
                    continue;
                }
                verified.push(cp);
            }
            Err(err) => problems.add(ProblemKind::ForgedCheckpoint, None, || {
                format!("checkpoint #{i} in the checkpoints file does not verify: {err}")
            }),
        }
    }
    let max_signed = verified.last().map(|c| c.checkpoint.size);
    match std::fs::read(dir.join("checkpoint")) {
        Ok(bytes) => match open_checkpoint(&bytes, verifier) {
            Ok(cp) => {
                let size = cp.checkpoint.size;
                if max_signed.is_some_and(|m| size < m) {
                    problems.add(ProblemKind::RolledBackCheckpoint, Some(size), || {
                        format!(
                            "the checkpoint file says {size} entries but a later checkpoint says {}",
                            max_signed.unwrap_or_default()
                        )
                    });
                }
                verified.push(cp);
            }
            Err(err) => problems.add(ProblemKind::ForgedCheckpoint, None, || {
                format!("the checkpoint file does not verify: {err}")
            }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::io("read", dir.join("checkpoint"), e)),
    }
    let external_cp = match external {
        Some(bytes) => match open_checkpoint(bytes, verifier) {
            Ok(cp) => Some(cp),
            Err(err) => {
                problems.add(ProblemKind::ForgedCheckpoint, None, || {
                    format!("the external checkpoint does not verify: {err}")
                });
                None
            }
        },
        None => None,
    };
    report.checkpoints_verified = verified.len();
    report.latest_checkpoint_size = verified.iter().map(|c| c.checkpoint.size).max();

    // Roots wanted at checkpoint sizes.
    let mut wanted: BTreeMap<u64, Vec<(String, Hash)>> = BTreeMap::new();
    for (i, cp) in verified.iter().enumerate() {
        wanted
            .entry(cp.checkpoint.size)
            .or_default()
            .push((format!("checkpoint #{i}"), cp.checkpoint.root));
    }
    if let Some(cp) = &external_cp {
        wanted
            .entry(cp.checkpoint.size)
            .or_default()
            .push(("the external checkpoint".into(), cp.checkpoint.root));
    }
    let mut roots: HashMap<u64, Hash> = HashMap::new();

    // 2. Pruned ranges.
    let pruned = read_pruned(dir)?;
    let pruned_seq = |seq: u64| pruned.iter().any(|p| p.first_seq <= seq && seq < p.end_seq);

    // 3. One pass over leaves, stored hashes and frames.
    let leaves_path = dir.join("leaves");
    let leaves_file =
        File::open(&leaves_path).map_err(|e| StoreError::io("open", &leaves_path, e))?;
    let entries = leaves_file
        .metadata()
        .map_err(|e| StoreError::io("stat", &leaves_path, e))?
        .len()
        / LEAF_SIZE as u64;
    report.entries = entries;
    let hashes_path = dir.join("hashes");
    let hashes_file =
        File::open(&hashes_path).map_err(|e| StoreError::io("open", &hashes_path, e))?;
    let stored_hashes = hashes_file
        .metadata()
        .map_err(|e| StoreError::io("stat", &hashes_path, e))?
        .len()
        / HASH_SIZE as u64;
    let mut leaves = BufReader::with_capacity(4 << 20, leaves_file);
    let mut hashes = BufReader::with_capacity(
        4 << 20,
        File::open(&hashes_path).map_err(|e| StoreError::io("open", &hashes_path, e))?,
    );
    let mut frames = FrameStream {
        segments: list_segments(dir)
            .map_err(|e| StoreError::io("list", dir, e))?
            .into(),
        dir: dir.into(),
        reader: None,
        pending: BTreeMap::new(),
        done: false,
        body_bytes: 0,
        pruned: pruned.iter().map(|p| (p.segment, ())).collect(),
    };
    if let Some(list) = wanted.get(&0) {
        for (label, root) in list {
            if *root != kubepci_tlog::empty_root() {
                problems.add(ProblemKind::InconsistentCheckpoint, Some(0), || {
                    format!("{label} (0 entries) does not have the empty tree's root")
                });
            }
        }
    }

    let mut compact = CompactRange::new();
    let mut new_hashes = Vec::with_capacity(64);
    let mut structural_ok = true;
    let mut next = [0u8; LEAF_SIZE];
    let mut have_next = entries > 0 && leaves.read_exact(&mut next).is_ok();
    let mut stored = [0u8; HASH_SIZE];
    let mut hashes_ok = true;
    for p in 0..entries {
        if !have_next {
            break;
        }
        let current = next;
        have_next = p + 1 < entries && leaves.read_exact(&mut next).is_ok();
        // The leaf record itself.
        let record = match LeafRecord::decode(&current) {
            Ok(record) => Some(record),
            Err(err) => {
                problems.add(ProblemKind::EditedLeaf, Some(p), || {
                    format!("the leaf record at position {p} is invalid: {err}")
                });
                None
            }
        };
        // Compare with the frame copy.
        let mut had_frame = false;
        let frame_hash = {
            let l_next = have_next.then_some(next);
            let f_next = frames.get(p + 1, &mut problems).map(|f| f.leaf);
            match frames.get(p, &mut problems) {
                None => {
                    if !pruned_seq(p) {
                        problems.add(ProblemKind::MissingBody, Some(p), || {
                            format!("the body of entry {p} is missing and no retention record explains it")
                        });
                    } else {
                        report.pruned_entries += 1;
                    }
                    None
                }
                Some(f) => {
                    had_frame = true;
                    if !f.body_ok {
                        problems.add(ProblemKind::EditedBody, Some(p), || {
                            format!(
                                "the event bytes of entry {p} do not match the SHA-256 in its leaf"
                            )
                        });
                    }
                    if f.leaf == current {
                        Some(f.hash)
                    } else {
                        if structural_ok {
                            let f_leaf = f.leaf;
                            let (kind, detail) = if l_next == Some(f_leaf)
                                && f_next == Some(current)
                            {
                                (
                                    ProblemKind::ReorderedRecords,
                                    format!("records {p} and {} are swapped", p + 1),
                                )
                            } else if f_next == Some(current) {
                                (
                                    ProblemKind::DeletedRecord,
                                    format!("record {p} was removed from the leaves"),
                                )
                            } else if l_next == Some(f_leaf) {
                                (
                                    ProblemKind::InsertedRecord,
                                    format!("a record was inserted at position {p}"),
                                )
                            } else {
                                (
                                    ProblemKind::EditedLeaf,
                                    format!(
                                        "the leaf record at position {p} differs from the copy written with its body"
                                    ),
                                )
                            };
                            if kind != ProblemKind::EditedLeaf {
                                structural_ok = false;
                            }
                            problems.add(kind, Some(p), || detail);
                        }
                        None
                    }
                }
            }
        };
        // Without a frame copy to compare with, the sequence number still tells.
        if !had_frame
            && structural_ok
            && let Some(record) = &record
            && record.seq != p
        {
            let seq = record.seq;
            let kind = if seq > p {
                ProblemKind::DeletedRecord
            } else {
                ProblemKind::InsertedRecord
            };
            problems.add(kind, Some(p), || {
                format!("position {p} holds the record with sequence number {seq}")
            });
            structural_ok = false;
        }
        frames.forget_before(p.saturating_sub(1));
        // The tree.
        let hash = frame_hash.unwrap_or_else(|| leaf_hash(&current));
        new_hashes.clear();
        compact.append_into(hash, &mut new_hashes);
        if hashes_ok {
            for h in &new_hashes {
                if hashes.read_exact(&mut stored).is_err() {
                    hashes_ok = false;
                    problems.add(ProblemKind::HashMismatch, Some(p), || {
                        format!("the stored hashes end before entry {p}")
                    });
                    break;
                }
                if Hash(stored) != *h {
                    problems.add(ProblemKind::HashMismatch, Some(p), || {
                        format!(
                            "the stored tree hashes of entry {p} differ from the recomputed ones"
                        )
                    });
                }
            }
        }
        let size = p + 1;
        if let Some(list) = wanted.get(&size) {
            let root = compact.root();
            roots.insert(size, root);
            for (label, want) in list {
                if *want != root {
                    problems.add(ProblemKind::InconsistentCheckpoint, Some(size), || {
                        format!("{label} ({size} entries) does not match the root recomputed from the entries: entries before {size} were altered")
                    });
                }
            }
        }
    }
    if frames.get(entries, &mut problems).is_some() {
        problems.add(ProblemKind::TruncatedTail, Some(entries), || {
            format!("segments hold entries from {entries} on that the leaves file lacks")
        });
    }
    report.body_bytes_verified = frames.body_bytes;
    if stored_hashes > stored_hash_count(entries) && hashes_ok {
        problems.add(ProblemKind::HashMismatch, Some(entries), || {
            "the hashes file holds hashes beyond the last entry".to_owned()
        });
    }
    for (&size, list) in wanted.range(entries + 1..) {
        for (label, _) in list {
            problems.add(ProblemKind::TruncatedTail, Some(entries), || {
                format!("{label} covers {size} entries but the store has only {entries}: the tail was cut")
            });
        }
    }

    // 4. Consecutive checkpoints are consistent (proofs from the stored hashes).
    let mut sizes: Vec<&SignedCheckpoint> = verified
        .iter()
        .filter(|c| c.checkpoint.size <= entries)
        .collect();
    sizes.sort_by_key(|c| c.checkpoint.size);
    let reader = FileHashes { file: &hashes_file };
    for pair in sizes.windows(2) {
        let (old, new) = (&pair[0].checkpoint, &pair[1].checkpoint);
        if old.size == 0 || old.size == new.size {
            continue;
        }
        let ok = kubepci_tlog::prove_consistency(old.size, new.size, &reader)
            .ok()
            .is_some_and(|proof| {
                kubepci_tlog::verify_consistency(old.size, new.size, &proof, &old.root, &new.root)
                    .is_ok()
            });
        if !ok {
            let (a, b) = (old.size, new.size);
            problems.add(ProblemKind::InconsistentCheckpoint, Some(a), || {
                format!("no valid consistency proof from checkpoint of {a} entries to {b} entries")
            });
        }
    }

    // 5. The external checkpoint.
    if let Some(ext) = &external_cp {
        let size = ext.checkpoint.size;
        let latest = report.latest_checkpoint_size.unwrap_or(0);
        if size > latest {
            problems.add(ProblemKind::RolledBackCheckpoint, Some(latest), || {
                format!("the external checkpoint covers {size} entries but the store's latest checkpoint covers {latest}: the store was rolled back")
            });
            report.external_checkpoint = Some("ahead of the store".into());
        } else if roots.get(&size).is_some_and(|r| *r == ext.checkpoint.root) || (size == 0) {
            report.external_checkpoint = Some("consistent".into());
        } else {
            report.external_checkpoint = Some("inconsistent".into());
        }
    }

    report.unsigned_entries = entries.saturating_sub(report.latest_checkpoint_size.unwrap_or(0));
    report.pruned = pruned;
    report.problems = problems.0.into_values().collect();
    Ok(report)
}
