//! Calls to the Delivery API: preparation, the shared connection pool, retries with backoff,
//! the in-flight limit, the timeout, telemetry, and shaping of the answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::delivery::{
    self,
    types::{DecisioningMethod, DeliveryRequest, DeliveryResponse, ExecutionMode},
};
use crate::edge::EdgeCluster;
use crate::edge::Endpoints;
use crate::error::{Error, Result};
use crate::events::EventBus;
use crate::options::{ClientOptions, Clock, GetOffersOptions};
use crate::remote::prepare::{self, Environment, Prepared};
use crate::remote::response::{self, Answer, ResponseMeta, TargetResponse};
use crate::remote::telemetry::{TelemetryStore, request_entry};

/// How long a call took, for its telemetry entry.
pub(crate) struct Timing {
    /// Where it was decided.
    pub(crate) mode: ExecutionMode,
    /// Deciding: the Edge's round trip, or the on-device decision.
    pub(crate) execution: Duration,
    /// When shaping the answer began (the entry's `parsing`).
    pub(crate) shaping_started: Instant,
}

/// What every call shares.
pub(crate) struct Pipeline {
    pub(crate) options: ClientOptions,
    /// The hosts calls can go to, from the validated options.
    pub(crate) endpoints: Endpoints,
    pub(crate) http: reqwest::Client,
    in_flight: Option<Semaphore>,
    pub(crate) events: Arc<EventBus>,
    pub(crate) telemetry: Arc<TelemetryStore>,
    utc_offset_minutes: f64,
    pub(crate) clock: Clock,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    pub(crate) fn new(options: ClientOptions) -> Result<Self> {
        let http = match &options.http_client {
            Some(client) => client.clone(),
            None => default_http_client(&options)?,
        };
        let endpoints = Endpoints::new(
            options.secure,
            &options.client,
            options.server_domain.as_deref(),
            options.target_location_hint.as_deref(),
        )?;
        Ok(Self {
            endpoints,
            in_flight: options.max_in_flight.map(|n| Semaphore::new(n.get())),
            events: Arc::new(EventBus::new(options.handlers.clone())),
            telemetry: Arc::new(TelemetryStore::default()),
            utc_offset_minutes: prepare::local_utc_offset_minutes(),
            clock: options.clock.clone().unwrap_or_else(|| Arc::new(Utc::now)),
            http,
            options,
        })
    }

    /// Finishes a decided call, remote or on-device: shapes the answer for the visitor and, with
    /// `timing`, records the call's telemetry entry (when telemetry is on).
    pub(crate) fn finish(
        &self,
        answer: Answer,
        session_id: &str,
        cluster: Option<&EdgeCluster>,
        now: DateTime<Utc>,
        timing: Option<Timing>,
    ) -> TargetResponse {
        let shaped = response::shape(answer, session_id, cluster, now.timestamp());
        if let Some(timing) = timing.filter(|_| self.options.telemetry_enabled) {
            let method = match timing.mode {
                ExecutionMode::Local => DecisioningMethod::OnDevice,
                _ => DecisioningMethod::ServerSide,
            };
            let mut entry = request_entry(
                &shaped.request,
                method,
                timing.mode,
                now.timestamp_millis(),
                timing.execution,
                timing.shaping_started.elapsed(),
            );
            entry.telemetry_server_token = shaped.response.telemetry_server_token.clone();
            self.telemetry.add(entry);
        }
        shaped
    }

