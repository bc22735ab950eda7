//! The SDK's main job, offline: decide for a handful of visitors at once, on-device, from the
//! demo rules artifact in `examples/data/` (no Adobe account, no network).
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With `TARGET_CLIENT` and `TARGET_ORGANIZATION_ID` set, the same visitors are decided by the
//! real Target Edge instead (server-side), and the output has the same shape.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use adobe_target::delivery::types::{
    Address, ChannelType, Context, DeliveryRequest, ExecuteRequest, MboxRequest, OfferOption,
    Parameters, RequestDetails, VisitorId,
};
use adobe_target::{
    ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient, TargetResponse,
};
use serde_json::Value;

/// The demo artifact, compiled in so the example runs from any directory.
const DEMO_ARTIFACT: &str = include_str!("data/demo-artifact.json");

struct Visitor {
    label: &'static str,
    tnt_id: Option<&'static str>,
    url: &'static str,
    loyalty: &'static str,
}

const VISITORS: [Visitor; 5] = [
    Visitor {
        label: "Ana",
        tnt_id: Some("5b0f4c1f2e8a4f0e9d7c6b5a4f3e2d1c.28_0"),
        url: "https://shop.example.com/",
        loyalty: "gold",
    },
    Visitor {
        label: "Bo",
        tnt_id: Some("9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b.28_0"),
        url: "https://shop.example.com/checkout/payment",
        loyalty: "silver",
    },
    Visitor {
        label: "Chen",
        tnt_id: Some("0a1b2c3d4e5f60718293a4b5c6d7e8f9.28_0"),
        url: "https://www.shop.example.com/shoes?color=red",
        loyalty: "Gold",
    },
    Visitor {
        label: "Dara",
        tnt_id: Some("f0e1d2c3b4a5968778695a4b3c2d1e0f.28_0"),
        url: "https://shop.example.com/checkout",
        loyalty: "none",
    },
    Visitor {
        label: "Eli (first visit)",
        tnt_id: None,
        url: "https://shop.example.com/",
        loyalty: "none",
    },
];

const MBOXES: [&str; 3] = ["homepage-hero", "checkout-banner", "loyalty-offer"];

fn request(visitor: &Visitor) -> Result<DeliveryRequest, Box<dyn std::error::Error>> {
    let parameters = Parameters(
        [("loyalty".to_owned(), Value::from(visitor.loyalty))]
            .into_iter()
            .collect(),
    );
    let mboxes = MBOXES
        .iter()
        .enumerate()
        .map(|(index, name)| {
            MboxRequest::builder()
                .index(index as i32)
                .name(*name)
                .parameters(parameters.clone())
                .try_into()
        })
        .collect::<Result<Vec<MboxRequest>, _>>()?;
    let request = DeliveryRequest::builder()
        .id(VisitorId { tnt_id: visitor.tnt_id.map(str::to_owned), ..VisitorId::default() })
        .context(
            Context::builder()
                .channel(ChannelType::Web)
                .address(Address { url: Some(visitor.url.to_owned()), ..Address::default() })
                .user_agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15".to_owned()),
        )
        .execute(ExecuteRequest {
            mboxes,
            page_load: Some(RequestDetails::default()),
            ..ExecuteRequest::default()
        })
        .try_into()?;
    Ok(request)
}

