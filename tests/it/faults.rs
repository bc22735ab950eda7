//! Faults on the wire, from real local servers: connections reset, bodies cut short or too large,
//! servers that never answer. Every call ends in a typed error within its timeout, retries stay
//! within their bound (counted at the server), and shutdown returns promptly with no task left.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{
    ClientOptions, DecisioningMethod, Error, Event, GetOffersOptions, TargetClient,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::stub::{Reply, Stub};

#[derive(Clone, Copy)]
enum Fault {
    /// Close the connection as soon as the request arrives.
    Reset,
    /// Promise a 1000-byte body, send 10 bytes, close.
    Truncated,
    /// Never answer.
    Silent,
    /// Send a 100 MB body, as fast as the client reads it.
    Huge,
    /// Answer 500 with an HTML page.
    ServerError,
    /// Answer 200 with something that is not JSON.
    Garbage,
}

/// A server on 127.0.0.1 that misbehaves on every connection; counts connections.
async fn fault_server(fault: Fault) -> (String, Arc<AtomicUsize>) {
    // Its own thread and runtime: the test's runtime then counts only the SDK's tasks.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    std_listener.set_nonblocking(true).expect("non-blocking");
    let addr = std_listener.local_addr().expect("addr").to_string();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(serve_faults(std_listener, fault, counted));
    });
    (addr, connections)
}

async fn serve_faults(listener: std::net::TcpListener, fault: Fault, counted: Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
    while let Ok((mut socket, _)) = listener.accept().await {
        counted.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let mut buffer = [0_u8; 4096];
            let _ = socket.read(&mut buffer).await;
            match fault {
                Fault::Reset => {}
                Fault::Truncated => {
                    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"status\":";
                    let _ = socket.write_all(head).await;
                }
                Fault::Silent => tokio::time::sleep(Duration::from_secs(3600)).await,
                Fault::Huge => {
                    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000000\r\n\r\n";
                    let chunk = vec![b' '; 64 * 1024];
                    let mut written = socket.write_all(head).await;
                    // Until the client hangs up; 100 MB at most.
                    for _ in 0..(100_000_000 / chunk.len()) {
                        if written.is_err() {
                            break;
                        }
                        written = socket.write_all(&chunk).await;
                    }
                }
                Fault::ServerError => {
                    let page = b"<html>internal error</html>";
                    answer(&mut socket, "500 Internal Server Error", "text/html", page).await;
                }
                Fault::Garbage => {
                    let body = b"\x00\xffnot json";
                    answer(&mut socket, "200 OK", "application/json", body).await;
                }
            }
        });
    }
}

/// Writes a whole HTTP/1.1 answer; the client may have hung up already.
async fn answer(socket: &mut tokio::net::TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let _ = socket.write_all(head.as_bytes()).await;
    let _ = socket.write_all(body).await;
}

fn request() -> GetOffersOptions {
    let request: DeliveryRequest =
        serde_json::from_value(json!({"context": {"channel": "web"}, "execute": {"mboxes": [{"name": "hero", "index": 0}]}}))
            .expect("a valid request");
    GetOffersOptions::new(request)
}

async fn remote_client(domain: String) -> TargetClient {
    TargetClient::create(
        ClientOptions::new("acmeclient", "org@AdobeOrg")
            .server_domain(domain)
            .secure(false)
            .http_client(Stub::direct_client())
            .max_retries(2)
            .timeout(Duration::from_millis(1500)),
    )
    .await
    .expect("valid options")
}

/// Bounds a whole call: nothing in this file may hang.
async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("finished within 20 s")
}

#[tokio::test]
async fn a_reset_connection_is_retried_then_a_transport_error() {
    let (domain, connections) = fault_server(Fault::Reset).await;
    let error = bounded(remote_client(domain).await.get_offers(request()))
        .await
        .expect_err("no answer");
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        3,
        "one attempt and two retries"
    );
}

#[tokio::test]
async fn a_truncated_body_is_an_error_not_a_partial_answer() {
    let (domain, connections) = fault_server(Fault::Truncated).await;
    let error = bounded(remote_client(domain).await.get_offers(request()))
        .await
        .expect_err("cut short");
    assert!(
        matches!(error, Error::Transport(_) | Error::Decode { .. }),
        "{error:?}"
    );
    assert!(connections.load(Ordering::SeqCst) <= 3);
}

