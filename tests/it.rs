//! Integration tests, in one binary so the crate links once.

mod generated_surface;
mod request_payloads;
mod response_payloads;
mod roundtrip;
mod support;
