//! EventList / Event / Falco alert decoding never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kubepci_auditlog::event::fuzz_decode(data);
});
