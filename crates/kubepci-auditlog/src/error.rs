//! Errors of the store and of event decoding.

use std::path::PathBuf;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file operation failed.
    #[error("failed to {op} {}", path.display())]
    Io {
        /// What was being done ("write", "fsync", "open", …).
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The device is full: nothing of the batch was kept; retry later.
    #[error("no space left on the store's device")]
    Full,
    /// An earlier write failed and could not be undone; the store refuses writes until it is
    /// reopened (which recovers it).
    #[error("store is unusable after a failed write; restart to recover")]
    Poisoned,
    /// Another process holds the store's lock.
    #[error("store {} is locked by another process", path.display())]
    Locked {
        /// The data directory.
        path: PathBuf,
    },
    /// The directory holds something that is not a kubepci audit store of a known version.
    #[error("{} is not a kubepci audit store of format version 1", path.display())]
    UnknownFormat {
        /// The data directory.
        path: PathBuf,
    },
    /// On-disk data is damaged in a way recovery cannot repair; run `kubepci audit verify`.
    #[error("store is damaged: {0}")]
    Damaged(String),
    /// A requested entry or checkpoint does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Signing or parsing a checkpoint failed.
    #[error("checkpoint error")]
    Checkpoint(#[source] kubepci_checkpoint::CheckpointError),
    /// Building a proof failed.
    #[error("proof error")]
    Proof(#[source] kubepci_tlog::ProofError),
    /// The writer thread is gone (the store is shutting down).
    #[error("store writer has stopped")]
    WriterGone,
    /// Too many batches are queued; retry later.
    #[error("store is overloaded; retry later")]
    Busy,
}

impl StoreError {
    /// Wraps an I/O error, mapping ENOSPC/EDQUOT to [`StoreError::Full`].
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        if matches!(source.raw_os_error(), Some(28) | Some(122)) {
            return StoreError::Full;
        }
        if source.kind() == std::io::ErrorKind::StorageFull {
            return StoreError::Full;
        }
        StoreError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// True for errors after which the client should retry (HTTP 503).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Io { .. }
                | StoreError::Full
                | StoreError::Poisoned
                | StoreError::WriterGone
                | StoreError::Busy
        )
    }
}

/// Why a request body could not be decoded into audit events or alerts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not JSON of an accepted shape.
    #[error("body is not an audit.k8s.io EventList, Event or JSON array: {0}")]
    NotJson(String),
    /// An event lacks its `auditID` (or a Falco alert its `uuid` and `output`).
    #[error("event {index} has no auditID")]
    MissingAuditId {
        /// Zero-based position in the batch.
        index: usize,
    },
    /// An item of the list is not a JSON object.
    #[error("item {index} is not a JSON object")]
    NotAnObject {
        /// Zero-based position in the batch.
        index: usize,
    },
    /// More events than the store accepts in one batch.
    #[error("batch has {count} events, more than the limit of {max}")]
    TooManyEvents {
        /// Events in the body.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// One event is larger than a body the store keeps.
    #[error("event {index} is {size} bytes, more than the limit of {max}")]
    EventTooLarge {
        /// Zero-based position in the batch.
        index: usize,
        /// Its size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
}
