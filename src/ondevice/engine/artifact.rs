//! The rules artifact: its model, validation and compilation into an engine-ready form.

use std::collections::HashMap;
use std::fmt;

use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::rules::{self, Expr};
use crate::delivery::types::{ItemName, Metric, MetricType, OfferOption, ResponseTokens};
use crate::error::{Error, Result};

/// The artifact major version this SDK reads.
pub(crate) const SUPPORTED_MAJOR_VERSION: u64 = 1;
/// The global mbox name when the artifact names none.
pub(crate) const DEFAULT_GLOBAL_MBOX: &str = "target-global-mbox";

/// The artifact as published by Target (only what decisions need; the rest is ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawArtifact {
    version: String,
    #[serde(default)]
    meta: Map<String, Value>,
    #[serde(default)]
    global_mbox: Option<String>,
    #[serde(default)]
    geo_targeting_enabled: bool,
    #[serde(default)]
    response_tokens: Vec<String>,
    #[serde(default)]
    remote_mboxes: Vec<String>,
    #[serde(default)]
    remote_views: Vec<String>,
    #[serde(default)]
    local_mboxes: Vec<String>,
    #[serde(default)]
    local_views: Vec<String>,
    #[serde(default)]
    rules: RawRules,
}

#[derive(Debug, Default, Deserialize)]
struct RawRules {
    #[serde(default)]
    mboxes: Ordered<Vec<RawRule>>,
    #[serde(default)]
    views: Ordered<Vec<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    #[serde(default)]
    rule_key: Option<Value>,
    #[serde(default)]
    activity_id: Option<Value>,
    #[serde(default)]
    meta: Map<String, Value>,
    #[serde(default = "always")]
    condition: Value,
    #[serde(default)]
    consequence: Consequence,
    #[serde(default)]
    property_tokens: Vec<String>,
}

fn always() -> Value {
    Value::Bool(true)
}

/// What a matching rule gives: the content options and metrics for one mbox or view.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Consequence {
    #[serde(default)]
    pub(crate) name: Option<ItemName>,
    #[serde(default)]
    pub(crate) options: Vec<OfferOption>,
    #[serde(default)]
    pub(crate) metrics: Vec<Metric>,
}

/// A JSON object read as (key, value) pairs in document order: the order of views decides the
/// order of the response, as it does in the other SDKs.
#[derive(Debug)]
struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct PairsVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for PairsVisitor<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, T>()? {
                    pairs.push(pair);
                }
                Ok(Ordered(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor(std::marker::PhantomData))
    }
}

/// A rule ready to evaluate.
#[derive(Debug)]
pub(crate) struct Rule {
    /// Rules of one activity share a key: the global mbox takes one option per activity.
    pub(crate) key: String,
    /// The activity id as hashed for allocation (`activity.id` in the meta).
    pub(crate) activity_id: String,
    /// The activity's number in the artifact (dense from 0), to remember its allocation by.
    pub(crate) activity: usize,
    /// `.{activity id}` as allocation hashes it (UTF-16LE), encoded once at load.
    pub(crate) activity_hashed: Box<[u8]>,
    pub(crate) meta: Map<String, Value>,
    /// The response tokens the rule's meta gives its options (those the artifact asks for), and
    /// `activity.decisioningMethod`: shared by every decision that returns them.
    pub(crate) response_tokens: ResponseTokens,
    pub(crate) condition: Expr,
    /// The condition as written, for traces.
    pub(crate) condition_json: Value,
    pub(crate) consequence: Consequence,
    /// What an executed item returns, made at load: the options with a type or content,
    /// without their event tokens (the display notification carries them), and the click
    /// metrics.
    pub(crate) executed: (Vec<OfferOption>, Vec<Metric>),
    /// The options a prefetched item returns, made at load: each without an event token of its
    /// own takes that of the display metric at its position.
    pub(crate) prefetched: Vec<OfferOption>,
    pub(crate) property_tokens: Vec<String>,
}

impl Rule {
    /// Whether the rule applies to a request for `property_token`: rules without property
    /// tokens apply to every request; rules with tokens only to requests naming one of them.
    pub(crate) fn applies_to(&self, property_token: Option<&str>) -> bool {
        match property_token {
            None => self.property_tokens.is_empty(),
            Some(token) => {
                self.property_tokens.is_empty() || self.property_tokens.iter().any(|t| t == token)
            }
        }
    }
}

