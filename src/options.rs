//! Client options and per-call options, typed or from the Python SDK's option map.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::delivery::types::{CustomerId, DecisioningMethod, DeliveryRequest};
use crate::edge::{EdgeCluster, origin};
use crate::error::{Error, Result};
use crate::events::{Event, Handler};

/// The default timeout of a Delivery API call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(3000);
/// The default artifact polling interval (Adobe's CDN expects no more than one fetch per 5 minutes).
pub const DEFAULT_POLLING_INTERVAL: Duration = Duration::from_secs(300);
/// The default number of retries after a failed attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The most retries allowed.
pub const MAX_RETRIES_LIMIT: u32 = 10;
const CDN_ENVIRONMENTS: [&str; 3] = ["production", "staging", "development"];

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
    pub(crate) organization_id: String,
    pub(crate) timeout: Duration,
    pub(crate) server_domain: Option<String>,
    pub(crate) target_location_hint: Option<String>,
    pub(crate) secure: bool,
    pub(crate) decisioning_method: DecisioningMethod,
    pub(crate) polling_interval: Duration,
    pub(crate) maximum_wait_ready: Option<Duration>,
    pub(crate) artifact_location: Option<String>,
    pub(crate) artifact_payload: Option<Arc<Value>>,
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
    pub(crate) handlers: Vec<Handler>,
    pub(crate) clock: Option<crate::transport::Clock>,
    pub(crate) notification_handler: Option<NotificationHandler>,
    pub(crate) geo_lookup: bool,
}

