//! The on-device and hybrid settings of [`ClientOptions`]: the rules artifact (where it comes
//! from, its format, its polling), geo lookups, and the background display notifications
//! (their concurrency, queue, overflow policy, or a handler in their place).

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::{ArtifactFormat, ClientOptions, invalid};
use crate::delivery::types::DeliveryRequest;
use crate::error::{Error, Result};

/// The default [`ClientOptions::notification_concurrency`].
pub const DEFAULT_NOTIFICATION_CONCURRENCY: NonZeroUsize = match NonZeroUsize::new(256) {
    Some(limit) => limit,
    None => NonZeroUsize::MIN,
};
/// The default [`ClientOptions::notification_queue_bytes`]: 64 MiB.
pub const DEFAULT_NOTIFICATION_QUEUE_BYTES: usize = 64 << 20;

/// What an on-device call does when the display-notification queue is full.
///
/// ```
/// use std::time::Duration;
/// use adobe_target::{ClientOptions, NotificationOverflow};
/// let options = ClientOptions::new("acmeclient", "org@AdobeOrg")
///     .notification_overflow(NotificationOverflow::Wait(Duration::from_millis(20)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationOverflow {
    /// The call waits up to this long for room before deciding; a notification that still
    /// finds none is refused and reported.
    Wait(Duration),
    /// A notification that finds no room is refused and reported at once; the call never waits.
    Refuse,
}

impl Default for NotificationOverflow {
    fn default() -> Self {
        Self::Wait(Duration::from_millis(100))
    }
}

/// Receives the notification requests of on-device decisions instead of the SDK sending them.
pub(crate) type NotificationHandler = Arc<dyn Fn(DeliveryRequest) + Send + Sync>;

impl ClientOptions {
    /// How often the on-device artifact is refreshed; zero turns polling off. Default 5 minutes.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    /// use std::time::Duration;
    ///
    /// // Look for a new artifact every minute; `Duration::ZERO` loads it once.
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").polling_interval(Duration::from_secs(60));
    /// # let _ = options;
    /// ```
    pub fn polling_interval(mut self, interval: Duration) -> Self {
        self.polling_interval = interval;
        self
    }

    /// How long [`TargetClient::ready`](crate::TargetClient::ready) waits for the artifact. Default: no limit.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    /// use std::time::Duration;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").maximum_wait_ready(Duration::from_secs(5));
    /// # let _ = options;
    /// ```
    pub fn maximum_wait_ready(mut self, wait: Duration) -> Self {
        self.maximum_wait_ready = Some(wait);
        self
    }

    /// The URL of the rules artifact, instead of the one computed from client and environment.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg")
    ///     .artifact_location("https://cdn.acme.example/target/rules.json");
    /// # #[cfg(feature = "on-device")]
    /// assert_eq!(options.artifact_url()?, "https://cdn.acme.example/target/rules.json");
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn artifact_location(mut self, url: impl Into<String>) -> Self {
        self.artifact_location = Some(url.into());
        self
    }

    /// A rules artifact file to load (and, with polling, to reload when it changes).
    ///
    /// ```
    /// use adobe_target::{ClientOptions, DecisioningMethod};
    /// let options = ClientOptions::new("acmeclient", "org@AdobeOrg")
    ///     .decisioning_method(DecisioningMethod::OnDevice)
    ///     .artifact_file("/etc/target/rules.json")?;
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn artifact_file(self, path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let absolute = std::path::absolute(path).map_err(Error::Io)?;
        let url = url::Url::from_file_path(&absolute).map_err(|()| {
            invalid(
                "artifact_location",
                format!("{} is not a usable file path", path.display()),
            )
        })?;
        Ok(self.artifact_location(url.to_string()))
    }

    /// A rules artifact to start from, so no first download is needed.
    ///
    /// ```
    /// # #[cfg(feature = "on-device")]
    /// # async fn run() -> adobe_target::Result<()> {
    /// use adobe_target::{ClientOptions, DecisioningMethod, TargetClient};
    ///
    /// let artifact = serde_json::json!({"version": "1.0.0", "meta": {"clientCode": "acme"}});
    /// let client = TargetClient::create(
    ///     ClientOptions::new("acme", "org@AdobeOrg")
    ///         .decisioning_method(DecisioningMethod::OnDevice)
    ///         .artifact_payload(artifact),
    /// )
    /// .await?;
    /// client.ready().await?;
    /// # Ok(()) }
    /// # #[cfg(feature = "on-device")]
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
    /// ```
    pub fn artifact_payload(mut self, artifact: Value) -> Self {
        self.artifact_payload = Some(Arc::new(artifact));
        self
    }

