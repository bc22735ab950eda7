//! Every validation rule, for typed options and for the option map, as typed errors.

use std::time::Duration;

use adobe_target::{ClientOptions, DecisioningMethod, Error, GetOffersOptions, TargetClient};
use serde_json::{Value, json};

use crate::support::request;

const ORG: &str = "0123456789ABCDEF01234567@AdobeOrg";

fn invalid_option(result: adobe_target::Result<impl std::fmt::Debug>) -> (String, String) {
    match result {
        Err(Error::InvalidOptions { option, reason }) => (option, reason),
        other => panic!("expected InvalidOptions, got {other:?}"),
    }
}

fn base() -> ClientOptions {
    ClientOptions::new("acmeclient", ORG)
}

/// A build without the `on-device` feature names the option and the feature it needs.
fn refused_without_on_device(result: adobe_target::Result<impl std::fmt::Debug>) {
    let (option, reason) = invalid_option(result);
    assert_eq!(option, "decisioning_method");
    assert!(reason.contains("`on-device` feature"), "{reason}");
}

#[cfg(not(feature = "on-device"))]
#[tokio::test]
async fn a_remote_only_build_refuses_on_device_and_hybrid_clients_and_serves_server_side() {
    for method in [DecisioningMethod::OnDevice, DecisioningMethod::Hybrid] {
        refused_without_on_device(TargetClient::create(base().decisioning_method(method)).await);
    }
    refused_without_on_device(
        ClientOptions::from_map(json!({
            "client": "acmeclient", "organization_id": ORG, "decisioning_method": "hybrid"
        }))
        .and_then(|options| options.validate()),
    );
    let client = TargetClient::create(base())
        .await
        .expect("server-side needs no feature");
    client.ready().await.expect("ready at once");
    let asked_on_device = client
        .get_offers(
            GetOffersOptions::new(request(json!({"context": {"channel": "web"}})))
                .decisioning_method(DecisioningMethod::OnDevice),
        )
        .await;
    refused_without_on_device(asked_on_device);
    // Artifact options cannot be used by such a build: refused, naming the option and feature.
    for (options, option) in [
        (
            base().artifact_payload(json!({"version": "1.0.0"})),
            "artifact_payload",
        ),
        (
            base().artifact_location("https://cdn.example.com/rules.json"),
            "artifact_location",
        ),
    ] {
        let (named, reason) = invalid_option(TargetClient::create(options).await);
        assert_eq!(named, option);
        assert!(reason.contains("`on-device` feature"), "{reason}");
    }
    client.flush().await;
    client.shutdown().await;
}

#[tokio::test]
async fn each_invalid_typed_option_is_named() {
    let cases: Vec<(ClientOptions, &str, &str)> = vec![
        (ClientOptions::new("", ORG), "client", "Client is required"),
        (
            ClientOptions::new("acme client", ORG),
            "client",
            "client code",
        ),
        (
            ClientOptions::new("acmeclient", " "),
            "organization_id",
            "Organization Id is required",
        ),
        (
            base().timeout(Duration::ZERO),
            "timeout",
            "greater than zero",
        ),
        (
            base().server_domain("https://edge.example.com"),
            "server_domain",
            "without scheme",
        ),
        (
            base().server_domain("edge.example.com/path"),
            "server_domain",
            "without scheme",
        ),
        (
            base().target_location_hint("28!"),
            "target_location_hint",
            "edge cluster",
        ),
        (
            base().polling_interval(Duration::from_millis(10)),
            "polling_interval",
            "at least 1 second",
        ),
        (
            base().artifact_location("http://"),
            "artifact_location",
            "or a file path",
        ),
        (
            base().artifact_location("ftp://x.example.com/rules.json"),
            "artifact_location",
            "http, https or file URL",
        ),
        (
            base().artifact_payload(json!([1, 2])),
            "artifact_payload",
            "JSON object",
        ),
        (base().environment(""), "environment", "must not be empty"),
        (
            base().cdn_environment("moon"),
            "cdn_environment",
            "production, staging, development",
        ),
        (
            base().cdn_base_path("ftp://cdn.example.com"),
            "cdn_base_path",
            "http(s):// base URL",
        ),
        (
            base().cdn_base_path("cdn.example.com/rules"),
            "cdn_base_path",
            "without scheme or path",
        ),
        (
            base().property_token(""),
            "property_token",
            "must not be empty",
        ),
        (base().max_retries(11), "max_retries", "at most 10"),
    ];
    for (options, option, reason) in cases {
        let (named, why) = invalid_option(TargetClient::create(options).await);
        assert_eq!(named, option);
        assert!(why.contains(reason), "{option}: {why}");
    }
}

