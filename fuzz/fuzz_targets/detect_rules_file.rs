//! Loading and compiling a Falco rules file never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kubepci_detect::fuzz_load(data);
});
