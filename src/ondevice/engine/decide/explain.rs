//! Explanations: each rule the engine evaluated for a request, whether it matched, and why not.

use serde::Serialize;
use serde_json::Value;

use super::{Kind, Mode, RuleData};
use crate::ondevice::engine::artifact::Rule;
use crate::ondevice::engine::rules::{self, FailedCondition};

/// How an on-device decision was reached: every rule the engine evaluated, in the order it
/// evaluated them. Made by [`TargetClient::explain`](crate::TargetClient::explain).
///
/// ```
/// # #[cfg(feature = "on-device")] {
/// let explanation = adobe_target::Explanation::default();
/// assert!(explanation.rules.is_empty());
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// The rules evaluated, request item by request item.
    pub rules: Vec<RuleOutcome>,
}

/// One rule evaluated for one mbox, view or page load of the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RuleOutcome {
    /// `execute` or `prefetch`.
    pub mode: &'static str,
    /// `mbox`, `view` or `pageLoad`.
    pub kind: &'static str,
    /// The mbox or view name (the global mbox for a page load).
    pub location: String,
    /// The activity the rule belongs to.
    pub activity_id: String,
    /// `activity.name` from the rule's meta, where the artifact has it.
    pub activity_name: Option<String>,
    /// `activity.type` (`ab`, `landing` for experience targeting).
    pub activity_type: Option<String>,
    /// `experience.name`, where the artifact has it.
    pub experience_name: Option<String>,
    /// The audiences the rule's condition stands for.
    pub audience_ids: Vec<Value>,
    /// Whether the condition held.
    pub matched: bool,
    /// When it did not: the parts that failed and the values they saw.
    pub failed: Vec<FailedCondition>,
}

/// Records the evaluation of `rule` for the item of `kind` named `location`.
pub(super) fn record(
    explanation: &mut Explanation,
    (mode, kind, page_load): (Mode, Kind, bool),
    location: &str,
    rule: &Rule,
    data: &RuleData<'_, '_>,
    matched: bool,
) {
    let text = |key: &str| {
        rule.meta
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let failed = if matched {
        Vec::new()
    } else {
        rules::failures(&rule.condition_json, data)
    };
    explanation.rules.push(RuleOutcome {
        mode: mode.as_str(),
        kind: match (kind, page_load) {
            (_, true) => "pageLoad",
            (Kind::Mbox, false) => "mbox",
            (Kind::View, false) => "view",
        },
        location: location.to_owned(),
        activity_id: rule.activity_id.clone(),
        activity_name: text("activity.name"),
        activity_type: text("activity.type"),
        experience_name: text("experience.name"),
        audience_ids: rule
            .meta
            .get("audience.ids")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        matched,
        failed,
    });
}
