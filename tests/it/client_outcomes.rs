//! How calls end: errors, retries and timeouts, against a real server on 127.0.0.1.

use std::time::Duration;

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{ClientOptions, Error, GetOffersOptions, TargetClient};
use serde_json::json;

use crate::stub::{Reply, Stub};

async fn client(stub: &Stub, retries: u32) -> TargetClient {
    TargetClient::create(
        stub.options()
            .max_retries(retries)
            .timeout(Duration::from_secs(5)),
    )
    .await
    .expect("valid options")
}

fn call() -> GetOffersOptions {
    let request: DeliveryRequest = serde_json::from_value(
        json!({"context": {"channel": "web"}, "execute": {"mboxes": [{"name": "hero"}]}}),
    )
    .expect("a valid request");
    GetOffersOptions::new(request)
}

#[tokio::test]
async fn a_400_is_not_retried_and_carries_the_api_message() {
    let stub = Stub::start().await;
    stub.push(Reply::json(
        400,
        json!({"status": 400, "message": "Invalid imsOrgId"}),
    ));
    let error = client(&stub, 3)
        .await
        .get_offers(call())
        .await
        .expect_err("a 400");
    assert!(
        matches!(&error, Error::Http { status: 400, message } if message == "Invalid imsOrgId"),
        "{error:?}"
    );
    assert_eq!(stub.count(), 1, "4xx is not retried");
}

#[tokio::test]
async fn a_500_is_retried_up_to_the_limit() {
    let stub = Stub::start().await;
    for _ in 0..10 {
        stub.push(Reply::json(500, json!({"status": 500, "message": "boom"})));
    }
    let error = client(&stub, 2)
        .await
        .get_offers(call())
        .await
        .expect_err("always 500");
    assert!(
        matches!(&error, Error::Http { status: 500, message } if message == "boom"),
        "{error:?}"
    );
    assert_eq!(stub.count(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn a_429_then_a_503_then_success() {
    let stub = Stub::start().await;
    stub.push(Reply::json(
        429,
        json!({"status": 429, "message": "slow down"}),
    ));
    stub.push(Reply::raw(503, "<html>unavailable</html>"));
    let out = client(&stub, 2)
        .await
        .get_offers(call())
        .await
        .expect("the third attempt succeeds");
    assert_eq!(out.status, 200);
    assert_eq!(stub.count(), 3);
}

#[tokio::test]
async fn zero_retries_means_one_attempt() {
    let stub = Stub::start().await;
    stub.push(Reply::json(
        502,
        json!({"status": 502, "message": "bad gateway"}),
    ));
    let error = client(&stub, 0)
        .await
        .get_offers(call())
        .await
        .expect_err("a 502");
    assert_eq!(error.status(), Some(502));
    assert_eq!(stub.count(), 1);
}

#[tokio::test]
async fn the_timeout_cancels_the_call() {
    let stub = Stub::start().await;
    stub.push(Reply::json(200, json!({"status": 200})).delayed(Duration::from_secs(30)));
    let client = client(&stub, 0).await;
    let error = client
        .get_offers(call().timeout(Duration::from_millis(200)))
        .await
        .expect_err("too slow");
    assert!(matches!(error, Error::Timeout), "{error:?}");
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_a_success_without_retries() {
    let stub = Stub::start().await;
    stub.push(
        Reply::json(200, json!({"status": 200, "requestId": "slow"}))
            .delayed(Duration::from_millis(400)),
    );
    let response = client(&stub, 2)
        .await
        .get_offers(call().timeout(Duration::from_secs(3)))
        .await
        .expect("slow but in time");
    assert_eq!(response.status, 200);
    assert_eq!(response.response.request_id.as_deref(), Some("slow"));
    assert_eq!(stub.count(), 1, "waiting is not a reason to retry");
}

#[tokio::test]
async fn garbage_json_is_a_decode_error() {
    let stub = Stub::start().await;
    stub.push(Reply::raw(200, "{\"status\": 200, \"execute\": [not json"));
    let error = client(&stub, 2)
        .await
        .get_offers(call())
        .await
        .expect_err("garbage");
    assert!(
        matches!(&error, Error::Decode { body, .. } if body.contains("not json")),
        "{error:?}"
    );
    assert_eq!(stub.count(), 1, "a decode error is not retried");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_the_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let domain = listener.local_addr().expect("addr").to_string();
    drop(listener);
    let client = TargetClient::create(
        ClientOptions::new("acmeclient", "org@AdobeOrg")
            .secure(false)
            .server_domain(domain)
            .http_client(Stub::direct_client())
            .max_retries(1),
    )
    .await
    .expect("valid options");
    let error = client
        .get_offers(call())
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_204_is_a_success_with_an_empty_response() {
    let stub = Stub::start().await;
    stub.push(Reply::raw(204, ""));
    let request: DeliveryRequest = serde_json::from_value(json!({
        "context": {"channel": "web", "beacon": true},
        "notifications": [{"id": "n1", "type": "display", "timestamp": 1700000000000_i64, "tokens": ["t"]}]
    }))
    .expect("a valid request");
    let out = client(&stub, 0)
        .await
        .send_notifications(GetOffersOptions::new(request))
        .await
        .expect("a 204");
    assert_eq!(out.status, 204);
    assert_eq!(out.response, Default::default());
}

#[tokio::test]
async fn send_notifications_goes_to_the_server_and_echoes_ids() {
    let stub = Stub::start().await;
    let request: DeliveryRequest = serde_json::from_value(json!({
        "context": {"channel": "web"},
        "notifications": [{"id": "n1", "type": "click", "timestamp": 1700000000000_i64, "tokens": ["t"], "mbox": {"name": "hero"}}]
    }))
    .expect("a valid request");
    let out = client(&stub, 0)
        .await
        .send_notifications(
            GetOffersOptions::new(request)
                .decisioning_method(adobe_target::DecisioningMethod::OnDevice),
        )
        .await
        .expect("a 200");
    assert_eq!(out.response.notifications[0].id.as_deref(), Some("n1"));
    assert_eq!(stub.recorded()[0].body["notifications"][0]["type"], "click");
}

#[tokio::test]
async fn the_response_is_shaped_for_the_caller() {
    let stub = Stub::start().await;
    let request: DeliveryRequest = serde_json::from_value(json!({
        "context": {"channel": "web"},
        "execute": {"mboxes": [{"name": "a", "index": 0}]},
        "prefetch": {"mboxes": [{"name": "b", "index": 1}]}
    }))
    .expect("a valid request");
    let out = client(&stub, 0)
        .await
        .get_offers(GetOffersOptions::new(request))
        .await
        .expect("a 200");
    assert_eq!(out.analytics_details().len(), 2);
    assert_eq!(
        out.analytics_details()[0].tnta.as_deref(),
        Some("1001:1:0|32767")
    );
    assert!(out.traces().is_empty());
    assert_eq!(out.response_tokens().len(), 2);
    assert_eq!(out.response_tokens()[0]["activity.id"], 1001);
    assert_eq!(
        out.meta.decisioning_method,
        adobe_target::DecisioningMethod::ServerSide
    );
    assert!(
        out.target_location_hint_cookie.is_none(),
        "no cluster known, none from edgeHost"
    );
    assert!(
        out.target_cookie
            .expect("an mbox cookie")
            .value
            .contains("|PC#stub0visitor.28_0#")
    );
}
