//! Follows the apiserver's log backend: JSON-lines files (`--audit-log-path`), across rotation
//! (rename + new file, and copytruncate), with the read offset stored durably after each
//! committed batch.
//!
//! Exactly-once: the offset is written (and fsynced) only after the batch is durable, so a
//! restart never skips an event; a crash between the commit and the offset write re-reads that
//! batch, and the dedupe on `(source, auditID, stage)` drops the repeats.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::event::decode_audit_events;
use crate::store::{IncomingBatch, write_atomic};
use crate::writer::Appender;

/// Sees every batch of a follower before it is appended and after it is durable (detection
/// adds its alerts to the batch, then forwards them once they are stored).
pub trait BatchHook: Send + Sync + std::fmt::Debug {
    /// May add records to the batch; returns what to hand to [`BatchHook::committed`].
    fn prepare(&self, batch: &mut IncomingBatch) -> Vec<Vec<u8>>;
    /// The batch is durable.
    fn committed(&self, prepared: Vec<Vec<u8>>, outcome: &crate::BatchOutcome);
}

/// Follower settings.
#[derive(Debug, Clone)]
pub struct TailConfig {
    /// The file the apiserver writes (`--audit-log-path`).
    pub path: PathBuf,
    /// The source recorded for its events.
    pub source: String,
    /// The store's data directory (the offset lives in `tail/`).
    pub data_dir: PathBuf,
    /// How long to sleep at end of file.
    pub poll: Duration,
    /// Most lines per batch.
    pub max_batch_lines: usize,
    /// Sees every batch (detection).
    pub hook: Option<Arc<dyn BatchHook>>,
}

impl TailConfig {
    /// Defaults for following `path` into the store at `data_dir`.
    pub fn new(path: impl Into<PathBuf>, data_dir: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            source: format!("file:{}", path.display()),
            path,
            data_dir: data_dir.into(),
            poll: Duration::from_millis(200),
            max_batch_lines: 1000,
            hook: None,
        }
    }

    fn state_name(&self) -> String {
        let digest = Sha256::digest(self.path.as_os_str().as_encoded_bytes());
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}.offset")
    }
}

/// Where the follower is: which file (device and inode) and how far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TailPosition {
    /// Device of the file.
    pub dev: u64,
    /// Inode of the file.
    pub ino: u64,
    /// Bytes consumed.
    pub offset: u64,
}

/// Reads the stored position of a follower.
pub fn read_position(cfg: &TailConfig) -> Option<TailPosition> {
    let text = std::fs::read_to_string(cfg.data_dir.join("tail").join(cfg.state_name())).ok()?;
    let mut it = text.split_whitespace().map(str::parse::<u64>);
    match (it.next(), it.next(), it.next()) {
        (Some(Ok(dev)), Some(Ok(ino)), Some(Ok(offset))) => Some(TailPosition { dev, ino, offset }),
        _ => None,
    }
}

fn write_position(cfg: &TailConfig, pos: TailPosition) -> Result<(), StoreError> {
    let dir = cfg.data_dir.join("tail");
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::io("create", &dir, e))?;
    let text = format!("{} {} {}\n", pos.dev, pos.ino, pos.offset);
    write_atomic(&dir, &cfg.state_name(), text.as_bytes())
}

/// Finds a rotated file with inode `ino` next to `path` (rename rotation while stopped).
fn find_rotated(path: &Path, dev: u64, ino: u64) -> Option<PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
        let meta = entry.metadata().ok()?;
        (meta.ino() == ino && meta.dev() == dev && meta.is_file()).then(|| entry.path())
    })
}

struct Open {
    file: File,
    pos: TailPosition,
    /// Bytes read past `pos.offset` that do not end in a newline yet.
    partial: Vec<u8>,
}

fn open_at(path: &Path, offset: u64) -> std::io::Result<Open> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let offset = if meta.len() < offset { 0 } else { offset };
    file.seek(SeekFrom::Start(offset))?;
    Ok(Open {
        file,
        pos: TailPosition {
            dev: meta.dev(),
            ino: meta.ino(),
            offset,
        },
        partial: Vec::new(),
    })
}

