//! Integration tests, in one binary so the crate links once.

mod attributes;
#[cfg(feature = "blocking")]
mod blocking;
mod cdn_stub;
mod client_concurrency;
mod client_outcomes;
mod client_requests;
mod decide_cli;
mod faults;
mod generated_surface;
mod load_smoke;
mod log_hygiene;
mod ondevice;
mod options_validation;
mod request_payloads;
mod response_payloads;
mod roundtrip;
mod server_e2e;
mod stub;
mod support;
