//! Preparing the outgoing Delivery request: validation, ids, session, edge host and the body
//! fill-ins, without touching the caller's request.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::delivery::types::{
    AudienceManager, CustomerId, DeliveryRequest, ExecuteRequest, ExperienceCloud, LoggingType,
    MboxRequest, MetricType, PrefetchRequest, Property, VisitorId,
};
use crate::edge::{EdgeCluster, Endpoints};
use crate::options::{ClientOptions, GetOffersOptions};
use crate::remote::cookies::MboxCookie;
use crate::visitor::{CallVisitor, DEFAULT_CONSUMER_ID};

/// A request ready to send, and what was decided on the way.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(crate) session_id: String,
    /// The visitor's edge cluster, from the cookie or the location hint.
    pub(crate) cluster: Option<EdgeCluster>,
    pub(crate) request: Arc<DeliveryRequest>,
    /// The call's Experience Cloud visitor, whose state goes back to the caller.
    pub(crate) visitor: CallVisitor,
    /// The time the request was prepared at (its cookies read at): a decision made at once
    /// decides at this time too, without reading the clock again.
    #[cfg(feature = "on-device")]
    pub(crate) now: DateTime<Utc>,
}

/// What preparation needs from the outside world, fixed per call so it is testable.
pub(crate) struct Environment {
    pub(crate) now: DateTime<Utc>,
    /// The server's offset from UTC, used when the request has no `timeOffsetInMinutes`.
    pub(crate) utc_offset_minutes: f64,
}

/// Prepares `request` (taken from the caller's options, so the caller's copy is never changed)
/// for sending.
pub(crate) fn prepare(
    config: &ClientOptions,
    endpoints: &Endpoints,
    call: &GetOffersOptions,
    request: Arc<DeliveryRequest>,
    env: &Environment,
) -> Prepared {
    let cookie = call
        .target_cookie
        .as_deref()
        .map(|value| MboxCookie::parse(value, env.now.timestamp()))
        .unwrap_or_default();
    let device_id = cookie.device_id();
    // Each source is parsed where it enters: a value that is not a cluster id is no cluster.
    let cluster = device_id
        .and_then(EdgeCluster::from_device_id)
        .or_else(|| call.target_location_hint.clone())
        .or_else(|| endpoints.default_cluster().cloned());
    let session_id = cookie
        .session_id()
        .or(call.session_id.as_deref().filter(|s| !s.is_empty()))
        .map_or_else(crate::ids::new_id, str::to_owned);

    // The caller's request moved in: no one else holds it, so nothing is copied.
    let mut request = request;
    let body = Arc::make_mut(&mut request);
    if body.request_id.as_deref().is_none_or(str::is_empty) {
        body.request_id = Some(crate::ids::new_id());
    }
    if body.environment_id.is_none() {
        body.environment_id = config.environment_id;
    }
    body.property = property(body.property.take(), config.property_token.as_deref());
    let mut visitor = CallVisitor::new(
        call.visitor.as_ref(),
        &config.organization_id,
        call.visitor_cookie.as_deref(),
    );
    if let Some(ids) = &call.customer_ids {
        visitor.set_customer_id_map(ids.clone());
    }
    let consumer_id = call.consumer_id.as_deref().unwrap_or(DEFAULT_CONSUMER_ID);
    let mut cloud = body.experience_cloud.take().unwrap_or_default();
    let mut analytics = cloud.analytics.take().unwrap_or_default();
    let from_visitor = visitor.for_request(analytics.supplemental_data_id.take(), consumer_id);
    body.id = visitor_id(
        body.id.take(),
        device_id,
        from_visitor.marketing_cloud_visitor_id.as_deref(),
        &from_visitor.customer_ids,
    );
    if body.context.time_offset_in_minutes.is_none() {
        body.context.time_offset_in_minutes = Some(env.utc_offset_minutes);
    }
    analytics.supplemental_data_id = Some(from_visitor.supplemental_data_id);
    cloud.analytics = Some(analytics);
    body.experience_cloud = Some(experience_cloud(
        cloud,
        from_visitor.aam_location_hint,
        from_visitor.aam_blob,
    ));
    clean_items(body);
    body.notifications.retain(|notification| {
        let valid = !notification.id.is_empty()
            && notification.timestamp > 0
            && matches!(notification.type_, MetricType::Display | MetricType::Click);
        if !valid {
            tracing::warn!(id = %notification.id, "Notification validation failed for: dropping it");
        }
        valid
    });

    Prepared {
        session_id,
        cluster,
        request,
        visitor,
        #[cfg(feature = "on-device")]
        now: env.now,
    }
}

fn property(requested: Option<Property>, configured: Option<&str>) -> Option<Property> {
    let requested = requested.filter(|p| !p.token.is_empty());
    if let (Some(requested), Some(configured)) = (&requested, configured)
        && requested.token != configured
    {
        tracing::debug!(
            "the request's property token differs from the configured one; using the request's"
        );
    }
    requested.or_else(|| Property::builder().token(configured?).try_into().ok())
}

