//! C2SP signed notes, tlog checkpoints and tlog proofs, signed with Ed25519.
//!
//! What this crate is:
//! - Ed25519 note keys in the Go `sumdb/note` text encodings ([`NoteSigner`] for
//!   `PRIVATE+KEY+<name>+<id>+<key>`, [`NoteVerifier`] for `<name>+<id>+<key>`);
//! - [c2sp.org/signed-note](https://c2sp.org/signed-note) parsing, signing and verification
//!   ([`parse_note`], [`sign_note`], [`open_note`]);
//! - [c2sp.org/tlog-checkpoint](https://c2sp.org/tlog-checkpoint) bodies ([`Checkpoint`]) with a
//!   single parse-and-verify entry point ([`open_checkpoint`]);
//! - offline-verifiable receipts: [c2sp.org/tlog-proof](https://c2sp.org/tlog-proof) for
//!   inclusion ([`InclusionProof`]) and the consistency-proof body of
//!   [c2sp.org/tlog-witness](https://c2sp.org/tlog-witness) `add-checkpoint`
//!   ([`ConsistencyProof`]).
//!
//! What it is not: it reads no files and knows nothing about audit events or the store layout;
//! the Merkle math is `kubepci-tlog`'s. Parsing never panics on any input (fuzzed through
//! [`fuzz_parse`]).

mod checkpoint;
mod error;
mod key;
mod note;
mod proof;

pub use checkpoint::{Checkpoint, SignedCheckpoint, open_checkpoint, sign_checkpoint};
pub use error::CheckpointError;
pub use key::{NoteSigner, NoteVerifier, key_id};
pub use note::{Note, NoteSignature, open_note, parse_note, sign_note};
pub use proof::{ConsistencyProof, InclusionProof, TLOG_PROOF_HEADER};

/// Largest note this crate parses: checkpoints are a few hundred bytes, a tlog proof with 64
/// hashes and a 16-signature checkpoint a few kilobytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// Feeds arbitrary bytes to every parser of this crate; used by the `checkpoint_parse` fuzz target
/// and by a property test. It must never panic.
pub fn fuzz_parse(data: &[u8]) {
    let verifier = NoteSigner::from_seed("example.com/log", [0x42; 32]).verifier();
    let _ = parse_note(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Checkpoint::parse_body(text);
        let _ = NoteVerifier::parse(text);
        let _ = NoteSigner::parse(text);
    }
    let _ = InclusionProof::parse(data);
    let _ = ConsistencyProof::parse(data);
    let _ = open_checkpoint(data, &verifier);
    let _ = open_note(data, std::slice::from_ref(&verifier));
}