/// Receives the notification requests of on-device decisions instead of the SDK sending them.
pub(crate) type NotificationHandler = Arc<dyn Fn(DeliveryRequest) + Send + Sync>;

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
    pub fn new(client: impl Into<String>, organization_id: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            organization_id: organization_id.into(),
            timeout: DEFAULT_TIMEOUT,
            server_domain: None,
            target_location_hint: None,
            secure: true,
            decisioning_method: DecisioningMethod::ServerSide,
            polling_interval: DEFAULT_POLLING_INTERVAL,
            maximum_wait_ready: None,
            artifact_location: None,
            artifact_payload: None,
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
            handlers: Vec::new(),
            clock: None,
            notification_handler: None,
            geo_lookup: true,
        }
    }

    /// The timeout of one Delivery API call, retries included. Default 3 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The host (and port) to call when the visitor's edge cluster is unknown, instead of
    /// `{client}.tt.omtrdc.net`. No scheme: see [`secure`](Self::secure).
    pub fn server_domain(mut self, domain: impl Into<String>) -> Self {
        self.server_domain = Some(domain.into());
        self
    }

    /// The edge cluster to use when the visitor's cookie does not name one, such as `"28"`.
    /// A value that is not a cluster id (1 to 16 ASCII letters and digits) is refused by
    /// [`validate`](Self::validate) with [`Error::InvalidOptions`].
    pub fn target_location_hint(mut self, hint: impl Into<String>) -> Self {
        self.target_location_hint = Some(hint.into());
        self
    }

    /// HTTPS (the default) or plain HTTP.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// How decisions are made by default: server-side (default), on-device or hybrid.
    pub fn decisioning_method(mut self, method: DecisioningMethod) -> Self {
        self.decisioning_method = method;
        self
    }

    /// How often the on-device artifact is refreshed; zero turns polling off. Default 5 minutes.
    pub fn polling_interval(mut self, interval: Duration) -> Self {
        self.polling_interval = interval;
        self
    }

    /// How long [`TargetClient::ready`](crate::TargetClient::ready) waits for the artifact. Default: no limit.
    pub fn maximum_wait_ready(mut self, wait: Duration) -> Self {
        self.maximum_wait_ready = Some(wait);
        self
    }

    /// The URL of the rules artifact, instead of the one computed from client and environment.
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
    pub fn artifact_payload(mut self, artifact: Value) -> Self {
        self.artifact_payload = Some(Arc::new(artifact));
        self
    }

    /// The Target environment id sent with every request that does not set its own.
    pub fn environment_id(mut self, id: i64) -> Self {
        self.environment_id = Some(id);
        self
    }

    /// The environment name of the artifact (`production`, `staging`, `development` or a custom name).
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = environment.into();
        self
    }

    /// The CDN environment: `production` (default), `staging` or `development`.
    pub fn cdn_environment(mut self, environment: impl Into<String>) -> Self {
        self.cdn_environment = environment.into();
        self
    }

    /// The CDN host for the artifact and geo lookups, instead of `assets.adobetarget.com`
    /// (`https://` is assumed; give `http://host:port` for a local mirror).
    pub fn cdn_base_path(mut self, host: impl Into<String>) -> Self {
        self.cdn_base_path = Some(host.into());
        self
    }

    /// Whether performance telemetry is sent to Target. Default true.
    pub fn telemetry_enabled(mut self, enabled: bool) -> Self {
        self.telemetry_enabled = enabled;
        self
    }

    /// A version string sent as the `version` query parameter.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The property token used when a request names none.
    pub fn property_token(mut self, token: impl Into<String>) -> Self {
        self.property_token = Some(token.into());
        self
    }

    /// Your own `reqwest::Client` (proxy, TLS roots, pool settings). Its own timeouts apply on top of
    /// [`timeout`](Self::timeout).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Retries after a connection error, a 429 or a 5xx, with exponential backoff and jitter.
    /// Default 2, at most 10.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// At most this many Delivery API calls in flight from this client; more wait their turn.
    pub fn max_in_flight(mut self, limit: NonZeroUsize) -> Self {
        self.max_in_flight = Some(limit);
        self
    }

    /// Calls `handler` for every [`Event`], from the task that caused it; keep it quick.
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

    /// Hands the notification requests of on-device decisions to `handler` instead of sending
    /// them to Target (to batch them yourself, or to inspect them offline).
    pub fn notification_handler(
        mut self,
        handler: impl Fn(DeliveryRequest) + Send + Sync + 'static,
    ) -> Self {
        self.notification_handler = Some(Arc::new(handler));
        self
    }

    /// Whether on-device decisions look up the geo of a request that has an IP address but no
    /// location, when the artifact targets by geo (one CDN call per such request). Default true.
    pub fn geo_lookup(mut self, enabled: bool) -> Self {
        self.geo_lookup = enabled;
        self
    }

    /// The client code.
    pub fn client_code(&self) -> &str {
        &self.client
    }

    /// Options from a map with the Python SDK's keys (`client`, `organization_id`, `timeout` in
    /// ms, `polling_interval` in seconds, ...); Node.js keys (`organizationId`, `pollingInterval`
    /// in ms, ...) work too. `logger` and `events` are accepted and ignored (use `tracing` and
    /// [`on_event`](Self::on_event)); any other unknown key is an error.
    pub fn from_map(map: Value) -> Result<Self> {
        let Value::Object(map) = map else {
            return Err(invalid("options", "must be a JSON object"));
        };
        let client = optional_string(&map, &["client"])?.unwrap_or_default();
        let organization_id =
            optional_string(&map, &["organization_id", "organizationId"])?.unwrap_or_default();
        let mut options = Self::new(client, organization_id);
        for (key, value) in &map {
            let key = key.as_str();
            match key {
                "client" | "organization_id" | "organizationId" => {}
                "timeout" => options.timeout = Duration::from_millis(unsigned("timeout", value)?),
                "server_domain" | "serverDomain" => {
                    options.server_domain = nullable_string("server_domain", value)?
                }
                "target_location_hint" | "targetLocationHint" => {
                    options.target_location_hint = nullable_string("target_location_hint", value)?;
                }
                "secure" => options.secure = boolean("secure", value)?,
                "decisioning_method" | "decisioningMethod" => {
                    options.decisioning_method = decisioning_method(value)?;
                }
                "polling_interval" => {
                    options.polling_interval =
                        Duration::from_secs(unsigned("polling_interval", value)?);
                }
                "pollingInterval" => {
                    options.polling_interval =
                        Duration::from_millis(unsigned("polling_interval", value)?);
                }
                "maximum_wait_ready" | "maximumWaitReady" => {
                    options.maximum_wait_ready = match value.as_i64() {
                        Some(-1) => None,
                        Some(ms) if ms >= 0 => Some(Duration::from_millis(ms.unsigned_abs())),
                        _ => {
                            return Err(invalid(
                                "maximum_wait_ready",
                                "must be -1 (wait forever) or milliseconds >= 0",
                            ));
                        }
                    };
                }
                "artifact_location" | "artifactLocation" => {
                    options.artifact_location = nullable_string("artifact_location", value)?;
                }
                "artifact_payload" | "artifactPayload" => {
                    options.artifact_payload = match value {
                        Value::Null => None,
                        Value::Object(_) => Some(Arc::new(value.clone())),
                        _ => {
                            return Err(invalid(
                                "artifact_payload",
                                "must be a JSON object (the rules artifact)",
                            ));
                        }
                    };
                }
                "environment_id" | "environmentId" => {
                    options.environment_id = match value {
                        Value::Null => None,
                        _ => Some(
                            value
                                .as_i64()
                                .ok_or_else(|| invalid("environment_id", "must be an integer"))?,
                        ),
                    };
                }
                "environment" => options.environment = string("environment", value)?,
                "cdn_environment" | "cdnEnvironment" => {
                    options.cdn_environment = string("cdn_environment", value)?
                }
                "cdn_base_path" | "cdnBasePath" => {
                    options.cdn_base_path = nullable_string("cdn_base_path", value)?
                }
                "telemetry_enabled" | "telemetryEnabled" => {
                    options.telemetry_enabled = boolean("telemetry_enabled", value)?;
                }
                "version" => options.version = nullable_string("version", value)?,
                "property_token" | "propertyToken" => {
                    options.property_token = nullable_string("property_token", value)?
                }
                "max_retries" | "maxRetries" => {
                    options.max_retries =
                        u32::try_from(unsigned("max_retries", value)?).map_err(|_| {
                            invalid(
                                "max_retries",
                                format!("must be at most {MAX_RETRIES_LIMIT}"),
                            )
                        })?;
                }
                "max_in_flight" | "maxInFlight" => {
                    let limit =
                        usize::try_from(unsigned("max_in_flight", value)?).unwrap_or(usize::MAX);
                    options.max_in_flight = Some(
                        NonZeroUsize::new(limit)
                            .ok_or_else(|| invalid("max_in_flight", "must be at least 1"))?,
                    );
                }
                "geo_lookup" | "geoLookup" => options.geo_lookup = boolean("geo_lookup", value)?,
                "logger" | "events" | "fetchApi" => {
                    tracing::debug!(
                        option = key,
                        "ignored: use tracing and ClientOptions::on_event in Rust"
                    );
                }
                other => {
                    return Err(Error::InvalidOptions {
                        option: other.to_owned(),
                        reason: "is not a known option".to_owned(),
                    });
                }
            }
        }
        Ok(options)
    }

    /// Checks every option; the error names the first invalid one and the rule it breaks.
    ///
    /// ```
    /// use adobe_target::{ClientOptions, Error};
    /// let err = ClientOptions::new("", "org@AdobeOrg").validate().unwrap_err();
    /// assert!(matches!(err, Error::InvalidOptions { ref option, .. } if option == "client"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.client.trim().is_empty() {
            return Err(invalid("client", "Client is required"));
        }
        if !self
            .client
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "client",
                "must be a client code (letters, digits, '-' and '_')",
            ));
        }
        if self.organization_id.trim().is_empty() {
            return Err(invalid("organization_id", "Organization Id is required"));
        }
        if self.timeout.is_zero() {
            return Err(invalid("timeout", "must be greater than zero"));
        }
        if !cfg!(feature = "on-device") && self.decisioning_method != DecisioningMethod::ServerSide
        {
            return Err(on_device_unavailable());
        }
        if let Some(domain) = &self.server_domain {
            check_host("server_domain", domain)?;
        }
        if let Some(hint) = &self.target_location_hint {
            hint.parse::<EdgeCluster>()?;
        }
        if !self.polling_interval.is_zero() && self.polling_interval < Duration::from_secs(1) {
            return Err(invalid(
                "polling_interval",
                "must be 0 (off) or at least 1 second",
            ));
        }
        if let Some(location) = &self.artifact_location {
            artifact_location_url(location)?;
        }
        if let Some(payload) = &self.artifact_payload
            && !payload.is_object()
        {
            return Err(invalid(
                "artifact_payload",
                "must be a JSON object (the rules artifact)",
            ));
        }
        if self.decisioning_method == DecisioningMethod::ServerSide {
            let artifact_options = [
                ("artifact_location", self.artifact_location.is_some()),
                ("artifact_payload", self.artifact_payload.is_some()),
            ];
            if let Some((option, _)) = artifact_options.into_iter().find(|(_, set)| *set) {
                let reason = if cfg!(feature = "on-device") {
                    "is only used by on-device and hybrid decisioning: set decisioning_method, or leave it out"
                } else {
                    "needs the crate's `on-device` feature (and on-device or hybrid decisioning)"
                };
                return Err(invalid(option, reason));
            }
        }
        check_path_segment("environment", &self.environment)?;
        if !CDN_ENVIRONMENTS.contains(&self.cdn_environment.as_str()) {
            return Err(invalid(
                "cdn_environment",
                "must be one of: production, staging, development",
            ));
        }
        if let Some(base) = &self.cdn_base_path {
            match base.split_once("://") {
                Some(("http" | "https", host)) => {
                    check_host("cdn_base_path", host.trim_end_matches('/'))?
                }
                Some(_) => {
                    return Err(invalid(
                        "cdn_base_path",
                        "must be a host, or an http(s):// base URL",
                    ));
                }
                None => check_host("cdn_base_path", base)?,
            }
        }
        if let Some(token) = &self.property_token {
            check_path_segment("property_token", token)?;
        }
        if self.max_retries > MAX_RETRIES_LIMIT {
            return Err(invalid(
                "max_retries",
                format!("must be at most {MAX_RETRIES_LIMIT}"),
            ));
        }
        Ok(())
    }
}

