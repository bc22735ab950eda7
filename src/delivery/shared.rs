//! Models written by hand in place of generated ones, so that what every on-device decision
//! copies from the artifact is shared instead: the same JSON on the wire, a reference count to
//! clone. `build.rs` puts them in place of the generated models of the same name.
//!
//! Each reads as what it wraps (`Deref`); a change through `DerefMut` copies first
//! (`Arc::make_mut`), so other clones never see it.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

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
#[derive(Clone, Default)]
pub struct ResponseTokens {
    base: Arc<Map<String, Value>>,
    /// Tokens laid over `base`, winning where both have a key (an on-device decision's geo
    /// tokens over a rule's): both shared, so a decision copies neither.
    overlay: Option<TokenOverlay>,
    /// `base` with `overlay`, made on the first read through `Deref` (serializing reads the
    /// two layers as they are).
    merged: OnceLock<Map<String, Value>>,
}

/// Tokens to lay over others, in key order, each key once: named by the SDK (the geo tokens),
/// so a decision that makes them allocates no key. A key without a value lays nothing over
/// (the other layer's value shows, if it has one), so a decision can list every key it may
/// set and make the overlay in one allocation of the exact size.
pub(crate) type TokenOverlay = Arc<[(&'static str, Option<Value>)]>;

/// `entries` as an overlay: sorted by key, the first of each key kept.
#[cfg(all(test, feature = "on-device"))]
pub(crate) fn token_overlay(mut entries: Vec<(&'static str, Option<Value>)>) -> TokenOverlay {
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.dedup_by(|later, earlier| later.0 == earlier.0);
    entries.into()
}

impl ResponseTokens {
    /// These tokens with `overlay`'s over them, sharing both.
    #[cfg(feature = "on-device")]
    pub(crate) fn with_overlay(&self, overlay: &TokenOverlay) -> Self {
        let base = match &self.overlay {
            None => self.base.clone(),
            Some(_) => Arc::new(self.flattened()),
        };
        Self {
            base,
            overlay: Some(overlay.clone()),
            merged: OnceLock::new(),
        }
    }

    /// One map of every token.
    fn flattened(&self) -> Map<String, Value> {
        self.entries()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect()
    }

    /// Every token in key order, an overlay's value in place of the base's.
    fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        let mut base = self.base.iter().map(|(k, v)| (k.as_str(), v)).peekable();
        let mut over = self
            .overlay
            .iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| Some((*k, v.as_ref()?)))
            .peekable();
        std::iter::from_fn(move || match (base.peek(), over.peek()) {
            (Some((b, _)), Some((o, _))) => match b.cmp(o) {
                std::cmp::Ordering::Less => base.next(),
                std::cmp::Ordering::Equal => {
                    base.next();
                    over.next()
                }
                std::cmp::Ordering::Greater => over.next(),
            },
            (Some(_), None) => base.next(),
            (None, _) => over.next(),
        })
    }
}

impl std::fmt::Debug for ResponseTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.entries()).finish()
    }
}

impl PartialEq for ResponseTokens {
    fn eq(&self, other: &Self) -> bool {
        self.entries().eq(other.entries())
    }
}

impl ::schemars::JsonSchema for ResponseTokens {
    fn schema_name() -> String {
        <Map<String, Value>>::schema_name()
    }

    fn json_schema(
        generator: &mut ::schemars::r#gen::SchemaGenerator,
    ) -> ::schemars::schema::Schema {
        <Map<String, Value>>::json_schema(generator)
    }

    fn is_referenceable() -> bool {
        <Map<String, Value>>::is_referenceable()
    }
}

impl serde::Serialize for ResponseTokens {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.overlay {
            None => self.base.serialize(serializer),
            Some(_) => serializer.collect_map(self.entries()),
        }
    }
}

impl<'de> serde::Deserialize<'de> for ResponseTokens {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from)
    }
}

impl From<Map<String, Value>> for ResponseTokens {
    fn from(map: Map<String, Value>) -> Self {
        Self {
            base: Arc::new(map),
            overlay: None,
            merged: OnceLock::new(),
        }
    }
}

impl Deref for ResponseTokens {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        match &self.overlay {
            None => &self.base,
            Some(_) => self.merged.get_or_init(|| self.flattened()),
        }
    }
}

