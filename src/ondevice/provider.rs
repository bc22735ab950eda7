//! Loading the rules artifact and keeping it fresh: first download retried until it succeeds,
//! then polling with `If-None-Match`, each new version swapped in atomically. The network is
//! reached only through the [`Cdn`] the facade provides.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use chrono::Utc;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::engine::artifact::Artifact;
use super::engine::obfuscation;
use crate::delivery::types::Geo;
use crate::error::Result;
use crate::events::{Event, EventBus};
use crate::options::ArtifactFormat;
use crate::remote::telemetry::{TelemetryStore, download_entry};

/// What an artifact download brought.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// 304: the artifact did not change.
    NotModified,
    /// 200: a (possibly) new artifact.
    Body {
        bytes: Bytes,
        etag: Option<String>,
        /// Geo values from the response's `x-geo-*` headers.
        geo: Box<Geo>,
    },
}

/// The CDN, as the engine sees it.
pub(crate) trait Cdn: Send + Sync + 'static {
    /// `GET url`, with `If-None-Match: etag` when given.
    fn fetch_artifact<'a>(
        &'a self,
        url: &'a str,
        etag: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched>>;
    /// The geo values for an IP address (`None`: the caller's own address).
    fn lookup_geo<'a>(&'a self, ip: Option<&'a str>) -> BoxFuture<'a, Result<Geo>>;
}

/// An artifact in use, with what traces report about it.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) artifact: Artifact,
    pub(crate) trace: Value,
}

/// Where the artifact comes from and how often it is refreshed.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub(crate) location: String,
    pub(crate) payload: Option<Arc<Value>>,
    /// A payload as a file's bytes, in `format`.
    pub(crate) payload_bytes: Option<Arc<[u8]>>,
    pub(crate) format: ArtifactFormat,
    /// The key of a `rules.bin`.
    pub(crate) organization_id: String,
    pub(crate) polling_interval: Duration,
}

impl Source {
    /// The artifact in a downloaded or given file.
    fn read(&self, bytes: &[u8]) -> Result<Artifact> {
        match self.format {
            ArtifactFormat::Json => Artifact::from_slice(bytes),
            ArtifactFormat::Bin => {
                Artifact::from_slice(&obfuscation::deobfuscate(bytes, &self.organization_id)?)
            }
        }
    }
}

/// The first download's outcome.
enum Attempts {
    /// An artifact was installed, or (when polling) this round's attempts are spent.
    Done,
    /// A failure retrying cannot mend; polling (if on) tries again at its interval.
    GaveUp,
    Stopped,
}

/// The artifact provider: owns the current artifact and the polling loop.
pub(crate) struct Provider {
    source: Source,
    current: watch::Sender<Option<Arc<Loaded>>>,
    /// The last failed attempt since the last success. One that is not retryable (an artifact
    /// that does not parse or has an unsupported version, a 4xx, a missing file) is one that
    /// retrying cannot mend: `ready()` says so at once instead of waiting.
    failure: watch::Sender<Option<Arc<crate::error::Error>>>,
    events: Arc<EventBus>,
    telemetry: Arc<TelemetryStore>,
    retrievals: std::sync::atomic::AtomicU64,
}

impl Provider {
    /// A provider; with a payload, it is loaded at once (an invalid payload is an error).
    pub(crate) fn new(
        source: Source,
        events: Arc<EventBus>,
        telemetry: Arc<TelemetryStore>,
    ) -> Result<Self> {
        let provider = Self {
            current: watch::Sender::new(None),
            failure: watch::Sender::new(None),
            source,
            events,
            telemetry,
            retrievals: std::sync::atomic::AtomicU64::new(0),
        };
        if let Some(payload) = provider.source.payload.clone() {
            let artifact = Artifact::from_value(&payload)?;
            provider.install(artifact);
        } else if let Some(bytes) = provider.source.payload_bytes.clone() {
            let artifact = provider.source.read(&bytes)?;
            provider.install(artifact);
        }
        Ok(provider)
    }

