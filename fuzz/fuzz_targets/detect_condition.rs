//! Parsing a Falco condition never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kubepci_detect::condition::fuzz_parse(data);
});