impl<'de> serde::Deserialize<'de> for ClientOptions {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let map = Value::deserialize(deserializer)?;
        Self::from_map(map).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "on-device")]
impl ClientOptions {
    /// The CDN base URL: `cdn_base_path`, else by `cdn_environment`.
    pub(crate) fn cdn_base_url(&self) -> String {
        match &self.cdn_base_path {
            Some(base) if base.contains("://") => base.trim_end_matches('/').to_owned(),
            Some(host) => format!("https://{host}"),
            None if self.cdn_environment == "production" => {
                "https://assets.adobetarget.com".to_owned()
            }
            None => "https://assets.staging.adobetarget.com".to_owned(),
        }
    }

    /// The artifact URL: `artifact_location` (a path is a file), else
    /// `{cdn}/{client}/{environment}/v1/[{property_token}/]rules.json`, with each part put in
    /// its own path segment (percent-encoded: a `/` or `?` in it stays inside it).
    pub(crate) fn artifact_url(&self) -> Result<String> {
        if let Some(location) = &self.artifact_location {
            return artifact_location_url(location).map(String::from);
        }
        let mut url = url::Url::parse(&self.cdn_base_url()).map_err(|e| {
            invalid(
                "cdn_base_path",
                format!("must be a host or a base URL: {e}"),
            )
        })?;
        let environment = self.environment.to_lowercase();
        url.path_segments_mut()
            .map_err(|()| invalid("cdn_base_path", "must be a host or a base URL"))?
            .pop_if_empty()
            .extend([self.client.as_str(), environment.as_str(), "v1"])
            .extend(self.property_token.as_deref())
            .push("rules.json");
        Ok(url.into())
    }
}

