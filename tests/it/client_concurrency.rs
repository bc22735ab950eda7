//! Fan-out, streams and the in-flight limit, measured by the server: it records how many
//! requests it holds at once, and holds each until the expected limit is reached.

use std::num::NonZeroUsize;
use std::time::Duration;

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{ClientOptions, Error, GetOffersOptions, TargetClient};
use futures::StreamExt;
use serde_json::json;

use crate::stub::{Reply, Stub};

fn options(stub: &Stub) -> ClientOptions {
    stub.options().timeout(Duration::from_secs(20))
}

fn calls(n: usize) -> Vec<GetOffersOptions> {
    (0..n)
        .map(|i| {
            let request: DeliveryRequest = serde_json::from_value(json!({
                "context": {"channel": "web"},
                "execute": {"mboxes": [{"name": format!("mbox-{i}"), "index": 0}]}
            }))
            .expect("a valid request");
            GetOffersOptions::new(request)
        })
        .collect()
}

fn limit(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).expect("non-zero")
}

#[tokio::test]
async fn fan_out_reaches_its_limit_never_exceeds_it_and_keeps_order() {
    let stub = Stub::start().await;
    stub.hold_until(8);
    let client = TargetClient::create(options(&stub))
        .await
        .expect("valid options");
    let results = client.get_offers_all(calls(32), limit(8)).await;
    assert_eq!(stub.peak_in_flight(), 8);
    assert_eq!(results.len(), 32);
    for (i, result) in results.into_iter().enumerate() {
        let out = result.expect("a 200");
        let name = out.response.execute.expect("execute").mboxes[0]
            .name
            .clone();
        assert_eq!(
            name.as_deref(),
            Some(format!("mbox-{i}").as_str()),
            "results keep input order"
        );
    }
}

#[tokio::test]
async fn the_client_wide_limit_caps_every_caller() {
    let stub = Stub::start().await;
    stub.hold_until(3);
    let client = TargetClient::create(options(&stub).max_in_flight(limit(3)))
        .await
        .expect("valid options");
    let (a, b) = tokio::join!(
        client.get_offers_all(calls(12), limit(16)),
        client.get_offers_all(calls(12), limit(16))
    );
    assert_eq!(stub.peak_in_flight(), 3);
    assert!(a.iter().chain(&b).all(Result::is_ok));
}

#[tokio::test]
async fn the_stream_yields_every_result_with_its_position() {
    let stub = Stub::start().await;
    stub.hold_until(4);
    let client = TargetClient::create(options(&stub))
        .await
        .expect("valid options");
    let mut positions: Vec<usize> = client
        .get_offers_stream(calls(12), limit(4))
        .map(|(position, result)| {
            assert!(result.is_ok());
            position
        })
        .collect()
        .await;
    positions.sort_unstable();
    assert_eq!(positions, (0..12).collect::<Vec<_>>());
    assert_eq!(stub.peak_in_flight(), 4);
}

#[tokio::test]
async fn a_dropped_call_frees_its_slot() {
    let stub = Stub::start().await;
    stub.push(Reply::json(200, json!({"status": 200})).delayed(Duration::from_secs(30)));
    let client = TargetClient::create(options(&stub).max_in_flight(limit(1)))
        .await
        .expect("valid options");
    let mut slow = calls(1);
    let dropped = tokio::time::timeout(
        Duration::from_millis(300),
        client.get_offers(slow.remove(0)),
    )
    .await;
    assert!(
        dropped.is_err(),
        "the slow call was cancelled by dropping it"
    );
    let out = client
        .get_offers(calls(1).remove(0))
        .await
        .expect("the slot is free again");
    assert_eq!(out.status, 200);
}

#[tokio::test]
async fn the_client_is_send_sync_clone_and_works_from_spawned_tasks() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    let stub = Stub::start().await;
    let client = TargetClient::create(options(&stub))
        .await
        .expect("valid options");
    assert_send_sync(&client);
    let tasks: Vec<_> = calls(4)
        .into_iter()
        .map(|call| {
            let client = client.clone();
            tokio::spawn(async move { client.get_offers(call).await })
        })
        .collect();
    for task in tasks {
        let result: Result<_, Error> = task.await.expect("the task ran");
        assert!(result.is_ok());
    }
}

#[tokio::test]
async fn a_call_in_flight_holds_little_memory() {
    // Thousands of calls may wait at once; each one's state is this future.
    let stub = Stub::start().await;
    let client = TargetClient::create(options(&stub))
        .await
        .expect("valid options");
    let call = client.get_offers(calls(1).remove(0));
    let size = std::mem::size_of_val(&call);
    assert!(size < 8 * 1024, "a get_offers future takes {size} bytes");
    drop(call);
}

#[tokio::test]
async fn a_waiting_call_costs_its_caller_a_pointer_whatever_it_asks() {
    // Thousands of calls wait on the Edge at once in a busy service: the future each caller
    // holds must not carry the request. The call's own state lives on the heap while it runs.
    let stub = Stub::start().await;
    let client = TargetClient::create(options(&stub))
        .await
        .expect("valid options");
    let mut call = calls(1);
    let waiting = client.get_offers(call.remove(0));
    assert!(
        std::mem::size_of_val(&waiting) <= 32,
        "{} bytes",
        std::mem::size_of_val(&waiting)
    );
    let response = waiting.await.expect("an answer");
    assert_eq!(response.status, 200);
    let attributes = client.get_attributes(&["hero"], GetOffersOptions::default());
    assert!(std::mem::size_of_val(&attributes) <= 32);
    attributes.await.expect("attributes");
    let notification: DeliveryRequest = serde_json::from_value(json!({
        "context": {"channel": "web"},
        "notifications": [{"id": "n1", "type": "display", "timestamp": 1, "mbox": {"name": "hero"}}]
    }))
    .expect("a valid request");
    let notifying = client.send_notifications(GetOffersOptions::new(notification));
    assert!(std::mem::size_of_val(&notifying) <= 32);
    assert_eq!(notifying.await.expect("sent").status, 200);
}