#[tokio::test]
async fn a_huge_answer_is_refused_while_it_arrives_and_not_retried() {
    let (domain, connections) = fault_server(Fault::Huge).await;
    let error = bounded(remote_client(domain).await.get_offers(request()))
        .await
        .expect_err("too large");
    assert!(
        matches!(&error, Error::Decode { message, .. } if message.contains("larger than 16777216 bytes")),
        "{error:?}"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 1, "not retried");
}

#[tokio::test]
async fn a_silent_server_is_a_timeout() {
    let (domain, connections) = fault_server(Fault::Silent).await;
    let error = bounded(remote_client(domain).await.get_offers(request()))
        .await
        .expect_err("silence");
    assert!(matches!(error, Error::Timeout), "{error:?}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "the timeout covers the retries"
    );
}

#[cfg(feature = "on-device")]
#[tokio::test]
async fn a_broken_cdn_is_reported_and_shutdown_still_returns_promptly() {
    let delivery = Stub::start().await;
    for fault in [
        Fault::Reset,
        Fault::Truncated,
        Fault::Silent,
        Fault::Huge,
        Fault::ServerError,
        Fault::Garbage,
    ] {
        let (cdn, _) = fault_server(fault).await;
        let tasks_before = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        let client = TargetClient::create(
            delivery
                .options()
                .decisioning_method(DecisioningMethod::OnDevice)
                .artifact_location(format!("http://{cdn}/rules.json"))
                .timeout(Duration::from_millis(500))
                .maximum_wait_ready(Duration::from_millis(300)),
        )
        .await
        .expect("valid options");
        let mut events = client.subscribe();
        assert!(matches!(
            client.ready().await,
            Err(Error::EngineNotReady { .. })
        ));
        if !matches!(fault, Fault::Silent) {
            let failed = bounded(async {
                loop {
                    if let Ok(Event::ArtifactDownloadFailed { error, .. }) = events.recv().await {
                        return error;
                    }
                }
            })
            .await;
            match fault {
                Fault::Huge => assert!(failed.contains("larger than"), "{failed}"),
                Fault::ServerError => assert!(failed.contains("500"), "{failed}"),
                _ => {}
            }
        }
        bounded(client.shutdown()).await;
        drop(client);
        // The poller, the notifier and the pooled connections end with the client.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let tasks_after = tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks();
            if tasks_after <= tasks_before {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{tasks_after} tasks alive, {tasks_before} before"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[cfg(feature = "on-device")]
#[tokio::test]
async fn notifications_that_fail_are_reported_and_later_ones_go_through() {
    let delivery = Stub::start().await;
    delivery.push(Reply::json(500, json!({"status": 500, "message": "down"})));
    let errors = Arc::new(AtomicUsize::new(0));
    let counted = errors.clone();
    let client = TargetClient::create(
        delivery
            .options()
            .decisioning_method(DecisioningMethod::OnDevice)
            .artifact_payload(crate::ondevice::artifact("A"))
            .max_retries(0)
            .telemetry_enabled(false)
            .on_event(move |e| {
                if matches!(e, Event::SendNotificationError { .. }) {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }),
    )
    .await
    .expect("valid options");
    let call = || {
        let request: DeliveryRequest = serde_json::from_value(json!({
            "id": {"tntId": "v.28_0"}, "context": {"channel": "web"},
            "execute": {"mboxes": [{"name": "local-offer", "index": 0}]}
        }))
        .expect("a valid request");
        GetOffersOptions::new(request)
    };
    client.get_offers(call()).await.expect("a decision");
    bounded(client.flush()).await;
    assert_eq!(errors.load(Ordering::SeqCst), 1, "the failure was reported");
    client.get_offers(call()).await.expect("a decision");
    bounded(client.flush()).await;
    assert_eq!(
        errors.load(Ordering::SeqCst),
        1,
        "the next one went through"
    );
    assert_eq!(delivery.count(), 2);
    bounded(client.shutdown()).await;
}