/// Reads what is available and appends complete lines in batches. Returns whether it read
/// anything.
fn drain(
    cfg: &TailConfig,
    open: &mut Open,
    appender: &Appender,
    stop: &AtomicBool,
) -> Result<bool, StoreError> {
    let mut progressed = false;
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = open
            .file
            .read(&mut chunk)
            .map_err(|e| StoreError::io("read", &cfg.path, e))?;
        if n == 0 {
            return Ok(progressed);
        }
        progressed = true;
        open.partial.extend_from_slice(&chunk[..n]);
        // Consume complete lines, in batches.
        loop {
            let mut lines = 0;
            let mut end = 0;
            for (i, b) in open.partial.iter().enumerate() {
                if *b == b'\n' {
                    lines += 1;
                    end = i + 1;
                    if lines == cfg.max_batch_lines {
                        break;
                    }
                }
            }
            if end == 0 {
                break;
            }
            let body: Vec<u8> = open.partial.drain(..end).collect();
            let body = Arc::new(body);
            let mut events = Vec::new();
            let mut start = 0usize;
            for line in body.split(|b| *b == b'\n') {
                let line_start = start;
                start += line.len() + 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match decode_audit_events(line) {
                    Ok(decoded) => events.extend(decoded.into_iter().map(|mut e| {
                        e.range = e.range.start + line_start..e.range.end + line_start;
                        e
                    })),
                    Err(error) => tracing::warn!(
                        path = %cfg.path.display(),
                        offset = open.pos.offset + line_start as u64,
                        %error,
                        "skipping a line that is not an audit event"
                    ),
                }
            }
            let mut batch = IncomingBatch::new(cfg.source.clone(), body.clone(), events);
            let prepared = cfg.hook.as_ref().map(|h| h.prepare(&mut batch));
            // Retry until durable: never advance the offset past uncommitted events.
            loop {
                match appender.append_blocking(batch.clone()) {
                    Ok(outcome) => {
                        if let (Some(hook), Some(prepared)) = (&cfg.hook, prepared) {
                            hook.committed(prepared, &outcome);
                        }
                        break;
                    }
                    Err(error) if error.is_retryable() && !stop.load(Ordering::SeqCst) => {
                        tracing::warn!(%error, "tail batch not committed; retrying");
                        std::thread::sleep(cfg.poll);
                    }
                    Err(error) => return Err(error),
                }
            }
            open.pos.offset += body.len() as u64;
            write_position(cfg, open.pos)?;
        }
    }
}

/// Follows `cfg.path` until `stop` is set.
pub fn run_tail(
    cfg: &TailConfig,
    appender: &Appender,
    stop: &AtomicBool,
) -> Result<(), StoreError> {
    // Resume: the same file at the stored offset, or finish a file rotated while stopped.
    let mut current: Option<Open> = None;
    if let Some(saved) = read_position(cfg) {
        let same = std::fs::metadata(&cfg.path)
            .map(|m| m.ino() == saved.ino && m.dev() == saved.dev)
            .unwrap_or(false);
        if same {
            current = open_at(&cfg.path, saved.offset).ok();
        } else if let Some(rotated) = find_rotated(&cfg.path, saved.dev, saved.ino)
            && let Ok(mut old) = open_at(&rotated, saved.offset)
        {
            drain(cfg, &mut old, appender, stop)?;
        }
    }
    while !stop.load(Ordering::SeqCst) {
        let Some(open) = current.as_mut() else {
            match open_at(&cfg.path, 0) {
                Ok(o) => {
                    current = Some(o);
                    if let Some(o) = &current {
                        write_position(cfg, o.pos)?;
                    }
                }
                Err(_) => std::thread::sleep(cfg.poll),
            }
            continue;
        };
        let progressed = drain(cfg, open, appender, stop)?;
        if progressed {
            continue;
        }
        // At end of file: rotated (new inode) or truncated (copytruncate)?
        match std::fs::metadata(&cfg.path) {
            Ok(meta) if meta.ino() != open.pos.ino || meta.dev() != open.pos.dev => {
                // Finish the old file, then follow the new one from its start.
                drain(cfg, open, appender, stop)?;
                current = None;
                continue;
            }
            Ok(meta) if meta.len() < open.pos.offset => {
                tracing::info!(path = %cfg.path.display(), "file was truncated; reading from its start");
                *open = open_at(&cfg.path, 0).map_err(|e| StoreError::io("open", &cfg.path, e))?;
                write_position(cfg, open.pos)?;
                continue;
            }
            _ => {}
        }
        std::thread::sleep(cfg.poll);
    }
    Ok(())
}
