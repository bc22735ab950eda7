//! A real artifact CDN on 127.0.0.1: serves the current artifact with an ETag (304 when the
//! client already has it), can fail the first downloads, hang, or serve garbage, and answers
//! geo lookups.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

#[derive(Default)]
struct State {
    artifact: Mutex<(String, String)>,
    fail_first: AtomicUsize,
    hang: Mutex<bool>,
    downloads: AtomicUsize,
    not_modified: AtomicUsize,
    geo: Mutex<Option<(u16, String)>>,
    geo_lookups: Mutex<Vec<Option<String>>>,
}

#[derive(Clone)]
pub struct CdnStub {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl CdnStub {
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new()
            .route(
                "/rules.json",
                axum::routing::get({
                    let state = state.clone();
                    move |headers: HeaderMap| artifact(state.clone(), headers)
                }),
            )
            .route(
                "/v1/geo",
                axum::routing::get({
                    let state = state.clone();
                    move |headers: HeaderMap| geo(state.clone(), headers)
                }),
            );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}/rules.json", self.addr)
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `artifact` (any text) under `etag` from now on.
    pub fn serve(&self, artifact: &str, etag: &str) {
        *self.state.artifact.lock().expect("lock") = (artifact.to_owned(), etag.to_owned());
    }

    pub fn serve_json(&self, artifact: &Value, etag: &str) {
        self.serve(&artifact.to_string(), etag);
    }

    /// The next `n` downloads answer 500.
    pub fn fail_first(&self, n: usize) {
        self.state.fail_first.store(n, Ordering::SeqCst);
    }

    /// Downloads never answer.
    pub fn hang(&self) {
        *self.state.hang.lock().expect("lock") = true;
    }

    pub fn geo(&self, status: u16, body: &str) {
        *self.state.geo.lock().expect("lock") = Some((status, body.to_owned()));
    }

    pub fn downloads(&self) -> usize {
        self.state.downloads.load(Ordering::SeqCst)
    }

    pub fn not_modified(&self) -> usize {
        self.state.not_modified.load(Ordering::SeqCst)
    }

    pub fn geo_lookups(&self) -> Vec<Option<String>> {
        self.state.geo_lookups.lock().expect("lock").clone()
    }
}

async fn artifact(state: Arc<State>, headers: HeaderMap) -> Response {
    state.downloads.fetch_add(1, Ordering::SeqCst);
    if *state.hang.lock().expect("lock") {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let failing = state.fail_first.load(Ordering::SeqCst);
    if failing > 0 {
        state.fail_first.store(failing - 1, Ordering::SeqCst);
        return (StatusCode::INTERNAL_SERVER_ERROR, "try later").into_response();
    }
    let (body, etag) = state.artifact.lock().expect("lock").clone();
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        state.not_modified.fetch_add(1, Ordering::SeqCst);
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        StatusCode::OK,
        [
            ("content-type", "application/json"),
            ("etag", etag.as_str()),
            ("x-geo-city", "PARIS"),
            ("x-geo-country-code", "FR"),
        ],
        body,
    )
        .into_response()
}

async fn geo(state: Arc<State>, headers: HeaderMap) -> Response {
    let ip = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.geo_lookups.lock().expect("lock").push(ip);
    match state.geo.lock().expect("lock").clone() {
        Some((status, body)) => (
            StatusCode::from_u16(status).expect("status"),
            [("content-type", "application/json")],
            body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