/// The visitor's ids as the Node.js SDK fills them: the request's Target id, else the cookie's;
/// the request's Experience Cloud id, else the visitor's; the visitor's customer ids, then the
/// request's (each once). An empty id counts as none; no id at all is no `id`.
pub(crate) fn visitor_id(
    id: Option<VisitorId>,
    device_id: Option<&str>,
    marketing_cloud_visitor_id: Option<&str>,
    customer_ids: &[CustomerId],
) -> Option<VisitorId> {
    let non_empty = |value: Option<String>| value.filter(|v| !v.is_empty());
    let mut id = id.unwrap_or_default();
    let tnt_id = id.tnt_id.take().or_else(|| device_id.map(str::to_owned));
    id.tnt_id = non_empty(tnt_id);
    let mcmid = id
        .marketing_cloud_visitor_id
        .take()
        .or_else(|| marketing_cloud_visitor_id.map(str::to_owned));
    id.marketing_cloud_visitor_id = non_empty(mcmid);
    id.third_party_id = non_empty(id.third_party_id.take());
    // Node prepends the visitor's ids even to a request that has them already (its own display
    // notifications then list each twice); an id already in the request is not added again.
    let mut customer_ids: Vec<CustomerId> = customer_ids
        .iter()
        .filter(|c| !id.customer_ids.contains(c))
        .cloned()
        .collect();
    customer_ids.append(&mut id.customer_ids);
    id.customer_ids = customer_ids;
    let empty = id.tnt_id.is_none()
        && id.third_party_id.is_none()
        && id.marketing_cloud_visitor_id.is_none()
        && id.customer_ids.is_empty();
    (!empty).then_some(id)
}

/// A4T and Audience Manager as the Node.js SDK fills them (`cloud` has its analytics, with the
/// supplemental data id, already): logging `server_side` unless set; the Audience Manager
/// `location_hint` and `blob` from the visitor's cookie unless the request has them (no
/// `audienceManager` when neither is known).
fn experience_cloud(
    mut cloud: ExperienceCloud,
    location_hint: Option<i32>,
    blob: Option<String>,
) -> ExperienceCloud {
    if let Some(analytics) = &mut cloud.analytics {
        if analytics.logging.is_none() {
            analytics.logging = Some(LoggingType::ServerSide);
        }
        for server in [
            &mut analytics.tracking_server,
            &mut analytics.tracking_server_secure,
        ] {
            if server.as_deref().is_some_and(str::is_empty) {
                *server = None;
            }
        }
    }
    let mut audience_manager = cloud.audience_manager.take().unwrap_or_default();
    if audience_manager.location_hint.is_none() {
        audience_manager.location_hint = location_hint;
    }
    if audience_manager.blob.is_none() {
        audience_manager.blob = blob;
    }
    cloud.audience_manager =
        (audience_manager != AudienceManager::default()).then_some(audience_manager);
    cloud
}

/// Drops nameless mboxes (with a log line) and numbers those without an index.
fn clean_mboxes(mboxes: &mut Vec<MboxRequest>) {
    mboxes.retain(|mbox| {
        if mbox.name.trim().is_empty() {
            tracing::warn!(index = ?mbox.index, "Mbox validation failed for: an mbox without a name; dropping it");
            return false;
        }
        true
    });
    for (position, mbox) in mboxes.iter_mut().enumerate() {
        if mbox.index.is_none() {
            mbox.index = i32::try_from(position).ok();
        }
    }
}

/// Cleans the execute and prefetch mboxes in place, and drops an execute or prefetch left with
/// nothing to decide.
fn clean_items(body: &mut DeliveryRequest) {
    if let Some(execute) = &mut body.execute {
        clean_mboxes(&mut execute.mboxes);
    }
    if let Some(prefetch) = &mut body.prefetch {
        clean_mboxes(&mut prefetch.mboxes);
    }
    let empty_execute = |e: &ExecuteRequest| e.page_load.is_none() && e.mboxes.is_empty();
    let empty_prefetch =
        |p: &PrefetchRequest| p.page_load.is_none() && p.mboxes.is_empty() && p.views.is_empty();
    if body.execute.as_ref().is_some_and(empty_execute) {
        body.execute = None;
    }
    if body.prefetch.as_ref().is_some_and(empty_prefetch) {
        body.prefetch = None;
    }
}

/// The server's offset from UTC in minutes, for `context.timeOffsetInMinutes`.
pub(crate) fn local_utc_offset_minutes() -> f64 {
    f64::from(chrono::Local::now().offset().local_minus_utc()) / 60.0
}

#[cfg(test)]
pub(crate) mod tests {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    use proptest::prelude::*;

    use super::*;
    use crate::delivery::types::DeliveryResponse;

    const NOW: i64 = 1_700_000_000;

