//! The raw generated client against a real HTTP server on 127.0.0.1.

use adobe_target::Error;
use adobe_target::delivery::{self, Client, types::*};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client");
    Client::new_with_client(&server.uri(), http)
}

fn request() -> DeliveryRequest {
    serde_json::from_value(json!({
        "context": {"channel": "web"},
        "execute": {"mboxes": [{"index": 0, "name": "SummerOffer"}]}
    }))
    .expect("a valid request")
}

fn call<'a>(client: &'a Client, body: DeliveryRequest) -> delivery::builder::Execute<'a> {
    client
        .execute()
        .client("demo")
        .ims_org_id("65453EA95E702DB70A495D54@AdobeOrg")
        .session_id("d3592ecb-9f8b-4c4c-bd2f-5d3a4c3b7a11")
        .version("2.3.0")
        .body(body)
}

#[tokio::test]
async fn execute_sends_path_query_and_body_and_decodes_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/v1/delivery"))
        .and(query_param("client", "demo"))
        .and(query_param("imsOrgId", "65453EA95E702DB70A495D54@AdobeOrg"))
        .and(query_param("sessionId", "d3592ecb-9f8b-4c4c-bd2f-5d3a4c3b7a11"))
        .and(query_param("version", "2.3.0"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "context": {"channel": "web"},
            "execute": {"mboxes": [{"index": 0, "name": "SummerOffer"}]}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": 200,
            "requestId": "r-1",
            "edgeHost": "mboxedge28.tt.omtrdc.net",
            "execute": {"mboxes": [{"index": 0, "name": "SummerOffer",
                "options": [{"type": "html", "content": "<p>15% off</p>", "responseTokens": {"activity.id": 125_894}}]}]}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let response = delivery::send(call(&client, request()))
        .await
        .expect("a 200")
        .expect("a body");
    assert_eq!(response.status().as_u16(), 200);
    let mbox = &response.execute.as_ref().expect("execute").mboxes[0];
    assert_eq!(mbox.name.as_deref(), Some("SummerOffer"));
    assert_eq!(mbox.options[0].type_, Some(OptionType::Html));
    assert_eq!(
        mbox.options[0].content.as_deref(),
        Some(&json!("<p>15% off</p>"))
    );
    assert_eq!(
        response.edge_host.as_deref(),
        Some("mboxedge28.tt.omtrdc.net")
    );
}

#[tokio::test]
async fn a_400_is_a_typed_error_with_the_api_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"status": 400, "message": "Invalid token"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let error = delivery::send(call(&client, request()))
        .await
        .expect_err("a 400 is an error");
    assert!(
        matches!(&error, Error::Http { status: 400, message } if message == "Invalid token"),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_5xx_without_the_api_body_keeps_its_status() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&server)
        .await;
    let client = client(&server);
    let error = delivery::send(call(&client, request()))
        .await
        .expect_err("a 502 is an error");
    assert!(
        matches!(&error, Error::Http { status: 502, message } if message.contains("Bad Gateway")),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_204_is_success_with_no_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_json(
            json!({"context": {"channel": "web", "beacon": true}}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let beacon: DeliveryRequest =
        serde_json::from_value(json!({"context": {"channel": "web", "beacon": true}}))
            .expect("a valid request");
    let response = delivery::send(call(&client, beacon))
        .await
        .expect("a 204 is a success");
    assert!(response.is_none());
}

#[tokio::test]
async fn garbage_json_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{not json"))
        .mount(&server)
        .await;
    let client = client(&server);
    let error = delivery::send(call(&client, request()))
        .await
        .expect_err("garbage is an error");
    assert!(
        matches!(&error, Error::Decode { body, .. } if body == "{not json"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_missing_required_parameter_is_an_invalid_request() {
    let server = MockServer::start().await;
    let client = client(&server);
    let incomplete = client.execute().ims_org_id("org@AdobeOrg").body(request());
    let error = delivery::send(incomplete)
        .await
        .expect_err("sessionId is required");
    assert!(
        matches!(&error, Error::InvalidRequest(m) if m.contains("session_id")),
        "{error:?}"
    );
}
