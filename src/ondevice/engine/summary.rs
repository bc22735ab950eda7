//! What an artifact holds, for people: its activities, locations, audiences and their context
//! keys, its largest offers, and the rules the engine cannot evaluate.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::artifact::{Artifact, Rule, js_key};
use super::obfuscation::deobfuscate;
use super::rules;
use crate::delivery::types::OptionType;
use crate::error::Result;

/// How many offers [`ArtifactSummary::largest_offers`] lists.
const LARGEST_OFFERS: usize = 5;

/// A rules artifact read and checked as the on-device engine reads it, summarised.
///
/// Reading fails exactly where the engine refuses the artifact (unreadable JSON, an unsupported
/// version, a `rules.bin` that does not decode), so a summary is also a validation.
///
/// ```
/// # #[cfg(feature = "on-device")] {
/// use adobe_target::ArtifactSummary;
///
/// let summary = ArtifactSummary::from_json(br#"{"version": "1.0.0", "meta": {"clientCode": "acme"}}"#)?;
/// assert_eq!(summary.client_code.as_deref(), Some("acme"));
/// assert!(ArtifactSummary::from_json(br#"{"version": "2.0.0"}"#).is_err());
/// # }
/// # Ok::<(), adobe_target::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ArtifactSummary {
    /// The artifact's version (`1.0.0`).
    pub version: String,
    /// `meta.clientCode`.
    pub client_code: Option<String>,
    /// `meta.environment`.
    pub environment: Option<String>,
    /// The mbox a page load decides as.
    pub global_mbox: String,
    /// Whether rules target by geo (a decision may look the visitor's IP up).
    pub geo_targeting_enabled: bool,
    /// Every activity, in the order its first rule appears.
    pub activities: Vec<ActivitySummary>,
    /// The mboxes with rules.
    pub mboxes: Vec<String>,
    /// The views with rules, in artifact order.
    pub views: Vec<String>,
    /// The mboxes and views only the Edge can decide (hybrid sends them there).
    pub remote_mboxes: Vec<String>,
    /// See [`remote_mboxes`](Self::remote_mboxes).
    pub remote_views: Vec<String>,
    /// Each distinct audience list of the rules, and the context keys its conditions read.
    pub audiences: Vec<AudienceSummary>,
    /// The largest offers, largest first.
    pub largest_offers: Vec<OfferSize>,
    /// Rules whose condition the engine cannot evaluate; they never match.
    pub unevaluable_rules: Vec<String>,
}

/// One activity of an artifact.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ActivitySummary {
    /// `activity.id`.
    pub id: String,
    /// `activity.name`, where the artifact has it.
    pub name: Option<String>,
    /// `ab` (A/B test), `landing` (experience targeting), as `activity.type` says.
    pub activity_type: Option<String>,
    /// Whether it delivers JSON offers: attributes, read with `get_attributes`.
    pub attributes: bool,
    /// Its rules.
    pub rules: usize,
    /// The mboxes and views it decides.
    pub locations: Vec<String>,
}

/// An audience list of the artifact's rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AudienceSummary {
    /// `audience.ids` of the rules (empty: everyone).
    pub ids: Vec<Value>,
    /// The context keys the rules' conditions read, besides `allocation` (`user.browserType`,
    /// `page.url`, `mbox.color`, `geo.city`).
    pub context_keys: Vec<String>,
    /// How many rules have this audience list.
    pub rules: usize,
}

/// The size of one offer's content.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OfferSize {
    /// The activity that delivers it.
    pub activity_id: String,
    /// The mbox or view.
    pub location: String,
    /// `offer.id`, where the artifact has it.
    pub offer_id: Option<String>,
    /// Its content, serialised, in bytes.
    pub bytes: usize,
}

