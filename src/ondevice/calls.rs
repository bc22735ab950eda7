//! Deciding on the client, for `TargetClient`: the request checks the other SDKs make before an
//! on-device decision (geo lookup, visitor id), the decision, its telemetry and notifications,
//! and the shaped response.

use std::sync::Arc;
use std::time::Instant;

use crate::delivery::types::{
    AuthenticatedState, DecisioningMethod, DeliveryRequest, ExecutionMode, Geo, VisitorId,
};
use crate::edge::EdgeCluster;
use crate::events::Event;
use crate::ondevice::engine::decide::{DecideInput, Decision, Explanation, decide};
use crate::ondevice::engine::geo;
use crate::ondevice::notifier::{Decided, Notifier};
use crate::ondevice::provider::{Cdn, Loaded};
use crate::options::{GetOffersOptions, NotificationOverflow};
use crate::remote::CallFuture;
use crate::remote::pipeline::{Pipeline, Timing};
use crate::remote::prepare::Prepared;
use crate::remote::response::{Answer, ResponseMeta, TargetResponse};

/// Decides `request` with the loaded artifact: at once, or after a geo lookup when the artifact
/// targets by geo and the request has no location.
pub(crate) fn get_offers<'a>(
    pipeline: &'a Pipeline,
    cdn: &'a dyn Cdn,
    notifier: &'a Notifier,
    loaded: Arc<Loaded>,
    options: &GetOffersOptions,
    request: Arc<DeliveryRequest>,
    known_local: bool,
) -> CallFuture<'a> {
    let started = Instant::now();
    let (prepared, kept, lookup) = prepare(pipeline, &loaded, options, request);
    // A full notification queue makes the call wait for room first, if the policy says so.
    let wait = match pipeline.options.notification_overflow {
        NotificationOverflow::Wait(max) if !notifier.has_room() => Some(max),
        _ => None,
    };
    let (None, None) = (&lookup, wait) else {
        return Box::pin(async move {
            if let Some(max) = wait {
                notifier.wait_for_room(max).await;
            }
            let geo = visitor_geo(pipeline, cdn, kept, lookup).await;
            // Decided after waiting: at the time it is decided, not the time it was prepared.
            let now = pipeline.now();
            Ok(decide_now(
                pipeline,
                notifier,
                &loaded,
                Prepared { now, ..prepared },
                geo,
                started,
                known_local,
            ))
        });
    };
    // Nothing to wait for: decided on the first poll, so a future dropped unpolled queues no
    // notification, and without the state of an `async` block (8 KB).
    Box::pin(futures::future::lazy(move |_| {
        Ok(decide_now(
            pipeline,
            notifier,
            &loaded,
            prepared,
            kept,
            started,
            known_local,
        ))
    }))
}

/// Every rule the engine evaluates for `request`, with the same preparation and geo lookup as
/// a decision, and nothing sent: no notification, no telemetry.
pub(crate) async fn explain(
    pipeline: &Pipeline,
    cdn: &dyn Cdn,
    loaded: Arc<Loaded>,
    options: &GetOffersOptions,
    request: Arc<DeliveryRequest>,
) -> Explanation {
    let (prepared, kept, lookup) = prepare(pipeline, &loaded, options, request);
    let geo = visitor_geo(pipeline, cdn, kept, lookup).await;
    let request = as_decided(prepared.request, geo, prepared.cluster.as_ref());
    let decision = decision(
        pipeline,
        &loaded,
        &request,
        &prepared.session_id,
        pipeline.now(),
        false,
        true,
    );
    decision.explanation.unwrap_or_default()
}

/// `request` prepared for an on-device decision, with the visitor's geo taken out of it (the
/// decision puts it back, looked up or not), and the address to look up when the artifact
/// targets by geo and the request has no location.
fn prepare(
    pipeline: &Pipeline,
    loaded: &Loaded,
    options: &GetOffersOptions,
    request: Arc<DeliveryRequest>,
) -> (Prepared, Geo, Option<Option<String>>) {
    let mut prepared = pipeline.prepare(options, request);
    let (kept, lookup) = geo::plan(
        Arc::make_mut(&mut prepared.request).context.geo.take(),
        loaded.artifact.geo_targeting_enabled && pipeline.options.geo_lookup,
    );
    (prepared, kept, lookup)
}

/// The engine's decision of `request` with the loaded artifact at `now`; `known_local` when
/// hybrid routing already found every item local, `explain` to record every rule evaluated.
fn decision(
    pipeline: &Pipeline,
    loaded: &Loaded,
    request: &DeliveryRequest,
    session_id: &str,
    now: chrono::DateTime<chrono::Utc>,
    known_local: bool,
    explain: bool,
) -> Decision {
    decide(&DecideInput {
        artifact: &loaded.artifact,
        client: &pipeline.options.client,
        request,
        session_id,
        now,
        artifact_trace: &loaded.trace,
        new_id: &crate::ids::new_id,
        known_local,
        explain,
    })
}

/// The request as the engine decides it: with the visitor's `geo`, and a visitor id.
fn as_decided(
    mut request: Arc<DeliveryRequest>,
    geo: Geo,
    cluster: Option<&EdgeCluster>,
) -> Arc<DeliveryRequest> {
    // Prepared for this call: no one else holds it, so nothing is copied.
    let decided = Arc::make_mut(&mut request);
    decided.context.geo = (geo != Geo::default()).then_some(geo);
    ensure_visitor_id(decided, cluster);
    request
}

