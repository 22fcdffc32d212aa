//! Whatever a registry serves, the parsers answer with an error, never a panic (the same
//! entry point as the fuzz target, on random and on almost-valid inputs).

use proptest::prelude::*;

proptest! {
    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        kubepci_imagesig::fuzz_signature_artifacts(&data);
    }

    #[test]
    fn mangled_json_artifacts_never_panic(cut in 0usize..400, byte in any::<u8>(), at in 0usize..400) {
        let samples = [
            r#"{"critical":{"identity":{"docker-reference":"r/x"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}"#,
            r#"{"SignedEntryTimestamp":"AQID","Payload":{"body":"e30=","integratedTime":5,"logIndex":9,"logID":"0a0b"}}"#,
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AA=="},"tlogEntries":[{"logIndex":"1","logId":{"keyId":"AA=="},"integratedTime":"1","inclusionProof":{"logIndex":"0","rootHash":"AA==","treeSize":"1","hashes":[],"checkpoint":{"envelope":"x"}},"canonicalizedBody":"e30="}]},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}"#,
            r#"{"payload":"e30","protected":"eyJhbGciOiJFUzI1NiJ9","header":{"x5c":["AA=="]},"signature":"AA"}"#,
            r#"{"auths":{"r.example":{"auth":"YTpi"}}}"#,
        ];
        for sample in samples {
            let mut bytes = sample.as_bytes().to_vec();
            bytes.truncate(cut.min(bytes.len()));
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = byte;
            }
            kubepci_imagesig::fuzz_signature_artifacts(&bytes);
        }
    }
}
