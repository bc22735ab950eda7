//! `ClientOptions`: the typed options of a client and their setters.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::ondevice::{
    DEFAULT_NOTIFICATION_CONCURRENCY, DEFAULT_NOTIFICATION_QUEUE_BYTES, NotificationHandler,
    NotificationOverflow,
};
use super::{
    ArtifactFormat, Clock, DEFAULT_MAX_RETRIES, DEFAULT_POLLING_INTERVAL, DEFAULT_TIMEOUT,
};
use crate::delivery::types::DecisioningMethod;
use crate::events::{Event, Handler};

/// Options for [`TargetClient::create`](crate::TargetClient::create).
///
/// Build them with the typed setters, or from a map with the Python SDK's keys (Node.js
/// camelCase keys are accepted too). Either way [`validate`](Self::validate) applies the same
/// rules, and `create` calls it.
///
/// ```
/// use std::time::Duration;
/// use adobe_target::{ClientOptions, DecisioningMethod};
///
/// let typed = ClientOptions::new("acmeclient", "0123456789ABCDEF01234567@AdobeOrg")
///     .decisioning_method(DecisioningMethod::Hybrid)
///     .timeout(Duration::from_secs(2));
/// let mapped = ClientOptions::from_map(serde_json::json!({
///     "client": "acmeclient",
///     "organization_id": "0123456789ABCDEF01234567@AdobeOrg",
///     "decisioning_method": "hybrid",
///     "timeout": 2000,
/// }))?;
/// assert_eq!(format!("{typed:?}"), format!("{mapped:?}"));
/// # Ok::<(), adobe_target::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientOptions {
    pub(crate) client: String,
    /// Shared with every call's visitor (`Visitor::of_organization`), not copied into it.
    pub(crate) organization_id: Arc<str>,
    pub(crate) timeout: Duration,
    pub(crate) server_domain: Option<String>,
    pub(crate) target_location_hint: Option<String>,
    pub(crate) secure: bool,
    pub(crate) decisioning_method: DecisioningMethod,
    pub(crate) polling_interval: Duration,
    pub(crate) maximum_wait_ready: Option<Duration>,
    pub(crate) artifact_location: Option<String>,
    pub(crate) artifact_payload: Option<Arc<Value>>,
    pub(crate) artifact_bytes: Option<Arc<[u8]>>,
    pub(crate) artifact_format: Option<ArtifactFormat>,
    pub(crate) environment_id: Option<i64>,
    pub(crate) environment: String,
    pub(crate) cdn_environment: String,
    pub(crate) cdn_base_path: Option<String>,
    pub(crate) telemetry_enabled: bool,
    pub(crate) version: Option<String>,
    pub(crate) property_token: Option<String>,
    pub(crate) http_client: Option<reqwest::Client>,
    pub(crate) max_retries: u32,
    pub(crate) max_in_flight: Option<NonZeroUsize>,
    pub(crate) notification_concurrency: NonZeroUsize,
    pub(crate) notification_queue_bytes: usize,
    pub(crate) notification_overflow: NotificationOverflow,
    pub(crate) handlers: Vec<Handler>,
    pub(crate) clock: Option<Clock>,
    pub(crate) notification_handler: Option<NotificationHandler>,
    pub(crate) geo_lookup: bool,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("client", &self.client)
            .field("organization_id", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("server_domain", &self.server_domain)
            .field("target_location_hint", &self.target_location_hint)
            .field("secure", &self.secure)
            .field("decisioning_method", &self.decisioning_method)
            .field("polling_interval", &self.polling_interval)
            .field("maximum_wait_ready", &self.maximum_wait_ready)
            .field("artifact_location", &self.artifact_location)
            .field(
                "artifact_payload",
                &self.artifact_payload.as_ref().map(|_| "<artifact>"),
            )
            .field(
                "artifact_bytes",
                &self.artifact_bytes.as_ref().map(|bytes| bytes.len()),
            )
            .field("artifact_format", &self.artifact_format)
            .field("environment_id", &self.environment_id)
            .field("environment", &self.environment)
            .field("cdn_environment", &self.cdn_environment)
            .field("cdn_base_path", &self.cdn_base_path)
            .field("telemetry_enabled", &self.telemetry_enabled)
            .field("version", &self.version)
            .field("property_token", &self.property_token)
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "<custom>"),
            )
            .field("max_retries", &self.max_retries)
            .field("max_in_flight", &self.max_in_flight)
            .field("notification_concurrency", &self.notification_concurrency)
            .field("notification_queue_bytes", &self.notification_queue_bytes)
            .field("notification_overflow", &self.notification_overflow)
            .field("handlers", &self.handlers.len())
            .field("clock", &self.clock.as_ref().map(|_| "<custom>"))
            .field(
                "notification_handler",
                &self.notification_handler.as_ref().map(|_| "<custom>"),
            )
            .finish()
    }
}

