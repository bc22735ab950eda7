//! On-device and hybrid decisioning beyond the conformance suite, with our own artifacts, a
//! real CDN and a real Delivery stub on 127.0.0.1.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{
    ClientOptions, DecisioningMethod, Error, Event, GetOffersOptions, TargetClient,
};
use serde_json::{Value, json};

use crate::stub::{Reply, Stub};

/// An artifact where mbox `local-offer` shows JSON `{"variant": <variant>}` to everyone, and
/// `server-offer` is decided by the server.
pub fn artifact(variant: &str) -> Value {
    json!({
        "version": "1.0.0",
        "meta": {"clientCode": "acmeclient", "environment": "production"},
        "globalMbox": "target-global-mbox",
        "geoTargetingEnabled": true,
        "responseTokens": ["activity.id", "experience.name"],
        "remoteMboxes": ["server-offer"],
        "remoteViews": [],
        "localMboxes": ["local-offer", "target-global-mbox"],
        "localViews": [],
        "rules": {
            "mboxes": {
                "local-offer": [{
                    "ruleKey": "101",
                    "activityId": 101,
                    "meta": {"activity.id": 101, "experience.name": variant, "audience.ids": []},
                    "condition": true,
                    "consequence": {
                        "name": "local-offer",
                        "options": [{"type": "json", "content": {"variant": variant}, "eventToken": format!("token-{variant}")}],
                        "metrics": []
                    }
                }]
            },
            "views": {}
        }
    })
}

fn request(mboxes: &[&str]) -> DeliveryRequest {
    let mboxes: Vec<Value> = mboxes
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"name": n, "index": i}))
        .collect();
    serde_json::from_value(json!({
        "id": {"tntId": "visitor1.28_0"},
        "context": {"channel": "web", "address": {"url": "https://shop.example.com/"}},
        "execute": {"mboxes": mboxes}
    }))
    .expect("a valid request")
}

fn options(cdn: &Stub, delivery: &Stub, method: DecisioningMethod) -> ClientOptions {
    delivery
        .options()
        .decisioning_method(method)
        .artifact_location(cdn.url())
        .cdn_base_path(cdn.base())
        .polling_interval(Duration::ZERO)
        .telemetry_enabled(false)
}

/// `ready()`, bounded: a test never hangs on an artifact that does not load.
async fn ready(client: &TargetClient) -> adobe_target::Result<()> {
    tokio::time::timeout(Duration::from_secs(30), client.ready())
        .await
        .expect("ready within 30 s")
}

/// The CDN serving `artifact` (ETag `etag`), the Delivery API, and a client of both made with
/// `configure`, once its artifact is loaded.
pub async fn started(
    artifact: &Value,
    etag: &str,
    method: DecisioningMethod,
    configure: impl FnOnce(ClientOptions) -> ClientOptions,
) -> (Stub, Stub, TargetClient) {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    cdn.serve_json(artifact, etag);
    let client = TargetClient::create(configure(options(&cdn, &delivery, method)))
        .await
        .expect("valid options");
    ready(&client).await.expect("the artifact loads");
    (cdn, delivery, client)
}

/// `client` decides the `local-offer` mbox on-device with the `expected` variant.
async fn decides(client: &TargetClient, expected: &str) {
    let out = client
        .get_offers(GetOffersOptions::new(request(&["local-offer"])))
        .await
        .expect("a decision");
    assert_eq!(variant(&out).as_deref(), Some(expected));
}

fn variant(out: &adobe_target::TargetResponse) -> Option<String> {
    let mbox = out.response.execute.as_ref()?.mboxes.first()?;
    mbox.options
        .first()?
        .content
        .as_ref()?
        .get("variant")?
        .as_str()
        .map(str::to_owned)
}