/// The URL of an `artifact_location`: an http, https or file URL, or a file path (relative to
/// the working directory).
fn artifact_location_url(location: &str) -> Result<url::Url> {
    let path = std::path::Path::new(location);
    let url = match url::Url::parse(location) {
        Ok(url) if !path.has_root() => url,
        Err(url::ParseError::RelativeUrlWithoutBase) | Ok(_) => {
            let absolute = std::path::absolute(path).map_err(|e| {
                invalid(
                    "artifact_location",
                    format!("{location} is not a usable file path: {e}"),
                )
            })?;
            url::Url::from_file_path(&absolute).map_err(|()| {
                invalid(
                    "artifact_location",
                    format!("{location} is not a usable file path"),
                )
            })?
        }
        Err(e) => {
            return Err(invalid(
                "artifact_location",
                format!("must be an http, https or file URL, or a file path: {e}"),
            ));
        }
    };
    if matches!(url.scheme(), "http" | "https" | "file") {
        Ok(url)
    } else {
        Err(invalid(
            "artifact_location",
            "must be an http, https or file URL, or a file path",
        ))
    }
}

/// Options for one `get_offers`, `get_attributes` or `send_notifications` call.
///
/// ```
/// use adobe_target::GetOffersOptions;
/// use adobe_target::delivery::types::DeliveryRequest;
///
/// let request: DeliveryRequest = serde_json::from_value(serde_json::json!({
///     "context": {"channel": "web"},
///     "execute": {"mboxes": [{"name": "hero", "index": 0}]}
/// }))?;
/// let options = GetOffersOptions::new(request).target_cookie("session#abc#1900000000");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct GetOffersOptions {
    pub(crate) request: Option<DeliveryRequest>,
    pub(crate) target_cookie: Option<String>,
    pub(crate) target_location_hint: Option<EdgeCluster>,
    pub(crate) session_id: Option<String>,
    pub(crate) customer_ids: Vec<CustomerId>,
    pub(crate) consumer_id: Option<String>,
    pub(crate) decisioning_method: Option<DecisioningMethod>,
    pub(crate) timeout: Option<Duration>,
}

