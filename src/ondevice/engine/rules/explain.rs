//! Why a condition did not hold, for people: the failing parts of a JSON-logic condition with
//! the values the rule saw, and the context keys a condition reads.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::compile::split_path;
use super::{Data, compile, matches};

/// A part of a rule's condition that did not hold, with the context values it read (an
/// explanation's [`RuleOutcome::failed`](crate::RuleOutcome::failed)).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct FailedCondition {
    /// The JSON-logic part, as the artifact writes it.
    pub condition: Value,
    /// Each context key the part reads (`user.browserType`) and the value it saw (`null` when
    /// the request has none).
    pub saw: Map<String, Value>,
}

/// The parts of `condition` that made it fail against `data` (none when it holds). An `and`
/// stops at its first failing part, as evaluation does; a failing `or` reports every part; any
/// other operation is reported whole.
pub(crate) fn failures(condition: &Value, data: &dyn Data) -> Vec<FailedCondition> {
    let mut out = Vec::new();
    explain(condition, data, &mut out);
    out
}

fn holds(condition: &Value, data: &dyn Data) -> bool {
    compile(condition).is_ok_and(|expr| matches(&expr, data))
}

fn explain(condition: &Value, data: &dyn Data, out: &mut Vec<FailedCondition>) {
    if holds(condition, data) {
        return;
    }
    match operation(condition) {
        Some(("and", Value::Array(parts))) => {
            if let Some(first) = parts.iter().find(|part| !holds(part, data)) {
                explain(first, data, out);
            }
        }
        Some(("or", Value::Array(parts))) => {
            for part in parts {
                explain(part, data, out);
            }
        }
        _ => {
            let saw = variables(condition)
                .into_iter()
                .map(|path| {
                    let value = data
                        .lookup(&split_path(&path))
                        .map_or(Value::Null, |v| v.to_json());
                    (path, value)
                })
                .collect();
            out.push(FailedCondition {
                condition: condition.clone(),
                saw,
            });
        }
    }
}

/// `{"op": args}`: the operation's name and arguments.
fn operation(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::Object(map) if map.len() == 1 => map.iter().next().map(|(k, v)| (k.as_str(), v)),
        _ => None,
    }
}

/// Every constant variable path `condition` reads (`{"var": "page.url"}`), in order, once.
pub(crate) fn variables(condition: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect(condition, &mut found);
    found
}

fn collect(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect(item, found)),
        Value::Object(map) => {
            for (key, argument) in map {
                let path = match (key.as_str(), argument) {
                    ("var", Value::String(path)) => Some(path.clone()),
                    ("var", Value::Array(items)) => match items.first() {
                        Some(Value::String(path)) => Some(path.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                match path {
                    Some(path) if !found.contains(&path) => found.push(path),
                    Some(_) => {}
                    None => collect(argument, found),
                }
            }
        }
        _ => {}
    }
}

/// The context keys `condition` reads, to two levels (`page.url`, `user.browserType`,
/// `mbox.color`, `allocation`).
pub(crate) fn context_keys(condition: &Value) -> BTreeSet<String> {
    variables(condition)
        .iter()
        .map(|path| {
            let mut parts = path.splitn(3, '.');
            match (parts.next(), parts.next()) {
                (Some(first), Some(second)) => format!("{first}.{second}"),
                (Some(first), None) => first.to_owned(),
                _ => String::new(),
            }
        })
        .filter(|key| !key.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_and_reports_its_first_failing_part_with_the_values_seen() {
        let condition = json!({"and": [
            {"<": [0, {"var": "allocation"}, 50]},
            {"==": [{"var": "user.browserType"}, "firefox"]},
            {"==": [{"var": "mbox.color"}, "red"]},
        ]});
        let data = json!({"allocation": 20, "user": {"browserType": "chrome"}, "mbox": {}});
        let found = failures(&condition, &data);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].condition,
            json!({"==": [{"var": "user.browserType"}, "firefox"]})
        );
        assert_eq!(
            found[0].saw,
            json!({"user.browserType": "chrome"})
                .as_object()
                .cloned()
                .unwrap()
        );
    }

    #[test]
    fn a_failing_or_reports_every_part_and_missing_values_are_null() {
        let condition = json!({"or": [
            {"==": [{"var": "geo.city"}, "BASEL"]},
            {"in": ["sale", {"var": "page.query"}]},
        ]});
        let found = failures(&condition, &json!({"page": {"query": "a=1"}}));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].saw.get("geo.city"), Some(&Value::Null));
        assert_eq!(found[1].saw.get("page.query"), Some(&json!("a=1")));
    }

    #[test]
    fn a_condition_that_holds_has_no_failures() {
        let condition = json!({"and": [true, {"==": [{"var": "a"}, 1]}]});
        assert!(failures(&condition, &json!({"a": 1})).is_empty());
    }

    #[test]
    fn context_keys_are_cut_to_two_levels_and_listed_once() {
        let condition = json!({"and": [
            {"<=": [0, {"var": "allocation"}, 50]},
            {"==": [{"var": ["page.url_lc", ""]}, "x"]},
            {"==": [{"var": "user.browserType"}, "x"]},
            {"some": [{"var": "mbox.tags.list"}, {"==": [{"var": ""}, "a"]}]},
            {"==": [{"var": "page.url_lc"}, "y"]},
        ]});
        let keys: Vec<String> = context_keys(&condition).into_iter().collect();
        assert_eq!(
            keys,
            ["allocation", "mbox.tags", "page.url_lc", "user.browserType"]
        );
    }
}