/// Decides `local-offer` until it shows `want`, which a newer artifact brings; fails at `deadline`.
async fn until_variant(client: &TargetClient, want: &str, deadline: tokio::time::Instant) {
    loop {
        let out = client
            .get_offers(GetOffersOptions::new(request(&["local-offer"])))
            .await
            .expect("a decision");
        if variant(&out).as_deref() == Some(want) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the artifact with variant {want} is picked up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (bounded) for an event matching `want`.
async fn wait_for_event(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    want: impl Fn(&Event) -> bool,
) -> Event {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(event) if want(&event) => return event,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(error) => panic!("events ended: {error}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("the event arrives")
}

#[tokio::test]
async fn decides_on_device_without_calling_the_edge() {
    let (_cdn, delivery, client) =
        started(&artifact("A"), "\"v1\"", DecisioningMethod::OnDevice, |o| o).await;
    let out = client
        .get_offers(GetOffersOptions::new(request(&["local-offer"])))
        .await
        .expect("a decision");
    assert_eq!(variant(&out).as_deref(), Some("A"));
    assert_eq!(out.status, 200);
    assert_eq!(out.meta.decisioning_method, DecisioningMethod::OnDevice);
    let tokens = out.response_tokens()[0];
    assert_eq!(
        (
            tokens["activity.id"].clone(),
            tokens["activity.decisioningMethod"].clone()
        ),
        (json!(101), json!("on-device"))
    );
    assert!(
        out.target_cookie
            .expect("a cookie")
            .value
            .contains("|PC#visitor1.28_0#")
    );
    client.shutdown().await;
    let sent = delivery.recorded();
    assert_eq!(
        sent.len(),
        1,
        "only the display notification reached the Edge"
    );
    assert_eq!(
        sent[0].body["notifications"][0]["tokens"],
        json!(["token-A"])
    );
    assert_eq!(
        sent[0].body["notifications"][0]["mbox"]["name"],
        "local-offer"
    );
    assert_eq!(sent[0].host(), delivery.domain());
}

#[tokio::test]
async fn polling_uses_the_etag_and_picks_up_a_new_artifact() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    cdn.serve_json(&artifact("A"), "\"v1\"");
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice)
            .polling_interval(Duration::from_secs(1)),
    )
    .await
    .expect("valid options");
    let mut events = client.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    ready(&client).await.expect("the artifact loads");
    // Unchanged artifact: the CDN answers 304 and the client keeps what it has.
    while cdn.not_modified() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a poll with If-None-Match arrives"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    decides(&client, "A").await;
    // A new artifact is published: a later poll swaps it in.
    let downloads_before = cdn.downloads();
    cdn.serve_json(&artifact("B"), "\"v2\"");
    until_variant(&client, "B", deadline).await;
    assert!(cdn.downloads() > downloads_before);
    let succeeded = wait_for_event(&mut events, |e| {
        matches!(e, Event::ArtifactDownloadSucceeded { .. })
    })
    .await;
    assert!(
        matches!(succeeded, Event::ArtifactDownloadSucceeded { artifact_location } if artifact_location == cdn.url())
    );
    client.shutdown().await;
}

/// [`artifact`] with a second local mbox, `local-second`, showing the same variant.
fn two_mbox_artifact(variant: &str) -> Value {
    let mut artifact = artifact(variant);
    let mut rule = artifact["rules"]["mboxes"]["local-offer"][0].clone();
    rule["ruleKey"] = json!("102");
    rule["consequence"]["name"] = json!("local-second");
    artifact["rules"]["mboxes"]["local-second"] = json!([rule]);
    if let Some(local) = artifact["localMboxes"].as_array_mut() {
        local.push(json!("local-second"));
    }
    artifact
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_stay_whole_while_the_artifact_changes_under_them() {
    let (cdn, _delivery, client) = started(
        &two_mbox_artifact("A"),
        "\"A0\"",
        DecisioningMethod::OnDevice,
        |o| o.polling_interval(Duration::from_secs(1)),
    )
    .await;
    let flipping = Arc::new(AtomicBool::new(true));
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let (client, flipping) = (client.clone(), flipping.clone());
            tokio::spawn(async move {
                let mut seen = BTreeSet::new();
                while flipping.load(Ordering::SeqCst) {
                    let out = client
                        .get_offers(GetOffersOptions::new(request(&[
                            "local-offer",
                            "local-second",
                        ])))
                        .await
                        .expect("a decision while the artifact changes");
                    let mboxes = out.response.execute.expect("execute").mboxes;
                    let variants: Vec<Option<String>> = mboxes
                        .iter()
                        .map(|m| {
                            let content = m.options.first()?.content.as_ref()?;
                            content.get("variant")?.as_str().map(str::to_owned)
                        })
                        .collect();
                    assert_eq!(variants.len(), 2, "both mboxes are decided");
                    assert!(variants[0].is_some(), "{variants:?}");
                    assert_eq!(variants[0], variants[1], "one artifact per decision");
                    seen.extend(variants[0].clone());
                    tokio::task::yield_now().await;
                }
                seen
            })
        })
        .collect();
    // The CDN publishes B, A, B, each once the poller has fetched the one before, while the
    // callers decide.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for (round, variant) in ["B", "A", "B"].into_iter().enumerate() {
        let downloads = cdn.downloads();
        cdn.serve_json(
            &two_mbox_artifact(variant),
            &format!("\"{variant}{round}\""),
        );
        while cdn.downloads() == downloads {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the poller fetches it"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Let the last one be swapped in and decided with.
    tokio::time::sleep(Duration::from_millis(200)).await;
    flipping.store(false, Ordering::SeqCst);
    let mut seen = BTreeSet::new();
    for caller in callers {
        let caller_seen = tokio::time::timeout(Duration::from_secs(20), caller)
            .await
            .expect("callers stop")
            .expect("no caller failed");
        seen.extend(caller_seen);
    }
    assert_eq!(
        seen,
        BTreeSet::from(["A".to_owned(), "B".to_owned()]),
        "the callers saw both artifacts"
    );
    client.shutdown().await;
}

