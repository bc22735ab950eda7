//! `TargetClient::explain` through the public API: which rules were evaluated, which matched,
//! and what a failing condition saw; nothing is sent.

use std::sync::atomic::Ordering;

use adobe_target::{ClientOptions, Error, GetOffersOptions, TargetClient};
use serde_json::json;

use crate::support::{counted_on_device, request};

const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

#[tokio::test]
async fn explain_names_every_rule_evaluated_and_what_the_failing_ones_saw() {
    let (client, sent) = counted_on_device("TEST_ARTIFACT_BROWSER", "targettesting").await;
    client.ready().await.expect("the artifact loads");
    let call = request(json!({
        "context": {"channel": "web", "userAgent": CHROME},
        "execute": {"mboxes": [{"name": "mbox-browsers", "index": 1}]}
    }));
    let explanation = client
        .explain(GetOffersOptions::new(call))
        .await
        .expect("an explanation");

    // The engine stops at the first match: firefox and safari fail, chrome matches.
    let outcomes: Vec<(bool, Vec<serde_json::Value>)> = explanation
        .rules
        .iter()
        .map(|r| (r.matched, r.audience_ids.clone()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (false, vec![json!(1750975)]),
            (false, vec![json!(1750991)]),
            (true, vec![json!(1750953)]),
        ]
    );
    let first = &explanation.rules[0];
    assert_eq!(
        (first.mode, first.kind, first.location.as_str()),
        ("execute", "mbox", "mbox-browsers")
    );
    assert_eq!(first.activity_id, "125871");
    assert_eq!(first.failed.len(), 1);
    assert_eq!(
        first.failed[0].condition,
        json!({"==": [{"var": "user.browserType"}, "firefox"]})
    );
    assert_eq!(
        first.failed[0].saw.get("user.browserType"),
        Some(&json!("chrome"))
    );
    assert!(explanation.rules[2].failed.is_empty());

    client.shutdown().await;
    assert_eq!(
        sent.load(Ordering::SeqCst),
        0,
        "explaining sends no notification"
    );
}

#[tokio::test]
async fn a_server_side_client_cannot_explain() {
    let client = TargetClient::create(ClientOptions::new("acme", "org@AdobeOrg"))
        .await
        .expect("a client");
    let call = request(json!({"execute": {"mboxes": [{"name": "m"}]}}));
    let refused = client.explain(GetOffersOptions::new(call)).await;
    assert!(
        matches!(refused, Err(Error::InvalidOptions { .. })),
        "{refused:?}"
    );
}
