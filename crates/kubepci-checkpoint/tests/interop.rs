//! Interoperability with independent implementations: the `signed_note` and `tlog_tiles` crates
//! (Cloudflare's ports of Go's `golang.org/x/mod/sumdb/note` and `sumdb/tlog`).
//!
//! Checkpoints we sign verify with `signed_note` and parse with `tlog_tiles`; notes signed by
//! `signed_note` verify here; proofs built here check with `tlog_tiles` and vice versa.

use kubepci_checkpoint::{
    Checkpoint, ConsistencyProof, InclusionProof, NoteSigner, NoteVerifier, open_checkpoint,
    sign_checkpoint,
};
use kubepci_tlog::{CompactRange, Hash, leaf_hash, prove_consistency, prove_inclusion};
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};

const ORIGIN: &str = "audit.example.com/kubepci";

struct Stored(Vec<tlog_tiles::Hash>);

impl tlog_tiles::HashReader for Stored {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

fn ours(h: &tlog_tiles::Hash) -> Hash {
    Hash(h.0)
}

fn theirs(h: &Hash) -> tlog_tiles::Hash {
    tlog_tiles::Hash(h.0)
}

/// Builds the same tree with both libraries, checking the stored hashes agree.
fn trees(n: u64) -> (Vec<Hash>, Stored, Vec<Hash>) {
    let mut range = CompactRange::new();
    let mut ours_stored = Vec::new();
    let mut theirs_stored = Stored(Vec::new());
    let mut leaves = Vec::new();
    for i in 0..n {
        let data = format!("event {i}");
        let new = tlog_tiles::stored_hashes(i, data.as_bytes(), &theirs_stored)
            .expect("in-memory reader");
        theirs_stored.0.extend(new);
        let leaf = leaf_hash(data.as_bytes());
        leaves.push(leaf);
        ours_stored.extend(range.append(leaf));
    }
    let converted: Vec<Hash> = theirs_stored.0.iter().map(ours).collect();
    assert_eq!(ours_stored, converted, "stored-hash layouts agree");
    (ours_stored, theirs_stored, leaves)
}

#[test]
fn our_checkpoints_verify_with_signed_note_and_parse_with_tlog_tiles() {
    let signer = NoteSigner::from_seed(ORIGIN, [9; 32]);
    let (stored, _, _) = trees(37);
    let root = kubepci_tlog::tree_hash(37, &stored).expect("in range");
    let signed = sign_checkpoint(
        &Checkpoint {
            origin: ORIGIN.into(),
            size: 37,
            root,
            extensions: vec![],
        },
        &signer,
    )
    .expect("origin matches the key");

    let verifier = StandardVerifier::new(&signer.verifier().to_string()).expect("vkey parses");
    let note = Note::from_bytes(signed.note.as_bytes()).expect("note parses");
    let (verified, _) = note
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .expect("signature verifies");
    assert_eq!(verified.len(), 1);
    let cp = tlog_tiles::Checkpoint::from_bytes(note.text()).expect("checkpoint parses");
    assert_eq!(cp.origin(), ORIGIN);
    assert_eq!(cp.size(), 37);
    assert_eq!(cp.hash().0, root.0);
}

#[test]
fn signed_note_checkpoints_verify_here() {
    let mut rng = rand_for_tests();
    let (skey, vkey) = signed_note::generate_key(&mut rng, ORIGIN);
    let ours_signer = NoteSigner::parse(&skey).expect("their private key format parses");
    assert_eq!(ours_signer.verifier().to_string(), vkey);
    let verifier = NoteVerifier::parse(&vkey).expect("their public key format parses");

    let (stored, _, _) = trees(10);
    let root = kubepci_tlog::tree_hash(10, &stored).expect("in range");
    let body = tlog_tiles::Checkpoint::new(ORIGIN, 10, tlog_tiles::Hash(root.0), "")
        .expect("valid checkpoint")
        .to_bytes();
    let signer = StandardSigner::new(&skey).expect("skey parses");
    let mut note = Note::new(&body, &[]).expect("valid text");
    note.add_sigs(&[&signer]).expect("signs");
    let opened = open_checkpoint(&note.to_bytes(), &verifier).expect("verifies here");
    assert_eq!(opened.checkpoint.size, 10);
    assert_eq!(opened.checkpoint.root, root);
}

#[test]
fn proofs_cross_check_with_tlog_tiles() {
    for n in [1u64, 2, 3, 7, 8, 9, 31, 64, 100] {
        let (stored, theirs_stored, leaves) = trees(n);
        let root = kubepci_tlog::tree_hash(n, &stored).expect("in range");
        let their_root = tlog_tiles::tree_hash(n, &theirs_stored).expect("in range");
        assert_eq!(their_root.0, root.0);
        for i in 0..n {
            let proof = prove_inclusion(i, n, &stored).expect("in range");
            let converted: Vec<tlog_tiles::Hash> = proof.iter().map(theirs).collect();
            tlog_tiles::check_record(&converted, n, their_root, i, theirs(&leaves[i as usize]))
                .expect("tlog_tiles accepts our inclusion proof");
            let their_proof = tlog_tiles::prove_record(n, i, &theirs_stored).expect("in range");
            let back: Vec<Hash> = their_proof.iter().map(ours).collect();
            kubepci_tlog::verify_inclusion(i, n, &leaves[i as usize], &back, &root)
                .expect("we accept tlog_tiles' inclusion proof");
        }
        for old in 1..=n {
            let old_root = kubepci_tlog::tree_hash(old, &stored).expect("in range");
            let proof = prove_consistency(old, n, &stored).expect("ordered");
            let converted: Vec<tlog_tiles::Hash> = proof.iter().map(theirs).collect();
            tlog_tiles::check_tree(&converted, n, their_root, old, theirs(&old_root))
                .expect("tlog_tiles accepts our consistency proof");
            let their_proof = tlog_tiles::prove_tree(n, old, &theirs_stored).expect("ordered");
            let back: Vec<Hash> = their_proof.iter().map(ours).collect();
            kubepci_tlog::verify_consistency(old, n, &back, &old_root, &root)
                .expect("we accept tlog_tiles' consistency proof");
        }
    }
}

#[test]
fn tlog_proof_and_witness_body_round_trip_and_verify() {
    let signer = NoteSigner::from_seed(ORIGIN, [3; 32]);
    let (stored, _, leaves) = trees(20);
    let sign = |size: u64| {
        let root = kubepci_tlog::tree_hash(size, &stored).expect("in range");
        sign_checkpoint(
            &Checkpoint {
                origin: ORIGIN.into(),
                size,
                root,
                extensions: vec![],
            },
            &signer,
        )
        .expect("origin matches")
    };
    let cp20 = sign(20);
    let proof = InclusionProof {
        extra: Some(b"leaf record".to_vec()),
        index: 13,
        hashes: prove_inclusion(13, 20, &stored).expect("in range"),
        checkpoint: cp20.note.clone(),
    };
    let text = proof.to_text();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "));
    let parsed = InclusionProof::parse(text.as_bytes()).expect("round trip");
    assert_eq!(parsed, proof);
    parsed
        .verify(&signer.verifier(), &leaves[13])
        .expect("inclusion verifies");
    assert!(parsed.verify(&signer.verifier(), &leaves[12]).is_err());

    let cp7 = sign(7);
    let cons = ConsistencyProof {
        old_size: 7,
        hashes: prove_consistency(7, 20, &stored).expect("ordered"),
        checkpoint: cp20.note.clone(),
    };
    let parsed = ConsistencyProof::parse(cons.to_text().as_bytes()).expect("round trip");
    assert_eq!(parsed, cons);
    parsed
        .verify(&signer.verifier(), &cp7.checkpoint)
        .expect("consistency verifies");
    let mut forked = cp7.checkpoint.clone();
    forked.root.0[0] ^= 1;
    assert!(parsed.verify(&signer.verifier(), &forked).is_err());
}

/// The OS random generator, in the rand_core version `signed_note` expects.
fn rand_for_tests() -> impl rand_core::CryptoRngCore {
    rand_core::OsRng
}