#[tokio::test]
async fn a_failed_first_download_is_retried_until_the_client_is_ready() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    cdn.serve_json(&artifact("A"), "\"v1\"");
    cdn.fail_first(3);
    let failures = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = failures.clone();
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice).on_event(move |event| {
            if matches!(event, Event::ArtifactDownloadFailed { .. }) {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }),
    )
    .await
    .expect("valid options");
    tokio::time::timeout(Duration::from_secs(30), client.ready())
        .await
        .expect("ready in time")
        .expect("ready");
    assert_eq!(failures.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert_eq!(cdn.downloads(), 4);
    decides(&client, "A").await;
    client.shutdown().await;
}

#[tokio::test]
async fn before_the_artifact_on_device_fails_and_hybrid_asks_the_server() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    cdn.hang();
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::Hybrid)
            .maximum_wait_ready(Duration::from_millis(200)),
    )
    .await
    .expect("valid options");
    assert!(matches!(
        client.ready().await,
        Err(Error::EngineNotReady { last_failure: None })
    ));
    let on_device = client
        .get_offers(
            GetOffersOptions::new(request(&["local-offer"]))
                .decisioning_method(DecisioningMethod::OnDevice),
        )
        .await;
    assert!(
        matches!(on_device, Err(Error::EngineNotReady { last_failure: None })),
        "{on_device:?}"
    );
    let hybrid = client
        .get_offers(GetOffersOptions::new(request(&["local-offer"])))
        .await
        .expect("the server answers");
    assert_eq!(
        hybrid.meta.decisioning_method,
        DecisioningMethod::ServerSide
    );
    assert_eq!(delivery.count(), 1);
    client.shutdown().await;
}

#[tokio::test]
async fn hybrid_decides_locally_when_it_can_and_remotely_otherwise() {
    let (_cdn, delivery, client) =
        started(&artifact("A"), "\"v1\"", DecisioningMethod::Hybrid, |o| o).await;

    let local = client
        .get_offers(GetOffersOptions::new(request(&["local-offer"])))
        .await
        .expect("a decision");
    assert_eq!(local.meta.decisioning_method, DecisioningMethod::OnDevice);
    client.flush().await;
    let notifications = delivery.count();
    assert_eq!(
        notifications, 1,
        "only the notification of the local decision"
    );

    let mixed = client
        .get_offers(GetOffersOptions::new(request(&[
            "local-offer",
            "server-offer",
        ])))
        .await
        .expect("a decision");
    assert_eq!(mixed.meta.decisioning_method, DecisioningMethod::ServerSide);
    assert_eq!(mixed.meta.remote_mboxes, vec!["server-offer".to_owned()]);
    let sent = delivery.recorded();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].body["execute"]["mboxes"][1]["name"], "server-offer",
        "the whole request went to the server"
    );

    // On-device answers what it can and says what needs the server.
    let partial = client
        .get_offers(
            GetOffersOptions::new(request(&["local-offer", "server-offer"]))
                .decisioning_method(DecisioningMethod::OnDevice),
        )
        .await
        .expect("a decision");
    assert_eq!(partial.status, 206);
    assert_eq!(partial.response.status, Some(206));
    assert_eq!(partial.meta.remote_mboxes, vec!["server-offer".to_owned()]);
    let mboxes = &partial.response.execute.as_ref().expect("execute").mboxes;
    assert_eq!(mboxes[1].name.as_deref(), Some("server-offer"));
    assert!(mboxes[1].options.is_empty());
    client.shutdown().await;
}

#[tokio::test]
async fn shutdown_delivers_queued_notifications() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    for _ in 0..5 {
        delivery.push(Reply::json(200, json!({"status": 200})).delayed(Duration::from_millis(200)));
    }
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice).artifact_payload(artifact("A")),
    )
    .await
    .expect("valid options");
    for _ in 0..5 {
        client
            .get_offers(GetOffersOptions::new(request(&["local-offer"])))
            .await
            .expect("a decision");
    }
    client.shutdown().await;
    assert_eq!(
        delivery.count(),
        5,
        "every queued notification was sent before shutdown returned"
    );
    let after = client
        .get_offers(GetOffersOptions::new(request(&["local-offer"])))
        .await
        .expect("still decides");
    assert_eq!(variant(&after).as_deref(), Some("A"));
}

