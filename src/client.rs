//! `TargetClient`: the SDK's entry point.

use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use tokio::sync::{Semaphore, broadcast};
use tracing::Instrument;

use crate::attributes::Attributes;
use crate::delivery::{
    self,
    types::{
        ChannelType, Context, DecisioningMethod, DeliveryRequest, DeliveryResponse, MboxRequest,
        error::ConversionError,
    },
};
use crate::error::{Error, Result};
use crate::events::{Event, EventBus};
use crate::options::{ClientOptions, GetOffersOptions};
use crate::request::{self, Environment, Prepared};
use crate::response::{self, ResponseMeta, TargetResponse};

/// The Adobe Target client. Cheap to clone (an `Arc` inside), `Send + Sync`: create one per
/// process and share it.
///
/// ```no_run
/// use adobe_target::{ClientOptions, GetOffersOptions, TargetClient};
/// use adobe_target::delivery::types::DeliveryRequest;
///
/// # async fn run() -> adobe_target::Result<()> {
/// let client = TargetClient::create(ClientOptions::new("acmeclient", "0123456789ABCDEF01234567@AdobeOrg")).await?;
/// let request: DeliveryRequest = serde_json::from_value(serde_json::json!({
///     "context": {"channel": "web", "address": {"url": "https://shop.example.com/"}},
///     "execute": {"mboxes": [{"name": "homepage-hero", "index": 0}]}
/// })).expect("a valid request");
/// let out = client.get_offers(GetOffersOptions::new(request)).await?;
/// if let Some(cookie) = &out.target_cookie {
///     println!("Set-Cookie: {cookie}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TargetClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: ClientOptions,
    http: reqwest::Client,
    in_flight: Option<Semaphore>,
    events: EventBus,
    utc_offset_minutes: f64,
}

/// The `X-EXC-SDK` header value that identifies this SDK to Target.
pub const SDK_NAME: &str = "AdobeTargetRust";
/// This SDK's version, sent as `X-EXC-SDK-Version`.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

impl TargetClient {
    /// Validates the options and creates a client. It returns at once; see [`ready`](Self::ready).
    pub async fn create(options: ClientOptions) -> Result<Self> {
        options.validate()?;
        let http = match &options.http_client {
            Some(client) => client.clone(),
            None => default_http_client(&options)?,
        };
        let inner = Inner {
            in_flight: options.max_in_flight.map(|n| Semaphore::new(n.get())),
            events: EventBus::new(options.handlers.clone()),
            utc_offset_minutes: request::local_utc_offset_minutes(),
            http,
            options,
        };
        let client = Self {
            inner: Arc::new(inner),
        };
        tracing::debug!(client = %client.inner.options.client, method = %client.inner.options.decisioning_method, "created");
        client.inner.events.emit(Event::ClientReady);
        Ok(client)
    }

    /// Resolves when the client can decide with its configured method.
    pub async fn ready(&self) -> Result<()> {
        Ok(())
    }

    /// Receives every [`Event`] emitted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// The options the client was created with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Decides which experiences the visitor gets (execute) or may get (prefetch).
    pub async fn get_offers(&self, options: GetOffersOptions) -> Result<TargetResponse> {
        let request = options
            .request
            .as_ref()
            .ok_or_else(|| Error::InvalidRequest("Request object is required".to_owned()))?;
        request::validate(request)?;
        let method = options
            .decisioning_method
            .unwrap_or(self.inner.options.decisioning_method);
        match method {
            DecisioningMethod::OnDevice => Err(Error::EngineNotReady),
            DecisioningMethod::ServerSide | DecisioningMethod::Hybrid => {
                self.remote("get_offers", &options, request).await
            }
        }
    }

    /// Tells Target what the visitor saw or clicked (`request.notifications`). Always server-side.
    pub async fn send_notifications(&self, options: GetOffersOptions) -> Result<TargetResponse> {
        let request = options
            .request
            .as_ref()
            .ok_or_else(|| Error::InvalidRequest("Request object is required".to_owned()))?;
        if request.notifications.is_empty()
            && request
                .telemetry
                .as_ref()
                .is_none_or(|t| t.entries.is_empty())
        {
            return Err(Error::InvalidRequest(
                "Notifications list is required in request".to_owned(),
            ));
        }
        request::validate(request)?;
        self.remote("send_notifications", &options, request).await
    }

