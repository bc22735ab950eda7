//! A client's on-device side: the artifact provider and its polling, the CDN, the background
//! notification sender, and the routing of a call between the engine and the Edge. Without the
//! `on-device` feature there is none (an empty type), so a remote-only service links none of the
//! decisioning code.

#[cfg(feature = "on-device")]
pub(crate) use with_engine::OnDevice;
#[cfg(not(feature = "on-device"))]
pub(crate) use without_engine::OnDevice;

#[cfg(feature = "on-device")]
mod with_engine {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::sync::watch;

    use crate::delivery::types::{DecisioningMethod, DeliveryRequest};
    use crate::error::{Error, Result};
    use crate::ondevice::calls;
    use crate::ondevice::cdn::HttpCdn;
    use crate::ondevice::engine::decide::{Explanation, remote_dependency};
    use crate::ondevice::notifier::Notifier;
    use crate::ondevice::provider::{Loaded, Provider, Source};
    use crate::options::GetOffersOptions;
    use crate::remote::pipeline::Pipeline;
    use crate::remote::response::ResponseMeta;
    use crate::remote::{self, CallFuture};

    pub(crate) struct OnDevice {
        current: watch::Receiver<Option<Arc<Loaded>>>,
        failures: watch::Receiver<Option<Arc<Error>>>,
        cdn: Arc<HttpCdn>,
        notifier: Notifier,
        stop: watch::Sender<bool>,
        poller: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    }

    impl Drop for OnDevice {
        fn drop(&mut self) {
            // Stops polling; the notifier sends what is queued and ends on its own.
            self.stop.send_replace(true);
        }
    }

    impl OnDevice {
        /// Starts loading the artifact (and polling for new ones) in the background.
        pub(crate) fn start(pipeline: &Arc<Pipeline>) -> Result<Self> {
            let options = &pipeline.options;
            let source = Source {
                location: options.artifact_url()?,
                payload: options.artifact_payload.clone(),
                payload_bytes: options.artifact_bytes.clone(),
                format: options.effective_artifact_format(),
                organization_id: options.organization_id.to_string(),
                polling_interval: options.polling_interval,
            };
            let provider = Arc::new(Provider::new(
                source,
                pipeline.events.clone(),
                pipeline.telemetry.clone(),
            )?);
            let cdn = Arc::new(HttpCdn {
                http: pipeline.http.clone(),
                geo_url: format!("{}/v1/geo", options.cdn_base_url()),
                timeout: options.timeout.max(Duration::from_secs(10)),
            });
            let (stop, stopped) = watch::channel(false);
            let poller = tokio::spawn(provider.clone().run(cdn.clone(), stopped));
            Ok(Self {
                current: provider.subscribe(),
                failures: provider.failures(),
                cdn,
                notifier: Notifier::start(pipeline.clone()),
                stop,
                poller: std::sync::Mutex::new(Some(poller)),
            })
        }

        /// Resolves once an artifact is loaded, waiting at most `limit`. A failure retrying
        /// cannot mend ends the wait at once; either way the error carries the last failure.
        pub(crate) async fn ready(&self, limit: Option<Duration>) -> Result<()> {
            let wait = async {
                let (mut current, mut failures) = (self.current.clone(), self.failures.clone());
                loop {
                    if current.borrow_and_update().is_some() {
                        return Ok(());
                    }
                    if failures
                        .borrow_and_update()
                        .as_ref()
                        .is_some_and(|error| !error.is_retryable())
                    {
                        return Err(self.not_ready());
                    }
                    // A closed channel: the provider has stopped, and nothing will change.
                    let changed = tokio::select! {
                        changed = current.changed() => changed,
                        changed = failures.changed() => changed,
                    };
                    if changed.is_err() {
                        return match current.borrow().is_some() {
                            true => Ok(()),
                            false => Err(self.not_ready()),
                        };
                    }
                }
            };
            match limit {
                Some(limit) => tokio::time::timeout(limit, wait)
                    .await
                    .unwrap_or_else(|_| Err(self.not_ready())),
                None => wait.await,
            }
        }

        /// `EngineNotReady`, with the last failed attempt.
        fn not_ready(&self) -> Error {
            Error::EngineNotReady {
                last_failure: self.failures.borrow().clone(),
            }
        }

