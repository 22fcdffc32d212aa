//! The right frontier of an append-only tree: enough to append and to compute the root.

use crate::hash::{Hash, empty_root, node_hash};

/// The hashes of the perfect subtrees that make up a tree of `size` leaves (one per set bit of
/// `size`, largest first): O(log n) memory, enough to append leaves and compute the root.
///
/// [`CompactRange::append`] returns exactly the hashes that the stored-hash layout
/// ([`crate::stored_hash_index`]) stores for the new leaf, in order, so a writer can extend a
/// file of stored hashes without reading it back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompactRange {
    size: u64,
    frontier: Vec<Hash>,
}

impl CompactRange {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the frontier of a tree of `size` leaves from its perfect-subtree hashes, largest
    /// first (as returned by [`CompactRange::frontier`]). Returns `None` when the number of
    /// hashes is not the number of set bits of `size`.
    pub fn from_parts(size: u64, frontier: Vec<Hash>) -> Option<Self> {
        (frontier.len() == size.count_ones() as usize).then_some(Self { size, frontier })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree hashes, largest (leftmost) first.
    pub fn frontier(&self) -> &[Hash] {
        &self.frontier
    }

    /// Appends a leaf hash and returns the hashes to store for it: the leaf hash, then the hash of
    /// every subtree it completes, lowest level first.
    pub fn append(&mut self, leaf: Hash) -> Vec<Hash> {
        let mut stored = Vec::with_capacity(1 + self.size.trailing_ones() as usize);
        self.append_into(leaf, &mut stored);
        stored
    }

    /// Like [`CompactRange::append`], pushing the stored hashes onto `out` (no allocation).
    pub fn append_into(&mut self, leaf: Hash, out: &mut Vec<Hash>) {
        let mut hash = leaf;
        out.push(hash);
        let mut bits = self.size;
        while bits & 1 == 1 {
            // The invariant "one frontier hash per set bit of size" makes this pop succeed.
            let Some(left) = self.frontier.pop() else {
                break;
            };
            hash = node_hash(&left, &hash);
            out.push(hash);
            bits >>= 1;
        }
        self.frontier.push(hash);
        self.size += 1;
    }

    /// The tree's root hash (RFC 6962 MTH).
    pub fn root(&self) -> Hash {
        let mut iter = self.frontier.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |right, left| node_hash(left, &right))
    }
}
