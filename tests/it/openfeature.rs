//! The OpenFeature provider, driven through `open_feature`'s own client API: on-device from a
//! conformance artifact, server-side against the Delivery stub, and its lifecycle.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use adobe_target::openfeature::{
    PAGE_URL_FIELD, ProviderEvent, TargetProvider, USER_AGENT_FIELD, page_view_context,
};
use adobe_target::{ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient};
use open_feature::provider::ProviderStatus;
use open_feature::{
    Client, EvaluationContext, EvaluationErrorCode, EvaluationReason, FlagMetadataValue,
    OpenFeature,
};
use serde_json::json;

use crate::stub::{Reply, Stub};
use crate::support::{counted_on_device, refused_address, request};

const FLAGS: &str = "mbox-feature-flags";

/// An OpenFeature client of `provider`, registered under `name` (the API is a process-wide
/// singleton, and the tests run at once: each has its own name).
async fn openfeature_client(name: &str, provider: TargetProvider) -> Client {
    let mut api = OpenFeature::singleton_mut().await;
    api.set_named_provider(name, provider).await;
    api.create_named_client(name)
}

/// An on-device client of the feature-flag conformance artifact, counting the notification
/// requests it would send.
async fn on_device() -> (TargetClient, Arc<AtomicUsize>) {
    counted_on_device("TEST_ARTIFACT_FEATURE_FLAG", "targettesting").await
}

#[tokio::test]
async fn on_device_flags_resolve_typed_with_variant_metadata_and_errors() {
    let (client, _) = on_device().await;
    let provider = TargetProvider::new(client.clone()).default_value(format!("{FLAGS}.missing"), 7);
    let flags = openfeature_client("on-device-typed", provider).await;

    for visitor in ["visitor-a", "visitor-b", "visitor-c", "visitor-d"] {
        let context = EvaluationContext::default().with_targeting_key(visitor);
        // What the SDK itself decides for this visitor is what the flags say.
        let call = request(json!({"id": {"tntId": visitor}, "context": {"channel": "web"}}));
        let attributes = client
            .get_attributes(&[FLAGS], GetOffersOptions::new(call))
            .await
            .expect("attributes");
        let experience: String = attributes.value(FLAGS, "paymentExperience").expect("set");

        let details = flags
            .get_string_details(&format!("{FLAGS}.paymentExperience"), Some(&context), None)
            .await
            .expect("a string flag");
        assert_eq!(details.value, experience);
        assert_eq!(details.reason, Some(EvaluationReason::TargetingMatch));
        let variant = if experience == "legacy" {
            "Experience A"
        } else {
            "Experience B"
        };
        assert_eq!(details.variant.as_deref(), Some(variant));
        assert_eq!(
            details.flag_metadata.values.get("activityId"),
            Some(&FlagMetadataValue::Int(125885))
        );

        let shown = flags
            .get_bool_value(&format!("{FLAGS}.showFeatureX"), Some(&context), None)
            .await
            .expect("a bool flag");
        assert_eq!(
            shown,
            attributes
                .value::<bool>(FLAGS, "showFeatureX")
                .expect("set")
        );
        let version = flags
            .get_float_value(
                &format!("{FLAGS}.paymentGatewayVersion"),
                Some(&context),
                None,
            )
            .await
            .expect("a float flag");
        assert_eq!(
            version,
            attributes
                .value::<f64>(FLAGS, "paymentGatewayVersion")
                .expect("set")
        );
        let feedback = flags
            .get_int_value(
                &format!("{FLAGS}.customerFeedbackValue"),
                Some(&context),
                None,
            )
            .await
            .expect("an int flag");
        assert_eq!(
            feedback,
            attributes
                .value::<i64>(FLAGS, "customerFeedbackValue")
                .expect("set")
        );
    }

    let context = EvaluationContext::default().with_targeting_key("visitor-a");
    let mismatch = flags
        .get_int_value(&format!("{FLAGS}.paymentExperience"), Some(&context), None)
        .await
        .expect_err("a string is not an int");
    assert_eq!(mismatch.code, EvaluationErrorCode::TypeMismatch);
    let structure = flags
        .get_struct_details::<open_feature::StructValue>(
            &format!("{FLAGS}.showFeatureX"),
            Some(&context),
            None,
        )
        .await
        .expect_err("a bool is not a structure");
    assert_eq!(structure.code, EvaluationErrorCode::TypeMismatch);
    for missing in [
        format!("{FLAGS}.noSuchAttribute"),
        "no-such-mbox.flag".to_owned(),
        "nodots".to_owned(),
        format!("{FLAGS}."),
    ] {
        let error = flags
            .get_bool_value(&missing, Some(&context), None)
            .await
            .expect_err("not a flag");
        assert_eq!(error.code, EvaluationErrorCode::FlagNotFound, "{missing}");
    }
    let defaulted = flags
        .get_int_details(&format!("{FLAGS}.missing"), Some(&context), None)
        .await
        .expect("the configured default");
    assert_eq!(
        (defaulted.value, defaulted.reason),
        (7, Some(EvaluationReason::Default))
    );
}

