//! `ready()` explains itself: a failure retrying cannot mend is said at once, a transient one
//! is retried (with a `warn` line naming the next attempt) until `maximum_wait_ready`, and the
//! error carries the last failure as its source. Real files and real servers on 127.0.0.1.

use std::error::Error as _;
use std::time::Duration;

use adobe_target::{ClientOptions, DecisioningMethod, Error, Event, TargetClient};
use serde_json::json;

use crate::log_hygiene::logs_of;
use crate::stub::{Reply, Stub};
use crate::support::refused_address;

/// No test here may wait longer than this: a hang is a failure, not a stuck run.
const BOUND: Duration = Duration::from_secs(10);

fn on_device() -> ClientOptions {
    ClientOptions::new("acmeclient", "org@AdobeOrg")
        .decisioning_method(DecisioningMethod::OnDevice)
        .http_client(Stub::direct_client())
        .timeout(Duration::from_millis(500))
}

/// `ready()` of a client made from `options`, which must end within the bound.
async fn ready_of(options: ClientOptions) -> (adobe_target::Result<()>, TargetClient) {
    let client = TargetClient::create(options).await.expect("valid options");
    let ready = tokio::time::timeout(BOUND, client.ready())
        .await
        .expect("ready() answers instead of waiting forever");
    (ready, client)
}

/// The failure inside an `EngineNotReady`, as text, checking that it is the error's source.
fn last_failure(result: adobe_target::Result<()>) -> String {
    let error = result.expect_err("not ready");
    let Error::EngineNotReady {
        last_failure: Some(failure),
    } = &error
    else {
        panic!("expected EngineNotReady with a failure, got {error:?}");
    };
    let source = error.source().expect("a source").to_string();
    assert_eq!(source, failure.to_string());
    assert!(error.to_string().contains(&source), "{error}");
    source
}

#[tokio::test]
async fn an_artifact_file_that_cannot_load_is_said_at_once() {
    let dir = std::env::temp_dir().join(format!("adobe-target-ready-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("written");
        path
    };
    let cases = [
        (
            write("garbage.json", "this is not JSON"),
            "Unable to read artifact JSON",
        ),
        (write("empty.json", ""), "Unable to read artifact JSON"),
        (
            write(
                "v2.json",
                &json!({"version": "2.0.0", "rules": {}}).to_string(),
            ),
            "is not supported",
        ),
        (dir.join("missing.json"), "I/O error"),
    ];
    for (path, message) in cases {
        // No maximum_wait_ready: the default is to wait for ever, and still it answers.
        let (ready, client) = ready_of(on_device().artifact_file(&path).expect("a path")).await;
        let failure = last_failure(ready);
        assert!(failure.contains(message), "{}: {failure}", path.display());
        client.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_plain_path_is_a_file_location() {
    let dir = std::env::temp_dir().join(format!("adobe-target-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let demo =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/demo-artifact.json");
    let path = dir.join("rules.json");
    std::fs::copy(&demo, &path).expect("copied");
    // An absolute path, by option and by map key, and a relative one.
    let relative = path
        .strip_prefix(std::env::current_dir().expect("a working directory"))
        .ok()
        .map(|p| p.to_path_buf());
    let mut locations = vec![path.display().to_string()];
    locations.extend(relative.map(|p| format!("./{}", p.display())));
    for location in locations {
        let (ready, client) = ready_of(on_device().artifact_location(&location)).await;
        ready.unwrap_or_else(|e| panic!("{location}: {e}"));
        client.shutdown().await;
    }
    let mapped = ClientOptions::from_map(json!({
        "client": "acmeclient", "organization_id": "org@AdobeOrg",
        "decisioning_method": "on-device", "artifactLocation": path.display().to_string(),
    }))
    .expect("a map");
    let (ready, client) = ready_of(mapped).await;
    ready.expect("loaded from the path");
    client.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_refused_download_is_said_at_once_and_not_retried() {
    for (status, message) in [
        (404, "404"),
        (401, "not authorized"),
        (403, "On-Device-Decisioning being disabled"),
    ] {
        let cdn = Stub::start().await;
        cdn.push(Reply::raw(status, "no"));
        let (ready, client) = ready_of(
            on_device().artifact_location(format!("http://{}/refused/rules.json", cdn.domain())),
        )
        .await;
        let failure = last_failure(ready);
        assert!(failure.contains(message), "{status}: {failure}");
        assert_eq!(cdn.count(), 1, "{status} is not retried");
        client.shutdown().await;
    }
}

/// An unreachable CDN is retried with backoff: `ready()` waits for `maximum_wait_ready`, then
/// says why, with the same text as the event; each failed attempt is a `warn` line saying when
/// the next one is.
#[test]
fn an_unreachable_cdn_is_retried_and_ready_says_why_when_it_gives_up() {
    let logs = logs_of(tracing::Level::WARN, async {
        let closed = refused_address();
        let mut failures = Vec::new();
        let options = on_device()
            .artifact_location(format!("http://{closed}/rules.json"))
            .maximum_wait_ready(Duration::from_millis(1500));
        let client = TargetClient::create(options).await.expect("valid options");
        let mut events = client.subscribe();
        let ready = tokio::time::timeout(BOUND, client.ready())
            .await
            .expect("bounded by maximum_wait_ready");
        while let Ok(event) = events.try_recv() {
            if let Event::ArtifactDownloadFailed { error, .. } = event {
                failures.push(error);
            }
        }
        let failure = last_failure(ready);
        assert!(failure.contains("transport error"), "{failure}");
        assert!(failures.len() >= 2, "retried: {failures:?}");
        assert_eq!(failures.last(), Some(&failure), "the event's text");
        client.shutdown().await;
    });
    let warnings: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("Failed to retrieve artifact"))
        .collect();
    assert!(warnings.len() >= 2, "{logs}");
    assert!(
        warnings.iter().all(|l| l.contains("retry_in_ms=")),
        "{logs}"
    );
}

/// What the README's Quickstart does offline (hybrid, no artifact reachable, `maximum_wait_ready`
/// set): `ready()` ends in time with an error that says what to do, and hybrid calls still go
/// to the Edge.
#[tokio::test]
async fn the_quickstart_offline_ends_in_time_and_says_what_to_do() {
    let delivery = Stub::start().await;
    let closed = refused_address();
    let (ready, client) = ready_of(
        ClientOptions::new("acmeclient", "0123456789ABCDEF01234567@AdobeOrg")
            .decisioning_method(DecisioningMethod::Hybrid)
            .cdn_base_path(format!("http://{closed}"))
            .server_domain(delivery.domain())
            .secure(false)
            .http_client(Stub::direct_client())
            .timeout(Duration::from_secs(2))
            .maximum_wait_ready(Duration::from_secs(1)),
    )
    .await;
    let message = ready.expect_err("no artifact").to_string();
    assert!(message.contains("did not load"), "{message}");
    assert!(message.contains("maximum_wait_ready"), "{message}");
    assert!(
        message.contains("/acmeclient/production/v1/rules.json"),
        "{message}"
    );
    let request = serde_json::from_value(json!({
        "context": {"channel": "web"}, "execute": {"mboxes": [{"name": "hero"}]}
    }))
    .expect("a request");
    client
        .get_offers(adobe_target::GetOffersOptions::new(request))
        .await
        .expect("hybrid asks the Edge meanwhile");
    assert_eq!(delivery.count(), 1);
    client.shutdown().await;
}
