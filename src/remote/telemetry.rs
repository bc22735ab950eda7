//! Telemetry: how calls and artifact downloads performed, kept in memory (bounded) until the
//! next call to the Edge carries them, as the other Target SDKs do.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::delivery::types::{
    DecisioningMethod, DeliveryRequest, ExecutionMode, Telemetry, TelemetryEntry, TelemetryFeatures,
};

/// At most this many entries wait; the oldest are dropped first.
pub(crate) const MAX_ENTRIES: usize = 256;

/// The pending entries.
#[derive(Debug, Default)]
pub(crate) struct TelemetryStore {
    entries: Mutex<VecDeque<TelemetryEntry>>,
}

impl TelemetryStore {
    pub(crate) fn add(&self, entry: TelemetryEntry) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() == MAX_ENTRIES {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Moves every pending entry into `request`'s telemetry (made when there is one to move),
    /// under one lock and with no list in between.
    pub(crate) fn drain_into(&self, request: &mut DeliveryRequest) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.is_empty() {
            return;
        }
        let telemetry = request.telemetry.get_or_insert_with(Telemetry::default);
        telemetry.entries.extend(entries.drain(..));
    }
}

/// Milliseconds with two decimals, as the peers report them.
pub(crate) fn millis(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 100_000.0).round() / 100.0
}

/// The entry for one `get_offers` or `send_notifications`.
pub(crate) fn request_entry(
    request: &DeliveryRequest,
    method: DecisioningMethod,
    mode: ExecutionMode,
    timestamp: i64,
    execution: std::time::Duration,
    parsing: std::time::Duration,
) -> TelemetryEntry {
    let execute = request.execute.as_ref();
    let prefetch = request.prefetch.as_ref();
    let count = |n: usize| (n > 0).then(|| i32::try_from(n).unwrap_or(i32::MAX));
    let features = TelemetryFeatures {
        decisioning_method: Some(method),
        execute_mbox_count: execute.and_then(|e| count(e.mboxes.len())),
        execute_page_load: execute.and_then(|e| e.page_load.as_ref().map(|_| true)),
        prefetch_mbox_count: prefetch.and_then(|p| count(p.mboxes.len())),
        prefetch_page_load: prefetch.and_then(|p| p.page_load.as_ref().map(|_| true)),
        prefetch_view_count: prefetch.and_then(|p| count(p.views.len())),
        ..TelemetryFeatures::default()
    };
    TelemetryEntry {
        request_id: request.request_id.clone(),
        timestamp: Some(timestamp),
        mode: Some(mode),
        execution: Some(millis(execution)),
        parsing: Some(millis(parsing)),
        features: Some(features),
        ..TelemetryEntry::default()
    }
}

/// The entry for an artifact download.
#[cfg(feature = "on-device")]
pub(crate) fn download_entry(
    request_id: String,
    timestamp: i64,
    execution: std::time::Duration,
) -> TelemetryEntry {
    TelemetryEntry {
        request_id: Some(request_id),
        timestamp: Some(timestamp),
        execution: Some(millis(execution)),
        ..TelemetryEntry::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_bounded_and_drains() {
        let store = TelemetryStore::default();
        for i in 0..(MAX_ENTRIES + 10) {
            store.add(TelemetryEntry {
                request_id: Some(i.to_string()),
                ..TelemetryEntry::default()
            });
        }
        let mut request = DeliveryRequest::default();
        store.drain_into(&mut request);
        let drained = request.telemetry.map(|t| t.entries).unwrap_or_default();
        assert_eq!(drained.len(), MAX_ENTRIES);
        assert_eq!(
            drained[0].request_id.as_deref(),
            Some("10"),
            "the oldest were dropped"
        );
        // Nothing left: a second request gets no telemetry at all.
        let mut next = DeliveryRequest::default();
        store.drain_into(&mut next);
        assert_eq!(next.telemetry, None);
        assert_eq!(millis(std::time::Duration::from_micros(1234)), 1.23);
    }
}