#[test]
fn each_invalid_map_entry_is_named() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!([]), "options", "JSON object"),
        (
            json!({"client": 5, "organization_id": ORG}),
            "client",
            "string",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "timeout": "3000"}),
            "timeout",
            "non-negative integer",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "secure": "yes"}),
            "secure",
            "true or false",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "decisioning_method": "psychic"}),
            "decisioning_method",
            "Invalid Decisioning Method. Must be set to one of: hybrid,on-device,server-side",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "polling_interval": -5}),
            "polling_interval",
            "non-negative",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "maximum_wait_ready": -3}),
            "maximum_wait_ready",
            "-1",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "artifact_payload": "rules"}),
            "artifact_payload",
            "JSON object",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "environment_id": "prod"}),
            "environment_id",
            "integer",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "max_in_flight": 0}),
            "max_in_flight",
            "at least 1",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "telemetry_enabled": 1}),
            "telemetry_enabled",
            "true or false",
        ),
        (
            json!({"client": "c", "organization_id": ORG, "pollingIntervall": 5}),
            "pollingIntervall",
            "not a known option",
        ),
    ];
    for (map, option, reason) in cases {
        let (named, why) = invalid_option(ClientOptions::from_map(map));
        assert_eq!(named, option);
        assert!(why.contains(reason), "{option}: {why}");
    }
}

#[test]
fn the_map_reads_python_and_node_keys_with_their_units() {
    let python = ClientOptions::from_map(json!({
        "client": "acmeclient", "organization_id": ORG, "timeout": 1500, "polling_interval": 600,
        "decisioning_method": "on-device", "secure": false, "server_domain": "edge.example.com:8080",
        "target_location_hint": "28", "maximum_wait_ready": 2000, "environment_id": 7, "environment": "staging",
        "cdn_environment": "staging", "cdn_base_path": "cdn.example.com", "telemetry_enabled": false,
        "version": "1.2.3", "property_token": "token", "artifact_location": "https://cdn.example.com/rules.json",
        "artifact_payload": {"version": "1.0.0"}, "max_retries": 4, "max_in_flight": 32,
        "logger": null, "events": {"client_ready": "ignored"}
    }))
    .expect("a valid map");
    let typed = ClientOptions::new("acmeclient", ORG)
        .timeout(Duration::from_millis(1500))
        .polling_interval(Duration::from_secs(600))
        .decisioning_method(DecisioningMethod::OnDevice)
        .secure(false)
        .server_domain("edge.example.com:8080")
        .target_location_hint("28")
        .maximum_wait_ready(Duration::from_secs(2))
        .environment_id(7)
        .environment("staging")
        .cdn_environment("staging")
        .cdn_base_path("cdn.example.com")
        .telemetry_enabled(false)
        .version("1.2.3")
        .property_token("token")
        .artifact_location("https://cdn.example.com/rules.json")
        .artifact_payload(json!({"version": "1.0.0"}))
        .max_retries(4)
        .max_in_flight(std::num::NonZeroUsize::new(32).expect("non-zero"));
    assert_eq!(format!("{python:?}"), format!("{typed:?}"));
    if cfg!(feature = "on-device") {
        python.validate().expect("valid");
    } else {
        refused_without_on_device(python.validate());
    }

    let node: ClientOptions = serde_json::from_value(json!({
        "client": "acmeclient", "organizationId": ORG, "pollingInterval": 600000, "decisioningMethod": "hybrid",
        "telemetryEnabled": true
    }))
    .expect("serde reads the Node keys");
    let expected = ClientOptions::new("acmeclient", ORG)
        .polling_interval(Duration::from_secs(600))
        .decisioning_method(DecisioningMethod::Hybrid);
    assert_eq!(format!("{node:?}"), format!("{expected:?}"));
}

#[test]
fn the_organization_id_is_not_printed() {
    let printed = format!("{:?}", ClientOptions::new("acmeclient", ORG));
    assert!(!printed.contains(ORG), "{printed}");
}

#[tokio::test]
async fn each_invalid_call_is_a_typed_error_with_the_peers_message() {
    let client = TargetClient::create(base()).await.expect("valid options");
    let invalid = |result: adobe_target::Result<adobe_target::TargetResponse>| match result {
        Err(Error::InvalidRequest(message)) => message,
        other => panic!("expected InvalidRequest, got {other:?}"),
    };
    assert_eq!(
        invalid(client.get_offers(GetOffersOptions::default()).await),
        "Request object is required"
    );
    // As in the Node.js SDK: an `execute` or `prefetch` with keys but nothing to decide is an
    // error; one with no key at all (`{}`) is dropped (tests/it/ondevice.rs).
    let from_map =
        |request: Value| GetOffersOptions::from_map(json!({ "request": request })).map(|_| ());
    for execute in [json!({"mboxes": []}), json!({"mboxes": null})] {
        assert!(
            matches!(
                from_map(json!({"context": {"channel": "web"}, "execute": execute})),
                Err(Error::InvalidRequest(ref m)) if m == "Either pageLoad or mboxes is required in execute"
            ),
            "{execute}"
        );
    }
    assert!(matches!(
        from_map(json!({"context": {"channel": "web"}, "prefetch": {"views": [], "mboxes": []}})),
        Err(Error::InvalidRequest(ref m)) if m == "Either views, pageLoad or mboxes is required in prefetch"
    ));
    from_map(json!({"execute": {}, "prefetch": {"pageLoad": null}})).expect("dropped, as in Node");
    assert_eq!(
        invalid(
            client
                .send_notifications(GetOffersOptions::new(request(
                    json!({"context": {"channel": "web"}})
                )))
                .await
        ),
        "Notifications list is required in request"
    );
    assert_eq!(
        invalid(client.send_notifications(GetOffersOptions::default()).await),
        "Request object is required"
    );
}

