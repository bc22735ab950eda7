//! Arbitrary option maps are read and validated into typed errors, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| adobe_target::fuzzing::options_map(data));
