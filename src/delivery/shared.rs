//! Models written by hand in place of generated ones, so that what every on-device decision
//! copies from the artifact is shared instead: the same JSON on the wire, a reference count to
//! clone. `build.rs` puts them in place of the generated models of the same name.
//!
//! Each reads as what it wraps (`Deref`); a change through `DerefMut` copies first
//! (`Arc::make_mut`), so other clones never see it.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde_json::{Map, Value};

/// Response tokens such as `activity.id` or `profile.x`, with the values the server sends (any
/// JSON). Read it as the map it derefs to; cloning it shares the map (a change through
/// `DerefMut` copies it first, leaving other clones as they were).
///
/// ```
/// use adobe_target::delivery::types::ResponseTokens;
///
/// let mut map = serde_json::Map::new();
/// map.insert("activity.id".to_owned(), serde_json::json!(125871));
/// let tokens = ResponseTokens::from(map);
/// let mut shared = tokens.clone();
/// assert_eq!(shared.get("activity.id"), Some(&serde_json::json!(125871)));
/// shared.insert("experience.name".to_owned(), serde_json::json!("B"));
/// assert_eq!((tokens.len(), shared.len()), (1, 2));
/// assert_eq!(serde_json::to_string(&tokens)?, r#"{"activity.id":125871}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, ::schemars::JsonSchema)]
#[schemars(transparent)]
pub struct ResponseTokens(Arc<Map<String, Value>>);

impl serde::Serialize for ResponseTokens {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for ResponseTokens {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from)
    }
}

impl From<Map<String, Value>> for ResponseTokens {
    fn from(map: Map<String, Value>) -> Self {
        Self(Arc::new(map))
    }
}

impl Deref for ResponseTokens {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for ResponseTokens {
    fn deref_mut(&mut self) -> &mut Self::Target {
        Arc::make_mut(&mut self.0)
    }
}

/// The content of an offer option: HTML or a redirect URL as a string, a JSON offer as any JSON
/// value, or an array of actions. Read it as the [`Value`] it derefs to; cloning it shares the
/// value, so an on-device decision hands out the artifact's content without copying it.
///
/// ```
/// use adobe_target::delivery::types::OfferContent;
///
/// let content = OfferContent::from(serde_json::json!({"doMagic": true, "importantValue": 150}));
/// assert_eq!(content.get("importantValue"), Some(&serde_json::json!(150)));
/// assert_eq!(serde_json::to_string(&content)?, r#"{"doMagic":true,"importantValue":150}"#);
/// let html: OfferContent = serde_json::from_str(r#""<b>15% off</b>""#)?;
/// assert_eq!(html.as_str(), Some("<b>15% off</b>"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, ::schemars::JsonSchema)]
#[schemars(transparent)]
pub struct OfferContent(Arc<Value>);

impl serde::Serialize for OfferContent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for OfferContent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from)
    }
}

impl From<Value> for OfferContent {
    fn from(value: Value) -> Self {
        Self(Arc::new(value))
    }
}

impl PartialEq<Value> for OfferContent {
    fn eq(&self, other: &Value) -> bool {
        *self.0 == *other
    }
}

impl Deref for OfferContent {
    type Target = Value;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for OfferContent {
    fn deref_mut(&mut self) -> &mut Self::Target {
        Arc::make_mut(&mut self.0)
    }
}
