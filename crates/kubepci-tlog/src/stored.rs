//! The stored-hash layout: every complete subtree hash of an append-only tree, in append order.
//!
//! Appending leaf `n` stores its leaf hash followed by the hash of every complete subtree that the
//! leaf completes (one per trailing one bit of `n`). The layout is the one of the Go checksum
//! database (`golang.org/x/mod/sumdb/tlog`, `StoredHashIndex`), so a flat file of 32-byte hashes
//! is append-only and any complete subtree's hash is one read away.

/// The position, in the stored-hash sequence, of the `n`-th hash at `level`
/// (level 0 holds leaf hashes; level `l` hashes cover leaves `[n·2ˡ, (n+1)·2ˡ)`).
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    // Level L's n-th hash is written right after level L+1's (2n+1)-th hash: walk down to the
    // level-0 ordering, then add the levels back.
    let mut n = n;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    // Level 0's n-th hash is written at n + n/2 + n/4 + … .
    let mut index = 0u64;
    let mut m = n;
    while m > 0 {
        index += m;
        m >>= 1;
    }
    index + u64::from(level)
}

/// How many stored hashes a tree of `size` leaves has.
pub fn stored_hash_count(size: u64) -> u64 {
    if size == 0 {
        return 0;
    }
    let mut count = stored_hash_index(0, size - 1) + 1;
    let mut i = size - 1;
    while i & 1 != 0 {
        count += 1;
        i >>= 1;
    }
    count
}

/// How many hashes appending leaf number `index` (zero-based) stores: the leaf hash plus one per
/// subtree it completes.
pub fn stored_hashes_per_leaf(index: u64) -> u64 {
    1 + u64::from(index.trailing_ones())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_append_order() {
        // Leaves 0..8: hashes stored as L0(0) L0(1) L1(0) L0(2) L0(3) L1(1) L2(0) L0(4) …
        assert_eq!(stored_hash_index(0, 0), 0);
        assert_eq!(stored_hash_index(0, 1), 1);
        assert_eq!(stored_hash_index(1, 0), 2);
        assert_eq!(stored_hash_index(0, 2), 3);
        assert_eq!(stored_hash_index(0, 3), 4);
        assert_eq!(stored_hash_index(1, 1), 5);
        assert_eq!(stored_hash_index(2, 0), 6);
        assert_eq!(stored_hash_index(0, 4), 7);
        let mut total = 0;
        for size in 0..1000u64 {
            assert_eq!(stored_hash_count(size), total, "size {size}");
            total += stored_hashes_per_leaf(size);
        }
    }
}
