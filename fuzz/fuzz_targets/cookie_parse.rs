//! Arbitrary `mbox` cookie values parse (dropping what is malformed), never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(value) = std::str::from_utf8(data) {
        adobe_target::fuzzing::cookie(value);
    }
});
