//! Errors of key handling, note and checkpoint parsing, and verification.

/// Why a key, note, checkpoint or proof was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// A key string does not follow the `sumdb/note` key encoding.
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),
    /// A key name is empty or contains a space or a plus sign.
    #[error("invalid key name {0:?}: it must be non-empty without spaces or '+'")]
    InvalidKeyName(String),
    /// The note does not follow c2sp.org/signed-note.
    #[error("malformed signed note: {0}")]
    MalformedNote(&'static str),
    /// The note body does not follow c2sp.org/tlog-checkpoint.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    /// The proof does not follow c2sp.org/tlog-proof or the tlog-witness proof body.
    #[error("malformed proof: {0}")]
    MalformedProof(&'static str),
    /// The input is larger than any note this crate accepts.
    #[error("note is larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// No signature by a trusted key is on the note.
    #[error("note carries no signature by a trusted key")]
    NoTrustedSignature,
    /// A signature claims a trusted key's name and ID but does not verify.
    #[error("signature by key {name} does not verify")]
    BadSignature {
        /// The key name on the signature line.
        name: String,
    },
    /// The checkpoint's origin is not the one the verifier key belongs to.
    #[error("checkpoint origin {found:?} is not the expected origin {expected:?}")]
    OriginMismatch {
        /// The origin the key stands for.
        expected: String,
        /// The origin in the checkpoint.
        found: String,
    },
    /// A Merkle proof does not verify against the checkpoint.
    #[error("merkle proof does not verify")]
    Proof(#[source] kubepci_tlog::ProofError),
    /// The operating system's random number generator failed.
    #[error("failed to draw random bytes for a new key")]
    Random,
}
