//! `TargetClient`: the SDK's entry point.

use std::sync::Arc;

use futures::FutureExt;
use tokio::sync::broadcast;

use crate::attributes::Attributes;
use crate::delivery::types::{
    ChannelType, Context, DecisioningMethod, DeliveryRequest, MboxRequest, error::ConversionError,
};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ondevice::OnDevice;
use crate::options::{ClientOptions, GetOffersOptions};
use crate::remote::pipeline::Pipeline;
use crate::remote::response::{ResponseMeta, TargetResponse};
use crate::remote::{self, CallFuture};

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

struct Inner {
    pipeline: Arc<Pipeline>,
    on_device: Option<OnDevice>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetClient")
            .field("options", &self.pipeline.options)
            .field("on_device", &self.on_device.is_some())
            .finish()
    }
}

impl TargetClient {
    /// Validates the options and creates a client. It returns at once: with on-device or hybrid
    /// decisioning the artifact loads in the background (see [`ready`](Self::ready)). An
    /// `artifact_payload` is checked here, so a bad one is an immediate [`Error::Artifact`].
    ///
    /// ```
    /// use adobe_target::{ClientOptions, DecisioningMethod, Error, TargetClient};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> adobe_target::Result<()> {
    /// let client = TargetClient::create(ClientOptions::new("acmeclient", "org@AdobeOrg")).await?;
    /// client.ready().await?; // server-side: ready at once
    /// // Bad options are a typed error naming the option.
    /// let refused = TargetClient::create(ClientOptions::new("", "org@AdobeOrg")).await;
    /// assert!(matches!(refused, Err(Error::InvalidOptions { .. })));
    /// # Ok(()) }
    /// ```
    pub async fn create(options: ClientOptions) -> Result<Self> {
        options.validate()?;
        let on_device = options.decisioning_method != DecisioningMethod::ServerSide;
        let pipeline = Arc::new(Pipeline::new(options)?);
        let engine = if on_device {
            Some(OnDevice::start(&pipeline)?)
        } else {
            None
        };
        let client = Self {
            inner: Arc::new(Inner {
                pipeline,
                on_device: engine,
            }),
        };
        let options = &client.inner.pipeline.options;
        tracing::debug!(client = %options.client, method = %options.decisioning_method, "created");
        if !on_device {
            client.inner.pipeline.events.emit(Event::ClientReady);
        }
        Ok(client)
    }

    /// Resolves when the client can decide with its configured method: at once for
    /// server-side; when the artifact is loaded for on-device and hybrid, waiting at most
    /// `maximum_wait_ready` (then [`Error::EngineNotReady`]).
    ///
    /// ```no_run
    /// # async fn run(client: adobe_target::TargetClient) {
    /// if let Err(not_ready) = client.ready().await {
    ///     // Says why: the last failed download or parse, and what to do about it.
    ///     eprintln!("{not_ready}");
    /// }
    /// # }
    /// ```
    pub async fn ready(&self) -> Result<()> {
        match &self.inner.on_device {
            Some(engine) => {
                let limit = self.inner.pipeline.options.maximum_wait_ready;
                engine.ready(limit).await
            }
            None => Ok(()),
        }
    }