    /// Strings a visitor could send: anything, and near-misses of the known attacks (hosts,
    /// user info, ports, paths, encodings, the cookie's own separators).
    pub(crate) fn hostile() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[0-9a-zA-Z@:/.#|_%?&=\\\\ -]{0,24}",
            "[0-9]{1,3}@(127\\.0\\.0\\.1|2130706433|\\[::1\\]):[0-9]{1,5}/",
            "(\\.\\./)+[a-z]{1,8}",
        ]
    }

    pub(crate) fn request() -> DeliveryRequest {
        serde_json::from_value(serde_json::json!({
            "context": {"channel": "web"},
            "execute": {"mboxes": [{"name": "hero"}]}
        }))
        .expect("a valid request")
    }

    /// The host of a call is the server domain, the client's host, or an edge named by a
    /// cluster id; nothing else (no user info, no other port, the API's path).
    fn assert_allowed(base_url: &str, server_domain: Option<&str>) {
        let url = url::Url::parse(&format!("{base_url}/rest/v1/delivery")).expect("a URL");
        let host = url.host_str().expect("a host");
        let edge = host
            .strip_prefix("mboxedge")
            .and_then(|h| h.strip_suffix(".tt.omtrdc.net"))
            .is_some_and(|c| EdgeCluster::parse(c).is_some());
        let allowed = match server_domain {
            Some(domain) => edge || format!("{host}:{}", url.port().unwrap_or(0)) == domain,
            None => edge || host == "acmeclient.tt.omtrdc.net",
        };
        assert!(allowed, "{base_url}");
        assert_eq!(url.username(), "");
        assert_eq!(url.password(), None);
        assert_eq!(url.path(), "/rest/v1/delivery", "{base_url}");
        if server_domain.is_none() || edge {
            assert_eq!(url.port(), None, "{base_url}");
        }
    }

    proptest! {
        #[test]
        fn no_visitor_input_chooses_the_host(
            tnt_id in hostile(),
            raw_cookie in hostile(),
            hint in hostile(),
            edge_host in hostile(),
        ) {
            for server_domain in [None, Some("127.0.0.1:8080")] {
                let config = ClientOptions::new("acmeclient", "org@AdobeOrg");
                let endpoints = Endpoints::new(true, "acmeclient", server_domain, None)
                    .expect("valid endpoints");
                let env = Environment { now: DateTime::from_timestamp(NOW, 0).unwrap_or_default(), utc_offset_minutes: 0.0 };
                let encoded = utf8_percent_encode(&tnt_id, NON_ALPHANUMERIC);
                for cookie in [format!("session#s#{}|PC#{encoded}#{}", NOW + 60, NOW + 60), raw_cookie.clone()] {
                    let call = GetOffersOptions::new(request())
                        .target_cookie(cookie)
                        .target_location_hint(&hint);
                    let prepared = prepare(&config, &endpoints, &call, Arc::new(request()), &env);
                    assert_allowed(&endpoints.base_url(prepared.cluster.as_ref()), server_domain);

                    // The cookie the SDK sets names a cluster id or nothing, whatever the Edge said.
                    let response = DeliveryResponse { edge_host: Some(edge_host.clone()), ..DeliveryResponse::default() };
                    let answer = crate::remote::response::Answer {
                        request: prepared.request.clone(), response: Box::new(response), status: 200,
                        meta: crate::remote::response::ResponseMeta::server_side(),
                        visitor_state: prepared.visitor.state(),
                    };
                    let shaped = crate::remote::response::shape(
                        answer, &prepared.session_id, prepared.cluster.as_ref(), NOW,
                    );
                    if let Some(cookie) = shaped.target_location_hint_cookie {
                        prop_assert!(EdgeCluster::parse(&cookie.value).is_some(), "{:?}", cookie);
                    }

                }
            }
        }
    }

    #[test]
    fn clusters_come_from_the_cookie_then_the_call_then_the_client() {
        let config = ClientOptions::new("acmeclient", "org@AdobeOrg");
        let endpoints = Endpoints::new(false, "acmeclient", None, Some("31")).expect("endpoints");
        let env = Environment {
            now: DateTime::from_timestamp(NOW, 0).unwrap_or_default(),
            utc_offset_minutes: 0.0,
        };
        let base = |call: GetOffersOptions| {
            endpoints.base_url(
                prepare(&config, &endpoints, &call, Arc::new(request()), &env)
                    .cluster
                    .as_ref(),
            )
        };
        let cookie = format!("PC#abc.28_0#{}", NOW + 60);
        assert_eq!(
            base(
                GetOffersOptions::default()
                    .target_cookie(&cookie)
                    .target_location_hint("35")
            ),
            "http://mboxedge28.tt.omtrdc.net"
        );
        assert_eq!(
            base(GetOffersOptions::default().target_location_hint("35")),
            "http://mboxedge35.tt.omtrdc.net"
        );
        assert_eq!(
            base(GetOffersOptions::default().target_location_hint("3/5")),
            "http://mboxedge31.tt.omtrdc.net"
        );
    }
}