#[tokio::test]
async fn a_failed_notification_is_reported_not_lost() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    for _ in 0..10 {
        delivery.push(Reply::json(503, json!({"status": 503, "message": "down"})));
    }
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice)
            .artifact_payload(artifact("A"))
            .max_retries(1),
    )
    .await
    .expect("valid options");
    let mut events = client.subscribe();
    client
        .get_offers(GetOffersOptions::new(request(&["local-offer"])))
        .await
        .expect("a decision");
    client.flush().await;
    let event = wait_for_event(&mut events, |e| {
        matches!(e, Event::SendNotificationError { .. })
    })
    .await;
    let Event::SendNotificationError { request, error } = event else {
        unreachable!("matched above")
    };
    assert!(error.contains("503"), "{error}");
    assert_eq!(request.notifications[0].tokens, vec!["token-A".to_owned()]);
    assert_eq!(delivery.count(), 2, "one attempt and one retry");
    client.shutdown().await;
}

#[tokio::test]
async fn unsupported_and_malformed_artifacts_are_clear_errors() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    let mut v2 = artifact("A");
    v2["version"] = json!("2.0.0");
    let cases: Vec<(Value, &str)> = vec![
        (
            v2,
            "The decisioning artifact version (2.0.0) is not supported. This library is compatible with this major version: 1",
        ),
        (json!({"rules": {}}), "missing field `version`"),
        (
            json!({"version": "1.0.0", "rules": {"mboxes": {"m": "not rules"}}}),
            "Unable to read artifact JSON",
        ),
        (
            json!({"version": "1.0.0", "rules": {"mboxes": {"m": [{"consequence": {"options": 7}}]}}}),
            "Unable to read artifact JSON",
        ),
        (json!({"version": "banana"}), "is not supported"),
    ];
    for (payload, message) in cases {
        let created = TargetClient::create(
            options(&cdn, &delivery, DecisioningMethod::OnDevice).artifact_payload(payload.clone()),
        )
        .await;
        match created {
            Err(Error::Artifact(text)) => assert!(text.contains(message), "{payload}: {text}"),
            other => panic!("{payload}: expected an artifact error, got {other:?}"),
        }
    }

    // Downloaded garbage: the failure is reported and the client stays not ready.
    cdn.serve("{\"version\": \"1.0.0\", \"rules\": [", "\"bad\"");
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice)
            .maximum_wait_ready(Duration::from_millis(300)),
    )
    .await
    .expect("valid options");
    let mut events = client.subscribe();
    let failed = wait_for_event(&mut events, |e| {
        matches!(e, Event::ArtifactDownloadFailed { .. })
    })
    .await;
    let Event::ArtifactDownloadFailed { error, .. } = failed else {
        unreachable!("matched above")
    };
    assert!(error.contains("Unable to read artifact JSON"), "{error}");
    assert!(matches!(
        client.ready().await,
        Err(Error::EngineNotReady {
            last_failure: Some(_)
        })
    ));
    client.shutdown().await;
}

#[tokio::test]
async fn a_rule_the_engine_cannot_evaluate_never_matches_and_the_others_still_work() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    let mut payload = artifact("A");
    payload["rules"]["mboxes"]["local-offer"]
        .as_array_mut()
        .expect("rules")
        .insert(0, json!({"ruleKey": "9", "meta": {"activity.id": 9}, "condition": {"teleport": [1]},
            "consequence": {"name": "local-offer", "options": [{"type": "json", "content": {"variant": "never"}}]}}));
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice).artifact_payload(payload),
    )
    .await
    .expect("valid options");
    decides(&client, "A").await;
    client.shutdown().await;
}

