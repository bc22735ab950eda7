//! What `TargetClient` puts on the wire, one request-preparation rule at a time, seen by a real
//! HTTP server on 127.0.0.1. Generated ids are redacted in the snapshots and checked separately.

use adobe_target::delivery::types::{AuthenticatedState, CustomerId};
use adobe_target::{ClientOptions, GetOffersOptions, TargetClient};
use serde_json::json;

use crate::support::request;

use crate::stub::{Recorded, Stub};

const ORG: &str = "0123456789ABCDEF01234567@AdobeOrg";

/// A client whose plain-HTTP traffic goes to the stub as a proxy, so the chosen host is visible.
async fn proxied(
    stub: &Stub,
    configure: impl FnOnce(ClientOptions) -> ClientOptions,
) -> TargetClient {
    let options = configure(
        ClientOptions::new("acmeclient", ORG)
            .secure(false)
            .http_client(stub.proxy_client()),
    );
    TargetClient::create(options).await.expect("valid options")
}

/// A web page load: the request most preparation rules are shown on.
fn page_load() -> adobe_target::delivery::types::DeliveryRequest {
    request(json!({"context": {"channel": "web"}, "execute": {"pageLoad": {}}}))
}

fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

/// Snapshots what the stub received, with insta's redactions for generated ids (checked to be
/// UUIDs first) and machine-dependent values, so the snapshot shows exactly what the
/// preparation rules decided. A caller's own request id is kept as it is.
fn snapshot(name: &str, recorded: &Recorded) {
    use insta::internals::Content;
    assert_eq!(
        recorded.header("x-exc-sdk-version"),
        Some(adobe_target::SDK_VERSION)
    );
    let uuid = |marker: &'static str| {
        move |value: Content, _: insta::internals::ContentPath<'_>| match value.as_str() {
            Some(text) if is_uuid(text) => Content::from(marker),
            _ => value,
        }
    };
    insta::assert_json_snapshot!(name, recorded.wire(), {
        ".headers[\"x-request-id\"]" => insta::dynamic_redaction(|value, _| {
            assert!(value.as_str().is_some_and(is_uuid), "x-request-id: {value:?}");
            "[uuid]"
        }),
        ".headers[\"x-exc-sdk-version\"]" => "[version]",
        ".body.requestId" => insta::dynamic_redaction(uuid("[generated uuid]")),
        // A new A4T supplemental data id per call, in the Experience Cloud ID service's format.
        ".body.experienceCloud.analytics.supplementalDataId" => insta::dynamic_redaction(|value, _| {
            assert!(value.as_str().is_some_and(crate::support::is_sdid), "supplementalDataId: {value:?}");
            "[generated sdid]"
        }),
        ".body.context.timeOffsetInMinutes" => insta::dynamic_redaction(|value, _| {
            assert!(value.as_f64().is_some() || value.as_i64().is_some(), "{value:?}");
            "[offset]"
        }),
        ".query[][1]" => insta::dynamic_redaction(uuid("[generated uuid]")),
    });
}

#[tokio::test]
async fn defaults_are_filled_in_and_the_client_host_is_used() {
    let stub = Stub::start().await;
    let client = proxied(&stub, |o| o).await;
    let caller_request = request(json!({
        "context": {"channel": "web", "address": {"url": "https://shop.example.com/"}},
        "execute": {"mboxes": [{"name": "hero"}]}
    }));
    let before = caller_request.clone();
    client
        .get_offers(GetOffersOptions::new(caller_request.clone()))
        .await
        .expect("a 200");
    assert_eq!(
        caller_request, before,
        "the caller's request is never mutated"
    );
    let sent = &stub.recorded()[0];
    assert!(is_uuid(sent.query("sessionId").expect("sessionId")));
    snapshot("defaults", sent);
}

#[tokio::test]
async fn the_cookie_gives_session_tnt_id_and_edge_cluster() {
    let stub = Stub::start().await;
    let client = proxied(&stub, |o| o.target_location_hint("35")).await;
    let cookie = "session#cookie-session#9999999999|PC#visitor1.28_0#9999999999";
    client
        .get_offers(
            GetOffersOptions::new(request(json!({
                "context": {"channel": "web"},
                "prefetch": {"mboxes": [{"name": "hero", "index": 3}]}
            })))
            .target_cookie(cookie)
            .session_id("ignored-because-the-cookie-has-one"),
        )
        .await
        .expect("a 200");
    snapshot("cookie_session_tnt_id_cluster", &stub.recorded()[0]);
}

