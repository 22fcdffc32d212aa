//! Property tests: in trees of random leaves, every inclusion and consistency proof built from
//! stored hashes verifies, and every altered proof fails.

use kubepci_tlog::{
    CompactRange, Hash, leaf_hash, prove_consistency, prove_inclusion, stored_hash_count,
    tree_hash, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

/// Straight RFC 6962 §2.1 MTH, as an independent oracle.
fn reference_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => kubepci_tlog::empty_root(),
        1 => leaves[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            kubepci_tlog::node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

fn build(n: usize) -> (Vec<Hash>, Vec<Hash>, Vec<Hash>) {
    let mut range = CompactRange::new();
    let mut stored = Vec::new();
    let mut leaves = Vec::new();
    let mut roots = vec![range.root()];
    for i in 0..n {
        let leaf = leaf_hash(format!("leaf {i}").as_bytes());
        leaves.push(leaf);
        stored.extend(range.append(leaf));
        roots.push(range.root());
    }
    (leaves, stored, roots)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn roots_match_the_reference(n in 0usize..200) {
        let (leaves, stored, roots) = build(n);
        prop_assert_eq!(stored.len() as u64, stored_hash_count(n as u64));
        for size in 0..=n {
            prop_assert_eq!(roots[size], reference_root(&leaves[..size]));
            prop_assert_eq!(tree_hash(size as u64, &stored).expect("stored hashes cover the tree"), roots[size]);
        }
    }

    #[test]
    fn inclusion_proofs_verify_and_alterations_fail(
        n in 1usize..300, pick in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let (leaves, stored, roots) = build(n);
        let size = n as u64;
        let index = pick.index(n) as u64;
        let proof = prove_inclusion(index, size, &stored).expect("index is inside the tree");
        prop_assert!(verify_inclusion(index, size, &leaves[index as usize], &proof, &roots[n]).is_ok());
        // Other leaf, other index, other size: all fail.
        if n > 1 {
            let other = (index + 1) % size;
            prop_assert!(verify_inclusion(other, size, &leaves[index as usize], &proof, &roots[n]).is_err());
            prop_assert!(verify_inclusion(index, size, &leaves[other as usize], &proof, &roots[n]).is_err());
        }
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let at = flip.index(bad.len());
            bad[at].0[0] ^= 1 << bit;
            prop_assert!(verify_inclusion(index, size, &leaves[index as usize], &bad, &roots[n]).is_err());
            let mut short = proof.clone();
            short.pop();
            prop_assert!(verify_inclusion(index, size, &leaves[index as usize], &short, &roots[n]).is_err());
        }
        let mut long = proof.clone();
        long.push(leaves[0]);
        prop_assert!(verify_inclusion(index, size, &leaves[index as usize], &long, &roots[n]).is_err());
    }

    #[test]
    fn consistency_proofs_verify_and_alterations_fail(
        n in 1usize..300, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(), bit in 0u8..8,
    ) {
        let (_leaves, stored, roots) = build(n);
        let x = a.index(n) as u64 + 1;
        let y = b.index(n) as u64 + 1;
        let (old, new) = if x <= y { (x, y) } else { (y, x) };
        let proof = prove_consistency(old, new, &stored).expect("sizes are ordered and non-zero");
        let (r_old, r_new) = (roots[old as usize], roots[new as usize]);
        prop_assert!(verify_consistency(old, new, &proof, &r_old, &r_new).is_ok());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let at = flip.index(bad.len());
            bad[at].0[31] ^= 1 << bit;
            prop_assert!(verify_consistency(old, new, &bad, &r_old, &r_new).is_err());
            let mut short = proof.clone();
            short.pop();
            prop_assert!(verify_consistency(old, new, &short, &r_old, &r_new).is_err());
        }
        if old < new {
            // Swapped roots or a wrong old root must fail.
            prop_assert!(verify_consistency(old, new, &proof, &r_new, &r_old).is_err());
            let mut wrong = r_old;
            wrong.0[0] ^= 0x80;
            prop_assert!(verify_consistency(old, new, &proof, &wrong, &r_new).is_err());
        }
    }
}