    /// Moves the pending telemetry entries into `request`, when telemetry is on.
    pub(crate) fn attach_telemetry(&self, request: &mut DeliveryRequest) {
        if self.options.telemetry_enabled {
            self.telemetry.drain_into(request);
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Prepares `request` as every Target SDK does (ids, session, cluster, defaults).
    pub(crate) fn prepare(
        &self,
        options: &GetOffersOptions,
        request: Arc<DeliveryRequest>,
    ) -> Prepared {
        let env = Environment {
            now: self.now(),
            utc_offset_minutes: self.utc_offset_minutes,
        };
        prepare::prepare(&self.options, &self.endpoints, options, request, &env)
    }

    /// Sends `request` to the Delivery API and shapes the answer; `meta` says how it was decided.
    ///
    /// Prepares at once and returns only the sending as a future: the future a caller holds
    /// while the Edge answers then carries the prepared request once, not also the argument.
    pub(crate) fn execute(
        &self,
        operation: &'static str,
        options: &GetOffersOptions,
        request: Arc<DeliveryRequest>,
        meta: ResponseMeta,
    ) -> impl Future<Output = Result<TargetResponse>> + Send + '_ {
        let started = Instant::now();
        let mut prepared = self.prepare(options, request);
        let span = tracing::info_span!(
            "target",
            operation,
            request_id = prepared.request.request_id.as_deref().unwrap_or_default(),
            status = tracing::field::Empty,
        );
        let timeout = options.timeout.unwrap_or(self.options.timeout);
        async move {
            // Drained here, not when the call is made: a future dropped unpolled loses nothing.
            self.attach_telemetry(Arc::make_mut(&mut prepared.request));
            let (status, response) = self
                .send(
                    &prepared.session_id,
                    prepared.cluster.as_ref(),
                    &prepared.request,
                    timeout,
                )
                .await?;
            tracing::Span::current().record("status", status);
            let timing = Timing {
                mode: ExecutionMode::Edge,
                execution: started.elapsed(),
                shaping_started: Instant::now(),
            };
            let Prepared {
                request,
                session_id,
                cluster,
                visitor,
                ..
            } = prepared;
            let answer = Answer {
                request,
                response: Box::new(response),
                status,
                meta,
                visitor_state: visitor.state(),
            };
            let timing = (operation == "get_offers").then_some(timing);
            Ok(self.finish(answer, &session_id, cluster.as_ref(), self.now(), timing))
        }
        .instrument(span)
    }

    /// Sends a background notification request (the display notifications of on-device
    /// decisions, already prepared with the decision's request: its ids, context and Experience
    /// Cloud settings) for the visitor's session on `cluster`, with the client's retry policy and
    /// `timeout`. Nothing is shaped from the answer (no one reads it) and no copy is kept in case
    /// it fails: a failure gives the request back for the event that reports it.
    #[cfg(feature = "on-device")]
    pub(crate) async fn notify(
        &self,
        session_id: &str,
        cluster: Option<&EdgeCluster>,
        mut request: Box<DeliveryRequest>,
        timeout: Duration,
    ) -> std::result::Result<(), (Error, Box<DeliveryRequest>)> {
        let span = tracing::info_span!(
            "target",
            operation = "send_notifications",
            request_id = request.request_id.as_deref().unwrap_or_default(),
            status = tracing::field::Empty,
        );
        async move {
            self.attach_telemetry(&mut request);
            match self.send(session_id, cluster, &request, timeout).await {
                Ok((status, _)) => {
                    tracing::Span::current().record("status", status);
                    Ok(())
                }
                Err(error) => Err((error, request)),
            }
        }
        .instrument(span)
        .await
    }

    /// Sends a prepared request for the visitor's session on `cluster`, with the client's retry
    /// policy, in-flight limit and `timeout`.
    async fn send(
        &self,
        session_id: &str,
        cluster: Option<&EdgeCluster>,
        request: &DeliveryRequest,
        timeout: Duration,
    ) -> Result<(u16, DeliveryResponse)> {
        let _permit = match &self.in_flight {
            Some(limit) => Some(limit.acquire().await.map_err(|_| Error::Shutdown)?),
            None => None,
        };
        let config = &self.options;
        let base_url = self.endpoints.base_url(cluster);
        let raw = delivery::positional::Client::new_with_client(&base_url, self.http.clone());
        let raw = &raw;
        // Each attempt borrows the request and the options. Its state (hooks, response) lives on
        // the heap only while that attempt runs, instead of inline in every waiting call's future.
        let attempt = || {
            Box::pin(
                raw.execute(
                    Some(&config.client),
                    &config.organization_id,
                    session_id,
                    config.version.as_deref(),
                    request,
                )
                .map(delivery::settle),
            )
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