#[tokio::test]
async fn an_expired_cookie_falls_back_to_the_session_option_and_the_location_hint() {
    let stub = Stub::start().await;
    let client = proxied(&stub, |o| o.target_location_hint("35")).await;
    client
        .get_offers(
            GetOffersOptions::new(page_load())
                .target_cookie("session#old#1|PC#visitor1.28_0#1")
                .session_id("option-session"),
        )
        .await
        .expect("a 200");
    snapshot(
        "expired_cookie_session_option_location_hint",
        &stub.recorded()[0],
    );
}

#[tokio::test]
async fn the_per_call_location_hint_wins_over_the_configured_one() {
    let stub = Stub::start().await;
    let client = proxied(&stub, |o| o.target_location_hint("35")).await;
    client
        .get_offers(GetOffersOptions::new(page_load()).target_location_hint("7"))
        .await
        .expect("a 200");
    assert_eq!(
        stub.recorded()[0].header("host"),
        Some("mboxedge7.tt.omtrdc.net")
    );
}

#[tokio::test]
async fn the_server_domain_is_used_when_no_cluster_is_known() {
    let stub = Stub::start().await;
    let client = TargetClient::create(
        ClientOptions::new("acmeclient", ORG)
            .secure(false)
            .server_domain(stub.domain())
            .http_client(Stub::direct_client()),
    )
    .await
    .expect("valid options");
    client
        .get_offers(GetOffersOptions::new(request(
            json!({"context": {"channel": "web"}, "execute": {"pageLoad": {}}}),
        )))
        .await
        .expect("a 200");
    assert_eq!(
        stub.recorded()[0].header("host"),
        Some(stub.domain().as_str())
    );
}

#[tokio::test]
async fn caller_values_are_kept_and_client_values_fill_the_gaps() {
    let stub = Stub::start().await;
    let client = proxied(&stub, |o| {
        o.environment_id(4242)
            .property_token("config-token")
            .version("9.9.9")
    })
    .await;
    let customer: CustomerId = serde_json::from_value(json!({
        "id": "crm-7", "integrationCode": "crm", "authenticatedState": "authenticated"
    }))
    .expect("a customer id");
    assert_eq!(
        customer.authenticated_state,
        AuthenticatedState::Authenticated
    );
    client
        .get_offers(
            GetOffersOptions::new(request(json!({
                "requestId": "caller-request-id",
                "context": {"channel": "mobile", "timeOffsetInMinutes": -300},
                "property": {"token": "request-token"},
                "experienceCloud": {"analytics": {"logging": "client_side", "trackingServer": "metrics.example.com"}},
                "id": {"marketingCloudVisitorId": "mcid-1"},
                "execute": {"mboxes": [{"name": "a"}, {"name": "  "}, {"name": "b"}]},
                "notifications": [
                    {"id": "n1", "type": "display", "timestamp": 1700000000000_i64, "tokens": ["t"], "mbox": {"name": "a"}},
                    {"id": "", "type": "display", "timestamp": 1700000000000_i64},
                    {"id": "n3", "type": "mystery", "timestamp": 1700000000000_i64}
                ]
            })))
            .customer_ids(vec![customer]),
        )
        .await
        .expect("a 200");
    let sent = &stub.recorded()[0];
    assert_eq!(sent.body["requestId"], "caller-request-id");
    assert_eq!(sent.body["context"]["timeOffsetInMinutes"], -300.0);
    snapshot("caller_values_kept", sent);
}

#[tokio::test]
async fn the_configured_property_token_is_used_when_the_request_has_none() {
    let stub = Stub::start().await;
    let client = proxied(&stub, |o| o.property_token("config-token")).await;
    client
        .get_offers(GetOffersOptions::new(request(
            json!({"context": {"channel": "web"}, "prefetch": {"views": [{}]}}),
        )))
        .await
        .expect("a 200");
    assert_eq!(
        stub.recorded()[0].body["property"],
        json!({"token": "config-token"})
    );
}

