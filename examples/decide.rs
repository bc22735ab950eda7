//! Decide a Delivery request on-device against a rules artifact, with no network, and print
//! what the SDK would answer and send. Use it to debug an artifact.
//!
//! ```text
//! cargo run --example decide -- --artifact rules.json --request request.json \
//!     [--conf conf.json] [--now 2021-02-11T19:00:00Z] [--geo geo.json]
//! ```
//!
//! - `--artifact`: a `rules.json`, or an obfuscated `rules.bin` (a name ending in `.bin`; give
//!   `--conf` with the organization id, its key).
//! - `--request`: a Delivery request (`input.request` of the conformance suite), or a whole
//!   per-call options map (`input`: `{"request": ..., "sessionId": ..., "locationHint": ...}`).
//! - `--conf`: client options (`conf` of the conformance suite; Python or Node.js keys).
//! - `--now`: the time to decide at (RFC 3339), for time-targeted activities.
//! - `--geo`: what the geo service answers to a lookup (`mockGeo`: `{"x-geo-city": ..., ...}`).
//!   It is served on 127.0.0.1 and reached through the SDK's own geo path, so it is used only
//!   when the SDK would look up: a request with an IP address (or `unknownIpAddress`) and no
//!   other geo field, against an artifact that targets by geo.
//!
//! Prints `{"response": ..., "notifications": [...], "meta": ..., "request": ..., "visitorState": ...}`:
//! the answer, the notification requests it would send, how it was decided, the request as
//! prepared and the Experience Cloud visitor's state.

use std::sync::{Arc, Mutex};

use adobe_target::{
    ArtifactFormat, ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient,
};
use serde_json::{Value, json};

struct Args {
    artifact: String,
    request: String,
    conf: Option<String>,
    now: Option<String>,
    geo: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut artifact, mut request, mut conf, mut now, mut geo) = (None, None, None, None, None);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--artifact" => artifact = Some(value()?),
            "--request" => request = Some(value()?),
            "--conf" => conf = Some(value()?),
            "--now" => now = Some(value()?),
            "--geo" => geo = Some(value()?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        artifact: artifact.ok_or("--artifact FILE is required")?,
        request: request.ok_or("--request FILE is required")?,
        conf,
        now,
        geo,
    })
}

fn read_json(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

/// Serves `answer` as the geo service on 127.0.0.1, so the SDK's own geo path looks it up: only
/// for a request the SDK would look up (an IP address and no location), as on the real CDN.
/// Returns the base URL to use as `cdn_base_path`.
async fn serve_geo(answer: Value) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("--geo: cannot listen on 127.0.0.1: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let app = axum::Router::new().route(
        "/v1/geo",
        axum::routing::get(move || {
            let answer = answer.clone();
            async move { axum::Json(answer) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{address}"))
}

async fn run(args: Args) -> Result<Value, String> {
    // A `rules.bin` (by its name, as the SDK reads a location) is handed over as bytes.
    let binary = args.artifact.to_ascii_lowercase().ends_with(".bin");
    let (artifact, bin) = if binary {
        let bytes = std::fs::read(&args.artifact).map_err(|e| format!("{}: {e}", args.artifact))?;
        (Value::Null, Some(bytes))
    } else {
        (read_json(&args.artifact)?, None)
    };
    let mut call = read_json(&args.request)?;
    if call.get("request").is_none() {
        call = json!({"request": call});
    }
    let conf = match &args.conf {
        Some(path) => read_json(path)?,
        None => json!({
            "client": artifact.pointer("/meta/clientCode").and_then(Value::as_str).unwrap_or("local"),
            "organization_id": "local@AdobeOrg",
        }),
    };
    let sent = Arc::new(Mutex::new(Vec::new()));
    let captured = sent.clone();
    let mut options = ClientOptions::from_map(conf)
        .map_err(|e| e.to_string())?
        .decisioning_method(DecisioningMethod::OnDevice)
        .polling_interval(std::time::Duration::ZERO)
        .geo_lookup(false)
        .http_client(
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .map_err(|e| e.to_string())?,
        )
        .notification_handler(move |request| {
            if let Ok(mut sent) = captured.lock() {
                sent.push(request);
            }
        });
    options = match bin {
        Some(bytes) => options
            .artifact_format(ArtifactFormat::Bin)
            .artifact_bytes(bytes),
        None => options.artifact_payload(artifact),
    };
    if let Some(path) = &args.geo {
        let base = serve_geo(read_json(path)?).await?;
        options = options.cdn_base_path(base).geo_lookup(true);
    }
    if let Some(now) = &args.now {
        let now: chrono::DateTime<chrono::Utc> =
            now.parse().map_err(|e| format!("--now {now}: {e}"))?;
        options = options.clock(move || now);
    }
    let client = TargetClient::create(options)
        .await
        .map_err(|e| e.to_string())?;
    let call = GetOffersOptions::from_map(call).map_err(|e| e.to_string())?;
    let out = client.get_offers(call).await.map_err(|e| e.to_string())?;
    client.shutdown().await;
    let notifications = sent.lock().map(|n| n.clone()).unwrap_or_default();
    Ok(json!({
        "response": out.response,
        "notifications": notifications,
        "meta": out.meta,
        "request": out.request,
        "visitorState": out.visitor_state,
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!(
                "usage: decide --artifact FILE --request FILE [--conf FILE] [--now RFC3339] [--geo FILE]"
            );
            std::process::exit(2);
        }
    };
    match run(args).await {
        Ok(output) => match serde_json::to_string_pretty(&output) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        },
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(1);
        }
    }
}
