//! The writable store: recovery on open, group-committed appends, signed checkpoints.
//!
//! # Durability contract
//!
//! [`Store::append_group`] returns `Ok` only after the group's frame (bodies *and* leaf records)
//! is written to the active segment and `fdatasync`ed. The `leaves` and `hashes` files are
//! derived from the frames and are synced before each checkpoint is signed; after a crash,
//! [`Store::open`] cuts a torn tail frame back to the last complete one, re-derives any leaf
//! records and stored hashes written after the last checkpoint from the frames, and reloads the
//! dedupe window. A failed write (full disk, I/O error) is undone by truncating every file back
//! to its length before the group, so the store stays consistent and the caller can answer 503.

use std::collections::{HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use kubepci_checkpoint::{Checkpoint, NoteSigner, SignedCheckpoint, parse_note, sign_checkpoint};
use kubepci_tlog::{
    CompactRange, HASH_SIZE, Hash, leaf_hash, stored_hash_count, stored_hash_index,
};

use crate::error::StoreError;
use crate::event::DecodedEvent;
use crate::leaf::{DedupeKey, IdField, LEAF_SIZE, LeafRecord, dedupe_key};
use crate::segment::{
    FRAME_HEADER, Frame, FrameError, IndexEntry, SEGMENT_HEADER, encode_frame,
    encode_frame_precompressed, index_path, list_segments, parse_header, segment_header,
    segment_path,
};

/// Content of the `FORMAT` file.
pub const FORMAT_LINE: &str = "kubepci-auditlog 1\n";

/// Store settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// The data directory.
    pub dir: PathBuf,
    /// A new segment starts once the active one reaches this size.
    pub segment_bytes: u64,
    /// zstd level for event bodies (1 is fast and already compresses audit events well).
    pub compression_level: i32,
    /// Events received within this window are deduplicated exactly on
    /// `(source, auditID, stage)`; the apiserver retries a batch for at most a few minutes.
    pub dedupe_window: Duration,
    /// Upper bound on remembered dedupe keys (bounded memory: 16 bytes plus overhead each).
    pub dedupe_max_keys: usize,
    /// Simulated disk failures, for tests.
    pub fault: Option<Arc<DiskFault>>,
}

impl StoreConfig {
    /// Defaults for a data directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            segment_bytes: 64 * 1024 * 1024,
            compression_level: 1,
            dedupe_window: Duration::from_secs(3600),
            dedupe_max_keys: 4_000_000,
            fault: None,
        }
    }
}

/// A simulated full disk for tests: once the budget of written bytes is spent, writes fail with
/// `ENOSPC` (after writing what still fits, like a real partial write).
#[derive(Debug)]
pub struct DiskFault {
    budget: AtomicI64,
}

impl DiskFault {
    /// Writes fail after `bytes` more bytes.
    pub fn after(bytes: i64) -> Arc<Self> {
        Arc::new(Self {
            budget: AtomicI64::new(bytes),
        })
    }

    /// Gives the disk more room (the operator freed space).
    pub fn set_budget(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }

    /// How many of `len` bytes may be written.
    fn take(&self, len: usize) -> usize {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        let before = self.budget.fetch_sub(len, Ordering::SeqCst);
        before.clamp(0, len) as usize
    }
}

/// A batch from one client, as decoded by [`crate::decode_audit_events`] or
/// [`crate::decode_falco_alerts`].
#[derive(Debug, Clone)]
pub struct IncomingBatch {
    /// The authenticated client (certificate identity, `falco`, `file:<path>`, …).
    pub source: String,
    /// The request body.
    pub body: Arc<Vec<u8>>,
    /// Its events.
    pub events: Vec<DecodedEvent>,
    /// The events' bodies already concatenated and compressed (see
    /// [`IncomingBatch::precompress`]), so that the writer thread does not have to.
    pub block: Option<Arc<CompressedBlock>>,
}

/// A batch's event bodies back to back, zstd-compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedBlock {
    /// The zstd frame.
    pub compressed: Vec<u8>,
    /// Length of the bodies back to back.
    pub uncompressed_len: u32,
}

impl IncomingBatch {
    /// A batch without a precompressed block.
    pub fn new(source: String, body: Arc<Vec<u8>>, events: Vec<DecodedEvent>) -> Self {
        Self {
            source,
            body,
            events,
            block: None,
        }
    }