#[tokio::test]
async fn geo_comes_from_a_lookup_and_a_failed_lookup_degrades_to_no_geo() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    let mut payload = artifact("A");
    payload["responseTokens"] = json!(["geo.city", "activity.id"]);
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice).artifact_payload(payload),
    )
    .await
    .expect("valid options");
    let with_ip: DeliveryRequest = serde_json::from_value(json!({
        "id": {"tntId": "visitor1.28_0"},
        "context": {"channel": "web", "geo": {"ipAddress": "203.0.113.7"}},
        "execute": {"mboxes": [{"name": "local-offer", "index": 0}]}
    }))
    .expect("a valid request");

    cdn.geo(
        200,
        r#"{"x-geo-city": "SAN FRANCISCO", "x-geo-country-code": "US", "x-geo-latitude": 37.75}"#,
    );
    let out = client
        .get_offers(GetOffersOptions::new(with_ip.clone()))
        .await
        .expect("a decision");
    assert_eq!(out.response_tokens()[0]["geo.city"], "SAN FRANCISCO");
    assert_eq!(
        out.request.context.geo.as_ref().and_then(|g| g.latitude),
        Some(37.75)
    );

    cdn.geo(500, "oops");
    let out = client
        .get_offers(GetOffersOptions::new(with_ip))
        .await
        .expect("a decision without geo");
    assert!(out.response_tokens()[0].get("geo.city").is_none());
    assert_eq!(cdn.geo_lookups(), vec![Some("203.0.113.7".to_owned()); 2]);
    client.shutdown().await;
}

#[tokio::test]
async fn a_new_visitor_gets_a_target_id_on_the_known_edge() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice)
            .artifact_payload(artifact("A"))
            .target_location_hint("35"),
    )
    .await
    .expect("valid options");
    let anonymous: DeliveryRequest =
        serde_json::from_value(json!({"context": {"channel": "web"}, "execute": {"mboxes": [{"name": "local-offer", "index": 0}]}}))
            .expect("a valid request");
    let out = client
        .get_offers(GetOffersOptions::new(anonymous))
        .await
        .expect("a decision");
    let tnt_id = out
        .response
        .id
        .as_ref()
        .and_then(|id| id.tnt_id.clone())
        .expect("a generated tntId");
    assert!(
        tnt_id.ends_with(".35_0") && tnt_id.len() == 32 + 5,
        "{tnt_id}"
    );
    assert!(
        out.target_cookie
            .expect("a cookie")
            .value
            .contains(&format!("PC#{tnt_id}#"))
    );
    assert_eq!(
        out.target_location_hint_cookie
            .expect("an edge cookie")
            .value,
        "35"
    );
    client.shutdown().await;
}

#[tokio::test]
async fn events_reach_callbacks_and_subscribers() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    cdn.serve_json(&artifact("A"), "\"v1\"");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice)
            .on_event(move |e| log.lock().expect("lock").push(e.name())),
    )
    .await
    .expect("valid options");
    ready(&client).await.expect("ready");
    let names = seen.lock().expect("lock").clone();
    assert_eq!(
        names,
        vec![
            "artifact_download_succeeded",
            "geo_location_updated",
            "client_ready"
        ]
    );
    client.shutdown().await;
}

#[tokio::test]
async fn an_artifact_file_loads_and_reloads_when_it_changes() {
    let delivery = Stub::start().await;
    let dir = std::env::temp_dir().join(format!("adobe-target-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let path = dir.join("rules.json");
    std::fs::write(&path, artifact("A").to_string()).expect("write");
    let client = TargetClient::create(
        delivery
            .options()
            .decisioning_method(DecisioningMethod::OnDevice)
            .artifact_file(&path)
            .expect("a file path")
            .polling_interval(Duration::from_secs(1)),
    )
    .await
    .expect("valid options");
    ready(&client).await.expect("the file loads");
    decides(&client, "A").await;

    // A different size guarantees a different tag even on coarse file-system clocks.
    let mut changed = artifact("B-changed");
    changed["meta"]["revision"] = json!(2);
    std::fs::write(&path, changed.to_string()).expect("rewrite");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    until_variant(&client, "B-changed", deadline).await;
    client.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_call_dropped_before_it_is_polled_decides_and_reports_nothing() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    cdn.serve_json(&artifact("A"), "\"v1\"");
    let handed = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = handed.clone();
    let client = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice)
            .notification_handler(move |request| sink.lock().expect("lock").push(request)),
    )
    .await
    .expect("valid options");
    ready(&client).await.expect("the artifact loads");
    // A caller that gives up (a timeout, a select) before polling: no display notification.
    drop(client.get_offers(GetOffersOptions::new(request(&["local-offer"]))));
    client.flush().await;
    assert!(handed.lock().expect("lock").is_empty());
    // Awaited, the same call is decided and its display is reported once.
    decides(&client, "A").await;
    client.flush().await;
    client.shutdown().await;
    let handed = handed.lock().expect("lock");
    assert_eq!(handed.len(), 1);
    assert_eq!(handed[0].notifications.len(), 1);
}

