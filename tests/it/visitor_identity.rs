//! The Experience Cloud visitor of a call (ECID, customer ids, Audience Manager, A4T's
//! supplemental data id), server-side against a stub on 127.0.0.1 and on-device. The expected
//! shapes are the Node.js SDK 2.4.3's with `@adobe-mcid/visitor-js-server` 2.1.0 for the same
//! inputs; `.ci/oracle-identity` compares the two on every CI run.

use adobe_target::{GetOffersOptions, TargetClient, Visitor, visitor_cookie_name};
use serde_json::json;
use std::sync::Arc;

use crate::stub::Stub;
use crate::support::is_sdid;

const ORG: &str = "65453EA95A70434F0A495D34@AdobeOrg";
/// An AMCV cookie as the ID service writes it: settings digest, MCMID, AAM location hint and
/// blob (with expiry stamps), opt-out flags and the library version.
const AMCV: &str = "-1330315163%7CMCIDTS%7C19731%7CMCMID%7C12345678901234567890123456789012345678%7CMCAAMLH-1705434812%7C9%7CMCAAMB-1705434812%7Cj8Odv6LonN4r3an7LhD3WZrU1bUpAkFkkiY1ncBR96t2PTI%7CMCOPTOUT-1704837212s%7CNONE%7CvVersion%7C5.5.0";

async fn client(stub: &Stub) -> TargetClient {
    TargetClient::create(
        adobe_target::ClientOptions::new("acmeclient", ORG)
            .secure(false)
            .http_client(stub.proxy_client()),
    )
    .await
    .expect("valid options")
}

#[tokio::test]
async fn the_visitor_cookie_and_customer_ids_fill_the_request_as_in_node() {
    assert_eq!(visitor_cookie_name(ORG), format!("AMCV_{ORG}"));
    let stub = Stub::start().await;
    let client = client(&stub).await;
    let call = GetOffersOptions::from_map(json!({
        "request": {
            "context": {"channel": "web"},
            "id": {"customerIds": [{"id": "r-1", "integrationCode": "req", "authenticatedState": "logged_out"}]},
            "execute": {"mboxes": [{"name": "hero", "index": 0}]}
        },
        "visitorCookie": AMCV,
        "customerIds": {"crm": {"id": "c-1", "authState": 1}, "loyalty": "l-7"},
    }))
    .expect("Node's keys");
    let out = client.get_offers(call).await.expect("a 200");
    let sent = &stub.recorded()[0].body;
    assert_eq!(
        sent["id"],
        json!({
            "marketingCloudVisitorId": "12345678901234567890123456789012345678",
            "customerIds": [
                {"id": "c-1", "integrationCode": "crm", "authenticatedState": "authenticated"},
                {"id": "l-7", "integrationCode": "loyalty", "authenticatedState": "unknown"},
                {"id": "r-1", "integrationCode": "req", "authenticatedState": "logged_out"}
            ]
        })
    );
    assert_eq!(
        sent["experienceCloud"]["audienceManager"],
        json!({"locationHint": 9, "blob": "j8Odv6LonN4r3an7LhD3WZrU1bUpAkFkkiY1ncBR96t2PTI"})
    );
    let sdid = &sent["experienceCloud"]["analytics"]["supplementalDataId"];
    assert!(sdid.as_str().is_some_and(is_sdid), "{sdid}");
    assert_eq!(
        sent["experienceCloud"]["analytics"]["logging"],
        "server_side"
    );

    // The state for the page's Visitor API, as Node's `visitorState`.
    assert_eq!(
        out.visitor_state.as_json(),
        &json!({ORG: {
            "customerIDs": {"crm": {"id": "c-1", "authState": 1}, "loyalty": "l-7"},
            "sdid": {
                "supplementalDataIDCurrent": sdid,
                "supplementalDataIDCurrentConsumed": {"payload:target-global-mbox": true},
                "supplementalDataIDLastConsumed": {}
            }
        }})
    );
    assert_eq!(out.visitor_state.supplemental_data_id(), sdid.as_str());
    let server_state = serde_json::to_value(out.server_state()).expect("JSON");
    assert_eq!(
        server_state["request"],
        serde_json::to_value(&out.request).expect("JSON")
    );
    assert_eq!(
        server_state["response"],
        serde_json::to_value(&out.response).expect("JSON")
    );
}

