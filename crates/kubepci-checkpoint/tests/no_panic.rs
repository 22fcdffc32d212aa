//! The parsers never panic: arbitrary bytes and mutations of valid inputs go through
//! `fuzz_parse` (the body of the `checkpoint_parse` fuzz target).

use kubepci_checkpoint::{Checkpoint, NoteSigner, fuzz_parse, sign_checkpoint};
use proptest::prelude::*;

fn valid_note() -> String {
    let signer = NoteSigner::from_seed("example.com/log", [0x42; 32]);
    sign_checkpoint(
        &Checkpoint {
            origin: "example.com/log".into(),
            size: 5,
            root: kubepci_tlog::leaf_hash(b"r"),
            extensions: vec![],
        },
        &signer,
    )
    .expect("origin matches")
    .note
}

proptest! {
    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzz_parse(&data);
    }

    #[test]
    fn mutated_valid_notes(at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let note = valid_note().into_bytes();
        let mut mutated = note.clone();
        let i = at.index(mutated.len());
        mutated[i] = byte;
        fuzz_parse(&mutated);
        fuzz_parse(&note[..cut.index(note.len())]);
        let proof = format!("c2sp.org/tlog-proof@v1\nindex 3\n\n{}", String::from_utf8_lossy(&mutated));
        fuzz_parse(proof.as_bytes());
    }
}
