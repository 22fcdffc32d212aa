//! Errors of proof building and verification.

/// Why a proof could not be built or did not verify.
///
/// Tests pin these variants: a caller can tell a malformed proof (wrong length, impossible sizes)
/// from a well-formed proof that proves something else (root mismatch).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// Zero-based leaf index.
        index: u64,
        /// Number of leaves in the tree.
        size: u64,
    },
    /// The old tree is larger than the new one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizesOutOfOrder {
        /// Size of the older tree.
        old: u64,
        /// Size of the newer tree.
        new: u64,
    },
    /// A consistency proof from the empty tree proves nothing (RFC 9162 §2.1.4).
    #[error("a consistency proof from the empty tree is meaningless")]
    EmptyOldTree,
    /// The proof does not have the number of hashes that the sizes imply.
    #[error("proof has {got} hashes where {want} are expected")]
    WrongProofLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes the tree sizes require.
        want: usize,
    },
    /// The proof is well formed but the root it yields differs from the expected root.
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
    /// The proof is well formed but the recomputed old root differs from the old root.
    #[error("proof does not lead to the expected old root hash")]
    OldRootMismatch,
    /// A hash reader returned a different number of hashes than asked for.
    #[error("hash reader returned {got} hashes for {want} indexes")]
    ShortRead {
        /// Hashes returned.
        got: usize,
        /// Hashes asked for.
        want: usize,
    },
    /// The hash reader failed.
    #[error("failed to read stored hashes")]
    Read(#[source] Box<dyn std::error::Error + Send + Sync>),
}