#[tokio::test]
async fn the_request_s_own_values_win_and_a_stale_sdid_is_replaced() {
    let stub = Stub::start().await;
    let client = client(&stub).await;
    let call = GetOffersOptions::from_map(json!({
        "request": {
            "context": {"channel": "web"},
            "id": {"marketingCloudVisitorId": "from-the-request"},
            "experienceCloud": {
                "audienceManager": {"locationHint": 3},
                "analytics": {"supplementalDataId": "0000000000000001-0000000000000002", "logging": "client_side", "trackingServer": ""}
            },
            "execute": {"pageLoad": {}}
        },
        "visitorCookie": AMCV,
        "consumerId": "hero",
    }))
    .expect("options");
    let out = client.get_offers(call).await.expect("a 200");
    let sent = &stub.recorded()[0].body;
    assert_eq!(sent["id"]["marketingCloudVisitorId"], "from-the-request");
    let cloud = &sent["experienceCloud"];
    assert_eq!(
        cloud["audienceManager"],
        json!({"locationHint": 3, "blob": "j8Odv6LonN4r3an7LhD3WZrU1bUpAkFkkiY1ncBR96t2PTI"})
    );
    assert_eq!(cloud["analytics"]["logging"], "client_side");
    assert!(cloud["analytics"].get("trackingServer").is_none());
    let sdid = &cloud["analytics"]["supplementalDataId"];
    assert_ne!(
        sdid, "0000000000000001-0000000000000002",
        "not the visitor's: replaced"
    );
    assert_eq!(
        out.visitor_state.as_json()[ORG]["sdid"]["supplementalDataIDCurrentConsumed"],
        json!({"payload:hero": true})
    );
}

/// One visitor shared by the calls of a page view: each consumer's first call gets the page
/// view's id, a consumer asking again starts a new one (the ID service's rule).
#[tokio::test]
async fn a_shared_visitor_hands_out_supplemental_data_ids_by_consumer() {
    let stub = Stub::start().await;
    let client = client(&stub).await;
    let visitor = Visitor::new(ORG, Some(AMCV));
    let mut ids = Vec::new();
    for consumer in ["hero", "footer", "hero"] {
        let call = GetOffersOptions::from_map(
            json!({"request": {"execute": {"pageLoad": {}}}, "consumerId": consumer}),
        )
        .expect("options")
        .visitor(visitor.clone());
        let out = client.get_offers(call).await.expect("a 200");
        ids.push(
            Arc::unwrap_or_clone(out.request)
                .experience_cloud
                .and_then(|c| c.analytics?.supplemental_data_id),
        );
    }
    assert_eq!(ids[0], ids[1], "another consumer, the same page view");
    assert_ne!(ids[0], ids[2], "the same consumer again, a new id");
    // A request that carries the visitor's current id keeps it.
    let current = visitor.state().supplemental_data_id().map(str::to_owned);
    let call = GetOffersOptions::from_map(json!({"request": {
        "execute": {"pageLoad": {}},
        "experienceCloud": {"analytics": {"supplementalDataId": current}}
    }}))
    .expect("options")
    .visitor(visitor.clone())
    .consumer_id("hero");
    let out = client.get_offers(call).await.expect("a 200");
    let kept = Arc::unwrap_or_clone(out.request)
        .experience_cloud
        .and_then(|c| c.analytics?.supplemental_data_id);
    assert_eq!(kept, current);
}

