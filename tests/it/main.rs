//! Integration tests, in one binary so the crate links once.

// A remote-only build (`--no-default-features`) leaves out the on-device tests, and with them
// the only users of some shared helpers and imports.
#![cfg_attr(not(feature = "on-device"), allow(dead_code, unused_imports))]

mod architecture;
mod attributes;
#[cfg(feature = "blocking")]
mod blocking;
#[cfg(feature = "on-device")]
mod cli;
mod client_concurrency;
mod client_outcomes;
mod client_requests;
#[cfg(feature = "on-device")]
mod explain;
mod faults;
mod generated_surface;
mod host_injection;
#[cfg(feature = "on-device")]
mod load_smoke;
mod log_hygiene;
#[cfg(feature = "on-device")]
mod ondevice;
#[cfg(all(feature = "openfeature", feature = "on-device"))]
mod openfeature;
mod options_validation;
#[cfg(feature = "on-device")]
mod quickstart;
#[cfg(feature = "on-device")]
mod readiness;
mod request_payloads;
mod response_payloads;
mod roundtrip;
#[cfg(feature = "on-device")]
mod server_e2e;
mod stub;
mod support;
mod visitor_identity;
mod web_helpers;
