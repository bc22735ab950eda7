//! A web app that uses Target the way a Rust service does, like the Python SDK's sample Flask
//! app: it reads the visitor's `mbox` and `mboxEdgeCluster` cookies, asks Target, and sets the
//! cookies back with the right max-age.
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
    Address, ChannelType, Context, DeliveryRequest, ExecuteRequest, MboxRequest, MetricType,
    Notification, NotificationMbox, PrefetchRequest, RequestDetails, ViewRequest,
};
use adobe_target::{
    ClientOptions, DecisioningMethod, GetOffersOptions, LOCATION_HINT_COOKIE_NAME,
    TARGET_COOKIE_NAME, TargetClient, TargetResponse,
};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

const DEMO_ARTIFACT: &str = include_str!("data/demo-artifact.json");

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

async fn client() -> Result<TargetClient, Box<dyn std::error::Error>> {
    let method: DecisioningMethod = env("TARGET_DECISIONING_METHOD")
        .as_deref()
        .unwrap_or("on-device")
        .parse()?;
    let client = env("TARGET_CLIENT").unwrap_or_else(|| "demo".to_owned());
    let organization = env("TARGET_ORGANIZATION_ID")
        .unwrap_or_else(|| "DEMO0000000000000000000000@AdobeOrg".to_owned());
    let mut options = ClientOptions::new(client, organization)
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

/// The visitor's cookies, as the browser sent them.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Per-call options from the browser request: the cookies.
fn call(headers: &HeaderMap, request: DeliveryRequest) -> GetOffersOptions {
    let mut options = GetOffersOptions::new(request);
    if let Some(value) = cookie(headers, TARGET_COOKIE_NAME) {
        options = options.target_cookie(value);
    }
    if let Some(value) = cookie(headers, LOCATION_HINT_COOKIE_NAME) {
        options = options.target_location_hint(value);
    }
    options
}

/// The page context of the browser request.
fn context(headers: &HeaderMap, path: &str) -> Context {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let mut context = Context::builder()
        .channel(ChannelType::Web)
        .address(Address {
            url: Some(format!("http://{host}{path}")),
            ..Address::default()
        });
    if let Some(agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        context = context.user_agent(agent.to_owned());
    }
    context.try_into().unwrap_or_else(|_| minimal_context())
}

fn minimal_context() -> Context {
    serde_json::from_value(json!({"channel": "web"}))
        .unwrap_or_else(|_| unreachable!("a valid context"))
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

fn request(context: Context) -> DeliveryRequest {
    DeliveryRequest { context, ..empty() }
}

fn empty() -> DeliveryRequest {
    serde_json::from_value(json!({"context": {"channel": "web"}}))
        .unwrap_or_else(|_| unreachable!("a valid request"))
}

/// The JSON answer with the Target cookies set.
fn answer(out: &TargetResponse, body: Value) -> Response {
    let mut response = Json(body).into_response();
    let cookies = [
        out.target_cookie.as_ref(),
        out.target_location_hint_cookie.as_ref(),
    ];
    for cookie in cookies.into_iter().flatten() {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
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

async fn page_load(State(client): State<TargetClient>, headers: HeaderMap) -> Response {
    let mut request = request(context(&headers, "/"));
    request.execute = Some(ExecuteRequest {
        page_load: Some(RequestDetails::default()),
        ..ExecuteRequest::default()
    });
    match client.get_offers(call(&headers, request)).await {
        Ok(out) => answer(&out, envelope(&out)),
        Err(error) => failure(error),
    }
}

async fn execute(
    State(client): State<TargetClient>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let names = names(&query);
    if names.is_empty() {
        // The SDK drops an empty `execute`, as the Node.js SDK does; a page that names no mbox
        // is the page's mistake, so say so.
        let error = "mboxes is required: name them with ?mbox=a,b";
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response();
    }
    let mut request = request(context(&headers, "/mboxes"));
    request.execute = Some(ExecuteRequest {
        mboxes: mboxes(&names),
        ..ExecuteRequest::default()
    });
    match client.get_offers(call(&headers, request)).await {
        Ok(out) => answer(&out, envelope(&out)),
        Err(error) => failure(error),
    }
}

async fn prefetch(
    State(client): State<TargetClient>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut request = request(context(&headers, "/prefetch"));
    request.prefetch = Some(PrefetchRequest {
        mboxes: mboxes(&names(&query)),
        views: vec![ViewRequest::default()],
        ..PrefetchRequest::default()
    });
    match client.get_offers(call(&headers, request)).await {
        Ok(out) => answer(&out, envelope(&out)),
        Err(error) => failure(error),
    }
}

#[derive(serde::Deserialize)]
struct Displayed {
    mbox: String,
    tokens: Vec<String>,
}

async fn notifications(
    State(client): State<TargetClient>,
    headers: HeaderMap,
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
        ..request(context(&headers, "/notifications"))
    };
    match client.send_notifications(call(&headers, request)).await {
        Ok(out) => answer(&out, json!({"sent": true, "status": out.status})),
        Err(error) => failure(error),
    }
}

async fn attributes(
    State(client): State<TargetClient>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let wanted = names(&query);
    let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    match client
        .get_attributes(
            &wanted,
            call(&headers, request(context(&headers, "/attributes"))),
        )
        .await
    {
        Ok(attributes) => {
            let body = json!({"attributes": attributes.all(), "meta": attributes.response().meta});
            answer(attributes.response(), body)
        }
        Err(error) => failure(error),
    }
}

/// Serves until Ctrl-C, then flushes pending notifications.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = client().await?;
    let app = Router::new()
        .route("/", get(page_load))
        .route("/mboxes", get(execute))
        .route("/prefetch", get(prefetch))
        .route("/notifications", post(notifications))
        .route("/attributes", get(attributes))
        .with_state(client.clone());
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
