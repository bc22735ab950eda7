//! Decoding what the Delivery API sends back.

use adobe_target::delivery::types::*;
use serde_json::{Value, json};

use crate::support::{read_json, read_yaml, shared_dir};

fn decode(value: Value) -> DeliveryResponse {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("a valid response must decode: {e}"))
}

/// A response as the Edge sends it, with what a strict model would choke on: fields this crate
/// does not know, an option type it does not know, numeric and list response tokens, string
/// trace values, JSON content that is an array and a scalar.
#[test]
fn a_realistic_response_decodes() {
    let response = decode(json!({
        "status": 200,
        "requestId": "5efee0d8-3779-4b12-a74e-e04848faf191",
        "client": "demo",
        "id": {"tntId": "abcdefghijkl00023.1_1", "someNewIdKind": "x"},
        "edgeHost": "mboxedge28.tt.omtrdc.net",
        "someFutureField": {"nested": true},
        "execute": {
            "pageLoad": {
                "options": [{
                    "type": "actions",
                    "content": [{"type": "setHtml", "selector": "#hero", "cssSelector": "#hero", "content": "Hello"}],
                    "responseTokens": {"activity.id": 125_894, "experience.name": "Experience B", "profile.categories": ["a", "b"]}
                }],
                "metrics": [{"type": "click", "selector": "#buy", "eventToken": "click-token"}],
                "analytics": {"payload": {"pe": "tnt", "tnta": "125894:1:0|32767"}}
            },
            "mboxes": [{
                "index": 0,
                "name": "hero",
                "options": [
                    {"type": "json", "content": {"title": "Welcome", "discount": 15}, "eventToken": "t1"},
                    {"type": "json", "content": [1, 2, 3]},
                    {"type": "someFutureType", "content": 42}
                ],
                "metrics": [{"type": "viewed", "eventToken": "t2"}],
                "trace": {"clientCode": "demo", "artifact": {"version": "1.0.0"}, "campaigns": []}
            }]
        },
        "prefetch": {
            "views": [{"name": "home", "key": "home-key", "state": "view-state", "options": [{"type": "html", "content": "<b>hi</b>", "eventToken": "t3"}]}],
            "mboxes": [{"index": 1, "name": "SummerOffer", "state": "mbox-state", "options": [{"type": "redirect", "content": "https://example.com/sale"}]}],
            "metrics": [{"type": "display", "eventToken": "t4"}]
        },
        "notifications": [{"id": "notification-1", "trace": {"note": "received"}}],
        "telemetryServerToken": "telemetry-token"
    }));

    let mbox = &response.execute.as_ref().expect("execute").mboxes[0];
    assert_eq!(
        mbox.options[2].type_,
        Some(OptionType::Other("someFutureType".into()))
    );
    assert_eq!(
        mbox.metrics[0].type_,
        Some(MetricType::Other("viewed".into()))
    );
    let page_load = response
        .execute
        .as_ref()
        .and_then(|e| e.page_load.as_ref())
        .expect("pageLoad");
    let tokens = page_load.options[0]
        .response_tokens
        .as_ref()
        .expect("tokens");
    assert_eq!(tokens["activity.id"], json!(125_894));
    let actions: Vec<Action> = serde_json::from_value(
        page_load.options[0]
            .content
            .as_deref()
            .cloned()
            .expect("content"),
    )
    .expect("actions");
    assert_eq!(actions[0].selector.as_deref(), Some("#hero"));
    // As JSON (what the typed models keep, in the wire's names): steady where a Debug dump of
    // the models would change with every field the spec gains.
    insta::assert_json_snapshot!(response);
}

/// The server's error body.
#[test]
fn an_error_body_decodes() {
    let error: UnexpectedError =
        serde_json::from_value(json!({"status": 400, "message": "Invalid token"}))
            .expect("an error body decodes");
    insta::assert_json_snapshot!(error, @r#"
    {
      "message": "Invalid token",
      "status": 400
    }
    "#);
}

/// The conformance suite writes `"expect.any(Number)"` where any value of a type is accepted;
/// the real server sends a value of that type.
fn concretize(value: &mut Value) {
    match value {
        Value::String(s) if s == "expect.any(Number)" => *value = json!(1),
        Value::String(s) if s == "expect.any(Object)" => *value = json!({}),
        Value::String(s) if s == "expect.any(String)" => *value = json!("any"),
        Value::Array(items) => items.iter_mut().for_each(concretize),
        Value::Object(map) => map.values_mut().for_each(concretize),
        _ => {}
    }
}

/// api.yaml's inline example writes one `options` entry as a bare object where the example file
/// of the same response (and the server) has a one-element array: a typo in the document, fixed
/// here visibly rather than by accepting a shape the API does not send.
fn wrap_single_options(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(options) = map.get_mut("options")
                && options.is_object()
            {
                *options = Value::Array(vec![options.take()]);
            }
            map.values_mut().for_each(wrap_single_options);
        }
        Value::Array(items) => items.iter_mut().for_each(wrap_single_options),
        _ => {}
    }
}

/// Every response of the cross-SDK conformance suite and every response example of the public
/// spec decodes: no answer the real API can send fails.
#[test]
fn every_known_response_decodes() {
    let shared = shared_dir();
    let mut decoded = 0;

    let models = shared.join("conformance/models");
    let mut suites: Vec<_> = std::fs::read_dir(&models)
        .unwrap_or_else(|e| panic!("the conformance suite must be at {}: {e}", models.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    suites.sort();
    for suite in suites {
        let suite_json = read_json(&suite);
        let cases = suite_json["test"].as_object().expect("a suite has tests");
        for (name, case) in cases {
            let Some(output) = case.get("output") else {
                continue;
            };
            let mut output = output.clone();
            concretize(&mut output);
            serde_json::from_value::<DeliveryResponse>(output)
                .unwrap_or_else(|e| panic!("{} / {name}: {e}", suite.display()));
            decoded += 1;
        }
    }

    let reference = shared.join("reference/delivery-openapi/delivery");
    // The example files are hand-written and carry trailing commas, which YAML accepts.
    let examples = reference.join("examples");
    for name in [
        "responseForPrefetchViewsForMobileChannel.json",
        "responseForPrefetchViewsForWebChannel.json",
    ] {
        serde_json::from_value::<DeliveryResponse>(read_yaml(&examples.join(name)))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        decoded += 1;
    }
    serde_json::from_value::<DeliveryRequest>(read_yaml(
        &examples.join("notificationsForDisplayedContent.json"),
    ))
    .expect("the notification example request decodes");
    let api = read_yaml(&reference.join("api.yaml"));
    let operation = &api["paths"]["/rest/v1/delivery"]["post"];
    for (name, example) in operation["responses"]["200"]["content"]["application/json"]["examples"]
        .as_object()
        .expect("api.yaml has response examples")
    {
        let mut value = example["value"].clone();
        wrap_single_options(&mut value);
        serde_json::from_value::<DeliveryResponse>(value)
            .unwrap_or_else(|e| panic!("api.yaml response example {name}: {e}"));
        decoded += 1;
    }

    assert!(
        decoded >= 50,
        "only {decoded} responses found; is the conformance suite complete?"
    );
}