#[tokio::test]
async fn every_attempt_has_its_own_request_id_header() {
    let stub = Stub::start().await;
    let client = proxied(&stub, |o| o).await;
    let call = || {
        GetOffersOptions::new(request(
            json!({"context": {"channel": "web"}, "execute": {"pageLoad": {}}}),
        ))
    };
    client.get_offers(call()).await.expect("a 200");
    client.get_offers(call()).await.expect("a 200");
    let recorded = stub.recorded();
    assert_ne!(
        recorded[0].header("x-request-id"),
        recorded[1].header("x-request-id")
    );
    assert_ne!(recorded[0].body["requestId"], recorded[1].body["requestId"]);
}

#[tokio::test]
async fn cookies_carry_the_visitor_across_calls() {
    let stub = Stub::start().await;
    stub.set_edge_host("mboxedge28.tt.omtrdc.net");
    let client = proxied(&stub, |o| o).await;
    let page = || {
        request(
            json!({"context": {"channel": "web"}, "execute": {"mboxes": [{"name": "hero", "index": 0}]}}),
        )
    };

    // First visit: no cookie. The server assigns a tntId and names its edge.
    let first = client
        .get_offers(GetOffersOptions::new(page()))
        .await
        .expect("a 200");
    let mbox_cookie = first.target_cookie.clone().expect("an mbox cookie");
    let hint_cookie = first
        .target_location_hint_cookie
        .clone()
        .expect("an edge cookie");
    assert_eq!(
        (mbox_cookie.name.as_ref(), mbox_cookie.max_age),
        ("mbox", 63_244_800)
    );
    assert_eq!(
        (
            hint_cookie.name.as_ref(),
            hint_cookie.value.as_str(),
            hint_cookie.max_age
        ),
        ("mboxEdgeCluster", "28", 1860)
    );

    // Next visits send the cookies back.
    let mut cookie = mbox_cookie.value;
    for _ in 0..2 {
        let next = client
            .get_offers(
                GetOffersOptions::new(page())
                    .target_cookie(cookie.clone())
                    .target_location_hint(hint_cookie.value.clone()),
            )
            .await
            .expect("a 200");
        cookie = next.target_cookie.expect("an mbox cookie").value;
    }

    let recorded = stub.recorded();
    assert_eq!(recorded.len(), 3);
    let first_session = recorded[0]
        .query("sessionId")
        .expect("sessionId")
        .to_owned();
    assert_eq!(recorded[0].header("host"), Some("acmeclient.tt.omtrdc.net"));
    for later in &recorded[1..] {
        assert_eq!(
            later.query("sessionId"),
            Some(first_session.as_str()),
            "the session continues"
        );
        assert_eq!(
            later.body["id"]["tntId"], "stub0visitor.28_0",
            "the tntId continues"
        );
        assert_eq!(
            later.header("host"),
            Some("mboxedge28.tt.omtrdc.net"),
            "routed to the visitor's edge"
        );
    }
}

/// A server-side call's telemetry entry rides on the next call, as the other SDKs send it.
#[tokio::test]
async fn a_call_reports_its_telemetry_on_the_next_one() {
    let stub = Stub::start().await;
    let client = TargetClient::create(stub.options())
        .await
        .expect("valid options");
    let page = |id: &str| {
        request(json!({"requestId": id, "context": {"channel": "web"},
            "execute": {"mboxes": [{"name": "hero", "index": 0}]}}))
    };
    client
        .get_offers(GetOffersOptions::new(page("first")))
        .await
        .expect("a 200");
    client
        .get_offers(GetOffersOptions::new(page("second")))
        .await
        .expect("a 200");
    let recorded = stub.recorded();
    assert!(
        recorded[0].body["telemetry"].is_null(),
        "nothing to report yet"
    );
    let entries = recorded[1].body["telemetry"]["entries"]
        .as_array()
        .expect("telemetry entries");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry["requestId"], "first");
    assert_eq!(entry["mode"], "edge");
    assert_eq!(entry["features"]["decisioningMethod"], "server-side");
    assert_eq!(entry["features"]["executeMboxCount"], 1);
    assert!(entry["execution"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert!(entry["parsing"].as_f64().is_some_and(|ms| ms >= 0.0));
}
