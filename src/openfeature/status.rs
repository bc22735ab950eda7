//! The provider's status and events, following the client's.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use open_feature::provider::ProviderStatus;
use tokio::sync::broadcast;

use crate::client::TargetClient;
use crate::events::Event;

/// What happened to the provider, as the OpenFeature spec names provider events.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderEvent {
    /// The client can decide (`PROVIDER_READY`).
    Ready,
    /// A new rules artifact was loaded (`PROVIDER_CONFIGURATION_CHANGED`).
    ConfigurationChanged,
    /// A download failed; decisions go on with the artifact loaded before (`PROVIDER_STALE`).
    Stale {
        /// Why the download failed.
        error: String,
    },
    /// The client cannot decide yet (`PROVIDER_ERROR`).
    Error {
        /// Why.
        error: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    NotReady,
    Ready,
    Stale,
    Error,
}

/// The status, shared with the task that follows the client's events.
pub(crate) struct Status {
    state: Mutex<State>,
    /// Whether a task follows the client's events already (`initialize` may run again).
    following: AtomicBool,
    events: broadcast::Sender<ProviderEvent>,
}

impl Default for Status {
    fn default() -> Self {
        Self {
            state: Mutex::new(State::NotReady),
            following: AtomicBool::new(false),
            events: broadcast::channel(64).0,
        }
    }
}

impl Status {
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ProviderEvent> {
        self.events.subscribe()
    }

    pub(crate) fn get(&self) -> ProviderStatus {
        match self.state.lock().map(|s| *s).unwrap_or(State::Error) {
            State::NotReady => ProviderStatus::NotReady,
            State::Ready => ProviderStatus::Ready,
            State::Stale => ProviderStatus::STALE,
            State::Error => ProviderStatus::Error,
        }
    }

    /// Moves to `state` and tells subscribers `event`.
    fn set(&self, state: State, event: ProviderEvent) {
        if let Ok(mut current) = self.state.lock() {
            *current = state;
        }
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }

    fn is(&self, state: State) -> bool {
        self.state.lock().is_ok_and(|s| *s == state)
    }

    /// Waits for `client` to be ready (at most `limit`), then follows its events in a task
    /// that ends with the client.
    pub(crate) async fn follow(
        self: &std::sync::Arc<Self>,
        client: &TargetClient,
        limit: Duration,
    ) {
        let mut events = client.subscribe();
        match tokio::time::timeout(limit, client.ready()).await {
            Ok(Ok(())) => self.set(State::Ready, ProviderEvent::Ready),
            Ok(Err(error)) => {
                let error = error.to_string();
                self.set(State::Error, ProviderEvent::Error { error });
            }
            Err(_) => {
                let error = format!("the client was not ready within {limit:?}");
                self.set(State::Error, ProviderEvent::Error { error });
            }
        }
        // What happened while waiting is in the state already.
        while events.try_recv().is_ok() {}
        if self.following.swap(true, Ordering::SeqCst) {
            return;
        }
        let status = self.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => status.on(&event),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }

    fn on(&self, event: &Event) {
        match event {
            Event::ClientReady => self.set(State::Ready, ProviderEvent::Ready),
            Event::ArtifactDownloadSucceeded { .. } if self.is(State::Ready) => {
                self.set(State::Ready, ProviderEvent::ConfigurationChanged);
            }
            Event::ArtifactDownloadSucceeded { .. } => self.set(State::Ready, ProviderEvent::Ready),
            Event::ArtifactDownloadFailed { error, .. } => {
                let error = error.clone();
                if self.is(State::Ready) || self.is(State::Stale) {
                    self.set(State::Stale, ProviderEvent::Stale { error });
                } else {
                    self.set(State::Error, ProviderEvent::Error { error });
                }
            }
            _ => {}
        }
    }
}
