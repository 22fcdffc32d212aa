//! Signed-note, checkpoint, key and proof parsing never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kubepci_checkpoint::fuzz_parse(data);
});