impl GetOffersOptions {
    /// Options for a Delivery request.
    pub fn new(request: DeliveryRequest) -> Self {
        Self {
            request: Some(request),
            ..Self::default()
        }
    }

    /// The Delivery request.
    pub fn request(mut self, request: DeliveryRequest) -> Self {
        self.request = Some(request);
        self
    }

    /// The value of the visitor's `mbox` cookie.
    pub fn target_cookie(mut self, cookie: impl Into<String>) -> Self {
        self.target_cookie = Some(cookie.into());
        self
    }

    /// The visitor's edge cluster: the value of the `mboxEdgeCluster` cookie, as the browser
    /// sent it. It is the visitor's input: a value that is not a cluster id (see
    /// [`EdgeCluster`]) is ignored with a `debug` log line, never used in a host name or a cookie.
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    /// let from_cookie = GetOffersOptions::default().target_location_hint("35");
    /// let hostile = GetOffersOptions::default().target_location_hint("1@127.0.0.1:8099/");
    /// assert_eq!(from_cookie.location_hint().map(|c| c.as_str()), Some("35"));
    /// assert_eq!(hostile.location_hint(), None);
    /// ```
    pub fn target_location_hint(mut self, hint: impl AsRef<str>) -> Self {
        self.target_location_hint =
            EdgeCluster::from_visitor(hint.as_ref(), "target_location_hint");
        self
    }

    /// The edge cluster set with [`target_location_hint`](Self::target_location_hint), if it
    /// was a cluster id.
    pub fn location_hint(&self) -> Option<&EdgeCluster> {
        self.target_location_hint.as_ref()
    }

    /// The session id to use when the cookie has no live session.
    pub fn session_id(mut self, session_id: impl Into<String>) -> Self {
        self.session_id = Some(session_id.into());
        self
    }

    /// Customer ids added to the request's `id.customerIds`.
    pub fn customer_ids(mut self, ids: Vec<CustomerId>) -> Self {
        self.customer_ids = ids;
        self
    }

    /// The consumer id for the supplemental data id (A4T); default `target-global-mbox`.
    pub fn consumer_id(mut self, consumer_id: impl Into<String>) -> Self {
        self.consumer_id = Some(consumer_id.into());
        self
    }

    /// How this call is decided, overriding the client's default.
    pub fn decisioning_method(mut self, method: DecisioningMethod) -> Self {
        self.decisioning_method = Some(method);
        self
    }

