//! Preparing the outgoing Delivery request: validation, ids, session, edge host and the body
//! fill-ins, without touching the caller's request.

use chrono::{DateTime, Utc};

use crate::cookies::{MboxCookie, cluster_from_device_id};
use crate::delivery::types::{
    DeliveryRequest, ExecuteRequest, ExperienceCloud, LoggingType, MboxRequest, MetricType,
    PrefetchRequest, Property, VisitorId,
};
use crate::error::{Error, Result};
use crate::options::{ClientOptions, GetOffersOptions};

/// A request ready to send, and what was decided on the way.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    /// `scheme://host[:port]`, without a trailing slash.
    pub(crate) base_url: String,
    pub(crate) session_id: String,
    /// The visitor's edge cluster, from the cookie or the location hint.
    pub(crate) cluster: Option<String>,
    pub(crate) request: DeliveryRequest,
}

/// The checks every SDK applies before sending (same messages as the Python and Node.js SDKs).
pub(crate) fn validate(request: &DeliveryRequest) -> Result<()> {
    if let Some(execute) = &request.execute
        && execute.page_load.is_none()
        && execute.mboxes.is_empty()
    {
        return Err(Error::InvalidRequest(
            "Either pageLoad or mboxes is required in execute".to_owned(),
        ));
    }
    if let Some(prefetch) = &request.prefetch
        && prefetch.page_load.is_none()
        && prefetch.mboxes.is_empty()
        && prefetch.views.is_empty()
    {
        return Err(Error::InvalidRequest(
            "Either views, pageLoad or mboxes is required in prefetch".to_owned(),
        ));
    }
    Ok(())
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
    call: &GetOffersOptions,
    request: DeliveryRequest,
    env: &Environment,
) -> Prepared {
    let cookie = call
        .target_cookie
        .as_deref()
        .map(|value| MboxCookie::parse(value, env.now.timestamp()))
        .unwrap_or_default();
    let device_id = cookie.device_id();
    let cluster = device_id
        .and_then(cluster_from_device_id)
        .or(call.target_location_hint.as_deref())
        .or(config.target_location_hint.as_deref())
        .map(str::to_owned);
    let session_id = cookie
        .session_id()
        .or(call.session_id.as_deref().filter(|s| !s.is_empty()))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);

    let mut body = request;
    if body.request_id.as_deref().is_none_or(str::is_empty) {
        body.request_id = Some(uuid::Uuid::new_v4().to_string());
    }
    if body.environment_id.is_none() {
        body.environment_id = config.environment_id;
    }
    body.property = property(body.property.take(), config.property_token.as_deref());
    body.id = visitor_id(body.id.take(), device_id, call);
    if body.context.time_offset_in_minutes.is_none() {
        body.context.time_offset_in_minutes = Some(env.utc_offset_minutes);
    }
    body.experience_cloud = Some(experience_cloud(body.experience_cloud.take()));
    body.execute = body.execute.take().and_then(execute);
    body.prefetch = body.prefetch.take().and_then(prefetch);
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
        base_url: base_url(config, cluster.as_deref()),
        session_id,
        cluster,
        request: body,
    }
}

/// `https://mboxedge{cluster}.tt.omtrdc.net` when the cluster is known, else the server domain,
/// else `{client}.tt.omtrdc.net`; `http` when `secure` is off.
pub(crate) fn base_url(config: &ClientOptions, cluster: Option<&str>) -> String {
    let scheme = if config.secure { "https" } else { "http" };
    match (cluster, &config.server_domain) {
        (Some(cluster), _) => format!("{scheme}://mboxedge{cluster}.tt.omtrdc.net"),
        (None, Some(domain)) => format!("{scheme}://{domain}"),
        (None, None) => format!("{scheme}://{}.tt.omtrdc.net", config.client),
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
    requested.or_else(|| {
        configured.map(|token| Property {
            token: token.to_owned(),
        })
    })
}

fn visitor_id(
    id: Option<VisitorId>,
    device_id: Option<&str>,
    call: &GetOffersOptions,
) -> Option<VisitorId> {
    let mut id = id.unwrap_or_default();
    if id.tnt_id.as_deref().is_none_or(str::is_empty) {
        id.tnt_id = device_id.map(str::to_owned);
    }
    id.customer_ids.extend(call.customer_ids.iter().cloned());
    let empty = id.tnt_id.is_none()
        && id.third_party_id.is_none()
        && id.marketing_cloud_visitor_id.is_none()
        && id.customer_ids.is_empty();
    (!empty).then_some(id)
}

fn experience_cloud(cloud: Option<ExperienceCloud>) -> ExperienceCloud {
    let mut cloud = cloud.unwrap_or_default();
    let mut analytics = cloud.analytics.take().unwrap_or_default();
    if analytics.logging.is_none() {
        analytics.logging = Some(LoggingType::ServerSide);
    }
    cloud.analytics = Some(analytics);
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

fn execute(mut execute: ExecuteRequest) -> Option<ExecuteRequest> {
    clean_mboxes(&mut execute.mboxes);
    (execute.page_load.is_some() || !execute.mboxes.is_empty()).then_some(execute)
}

fn prefetch(mut prefetch: PrefetchRequest) -> Option<PrefetchRequest> {
    clean_mboxes(&mut prefetch.mboxes);
    (prefetch.page_load.is_some() || !prefetch.mboxes.is_empty() || !prefetch.views.is_empty())
        .then_some(prefetch)
}

/// The server's offset from UTC in minutes, for `context.timeOffsetInMinutes`.
pub(crate) fn local_utc_offset_minutes() -> f64 {
    f64::from(chrono::Local::now().offset().local_minus_utc()) / 60.0
}
