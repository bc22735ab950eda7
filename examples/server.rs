//! A web app that uses Target the way a Rust service does, like the Python SDK's sample Flask
//! app: [`adobe_target::web::WebRequests`] reads the visitor's `mbox`, `mboxEdgeCluster` and
//! `AMCV_<orgId>` cookies, user agent, Client Hints and page URL from each request, and writes
//! the cookies back with the right max-age.
//!
//! ```text
//! cargo run --example server            # http://127.0.0.1:8080, on-device from the demo artifact
//! ```
//!
//! | route | what it does |
//! |---|---|
//! | `GET /` | executes the page load (global mbox) |
//! | `GET /mboxes?mbox=a,b` | executes mboxes |
//! | `GET /prefetch?mbox=a,b` | prefetches mboxes and all views |
//! | `POST /notifications` | reports displayed content: `{"mbox": "a", "tokens": ["..."]}` |
//! | `GET /attributes?mbox=feature-flags` | the JSON attributes of mboxes |
//!
//! Environment: `PORT` (default 8080; 0 picks a free port), `HOST` (default 127.0.0.1),
//! `TARGET_DECISIONING_METHOD` (`on-device` by default, or `server-side`, `hybrid`),
//! `TARGET_CLIENT` and `TARGET_ORGANIZATION_ID` (default: the demo artifact's), `TARGET_ARTIFACT`
//! (a rules file instead of the demo one), `TARGET_SERVER_DOMAIN` and `TARGET_SECURE=false` (a
//! local Delivery API, for tests).

use std::collections::HashMap;
use std::time::Duration;

use adobe_target::delivery::types::{
    DeliveryRequest, ExecuteRequest, MboxRequest, MetricType, Notification, NotificationMbox,
    PrefetchRequest, RequestDetails, ViewRequest,
};
use adobe_target::web::WebRequests;
use adobe_target::{
    ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient, TargetResponse,
};
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

const DEMO_ARTIFACT: &str = include_str!("data/demo-artifact.json");

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The Target client, and how browser requests are read and answered.
#[derive(Clone)]
struct App {
    client: TargetClient,
    web: WebRequests,
}

impl App {
    /// Per-call options from the browser request: cookies, user agent, hints and page URL.
    fn call(&self, parts: &Parts, request: DeliveryRequest) -> GetOffersOptions {
        self.web.get_offers_options(parts, request)
    }

    /// The JSON answer with the Target cookies set.
    fn answer(&self, out: &TargetResponse, body: Value) -> Response {
        let mut response = Json(body).into_response();
        for value in self.web.set_cookie_headers(out) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    }
}

fn organization() -> String {
    env("TARGET_ORGANIZATION_ID")
        .unwrap_or_else(|| "DEMO0000000000000000000000@AdobeOrg".to_owned())
}

async fn client() -> Result<TargetClient, Box<dyn std::error::Error>> {
    let method: DecisioningMethod = env("TARGET_DECISIONING_METHOD")
        .as_deref()
        .unwrap_or("on-device")
        .parse()?;
    let client = env("TARGET_CLIENT").unwrap_or_else(|| "demo".to_owned());
    let mut options = ClientOptions::new(client, organization())
        .decisioning_method(method)
        .timeout(Duration::from_secs(2));
    if method != DecisioningMethod::ServerSide {
        let artifact = match env("TARGET_ARTIFACT") {
            Some(path) => std::fs::read_to_string(path)?,
            None => DEMO_ARTIFACT.to_owned(),
        };
        options = options
            .artifact_payload(serde_json::from_str(&artifact)?)
            .polling_interval(Duration::ZERO);
    }
    if let Some(domain) = env("TARGET_SERVER_DOMAIN") {
        options = options.server_domain(domain);
    }
    if env("TARGET_SECURE").as_deref() == Some("false") {
        options = options.secure(false);
    }
    let client = TargetClient::create(options).await?;
    client.ready().await?;
    Ok(client)
}

