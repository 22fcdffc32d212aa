//! Known-answer tests with the public RFC 6962 vectors of transparency-dev/merkle.
//!
//! Sources (Apache-2.0):
//! - leaves and roots: `testonly/constants.go` at transparency-dev/merkle commit
//!   582a6ad190b6848f1d26f8bf08ddef29955d9db1 (`LeafInputs`, `NodeHashes`, `RootHashes`);
//! - inclusion and consistency proofs: `testonly/reference_test.go` at commit
//!   141d627eab770a7e9a2514f46a8b6338e6d90874 (`TestRefInclusionProof`,
//!   `TestRefConsistencyProof`).

use kubepci_tlog::{
    CompactRange, Hash, ProofError, leaf_hash, prove_consistency, prove_inclusion, tree_hash,
    verify_consistency, verify_inclusion,
};

fn hd(text: &str) -> Hash {
    Hash::from_hex(text).expect("test vector is 64 hex digits")
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("test vector is hex"))
        .collect()
}

fn leaf_inputs() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| unhex(h))
    .collect()
}

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// Builds the stored hashes of the 8-leaf vector tree.
fn stored() -> Vec<Hash> {
    let mut range = CompactRange::new();
    let mut stored = Vec::new();
    for leaf in leaf_inputs() {
        stored.extend(range.append(leaf_hash(&leaf)));
    }
    stored
}

#[test]
fn leaf_hashes_match_node_hashes_level_zero() {
    let want = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ];
    for (leaf, want) in leaf_inputs().iter().zip(want) {
        assert_eq!(leaf_hash(leaf), hd(want));
    }
}

#[test]
fn roots_for_every_size() {
    let mut range = CompactRange::new();
    assert_eq!(range.root(), hd(ROOTS[0]));
    let stored = stored();
    for (i, leaf) in leaf_inputs().iter().enumerate() {
        range.append(leaf_hash(leaf));
        assert_eq!(
            range.root(),
            hd(ROOTS[i + 1]),
            "compact root of size {}",
            i + 1
        );
        let size = i as u64 + 1;
        assert_eq!(
            tree_hash(size, &stored).expect("stored hashes cover the tree"),
            hd(ROOTS[i + 1]),
            "stored-hash root of size {size}"
        );
    }
}

#[test]
fn inclusion_vectors() {
    let cases: &[(u64, u64, &[&str])] = &[
        (0, 1, &[]),
        (
            0,
            2,
            &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
        ),
        (
            1,
            2,
            &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    let stored = stored();
    let leaves = leaf_inputs();
    for &(index, size, want) in cases {
        let want: Vec<Hash> = want.iter().map(|h| hd(h)).collect();
        let got = prove_inclusion(index, size, &stored).expect("index is inside the tree");
        assert_eq!(got, want, "inclusion proof {index}:{size}");
        let leaf = leaf_hash(&leaves[index as usize]);
        verify_inclusion(index, size, &leaf, &got, &hd(ROOTS[size as usize]))
            .expect("vector proof verifies");
    }
}

#[test]
fn consistency_vectors() {
    let cases: &[(u64, u64, &[&str])] = &[
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    let stored = stored();
    for &(old, new, want) in cases {
        let want: Vec<Hash> = want.iter().map(|h| hd(h)).collect();
        let got = prove_consistency(old, new, &stored).expect("sizes are ordered");
        assert_eq!(got, want, "consistency proof {old}:{new}");
        verify_consistency(
            old,
            new,
            &got,
            &hd(ROOTS[old as usize]),
            &hd(ROOTS[new as usize]),
        )
        .expect("vector proof verifies");
    }
}

#[test]
fn pinned_error_variants() {
    let stored = stored();
    let root8 = hd(ROOTS[8]);
    let leaf0 = leaf_hash(&leaf_inputs()[0]);
    assert!(matches!(
        prove_inclusion(8, 8, &stored),
        Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
    ));
    assert!(matches!(
        prove_consistency(0, 8, &stored),
        Err(ProofError::EmptyOldTree)
    ));
    assert!(matches!(
        prove_consistency(5, 4, &stored),
        Err(ProofError::SizesOutOfOrder { old: 5, new: 4 })
    ));
    let proof = prove_inclusion(0, 8, &stored).expect("in range");
    assert!(matches!(
        verify_inclusion(0, 8, &leaf0, &proof[..2], &root8),
        Err(ProofError::WrongProofLength { got: 2, want: 3 })
    ));
    assert!(matches!(
        verify_inclusion(1, 8, &leaf0, &proof, &root8),
        Err(ProofError::RootMismatch)
    ));
    let cons = prove_consistency(6, 8, &stored).expect("ordered");
    assert!(matches!(
        verify_consistency(6, 8, &cons, &hd(ROOTS[5]), &root8),
        Err(ProofError::OldRootMismatch)
    ));
    assert!(matches!(
        verify_consistency(6, 8, &cons, &hd(ROOTS[6]), &hd(ROOTS[7])),
        Err(ProofError::RootMismatch)
    ));
    // A short hash reader is reported, not trusted.
    assert!(matches!(
        tree_hash(8, &stored[..3].to_vec()),
        Err(ProofError::Read(_))
    ));
}
