//! Builds a Delivery API request with the generated models and prints the JSON that goes on the
//! wire. No network is used.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use adobe_target::delivery::types::{
    Address, ChannelType, Context, DeliveryRequest, ExecuteRequest, MboxRequest, Parameters,
    PrefetchRequest, ViewRequest, VisitorId,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hero: MboxRequest = MboxRequest::builder()
        .index(0)
        .name("homepage-hero")
        .parameters(Parameters(
            [("favoriteColor".to_owned(), "blue".into())]
                .into_iter()
                .collect(),
        ))
        .try_into()?;
    let request: DeliveryRequest = DeliveryRequest::builder()
        .id(VisitorId {
            tnt_id: Some("338e3c1e51f7416a8e1ccba4f81acea0.28_0".into()),
            ..Default::default()
        })
        .context(
            Context::builder()
                .channel(ChannelType::Web)
                .address(Address {
                    url: Some("https://shop.example.com/".into()),
                    referring_url: None,
                })
                .user_agent(
                    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15".to_owned(),
                ),
        )
        .execute(ExecuteRequest {
            mboxes: vec![hero],
            ..Default::default()
        })
        .prefetch(PrefetchRequest {
            views: vec![ViewRequest::default()],
            ..Default::default()
        })
        .try_into()?;
    println!("{}", serde_json::to_string_pretty(&request)?);
    Ok(())
}