/// The response tokens a visitor's geo fills in, and the geo field each reads.
const GEO_TOKENS: [(&str, &str); 5] = [
    ("geo.city", "city"),
    ("geo.country", "country"),
    ("geo.state", "region"),
    ("geo.latitude", "latitude"),
    ("geo.longitude", "longitude"),
];

/// A loaded artifact.
#[derive(Debug)]
pub(crate) struct Artifact {
    pub(crate) version: String,
    pub(crate) meta: Map<String, Value>,
    pub(crate) global_mbox: String,
    pub(crate) geo_targeting_enabled: bool,
    /// The geo response tokens the artifact asks for, with the geo field each reads
    /// (`geo.state` reads `region`), in key order (the order of a token overlay), each once.
    pub(crate) geo_tokens: Vec<(&'static str, &'static str)>,
    pub(crate) remote_mboxes: Vec<String>,
    pub(crate) remote_views: Vec<String>,
    pub(crate) local_mboxes: Vec<String>,
    pub(crate) local_views: Vec<String>,
    /// Looked up by a request's mbox names with FxHash: only the artifact's names are keys, so
    /// a visitor's name costs one lookup whatever it is, and SipHash's resistance to chosen
    /// keys buys nothing here.
    pub(crate) mbox_rules: FxHashMap<String, Vec<Rule>>,
    /// Views in artifact order.
    pub(crate) view_rules: Vec<(String, Vec<Rule>)>,
}

impl Artifact {
    /// Parses and checks an artifact from its JSON text.
    pub(crate) fn from_slice(bytes: &[u8]) -> Result<Self> {
        let raw: RawArtifact = serde_json::from_slice(bytes)
            .map_err(|e| Error::Artifact(format!("Unable to read artifact JSON: {e}")))?;
        Self::from_raw(raw)
    }

    /// Checks and compiles an artifact given as a JSON value.
    pub(crate) fn from_value(value: &Value) -> Result<Self> {
        let raw = RawArtifact::deserialize(value)
            .map_err(|e| Error::Artifact(format!("Unable to read artifact JSON: {e}")))?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawArtifact) -> Result<Self> {
        let major = raw
            .version
            .split('.')
            .next()
            .and_then(|m| m.trim().parse::<u64>().ok());
        if major != Some(SUPPORTED_MAJOR_VERSION) {
            return Err(Error::Artifact(format!(
                "The decisioning artifact version ({}) is not supported. This library is compatible with this major version: {SUPPORTED_MAJOR_VERSION}",
                raw.version
            )));
        }
        let tokens = raw.response_tokens.clone();
        let mut activities: HashMap<String, usize> = HashMap::new();
        let mut compile_all = |rules: Vec<RawRule>| {
            rules
                .into_iter()
                .map(|rule| {
                    let mut rule = compile_rule(rule, &tokens);
                    let next = activities.len();
                    rule.activity = *activities.entry(rule.activity_id.clone()).or_insert(next);
                    rule
                })
                .collect::<Vec<_>>()
        };
        let mut artifact = Self {
            version: raw.version,
            global_mbox: raw
                .global_mbox
                .filter(|g| !g.is_empty())
                .unwrap_or_else(|| DEFAULT_GLOBAL_MBOX.to_owned()),
            meta: raw.meta,
            geo_targeting_enabled: raw.geo_targeting_enabled,
            geo_tokens: {
                let mut tokens: Vec<_> = GEO_TOKENS
                    .into_iter()
                    .filter(|(token, _)| raw.response_tokens.iter().any(|t| t == token))
                    .collect();
                tokens.sort_unstable_by_key(|(token, _)| *token);
                tokens
            },
            remote_mboxes: raw.remote_mboxes,
            remote_views: raw.remote_views,
            local_mboxes: raw.local_mboxes,
            local_views: raw.local_views,
            mbox_rules: raw
                .rules
                .mboxes
                .0
                .into_iter()
                .map(|(name, rules)| (name, compile_all(rules)))
                .collect(),
            view_rules: raw
                .rules
                .views
                .0
                .into_iter()
                .map(|(name, rules)| (name, compile_all(rules)))
                .collect(),
        };
        artifact.compile_conditions();
        Ok(artifact)
    }