/// The visitor's geo: `kept`, or after the lookup `prepare` planned, merged with what it found
/// (kept as it was if the lookup fails).
async fn visitor_geo(
    pipeline: &Pipeline,
    cdn: &dyn Cdn,
    kept: Geo,
    lookup: Option<Option<String>>,
) -> Geo {
    let Some(ip) = lookup else {
        return kept;
    };
    match cdn.lookup_geo(ip.as_deref()).await {
        Ok(found) => {
            let merged = geo::merge(kept, found);
            pipeline.events.emit(Event::GeoLocationUpdated {
                geo: merged.clone(),
            });
            merged
        }
        Err(error) => {
            tracing::warn!(%error, "geo lookup failed; deciding without geo");
            kept
        }
    }
}

/// Decides with the visitor's `geo`, records telemetry, queues the notifications, shapes the answer.
fn decide_now(
    pipeline: &Pipeline,
    notifier: &Notifier,
    loaded: &Loaded,
    prepared: Prepared,
    geo: Geo,
    started: Instant,
    known_local: bool,
) -> TargetResponse {
    let Prepared {
        request,
        session_id,
        cluster,
        visitor,
        now,
    } = prepared;
    let request = as_decided(request, geo, cluster.as_ref());

    let decision = decision(
        pipeline,
        loaded,
        &request,
        &session_id,
        now,
        known_local,
        false,
    );
    // One clock read ends the decision and starts the shaping.
    let decided = Instant::now();
    let timing = Timing {
        mode: ExecutionMode::Local,
        execution: decided.saturating_duration_since(started),
        shaping_started: decided,
    };
    let status = decision
        .response
        .status
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(200);
    let meta = ResponseMeta {
        decisioning_method: DecisioningMethod::OnDevice,
        remote_mboxes: decision.remote_mboxes,
        remote_views: decision.remote_views,
    };
    // The notification request is made by the notifier, from the decided request it shares
    // with the response.
    let notify = (!decision.notifications.is_empty() || pipeline.options.telemetry_enabled)
        .then(|| (request.clone(), decision.notifications));
    let answer = Answer {
        request,
        response: decision.response,
        status,
        meta,
        visitor_state: visitor.state(),
    };
    let shaped = pipeline.finish(answer, &session_id, cluster.as_ref(), now, Some(timing));
    if let Some((request, notifications)) = notify {
        notifier.enqueue(Decided {
            request,
            notifications,
            marketing_cloud_visitor_id: visitor.marketing_cloud_visitor_id(),
            session_id,
            cluster,
        });
    }
    shaped
}

/// A visitor with no Target id, Experience Cloud id, authenticated customer id or third-party
/// id gets a new Target id, on the known edge cluster (`<uuid>.<cluster>_0`).
fn ensure_visitor_id(request: &mut DeliveryRequest, cluster: Option<&EdgeCluster>) {
    let id = request.id.get_or_insert_with(VisitorId::default);
    let known = |s: &Option<String>| s.as_deref().is_some_and(|v| !v.is_empty());
    let authenticated = id
        .customer_ids
        .iter()
        .any(|c| c.authenticated_state == AuthenticatedState::Authenticated);
    if known(&id.tnt_id)
        || known(&id.marketing_cloud_visitor_id)
        || known(&id.third_party_id)
        || authenticated
    {
        return;
    }
    let suffix = cluster.map(|c| format!(".{c}_0")).unwrap_or_default();
    id.tnt_id = Some(format!("{}{suffix}", uuid::Uuid::new_v4().simple()));
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use proptest::prelude::*;

    use super::*;
    use crate::edge::Endpoints;
    use crate::options::ClientOptions;
    use crate::remote::prepare::tests::{hostile, request};
    use crate::remote::prepare::{Environment, prepare};

    proptest! {
        /// A Target id the SDK makes has a cluster id as its suffix, or none, whatever the
        /// visitor's cookies and hint said.
        #[test]
        fn made_target_ids_carry_only_cluster_ids(cookie in hostile(), tnt_id in hostile(), hint in hostile()) {
            let config = ClientOptions::new("acmeclient", "org@AdobeOrg");
            let endpoints = Endpoints::new(true, "acmeclient", None, None).expect("endpoints");
            let env = Environment { now: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(), utc_offset_minutes: 0.0 };
            for cookie in [cookie.clone(), format!("PC#{}#1700000060", tnt_id.replace(['#', '|'], ""))] {
                let call = GetOffersOptions::default().target_cookie(cookie).target_location_hint(&hint);
                let prepared = prepare(&config, &endpoints, &call, Arc::new(request()), &env);
                let mut request = Arc::unwrap_or_clone(prepared.request);
                request.id = None;
                ensure_visitor_id(&mut request, prepared.cluster.as_ref());
                let made = request.id.and_then(|id| id.tnt_id).unwrap_or_default();
                match made.split_once('.') {
                    None => prop_assert_eq!(made.len(), 32),
                    Some((_, suffix)) => {
                        let cluster = suffix.strip_suffix("_0").unwrap_or_default();
                        prop_assert!(EdgeCluster::parse(cluster).is_some(), "{}", made);
                    }
                }
            }
        }
    }
}
