//! An OpenFeature evaluation context as a Delivery request for one mbox.

use std::collections::BTreeMap;

use open_feature::{EvaluationContext, EvaluationContextFieldValue};
use serde_json::{Map, Value, json};

use crate::delivery::types::DeliveryRequest;
use crate::error::{Error, Result};

/// The context field that names a page view: evaluations that share it share one decision per
/// mbox (see [`page_view_context`](super::page_view_context)).
pub const PAGE_VIEW_FIELD: &str = "targetPageViewId";
/// The context field with the page's URL (`context.address.url`).
pub const PAGE_URL_FIELD: &str = "pageUrl";
/// The context field with the visitor's user agent (`context.userAgent`).
pub const USER_AGENT_FIELD: &str = "userAgent";
/// The context field with the visitor's IP address (`context.geo.ipAddress`).
pub const IP_ADDRESS_FIELD: &str = "ipAddress";
/// The prefix of profile parameters: `profile.loyalty` is the profile parameter `loyalty`.
pub const PROFILE_PREFIX: &str = "profile.";

/// Which Target visitor id the targeting key is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetingKey {
    /// `id.tntId`, Target's own visitor id (the `mbox` cookie's `PC`).
    #[default]
    TntId,
    /// `id.thirdPartyId`, your own id for the visitor (a login id, for example).
    ThirdPartyId,
    /// `id.marketingCloudVisitorId`, the Experience Cloud id (ECID).
    MarketingCloudVisitorId,
}

impl TargetingKey {
    fn field(self) -> &'static str {
        match self {
            Self::TntId => "tntId",
            Self::ThirdPartyId => "thirdPartyId",
            Self::MarketingCloudVisitorId => "marketingCloudVisitorId",
        }
    }
}

/// A field's value as a parameter string; `None` for a structure, which has no string form.
fn text(value: &EvaluationContextFieldValue) -> Option<String> {
    Some(match value {
        EvaluationContextFieldValue::Bool(b) => b.to_string(),
        EvaluationContextFieldValue::Int(i) => i.to_string(),
        EvaluationContextFieldValue::Float(f) => f.to_string(),
        EvaluationContextFieldValue::String(s) => s.clone(),
        EvaluationContextFieldValue::DateTime(t) => t.to_string(),
        EvaluationContextFieldValue::Struct(_) => return None,
    })
}

/// What one evaluation asks Target: the request, and when the context names a page view, the
/// key its decision is shared under (the page view and the request: the same decide once).
pub(crate) struct Ask {
    pub(crate) request: DeliveryRequest,
    pub(crate) shared_as: Option<String>,
}

/// The Delivery request that executes `mbox` for the visitor of `context`.
pub(crate) fn ask(mbox: &str, context: &EvaluationContext, targeting: TargetingKey) -> Result<Ask> {
    let mut parameters = BTreeMap::new();
    let mut profile = BTreeMap::new();
    let mut delivery_context = Map::new();
    delivery_context.insert("channel".to_owned(), json!("web"));
    let mut page_view = None;
    for (key, value) in &context.custom_fields {
        let Some(value) = text(value) else {
            tracing::debug!(key, "a structure in the evaluation context is not sent");
            continue;
        };
        match key.as_str() {
            PAGE_VIEW_FIELD => page_view = Some(value),
            PAGE_URL_FIELD => {
                delivery_context.insert("address".to_owned(), json!({"url": value}));
            }
            USER_AGENT_FIELD => {
                delivery_context.insert("userAgent".to_owned(), json!(value));
            }
            IP_ADDRESS_FIELD => {
                delivery_context.insert("geo".to_owned(), json!({"ipAddress": value}));
            }
            _ => match key.strip_prefix(PROFILE_PREFIX) {
                Some(name) => {
                    profile.insert(name.to_owned(), value);
                }
                None => {
                    parameters.insert(key.clone(), value);
                }
            },
        }
    }
    let mut mbox_request = Map::new();
    mbox_request.insert("name".to_owned(), json!(mbox));
    mbox_request.insert("index".to_owned(), json!(0));
    if !parameters.is_empty() {
        mbox_request.insert("parameters".to_owned(), json!(parameters));
    }
    if !profile.is_empty() {
        mbox_request.insert("profileParameters".to_owned(), json!(profile));
    }
    let mut request = Map::new();
    request.insert("context".to_owned(), Value::Object(delivery_context));
    request.insert("execute".to_owned(), json!({"mboxes": [mbox_request]}));
    if let Some(visitor) = context.targeting_key.as_deref().filter(|k| !k.is_empty()) {
        request.insert("id".to_owned(), json!({ targeting.field(): visitor }));
    }
    let request = Value::Object(request);
    let shared_as = page_view.map(|page_view| format!("{page_view}\u{0}{request}"));
    let request =
        serde_json::from_value(request).map_err(|e| Error::InvalidRequest(e.to_string()))?;
    Ok(Ask { request, shared_as })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_fields_go_where_the_docs_say_and_the_rest_are_parameters() {
        let context = EvaluationContext::default()
            .with_targeting_key("visitor-1")
            .with_custom_field(PAGE_URL_FIELD, "https://shop.example/cart")
            .with_custom_field(USER_AGENT_FIELD, "Mozilla/5.0")
            .with_custom_field(IP_ADDRESS_FIELD, "192.0.2.7")
            .with_custom_field("profile.loyalty", "gold")
            .with_custom_field("plan", "pro")
            .with_custom_field("seats", 5_i64)
            .with_custom_field("beta", true)
            .with_custom_field(PAGE_VIEW_FIELD, "pv-1")
            .with_custom_field("shape", EvaluationContextFieldValue::new_struct(3_u8));
        let ask = ask("checkout", &context, TargetingKey::ThirdPartyId).expect("a request");
        assert!(
            ask.shared_as
                .is_some_and(|key| key.starts_with("pv-1\u{0}"))
        );
        let sent = serde_json::to_value(&ask.request).expect("serialises");
        assert_eq!(sent["id"], json!({"thirdPartyId": "visitor-1"}));
        assert_eq!(
            sent["context"]["address"]["url"],
            "https://shop.example/cart"
        );
        assert_eq!(sent["context"]["userAgent"], "Mozilla/5.0");
        assert_eq!(sent["context"]["geo"]["ipAddress"], "192.0.2.7");
        let mbox = &sent["execute"]["mboxes"][0];
        assert_eq!(mbox["name"], "checkout");
        assert_eq!(
            mbox["parameters"],
            json!({"beta": "true", "plan": "pro", "seats": "5"})
        );
        assert_eq!(mbox["profileParameters"], json!({"loyalty": "gold"}));
    }

    #[test]
    fn no_targeting_key_is_an_anonymous_visitor() {
        let ask = ask("m", &EvaluationContext::default(), TargetingKey::TntId).expect("a request");
        assert!(ask.request.id.is_none());
    }
}