    /// Receives every [`Event`] emitted from now on.
    ///
    /// ```no_run
    /// # async fn run(client: adobe_target::TargetClient) {
    /// let mut events = client.subscribe();
    /// while let Ok(event) = events.recv().await {
    ///     println!("{event:?}");
    /// }
    /// # }
    /// ```
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.pipeline.events.subscribe()
    }

    /// The options the client was created with.
    ///
    /// ```
    /// # async fn run() -> adobe_target::Result<()> {
    /// use adobe_target::{ClientOptions, TargetClient};
    ///
    /// let client = TargetClient::create(ClientOptions::new("acme", "org@AdobeOrg")).await?;
    /// assert_eq!(client.options().client_code(), "acme");
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
    /// ```
    pub fn options(&self) -> &ClientOptions {
        &self.inner.pipeline.options
    }

    /// Decides which experiences the visitor gets (execute) or may get (prefetch).
    ///
    /// Server-side asks the Edge. On-device decides locally (no network call) and fails with
    /// [`Error::EngineNotReady`] until the artifact is loaded; items the artifact cannot decide
    /// come back empty with `status` 206 and are listed in `meta`. Hybrid decides locally when
    /// it can, and asks the Edge otherwise.
    ///
    /// Validation and routing happen when this is called; the returned future holds only the
    /// path taken, on the heap, so a waiting call costs its caller a pointer. Nothing is sent
    /// or decided until it is polled.
    ///
    /// ```no_run
    /// use adobe_target::{GetOffersOptions, TargetClient};
    /// use adobe_target::delivery::types::DeliveryRequest;
    ///
    /// # async fn run(client: TargetClient, mbox_cookie: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let request: DeliveryRequest = serde_json::from_value(serde_json::json!({
    ///     "execute": {"mboxes": [{"name": "homepage-hero", "index": 0}]}
    /// }))?;
    /// let out = client
    ///     .get_offers(GetOffersOptions::new(request).target_cookie(mbox_cookie))
    ///     .await?;
    /// for tokens in out.response_tokens() {
    ///     println!("{:?}", tokens.get("experience.name"));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get_offers(
        &self,
        options: GetOffersOptions,
    ) -> impl Future<Output = Result<TargetResponse>> + Send + '_ {
        self.route(options).unwrap_or_else(failed)
    }

    /// Validates the request and starts the path that decides it.
    fn route(&self, mut options: GetOffersOptions) -> Result<CallFuture<'_>> {
        let request = required_request(&mut options)?;
        let pipeline = &self.inner.pipeline;
        let method = options
            .decisioning_method
            .unwrap_or(pipeline.options.decisioning_method);
        match &self.inner.on_device {
            Some(engine) => engine.get_offers(pipeline, method, &options, request),
            None if method == DecisioningMethod::OnDevice => Err(on_device_without_engine()),
            None => Ok(remote::get_offers(
                pipeline,
                &options,
                request,
                ResponseMeta::server_side(),
            )),
        }
    }

    /// Explains the on-device decision for a request: every rule the artifact's engine
    /// evaluates for each mbox, view and page load, whether it matched, and for those that did
    /// not, the failing part of the audience condition with the context value it saw.
    ///
    /// The request is prepared and geo-located as [`get_offers`](Self::get_offers) would, and
    /// decided on-device whatever the client's method, but nothing is sent: no display
    /// notification, no telemetry. Fails with [`Error::EngineNotReady`] until the artifact is
    /// loaded, and with [`Error::InvalidOptions`] on a client without on-device decisioning.
    ///
    /// ```no_run
    /// use adobe_target::{GetOffersOptions, TargetClient};
    /// use adobe_target::delivery::types::DeliveryRequest;
    ///
    /// # async fn run(client: TargetClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let request: DeliveryRequest = serde_json::from_value(serde_json::json!({
    ///     "execute": {"mboxes": [{"name": "homepage-hero", "index": 0}]}
    /// }))?;
    /// let explanation = client.explain(GetOffersOptions::new(request)).await?;
    /// for rule in &explanation.rules {
    ///     println!("{} {} matched={} {:?}", rule.location, rule.activity_id, rule.matched, rule.failed);
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "on-device")]
    pub async fn explain(
        &self,
        mut options: GetOffersOptions,
    ) -> Result<crate::ondevice::Explanation> {
        let request = required_request(&mut options)?;
        match &self.inner.on_device {
            Some(engine) => {
                engine
                    .explain(&self.inner.pipeline, &options, request)
                    .await
            }
            None => Err(on_device_without_engine()),
        }
    }

    /// Tells Target what the visitor saw or clicked (`request.notifications`). Always server-side.
    ///
    /// ```no_run
    /// use adobe_target::{GetOffersOptions, TargetClient};
    /// use adobe_target::delivery::types::DeliveryRequest;
    ///
    /// # async fn run(client: TargetClient, event_token: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let seen: DeliveryRequest = serde_json::from_value(serde_json::json!({
    ///     "notifications": [{
    ///         "id": "n-1", "type": "display", "timestamp": 1700000000000_i64,
    ///         "mbox": {"name": "homepage-hero"}, "tokens": [event_token]
    ///     }]
    /// }))?;
    /// client.send_notifications(GetOffersOptions::new(seen)).await?;
    /// # Ok(()) }
    /// ```
    pub fn send_notifications(
        &self,
        options: GetOffersOptions,
    ) -> impl Future<Output = Result<TargetResponse>> + Send + '_ {
        self.notify(options).unwrap_or_else(failed)
    }

    /// Validates a notification request and starts sending it.
    fn notify(&self, mut options: GetOffersOptions) -> Result<CallFuture<'_>> {
        let request = required_request(&mut options)?;
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
        let meta = ResponseMeta::server_side();
        Ok(Box::pin(self.inner.pipeline.execute(
            "send_notifications",
            &options,
            request,
            meta,
        )))
    }

    /// Executes the named mboxes (adding them to the request when missing) and returns the
    /// attributes of their JSON offers.
    ///
    /// ```no_run
    /// use adobe_target::{GetOffersOptions, TargetClient};
    ///
    /// # async fn run(client: TargetClient) -> adobe_target::Result<()> {
    /// let flags = client.get_attributes(&["feature-flags"], GetOffersOptions::default()).await?;
    /// let dark_mode: bool = flags.value("feature-flags", "dark_mode")?;
    /// let limit: u32 = flags.value("feature-flags", "search_limit")?;
    /// # let _ = (dark_mode, limit);
    /// # Ok(()) }
    /// ```
    pub fn get_attributes(
        &self,
        mbox_names: &[&str],
        mut options: GetOffersOptions,
    ) -> impl Future<Output = Result<Attributes>> + Send + use<'_> {
        let request = match options.request.take() {
            Some(request) => Ok(request),
            None => empty_request(),
        };
        let call = request
            .and_then(|mut request| {
                add_mboxes(Arc::make_mut(&mut request), mbox_names)?;
                options.request = Some(request);
                self.route(options)
            })
            .unwrap_or_else(failed);
        call.map(|response| response.map(Attributes::new))
    }

    /// Waits until every notification queued by on-device decisions so far was sent (or
    /// reported through [`Event::SendNotificationError`]).
    ///
    /// ```no_run
    /// # async fn run(client: adobe_target::TargetClient) {
    /// client.flush().await; // e.g. before a serverless function returns
    /// # }
    /// ```
    pub async fn flush(&self) {
        if let Some(engine) = &self.inner.on_device {
            engine.flush().await;
        }
    }

    /// Stops artifact polling, sends every queued notification, and waits for the background
    /// tasks to end. Later on-device calls still decide with the last artifact, but their
    /// notifications are reported as not sent.
    ///
    /// ```no_run
    /// # async fn run(client: adobe_target::TargetClient) {
    /// // On SIGTERM: nothing queued is lost.
    /// client.shutdown().await;
    /// # }
    /// ```
    pub async fn shutdown(&self) {
        if let Some(engine) = &self.inner.on_device {
            engine.shutdown().await;
        }
    }
}

