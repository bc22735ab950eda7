//! The cross-SDK conformance suite for on-device decisioning (`../shared/conformance`, or
//! `ADOBE_TARGET_CONFORMANCE`), run against our client exactly as every official Target SDK runs
//! it: the artifact and the geo endpoint are served by a real HTTP server on 127.0.0.1, the
//! clock is locked to `mockDate`, and notifications are captured at a local Delivery stub.

use std::path::PathBuf;

use adobe_target::{ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

/// The integration tests' local server: Delivery API, artifact CDN and geo on one app.
#[path = "it/stub.rs"]
#[allow(dead_code)]
mod stub;

fn suite_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ADOBE_TARGET_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    dir.join("models").is_dir().then_some(dir)
}

/// Jest's `toMatchObject`: objects contain the expected keys (recursively), arrays match
/// element by element, `"expect.any(T)"` matches any value of type T.
fn contains(actual: &Value, expected: &Value) -> Result<(), String> {
    match expected {
        Value::String(s) if s == "expect.any(Object)" => actual
            .is_object()
            .then_some(())
            .ok_or(format!("{actual} is not an object")),
        Value::String(s) if s == "expect.any(String)" => actual
            .is_string()
            .then_some(())
            .ok_or(format!("{actual} is not a string")),
        Value::String(s) if s == "expect.any(Number)" => actual
            .is_number()
            .then_some(())
            .ok_or(format!("{actual} is not a number")),
        Value::Object(expected) => {
            for (key, value) in expected {
                // As strict as jest: an expected `[]` must be there as `[]`, not absent.
                let Some(found) = actual.get(key) else {
                    return Err(format!("missing `{key}` (expected {value})"));
                };
                contains(found, value).map_err(|e| format!("{key}.{e}"))?;
            }
            Ok(())
        }
        Value::Array(expected) => {
            let actual = actual
                .as_array()
                .ok_or(format!("{actual} is not an array"))?;
            if actual.len() != expected.len() {
                return Err(format!(
                    "{} items instead of {}: {}",
                    actual.len(),
                    expected.len(),
                    Value::Array(actual.clone())
                ));
            }
            for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
                contains(a, e).map_err(|err| format!("[{i}].{err}"))?;
            }
            Ok(())
        }
        Value::Number(n) => match actual.as_f64() {
            Some(a) if Some(a) == n.as_f64() => Ok(()),
            _ => Err(format!("{actual} != {expected}")),
        },
        other => (actual == other)
            .then_some(())
            .ok_or(format!("{actual} != {other}")),
    }
}

fn mock_date(date: &Value) -> Option<DateTime<Utc>> {
    let part = |k: &str| date.get(k).and_then(Value::as_i64).unwrap_or(0);
    let month = u32::try_from(part("month") + 1).ok()?;
    Utc.with_ymd_and_hms(
        i32::try_from(part("year")).ok()?,
        month,
        part("date") as u32,
        part("hours") as u32,
        part("minutes") as u32,
        part("seconds") as u32,
    )
    .single()
}

async fn run_case(suite: &Value, case: &Value, dir: &std::path::Path) -> Result<(), String> {
    let artifact_name = case
        .get("artifact")
        .or_else(|| suite.get("artifact"))
        .and_then(Value::as_str)
        .ok_or("no artifact")?
        .to_owned();
    let artifact_text =
        std::fs::read_to_string(dir.join("artifacts").join(format!("{artifact_name}.json")))
            .map_err(|e| e.to_string())?;
    let server = stub::Stub::start().await;
    server.serve(&artifact_text, "\"conformance\"");
    if let Some(geo) = case.get("mockGeo") {
        server.geo(200, &geo.to_string());
    }
    let addr = server.addr;

    let conf = case
        .get("conf")
        .or_else(|| suite.get("conf"))
        .cloned()
        .unwrap_or(json!({}));
    let mut options = ClientOptions::from_map(conf)
        .map_err(|e| e.to_string())?
        .decisioning_method(DecisioningMethod::OnDevice)
        .artifact_location(server.url())
        .cdn_base_path(format!("http://{addr}"))
        .server_domain(addr.to_string())
        .secure(false)
        .http_client(
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .map_err(|e| e.to_string())?,
        );
    if let Some(now) = case.get("mockDate").and_then(mock_date) {
        options = options.clock(move || now);
    }
    let client = TargetClient::create(options)
        .await
        .map_err(|e| e.to_string())?;
    client.ready().await.map_err(|e| e.to_string())?;
    let call = GetOffersOptions::from_map(case["input"].clone()).map_err(|e| e.to_string())?;
    let result = client
        .get_offers(call.decisioning_method(DecisioningMethod::OnDevice))
        .await
        .map_err(|e| e.to_string())?;
    client.shutdown().await;

    if let Some(output) = case.get("output").filter(|o| !o.is_null()) {
        let response = serde_json::to_value(&result.response).map_err(|e| e.to_string())?;
        contains(&response, output).map_err(|e| format!("response: {e}\nactual: {response}"))?;
    }
    let sent: Vec<Value> = server
        .recorded()
        .into_iter()
        .filter(|r| r.path == "/rest/v1/delivery")
        .map(|r| r.body)
        .collect();
    match case.get("notificationOutput") {
        Some(Value::Null) if !sent.is_empty() => {
            return Err(format!(
                "no notification expected, sent {}",
                Value::Array(sent)
            ));
        }
        Some(Value::Null) => {}
        Some(expected) => {
            let expected = expected.get("request").unwrap_or(expected);
            if !sent.iter().any(|body| contains(body, expected).is_ok()) {
                let why: Vec<String> = sent
                    .iter()
                    .filter_map(|b| contains(b, expected).err())
                    .collect();
                return Err(format!(
                    "no matching notification among {}: {why:?}",
                    sent.len()
                ));
            }
        }
        None => {}
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_conformance_suite_passes() {
    let Some(dir) = suite_dir() else {
        let message = "THE CONFORMANCE SUITE IS MISSING: expected ../shared/conformance (or ADOBE_TARGET_CONFORMANCE); no case was run";
        eprintln!("\n!!! {message} !!!\n");
        assert!(std::env::var_os("CI").is_none(), "{message}");
        return;
    };
    let mut suites: Vec<PathBuf> = std::fs::read_dir(dir.join("models"))
        .expect("the models folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    suites.sort();
    let (mut passed, mut failed) = (0, 0);
    for path in &suites {
        let suite: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("a suite"))
            .expect("suite JSON");
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        for (case_name, case) in suite["test"].as_object().expect("tests") {
            match run_case(&suite, case, &dir).await {
                Ok(()) => passed += 1,
                Err(error) => {
                    failed += 1;
                    eprintln!("FAIL {name} / {case_name}: {error}\n");
                }
            }
        }
    }
    println!("conformance: {passed} passed, {failed} failed");
    assert_eq!(failed, 0, "{failed} conformance cases failed");
    assert_eq!(passed, 66, "the suite has 66 cases");
}
