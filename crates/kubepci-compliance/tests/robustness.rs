//! The parsers of untrusted input never panic: random bytes, and mutations of valid inputs.

mod common;

use proptest::prelude::*;

fn example_inputs() -> &'static [Vec<u8>] {
    static INPUTS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    INPUTS.get_or_init(build_inputs)
}

fn build_inputs() -> Vec<Vec<u8>> {
    let mut report = common::example_report();
    let signer = kubepci_checkpoint::NoteSigner::from_seed("fuzz.example.com", [0x42; 32]);
    kubepci_compliance::sign::sign(&mut report, &signer).expect("signs");
    let attestations =
        std::fs::read(common::examples().join("attestations.yaml")).expect("example register");
    vec![
        kubepci_compliance::render::json(&report).into_bytes(),
        attestations,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        kubepci_compliance::fuzz_parse(&data);
    }

    #[test]
    fn mutated_inputs_never_panic(which in 0usize..2, at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let inputs = example_inputs();
        let mut data = inputs[which].clone();
        let i = at.index(data.len());
        data[i] = byte;
        kubepci_compliance::fuzz_parse(&data);
        let keep = cut.index(data.len());
        kubepci_compliance::fuzz_parse(&data[..keep]);
    }
}

#[test]
fn the_signed_example_verifies_through_the_fuzz_key() {
    // The mutation test starts from a report that verifies, so mutations reach the digest
    // comparison rather than failing at the signature.
    let key = kubepci_checkpoint::NoteSigner::from_seed("fuzz.example.com", [0x42; 32]).verifier();
    let inputs = example_inputs();
    kubepci_compliance::sign::verify(&inputs[0], &key).expect("verifies");
}