    /// Follows the current artifact.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Option<Arc<Loaded>>> {
        self.current.subscribe()
    }

    /// Follows the last failed attempt (`None` after a success).
    pub(crate) fn failures(&self) -> watch::Receiver<Option<Arc<crate::error::Error>>> {
        self.failure.subscribe()
    }

    fn install(&self, artifact: Artifact) {
        let count = self
            .retrievals
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let mut trace = serde_json::Map::new();
        let location = if self.source.payload.is_some() {
            "NOT_APPLICABLE".to_owned()
        } else {
            self.source.location.clone()
        };
        trace.insert("artifactLocation".to_owned(), json!(location));
        trace.insert(
            "pollingInterval".to_owned(),
            json!(self.source.polling_interval.as_millis() as u64),
        );
        trace.insert(
            "pollingHalted".to_owned(),
            json!(self.source.polling_interval.is_zero()),
        );
        trace.insert("artifactVersion".to_owned(), json!(artifact.version));
        trace.insert("artifactRetrievalCount".to_owned(), json!(count));
        trace.insert(
            "artifactLastRetrieved".to_owned(),
            json!(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        trace.extend(artifact.meta.clone());
        tracing::info!(version = %artifact.version, rules = artifact.rule_count(), "artifact loaded");
        let first = self.current.borrow().is_none();
        self.failure.send_replace(None);
        self.current.send_replace(Some(Arc::new(Loaded {
            artifact,
            trace: Value::Object(trace),
        })));
        if first {
            self.events.emit(Event::ClientReady);
        }
    }

    /// Downloads once; `Ok(true)` when a new artifact was installed.
    async fn download(&self, cdn: &dyn Cdn, etag: &mut Option<String>) -> Result<bool> {
        let location = self.source.location.as_str();
        let started = Instant::now();
        let fetched = cdn.fetch_artifact(location, etag.as_deref()).await?;
        let Fetched::Body {
            bytes,
            etag: new_etag,
            geo,
        } = fetched
        else {
            tracing::debug!("artifact not modified");
            return Ok(false);
        };
        let artifact = self.source.read(&bytes)?;
        self.telemetry.add(download_entry(
            crate::ids::new_id(),
            Utc::now().timestamp_millis(),
            started.elapsed(),
        ));
        *etag = new_etag;
        self.events.emit(Event::ArtifactDownloadSucceeded {
            artifact_location: location.to_owned(),
        });
        if super::engine::geo::has_location(&geo) {
            self.events.emit(Event::GeoLocationUpdated { geo: *geo });
        }
        self.install(artifact);
        Ok(true)
    }

    /// Loads the first artifact (retrying with backoff until it succeeds), then polls until
    /// `shutdown` turns true.
    pub(crate) async fn run(
        self: Arc<Self>,
        cdn: Arc<dyn Cdn>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut etag = None;
        let cdn = cdn.as_ref();
        // The first artifact: until it loads, up to 30 s between attempts. (The borrow of
        // `current` ends before the download installs into it.)
        let unloaded = self.current.borrow().is_none();
        let max_delay = Duration::from_secs(30);
        if unloaded {
            let first = self
                .download_retrying(cdn, &mut etag, &mut shutdown, None, max_delay)
                .await;
            if matches!(first, Attempts::Stopped) {
                return;
            }
        }
        let interval = self.source.polling_interval;
        if interval.is_zero() {
            return;
        }
        // Then a poll each interval, of up to 3 attempts.
        let max_delay = interval.min(Duration::from_secs(30));
        loop {
            if stopped(&mut shutdown, interval).await {
                return;
            }
            let poll = self
                .download_retrying(cdn, &mut etag, &mut shutdown, Some(3), max_delay)
                .await;
            if matches!(poll, Attempts::Stopped) {
                return;
            }
        }
    }

    /// Downloads until an attempt succeeds, fails in a way retrying cannot mend, or `attempts`
    /// have failed, with backoff up to `max_delay` between them.
    async fn download_retrying(
        &self,
        cdn: &dyn Cdn,
        etag: &mut Option<String>,
        shutdown: &mut watch::Receiver<bool>,
        attempts: Option<usize>,
        max_delay: Duration,
    ) -> Attempts {
        let mut delays = backoff(max_delay);
        let mut failed = 0;
        loop {
            let error = match self.download_unless_stopped(cdn, etag, shutdown).await {
                None => return Attempts::Stopped,
                Some(Ok(_)) => return Attempts::Done,
                Some(Err(error)) => error,
            };
            failed += 1;
            let permanent = !error.is_retryable();
            let retry_in = (!permanent && attempts.is_none_or(|n| failed < n))
                .then(|| delays.next().unwrap_or(max_delay));
            self.failed(error, permanent, retry_in);
            match retry_in {
                None if permanent => return Attempts::GaveUp,
                None => return Attempts::Done,
                Some(delay) if stopped(shutdown, delay).await => return Attempts::Stopped,
                Some(_) => {}
            }
        }
    }

    /// A download, abandoned as soon as shutdown is asked for (`None`).
    async fn download_unless_stopped(
        &self,
        cdn: &dyn Cdn,
        etag: &mut Option<String>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Option<Result<bool>> {
        tokio::select! {
            result = self.download(cdn, etag) => Some(result),
            _ = shutdown.wait_for(|stop| *stop) => None,
        }
    }

    /// Reports a failed attempt: a `warn` line saying when the next one is, the event, and
    /// the failure `ready()` reports.
    fn failed(&self, error: crate::error::Error, permanent: bool, retry_in: Option<Duration>) {
        let location = self.source.location.as_str();
        let polling = self.source.polling_interval;
        match retry_in {
            Some(delay) => tracing::warn!(
                %error, location, retry_in_ms = delay.as_millis() as u64,
                "Failed to retrieve artifact; retrying"
            ),
            None if polling.is_zero() => tracing::warn!(
                %error, location, permanent,
                "Failed to retrieve artifact; polling is off, no more attempts"
            ),
            None => tracing::warn!(
                %error, location, permanent, retry_in_ms = polling.as_millis() as u64,
                "Failed to retrieve artifact; next attempt at the polling interval"
            ),
        }
        self.events.emit(Event::ArtifactDownloadFailed {
            artifact_location: location.to_owned(),
            error: error.to_string(),
        });
        self.failure.send_replace(Some(Arc::new(error)));
    }
}

fn backoff(max: Duration) -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(max)
        .with_jitter()
        .without_max_times()
        .build()
}

/// Sleeps `delay`; true when shutdown was asked for meanwhile.
async fn stopped(shutdown: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    let slept = tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        // A dropped sender (the client is gone) also ends the wait.
        _ = shutdown.wait_for(|stop| *stop) => false,
    };
    !slept || *shutdown.borrow()
}