#[tokio::test]
async fn flags_of_one_page_view_share_one_decision_and_one_notification() {
    let (client, sent) = on_device().await;
    let flags = openfeature_client("on-device-batching", TargetProvider::new(client.clone())).await;
    let keys = [
        "paymentExperience",
        "showFeatureX",
        "paymentGatewayVersion",
        "customerFeedbackValue",
    ];

    // One page view: four flags, concurrently, one decision.
    let page_view = page_view_context("visitor-a");
    let evaluations = keys.map(|key| {
        let flags = &flags;
        let page_view = &page_view;
        async move {
            let key = format!("{FLAGS}.{key}");
            flags
                .get_string_details(&key, Some(page_view), None)
                .await
                .map(drop)
                .or_else(|e| {
                    // Only the string flag is a string: the others fail on their type, decided all the same.
                    (e.code == EvaluationErrorCode::TypeMismatch)
                        .then_some(())
                        .ok_or(e)
                })
        }
    });
    for outcome in futures::future::join_all(evaluations).await {
        outcome.expect("decided");
    }
    client.flush().await;
    assert_eq!(
        sent.load(Ordering::SeqCst),
        1,
        "one page view, one notification"
    );

    // A second page view of the same visitor decides again.
    let again = page_view_context("visitor-a");
    flags
        .get_bool_value(&format!("{FLAGS}.showFeatureX"), Some(&again), None)
        .await
        .expect("a bool flag");
    client.flush().await;
    assert_eq!(sent.load(Ordering::SeqCst), 2);

    // Without a page view, every evaluation is a decision of its own.
    let plain = EvaluationContext::default().with_targeting_key("visitor-a");
    for _ in 0..3 {
        flags
            .get_bool_value(&format!("{FLAGS}.showFeatureX"), Some(&plain), None)
            .await
            .expect("a bool flag");
    }
    client.flush().await;
    assert_eq!(sent.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn server_side_sends_the_evaluation_context_as_the_request() {
    let stub = Stub::start().await;
    stub.push(Reply::json(
        200,
        json!({
            "status": 200,
            "execute": {"mboxes": [{
                "index": 0,
                "name": "checkout",
                "options": [{
                    "type": "json",
                    "content": {"layout": {"columns": 2, "compact": true}, "limit": 5},
                    "responseTokens": {"activity.id": 777, "experience.name": "Two columns", "offer.id": "o-9"}
                }]
            }]}
        }),
    ));
    let client = TargetClient::create(stub.options())
        .await
        .expect("a client");
    let flags = openfeature_client("server-side", TargetProvider::new(client)).await;
    let context = EvaluationContext::default()
        .with_targeting_key("tnt-visitor-1")
        .with_custom_field(PAGE_URL_FIELD, "https://shop.example/checkout")
        .with_custom_field(USER_AGENT_FIELD, "Mozilla/5.0 (X11; Linux x86_64)")
        .with_custom_field("profile.loyalty", "gold")
        .with_custom_field("plan", "pro")
        .with_custom_field("seats", 5_i64);
    let layout = flags
        .get_struct_details::<open_feature::StructValue>("checkout.layout", Some(&context), None)
        .await
        .expect("a structure flag");
    assert_eq!(
        layout.value.fields.get("columns"),
        Some(&open_feature::Value::Int(2))
    );
    assert_eq!(
        layout.value.fields.get("compact"),
        Some(&open_feature::Value::Bool(true))
    );
    assert_eq!(layout.variant.as_deref(), Some("Two columns"));
    assert_eq!(
        layout.flag_metadata.values.get("activityId"),
        Some(&FlagMetadataValue::Int(777))
    );
    assert_eq!(
        layout.flag_metadata.values.get("offerId"),
        Some(&FlagMetadataValue::String("o-9".to_owned()))
    );

    let recorded = stub.recorded();
    assert_eq!(recorded.len(), 1);
    let sent = &recorded[0].wire()["body"];
    assert_eq!(sent["id"]["tntId"], "tnt-visitor-1");
    assert_eq!(
        sent["context"]["address"]["url"],
        "https://shop.example/checkout"
    );
    assert_eq!(
        sent["context"]["userAgent"],
        "Mozilla/5.0 (X11; Linux x86_64)"
    );
    let mbox = &sent["execute"]["mboxes"][0];
    assert_eq!(mbox["name"], "checkout");
    assert_eq!(mbox["parameters"], json!({"plan": "pro", "seats": "5"}));
    assert_eq!(mbox["profileParameters"], json!({"loyalty": "gold"}));
}

#[tokio::test]
async fn a_client_that_cannot_load_its_artifact_is_a_provider_in_error() {
    let client = TargetClient::create(
        ClientOptions::new("acme", "org@AdobeOrg")
            .decisioning_method(DecisioningMethod::OnDevice)
            .artifact_location(format!("http://{}/rules.json", refused_address())),
    )
    .await
    .expect("a client");
    let provider = TargetProvider::new(client).ready_timeout(Duration::from_millis(300));
    let mut events = provider.events();
    let flags = openfeature_client("not-ready", provider).await;
    match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
        Ok(Ok(ProviderEvent::Error { error })) => assert!(!error.is_empty()),
        other => panic!("expected an error event, got {other:?}"),
    }
    let api = OpenFeature::singleton().await;
    assert_eq!(
        api.named_provider_metadata("not-ready")
            .await
            .map(|m| m.name),
        Some("adobe-target".to_owned())
    );
    drop(api);
    let refused = flags
        .get_bool_value("m.flag", Some(&EvaluationContext::default()), None)
        .await
        .expect_err("not ready");
    assert_eq!(refused.code, EvaluationErrorCode::ProviderNotReady);
}

#[tokio::test]
async fn provider_status_and_events_follow_the_artifact() {
    use open_feature::provider::FeatureProvider;

    let cdn = Stub::start().await;
    cdn.serve_json(&crate::ondevice::artifact("A"), "\"a\"");
    let client = TargetClient::create(
        cdn.options()
            .decisioning_method(DecisioningMethod::OnDevice)
            .artifact_location(cdn.url())
            .polling_interval(Duration::from_secs(1))
            .telemetry_enabled(false),
    )
    .await
    .expect("a client");
    let mut provider = TargetProvider::new(client.clone());
    let mut events = provider.events();
    assert_eq!(provider.status(), ProviderStatus::NotReady);
    provider.initialize(&EvaluationContext::default()).await;
    assert_eq!(provider.status(), ProviderStatus::Ready);
    assert_eq!(events.recv().await.ok(), Some(ProviderEvent::Ready));

    // A new artifact on the CDN: configuration changed, once.
    cdn.serve_json(&crate::ondevice::artifact("B"), "\"b\"");
    let next = tokio::time::timeout(Duration::from_secs(15), events.recv()).await;
    assert_eq!(
        next.ok().and_then(Result::ok),
        Some(ProviderEvent::ConfigurationChanged)
    );

    // Registering initialises again: still one follower, and the new rules decide.
    let flags = openfeature_client("follows-artifact", provider).await;
    assert_eq!(events.recv().await.ok(), Some(ProviderEvent::Ready));
    let context = EvaluationContext::default().with_targeting_key("v");
    let variant = flags
        .get_string_value("local-offer.variant", Some(&context), None)
        .await
        .expect("a string flag");
    assert_eq!(variant, "B");

    // The CDN fails: the provider is stale, and decides with what it has.
    cdn.fail_first(1_000);
    let next = tokio::time::timeout(Duration::from_secs(15), events.recv()).await;
    assert!(
        matches!(next, Ok(Ok(ProviderEvent::Stale { .. }))),
        "{next:?}"
    );
    assert!(
        flags
            .get_string_value("local-offer.variant", Some(&context), None)
            .await
            .is_ok()
    );
    client.shutdown().await;
}