    /// Adds records after the batch's events: each of `records` (a JSON object, such as an
    /// alert raised by detection on this batch) becomes its own entry of kind
    /// [`crate::EventKind::FalcoAlert`], committed in the same frame as the events. The body is
    /// copied once with the records appended; the events' bytes are unchanged.
    pub fn add_alert_records(&mut self, records: &[Vec<u8>]) -> Result<(), crate::DecodeError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut body = Vec::with_capacity(
            self.body.len() + records.iter().map(|r| r.len() + 1).sum::<usize>(),
        );
        body.extend_from_slice(&self.body);
        for record in records {
            body.push(b'\n');
            let start = body.len();
            body.extend_from_slice(record);
            for mut alert in crate::event::decode_falco_alerts(record)? {
                alert.range = alert.range.start + start..alert.range.end + start;
                self.events.push(alert);
            }
        }
        self.body = Arc::new(body);
        self.block = None;
        Ok(())
    }

    /// Concatenates and compresses the bodies now, on the caller's thread: request handlers run
    /// in parallel, the writer thread does not. Used when no event of the batch turns out to be
    /// a duplicate (the usual case); otherwise the writer compresses the new events itself.
    pub fn precompress(&mut self, level: i32) -> std::io::Result<()> {
        let mut block = Vec::with_capacity(self.events.iter().map(|e| e.range.len()).sum());
        for event in &self.events {
            let Some(body) = self.body.get(event.range.clone()) else {
                return Err(std::io::Error::other("event range outside its body"));
            };
            block.extend_from_slice(body);
        }
        let uncompressed_len = u32::try_from(block.len())
            .map_err(|_| std::io::Error::other("batch larger than 4 GiB"))?;
        self.block = Some(Arc::new(CompressedBlock {
            compressed: zstd::bulk::compress(&block, level)?,
            uncompressed_len,
        }));
        Ok(())
    }
}

/// What happened to a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Events appended.
    pub accepted: u32,
    /// Events already in the store (or twice in the group), not appended again.
    pub duplicates: u32,
    /// Tree size after the group commit.
    pub tree_size: u64,
}

/// A checkpoint as kept in the `checkpoints` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRecord {
    /// When it was signed (Unix ns; informational, not signed).
    pub signed_at_ns: i64,
    /// The signed note, verbatim.
    pub note: String,
}

/// Identity hasher for dedupe keys, which are already uniformly random SHA-256 prefixes.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }
}

#[derive(Default)]
struct Dedupe {
    set: HashSet<DedupeKey, BuildHasherDefault<KeyHasher>>,
    order: VecDeque<(i64, DedupeKey)>,
    window_ns: i64,
    max: usize,
}

impl Dedupe {
    fn contains(&self, key: &DedupeKey) -> bool {
        self.set.contains(key)
    }

    fn insert(&mut self, key: DedupeKey, at: i64) {
        if self.set.insert(key) {
            self.order.push_back((at, key));
        }
        while self.order.len() > self.max {
            self.pop();
        }
    }

    fn evict(&mut self, now: i64) {
        while let Some(&(t, _)) = self.order.front() {
            if t >= now.saturating_sub(self.window_ns) {
                break;
            }
            self.pop();
        }
    }

    fn pop(&mut self) {
        if let Some((_, key)) = self.order.pop_front() {
            self.set.remove(&key);
        }
    }
}

/// Current time in Unix nanoseconds.
pub fn now_ns() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_nanos()).unwrap_or(i64::MAX)
}

fn open_rw(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| StoreError::io("open", path, e))
}

fn sync_dir(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("fsync directory", path, e))
}

fn file_len(file: &File, path: &Path) -> Result<u64, StoreError> {
    file.metadata()
        .map(|m| m.len())
        .map_err(|e| StoreError::io("stat", path, e))
}

/// Reads the `checkpoints` file: returns the complete records and the byte length they span (a
/// torn tail record after it is ignored).
pub fn read_checkpoint_log(dir: &Path) -> Result<(Vec<CheckpointRecord>, u64), StoreError> {
    let path = dir.join("checkpoints");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(StoreError::io("read", path, e)),
    };
    let mut records = Vec::new();
    let mut at = 0usize;
    while at + 16 <= bytes.len() {
        let mut len = [0u8; 4];
        len.copy_from_slice(&bytes[at..at + 4]);
        let len = u32::from_be_bytes(len) as usize;
        let end = at + 12 + len + 4;
        if len > kubepci_checkpoint::MAX_NOTE_BYTES || end > bytes.len() {
            break;
        }
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&bytes[end - 4..end]);
        if crc32c::crc32c(&bytes[at..end - 4]) != u32::from_be_bytes(crc) {
            break;
        }
        let mut signed_at = [0u8; 8];
        signed_at.copy_from_slice(&bytes[at + 4..at + 12]);
        records.push(CheckpointRecord {
            signed_at_ns: i64::from_be_bytes(signed_at),
            note: String::from_utf8_lossy(&bytes[at + 12..end - 4]).into_owned(),
        });
        at = end;
    }
    Ok((records, at as u64))
}