/// One line for an option: JSON offers as JSON, HTML as text, page changes as what they do.
fn describe(option: &OfferOption) -> String {
    match option.content.as_deref() {
        Some(Value::String(html)) => html.clone(),
        Some(Value::Array(actions)) => actions
            .iter()
            .map(|a| {
                format!(
                    "{} {} {}",
                    a["type"].as_str().unwrap_or("?"),
                    a["selector"].as_str().unwrap_or("?"),
                    a["content"]
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
        None => "(no content)".to_owned(),
    }
}

fn experience(option: &OfferOption) -> String {
    option
        .response_tokens
        .as_ref()
        .and_then(|t| t.get("experience.name"))
        .and_then(Value::as_str)
        .map(|name| format!("  [{name}]"))
        .unwrap_or_default()
}

fn print_visitor(
    visitor: &Visitor,
    out: &TargetResponse,
    flags: Option<&serde_json::Map<String, Value>>,
) {
    let tnt_id = out
        .response
        .id
        .as_ref()
        .and_then(|id| id.tnt_id.as_deref())
        .unwrap_or("?");
    println!(
        "{} — {}  (tntId {tnt_id}, loyalty {})",
        visitor.label, visitor.url, visitor.loyalty
    );
    if let Some(execute) = &out.response.execute {
        for mbox in execute
            .mboxes
            .iter()
            .filter(|m| m.name.as_deref() != Some("feature-flags"))
        {
            let name = mbox.name.as_deref().unwrap_or("?");
            match mbox.options.first() {
                Some(option) => println!("  {name:<16} {}{}", describe(option), experience(option)),
                None => println!("  {name:<16} (nothing for this visitor)"),
            }
        }
        if let Some(option) = execute.page_load.as_ref().and_then(|p| p.options.first()) {
            println!(
                "  {:<16} {}{}",
                "page load",
                describe(option),
                experience(option)
            );
        }
    }
    if let Some(flags) = flags {
        let flags: Vec<String> = flags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("  {:<16} {}", "feature flags", flags.join(" "));
    }
    if let Some(cookie) = &out.target_cookie {
        println!("  Set-Cookie: {cookie}");
    }
    let remote = if out.meta.remote_mboxes.is_empty() {
        "none".to_owned()
    } else {
        out.meta.remote_mboxes.join(", ")
    };
    println!(
        "  decided {} (needs the server: {remote})",
        out.meta.decisioning_method
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let notifications = Arc::new(AtomicUsize::new(0));
    let real = std::env::var("TARGET_CLIENT")
        .ok()
        .zip(std::env::var("TARGET_ORGANIZATION_ID").ok());
    let options = match &real {
        Some((client, organization)) => {
            println!("Deciding with the Target Edge of client {client} (server-side).\n");
            ClientOptions::new(client, organization)
        }
        None => {
            println!(
                "Deciding on-device from examples/data/demo-artifact.json, with no network.\n"
            );
            let counted = notifications.clone();
            ClientOptions::new("demo", "DEMO0000000000000000000000@AdobeOrg")
                .decisioning_method(DecisioningMethod::OnDevice)
                .artifact_payload(serde_json::from_str(DEMO_ARTIFACT)?)
                .polling_interval(std::time::Duration::ZERO)
                .target_location_hint("28")
                .telemetry_enabled(false)
                // Offline: count the display notifications instead of sending them to Adobe.
                .notification_handler(move |request| {
                    counted.fetch_add(request.notifications.len(), Ordering::Relaxed);
                })
        }
    };
    let client = TargetClient::create(options).await?;
    client.ready().await?;

    // Every visitor at once: one call each decides the page's mboxes and reads the feature flags.
    let requests = VISITORS
        .iter()
        .map(request)
        .collect::<Result<Vec<_>, _>>()?;
    let decisions = futures::future::join_all(
        requests
            .into_iter()
            .map(|r| client.get_attributes(&["feature-flags"], GetOffersOptions::new(r))),
    )
    .await;
    for (visitor, attributes) in VISITORS.iter().zip(decisions) {
        let attributes = attributes?;
        let new_checkout: bool = attributes.value("feature-flags", "new_checkout")?;
        print_visitor(
            visitor,
            attributes.response(),
            attributes.as_object("feature-flags"),
        );
        let rollout = if new_checkout { "in" } else { "not in" };
        println!("  → {rollout} the new-checkout rollout\n");
    }
    client.shutdown().await;
    if real.is_none() {
        println!(
            "{} display notifications would have been sent to Target in the background.",
            notifications.load(Ordering::Relaxed)
        );
    }
    Ok(())
}