/// The requests the Node.js SDK decides where a strict reading of the API would refuse them: no
/// `context` or no `context.channel` (taken as `web`), the enum's key spelling `Web` / `Mobile` (sent in the
/// API's lower case), and `execute: {}` (dropped), from JSON and typed.
#[tokio::test]
async fn decides_the_requests_node_accepts() {
    use adobe_target::delivery::types::{ChannelType, ExecuteRequest, PrefetchRequest};
    let (_cdn, _delivery, client) =
        started(&artifact("A"), "\"v1\"", DecisioningMethod::OnDevice, |o| o).await;
    let prefetch = json!({"mboxes": [{"name": "local-offer", "index": 0}]});
    for (context, channel) in [
        (Value::Null, "web"),
        (json!({}), "web"),
        (json!({"channel": "Web"}), "web"),
        (json!({"channel": "Mobile"}), "mobile"),
        (json!({"channel": "mobile"}), "mobile"),
    ] {
        let mut request =
            json!({"id": {"tntId": "visitor1.28_0"}, "execute": {}, "prefetch": prefetch});
        if !context.is_null() {
            request["context"] = context.clone();
        }
        let call = GetOffersOptions::from_map(json!({ "request": request }))
            .expect("Node accepts this request");
        let out = client.get_offers(call).await.expect("a decision");
        let sent = serde_json::to_value(&out.request).expect("JSON");
        assert_eq!(sent["context"]["channel"], channel, "{context}");
        assert!(
            sent.get("execute").is_none(),
            "execute {{}} is dropped: {sent}"
        );
        let prefetched = out.response.prefetch.as_ref().map(|p| p.mboxes.len());
        assert_eq!(prefetched, Some(1), "{context}");
    }

    let typed = DeliveryRequest::builder()
        .execute(Some(ExecuteRequest::default()))
        .prefetch(Some(PrefetchRequest {
            mboxes: vec![
                serde_json::from_value(json!({"name": "local-offer", "index": 0})).expect("mbox"),
            ],
            ..PrefetchRequest::default()
        }));
    let typed = DeliveryRequest::try_from(typed).expect("no channel is needed");
    assert_eq!(typed.context.channel, ChannelType::Web);
    let out = client
        .get_offers(GetOffersOptions::new(typed))
        .await
        .expect("a decision");
    assert!(out.request.execute.is_none());
    assert_eq!(out.response.prefetch.map(|p| p.mboxes.len()), Some(1));
}

/// A `rules.bin` as Adobe's CDN would serve it: a 40-byte header (`TNT:1`, then a 32-byte key)
/// and the artifact's JSON XOR-ed with the organization id followed by the key.
pub fn obfuscated(artifact: &Value, org: &str, tag: &[u8; 8]) -> Vec<u8> {
    let key = *b"Zk3v9QpLx0RtY7mW2sNbHc8dJf4gKa1e";
    let mixing: Vec<u8> = org.bytes().chain(key).collect();
    let mut file = tag.to_vec();
    file.extend_from_slice(&key);
    let json = artifact.to_string();
    file.extend(json.bytes().zip(mixing.iter().cycle()).map(|(b, k)| b ^ k));
    file
}