    /// A rules artifact to start from, as the bytes of a file in the
    /// [`artifact_format`](Self::artifact_format): a `rules.json`, or an obfuscated `rules.bin`.
    ///
    /// ```
    /// use adobe_target::{ArtifactFormat, ClientOptions, DecisioningMethod};
    /// # let bytes: Vec<u8> = Vec::new();
    /// let options = ClientOptions::new("acmeclient", "65453EA95A70434F0A495D34@AdobeOrg")
    ///     .decisioning_method(DecisioningMethod::OnDevice)
    ///     .artifact_format(ArtifactFormat::Bin)
    ///     .artifact_bytes(bytes);
    /// ```
    pub fn artifact_bytes(mut self, artifact: impl Into<Vec<u8>>) -> Self {
        self.artifact_bytes = Some(Arc::from(artifact.into()));
        self
    }

    /// Whether the artifact is downloaded and read as `rules.json` (default) or as the
    /// obfuscated `rules.bin`. Without it, an `artifact_location` ending in `.bin` is read as
    /// `bin`, as in the Node.js SDK.
    ///
    /// ```
    /// use adobe_target::{ArtifactFormat, ClientOptions};
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").artifact_format(ArtifactFormat::Bin);
    /// # #[cfg(feature = "on-device")]
    /// assert!(options.artifact_url()?.ends_with("/rules.bin"));
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn artifact_format(mut self, format: ArtifactFormat) -> Self {
        self.artifact_format = Some(format);
        self
    }

    /// The CDN environment: `production` (default), `staging` or `development`.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").cdn_environment("staging");
    /// # #[cfg(feature = "on-device")]
    /// assert!(options.artifact_url()?.starts_with("https://assets.staging.adobetarget.com/"));
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn cdn_environment(mut self, environment: impl Into<String>) -> Self {
        self.cdn_environment = environment.into();
        self
    }

    /// The CDN host for the artifact and geo lookups, instead of `assets.adobetarget.com`
    /// (`https://` is assumed; give `http://host:port` for a local mirror).
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").cdn_base_path("http://127.0.0.1:9000");
    /// # #[cfg(feature = "on-device")]
    /// assert_eq!(options.artifact_url()?, "http://127.0.0.1:9000/acme/production/v1/rules.json");
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn cdn_base_path(mut self, host: impl Into<String>) -> Self {
        self.cdn_base_path = Some(host.into());
        self
    }

    /// How many display-notification requests of on-device decisions are in flight at once.
    /// Default 256: at an Edge that answers in 50 ms, about 5,000 a second per client. Each
    /// request reports one visitor's decisions of one call.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use adobe_target::ClientOptions;
    ///
    /// let limit = NonZeroUsize::new(64).expect("not zero");
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").notification_concurrency(limit);
    /// # let _ = options;
    /// ```
    pub fn notification_concurrency(mut self, limit: NonZeroUsize) -> Self {
        self.notification_concurrency = limit;
        self
    }

    /// How much memory notifications waiting to be sent (and in flight) may take, by an
    /// estimate of their size. Default 64 MiB (tens of thousands of typical requests).
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").notification_queue_bytes(16 << 20);
    /// # let _ = options;
    /// ```
    pub fn notification_queue_bytes(mut self, bytes: usize) -> Self {
        self.notification_queue_bytes = bytes;
        self
    }

    /// What an on-device call does when the notification queue is full: wait briefly for room
    /// (default: up to 100 ms), or refuse at once. A notification that finds no room is
    /// reported with [`Event::SendNotificationError`](crate::Event::SendNotificationError) and a `warn` line, never dropped silently.
    ///
    /// ```
    /// use adobe_target::{ClientOptions, NotificationOverflow};
    ///
    /// // Never make a call wait: refuse and report when the queue is full.
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").notification_overflow(NotificationOverflow::Refuse);
    /// # let _ = options;
    /// ```
    pub fn notification_overflow(mut self, policy: NotificationOverflow) -> Self {
        self.notification_overflow = policy;
        self
    }

    /// Hands the notification requests of on-device decisions to `handler` instead of sending
    /// them to Target (to batch them yourself, or to inspect them offline), prepared as they
    /// would be sent: request id, visitor ids, supplemental data id and the rest filled in.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// // Send on-device display notifications yourself (a queue of your own, for example).
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").notification_handler(|request| {
    ///     println!("{}", serde_json::to_string(&request).unwrap_or_default());
    /// });
    /// # let _ = options;
    /// ```
    pub fn notification_handler(
        mut self,
        handler: impl Fn(DeliveryRequest) + Send + Sync + 'static,
    ) -> Self {
        self.notification_handler = Some(Arc::new(handler));
        self
    }

    /// Whether on-device decisions look up the geo of a request that has an IP address but no
    /// location, when the artifact targets by geo (one CDN call per such request). Default true.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// // Decide geo-targeted rules only from the request's own geo fields.
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").geo_lookup(false);
    /// # let _ = options;
    /// ```
    pub fn geo_lookup(mut self, enabled: bool) -> Self {
        self.geo_lookup = enabled;
        self
    }
}
