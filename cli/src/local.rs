//! What `decide` and `explain` share: their arguments, and an on-device client made from them
//! that decides offline.

use std::path::PathBuf;

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{
    ArtifactFormat, ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient,
};
use serde_json::{Value, json};

use crate::{Failure, is_rules_bin, read};

/// An artifact, a request and how to decide it.
#[derive(clap::Args)]
pub(crate) struct Input {
    /// A rules.json, or an obfuscated rules.bin (a name ending in .bin; give --conf with the
    /// organization id, its key).
    #[arg(long, value_name = "FILE")]
    pub(crate) artifact: PathBuf,
    /// A Delivery request, or a per-call options map ({"request": ..., "sessionId": ...,
    /// "locationHint": ...}).
    #[arg(long, value_name = "FILE")]
    pub(crate) request: PathBuf,
    /// Client options, with the Python or Node.js SDK's keys ({"client": ..., "organizationId": ...}).
    #[arg(long, value_name = "FILE")]
    pub(crate) conf: Option<PathBuf>,
    /// The time to decide at (RFC 3339), for time-targeted activities.
    #[arg(long, value_name = "RFC3339")]
    pub(crate) now: Option<String>,
    /// What the geo service answers ({"x-geo-city": ..., ...}). It is served on 127.0.0.1 and
    /// read through the SDK's own geo path: only a request with an IP address and no location,
    /// against an artifact that targets by geo, looks it up.
    #[arg(long, value_name = "FILE")]
    pub(crate) geo: Option<PathBuf>,
}

pub(crate) fn read_json(path: &PathBuf) -> Result<Value, Failure> {
    serde_json::from_slice(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// An on-device client for `input` (not polling, no network but 127.0.0.1), and the call.
/// `handler` sees each notification request the client would send.
pub(crate) async fn client(
    input: &Input,
    handler: impl Fn(DeliveryRequest) + Send + Sync + 'static,
) -> Result<(TargetClient, GetOffersOptions), Failure> {
    // A rules.bin (by its name, as the SDK reads a location) is handed over as bytes.
    let (artifact, bin) = if is_rules_bin(&input.artifact) {
        (Value::Null, Some(read(&input.artifact)?))
    } else {
        (read_json(&input.artifact)?, None)
    };
    let mut call = read_json(&input.request)?;
    if call.get("request").is_none() {
        call = json!({"request": call});
    }
    let conf = match &input.conf {
        Some(path) => read_json(path)?,
        None => json!({
            "client": artifact.pointer("/meta/clientCode").and_then(Value::as_str).unwrap_or("local"),
            "organization_id": "local@AdobeOrg",
        }),
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let mut options = ClientOptions::from_map(conf)
        .map_err(|e| format!("--conf: {e}"))?
        .decisioning_method(DecisioningMethod::OnDevice)
        .polling_interval(std::time::Duration::ZERO)
        .geo_lookup(false)
        .http_client(http)
        .notification_handler(handler);
    options = match bin {
        Some(bytes) => options
            .artifact_format(ArtifactFormat::Bin)
            .artifact_bytes(bytes),
        None => options.artifact_payload(artifact),
    };
    if let Some(path) = &input.geo {
        let base = serve_geo(read_json(path)?).await?;
        options = options.cdn_base_path(base).geo_lookup(true);
    }
    if let Some(now) = &input.now {
        let now: chrono::DateTime<chrono::Utc> =
            now.parse().map_err(|e| format!("--now {now}: {e}"))?;
        options = options.clock(move || now);
    }
    let client = TargetClient::create(options)
        .await
        .map_err(|e| format!("{}: {e}", input.artifact.display()))?;
    client
        .ready()
        .await
        .map_err(|e| format!("{}: {e}", input.artifact.display()))?;
    let call = GetOffersOptions::from_map(call).map_err(|e| format!("--request: {e}"))?;
    Ok((client, call))
}

/// Serves `answer` as the geo service on 127.0.0.1; the base URL to use as `cdn_base_path`.
async fn serve_geo(answer: Value) -> Result<String, Failure> {
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