#[test]
fn per_call_maps_read_python_and_node_keys_and_reject_the_rest() {
    let call = GetOffersOptions::from_map(json!({
        "request": {"context": {"channel": "web"}, "execute": {"pageLoad": {}}},
        "target_cookie": "session#a#9999999999", "locationHint": "28", "sessionId": "s",
        "customer_ids": [{"id": "1", "integrationCode": "crm", "authenticatedState": "logged_out"}],
        "consumer_id": "c", "decisioning_method": "hybrid", "timeout": 500
    }));
    assert!(call.is_ok(), "{call:?}");
    for (map, fragment) in [
        (json!("nope"), "Options map is required"),
        (
            json!({"request": {"context": {"channel": "tv"}}}),
            "request is not a valid DeliveryRequest",
        ),
        (
            json!({"decisioning_method": "psychic"}),
            "Invalid Decisioning Method",
        ),
        (json!({"timeout": 0}), "timeout must be milliseconds > 0"),
        (
            json!({"target_cookie": 5}),
            "target_cookie must be a string",
        ),
        (json!({"surprise": 1}), "unknown per-call option `surprise`"),
    ] {
        match GetOffersOptions::from_map(map) {
            Err(Error::InvalidRequest(message)) => assert!(message.contains(fragment), "{message}"),
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }
}

/// A per-call timeout of zero is refused the same way, typed or from a map, before anything is
/// sent.
#[tokio::test]
async fn a_zero_call_timeout_is_refused_typed_and_mapped() {
    let client = TargetClient::create(base()).await.expect("valid options");
    let page = || request(json!({"context": {"channel": "web"}, "execute": {"pageLoad": {}}}));
    let typed = client
        .get_offers(GetOffersOptions::new(page()).timeout(Duration::ZERO))
        .await
        .expect_err("zero");
    let mapped = GetOffersOptions::from_map(json!({
        "request": serde_json::to_value(page()).expect("JSON"), "timeout": 0
    }))
    .expect_err("zero");
    let (Error::InvalidRequest(typed), Error::InvalidRequest(mapped)) = (&typed, &mapped) else {
        panic!("expected InvalidRequest twice: {typed:?} {mapped:?}");
    };
    assert_eq!(typed, mapped);
    assert!(
        typed.contains("`timeout`") && typed.contains("> 0"),
        "{typed}"
    );
    let notified = client
        .send_notifications(GetOffersOptions::new(page()).timeout(Duration::ZERO))
        .await
        .expect_err("zero");
    assert!(matches!(&notified, Error::InvalidRequest(m) if m == typed));
}

/// `"local".parse()` lists the valid methods, as the option map does.
#[test]
fn a_decisioning_method_that_does_not_parse_lists_the_valid_ones() {
    let parsed = "local"
        .parse::<DecisioningMethod>()
        .expect_err("not a method");
    let mapped = ClientOptions::from_map(json!({
        "client": "acmeclient", "organization_id": ORG, "decisioning_method": "local"
    }))
    .expect_err("not a method");
    for error in [parsed, mapped] {
        let (option, reason) = invalid_option(Err::<(), _>(error));
        assert_eq!(option, "decisioning_method");
        assert!(reason.contains("hybrid,on-device,server-side"), "{reason}");
    }
    assert_eq!(
        "on-device".parse::<DecisioningMethod>().ok(),
        Some(DecisioningMethod::OnDevice)
    );
}

/// A server-side client has no artifact: artifact options are refused, not silently unused,
/// and a per-call on-device decision says what the client needs.
#[cfg(feature = "on-device")]
#[tokio::test]
async fn a_server_side_client_refuses_artifact_options_and_per_call_on_device() {
    for (options, option) in [
        (
            base().artifact_payload(json!({"version": "1.0.0"})),
            "artifact_payload",
        ),
        (
            base().artifact_file("rules.json").expect("a path"),
            "artifact_location",
        ),
    ] {
        let (named, reason) = invalid_option(TargetClient::create(options).await);
        assert_eq!(named, option);
        assert!(
            reason.contains("only used by on-device and hybrid"),
            "{reason}"
        );
    }
    let client = TargetClient::create(base()).await.expect("valid options");
    let asked = client
        .get_offers(
            GetOffersOptions::new(request(json!({"context": {"channel": "web"}})))
                .decisioning_method(DecisioningMethod::OnDevice),
        )
        .await;
    let (option, reason) = invalid_option(asked);
    assert_eq!(option, "decisioning_method");
    assert!(
        reason.contains("create it with decisioning_method on-device or hybrid"),
        "{reason}"
    );
}
