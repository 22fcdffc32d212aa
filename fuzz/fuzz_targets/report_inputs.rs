//! The report's parsers of untrusted input (attestation register, saved scan and segmentation
//! results, a report to verify, a recorded summary) never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kubepci_compliance::fuzz_parse(data);
});
