//! kubepci's tamper-evident store for Kubernetes audit events and Falco alerts.
//!
//! What this crate is: the on-disk store (see docs/audit-log.md and the format sections in
//! [`leaf`], [`segment`] and [`store`]): append-only compressed segments holding the events'
//! bytes exactly as received, fixed-size leaf records, the RFC 6962 stored hashes, group commit
//! with one `fdatasync` per group, exact dedupe on `(source, auditID, stage)`, signed C2SP
//! checkpoints, crash recovery, a full verifier that names the first bad position of each kind
//! of tampering, inclusion/consistency proofs, a streaming query with a per-segment time index,
//! retention, and a follower for the apiserver's JSON-lines log files.
//!
//! What it is not: no HTTP, no TLS, no async runtime (the server crate adds those); the Merkle
//! math lives in `kubepci-tlog`, the note and checkpoint formats in `kubepci-checkpoint`. File
//! I/O here is synchronous by design: one writer thread owns the files.

pub mod error;
pub mod event;
pub mod leaf;
pub mod query;
pub mod reader;
pub mod retention;
pub mod segment;
pub mod store;
pub mod tail;
pub mod testsupport;
pub mod verify;
pub mod writer;

pub use error::{DecodeError, StoreError};
pub use event::{
    DecodedEvent, REPORT_SUMMARY_KIND, decode_audit_events, decode_falco_alerts,
    decode_report_summary,
};
pub use leaf::{EventKind, LeafRecord, Stage};
pub use query::{QueryFilter, QueryStats, query};
pub use reader::StoreReader;
pub use retention::prune;
pub use store::{BatchOutcome, IncomingBatch, Store, StoreConfig};
pub use tail::{BatchHook, TailConfig, run_tail};
pub use verify::{Problem, ProblemKind, VerifyReport, verify_store};
pub use writer::{Appender, CommitObserver, Writer, WriterConfig, spawn_writer};
