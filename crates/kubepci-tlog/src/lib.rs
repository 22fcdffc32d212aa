//! Merkle tree mathematics for kubepci's tamper-evident audit log.
//!
//! What this crate is:
//! - RFC 6962 §2.1 / RFC 9162 §2.1 hashing ([`leaf_hash`], [`node_hash`], [`empty_root`]);
//! - the *stored-hash* layout of the Go checksum database (`golang.org/x/mod/sumdb/tlog`): every
//!   complete subtree hash of an append-only tree is stored once, in append order, so that a
//!   tree root, an inclusion proof or a consistency proof needs only O(log n) hash reads
//!   ([`stored_hash_index`], [`stored_hash_count`], [`CompactRange`]);
//! - proof building generic over a [`HashReader`] ([`prove_inclusion`], [`prove_consistency`],
//!   [`tree_hash`]) and proof verification following the algorithms spelled out in RFC 9162
//!   §2.1.3.2 and §2.1.4.2 ([`verify_inclusion`], [`verify_consistency`]), with constant-time
//!   root comparison.
//!
//! What it is not: it does no I/O, knows nothing about files, checkpoints, signatures or audit
//! events, and has no async code. Storage lives in `kubepci-auditlog`, signed checkpoints in
//! `kubepci-checkpoint`.

mod compact;
mod error;
mod hash;
mod proof;
mod stored;
mod verify;

pub use compact::CompactRange;
pub use error::ProofError;
pub use hash::{HASH_SIZE, Hash, empty_root, leaf_hash, node_hash};
pub use proof::{HashReader, prove_consistency, prove_inclusion, tree_hash};
pub use stored::{stored_hash_count, stored_hash_index, stored_hashes_per_leaf};
pub use verify::{
    consistency_proof_len, inclusion_proof_len, root_from_inclusion, verify_consistency,
    verify_inclusion,
};
