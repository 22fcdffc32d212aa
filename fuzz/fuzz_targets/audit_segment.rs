//! Reading a segment file (frames, leaf records, zstd blocks) never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kubepci_auditlog::segment::fuzz_segment(data);
});
