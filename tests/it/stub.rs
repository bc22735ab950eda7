//! The one local server of the tests, a real HTTP server on 127.0.0.1 with three parts:
//! - the Delivery API (every path but the two below): records every request and answers from a
//!   script, or by default with a response derived from the request;
//! - the artifact CDN, `GET /rules.json`: the current artifact with an ETag (304 when the client
//!   already has it), or failures, a hang, garbage;
//! - the geo lookup, `GET /v1/geo`.
//!
//! A test that needs the CDN and the Delivery API apart (to count each) starts two.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One request as the stub saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn host(&self) -> String {
        self.header("host").unwrap_or_default().to_owned()
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// What the snapshots show: method, host, path, query and SDK headers (and `api-version`,
    /// which progenitor would add and the SDK must not send), body.
    pub fn wire(&self) -> Value {
        let headers: serde_json::Map<String, Value> = [
            "api-version",
            "host",
            "content-type",
            "accept",
            "x-exc-sdk",
            "x-exc-sdk-version",
            "x-request-id",
        ]
        .iter()
        .filter_map(|name| self.header(name).map(|v| ((*name).to_owned(), json!(v))))
        .collect();
        json!({
            "method": self.method,
            "path": self.path,
            "query": self.query.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "headers": headers,
            "body": self.body,
        })
    }
}

/// A scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn raw(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct State {
    recorded: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Reply>>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    /// When set, each request waits until this many are in flight (or 5 s pass) before answering.
    hold_until: Mutex<Option<usize>>,
    edge_host: Mutex<Option<String>>,
    /// When set, every Delivery request is answered after this long (a real Edge's latency).
    latency: Mutex<Option<Duration>>,
    cdn: Cdn,
}

/// The CDN part's state.
#[derive(Default)]
struct Cdn {
    artifact: Mutex<(Vec<u8>, String)>,
    fail_first: AtomicUsize,
    hang: Mutex<bool>,
    downloads: AtomicUsize,
    not_modified: AtomicUsize,
    geo: Mutex<Option<(u16, String)>>,
    geo_lookups: Mutex<Vec<Option<String>>>,
}

#[derive(Clone)]
pub struct Stub {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Stub {
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let app = axum::Router::new()
            .route(
                "/rules.json",
                axum::routing::get({
                    let state = state.clone();
                    move |headers: HeaderMap| artifact(state.clone(), headers)
                }),
            )
            .route(
                "/{client}/{environment}/v1/{file}",
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
            )
            .fallback({
                let state = state.clone();
                move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                    handle(state.clone(), method, uri, headers, body)
                }
            });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state }
    }

    /// `host:port` of the stub, for `server_domain`.
    pub fn domain(&self) -> String {
        self.addr.to_string()
    }

    /// An HTTP client that sends every plain-HTTP request to the stub as its proxy, so the
    /// host the SDK chose (`mboxedge28.tt.omtrdc.net`, ...) is visible in the `Host` header.
    pub fn proxy_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .proxy(reqwest::Proxy::http(format!("http://{}", self.addr)).expect("a proxy URL"))
            .build()
            .expect("a reqwest client")
    }

    /// Options for a client whose Delivery calls go to this stub over plain HTTP, with a direct
    /// HTTP client: the one set-up most tests start from.
    pub fn options(&self) -> adobe_target::ClientOptions {
        adobe_target::ClientOptions::new("acmeclient", "org@AdobeOrg")
            .secure(false)
            .server_domain(self.domain())
            .http_client(Self::direct_client())
    }

    /// An HTTP client that talks to the stub directly.
    pub fn direct_client() -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a reqwest client")
    }

    pub fn push(&self, reply: Reply) {
        self.state.script.lock().expect("lock").push_back(reply);
    }

    pub fn hold_until(&self, in_flight: usize) {
        *self.state.hold_until.lock().expect("lock") = Some(in_flight);
    }

    /// Answers every Delivery request after `latency`, as an Edge far away does.
    pub fn set_latency(&self, latency: Duration) {
        *self.state.latency.lock().expect("lock") = Some(latency);
    }

    pub fn set_edge_host(&self, host: &str) {
        *self.state.edge_host.lock().expect("lock") = Some(host.to_owned());
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.state.recorded.lock().expect("lock").clone()
    }

    pub fn count(&self) -> usize {
        self.state.recorded.lock().expect("lock").len()
    }

    pub fn peak_in_flight(&self) -> usize {
        self.state.peak.load(Ordering::SeqCst)
    }

    /// The artifact's URL on this server.
    pub fn url(&self) -> String {
        format!("http://{}/rules.json", self.addr)
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `artifact` (any text) under `etag` from now on.
    pub fn serve(&self, artifact: &str, etag: &str) {
        self.serve_bytes(artifact.as_bytes(), etag);
    }

    /// Serves `artifact` (any bytes: a `rules.bin`) under `etag` from now on, also as
    /// `/{client}/{environment}/v1/{file}` (a CDN path: `rules.json`, `rules.bin`).
    pub fn serve_bytes(&self, artifact: &[u8], etag: &str) {
        *self.state.cdn.artifact.lock().expect("lock") = (artifact.to_vec(), etag.to_owned());
    }

    pub fn serve_json(&self, artifact: &Value, etag: &str) {
        self.serve(&artifact.to_string(), etag);
    }

    /// The next `n` downloads answer 500.
    pub fn fail_first(&self, n: usize) {
        self.state.cdn.fail_first.store(n, Ordering::SeqCst);
    }

    /// Downloads never answer.
    pub fn hang(&self) {
        *self.state.cdn.hang.lock().expect("lock") = true;
    }

    pub fn geo(&self, status: u16, body: &str) {
        *self.state.cdn.geo.lock().expect("lock") = Some((status, body.to_owned()));
    }

    pub fn downloads(&self) -> usize {
        self.state.cdn.downloads.load(Ordering::SeqCst)
    }

    pub fn not_modified(&self) -> usize {
        self.state.cdn.not_modified.load(Ordering::SeqCst)
    }

    pub fn geo_lookups(&self) -> Vec<Option<String>> {
        self.state.cdn.geo_lookups.lock().expect("lock").clone()
    }
}