/// Encodes one `checkpoints` record: u32 length, i64 signing time, the note, CRC-32C.
pub fn encode_checkpoint_record(record: &CheckpointRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(record.note.len() + 16);
    out.extend_from_slice(&(record.note.len() as u32).to_be_bytes());
    out.extend_from_slice(&record.signed_at_ns.to_be_bytes());
    out.extend_from_slice(record.note.as_bytes());
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// The tree size and origin a (trusted, locally written) checkpoint note states.
pub(crate) fn note_size_and_origin(note: &str) -> Option<(u64, String)> {
    let parsed = parse_note(note.as_bytes()).ok()?;
    let cp = Checkpoint::parse_body(&parsed.text).ok()?;
    Some((cp.size, cp.origin))
}

/// Loads the frontier of the tree of `size` leaves from the stored hashes.
pub(crate) fn load_frontier(
    reader: &(impl kubepci_tlog::HashReader + ?Sized),
    size: u64,
) -> Result<CompactRange, StoreError> {
    let mut indexes = Vec::new();
    let mut offset = 0u64;
    for level in (0..64u32).rev() {
        if size & (1u64 << level) != 0 {
            indexes.push(stored_hash_index(level, offset >> level));
            offset += 1u64 << level;
        }
    }
    let frontier = reader
        .read_hashes(&indexes)
        .map_err(|e| StoreError::Proof(kubepci_tlog::ProofError::Read(e)))?;
    CompactRange::from_parts(size, frontier)
        .ok_or_else(|| StoreError::Damaged("stored hashes do not cover the tree".into()))
}

/// Reads stored hashes from a `hashes` file.
pub(crate) struct FileHashes<'a> {
    pub(crate) file: &'a File,
}

impl kubepci_tlog::HashReader for FileHashes<'_> {
    fn read_hashes(
        &self,
        indexes: &[u64],
    ) -> Result<Vec<Hash>, Box<dyn std::error::Error + Send + Sync>> {
        let mut out = Vec::with_capacity(indexes.len());
        for &i in indexes {
            let mut buf = [0u8; HASH_SIZE];
            self.file.read_exact_at(&mut buf, i * HASH_SIZE as u64)?;
            out.push(Hash(buf));
        }
        Ok(out)
    }
}

/// The writable store. One process at a time (an exclusive lock on `LOCK`).
pub struct Store {
    cfg: StoreConfig,
    _lock: File,
    leaves: File,
    hashes: File,
    segment: File,
    index: File,
    checkpoints: File,
    segment_num: u64,
    segment_len: u64,
    index_len: u64,
    size: u64,
    compact: CompactRange,
    dedupe: Dedupe,
    checkpoint_size: Option<u64>,
    checkpoints_len: u64,
    origin: Option<String>,
    poisoned: bool,
    last_fsync: Duration,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.cfg.dir)
            .field("size", &self.size)
            .field("segment", &self.segment_num)
            .finish_non_exhaustive()
    }
}

/// What recovery did on open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Bytes of a torn tail frame cut from the active segment.
    pub torn_bytes_cut: u64,
    /// Leaf records re-derived from segment frames.
    pub leaves_restored: u64,
    /// Leaf records cut from the `leaves` file (not backed by a complete frame).
    pub leaves_cut: u64,
}