impl ArtifactSummary {
    /// Reads a `rules.json`.
    ///
    /// ```
    /// # #[cfg(feature = "on-device")] {
    /// let text = br#"{"version": "1.0.0", "geoTargetingEnabled": true}"#;
    /// assert!(adobe_target::ArtifactSummary::from_json(text)?.geo_targeting_enabled);
    /// # }
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Ok(Self::of(&Artifact::from_slice(bytes)?))
    }

    /// Reads an obfuscated `rules.bin` of the organization `organization_id`.
    ///
    /// ```
    /// # #[cfg(feature = "on-device")] {
    /// let refused = adobe_target::ArtifactSummary::from_bin(b"too short", "acme@AdobeOrg");
    /// assert!(matches!(refused, Err(adobe_target::Error::Artifact(_))));
    /// # }
    /// ```
    pub fn from_bin(bytes: &[u8], organization_id: &str) -> Result<Self> {
        Self::from_json(&deobfuscate(bytes, organization_id)?)
    }

    fn of(artifact: &Artifact) -> Self {
        let mut mboxes: Vec<&String> = artifact.mbox_rules.keys().collect();
        mboxes.sort();
        let located: Vec<(&str, &Rule)> = mboxes
            .iter()
            .flat_map(|name| {
                let rules = artifact.mbox_rules.get(*name).map(Vec::as_slice);
                rules.unwrap_or_default().iter().map(|r| (name.as_str(), r))
            })
            .chain(
                artifact
                    .view_rules
                    .iter()
                    .flat_map(|(name, rules)| rules.iter().map(move |r| (name.as_str(), r))),
            )
            .collect();
        let text = |rule: &Rule, key: &str| rule.meta.get(key).filter(|v| !v.is_null()).map(js_key);

        let mut activities: Vec<ActivitySummary> = Vec::new();
        let mut audiences: BTreeMap<String, AudienceSummary> = BTreeMap::new();
        let mut offers: Vec<OfferSize> = Vec::new();
        let mut unevaluable = Vec::new();
        for &(location, rule) in &located {
            if !activities.iter().any(|a| a.id == rule.activity_id) {
                activities.push(ActivitySummary {
                    id: rule.activity_id.clone(),
                    name: text(rule, "activity.name"),
                    activity_type: text(rule, "activity.type"),
                    attributes: false,
                    rules: 0,
                    locations: Vec::new(),
                });
            }
            let options = &rule.consequence.options;
            if let Some(activity) = activities.iter_mut().find(|a| a.id == rule.activity_id) {
                activity.rules += 1;
                if !activity.locations.iter().any(|l| l == location) {
                    activity.locations.push(location.to_owned());
                }
                activity.attributes |= options.iter().any(|o| o.type_ == Some(OptionType::Json));
            }

            let ids = rule
                .meta
                .get("audience.ids")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let audience = audiences
                .entry(Value::Array(ids.clone()).to_string())
                .or_insert_with(|| AudienceSummary {
                    ids,
                    context_keys: Vec::new(),
                    rules: 0,
                });
            audience.rules += 1;
            for key in rules::context_keys(&rule.condition_json) {
                if key != "allocation" && !audience.context_keys.contains(&key) {
                    audience.context_keys.push(key);
                }
            }

            for option in options {
                let bytes = option
                    .content
                    .as_ref()
                    .map_or(0, |c| serde_json::to_string(c).map_or(0, |t| t.len()));
                offers.push(OfferSize {
                    activity_id: rule.activity_id.clone(),
                    location: location.to_owned(),
                    offer_id: text(rule, "offer.id"),
                    bytes,
                });
            }
            if let Err(error) = rules::compile(&rule.condition_json) {
                unevaluable.push(format!(
                    "activity {} on {location}: {error}",
                    rule.activity_id
                ));
            }
        }
        offers.sort_by_key(|offer| std::cmp::Reverse(offer.bytes));
        offers.dedup_by(|a, b| {
            a.activity_id == b.activity_id && a.offer_id == b.offer_id && a.bytes == b.bytes
        });
        offers.truncate(LARGEST_OFFERS);
        let mut audiences: Vec<AudienceSummary> = audiences.into_values().collect();
        for audience in &mut audiences {
            audience.context_keys.sort();
        }

        let meta = |key: &str| {
            artifact
                .meta
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Self {
            version: artifact.version.clone(),
            client_code: meta("clientCode"),
            environment: meta("environment"),
            global_mbox: artifact.global_mbox.clone(),
            geo_targeting_enabled: artifact.geo_targeting_enabled,
            activities,
            mboxes: mboxes.into_iter().cloned().collect(),
            views: artifact.view_rules.iter().map(|(n, _)| n.clone()).collect(),
            remote_mboxes: artifact.remote_mboxes.clone(),
            remote_views: artifact.remote_views.clone(),
            audiences,
            largest_offers: offers,
            unevaluable_rules: unevaluable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conformance(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../shared/conformance/artifacts/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(path).expect("the conformance artifacts are in ../shared")
    }

    #[test]
    fn a_conformance_artifact_is_summarised() {
        let summary = ArtifactSummary::from_json(&conformance("TEST_ARTIFACT_BROWSER"))
            .expect("a valid artifact");
        assert_eq!(summary.version, "1.0.0");
        assert_eq!(summary.client_code.as_deref(), Some("targettesting"));
        assert!(!summary.activities.is_empty());
        assert!(
            summary
                .activities
                .iter()
                .all(|a| a.rules > 0 && !a.locations.is_empty())
        );
        let keys: Vec<&String> = summary
            .audiences
            .iter()
            .flat_map(|a| &a.context_keys)
            .collect();
        assert!(keys.iter().any(|k| k.starts_with("user.")), "{keys:?}");
        assert!(
            summary
                .largest_offers
                .windows(2)
                .all(|w| w[0].bytes >= w[1].bytes)
        );
        assert!(summary.unevaluable_rules.is_empty());
    }

    #[test]
    fn attributes_activities_and_geo_are_found() {
        let flags = ArtifactSummary::from_json(&conformance("TEST_ARTIFACT_FEATURE_FLAG"))
            .expect("a valid artifact");
        assert!(flags.activities.iter().any(|a| a.attributes));
        let geo = ArtifactSummary::from_json(&conformance("TEST_ARTIFACT_GEO")).expect("valid");
        assert!(geo.geo_targeting_enabled);
        assert!(
            geo.audiences
                .iter()
                .any(|a| a.context_keys.iter().any(|k| k.starts_with("geo.")))
        );
    }

    #[test]
    fn an_unevaluable_condition_is_listed() {
        let text = br#"{"version": "1.0.0", "rules": {"mboxes": {"m": [
            {"meta": {"activity.id": 7}, "condition": {"nosuchop": [1]}, "consequence": {}}
        ]}}}"#;
        let summary = ArtifactSummary::from_json(text).expect("the engine loads it");
        assert_eq!(summary.unevaluable_rules.len(), 1);
        assert!(summary.unevaluable_rules[0].starts_with("activity 7 on m"));
    }
}
