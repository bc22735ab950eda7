//! `TargetClient`: the SDK's entry point.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{broadcast, watch};

use crate::attributes::Attributes;
use crate::cdn::HttpCdn;
use crate::delivery::types::{
    ChannelType, Context, DecisioningMethod, DeliveryRequest, MboxRequest, error::ConversionError,
};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::local;
use crate::notifier::Notifier;
use crate::ondevice::decide::remote_dependency;
use crate::ondevice::provider::{Loaded, Provider, Source};
use crate::options::{ClientOptions, GetOffersOptions};
use crate::request;
use crate::response::{ResponseMeta, TargetResponse};
use crate::transport::Transport;

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
    transport: Arc<Transport>,
    engine: Option<Engine>,
}

/// The on-device side: the artifact provider, the CDN, and the background notification sender.
struct Engine {
    current: watch::Receiver<Option<Arc<Loaded>>>,
    cdn: Arc<HttpCdn>,
    notifier: Notifier,
    stop: watch::Sender<bool>,
    poller: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetClient")
            .field("options", &self.transport.options)
            .field("on_device", &self.engine.is_some())
            .finish()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Stops polling; the notifier sends what is queued and ends on its own.
        self.stop.send_replace(true);
    }
}

/// The `X-EXC-SDK` header value that identifies this SDK to Target.
pub const SDK_NAME: &str = "AdobeTargetRust";
/// This SDK's version, sent as `X-EXC-SDK-Version`.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

impl TargetClient {
    /// Validates the options and creates a client. It returns at once: with on-device or hybrid
    /// decisioning the artifact loads in the background (see [`ready`](Self::ready)). An
    /// `artifact_payload` is checked here, so a bad one is an immediate [`Error::Artifact`].
    pub async fn create(options: ClientOptions) -> Result<Self> {
        options.validate()?;
        let on_device = options.decisioning_method != DecisioningMethod::ServerSide;
        let transport = Arc::new(Transport::new(options)?);
        let engine = if on_device {
            Some(start_engine(&transport)?)
        } else {
            None
        };
        let client = Self {
            inner: Arc::new(Inner { transport, engine }),
        };
        let options = &client.inner.transport.options;
        tracing::debug!(client = %options.client, method = %options.decisioning_method, "created");
        if !on_device {
            client.inner.transport.events.emit(Event::ClientReady);
        }
        Ok(client)
    }

    /// Resolves when the client can decide with its configured method: at once for
    /// server-side; when the artifact is loaded for on-device and hybrid, waiting at most
    /// `maximum_wait_ready` (then [`Error::EngineNotReady`]).
    pub async fn ready(&self) -> Result<()> {
        let Some(engine) = &self.inner.engine else {
            return Ok(());
        };
        let mut current = engine.current.clone();
        let wait = current.wait_for(Option::is_some);
        let outcome = match self.inner.transport.options.maximum_wait_ready {
            Some(limit) => tokio::time::timeout(limit, wait)
                .await
                .map_err(|_| Error::EngineNotReady)?,
            None => wait.await,
        };
        outcome.map(|_| ()).map_err(|_| Error::EngineNotReady)
    }

