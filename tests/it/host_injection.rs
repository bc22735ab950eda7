//! A visitor's cookies never choose where the server connects. Each attack from issue 12 is
//! made through the public API (and through the `server` example, as a browser would), with a
//! real listener on 127.0.0.1 standing in for the attacker's host: it counts every connection,
//! and the calls must reach the configured stub instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{ClientOptions, Error, GetOffersOptions, TargetClient, TargetResponse};
use serde_json::{Value, json};

use crate::stub::Stub;

/// The attacker's host: accepts and counts connections, answers `{}` as the did.
struct Attacker {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Attacker {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    use tokio::io::AsyncWriteExt;
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                        .await;
                });
            }
        });
        Self { port, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn request() -> DeliveryRequest {
    serde_json::from_value(json!({
        "context": {"channel": "web"},
        "execute": {"mboxes": [{"name": "hero", "index": 0}]}
    }))
    .expect("a valid request")
}

/// A server-side client whose configured Delivery host is the stub, over plain HTTP and with
/// no proxy, so that a host taken from a cookie would really be connected to.
async fn client_at(stub: &Stub, method: adobe_target::DecisioningMethod) -> TargetClient {
    let mut options = ClientOptions::new("acmeclient", "0123456789ABCDEF01234567@AdobeOrg")
        .secure(false)
        .server_domain(stub.domain())
        .http_client(Stub::direct_client())
        .max_retries(0)
        .decisioning_method(method);
    if method != adobe_target::DecisioningMethod::ServerSide {
        options = options
            .artifact_payload(crate::support::read_json(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("examples/data/demo-artifact.json"),
            ))
            .polling_interval(std::time::Duration::ZERO)
            .telemetry_enabled(false);
    }
    TargetClient::create(options).await.expect("valid options")
}

/// The call reached the stub, nothing reached the attacker, and no cookie the SDK set names
/// the attacker's value.
fn assert_contained(stub: &Stub, attacker: &Attacker, out: &TargetResponse) {
    assert_eq!(stub.count(), 1, "the call reaches the configured stub");
    assert_eq!(stub.recorded()[0].host(), stub.domain());
    assert_eq!(
        attacker.connections(),
        0,
        "nothing connects to the attacker"
    );
    if let Some(hint) = &out.target_location_hint_cookie {
        assert!(
            adobe_target::EdgeCluster::parse(&hint.value).is_some(),
            "{hint:?}"
        );
    }
}

#[tokio::test]
async fn an_edge_cluster_cookie_naming_a_host_is_ignored() {
    let (stub, attacker) = (Stub::start().await, Attacker::start().await);
    let client = client_at(&stub, adobe_target::DecisioningMethod::ServerSide).await;
    let cookie = format!("1@127.0.0.1:{}/", attacker.port);
    let out = client
        .get_offers(GetOffersOptions::new(request()).target_location_hint(&cookie))
        .await
        .expect("the call goes to the stub");
    assert_contained(&stub, &attacker, &out);
    assert_eq!(out.target_location_hint_cookie, None);
}

#[tokio::test]
async fn a_target_id_whose_cluster_names_a_host_is_not_routed() {
    let (stub, attacker) = (Stub::start().await, Attacker::start().await);
    let client = client_at(&stub, adobe_target::DecisioningMethod::ServerSide).await;
    // 2130706433 is 127.0.0.1 as one number.
    let tnt_id = format!("abc.1@2130706433:{}/_0", attacker.port);
    let cookie = format!("session#abc#1900000000|PC#{tnt_id}#1900000000");
    let out = client
        .get_offers(GetOffersOptions::new(request()).target_cookie(&cookie))
        .await
        .expect("the call goes to the stub");
    assert_contained(&stub, &attacker, &out);
    // The id itself is still the visitor's, in the body, where it is only data.
    assert_eq!(stub.recorded()[0].body["id"]["tntId"], json!(tnt_id));
}

#[tokio::test]
async fn a_path_as_location_hint_is_refused_as_an_option_and_ignored_from_a_visitor() {
    let refused = TargetClient::create(
        ClientOptions::new("acmeclient", "org@AdobeOrg").target_location_hint("../../evil"),
    )
    .await
    .expect_err("not a cluster");
    assert!(
        matches!(&refused, Error::InvalidOptions { option, .. } if option == "target_location_hint"),
        "{refused:?}"
    );
    let refused = ClientOptions::from_map(json!({
        "client": "acmeclient", "organization_id": "org@AdobeOrg", "targetLocationHint": "a.b"
    }))
    .and_then(|o| o.validate())
    .expect_err("not a cluster");
    assert!(
        matches!(&refused, Error::InvalidOptions { option, .. } if option == "target_location_hint")
    );

    // From the visitor (the per-call option, or its map key): no error, no effect.
    let (stub, attacker) = (Stub::start().await, Attacker::start().await);
    let client = client_at(&stub, adobe_target::DecisioningMethod::ServerSide).await;
    let call = GetOffersOptions::from_map(json!({
        "request": serde_json::to_value(request()).expect("JSON"),
        "targetLocationHint": format!("../../127.0.0.1:{}", attacker.port),
    }))
    .expect("a visitor's bad hint is not an error");
    let out = client.get_offers(call).await.expect("a 200");
    assert_contained(&stub, &attacker, &out);
}

#[cfg(feature = "on-device")]
#[tokio::test]
async fn on_device_ids_and_cookies_never_carry_a_bad_cluster() {
    let (stub, attacker) = (Stub::start().await, Attacker::start().await);
    let client = client_at(&stub, adobe_target::DecisioningMethod::OnDevice).await;
    let out = client
        .get_offers(GetOffersOptions::new(request()).target_location_hint("../../evil"))
        .await
        .expect("decided on-device");
    let tnt_id = out
        .response
        .id
        .as_ref()
        .and_then(|id| id.tnt_id.clone())
        .expect("a new Target id");
    assert!(
        !tnt_id.contains("evil") && !tnt_id.contains('%'),
        "{tnt_id}"
    );
    assert!(
        !tnt_id.contains('.'),
        "no cluster suffix without a cluster: {tnt_id}"
    );
    assert_eq!(out.target_location_hint_cookie, None);
    // A good cluster is kept: the id is made on it, and the cookie names it.
    let out = client
        .get_offers(GetOffersOptions::new(request()).target_location_hint("35"))
        .await
        .expect("decided on-device");
    let tnt_id = out.response.id.and_then(|id| id.tnt_id).expect("an id");
    assert!(tnt_id.ends_with(".35_0"), "{tnt_id}");
    assert_eq!(
        out.target_location_hint_cookie.map(|c| c.value),
        Some("35".to_owned())
    );
    client.shutdown().await;
    assert_eq!(attacker.connections(), 0);
    assert!(
        stub.recorded()
            .iter()
            .all(|r| r.host() == stub.domain() && !r.body.to_string().contains("evil")),
        "notifications went to the stub, without the bad hint"
    );
}

#[tokio::test]
async fn an_edge_host_answer_that_is_not_an_edge_names_no_cluster() {
    let stub = Stub::start().await;
    stub.set_edge_host("mboxedge1@127.0.0.1:9/.tt.omtrdc.net");
    let client = client_at(&stub, adobe_target::DecisioningMethod::ServerSide).await;
    let out = client
        .get_offers(GetOffersOptions::new(request()))
        .await
        .expect("a 200");
    assert_eq!(out.target_location_hint_cookie, None);
}

#[tokio::test]
async fn the_session_id_stays_one_query_value() {
    let stub = Stub::start().await;
    let client = client_at(&stub, adobe_target::DecisioningMethod::ServerSide).await;
    // The cookie's session entry is percent-decoded: the session is `a&imsOrgId=evil#x`.
    let cookie = "session#a%26imsOrgId%3Devil%23x#1900000000";
    client
        .get_offers(GetOffersOptions::new(request()).target_cookie(cookie))
        .await
        .expect("a 200");
    let sent = &stub.recorded()[0];
    assert_eq!(sent.query("sessionId"), Some("a&imsOrgId=evil#x"));
    let orgs: Vec<&str> = sent
        .query
        .iter()
        .filter(|(k, _)| k == "imsOrgId")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(orgs, ["0123456789ABCDEF01234567@AdobeOrg"]);
    assert_eq!(sent.path, "/rest/v1/delivery");
}

/// The `server` example, driven as a browser with hostile cookies, in both modes.
#[cfg(feature = "on-device")]
#[tokio::test]
async fn the_server_example_contains_hostile_cookies() {
    for method in ["server-side", "on-device"] {
        let (stub, attacker) = (Stub::start().await, Attacker::start().await);
        let (_server, base) = crate::server_e2e::start_server(&stub, method);
        let browser = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a browser");
        let hostile = [
            format!("mboxEdgeCluster=1@127.0.0.1:{}/", attacker.port),
            format!(
                "mbox=session#abc#1900000000|PC#abc.1@2130706433:{}/_0#1900000000",
                attacker.port
            ),
            "mboxEdgeCluster=../../evil".to_owned(),
        ];
        for cookie in &hostile {
            let response = browser
                .get(format!("{base}/mboxes?mbox=homepage-hero"))
                .header("cookie", cookie)
                .send()
                .await
                .expect("a page view");
            assert_eq!(response.status(), 200, "{method} {cookie}");
            let set_cookies: Vec<String> = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect();
            for set in &set_cookies {
                assert!(
                    !set.contains("evil") && !set.contains("127.0.0.1") && !set.contains('@'),
                    "{method}: {set}"
                );
                if let Some(value) = set.strip_prefix("mboxEdgeCluster=") {
                    let value = value.split(';').next().unwrap_or_default();
                    assert!(adobe_target::EdgeCluster::parse(value).is_some(), "{set}");
                }
            }
            let body: Value = response.json().await.expect("JSON");
            let tnt_id = body["response"]["id"]["tntId"].as_str().unwrap_or_default();
            assert!(!tnt_id.contains("evil"), "{method}: {tnt_id}");
        }
        // Server-side, each page view is a call; on-device, each sends a display notification
        // in the background. Either way all of them reach the stub.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        while stub.count() < hostile.len() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            stub.count(),
            hostile.len(),
            "{method}: every call reached the stub"
        );
        assert!(stub.recorded().iter().all(|r| r.host() == stub.domain()));
        assert_eq!(
            attacker.connections(),
            0,
            "{method}: nothing reached the attacker"
        );
    }
}