impl Store {
    /// Opens (creating if needed) and recovers the store.
    pub fn open(cfg: StoreConfig) -> Result<(Store, Recovery), StoreError> {
        let dir = cfg.dir.clone();
        std::fs::create_dir_all(dir.join("segments"))
            .map_err(|e| StoreError::io("create", &dir, e))?;
        let lock = open_rw(&dir.join("LOCK"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(StoreError::Locked { path: dir }),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(StoreError::io("lock", dir.join("LOCK"), e));
            }
        }
        let format_path = dir.join("FORMAT");
        match std::fs::read_to_string(&format_path) {
            Ok(text) if text == FORMAT_LINE => {}
            Ok(_) => return Err(StoreError::UnknownFormat { path: dir }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut f = File::create(&format_path)
                    .map_err(|e| StoreError::io("create", &format_path, e))?;
                f.write_all(FORMAT_LINE.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| StoreError::io("write", &format_path, e))?;
                sync_dir(&dir)?;
            }
            Err(e) => return Err(StoreError::io("read", format_path, e)),
        }

        let mut recovery = Recovery::default();
        // Checkpoints: cut a torn record.
        let (records, cp_len) = read_checkpoint_log(&dir)?;
        let checkpoints = open_rw(&dir.join("checkpoints"))?;
        if file_len(&checkpoints, &dir.join("checkpoints"))? != cp_len {
            checkpoints
                .set_len(cp_len)
                .map_err(|e| StoreError::io("truncate", dir.join("checkpoints"), e))?;
        }
        let last = records.last().and_then(|r| note_size_and_origin(&r.note));
        let checkpoint_size = last.as_ref().map(|(s, _)| *s);
        let origin = last.map(|(_, o)| o);
        let cp_size = checkpoint_size.unwrap_or(0);

        // Leaves: the valid prefix.
        let leaves_path = dir.join("leaves");
        let leaves = open_rw(&leaves_path)?;
        let in_file = file_len(&leaves, &leaves_path)? / LEAF_SIZE as u64;
        let mut valid = in_file.min(cp_size);
        let mut buf = [0u8; LEAF_SIZE];
        while valid < in_file {
            leaves
                .read_exact_at(&mut buf, valid * LEAF_SIZE as u64)
                .map_err(|e| StoreError::io("read", &leaves_path, e))?;
            match LeafRecord::decode(&buf) {
                Ok(leaf) if leaf.seq == valid => valid += 1,
                _ => break,
            }
        }

        // Segments: re-derive leaves after `valid` from the frames, cut a torn tail.
        let mut segments = list_segments(&dir).map_err(|e| StoreError::io("list", &dir, e))?;
        let start = if valid > 0 {
            leaves
                .read_exact_at(&mut buf, (valid - 1) * LEAF_SIZE as u64)
                .map_err(|e| StoreError::io("read", &leaves_path, e))?;
            let leaf = LeafRecord::decode(&buf)
                .map_err(|_| StoreError::Damaged(format!("leaf {} is unreadable", valid - 1)))?;
            Some((leaf.segment, leaf.frame_offset))
        } else {
            segments.first().map(|&s| (s, SEGMENT_HEADER))
        };
        let mut count = valid;
        if let Some((first_seg, first_offset)) = start {
            let mut offset = first_offset;
            for &seg in segments.clone().iter().filter(|&&s| s >= first_seg) {
                let path = segment_path(&dir, seg);
                let bytes = std::fs::read(&path).map_err(|e| StoreError::io("read", &path, e))?;
                let mut at = if seg == first_seg {
                    offset as usize
                } else {
                    SEGMENT_HEADER as usize
                };
                if bytes.len() < SEGMENT_HEADER as usize {
                    // A segment created but never written: rewrite its header below.
                    at = bytes.len();
                }
                while at < bytes.len() {
                    match Frame::from_bytes(&bytes[at..]) {
                        Ok(frame) => {
                            for raw in &frame.leaves {
                                let leaf = LeafRecord::decode(raw).map_err(|_| {
                                    StoreError::Damaged(format!(
                                        "frame leaf in segment {seg} is invalid"
                                    ))
                                })?;
                                if leaf.seq < count {
                                    continue;
                                }
                                if leaf.seq != count {
                                    return Err(StoreError::Damaged(format!(
                                        "segment {seg} jumps from sequence {count} to {}",
                                        leaf.seq
                                    )));
                                }
                                leaves
                                    .write_all_at(raw, count * LEAF_SIZE as u64)
                                    .map_err(|e| StoreError::io("write", &leaves_path, e))?;
                                if count >= in_file {
                                    recovery.leaves_restored += 1;
                                }
                                count += 1;
                            }
                            at += frame.header.frame_len();
                        }
                        Err(err) => {
                            // Only the tail of the last segment may be torn.
                            let is_last = Some(&seg) == segments.last();
                            let reaches_end = match parse_header(&bytes[at..]) {
                                Ok(h) => at + h.frame_len() >= bytes.len(),
                                Err(_) => true,
                            };
                            if !is_last || !(reaches_end || err == FrameError::Truncated) {
                                return Err(StoreError::Damaged(format!(
                                    "segment {seg} has a damaged frame at offset {at}"
                                )));
                            }
                            recovery.torn_bytes_cut += (bytes.len() - at) as u64;
                            tracing::warn!(
                                segment = seg,
                                offset = at,
                                bytes = bytes.len() - at,
                                "cutting torn tail frame"
                            );
                            let f = open_rw(&path)?;
                            f.set_len(at as u64)
                                .and_then(|()| f.sync_all())
                                .map_err(|e| StoreError::io("truncate", &path, e))?;
                            break;
                        }
                    }
                }
                offset = SEGMENT_HEADER;
            }
        }
        if count < cp_size {
            return Err(StoreError::Damaged(format!(
                "the last checkpoint covers {cp_size} entries but only {count} are recoverable"
            )));
        }
        let in_file_now = file_len(&leaves, &leaves_path)? / LEAF_SIZE as u64;
        if in_file_now > count {
            recovery.leaves_cut = in_file_now - count;
        }
        leaves
            .set_len(count * LEAF_SIZE as u64)
            .map_err(|e| StoreError::io("truncate", &leaves_path, e))?;

        // Active segment (create the first one).
        if segments.is_empty() {
            segments.push(0);
        }
        let segment_num = *segments.last().unwrap_or(&0);
        let seg_path = segment_path(&dir, segment_num);
        let segment = open_rw(&seg_path)?;
        let mut segment_len = file_len(&segment, &seg_path)?;
        if segment_len < SEGMENT_HEADER {
            segment
                .set_len(0)
                .and_then(|()| segment.write_all_at(&segment_header(segment_num), 0))
                .and_then(|()| segment.sync_all())
                .map_err(|e| StoreError::io("write", &seg_path, e))?;
            sync_dir(&dir.join("segments"))?;
            segment_len = SEGMENT_HEADER;
        }
        // Rebuild the active segment's time index from its frames.
        let idx_path = index_path(&dir, segment_num);
        let index = open_rw(&idx_path)?;
        let entries = scan_index(&seg_path)?;
        let mut idx_bytes = Vec::with_capacity(entries.len() * crate::segment::IDX_ENTRY);
        for e in &entries {
            idx_bytes.extend_from_slice(&e.encode());
        }
        index
            .set_len(0)
            .and_then(|()| index.write_all_at(&idx_bytes, 0))
            .map_err(|e| StoreError::io("write", &idx_path, e))?;
        let index_len = idx_bytes.len() as u64;

        // Stored hashes: trust them up to the last checkpoint, recompute after it.
        let hashes_path = dir.join("hashes");
        let hashes = open_rw(&hashes_path)?;
        let have = file_len(&hashes, &hashes_path)? / HASH_SIZE as u64;
        let base = if have >= stored_hash_count(cp_size) {
            cp_size
        } else {
            0
        };
        hashes
            .set_len(stored_hash_count(base) * HASH_SIZE as u64)
            .map_err(|e| StoreError::io("truncate", &hashes_path, e))?;
        let mut compact = load_frontier(&FileHashes { file: &hashes }, base)?;
        let mut new_hashes = Vec::new();
        let mut reader = std::io::BufReader::with_capacity(
            1 << 20,
            File::open(&leaves_path).map_err(|e| StoreError::io("open", &leaves_path, e))?,
        );
        std::io::Seek::seek(
            &mut reader,
            std::io::SeekFrom::Start(base * LEAF_SIZE as u64),
        )
        .map_err(|e| StoreError::io("seek", &leaves_path, e))?;
        for _ in base..count {
            reader
                .read_exact(&mut buf)
                .map_err(|e| StoreError::io("read", &leaves_path, e))?;
            compact.append_into(leaf_hash(&buf), &mut new_hashes);
        }
        let mut bytes = Vec::with_capacity(new_hashes.len() * HASH_SIZE);
        for h in &new_hashes {
            bytes.extend_from_slice(h.as_bytes());
        }
        hashes
            .write_all_at(&bytes, stored_hash_count(base) * HASH_SIZE as u64)
            .map_err(|e| StoreError::io("write", &hashes_path, e))?;

        // Dedupe window: keys of recently received events.
        let mut dedupe = Dedupe {
            window_ns: i64::try_from(cfg.dedupe_window.as_nanos()).unwrap_or(i64::MAX),
            max: cfg.dedupe_max_keys,
            ..Dedupe::default()
        };
        let cutoff = now_ns().saturating_sub(dedupe.window_ns);
        let mut recent = Vec::new();
        let mut end = count;
        // Newest first, 4096 records (1 MiB) per read.
        let mut chunk = vec![0u8; 4096 * LEAF_SIZE];
        'scan: while end > 0 && recent.len() < dedupe.max {
            let start = end.saturating_sub(4096);
            let bytes = &mut chunk[..((end - start) as usize) * LEAF_SIZE];
            leaves
                .read_exact_at(bytes, start * LEAF_SIZE as u64)
                .map_err(|e| StoreError::io("read", &leaves_path, e))?;
            for raw in bytes.chunks_exact(LEAF_SIZE).rev() {
                let mut record = [0u8; LEAF_SIZE];
                record.copy_from_slice(raw);
                let Ok(leaf) = LeafRecord::decode(&record) else {
                    break 'scan;
                };
                if leaf.received_at_ns < cutoff || recent.len() >= dedupe.max {
                    break 'scan;
                }
                recent.push((leaf.received_at_ns, leaf.dedupe_key()));
            }
            end = start;
        }
        for (t, key) in recent.into_iter().rev() {
            dedupe.insert(key, t);
        }

