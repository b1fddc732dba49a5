//! Fuzz target `invite`: see fuzz/harness.rs and fuzz/README.md.
#![no_main]

include!("../harness.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::run("invite", data);
});