    /// Executes the named mboxes (adding them to the request when missing) and returns the
    /// attributes of their JSON offers.
    pub async fn get_attributes(
        &self,
        mbox_names: &[&str],
        options: GetOffersOptions,
    ) -> Result<Attributes> {
        let mut request = match &options.request {
            Some(request) => request.clone(),
            None => empty_request()?,
        };
        add_mboxes(&mut request, mbox_names)?;
        let response = self.get_offers(options.request(request)).await?;
        Ok(Attributes::new(response))
    }

    async fn remote(
        &self,
        operation: &'static str,
        options: &GetOffersOptions,
        request: &DeliveryRequest,
    ) -> Result<TargetResponse> {
        let config = &self.inner.options;
        let env = Environment {
            now: chrono::Utc::now(),
            utc_offset_minutes: self.inner.utc_offset_minutes,
        };
        let prepared = request::prepare(config, options, request, &env);
        let span = tracing::info_span!(
            "target",
            operation,
            request_id = prepared.request.request_id.as_deref().unwrap_or_default(),
            status = tracing::field::Empty,
        );
        let timeout = options.timeout.unwrap_or(config.timeout);
        async move {
            let (status, response) = self.send(&prepared, timeout).await?;
            tracing::Span::current().record("status", status);
            let Prepared {
                request,
                session_id,
                cluster,
                ..
            } = prepared;
            Ok(response::shape(
                request,
                response,
                status,
                &session_id,
                cluster.as_deref(),
                ResponseMeta::server_side(),
                chrono::Utc::now().timestamp(),
            ))
        }
        .instrument(span)
        .await
    }

    /// Sends a prepared request with the client's retry policy, in-flight limit and `timeout`.
    async fn send(
        &self,
        prepared: &Prepared,
        timeout: Duration,
    ) -> Result<(u16, DeliveryResponse)> {
        let _permit = match &self.inner.in_flight {
            Some(limit) => Some(limit.acquire().await.map_err(|_| Error::Shutdown)?),
            None => None,
        };
        let config = &self.inner.options;
        let raw = delivery::Client::new_with_client(&prepared.base_url, self.inner.http.clone());
        let attempt = || async {
            let mut call = raw
                .execute()
                .client(config.client.clone())
                .ims_org_id(config.organization_id.clone())
                .session_id(prepared.session_id.clone())
                .body(prepared.request.clone());
            if let Some(version) = &config.version {
                call = call.version(version.clone());
            }
            delivery::send(call).await
        };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(Duration::from_secs(2))
            .with_max_times(config.max_retries as usize)
            .with_jitter();
        let retried = attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(Error::is_retryable)
            .notify(|error, delay| tracing::debug!(%error, ?delay, "retrying"));
        match tokio::time::timeout(timeout, retried).await {
            Err(_) => Err(Error::Timeout),
            Ok(Err(error)) => Err(error),
            Ok(Ok(Some(response))) => Ok((response.status().as_u16(), response.into_inner())),
            Ok(Ok(None)) => Ok((204, DeliveryResponse::default())),
        }
    }
}

fn default_http_client(options: &ClientOptions) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("adobe-target-rust/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(options.timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| Error::InvalidOptions {
            option: "http_client".to_owned(),
            reason: e.to_string(),
        })
}

/// `{context: {channel: web}}`, the request `get_attributes` starts from when given none.
fn empty_request() -> Result<DeliveryRequest> {
    DeliveryRequest::builder()
        .context(Context::builder().channel(ChannelType::Web))
        .try_into()
        .map_err(|e: ConversionError| Error::InvalidRequest(e.to_string()))
}

/// Adds each name not requested yet (in execute or prefetch) to `execute.mboxes`, after the
/// highest index in use.
fn add_mboxes(request: &mut DeliveryRequest, names: &[&str]) -> Result<()> {
    let requested: Vec<&MboxRequest> = request
        .execute
        .iter()
        .flat_map(|e| &e.mboxes)
        .chain(request.prefetch.iter().flat_map(|p| &p.mboxes))
        .collect();
    let mut next = requested
        .iter()
        .filter_map(|m| m.index)
        .max()
        .map_or(0, |i| i.saturating_add(1));
    let missing: Vec<String> = names
        .iter()
        .filter(|name| !requested.iter().any(|m| m.name == **name))
        .map(|name| (*name).to_owned())
        .collect();
    let execute = request.execute.get_or_insert_with(Default::default);
    for name in missing {
        if execute.mboxes.iter().any(|m| m.name == name) {
            continue;
        }
        let mbox = MboxRequest::builder()
            .name(name)
            .index(next)
            .try_into()
            .map_err(|e: ConversionError| Error::InvalidRequest(e.to_string()))?;
        execute.mboxes.push(mbox);
        next = next.saturating_add(1);
    }
    Ok(())
}
