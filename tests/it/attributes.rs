//! `get_attributes`: the mboxes it adds, and typed access to JSON offer attributes.

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{Error, GetOffersOptions, TargetClient};
use serde_json::json;

use crate::stub::Stub;

async fn client(stub: &Stub) -> TargetClient {
    TargetClient::create(stub.options())
        .await
        .expect("valid options")
}

#[tokio::test]
async fn attributes_are_typed_and_missing_ones_are_clear_errors() {
    let stub = Stub::start().await;
    let attrs = client(&stub)
        .await
        .get_attributes(&["feature-flags", "pricing"], GetOffersOptions::default())
        .await
        .expect("a 200");

    let enabled: bool = attrs.value("feature-flags", "enabled").expect("a bool");
    let limit: u32 = attrs.value("feature-flags", "limit").expect("a number");
    let ratio: f64 = attrs.value("pricing", "ratio").expect("a float");
    let name: String = attrs.value("pricing", "mbox").expect("a string");
    assert_eq!(
        (enabled, limit, ratio, name.as_str()),
        (true, 10, 0.25, "pricing")
    );
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Flag {
        enabled: bool,
        limit: u8,
    }
    let whole: Flag =
        serde_json::from_value(json!(attrs.as_object("feature-flags").expect("an object")))
            .expect("a struct");
    assert_eq!(
        whole,
        Flag {
            enabled: true,
            limit: 10
        }
    );
    assert_eq!(attrs.all().len(), 2);
    assert!(attrs.response().target_cookie.is_some());

    let missing = attrs
        .value::<bool>("feature-flags", "nope")
        .expect_err("missing");
    assert!(
        matches!(&missing, Error::Attribute { reason, .. } if reason == "Attribute 'nope' does not exist for mbox 'feature-flags'"),
        "{missing:?}"
    );
    let wrong_type = attrs
        .value::<bool>("feature-flags", "limit")
        .expect_err("a number is not a bool");
    assert!(
        matches!(&wrong_type, Error::Attribute { key, .. } if key == "limit"),
        "{wrong_type:?}"
    );
    assert!(attrs.value::<bool>("unknown-mbox", "enabled").is_err());

    let sent = &stub.recorded()[0].body;
    assert_eq!(sent["context"]["channel"], "web");
    assert_eq!(
        sent["execute"]["mboxes"],
        json!([{"index": 0, "name": "feature-flags"}, {"index": 1, "name": "pricing"}])
    );
}

#[tokio::test]
async fn mboxes_already_requested_are_not_added_again() {
    let stub = Stub::start().await;
    let request: DeliveryRequest = serde_json::from_value(json!({
        "context": {"channel": "web"},
        "execute": {"mboxes": [{"name": "hero", "index": 4}]},
        "prefetch": {"mboxes": [{"name": "feature-flags", "index": 7}]}
    }))
    .expect("a valid request");
    let attrs = client(&stub)
        .await
        .get_attributes(
            &["feature-flags", "pricing", "hero"],
            GetOffersOptions::new(request),
        )
        .await
        .expect("a 200");
    let sent = &stub.recorded()[0].body;
    assert_eq!(
        sent["execute"]["mboxes"],
        json!([{"index": 4, "name": "hero"}, {"index": 8, "name": "pricing"}])
    );
    assert_eq!(
        sent["prefetch"]["mboxes"],
        json!([{"index": 7, "name": "feature-flags"}])
    );
    let from_prefetch: bool = attrs
        .value("feature-flags", "enabled")
        .expect("prefetched attributes count too");
    assert!(from_prefetch);
}