    /// Receives every [`Event`] emitted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.transport.events.subscribe()
    }

    /// The options the client was created with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.transport.options
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
    pub fn get_offers(
        &self,
        options: GetOffersOptions,
    ) -> impl Future<Output = Result<TargetResponse>> + Send + '_ {
        self.route(options).unwrap_or_else(failed)
    }

    /// Validates the request and starts the path that decides it.
    fn route(&self, mut options: GetOffersOptions) -> Result<CallFuture<'_>> {
        let request = required_request(&mut options)?;
        request::validate(&request)?;
        let transport = &self.inner.transport;
        let method = options
            .decisioning_method
            .unwrap_or(transport.options.decisioning_method);
        let loaded = self
            .inner
            .engine
            .as_ref()
            .and_then(|e| e.current.borrow().clone());
        let route = match (method, loaded, &self.inner.engine) {
            (DecisioningMethod::ServerSide, loaded, _) => {
                Route::Remote(remote_meta(loaded.as_deref(), &request))
            }
            (DecisioningMethod::OnDevice, Some(loaded), Some(engine)) => {
                Route::Local(loaded, engine)
            }
            (DecisioningMethod::OnDevice, _, _) => return Err(Error::EngineNotReady),
            (DecisioningMethod::Hybrid, Some(loaded), Some(engine)) => {
                let dependency = remote_dependency(&loaded.artifact, &request);
                if dependency.needed() {
                    Route::Remote(ResponseMeta {
                        remote_mboxes: dependency.mboxes,
                        remote_views: dependency.views,
                        ..ResponseMeta::server_side()
                    })
                } else {
                    Route::Local(loaded, engine)
                }
            }
            (DecisioningMethod::Hybrid, _, _) => Route::Remote(ResponseMeta::server_side()),
        };
        Ok(match route {
            Route::Remote(meta) => {
                Box::pin(transport.execute("get_offers", &options, request, meta))
            }
            Route::Local(loaded, engine) => local::get_offers(
                transport,
                engine.cdn.as_ref(),
                &engine.notifier,
                loaded,
                &options,
                request,
            ),
        })
    }

    /// Tells Target what the visitor saw or clicked (`request.notifications`). Always server-side.
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
        request::validate(&request)?;
        let meta = ResponseMeta::server_side();
        Ok(Box::pin(self.inner.transport.execute(
            "send_notifications",
            &options,
            request,
            meta,
        )))
    }

    /// Executes the named mboxes (adding them to the request when missing) and returns the
    /// attributes of their JSON offers.
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
                add_mboxes(&mut request, mbox_names)?;
                self.route(options.request(request))
            })
            .unwrap_or_else(failed);
        call.map(|response| response.map(Attributes::new))
    }

    /// Waits until every notification queued by on-device decisions so far was sent (or
    /// reported through [`Event::SendNotificationError`]).
    pub async fn flush(&self) {
        if let Some(engine) = &self.inner.engine {
            engine.notifier.flush().await;
        }
    }

    /// Stops artifact polling, sends every queued notification, and waits for the background
    /// tasks to end. Later on-device calls still decide with the last artifact, but their
    /// notifications are reported as not sent.
    pub async fn shutdown(&self) {
        let Some(engine) = &self.inner.engine else {
            return;
        };
        engine.stop.send_replace(true);
        let poller = engine.poller.lock().ok().and_then(|mut p| p.take());
        if let Some(poller) = poller {
            let _ = poller.await;
        }
        engine.notifier.close().await;
    }
}

fn start_engine(transport: &Arc<Transport>) -> Result<Engine> {
    let options = &transport.options;
    let source = Source {
        location: options.artifact_url(),
        payload: options.artifact_payload.clone(),
        polling_interval: options.polling_interval,
    };
    let provider = Arc::new(Provider::new(
        source,
        transport.events.clone(),
        transport.telemetry.clone(),
    )?);
    let cdn = Arc::new(HttpCdn {
        http: transport.http.clone(),
        geo_url: format!("{}/v1/geo", options.cdn_base_url()),
        timeout: options.timeout.max(Duration::from_secs(10)),
    });
    let (stop, stopped) = watch::channel(false);
    let poller = tokio::spawn(provider.clone().run(cdn.clone(), stopped));
    Ok(Engine {
        current: provider.subscribe(),
        cdn,
        notifier: Notifier::start(transport.clone()),
        stop,
        poller: std::sync::Mutex::new(Some(poller)),
    })
}

/// A call under way, on the heap: only the path it took.
pub(crate) type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<TargetResponse>> + Send + 'a>>;

/// Takes the request out of `options`; every call needs one.
fn required_request(options: &mut GetOffersOptions) -> Result<DeliveryRequest> {
    options
        .request
        .take()
        .ok_or_else(|| Error::InvalidRequest("Request object is required".to_owned()))
}

/// A call that failed before it started, boxed like the others: inline, a ready
/// `Result<TargetResponse>` would make every caller's future as large as a response.
fn failed<'a>(error: Error) -> CallFuture<'a> {
    Box::pin(std::future::ready(Err(error)))
}

/// Which path a `get_offers` call takes.
enum Route<'a> {
    /// By the Edge; the meta says which items needed it.
    Remote(ResponseMeta),
    /// On-device, with this artifact.
    Local(Arc<Loaded>, &'a Engine),
}

/// How a call the server answers was decided; with an artifact, which items needed the server.
fn remote_meta(loaded: Option<&Loaded>, request: &DeliveryRequest) -> ResponseMeta {
    let mut meta = ResponseMeta::server_side();
    if let Some(loaded) = loaded {
        let dependency = remote_dependency(&loaded.artifact, request);
        meta.remote_mboxes = dependency.mboxes;
        meta.remote_views = dependency.views;
    }
    meta
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
