//! Shaping a Delivery response for the caller: cookies, A4T payloads, traces, response tokens and
//! what decided.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::delivery::types::{
    AnalyticsPayload, AnalyticsResponse, DecisioningMethod, DeliveryRequest, DeliveryResponse,
    OfferOption, TraceResponse,
};
use crate::edge::EdgeCluster;
use crate::remote::cookies::{self, TargetCookie};
use crate::visitor::VisitorState;

/// What `get_offers` and `send_notifications` return.
///
/// The A4T payloads, traces and response tokens of the peers' envelope are methods here that
/// read them from `response` without copying.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TargetResponse {
    /// The request as sent, after preparation. [`server_state`](Self::server_state) hands it
    /// with `response` to at.js. Shared: the response moves through the call's future and the
    /// caller's code without copying the request (about 1.8 KB) each time, and an on-device
    /// decision's background notification reads its context and ids from it instead of a copy
    /// (and takes them, once this response is dropped). `Arc::unwrap_or_clone` gives an owned one.
    pub request: Arc<DeliveryRequest>,
    /// The Delivery API's answer (empty for a 204). Boxed (624 bytes inline).
    pub response: Box<DeliveryResponse>,
    /// The HTTP status: 200, 204, or 206 for an on-device answer that needs the server for some items.
    pub status: u16,
    /// The `mbox` cookie to set on the visitor's browser.
    pub target_cookie: Option<TargetCookie>,
    /// The `mboxEdgeCluster` cookie to set, when the edge cluster is known.
    pub target_location_hint_cookie: Option<TargetCookie>,
    /// How the call was decided.
    pub meta: ResponseMeta,
    /// The call's Experience Cloud visitor after the call, for the page's Visitor API (see
    /// [`VisitorState`]), shaped as the Node.js SDK's `visitorState`.
    pub visitor_state: VisitorState,
}

/// What at.js 2.2 and later take as `serverState` (`window.targetGlobalSettings`) to render
/// offers prefetched on the server without asking Target again: the request as sent and the
/// response, as the Java SDK's `ServerState` holds them.
///
/// ```
/// # fn page(out: &adobe_target::TargetResponse) -> serde_json::Result<String> {
/// let state = serde_json::to_string(&out.server_state())?;
/// Ok(format!("<script>window.targetGlobalSettings = {{serverState: {state}}};</script>"))
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ServerState<'a> {
    /// The Delivery request as sent.
    pub request: &'a DeliveryRequest,
    /// The Delivery response.
    pub response: &'a DeliveryResponse,
}

/// How a call was decided.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ResponseMeta {
    /// The method that actually decided: hybrid resolves to on-device or server-side.
    pub decisioning_method: DecisioningMethod,
    /// Mboxes that need the server (on-device answered them with no content).
    pub remote_mboxes: Vec<String>,
    /// Views that need the server.
    pub remote_views: Vec<String>,
}

impl ResponseMeta {
    pub(crate) fn server_side() -> Self {
        Self {
            decisioning_method: DecisioningMethod::ServerSide,
            remote_mboxes: Vec::new(),
            remote_views: Vec::new(),
        }
    }
}

/// One decision site of a response: its options, A4T payload and trace.
struct Site<'a> {
    options: &'a [OfferOption],
    analytics: Option<&'a AnalyticsResponse>,
    trace: Option<&'a TraceResponse>,
}