/// Checks the per-call options and takes the request out of them; every call needs one.
fn required_request(options: &mut GetOffersOptions) -> Result<Arc<DeliveryRequest>> {
    options.check()?;
    options
        .request
        .take()
        .ok_or_else(|| Error::InvalidRequest("Request object is required".to_owned()))
}

/// A per-call on-device decision asked of a client that has no engine.
fn on_device_without_engine() -> Error {
    if cfg!(feature = "on-device") {
        Error::InvalidOptions {
            option: "decisioning_method".to_owned(),
            reason: "this client decides server-side and has no rules artifact: create it with \
                     decisioning_method on-device or hybrid to decide on-device per call"
                .to_owned(),
        }
    } else {
        crate::options::on_device_unavailable()
    }
}

/// A call that failed before it started, boxed like the others: inline, a ready
/// `Result<TargetResponse>` would make every caller's future as large as a response.
fn failed<'a>(error: Error) -> CallFuture<'a> {
    Box::pin(std::future::ready(Err(error)))
}

/// `{context: {channel: web}}`, the request `get_attributes` starts from when given none.
fn empty_request() -> Result<Arc<DeliveryRequest>> {
    DeliveryRequest::builder()
        .context(Context::builder().channel(ChannelType::Web))
        .try_into()
        .map(Arc::new)
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
