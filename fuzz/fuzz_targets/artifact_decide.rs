//! Arbitrary artifacts and requests: parsing and on-device decisions never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first line is the request, the rest the artifact.
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (request, artifact) = data.split_at(split);
    adobe_target::fuzzing::artifact_and_decision(artifact, request);
});
