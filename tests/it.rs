//! Integration tests, in one binary so the crate links once.

mod attributes;
#[cfg(feature = "blocking")]
mod blocking;
mod client_concurrency;
mod client_outcomes;
mod client_requests;
mod generated_surface;
mod options_validation;
mod request_payloads;
mod response_payloads;
mod roundtrip;
mod stub;
mod support;