impl TargetResponse {
    /// The request and response for at.js's `serverState`.
    ///
    /// ```
    /// # async fn run(client: adobe_target::TargetClient, options: adobe_target::GetOffersOptions) -> adobe_target::Result<()> {
    /// let out = client.get_offers(options).await?;
    /// // at.js 2.x reads this as `targetGlobalSettings.serverState`.
    /// let state = serde_json::to_string(&out.server_state()).unwrap_or_default();
    /// let script = format!("window.targetGlobalSettings = {{serverState: {state}}};");
    /// # let _ = script;
    /// # Ok(()) }
    /// ```
    pub fn server_state(&self) -> ServerState<'_> {
        ServerState {
            request: &self.request,
            response: &self.response,
        }
    }

    /// The decision sites in the peers' order: execute page load, execute mboxes, prefetch page
    /// load, views, prefetch mboxes.
    fn sites(&self) -> impl Iterator<Item = Site<'_>> {
        fn site<'a>(
            options: &'a [OfferOption],
            analytics: &'a Option<AnalyticsResponse>,
            trace: &'a Option<TraceResponse>,
        ) -> Site<'a> {
            Site {
                options,
                analytics: analytics.as_ref(),
                trace: trace.as_ref(),
            }
        }
        let execute = self.response.execute.as_ref();
        let prefetch = self.response.prefetch.as_ref();
        execute
            .and_then(|e| e.page_load.as_ref())
            .map(|p| site(&p.options, &p.analytics, &p.trace))
            .into_iter()
            .chain(
                execute
                    .into_iter()
                    .flat_map(|e| &e.mboxes)
                    .map(|m| site(&m.options, &m.analytics, &m.trace)),
            )
            .chain(
                prefetch
                    .and_then(|p| p.page_load.as_ref())
                    .map(|p| site(&p.options, &p.analytics, &p.trace)),
            )
            .chain(
                prefetch
                    .into_iter()
                    .flat_map(|p| &p.views)
                    .map(|v| site(&v.options, &v.analytics, &v.trace)),
            )
            .chain(
                prefetch
                    .into_iter()
                    .flat_map(|p| &p.mboxes)
                    .map(|m| site(&m.options, &m.analytics, &m.trace)),
            )
    }

    /// The A4T payloads, to send to Analytics when logging is client-side.
    ///
    /// ```
    /// # fn show(out: &adobe_target::TargetResponse) {
    /// for payload in out.analytics_details() {
    ///     println!("pe={:?} tnta={:?}", payload.pe, payload.tnta);
    /// }
    /// # }
    /// ```
    pub fn analytics_details(&self) -> Vec<&AnalyticsPayload> {
        self.sites()
            .filter_map(|s| s.analytics.and_then(|a| a.payload.as_ref()))
            .collect()
    }

    /// The traces, when the request asked for one.
    ///
    /// ```
    /// # async fn run(client: adobe_target::TargetClient, options: adobe_target::GetOffersOptions) -> adobe_target::Result<()> {
    /// let out = client.get_offers(options).await?;
    /// for trace in out.traces() {
    ///     println!("{}", serde_json::to_string_pretty(trace).unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn traces(&self) -> Vec<&TraceResponse> {
        self.sites().filter_map(|s| s.trace).collect()
    }

    /// The response tokens of every option (`activity.id`, `experience.name`, ...).
    ///
    /// ```
    /// # fn show(out: &adobe_target::TargetResponse) {
    /// for tokens in out.response_tokens() {
    ///     println!("activity {:?}", tokens.get("activity.id"));
    /// }
    /// # }
    /// ```
    pub fn response_tokens(&self) -> Vec<&Map<String, Value>> {
        self.sites()
            .flat_map(|s| s.options.iter())
            .filter_map(|o| o.response_tokens.as_deref())
            .collect()
    }
}

/// A decided call, by the Edge or on-device: the request as sent, the answer, its status and how
/// it was decided.
pub(crate) struct Answer {
    pub(crate) request: Arc<DeliveryRequest>,
    pub(crate) response: Box<DeliveryResponse>,
    pub(crate) status: u16,
    pub(crate) meta: ResponseMeta,
    pub(crate) visitor_state: VisitorState,
}

/// Builds the caller's view of an answer for the visitor of `session_id` on `cluster`, with the
/// cookies to set (`now`: seconds since the epoch, for their expiry).
pub(crate) fn shape(
    answer: Answer,
    session_id: &str,
    cluster: Option<&EdgeCluster>,
    now: i64,
) -> TargetResponse {
    let Answer {
        request,
        response,
        status,
        meta,
        visitor_state,
    } = answer;
    let tnt_id = response.id.as_ref().and_then(|id| id.tnt_id.as_deref());
    let target_cookie = Some(cookies::target_cookie(session_id, tnt_id, now));
    let from_edge = || {
        response
            .edge_host
            .as_deref()
            .and_then(EdgeCluster::from_edge_host)
    };
    let target_location_hint_cookie = match cluster {
        Some(cluster) => Some(cookies::location_hint_cookie(cluster)),
        None => from_edge().as_ref().map(cookies::location_hint_cookie),
    };
    TargetResponse {
        request,
        response,
        status,
        target_cookie,
        target_location_hint_cookie,
        meta,
        visitor_state,
    }
}