        /// Starts a validated `get_offers` call: on-device when `method` and the artifact loaded
        /// now allow it, by the Edge otherwise, with the meta saying which items needed it.
        pub(crate) fn get_offers<'a>(
            &'a self,
            pipeline: &'a Pipeline,
            method: DecisioningMethod,
            options: &GetOffersOptions,
            request: Arc<DeliveryRequest>,
        ) -> Result<CallFuture<'a>> {
            let loaded = self.current.borrow().clone();
            let meta = match (method, loaded) {
                (DecisioningMethod::OnDevice, None) => return Err(self.not_ready()),
                (DecisioningMethod::OnDevice, Some(loaded)) => {
                    return Ok(self.decide(pipeline, loaded, options, request, false));
                }
                (DecisioningMethod::Hybrid | DecisioningMethod::ServerSide, Some(loaded)) => {
                    let dependency = remote_dependency(&loaded.artifact, &request);
                    if method == DecisioningMethod::Hybrid && !dependency.needed() {
                        // Routed here because nothing needs the server: the decision need not
                        // check that again (preparing only removes items).
                        return Ok(self.decide(pipeline, loaded, options, request, true));
                    }
                    ResponseMeta {
                        remote_mboxes: dependency.mboxes,
                        remote_views: dependency.views,
                        ..ResponseMeta::server_side()
                    }
                }
                (_, None) => ResponseMeta::server_side(),
            };
            Ok(remote::get_offers(pipeline, options, request, meta))
        }

        fn decide<'a>(
            &'a self,
            pipeline: &'a Pipeline,
            loaded: Arc<Loaded>,
            options: &GetOffersOptions,
            request: Arc<DeliveryRequest>,
            known_local: bool,
        ) -> CallFuture<'a> {
            calls::get_offers(
                pipeline,
                self.cdn.as_ref(),
                &self.notifier,
                loaded,
                options,
                request,
                known_local,
            )
        }

        /// Every rule the loaded artifact evaluates for `request` (`EngineNotReady` before one
        /// is loaded).
        pub(crate) async fn explain(
            &self,
            pipeline: &Pipeline,
            options: &GetOffersOptions,
            request: Arc<DeliveryRequest>,
        ) -> Result<Explanation> {
            let loaded = self
                .current
                .borrow()
                .clone()
                .ok_or_else(|| self.not_ready())?;
            Ok(calls::explain(pipeline, self.cdn.as_ref(), loaded, options, request).await)
        }

        /// Waits until every queued notification was sent or reported.
        pub(crate) async fn flush(&self) {
            self.notifier.flush().await;
        }

        /// Stops polling, sends what is queued, and waits for the background tasks to end.
        pub(crate) async fn shutdown(&self) {
            self.stop.send_replace(true);
            let poller = self.poller.lock().ok().and_then(|mut p| p.take());
            if let Some(poller) = poller {
                let _ = poller.await;
            }
            self.notifier.close().await;
        }
    }
}

#[cfg(not(feature = "on-device"))]
mod without_engine {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::delivery::types::{DecisioningMethod, DeliveryRequest};
    use crate::error::Result;
    use crate::options::{GetOffersOptions, on_device_unavailable};
    use crate::remote::CallFuture;
    use crate::remote::pipeline::Pipeline;

    /// No engine can exist without the feature: a client's `Option<OnDevice>` is always `None`.
    pub(crate) enum OnDevice {}

    impl OnDevice {
        pub(crate) fn start(_: &Arc<Pipeline>) -> Result<Self> {
            Err(on_device_unavailable())
        }

        pub(crate) async fn ready(&self, _: Option<Duration>) -> Result<()> {
            match *self {}
        }

        pub(crate) fn get_offers<'a>(
            &'a self,
            _: &'a Pipeline,
            _: DecisioningMethod,
            _: &GetOffersOptions,
            _: Arc<DeliveryRequest>,
        ) -> Result<CallFuture<'a>> {
            match *self {}
        }

        pub(crate) async fn flush(&self) {
            match *self {}
        }

        pub(crate) async fn shutdown(&self) {
            match *self {}
        }
    }
}
