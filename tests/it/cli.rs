//! The `adobe-target` command, run as a user runs it: decide and explain conformance inputs,
//! inspect and validate artifacts, fetch one from a CDN on 127.0.0.1 with its ETag.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::support::{cli, read_json, shared_dir};

/// A scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("adobe-target-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(cli())
        .args(args)
        .output()
        .expect("the command runs")
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// A failure: exit status 1 and one line on stderr.
fn failed_with_one_line(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

fn artifact(name: &str) -> PathBuf {
    shared_dir().join(format!("conformance/artifacts/{name}.json"))
}

/// A path as an argument (the tests' paths are UTF-8).
fn arg(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").to_owned()
}

#[test]
fn decide_answers_a_conformance_case_offline_from_json_and_bin() {
    let conformance = shared_dir().join("conformance");
    let suite = read_json(&conformance.join("models/TEST_SUITE_TIMEFRAME.json"));
    let case = &suite["test"]["date_range_1"];
    let dir = scratch("decide");
    let write = |name: &str, value: &Value| {
        let path = dir.join(name);
        std::fs::write(&path, value.to_string()).expect("write");
        path
    };
    let request = write("request.json", &case["input"]["request"]);
    let conf = write("conf.json", &suite["conf"]);
    let decide = |artifact: &Path| -> Value {
        let output = Command::new(cli())
            .arg("decide")
            .arg("--artifact")
            .arg(artifact)
            .arg("--request")
            .arg(&request)
            .arg("--conf")
            .arg(&conf)
            .args(["--now", "2021-02-11T19:00:00Z"])
            .output()
            .expect("the command runs");
        serde_json::from_str(&succeeded(&output)).expect("JSON output")
    };
    let printed = decide(&artifact("TEST_ARTIFACT_TIMEFRAME"));
    let expected = &case["output"]["prefetch"]["mboxes"][0]["options"][0];
    let option = &printed["response"]["prefetch"]["mboxes"][0]["options"][0];
    assert_eq!(option["content"], expected["content"]);
    assert_eq!(option["eventToken"], expected["eventToken"]);
    assert_eq!(printed["meta"]["decisioning_method"], "on-device");
    let telemetry = &printed["notifications"][0]["telemetry"]["entries"][0];
    assert_eq!(telemetry["features"]["prefetchMboxCount"], 1);

    // The same case from an obfuscated rules.bin of the same artifact.
    let org = suite["conf"]["organizationId"]
        .as_str()
        .expect("the suite's organization id");
    let bin = dir.join("rules.bin");
    let plain = read_json(&artifact("TEST_ARTIFACT_TIMEFRAME"));
    std::fs::write(
        &bin,
        crate::ondevice::obfuscated(&plain, org, b"TNT:1\0\0\0"),
    )
    .expect("write");
    assert_eq!(
        decide(&bin)["response"]["prefetch"],
        printed["response"]["prefetch"]
    );

    let missing = Command::new(cli())
        .args([
            "decide",
            "--artifact",
            "/nonexistent.json",
            "--request",
            "x",
        ])
        .output()
        .expect("runs");
    assert!(failed_with_one_line(&missing).contains("/nonexistent.json"));
    let usage = Command::new(cli()).arg("decide").output().expect("runs");
    assert_eq!(usage.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_shows_each_rule_and_the_value_its_failing_condition_saw() {
    let dir = scratch("explain");
    let request = dir.join("request.json");
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0";
    let call = json!({
        "context": {"channel": "web", "userAgent": ua},
        "execute": {"mboxes": [{"name": "mbox-browsers", "index": 1}]}
    });
    std::fs::write(&request, call.to_string()).expect("write");
    let (browsers, request) = (arg(&artifact("TEST_ARTIFACT_BROWSER")), arg(&request));
    let args = |json: bool| {
        let mut args = vec!["explain", "--artifact", &browsers, "--request", &request];
        if json {
            args.push("--json");
        }
        run(&args)
    };
    // Firefox matches the first rule: one row, matched.
    let table = succeeded(&args(false));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(
        lines[0].starts_with("MODE") && lines[0].contains("WHY NOT"),
        "{table}"
    );
    assert!(
        lines[1].contains("mbox mbox-browsers") && lines[1].contains("yes"),
        "{table}"
    );

    // Safari fails the firefox rule: the table says what it saw.
    let ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) \
              Version/17.1 Safari/605.1.15";
    let call = json!({
        "context": {"channel": "web", "userAgent": ua},
        "execute": {"mboxes": [{"name": "mbox-browsers", "index": 1}]}
    });
    std::fs::write(&request, call.to_string()).expect("write");
    let table = succeeded(&args(false));
    let first = table.lines().nth(1).expect("a first rule");
    assert!(
        first.contains("no") && first.contains(r#"saw user.browserType="safari""#),
        "{table}"
    );
    let printed: Value = serde_json::from_str(&succeeded(&args(true))).expect("JSON");
    let rules = printed["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["matched"], false);
    assert_eq!(rules[0]["failed"][0]["saw"]["user.browserType"], "safari");
    assert_eq!(rules[1]["matched"], true);
    assert_eq!(rules[1]["audienceIds"], json!([1750991]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inspect_summarises_and_validate_refuses_what_the_sdk_refuses() {
    let geo = arg(&artifact("TEST_ARTIFACT_GEO"));
    let text = succeeded(&run(&["inspect", &geo]));
    assert!(text.contains("client        targettesting"), "{text}");
    assert!(text.contains("geo targeting on"), "{text}");
    assert!(text.contains("reads geo.city"), "{text}");
    let json: Value =
        serde_json::from_str(&succeeded(&run(&["inspect", &geo, "--json"]))).expect("JSON");
    assert_eq!(json["geoTargetingEnabled"], true);
    assert_eq!(json["mboxes"], json!(["mbox-geography"]));

    let valid = succeeded(&run(&["validate", &geo]));
    assert!(valid.contains("valid, version 1.0.0"), "{valid}");

    let dir = scratch("validate");
    for (name, text, reason) in [
        ("v2.json", r#"{"version": "2.0.0"}"#, "not supported"),
        (
            "broken.json",
            r#"{"version": "1.0.0", "rules": "#,
            "Unable to read artifact JSON",
        ),
        ("short.bin", "not an artifact", "40-byte header"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        let path = arg(&path);
        let args = ["validate", &path, "--organization-id", "org@AdobeOrg"];
        let line = failed_with_one_line(&run(&args));
        assert!(line.contains(reason), "{name}: {line}");
    }
    let bin = dir.join("rules.bin");
    std::fs::write(&bin, b"x").expect("write");
    let line = failed_with_one_line(&run(&["validate", &arg(&bin)]));
    assert!(line.contains("--organization-id"), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A CDN on 127.0.0.1 serving `body` at `/acme/production/v1/rules.json` with an ETag, and 304
/// to a request that names it; counts requests.
async fn cdn(body: &'static str) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/acme/production/v1/rules.json",
        axum::routing::get(move |headers: HeaderMap| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let etag = "\"v1\"";
                if headers
                    .get(header::IF_NONE_MATCH)
                    .is_some_and(|v| v == etag)
                {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                ([(header::ETAG, etag)], body).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_downloads_with_an_etag_and_keeps_a_good_file_over_a_bad_one() {
    let text = std::fs::read_to_string(artifact("TEST_ARTIFACT_AB_SIMPLE")).expect("read");
    let artifact_text: &'static str = Box::leak(text.into_boxed_str());
    let (base, hits) = cdn(artifact_text).await;
    let dir = scratch("fetch");
    let output = dir.join("rules.json");
    let fetch = |base: String, output: PathBuf| async move {
        tokio::task::spawn_blocking(move || {
            Command::new(cli())
                .args([
                    "fetch",
                    "--client",
                    "acme",
                    "--cdn-base-path",
                    &base,
                    "--output",
                ])
                .arg(output)
                .output()
                .expect("runs")
        })
        .await
        .expect("joined")
    };
    let first = fetch(base.clone(), output.clone()).await;
    let said = succeeded(&first);
    assert!(said.contains("(ETag \"v1\")"), "{said}");
    assert!(
        first.stderr.is_empty(),
        "no progress bar when stderr is piped: {:?}",
        first.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&output).expect("written"),
        artifact_text
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("rules.json.etag")).expect("etag"),
        "\"v1\""
    );

    let second = succeeded(&fetch(base.clone(), output.clone()).await);
    assert!(second.contains("not modified"), "{second}");
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    // A CDN answering something the SDK would refuse does not replace the file.
    let (bad, _) = cdn(r#"{"version": "9.0.0"}"#).await;
    std::fs::remove_file(dir.join("rules.json.etag")).expect("remove");
    let refused = fetch(bad, output.clone()).await;
    assert!(failed_with_one_line(&refused).contains("not supported"));
    assert_eq!(
        std::fs::read_to_string(&output).expect("kept"),
        artifact_text
    );

    // A missing artifact is an HTTP error, one line.
    let missing = tokio::task::spawn_blocking(move || {
        Command::new(cli())
            .args([
                "fetch",
                "--client",
                "nobody",
                "--cdn-base-path",
                &base,
                "--output",
            ])
            .arg(dir.join("none.json"))
            .output()
            .expect("runs")
    })
    .await
    .expect("joined");
    assert!(failed_with_one_line(&missing).contains("HTTP 404"));
}

#[test]
fn help_carries_examples() {
    for command in [
        None,
        Some("decide"),
        Some("explain"),
        Some("inspect"),
        Some("validate"),
        Some("fetch"),
    ] {
        let mut args: Vec<&str> = command.into_iter().collect();
        args.push("--help");
        let help = succeeded(&run(&args));
        assert!(
            help.contains("Examples:\n  adobe-target "),
            "{command:?}: {help}"
        );
    }
}