/// The cookie is the visitor's input: a value that does not decode, or one made to look like
/// other fields, never reaches the request as anything but the ECID's own value.
#[tokio::test]
async fn a_hostile_visitor_cookie_gives_no_id() {
    let stub = Stub::start().await;
    let client = client(&stub).await;
    for cookie in ["%zz%7CMCMID%7C1", "%C3%7CMCMID%7C1", "T", ""] {
        let call = GetOffersOptions::from_map(
            json!({"request": {"execute": {"pageLoad": {}}}, "visitor_cookie": cookie}),
        )
        .expect("options");
        let out = client.get_offers(call).await.expect("a 200");
        let id = Arc::unwrap_or_clone(out.request)
            .id
            .and_then(|id| id.marketing_cloud_visitor_id);
        assert_eq!(id, None, "{cookie:?}");
    }
    let injected = "MCMID%7Cx%22%2C%22tntId%22%3A%22evil%0D%0AHost%3A%20127.0.0.1";
    let call = GetOffersOptions::default()
        .request(serde_json::from_value(json!({"execute": {"pageLoad": {}}})).expect("request"))
        .visitor_cookie(injected);
    let out = client.get_offers(call).await.expect("a 200");
    let recorded = stub.recorded();
    let sent = &recorded.last().expect("sent").body;
    assert_eq!(
        sent["id"],
        json!({"marketingCloudVisitorId": "x\",\"tntId\":\"evil\r\nHost: 127.0.0.1"})
    );
    assert_eq!(
        Arc::unwrap_or_clone(out.request)
            .id
            .and_then(|id| id.tnt_id),
        None
    );
}

/// An on-device client over the test artifact, with its CDN and Delivery stubs.
#[cfg(feature = "on-device")]
async fn on_device() -> (Stub, Stub, TargetClient) {
    crate::ondevice::started(
        &crate::ondevice::artifact("A"),
        "\"v1\"",
        adobe_target::DecisioningMethod::OnDevice,
        |o| o,
    )
    .await
}

/// On-device decisions and their display notifications carry the same ids; a visitor known by
/// its ECID gets no generated Target id.
#[cfg(feature = "on-device")]
#[tokio::test]
async fn on_device_decisions_and_notifications_carry_the_visitor() {
    let (_cdn, delivery, client) = on_device().await;
    let call = GetOffersOptions::from_map(json!({
        "request": {"execute": {"mboxes": [{"name": "local-offer", "index": 0}]}},
        "visitorCookie": AMCV,
        "customerIds": {"crm": {"id": "c-1", "authState": 0}},
    }))
    .expect("options");
    let out = client.get_offers(call).await.expect("a decision");
    client.flush().await;
    let id = out.request.id.clone().expect("an id");
    assert_eq!(
        id.marketing_cloud_visitor_id.as_deref(),
        Some("12345678901234567890123456789012345678")
    );
    assert_eq!(id.tnt_id, None, "the ECID identifies the visitor");
    let sdid = out.visitor_state.supplemental_data_id().map(str::to_owned);
    let sent = delivery.recorded();
    let notification = &sent.first().expect("a display notification").body;
    assert_eq!(
        notification["id"]["marketingCloudVisitorId"],
        "12345678901234567890123456789012345678"
    );
    assert_eq!(
        notification["experienceCloud"]["analytics"]["supplementalDataId"].as_str(),
        sdid.as_deref()
    );
    assert_eq!(
        notification["experienceCloud"]["audienceManager"]["locationHint"],
        9
    );
    // Each customer id once (Node lists the visitor's twice in its own notifications).
    assert_eq!(
        notification["id"]["customerIds"],
        json!([{"id": "c-1", "integrationCode": "crm", "authenticatedState": "unknown"}])
    );
}

/// A request whose own Experience Cloud id is empty decides without one (an empty id is none,
/// and it keeps the visitor's out), and its display notification carries the visitor's, as
/// the Node.js SDK's does (it prepares the notification request again).
#[cfg(feature = "on-device")]
#[tokio::test]
async fn an_empty_request_ecid_leaves_the_notification_the_visitor_s() {
    let (_cdn, delivery, client) = on_device().await;
    let call = GetOffersOptions::from_map(json!({
        "request": {
            "id": {"marketingCloudVisitorId": "", "tntId": ""},
            "execute": {"mboxes": [{"name": "local-offer", "index": 0}]},
        },
        "visitorCookie": AMCV,
    }))
    .expect("options");
    let out = client.get_offers(call).await.expect("a decision");
    client.flush().await;
    let decided = out.request.id.clone().unwrap_or_default();
    assert_eq!(decided.marketing_cloud_visitor_id, None);
    let sent = delivery.recorded();
    let notification = &sent.first().expect("a display notification").body;
    assert_eq!(
        notification["id"]["marketingCloudVisitorId"],
        "12345678901234567890123456789012345678"
    );
    assert_eq!(notification["id"]["tntId"], json!(decided.tnt_id));
}