    /// The timeout of this call, overriding the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Per-call options from a map with the Python SDK's keys (`request`, `target_cookie`,
    /// `target_location_hint`, `session_id`, `customer_ids`, `consumer_id`,
    /// `decisioning_method`, `timeout` in ms), or the Node.js camelCase ones.
    pub fn from_map(map: Value) -> Result<Self> {
        let Value::Object(map) = map else {
            return Err(Error::InvalidRequest("Options map is required".to_owned()));
        };
        let mut options = Self::default();
        for (key, value) in map {
            match key.as_str() {
                "request" => {
                    options.request = match value {
                        Value::Null => None,
                        value => Some(serde_json::from_value(value).map_err(|e| {
                            Error::InvalidRequest(format!(
                                "request is not a valid DeliveryRequest: {e}"
                            ))
                        })?),
                    };
                }
                "target_cookie" | "targetCookie" => {
                    options.target_cookie = call_string(&key, value)?
                }
                "target_location_hint" | "targetLocationHint" | "locationHint" => {
                    options.target_location_hint = call_string(&key, value)?
                        .and_then(|hint| EdgeCluster::from_visitor(&hint, "target_location_hint"));
                }
                "session_id" | "sessionId" => options.session_id = call_string(&key, value)?,
                "consumer_id" | "consumerId" => options.consumer_id = call_string(&key, value)?,
                "customer_ids" | "customerIds" => {
                    options.customer_ids = serde_json::from_value(value)
                        .map_err(|e| Error::InvalidRequest(format!("customer_ids: {e}")))?;
                }
                "decisioning_method" | "decisioningMethod" => {
                    options.decisioning_method = Some(
                        decisioning_method(&value)
                            .map_err(|e| Error::InvalidRequest(e.to_string()))?,
                    );
                }
                "timeout" => {
                    let ms = value.as_u64().ok_or_else(call_timeout_invalid)?;
                    options.timeout = Some(Duration::from_millis(ms));
                }
                "visitor" | "visitorCookie" | "callback" | "err_callback" => {
                    tracing::debug!(option = key.as_str(), "ignored per-call option");
                }
                other => {
                    return Err(Error::InvalidRequest(format!(
                        "unknown per-call option `{other}`"
                    )));
                }
            }
        }
        options.check()?;
        Ok(options)
    }

    /// The rules a call applies to its options whichever way they were built.
    pub(crate) fn check(&self) -> Result<()> {
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(call_timeout_invalid());
        }
        Ok(())
    }
}

/// A per-call timeout that is not a positive duration.
fn call_timeout_invalid() -> Error {
    Error::InvalidRequest(
        "timeout must be milliseconds > 0 (a per-call `timeout` of zero is refused)".to_owned(),
    )
}

/// What on-device and hybrid options get from a build without the `on-device` feature.
pub(crate) fn on_device_unavailable() -> Error {
    invalid(
        "decisioning_method",
        "on-device and hybrid decisioning need the crate's `on-device` feature",
    )
}

fn invalid(option: &str, reason: impl Into<String>) -> Error {
    Error::InvalidOptions {
        option: option.to_owned(),
        reason: reason.into(),
    }
}

fn optional_string(map: &Map<String, Value>, keys: &[&str]) -> Result<Option<String>> {
    match keys.iter().find_map(|k| map.get(*k).map(|v| (*k, v))) {
        Some((key, value)) => nullable_string(key, value),
        None => Ok(None),
    }
}

fn string(option: &str, value: &Value) -> Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(option, "must be a string"))
}

fn nullable_string(option: &str, value: &Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        _ => string(option, value).map(Some),
    }
}

fn call_string(option: &str, value: Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(Error::InvalidRequest(format!("{option} must be a string"))),
    }
}

fn boolean(option: &str, value: &Value) -> Result<bool> {
    value
        .as_bool()
        .ok_or_else(|| invalid(option, "must be true or false"))
}

fn unsigned(option: &str, value: &Value) -> Result<u64> {
    value
        .as_u64()
        .ok_or_else(|| invalid(option, "must be a non-negative integer"))
}

fn decisioning_method(value: &Value) -> Result<DecisioningMethod> {
    match value {
        Value::String(text) => text.parse(),
        _ => Err(invalid(
            "decisioning_method",
            "Invalid Decisioning Method. Must be set to one of: hybrid,on-device,server-side",
        )),
    }
}

fn check_host(option: &str, host: &str) -> Result<()> {
    match origin("https", host) {
        Some(_) => Ok(()),
        None => Err(invalid(
            option,
            "must be a host name with an optional port, without scheme or path",
        )),
    }
}

/// A value that becomes one segment of the artifact URL's path: not empty, and not `.` or `..`
/// (which would climb out of the client's folder). Other characters are percent-encoded there.
fn check_path_segment(option: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(invalid(option, "must not be empty"))
    } else if matches!(value, "." | "..") || value.chars().any(char::is_control) {
        Err(invalid(
            option,
            "must be a name, not `.`, `..` or control characters",
        ))
    } else {
        Ok(())
    }
}