async fn handle(
    state: Arc<State>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.recorded.lock().expect("lock").push(Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        headers,
        body: body.clone(),
    });
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.peak.fetch_max(now, Ordering::SeqCst);
    let _guard = Leave(state.clone());

    let latency = *state.latency.lock().expect("lock");
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    let hold = *state.hold_until.lock().expect("lock");
    if let Some(target) = hold {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while state.in_flight.load(Ordering::SeqCst) < target
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let scripted = state.script.lock().expect("lock").pop_front();
    match scripted {
        Some(reply) => {
            tokio::time::sleep(reply.delay).await;
            let status = StatusCode::from_u16(reply.status).expect("a valid status");
            (status, [("content-type", "application/json")], reply.body).into_response()
        }
        None => {
            let edge_host = state.edge_host.lock().expect("lock").clone();
            axum::Json(derived_response(&body, edge_host)).into_response()
        }
    }
}

/// Decrements the in-flight count when a request ends, even when the client went away.
struct Leave(Arc<State>);

impl Drop for Leave {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response for the request: the visitor's tntId (or a new one on cluster 28), and for each
/// mbox a JSON offer naming it, with feature-flag attributes.
fn derived_response(request: &Value, edge_host: Option<String>) -> Value {
    let tnt_id = request["id"]["tntId"]
        .as_str()
        .unwrap_or("stub0visitor.28_0");
    let offers = |mboxes: &Value, state: bool| -> Vec<Value> {
        mboxes
            .as_array()
            .map(|mboxes| {
                mboxes
                    .iter()
                    .map(|m| {
                        let mut mbox = json!({
                            "index": m["index"],
                            "name": m["name"],
                            "options": [{
                                "type": "json",
                                "content": {"mbox": m["name"], "enabled": true, "limit": 10, "ratio": 0.25},
                                "eventToken": format!("token-{}", m["name"].as_str().unwrap_or_default()),
                                "responseTokens": {"activity.id": 1001, "experience.name": "B"}
                            }],
                            "analytics": {"payload": {"pe": "tnt", "tnta": "1001:1:0|32767"}}
                        });
                        if state {
                            mbox["state"] = json!("prefetch-state");
                        }
                        mbox
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut response = json!({
        "status": 200,
        "requestId": request["requestId"],
        "client": "stub",
        "id": {"tntId": tnt_id},
    });
    if let Some(host) = edge_host {
        response["edgeHost"] = json!(host);
    }
    if request["execute"].is_object() {
        response["execute"] = json!({"mboxes": offers(&request["execute"]["mboxes"], false)});
    }
    if request["prefetch"].is_object() {
        response["prefetch"] = json!({"mboxes": offers(&request["prefetch"]["mboxes"], true)});
    }
    if let Some(notifications) = request["notifications"].as_array() {
        response["notifications"] = notifications
            .iter()
            .map(|n| json!({"id": n["id"]}))
            .collect();
    }
    response
}

async fn artifact(state: Arc<State>, headers: HeaderMap) -> Response {
    state.cdn.downloads.fetch_add(1, Ordering::SeqCst);
    if *state.cdn.hang.lock().expect("lock") {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let failing = state.cdn.fail_first.load(Ordering::SeqCst);
    if failing > 0 {
        state.cdn.fail_first.store(failing - 1, Ordering::SeqCst);
        return (StatusCode::INTERNAL_SERVER_ERROR, "try later").into_response();
    }
    let (body, etag) = state.cdn.artifact.lock().expect("lock").clone();
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        state.cdn.not_modified.fetch_add(1, Ordering::SeqCst);
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
    state.cdn.geo_lookups.lock().expect("lock").push(ip);
    match state.cdn.geo.lock().expect("lock").clone() {
        Some((status, body)) => (
            StatusCode::from_u16(status).expect("status"),
            [("content-type", "application/json")],
            body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
