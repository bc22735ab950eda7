//! `adobe-target decide`: one on-device decision, offline, printed as JSON.

use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::local::{Input, client};
use crate::{Failure, print_json};

/// Prints `{"response", "notifications", "meta", "request", "visitorState"}`: the answer, the
/// notification requests the SDK would send, how it decided, the request as prepared and the
/// Experience Cloud visitor's state.
pub(crate) async fn run(input: Input) -> Result<(), Failure> {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let captured = sent.clone();
    let (client, call) = client(&input, move |request| {
        if let Ok(mut sent) = captured.lock() {
            sent.push(request);
        }
    })
    .await?;
    let out = client.get_offers(call).await.map_err(|e| e.to_string())?;
    // Shutting down sends (here: hands to the handler) what the decision queued.
    client.shutdown().await;
    let notifications = sent.lock().map(|n| n.clone()).unwrap_or_default();
    print_json(&json!({
        "response": out.response,
        "notifications": notifications,
        "meta": out.meta,
        "request": out.request,
        "visitorState": out.visitor_state,
    }))
}