        if recovery != Recovery::default() {
            tracing::warn!(
                torn_bytes_cut = recovery.torn_bytes_cut,
                leaves_restored = recovery.leaves_restored,
                leaves_cut = recovery.leaves_cut,
                "store recovered after an unclean stop"
            );
        }
        Ok((
            Store {
                cfg,
                _lock: lock,
                leaves,
                hashes,
                segment,
                index,
                checkpoints,
                segment_num,
                segment_len,
                index_len,
                size: count,
                compact,
                dedupe,
                checkpoint_size,
                checkpoints_len: cp_len,
                origin,
                poisoned: false,
                last_fsync: Duration::ZERO,
            },
            recovery,
        ))
    }

    /// The zstd level for event bodies.
    pub fn compression_level(&self) -> i32 {
        self.cfg.compression_level
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Current root hash.
    pub fn root(&self) -> Hash {
        self.compact.root()
    }

    /// Size of the last signed checkpoint.
    pub fn checkpoint_size(&self) -> Option<u64> {
        self.checkpoint_size
    }

    /// The origin of the store's checkpoints, once one was signed.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.cfg.dir
    }

    fn write_at(&self, file: &File, path: &Path, bytes: &[u8], at: u64) -> Result<(), StoreError> {
        if let Some(fault) = &self.cfg.fault {
            let allowed = fault.take(bytes.len());
            if allowed < bytes.len() {
                // Like a real full disk: what fits is written, then ENOSPC.
                let _ = file.write_all_at(&bytes[..allowed], at);
                return Err(StoreError::Full);
            }
        }
        file.write_all_at(bytes, at)
            .map_err(|e| StoreError::io("write", path, e))
    }

    fn segment_path(&self) -> PathBuf {
        segment_path(&self.cfg.dir, self.segment_num)
    }

    /// Starts a new segment after sealing the active one.
    fn roll_segment(&mut self) -> Result<(), StoreError> {
        let idx_path = index_path(&self.cfg.dir, self.segment_num);
        self.index
            .sync_data()
            .map_err(|e| StoreError::io("fsync", &idx_path, e))?;
        let next = self.segment_num + 1;
        let path = segment_path(&self.cfg.dir, next);
        let file = open_rw(&path)?;
        self.write_at(&file, &path, &segment_header(next), 0)?;
        file.sync_all()
            .map_err(|e| StoreError::io("fsync", &path, e))?;
        let idx_path = index_path(&self.cfg.dir, next);
        let index = open_rw(&idx_path)?;
        index
            .set_len(0)
            .map_err(|e| StoreError::io("truncate", &idx_path, e))?;
        sync_dir(&self.cfg.dir.join("segments"))?;
        self.segment = file;
        self.index = index;
        self.segment_num = next;
        self.segment_len = SEGMENT_HEADER;
        self.index_len = 0;
        Ok(())
    }

    /// How long the `fdatasync` of the last group commit took.
    pub fn last_fsync(&self) -> Duration {
        self.last_fsync
    }

    /// Appends a group of batches (one frame per batch that has new events) and makes it
    /// durable with one `fdatasync`. Duplicates of events already stored (within the dedupe
    /// window) or repeated in the group are counted and skipped.
    pub fn append_group(
        &mut self,
        batches: &[IncomingBatch],
    ) -> Result<Vec<BatchOutcome>, StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        let now = now_ns();
        self.dedupe.evict(now);
        if self.segment_len >= self.cfg.segment_bytes {
            self.roll_segment()?;
        }
        let mut group_keys: HashSet<DedupeKey, BuildHasherDefault<KeyHasher>> = HashSet::default();
        let mut outcomes = Vec::with_capacity(batches.len());
        let mut keys = Vec::new();
        let mut frames = Vec::new();
        let mut entries = Vec::new();
        let mut leaf_bytes = Vec::new();
        let mut compact = self.compact.clone();
        let mut stored = Vec::new();
        let mut seq = self.size;
        let mut offset = self.segment_len;
        for batch in batches {
            let source = IdField::new(&batch.source);
            let mut outcome = BatchOutcome::default();
            let mut records = Vec::with_capacity(batch.events.len());
            let mut block_offset = 0u32;
            let mut min_t = i64::MAX;
            let mut max_t = i64::MIN;
            for event in &batch.events {
                let audit_id = IdField::new(&event.audit_id);
                let key = dedupe_key(event.kind, &source, &audit_id, event.stage);
                let body_len = u32::try_from(event.range.len())
                    .map_err(|_| StoreError::Damaged("event larger than 4 GiB".into()))?;
                if self.dedupe.contains(&key) || !group_keys.insert(key) {
                    outcome.duplicates += 1;
                    // Its bytes stay in a precompressed block, unreferenced: skip them.
                    block_offset += body_len;
                    continue;
                }
                let event_time = event.event_time_ns.unwrap_or(now);
                min_t = min_t.min(event_time);
                max_t = max_t.max(event_time);
                records.push((
                    LeafRecord {
                        kind: event.kind,
                        stage: event.stage,
                        seq: seq + records.len() as u64,
                        received_at_ns: now,
                        event_time_ns: event_time,
                        event_sha256: event.sha256,
                        segment: self.segment_num,
                        frame_offset: offset,
                        body_offset: block_offset,
                        body_len,
                        audit_id,
                        source: source.clone(),
                    },
                    event.range.clone(),
                ));
                keys.push(key);
                block_offset += body_len;
                outcome.accepted += 1;
            }
            outcomes.push(outcome);
            if records.is_empty() {
                continue;
            }
            // The precompressed block fits when every event is new; otherwise compress the new
            // events' bodies here, with offsets rebased onto that smaller block.
            let frame = match (&batch.block, outcome.duplicates) {
                (Some(block), 0) => {
                    let encoded: Vec<[u8; LEAF_SIZE]> =
                        records.iter().map(|(r, _)| r.encode()).collect();
                    encode_frame_precompressed(
                        &encoded,
                        seq,
                        min_t,
                        max_t,
                        block,
                        self.cfg.compression_level,
                    )
                    .map_err(|e| StoreError::io("compress", self.segment_path(), e))?
                }
                _ => {
                    let mut block = Vec::new();
                    for (record, range) in &mut records {
                        record.body_offset = block.len() as u32;
                        let Some(body) = batch.body.get(range.clone()) else {
                            return Err(StoreError::Damaged("event range outside its body".into()));
                        };
                        block.extend_from_slice(body);
                    }
                    let encoded: Vec<[u8; LEAF_SIZE]> =
                        records.iter().map(|(r, _)| r.encode()).collect();
                    encode_frame(
                        &encoded,
                        seq,
                        min_t,
                        max_t,
                        &block,
                        self.cfg.compression_level,
                    )
                    .map_err(|e| StoreError::io("compress", self.segment_path(), e))?
                }
            };
            let start = leaf_bytes.len();
            for (record, _) in &records {
                leaf_bytes.extend_from_slice(&record.encode());
            }
            for leaf in leaf_bytes[start..].chunks_exact(LEAF_SIZE) {
                compact.append_into(leaf_hash(leaf), &mut stored);
            }
            entries.extend_from_slice(
                &IndexEntry {
                    frame_offset: offset,
                    first_seq: seq,
                    leaf_count: records.len() as u32,
                    min_time_ns: min_t,
                    max_time_ns: max_t,
                    frame_len: frame.len() as u64,
                }
                .encode(),
            );
            seq += records.len() as u64;
            offset += frame.len() as u64;
            frames.push(frame);
        }
        let n = seq - self.size;
        for o in &mut outcomes {
            o.tree_size = self.size + n;
        }
        if n == 0 {
            return Ok(outcomes);
        }
        let frame_bytes = frames.concat();
        let mut hash_bytes = Vec::with_capacity(stored.len() * HASH_SIZE);
        for h in &stored {
            hash_bytes.extend_from_slice(h.as_bytes());
        }
        let hashes_at = stored_hash_count(self.size) * HASH_SIZE as u64;
        let result = (|| {
            let seg_path = self.segment_path();
            self.write_at(&self.segment, &seg_path, &frame_bytes, self.segment_len)?;
            let idx_path = index_path(&self.cfg.dir, self.segment_num);
            self.write_at(&self.index, &idx_path, &entries, self.index_len)?;
            let leaves_path = self.cfg.dir.join("leaves");
            self.write_at(
                &self.leaves,
                &leaves_path,
                &leaf_bytes,
                self.size * LEAF_SIZE as u64,
            )?;
            let hashes_path = self.cfg.dir.join("hashes");
            self.write_at(&self.hashes, &hashes_path, &hash_bytes, hashes_at)?;
            let started = std::time::Instant::now();
            let synced = self
                .segment
                .sync_data()
                .map_err(|e| StoreError::io("fsync", &seg_path, e));
            self.last_fsync = started.elapsed();
            synced
        })();
        if let Err(err) = result {
            self.rollback();
            return Err(err);
        }
        self.segment_len += frame_bytes.len() as u64;
        self.index_len += entries.len() as u64;
        self.size += n;
        self.compact = compact;
        for key in keys {
            self.dedupe.insert(key, now);
        }
        Ok(outcomes)
    }

    /// Undoes a partially written group by truncating every file to its length before it.
    fn rollback(&mut self) {
        let dir = self.cfg.dir.clone();
        let results = [
            self.segment
                .set_len(self.segment_len)
                .and_then(|()| self.segment.sync_data()),
            self.index.set_len(self.index_len),
            self.leaves.set_len(self.size * LEAF_SIZE as u64),
            self.hashes
                .set_len(stored_hash_count(self.size) * HASH_SIZE as u64),
        ];
        if let Some(error) = results.into_iter().find_map(Result::err) {
            tracing::error!(%error, dir = %dir.display(), "failed to undo a failed write; refusing writes until restart");
            self.poisoned = true;
        } else {
            tracing::warn!(dir = %dir.display(), size = self.size, "write failed; group undone");
        }
    }

    /// Signs a checkpoint of the current tree after syncing the derived files, appends it to
    /// `checkpoints` and replaces `checkpoint`. Skipped (returns `None`) when the tree has not
    /// grown since the last checkpoint, unless there is none yet.
    pub fn checkpoint(
        &mut self,
        signer: &NoteSigner,
    ) -> Result<Option<SignedCheckpoint>, StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        if self.checkpoint_size == Some(self.size) {
            return Ok(None);
        }
        if let Some(origin) = &self.origin
            && origin != signer.name()
        {
            return Err(StoreError::Checkpoint(
                kubepci_checkpoint::CheckpointError::OriginMismatch {
                    expected: origin.clone(),
                    found: signer.name().to_owned(),
                },
            ));
        }
        let dir = self.cfg.dir.clone();
        for (file, name) in [
            (&self.leaves, "leaves"),
            (&self.hashes, "hashes"),
            (&self.index, "segment index"),
        ] {
            file.sync_data()
                .map_err(|e| StoreError::io("fsync", dir.join(name), e))?;
        }
        let signed = sign_checkpoint(
            &Checkpoint {
                origin: signer.name().to_owned(),
                size: self.size,
                root: self.compact.root(),
                extensions: Vec::new(),
            },
            signer,
        )
        .map_err(StoreError::Checkpoint)?;
        let record = encode_checkpoint_record(&CheckpointRecord {
            signed_at_ns: now_ns(),
            note: signed.note.clone(),
        });
        let log_path = dir.join("checkpoints");
        let written = self
            .write_at(&self.checkpoints, &log_path, &record, self.checkpoints_len)
            .and_then(|()| {
                self.checkpoints
                    .sync_data()
                    .map_err(|e| StoreError::io("fsync", &log_path, e))
            });
        if let Err(err) = written {
            let _ = self.checkpoints.set_len(self.checkpoints_len);
            return Err(err);
        }
        self.checkpoints_len += record.len() as u64;
        self.checkpoint_size = Some(self.size);
        self.origin = Some(signer.name().to_owned());
        write_atomic(&dir, "checkpoint", signed.note.as_bytes())?;
        Ok(Some(signed))
    }

    /// Number of entries not yet covered by a checkpoint.
    pub fn unsigned_entries(&self) -> u64 {
        self.size - self.checkpoint_size.unwrap_or(0)
    }
}

/// Writes `dir/name` atomically (temporary file, fsync, rename, directory fsync).
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    let mut f = File::create(&tmp).map_err(|e| StoreError::io("create", &tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| StoreError::io("write", &tmp, e))?;
    std::fs::rename(&tmp, &target).map_err(|e| StoreError::io("rename", &target, e))?;
    sync_dir(dir)
}

/// Reads a segment's frames and returns their index entries (stops at the first bad frame).
pub fn scan_index(path: &Path) -> Result<Vec<IndexEntry>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("read", path, e)),
    };
    let mut out = Vec::new();
    let mut at = SEGMENT_HEADER as usize;
    while at + FRAME_HEADER <= bytes.len() {
        let Ok(header) = parse_header(&bytes[at..]) else {
            break;
        };
        if at + header.frame_len() > bytes.len() {
            break;
        }
        out.push(IndexEntry {
            frame_offset: at as u64,
            first_seq: header.first_seq,
            leaf_count: header.leaf_count,
            min_time_ns: header.min_time_ns,
            max_time_ns: header.max_time_ns,
            frame_len: header.frame_len() as u64,
        });
        at += header.frame_len();
    }
    Ok(out)
}
