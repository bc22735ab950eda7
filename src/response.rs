//! Shaping a Delivery response for the caller: cookies, A4T payloads, traces, response tokens and
//! what decided.

use crate::cookies::{self, TargetCookie, cluster_from_edge_host};
use crate::delivery::types::{
    AnalyticsPayload, AnalyticsResponse, DecisioningMethod, DeliveryRequest, DeliveryResponse,
    OfferOption, ResponseTokens, TraceResponse,
};

/// What `get_offers` and `send_notifications` return.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TargetResponse {
    /// The request as sent, after preparation. Hand it with `response` to at.js as `serverState`.
    pub request: DeliveryRequest,
    /// The Delivery API's answer (empty for a 204).
    pub response: DeliveryResponse,
    /// The HTTP status: 200, 204, or 206 for an on-device answer that needs the server for some items.
    pub status: u16,
    /// The `mbox` cookie to set on the visitor's browser.
    pub target_cookie: Option<TargetCookie>,
    /// The `mboxEdgeCluster` cookie to set, when the edge cluster is known.
    pub target_location_hint_cookie: Option<TargetCookie>,
    /// The A4T payloads, in response order (execute page load, execute mboxes, prefetch page load,
    /// views, prefetch mboxes).
    pub analytics_details: Vec<AnalyticsPayload>,
    /// The traces, in the same order.
    pub trace: Vec<TraceResponse>,
    /// The response tokens of every option, in the same order.
    pub response_tokens: Vec<ResponseTokens>,
    /// How the call was decided.
    pub meta: ResponseMeta,
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

fn sites(response: &DeliveryResponse) -> Vec<Site<'_>> {
    let mut sites = Vec::new();
    if let Some(execute) = &response.execute {
        if let Some(p) = &execute.page_load {
            sites.push(Site {
                options: &p.options,
                analytics: p.analytics.as_ref(),
                trace: p.trace.as_ref(),
            });
        }
        for m in &execute.mboxes {
            sites.push(Site {
                options: &m.options,
                analytics: m.analytics.as_ref(),
                trace: m.trace.as_ref(),
            });
        }
    }
    if let Some(prefetch) = &response.prefetch {
        if let Some(p) = &prefetch.page_load {
            sites.push(Site {
                options: &p.options,
                analytics: p.analytics.as_ref(),
                trace: p.trace.as_ref(),
            });
        }
        for v in &prefetch.views {
            sites.push(Site {
                options: &v.options,
                analytics: v.analytics.as_ref(),
                trace: v.trace.as_ref(),
            });
        }
        for m in &prefetch.mboxes {
            sites.push(Site {
                options: &m.options,
                analytics: m.analytics.as_ref(),
                trace: m.trace.as_ref(),
            });
        }
    }
    sites
}

/// Builds the caller's view of a response.
pub(crate) fn shape(
    request: DeliveryRequest,
    response: DeliveryResponse,
    status: u16,
    session_id: &str,
    cluster: Option<&str>,
    meta: ResponseMeta,
    now: i64,
) -> TargetResponse {
    let tnt_id = response.id.as_ref().and_then(|id| id.tnt_id.as_deref());
    let target_cookie = Some(cookies::target_cookie(session_id, tnt_id, now));
    let cluster = cluster.or_else(|| {
        response
            .edge_host
            .as_deref()
            .and_then(cluster_from_edge_host)
    });
    let target_location_hint_cookie = cluster.map(cookies::location_hint_cookie);

    let mut analytics_details = Vec::new();
    let mut trace = Vec::new();
    let mut response_tokens = Vec::new();
    for site in sites(&response) {
        if let Some(payload) = site.analytics.and_then(|a| a.payload.clone()) {
            analytics_details.push(payload);
        }
        if let Some(t) = site.trace {
            trace.push(t.clone());
        }
        response_tokens.extend(
            site.options
                .iter()
                .filter_map(|o| o.response_tokens.clone()),
        );
    }

    TargetResponse {
        request,
        response,
        status,
        target_cookie,
        target_location_hint_cookie,
        analytics_details,
        trace,
        response_tokens,
        meta,
    }
}
