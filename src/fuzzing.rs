//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; not a stable API). Each takes
//! arbitrary bytes and must return, never panic.

use chrono::{TimeZone, Utc};

use crate::delivery::types::{DeliveryRequest, DeliveryResponse};
use crate::ondevice::engine::artifact::Artifact;
use crate::ondevice::engine::decide::{DecideInput, decide};
use crate::remote::cookies::MboxCookie;

/// Parses an artifact, and when it loads, decides a request (also from the input) against it.
pub fn artifact_and_decision(artifact: &[u8], request: &[u8]) {
    let Ok(artifact) = Artifact::from_slice(artifact) else {
        return;
    };
    let Ok(request) = serde_json::from_slice::<DeliveryRequest>(request) else {
        return;
    };
    let now = Utc
        .timestamp_millis_opt(1_700_000_000_000)
        .single()
        .unwrap_or_default();
    let trace = serde_json::Value::Null;
    let new_id = || "fuzz".to_owned();
    let _ = decide(&DecideInput {
        artifact: &artifact,
        client: "fuzz",
        request: &request,
        session_id: "fuzz-session",
        now,
        artifact_trace: &trace,
        new_id: &new_id,
        known_local: false,
        explain: false,
    });
}

/// Decodes a Delivery API response body.
pub fn response(body: &[u8]) {
    let _ = serde_json::from_slice::<DeliveryResponse>(body);
}

/// Parses an `mbox` cookie value.
pub fn cookie(value: &str) {
    let cookie = MboxCookie::parse(value, 1_700_000_000);
    let _ = (cookie.session_id(), cookie.device_id());
}

/// Reads and validates client options from a JSON map, and per-call options too.
pub fn options_map(map: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(map) else {
        return;
    };
    if let Ok(options) = crate::ClientOptions::from_map(value.clone()) {
        let _ = options.validate();
        let _ = options.artifact_url();
    }
    let _ = crate::GetOffersOptions::from_map(value);
}