impl ClientOptions {
    /// Options for a client code and an Adobe organization id, with every other option at its
    /// default: server-side decisioning, 3 s timeout, HTTPS, 2 retries.
    ///
    /// ```
    /// use std::time::Duration;
    /// use adobe_target::ClientOptions;
    /// let options = ClientOptions::new("acmeclient", "0123456789ABCDEF01234567@AdobeOrg")
    ///     .timeout(Duration::from_millis(1500))
    ///     .max_retries(1);
    /// options.validate()?;
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn new(client: impl Into<String>, organization_id: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            organization_id: organization_id.into().into(),
            timeout: DEFAULT_TIMEOUT,
            server_domain: None,
            target_location_hint: None,
            secure: true,
            decisioning_method: DecisioningMethod::ServerSide,
            polling_interval: DEFAULT_POLLING_INTERVAL,
            maximum_wait_ready: None,
            artifact_location: None,
            artifact_payload: None,
            artifact_bytes: None,
            artifact_format: None,
            environment_id: None,
            environment: "production".to_owned(),
            cdn_environment: "production".to_owned(),
            cdn_base_path: None,
            telemetry_enabled: true,
            version: None,
            property_token: None,
            http_client: None,
            max_retries: DEFAULT_MAX_RETRIES,
            max_in_flight: None,
            notification_concurrency: DEFAULT_NOTIFICATION_CONCURRENCY,
            notification_queue_bytes: DEFAULT_NOTIFICATION_QUEUE_BYTES,
            notification_overflow: NotificationOverflow::default(),
            handlers: Vec::new(),
            clock: None,
            notification_handler: None,
            geo_lookup: true,
        }
    }

    /// The timeout of one Delivery API call, retries included. Default 3 s.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    /// use std::time::Duration;
    ///
    /// // Calls to the Edge give up after 800 ms (retries included).
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").timeout(Duration::from_millis(800));
    /// # let _ = options;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The host (and port) to call when the visitor's edge cluster is unknown, instead of
    /// `{client}.tt.omtrdc.net`. No scheme: see [`secure`](Self::secure).
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// // A first-party CNAME for the Edge.
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").server_domain("target.acme.example");
    /// # let _ = options;
    /// ```
    pub fn server_domain(mut self, domain: impl Into<String>) -> Self {
        self.server_domain = Some(domain.into());
        self
    }

    /// The edge cluster to use when the visitor's cookie does not name one, such as `"28"`.
    /// A value that is not a cluster id (1 to 16 ASCII letters and digits) is refused by
    /// [`validate`](Self::validate) with [`Error::InvalidOptions`](crate::Error::InvalidOptions).
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// // Start on edge cluster 28 until a response names the visitor's own.
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").target_location_hint("28");
    /// # let _ = options;
    /// ```
    pub fn target_location_hint(mut self, hint: impl Into<String>) -> Self {
        self.target_location_hint = Some(hint.into());
        self
    }

    /// HTTPS (the default) or plain HTTP.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// // Plain HTTP, for a local Edge stub only.
    /// let options = ClientOptions::new("acme", "org@AdobeOrg")
    ///     .secure(false)
    ///     .server_domain("127.0.0.1:8080");
    /// # let _ = options;
    /// ```
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// How decisions are made by default: server-side (default), on-device or hybrid.
    ///
    /// ```
    /// use adobe_target::{ClientOptions, DecisioningMethod};
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").decisioning_method(DecisioningMethod::Hybrid);
    /// # let _ = options;
    /// ```
    pub fn decisioning_method(mut self, method: DecisioningMethod) -> Self {
        self.decisioning_method = method;
        self
    }

    /// The Target environment id sent with every request that does not set its own.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").environment_id(4217);
    /// # let _ = options;
    /// ```
    pub fn environment_id(mut self, id: i64) -> Self {
        self.environment_id = Some(id);
        self
    }

    /// The environment name of the artifact (`production`, `staging`, `development` or a custom name).
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").environment("staging");
    /// # #[cfg(feature = "on-device")]
    /// assert_eq!(options.artifact_url()?, "https://assets.adobetarget.com/acme/staging/v1/rules.json");
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = environment.into();
        self
    }

    /// Whether performance telemetry is sent to Target. Default true.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").telemetry_enabled(false);
    /// # let _ = options;
    /// ```
    pub fn telemetry_enabled(mut self, enabled: bool) -> Self {
        self.telemetry_enabled = enabled;
        self
    }

    /// A version string sent as the `version` query parameter.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").version("shop-2.3.1");
    /// # let _ = options;
    /// ```
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The property token used when a request names none.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").property_token("8c4630b1-16db-e2fc-3391-8b3d81436cfb");
    /// # #[cfg(feature = "on-device")]
    /// assert!(options.artifact_url()?.ends_with("/v1/8c4630b1-16db-e2fc-3391-8b3d81436cfb/rules.json"));
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn property_token(mut self, token: impl Into<String>) -> Self {
        self.property_token = Some(token.into());
        self
    }

    /// Your own `reqwest::Client` (proxy, TLS roots, pool settings). Its own timeouts apply on top of
    /// [`timeout`](Self::timeout).
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// // Share your service's pool, or set its proxy and TLS settings.
    /// let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").http_client(http);
    /// # let _ = options;
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Retries after a connection error, a 429 or a 5xx, with exponential backoff and jitter.
    /// Default 2, at most 10.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// // Never retry (the default retries connection errors, 429 and 5xx twice).
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").max_retries(0);
    /// # let _ = options;
    /// ```
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// At most this many Delivery API calls in flight from this client; more wait their turn.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use adobe_target::ClientOptions;
    ///
    /// let limit = NonZeroUsize::new(32).expect("not zero");
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").max_in_flight(limit);
    /// # let _ = options;
    /// ```
    pub fn max_in_flight(mut self, limit: NonZeroUsize) -> Self {
        self.max_in_flight = Some(limit);
        self
    }

    /// Calls `handler` for every [`Event`], from the task that caused it; keep it quick.
    ///
    /// ```
    /// use adobe_target::{ClientOptions, Event};
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").on_event(|event| {
    ///     if let Event::ArtifactDownloadFailed { error, .. } = event {
    ///         eprintln!("rules not refreshed: {error}");
    ///     }
    /// });
    /// # let _ = options;
    /// ```
    pub fn on_event(mut self, handler: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.handlers.push(Arc::new(handler));
        self
    }

    /// Where the client reads the current time: for tests and replays (on-device time
    /// targeting, cookie expiry). Default: the system clock.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    /// let fixed: chrono::DateTime<chrono::Utc> = "2021-02-11T19:00:00Z".parse().unwrap();
    /// let options = ClientOptions::new("acmeclient", "org@AdobeOrg").clock(move || fixed);
    /// ```
    pub fn clock(
        mut self,
        now: impl Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync + 'static,
    ) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// The client code.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    ///
    /// assert_eq!(ClientOptions::new("acme", "org@AdobeOrg").client_code(), "acme");
    /// ```
    pub fn client_code(&self) -> &str {
        &self.client
    }
}
