//! Arbitrary Delivery API response bodies decode or fail, never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| adobe_target::fuzzing::response(data));
