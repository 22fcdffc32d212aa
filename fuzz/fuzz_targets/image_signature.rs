//! Signature artifacts from a registry (payloads, bundles, JWS envelopes, keys, certificates,
//! credentials files) never make a parser panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kubepci_imagesig::fuzz_signature_artifacts(data);
});