fn names(query: &HashMap<String, String>) -> Vec<String> {
    query
        .get("mbox")
        .map(|m| {
            m.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn mboxes(names: &[String]) -> Vec<MboxRequest> {
    names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            MboxRequest::builder()
                .index(i as i32)
                .name(name.clone())
                .try_into()
                .ok()
        })
        .collect()
}

/// A web request with nothing to decide yet; the browser request fills its context.
fn request() -> DeliveryRequest {
    DeliveryRequest::default()
}

/// The error as an HTTP answer: the browser's request was wrong (400), the engine is still
/// loading (503), or Target failed (502).
fn failure(error: adobe_target::Error) -> Response {
    use adobe_target::Error;
    let status = match &error {
        Error::InvalidRequest(_) | Error::InvalidOptions { .. } | Error::Attribute { .. } => {
            StatusCode::BAD_REQUEST
        }
        Error::EngineNotReady { .. } | Error::Shutdown => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_GATEWAY,
    };
    (status, Json(json!({"error": error.to_string()}))).into_response()
}

fn envelope(out: &TargetResponse) -> Value {
    json!({"response": out.response, "meta": out.meta, "status": out.status})
}

async fn page_load(State(app): State<App>, parts: Parts) -> Response {
    let mut request = request();
    request.execute = Some(ExecuteRequest {
        page_load: Some(RequestDetails::default()),
        ..ExecuteRequest::default()
    });
    match app.client.get_offers(app.call(&parts, request)).await {
        Ok(out) => app.answer(&out, envelope(&out)),
        Err(error) => failure(error),
    }
}

async fn execute(
    State(app): State<App>,
    parts: Parts,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let names = names(&query);
    if names.is_empty() {
        // The SDK drops an empty `execute`, as the Node.js SDK does; a page that names no mbox
        // is the page's mistake, so say so.
        let error = "mboxes is required: name them with ?mbox=a,b";
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response();
    }
    let mut request = request();
    request.execute = Some(ExecuteRequest {
        mboxes: mboxes(&names),
        ..ExecuteRequest::default()
    });
    match app.client.get_offers(app.call(&parts, request)).await {
        Ok(out) => app.answer(&out, envelope(&out)),
        Err(error) => failure(error),
    }
}

async fn prefetch(
    State(app): State<App>,
    parts: Parts,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut request = request();
    request.prefetch = Some(PrefetchRequest {
        mboxes: mboxes(&names(&query)),
        views: vec![ViewRequest::default()],
        ..PrefetchRequest::default()
    });
    match app.client.get_offers(app.call(&parts, request)).await {
        Ok(out) => app.answer(&out, envelope(&out)),
        Err(error) => failure(error),
    }
}

#[derive(serde::Deserialize)]
struct Displayed {
    mbox: String,
    tokens: Vec<String>,
}

async fn notifications(
    State(app): State<App>,
    parts: Parts,
    Json(displayed): Json<Displayed>,
) -> Response {
    let now = chrono::Utc::now().timestamp_millis();
    // The generated builder: a field the spec gains later needs no change here.
    let notification = Notification::builder()
        .id(uuid::Uuid::new_v4().to_string())
        .impression_id(Some(uuid::Uuid::new_v4().to_string()))
        .timestamp(now)
        .type_(MetricType::Display)
        .mbox(Some(NotificationMbox {
            name: Some(displayed.mbox),
            ..NotificationMbox::default()
        }))
        .tokens(displayed.tokens);
    let notification: Notification = match notification.try_into() {
        Ok(notification) => notification,
        Err(error) => {
            let body = Json(json!({"error": format!("{error}")}));
            return (StatusCode::INTERNAL_SERVER_ERROR, body).into_response();
        }
    };
    let request = DeliveryRequest {
        notifications: vec![notification],
        ..request()
    };
    match app
        .client
        .send_notifications(app.call(&parts, request))
        .await
    {
        Ok(out) => app.answer(&out, json!({"sent": true, "status": out.status})),
        Err(error) => failure(error),
    }
}

async fn attributes(
    State(app): State<App>,
    parts: Parts,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let wanted = names(&query);
    let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let call = app.call(&parts, request());
    match app.client.get_attributes(&wanted, call).await {
        Ok(attributes) => {
            let body = json!({"attributes": attributes.all(), "meta": attributes.response().meta});
            app.answer(attributes.response(), body)
        }
        Err(error) => failure(error),
    }
}

/// Serves until Ctrl-C, then flushes pending notifications.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = client().await?;
    // This demo serves plain HTTP on 127.0.0.1, so its cookies cannot be `Secure`; behind TLS,
    // keep the default. Name your proxy's header with `trusted_ip_header` to send the
    // visitor's address (none is trusted here).
    let web = WebRequests::new(&organization())
        .plain_http(true)
        .secure(false);
    let app = Router::new()
        .route("/", get(page_load))
        .route("/mboxes", get(execute))
        .route("/prefetch", get(prefetch))
        .route("/notifications", post(notifications))
        .route("/attributes", get(attributes))
        .with_state(App {
            client: client.clone(),
            web,
        });
    let host = env("HOST").unwrap_or_else(|| "127.0.0.1".to_owned());
    let port = env("PORT").unwrap_or_else(|| "8080".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    client.shutdown().await;
    Ok(())
}