impl DerefMut for ResponseTokens {
    fn deref_mut(&mut self) -> &mut Self::Target {
        if self.overlay.is_some() {
            let merged = std::mem::take(&mut self.merged)
                .into_inner()
                .unwrap_or_else(|| self.flattened());
            *self = Self::from(merged);
        }
        Arc::make_mut(&mut self.base)
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

/// A text of the artifact that every decision hands out, shared: read it as the `str` it derefs
/// to, clone it for a reference count; the same JSON string on the wire.
macro_rules! shared_text {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, ::schemars::JsonSchema)]
        #[schemars(transparent)]
        pub struct $name(Arc<str>);

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self(Arc::from(text))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self(Arc::from(text))
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                *self.0 == *other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                *self.0 == **other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

shared_text! {
    /// The event token of an option or a metric, sent back in a notification. Read it as the
    /// `str` it derefs to; cloning it shares the text (an on-device decision hands every visitor
    /// the artifact's tokens).
    ///
    /// ```
    /// use adobe_target::delivery::types::EventToken;
    ///
    /// let token = EventToken::from("abc==");
    /// let shared = token.clone();
    /// assert_eq!(&*shared, "abc==");
    /// assert_eq!(serde_json::to_string(&token)?, r#""abc==""#);
    /// let read: EventToken = serde_json::from_str(r#""abc==""#)?;
    /// assert_eq!(read, token);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    EventToken
}

shared_text! {
    /// The name of a decided mbox or view (`MboxResponse::name`, `View::name`). Read it as the
    /// `str` it derefs to; cloning it shares the text (an on-device decision names every
    /// visitor's mbox with the artifact's name).
    ///
    /// ```
    /// use adobe_target::delivery::types::ItemName;
    ///
    /// let name = ItemName::from("hero");
    /// assert!(name == "hero");
    /// assert_eq!(serde_json::to_string(&name)?, r#""hero""#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ItemName
}

#[cfg(all(test, feature = "on-device"))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const KEYS: [&str; 5] = ["activity.id", "geo.city", "geo.state", "offer.name", "z"];

    /// `map` as an overlay (whose keys are static: each is one of [`KEYS`]).
    fn overlay_of(map: &Map<String, Value>) -> TokenOverlay {
        let static_key = |key: &str| KEYS.into_iter().find(|k| *k == key).unwrap_or("z");
        token_overlay(
            map.iter()
                .map(|(k, v)| (static_key(k), Some(v.clone())))
                .chain([("geo.state", None)])
                .collect(),
        )
    }

    fn tokens() -> impl Strategy<Value = Map<String, Value>> {
        let key = prop::sample::select(KEYS.to_vec());
        let value = prop_oneof![
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,3}".prop_map(Value::from),
        ];
        prop::collection::btree_map(key.prop_map(str::to_owned), value, 0..5)
            .prop_map(|m| m.into_iter().collect())
    }

    proptest! {
        /// Tokens with an overlay read, compare, print and serialize as the one map they make
        /// (the overlay's value where both have a key), and a change leaves the layers as they were.
        #[test]
        fn an_overlay_is_the_merged_map(base in tokens(), overlay in tokens(), again in tokens()) {
            let mut merged = base.clone();
            merged.extend(overlay.clone());
            let rule = ResponseTokens::from(base.clone());
            let layered = rule.with_overlay(&overlay_of(&overlay));
            prop_assert_eq!(serde_json::to_string(&layered)?, serde_json::to_string(&merged)?);
            prop_assert_eq!(&layered, &ResponseTokens::from(merged.clone()));
            prop_assert_eq!(format!("{layered:?}"), format!("{merged:?}"));
            prop_assert_eq!(&*layered, &merged);

            let twice = layered.with_overlay(&overlay_of(&again));
            merged.extend(again);
            prop_assert_eq!(serde_json::to_string(&twice)?, serde_json::to_string(&merged)?);

            let mut changed = layered.clone();
            changed.insert("added".to_owned(), Value::Null);
            prop_assert_eq!(changed.len(), layered.len() + 1);
            prop_assert_eq!(&*rule, &base);
            prop_assert_eq!(serde_json::to_string(&layered)?.contains("added"), false);
        }
    }
}
