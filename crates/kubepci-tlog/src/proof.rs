//! Proof building over stored hashes: every proof costs O(log n) reads.
//!
//! The recursion follows RFC 6962 §2.1.1 (PATH) and §2.1.2 (PROOF/SUBPROOF); which stored hashes
//! to read is the stored-hash layout's bookkeeping (after `golang.org/x/mod/sumdb/tlog`).

use crate::error::ProofError;
use crate::hash::{Hash, empty_root, node_hash};
use crate::stored::stored_hash_index;

/// Reads stored hashes by their position in the stored-hash layout.
pub trait HashReader {
    /// Returns the hashes at `indexes`, in the same order.
    fn read_hashes(
        &self,
        indexes: &[u64],
    ) -> Result<Vec<Hash>, Box<dyn std::error::Error + Send + Sync>>;
}

impl HashReader for [Hash] {
    fn read_hashes(
        &self,
        indexes: &[u64],
    ) -> Result<Vec<Hash>, Box<dyn std::error::Error + Send + Sync>> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.get(i).copied())
                    .ok_or_else(|| format!("stored hash {i} is out of range").into())
            })
            .collect()
    }
}

impl HashReader for Vec<Hash> {
    fn read_hashes(
        &self,
        indexes: &[u64],
    ) -> Result<Vec<Hash>, Box<dyn std::error::Error + Send + Sync>> {
        self.as_slice().read_hashes(indexes)
    }
}

/// Largest power of two `k` with `k < n` (for `n ≥ 2`), and its exponent.
fn split_point(n: u64) -> (u64, u32) {
    debug_assert!(n >= 2);
    let level = 63 - (n - 1).leading_zeros();
    (1u64 << level, level)
}

/// Largest power of two `k ≤ n` (for `n ≥ 1`), and its exponent.
fn largest_pow2_at_most(n: u64) -> (u64, u32) {
    let level = 63 - n.leading_zeros();
    (1u64 << level, level)
}

/// Stored-hash indexes of the perfect subtrees that make up leaves `[lo, hi)`, left to right.
fn subtree_indexes(mut lo: u64, hi: u64, need: &mut Vec<u64>) {
    while lo < hi {
        let (k, level) = largest_pow2_at_most(hi - lo);
        // Shrink k until lo is aligned to it, so that [lo, lo+k) is a stored perfect subtree.
        let (mut k, mut level) = (k, level);
        while lo & (k - 1) != 0 {
            k >>= 1;
            level -= 1;
        }
        need.push(stored_hash_index(level, lo >> level));
        lo += k;
    }
}

/// Number of perfect subtrees that `subtree_indexes(lo, hi)` produces.
fn subtree_count(mut lo: u64, hi: u64) -> usize {
    let mut count = 0;
    while lo < hi {
        let (mut k, _) = largest_pow2_at_most(hi - lo);
        while lo & (k - 1) != 0 {
            k >>= 1;
        }
        lo += k;
        count += 1;
    }
    count
}

/// Combines the perfect-subtree hashes of `[lo, hi)` (consumed from `hashes`) into the MTH of
/// that range.
fn subtree_hash(lo: u64, hi: u64, hashes: &mut std::slice::Iter<'_, Hash>) -> Hash {
    let count = subtree_count(lo, hi);
    let parts: Vec<Hash> = hashes.by_ref().take(count).copied().collect();
    let mut iter = parts.iter().rev();
    let Some(last) = iter.next() else {
        return empty_root();
    };
    iter.fold(*last, |right, left| node_hash(left, &right))
}

fn read(reader: &(impl HashReader + ?Sized), indexes: &[u64]) -> Result<Vec<Hash>, ProofError> {
    let hashes = reader.read_hashes(indexes).map_err(ProofError::Read)?;
    if hashes.len() != indexes.len() {
        return Err(ProofError::ShortRead {
            got: hashes.len(),
            want: indexes.len(),
        });
    }
    Ok(hashes)
}