/// The obfuscated artifact: downloaded from the CDN as `.../v1/rules.bin` when the format is
/// `bin` (set, from the map, or named by an `artifact_location` ending in `.bin`), given as
/// bytes, and refused with a reason for a bad header or version.
#[tokio::test]
async fn decides_from_an_obfuscated_rules_bin() {
    let (cdn, delivery) = (Stub::start().await, Stub::start().await);
    let org = "org@AdobeOrg";
    let file = obfuscated(&artifact("BIN"), org, b"TNT:1\0\0\0");
    cdn.serve_bytes(&file, "\"b1\"");
    let from_cdn = |o: ClientOptions| {
        o.decisioning_method(DecisioningMethod::OnDevice)
            .cdn_base_path(cdn.base())
            .polling_interval(Duration::ZERO)
            .telemetry_enabled(false)
    };
    let typed = from_cdn(delivery.options()).artifact_format(adobe_target::ArtifactFormat::Bin);
    let mapped = ClientOptions::from_map(json!({
        "client": "acmeclient", "organizationId": org, "artifactFormat": "bin",
    }))
    .expect("Node's keys");
    let named = delivery
        .options()
        .decisioning_method(DecisioningMethod::OnDevice)
        .artifact_location(format!("{}/acmeclient/production/v1/rules.BIN", cdn.base()))
        .polling_interval(Duration::ZERO)
        .telemetry_enabled(false);
    for options in [
        typed,
        from_cdn(
            mapped
                .server_domain(delivery.domain())
                .secure(false)
                .http_client(Stub::direct_client()),
        ),
        named,
    ] {
        let client = TargetClient::create(options).await.expect("valid options");
        ready(&client).await.expect("the rules.bin loads");
        decides(&client, "BIN").await;
    }
    assert_eq!(cdn.downloads(), 3);

    let given = TargetClient::create(
        options(&cdn, &delivery, DecisioningMethod::OnDevice)
            .artifact_format(adobe_target::ArtifactFormat::Bin)
            .artifact_bytes(file.clone()),
    )
    .await
    .expect("valid options");
    decides(&given, "BIN").await;

    // What is wrong is said: the version, a short file, the wrong organization's key.
    for (bytes, org, reason) in [
        (
            obfuscated(&artifact("X"), "org@AdobeOrg", b"TNT:2\0\0\0"),
            "org@AdobeOrg",
            "obfuscation version 2",
        ),
        (b"TNT:1".to_vec(), "org@AdobeOrg", "40-byte header"),
        (
            file.clone(),
            "other@AdobeOrg",
            "Unable to read artifact JSON",
        ),
    ] {
        let created = TargetClient::create(
            ClientOptions::new("acmeclient", org)
                .decisioning_method(DecisioningMethod::OnDevice)
                .artifact_format(adobe_target::ArtifactFormat::Bin)
                .artifact_bytes(bytes),
        )
        .await;
        match created {
            Err(Error::Artifact(message)) => assert!(message.contains(reason), "{message}"),
            other => panic!(
                "expected an artifact error with {reason:?}, got {:?}",
                other.err()
            ),
        }
    }
    let refused = ClientOptions::from_map(
        json!({"client": "c", "organizationId": org, "artifactFormat": "xml"}),
    );
    assert!(
        matches!(refused, Err(Error::InvalidOptions { ref option, .. }) if option == "artifact_format")
    );
}