    /// Compiles every rule's condition, in the order decisions walk them, once everything else
    /// is built: the conditions of one mbox's rules then sit together in memory, and a decision
    /// that evaluates a thousand of them reads them in sequence instead of across the artifact.
    fn compile_conditions(&mut self) {
        let mbox_rules = self
            .mbox_rules
            .values_mut()
            .flat_map(|rules| rules.iter_mut());
        let view_rules = self
            .view_rules
            .iter_mut()
            .flat_map(|(_, rules)| rules.iter_mut());
        for rule in mbox_rules.chain(view_rules) {
            rule.condition = rules::compile(&rule.condition_json).unwrap_or_else(|error| {
                tracing::warn!(%error, "a rule condition cannot be evaluated; the rule will never match");
                Expr::Literal(Value::Bool(false))
            });
        }
    }

    /// The number of rules, for logs.
    pub(crate) fn rule_count(&self) -> usize {
        self.mbox_rules.values().map(Vec::len).sum::<usize>()
            + self.view_rules.iter().map(|(_, r)| r.len()).sum::<usize>()
    }
}

/// A JavaScript-style string of a JSON scalar (`125871`, not `125871.0`).
pub(crate) fn js_key(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The meta keys that can become response tokens.
const META_TOKENS: [&str; 12] = [
    "activity.id",
    "activity.name",
    "activity.type",
    "experience.id",
    "experience.name",
    "location.id",
    "location.name",
    "location.type",
    "offer.id",
    "offer.name",
    "option.id",
    "option.name",
];

fn compile_rule(raw: RawRule, wanted_tokens: &[String]) -> Rule {
    let mut response_tokens: Map<String, Value> = META_TOKENS
        .iter()
        .filter(|key| wanted_tokens.iter().any(|t| t == *key))
        .filter_map(|key| {
            raw.meta
                .get(*key)
                .filter(|v| !v.is_null())
                .map(|v| ((*key).to_owned(), v.clone()))
        })
        .collect();
    response_tokens.insert(
        "activity.decisioningMethod".to_owned(),
        Value::String("on-device".to_owned()),
    );
    // Compiled once the whole artifact is built (`Artifact::compile_conditions`).
    let condition = Expr::Literal(Value::Bool(false));
    let activity_id = raw
        .meta
        .get("activity.id")
        .or(raw.activity_id.as_ref())
        .map(js_key)
        .unwrap_or_default();
    Rule {
        activity: 0,
        key: raw
            .rule_key
            .as_ref()
            .map(js_key)
            .unwrap_or_else(|| activity_id.clone()),
        activity_hashed: super::allocation::utf16_le(&[".", &activity_id]).into(),
        activity_id,
        meta: raw.meta,
        response_tokens: response_tokens.into(),
        condition,
        condition_json: raw.condition,
        executed: executed(&raw.consequence),
        prefetched: prefetched(&raw.consequence),
        consequence: raw.consequence,
        property_tokens: raw.property_tokens,
    }
}

/// The options and metrics an executed item returns ([`Rule::executed`]).
fn executed(consequence: &Consequence) -> (Vec<OfferOption>, Vec<Metric>) {
    let options = consequence
        .options
        .iter()
        .filter(|o| o.type_.is_some() || o.content.is_some())
        .map(|o| OfferOption {
            event_token: None,
            ..o.clone()
        })
        .collect();
    let metrics = consequence
        .metrics
        .iter()
        .filter(|m| m.type_ == Some(MetricType::Click))
        .cloned()
        .collect();
    (options, metrics)
}

/// The options a prefetched item returns ([`Rule::prefetched`]).
fn prefetched(consequence: &Consequence) -> Vec<OfferOption> {
    let mut options = consequence.options.clone();
    for (option, metric) in options.iter_mut().zip(&consequence.metrics) {
        if option.event_token.is_none() && metric.type_ == Some(MetricType::Display) {
            option.event_token = metric.event_token.clone();
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Artifact;

    /// A token overlay is made from them as they are: they must be in key order, each once.
    #[test]
    fn geo_tokens_are_kept_in_key_order() {
        let artifact = Artifact::from_value(&json!({
            "version": "1.0.0",
            "responseTokens": ["geo.state", "geo.longitude", "activity.id", "geo.city",
                               "geo.latitude", "geo.country", "geo.city"]
        }))
        .expect("an artifact");
        let tokens: Vec<&str> = artifact.geo_tokens.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            tokens,
            [
                "geo.city",
                "geo.country",
                "geo.latitude",
                "geo.longitude",
                "geo.state"
            ]
        );
    }
}