/// The root hash of the first `size` leaves of a tree whose stored hashes `reader` serves.
pub fn tree_hash(size: u64, reader: &(impl HashReader + ?Sized)) -> Result<Hash, ProofError> {
    if size == 0 {
        return Ok(empty_root());
    }
    let mut need = Vec::new();
    subtree_indexes(0, size, &mut need);
    let hashes = read(reader, &need)?;
    Ok(subtree_hash(0, size, &mut hashes.iter()))
}

/// RFC 6962 §2.1.1 PATH(m, D[lo:hi]): which stored hashes the audit path needs.
fn inclusion_indexes(lo: u64, hi: u64, m: u64, need: &mut Vec<u64>) {
    if lo + 1 == hi {
        return;
    }
    let (k, _) = split_point(hi - lo);
    if m < lo + k {
        inclusion_indexes(lo, lo + k, m, need);
        subtree_indexes(lo + k, hi, need);
    } else {
        subtree_indexes(lo, lo + k, need);
        inclusion_indexes(lo + k, hi, m, need);
    }
}

fn inclusion_path(
    lo: u64,
    hi: u64,
    m: u64,
    hashes: &mut std::slice::Iter<'_, Hash>,
    path: &mut Vec<Hash>,
) {
    if lo + 1 == hi {
        return;
    }
    let (k, _) = split_point(hi - lo);
    if m < lo + k {
        inclusion_path(lo, lo + k, m, hashes, path);
        path.push(subtree_hash(lo + k, hi, hashes));
    } else {
        let left = subtree_hash(lo, lo + k, hashes);
        inclusion_path(lo + k, hi, m, hashes, path);
        path.push(left);
    }
}

/// The inclusion proof (audit path, leaf's sibling first) of leaf `index` in the tree of the
/// first `size` leaves.
pub fn prove_inclusion(
    index: u64,
    size: u64,
    reader: &(impl HashReader + ?Sized),
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut need = Vec::new();
    inclusion_indexes(0, size, index, &mut need);
    let hashes = read(reader, &need)?;
    let mut path = Vec::with_capacity(need.len());
    inclusion_path(0, size, index, &mut hashes.iter(), &mut path);
    Ok(path)
}

/// RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b): which stored hashes the proof needs.
fn consistency_indexes(lo: u64, hi: u64, m: u64, need: &mut Vec<u64>) {
    if m == hi {
        if lo != 0 {
            subtree_indexes(lo, hi, need);
        }
        return;
    }
    let (k, _) = split_point(hi - lo);
    if m <= lo + k {
        consistency_indexes(lo, lo + k, m, need);
        subtree_indexes(lo + k, hi, need);
    } else {
        subtree_indexes(lo, lo + k, need);
        consistency_indexes(lo + k, hi, m, need);
    }
}

fn consistency_path(
    lo: u64,
    hi: u64,
    m: u64,
    hashes: &mut std::slice::Iter<'_, Hash>,
    path: &mut Vec<Hash>,
) {
    if m == hi {
        if lo != 0 {
            path.push(subtree_hash(lo, hi, hashes));
        }
        return;
    }
    let (k, _) = split_point(hi - lo);
    if m <= lo + k {
        consistency_path(lo, lo + k, m, hashes, path);
        path.push(subtree_hash(lo + k, hi, hashes));
    } else {
        let left = subtree_hash(lo, lo + k, hashes);
        consistency_path(lo + k, hi, m, hashes, path);
        path.push(left);
    }
}

/// The consistency proof between the trees of the first `old` and the first `new` leaves.
pub fn prove_consistency(
    old: u64,
    new: u64,
    reader: &(impl HashReader + ?Sized),
) -> Result<Vec<Hash>, ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    if old == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old == new {
        return Ok(Vec::new());
    }
    let mut need = Vec::new();
    consistency_indexes(0, new, old, &mut need);
    let hashes = read(reader, &need)?;
    let mut path = Vec::with_capacity(need.len());
    consistency_path(0, new, old, &mut hashes.iter(), &mut path);
    Ok(path)
}