/// Notifications keep up with decisions: against an Edge that answers in 50 ms, a burst of
/// 20,000 on-device decisions from 8 callers, then `shutdown()`, delivers every display
/// notification and refuses none (the default in-flight limit and memory-bounded queue).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_decisions_delivers_every_notification() {
    const CALLERS: usize = 8;
    const PER_CALLER: usize = 2_500;
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reasons = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let (counted, why) = (refused.clone(), reasons.clone());
    let (_cdn, delivery, client) = started(
        &artifact("A"),
        "\"v1\"",
        DecisioningMethod::OnDevice,
        move |o| {
            o.on_event(move |event| {
                if let Event::SendNotificationError { error, .. } = event {
                    counted.fetch_add(1, Ordering::SeqCst);
                    why.lock().expect("lock").insert(error.clone());
                }
            })
        },
    )
    .await;
    delivery.set_latency(Duration::from_millis(50));
    let callers: Vec<_> = (0..CALLERS)
        .map(|caller| {
            let client = client.clone();
            tokio::spawn(async move {
                for i in 0..PER_CALLER {
                    let mut request = request(&["local-offer"]);
                    request.id =
                        serde_json::from_value(json!({"tntId": format!("v{caller}-{i}.28_0")}))
                            .ok();
                    client
                        .get_offers(GetOffersOptions::new(request))
                        .await
                        .expect("a decision");
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.expect("a caller");
    }
    tokio::time::timeout(Duration::from_secs(120), client.shutdown())
        .await
        .expect("shutdown sends what is queued");
    let delivered: usize = delivery
        .recorded()
        .iter()
        .filter(|r| r.path == "/rest/v1/delivery")
        .map(|r| r.body["notifications"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        refused.load(Ordering::SeqCst),
        0,
        "none refused: {:?}",
        reasons.lock().expect("lock")
    );
    assert_eq!(
        delivered,
        CALLERS * PER_CALLER,
        "every display notification delivered"
    );
    assert!(
        delivery.peak_in_flight() > 16,
        "more than the old 16 in flight: {}",
        delivery.peak_in_flight()
    );
}

/// Notifications that wait for a free slot are coalesced per visitor: one page view's decisions
/// (a shared `Visitor`, so the same supplemental data id for A4T) made while the Edge is slow go
/// out in fewer requests, every notification in one of them, and no request mixes two visitors.
/// Decisions with different supplemental data ids are never merged (the id is the request's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_notifications_of_one_visitor_share_a_request() {
    const DECISIONS: usize = 40;
    let (_cdn, delivery, client) =
        started(&artifact("A"), "\"v1\"", DecisioningMethod::OnDevice, |o| {
            o.notification_concurrency(std::num::NonZeroUsize::MIN)
        })
        .await;
    delivery.set_latency(Duration::from_millis(100));
    let page_views = [
        adobe_target::Visitor::new("org@AdobeOrg", None),
        adobe_target::Visitor::new("org@AdobeOrg", None),
    ];
    for i in 0..DECISIONS {
        // Two visitors, interleaved; each call of a page view its own A4T consumer.
        let mut call = request(&["local-offer"]);
        call.id = serde_json::from_value(json!({"tntId": format!("visitor{}.28_0", i % 2)})).ok();
        let options = GetOffersOptions::new(call)
            .session_id(format!("session{}", i % 2))
            .visitor(page_views[i % 2].clone())
            .consumer_id(format!("consumer{i}"));
        client.get_offers(options).await.expect("a decision");
    }
    // Without a shared visitor each decision has its own supplemental data id: not merged.
    for _ in 0..4 {
        let mut call = request(&["local-offer"]);
        call.id = serde_json::from_value(json!({"tntId": "visitor9.28_0"})).ok();
        let options = GetOffersOptions::new(call).session_id("session9");
        client.get_offers(options).await.expect("a decision");
    }
    tokio::time::timeout(Duration::from_secs(60), client.shutdown())
        .await
        .expect("shutdown sends what is queued");
    let sent: Vec<_> = delivery
        .recorded()
        .into_iter()
        .filter(|r| r.path == "/rest/v1/delivery")
        .collect();
    let notifications: usize = sent
        .iter()
        .map(|r| r.body["notifications"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(notifications, DECISIONS + 4, "every notification delivered");
    let of = |visitor: &str| {
        sent.iter()
            .filter(|r| {
                r.body["id"]["tntId"]
                    .as_str()
                    .is_some_and(|t| t.starts_with(visitor))
            })
            .count()
    };
    assert!(
        of("visitor0") + of("visitor1") < DECISIONS / 2,
        "{} requests for {DECISIONS} decisions of two page views",
        of("visitor0") + of("visitor1")
    );
    assert_eq!(
        of("visitor9"),
        4,
        "different supplemental data ids, one request each"
    );
    for request in &sent {
        let tnt_id = request.body["id"]["tntId"].as_str().expect("a visitor");
        let session = request.query("sessionId").expect("a session");
        assert_eq!(
            session,
            format!("session{}", &tnt_id[7..8]),
            "one visitor per request: {tnt_id} in {session}"
        );
        let sdid = &request.body["experienceCloud"]["analytics"]["supplementalDataId"];
        assert!(sdid.is_string(), "{sdid}");
    }
}

/// The queue's overflow policy, with a bound one notification fills and an Edge that takes
/// 100 ms: `Refuse` reports what finds no room at once (nothing lost silently), `Wait` makes
/// each call wait until the notification before it is delivered, then queues its own, so
/// every one is delivered and none refused. Each wait ends when room frees, not at its limit
/// (10 s): the calls end well within it.
#[tokio::test]
async fn a_full_queue_refuses_or_waits_for_room_as_its_policy_says() {
    use adobe_target::NotificationOverflow;
    const CALLS: usize = 4;
    for policy in [
        NotificationOverflow::Refuse,
        NotificationOverflow::Wait(Duration::from_secs(10)),
    ] {
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = refused.clone();
        let (_cdn, delivery, client) =
            started(&artifact("A"), "\"v1\"", DecisioningMethod::OnDevice, |o| {
                o.notification_queue_bytes(1)
                    .notification_overflow(policy)
                    .on_event(move |event| {
                        if matches!(event, Event::SendNotificationError { .. }) {
                            counted.fetch_add(1, Ordering::SeqCst);
                        }
                    })
            })
            .await;
        delivery.set_latency(Duration::from_millis(100));
        let calls = async {
            for _ in 0..CALLS {
                decides(&client, "A").await;
            }
        };
        tokio::time::timeout(Duration::from_secs(8), calls)
            .await
            .expect("no call waits out its limit");
        client.shutdown().await;
        let delivered = delivery
            .recorded()
            .iter()
            .filter(|r| r.path == "/rest/v1/delivery")
            .map(|r| r.body["notifications"].as_array().map_or(0, Vec::len))
            .sum::<usize>();
        let refused = refused.load(Ordering::SeqCst);
        assert_eq!(delivered + refused, CALLS, "{policy:?}: each reported once");
        match policy {
            NotificationOverflow::Wait(_) => assert_eq!((delivered, refused), (CALLS, 0)),
            _ => assert!(refused >= 1, "{policy:?}: the full queue refused"),
        }
    }
}