/// Server options that become parts of the artifact URL stay inside their path segment.
#[cfg(feature = "on-device")]
#[tokio::test]
async fn artifact_url_parts_stay_in_their_segments() {
    let cdn = Stub::start().await;
    let client = TargetClient::create(
        ClientOptions::new("acmeclient", "org@AdobeOrg")
            .decisioning_method(adobe_target::DecisioningMethod::OnDevice)
            .cdn_base_path(format!("http://{}/", cdn.domain()))
            .http_client(Stub::direct_client())
            .environment("../../Other?x=1#y")
            .property_token("t/../../secret")
            .maximum_wait_ready(std::time::Duration::from_secs(5)),
    )
    .await
    .expect("valid options");
    // The stub's answer is not an artifact: that is said at once (see issue 12, part 2).
    client.ready().await.expect_err("not an artifact");
    let fetched = cdn.recorded();
    assert_eq!(fetched.len(), 1, "one download, no retry of a bad artifact");
    assert_eq!(
        fetched[0].path,
        "/acmeclient/..%2F..%2Fother%3Fx=1%23y/v1/t%2F..%2F..%2Fsecret/rules.json"
    );
    assert!(fetched[0].query.is_empty());
    for (option, value) in [("environment", ".."), ("property_token", ".")] {
        let options = ClientOptions::from_map(json!({
            "client": "acmeclient", "organization_id": "org@AdobeOrg", option: value,
        }))
        .expect("a map");
        let error = options.validate().expect_err("climbs out");
        assert!(
            matches!(&error, Error::InvalidOptions { option: named, .. } if named == option),
            "{error:?}"
        );
    }
}
