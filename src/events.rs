//! Events the client emits: readiness, artifact downloads, geo updates, notification failures.
//!
//! Subscribe with a callback at create time ([`ClientOptions::on_event`](crate::ClientOptions::on_event))
//! or at any time later with [`TargetClient::subscribe`](crate::TargetClient::subscribe).

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::delivery::types::{DeliveryRequest, Geo};

/// Something that happened inside the client.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// The client can decide: at once for server-side, once the artifact is loaded otherwise.
    ClientReady,
    /// A rules artifact was downloaded (a 200, not a 304).
    ArtifactDownloadSucceeded {
        /// Where it came from.
        artifact_location: String,
    },
    /// A rules artifact download failed; it is retried.
    ArtifactDownloadFailed {
        /// Where it was fetched from.
        artifact_location: String,
        /// Why it failed.
        error: String,
    },
    /// Geo values arrived, from an artifact download's headers or a geo lookup.
    GeoLocationUpdated {
        /// The values.
        geo: Geo,
    },
    /// Background notifications (for on-device decisions) could not be sent.
    SendNotificationError {
        /// The notification request that was not delivered.
        request: Box<DeliveryRequest>,
        /// Why.
        error: String,
    },
}

impl Event {
    /// The event's name as the Python SDK spells it, such as `client_ready`.
    ///
    /// ```
    /// assert_eq!(adobe_target::Event::ClientReady.name(), "client_ready");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Self::ClientReady => "client_ready",
            Self::ArtifactDownloadSucceeded { .. } => "artifact_download_succeeded",
            Self::ArtifactDownloadFailed { .. } => "artifact_download_failed",
            Self::GeoLocationUpdated { .. } => "geo_location_updated",
            Self::SendNotificationError { .. } => "send_notification_error",
        }
    }
}

/// A callback for events.
pub(crate) type Handler = Arc<dyn Fn(&Event) + Send + Sync>;

/// Fans events out to the callbacks given at create time and to live subscribers.
pub(crate) struct EventBus {
    handlers: Vec<Handler>,
    sender: broadcast::Sender<Event>,
}

impl EventBus {
    pub(crate) fn new(handlers: Vec<Handler>) -> Self {
        let (sender, _) = broadcast::channel(256);
        Self { handlers, sender }
    }

    pub(crate) fn emit(&self, event: Event) {
        tracing::debug!(event = event.name(), "event");
        for handler in &self.handlers {
            handler(&event);
        }
        // No subscriber is not an error.
        let _ = self.sender.send(event);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("handlers", &self.handlers.len())
            .finish()
    }
}
