//! `adobe_target::web`: Target's inputs read from a browser request on the `http` crate's types,
//! and its cookies written back, through a real client and a Delivery stub on 127.0.0.1.

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::web::{SameSite, WebRequests};
use adobe_target::{ClientOptions, TargetClient};
use http::{HeaderName, Request};
use serde_json::json;

use crate::stub::Stub;

const ORG: &str = "65453EA95A70434F0A495D34@AdobeOrg";

fn page_load() -> DeliveryRequest {
    serde_json::from_value(json!({"execute": {"pageLoad": {}}})).expect("a request")
}

fn browser(headers: &[(&str, &str)]) -> http::request::Parts {
    let mut request = Request::get("/products/7?color=red");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(()).expect("a request").into_parts().0
}

async fn client(stub: &Stub) -> TargetClient {
    TargetClient::create(
        ClientOptions::new("acmeclient", ORG)
            .secure(false)
            .http_client(stub.proxy_client()),
    )
    .await
    .expect("valid options")
}

#[tokio::test]
async fn a_browser_request_fills_the_call() {
    let stub = Stub::start().await;
    let client = client(&stub).await;
    let web = WebRequests::new(ORG).trusted_ip_header(HeaderName::from_static("x-forwarded-for"));
    let parts = browser(&[
        ("host", "shop.example.com"),
        (
            "cookie",
            "theme=dark; mbox=session#s-1#9999999999|PC#visitor1.28_0#9999999999",
        ),
        (
            "cookie",
            &format!("mboxEdgeCluster=35; AMCV_{ORG}=MCMID%7C4242"),
        ),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0 Safari/537.36",
        ),
        (
            "sec-ch-ua",
            "\"Google Chrome\";v=\"120\", \"Chromium\";v=\"120\"",
        ),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("sec-ch-ua-mobile", "?0"),
        // The browser's own claim first, the address our proxy saw last.
        ("x-forwarded-for", "10.9.9.9, 203.0.113.9"),
    ]);
    let out = client
        .get_offers(web.get_offers_options(&parts, page_load()))
        .await
        .expect("a 200");
    let recorded = stub.recorded();
    let sent = &recorded[0];
    assert_eq!(sent.query("sessionId"), Some("s-1"));
    let body = &sent.body;
    assert_eq!(body["id"]["tntId"], "visitor1.28_0");
    assert_eq!(body["id"]["marketingCloudVisitorId"], "4242");
    let context = &body["context"];
    assert_eq!(
        context["address"]["url"],
        "https://shop.example.com/products/7?color=red"
    );
    assert_eq!(
        context["userAgent"],
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0 Safari/537.36"
    );
    assert_eq!(
        context["clientHints"],
        json!({"browserUAWithMajorVersion": "\"Google Chrome\";v=\"120\", \"Chromium\";v=\"120\"", "platform": "Linux", "mobile": false})
    );
    assert_eq!(context["geo"]["ipAddress"], "203.0.113.9");

    // Written back: Target's max-ages, Path=/, SameSite and Secure as configured.
    let cookies: Vec<String> = web
        .same_site(SameSite::Strict)
        .set_cookie_headers(&out)
        .iter()
        .map(|v| v.to_str().expect("text").to_owned())
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(
        cookies[0].starts_with("mbox=session#s-1#"),
        "{}",
        cookies[0]
    );
    assert!(
        cookies[0].ends_with("; Path=/; SameSite=Strict; Secure"),
        "{}",
        cookies[0]
    );
    assert_eq!(
        cookies[1],
        "mboxEdgeCluster=28; Max-Age=1860; Path=/; SameSite=Strict; Secure"
    );
}

/// No header is trusted unless named; the request's own values win; hostile values fill only
/// request fields, never where the call goes.
#[tokio::test]
async fn visitor_values_are_only_data() {
    let stub = Stub::start().await;
    let client = client(&stub).await;
    let attacker = crate::support::refused_address();
    let parts = browser(&[
        ("host", &attacker),
        (
            "cookie",
            &format!("mboxEdgeCluster=1@{attacker}/; mbox=PC#x.1@{attacker}/_0#9999999999"),
        ),
        ("x-forwarded-for", "203.0.113.9"),
        ("x-real-ip", "203.0.113.7, not-an-address"),
    ]);
    let untrusting = WebRequests::new(ORG);
    client
        .get_offers(untrusting.get_offers_options(&parts, page_load()))
        .await
        .expect("the call reaches the stub");
    let trusting_garbage =
        WebRequests::new(ORG).trusted_ip_header(HeaderName::from_static("x-real-ip"));
    let mut own = page_load();
    own.context.user_agent = Some("the caller's".to_owned());
    own.context.address =
        Some(serde_json::from_value(json!({"url": "https://own.example/"})).expect("address"));
    client
        .get_offers(trusting_garbage.get_offers_options(&parts, own))
        .await
        .expect("the call reaches the stub");
    let recorded = stub.recorded();
    assert_eq!(
        recorded.len(),
        2,
        "both calls went to the stub, not to {attacker}"
    );
    for sent in &recorded {
        assert!(
            sent.body["context"].get("geo").is_none(),
            "no trusted address: {}",
            sent.body
        );
        assert_eq!(
            sent.body["id"]["tntId"],
            format!("x.1@{attacker}/_0"),
            "only data"
        );
    }
    assert_eq!(
        recorded[0].body["context"]["address"]["url"],
        format!("https://{attacker}/products/7?color=red")
    );
    assert_eq!(
        recorded[1].body["context"]["address"]["url"],
        "https://own.example/"
    );
    assert_eq!(recorded[1].body["context"]["userAgent"], "the caller's");
}
