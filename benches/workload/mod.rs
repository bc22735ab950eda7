//! The workload of `../shared/bench`, shared by `benches/ondevice.rs` and
//! `benches/peer/src/main.rs`: one call executes `mbox-magician` and prefetches it, with 3
//! parameters, a page URL, a Chrome user agent and geo fields, for one of 1000 visitors.

use std::sync::LazyLock;

use adobe_target::delivery::types::{
    Address, ChannelType, Context, DeliveryRequest, ExecuteRequest, Geo, MboxRequest, Parameters,
    PrefetchRequest, VisitorId,
};
use serde_json::Value;

/// The user agent of every call (Chrome 80 on macOS, as in `../shared/bench`).
pub const UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.163 Safari/537.36";

/// The mbox every call asks for, without index or parameters.
static MBOX: LazyLock<MboxRequest> = LazyLock::new(|| {
    MboxRequest::builder()
        .name("mbox-magician")
        .try_into()
        .expect("the mbox's required name is set")
});

/// The 1000 visitors (tntIds with location hint 28) the calls rotate over.
pub fn tnt_ids() -> Vec<String> {
    let base = 0x338e3c1e51f7416a8e1ccba4f81a0000_u128;
    (0..1000).map(|i| format!("{:x}.28_0", base + i)).collect()
}

/// The request, built with the typed models as a Rust service builds it: struct literals that
/// name the fields they set and take the rest from `Default`, so a field the spec gains later
/// needs no change here (the SDK builds its own requests the same way; the generated builders
/// move their whole state at every setter, which would put their cost in the figures).
pub fn make_request(ids: &[String], i: usize) -> DeliveryRequest {
    let parameters = Parameters(
        [
            ("foo", "bar".to_owned()),
            ("page", "home".to_owned()),
            ("n", (i % 10).to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v)))
        .collect(),
    );
    // An mbox has a required name, so no `Default`: the rest comes from an mbox the generated
    // builder made once (it checks the name is set), as a service keeps one.
    let mbox = |index: i32, parameters: Parameters| -> MboxRequest {
        MboxRequest {
            index: Some(index),
            parameters: Some(parameters),
            ..MBOX.clone()
        }
    };
    DeliveryRequest {
        id: Some(VisitorId {
            tnt_id: Some(ids[i % ids.len()].clone()),
            ..VisitorId::default()
        }),
        context: Context {
            channel: ChannelType::Web,
            address: Some(Address {
                url: Some("http://local-target-test:8080/home?x=1".to_owned()),
                ..Address::default()
            }),
            user_agent: Some(UA.to_owned()),
            geo: Some(Geo {
                city: Some("SAN FRANCISCO".to_owned()),
                state_code: Some("CA".to_owned()),
                country_code: Some("US".to_owned()),
                latitude: Some(37.75),
                longitude: Some(-122.4),
                ..Geo::default()
            }),
            ..Context::default()
        },
        execute: Some(ExecuteRequest {
            mboxes: vec![mbox(1, parameters.clone())],
            ..ExecuteRequest::default()
        }),
        prefetch: Some(PrefetchRequest {
            mboxes: vec![mbox(2, parameters)],
            ..PrefetchRequest::default()
        }),
        ..DeliveryRequest::default()
    }
}
