//! `mbox.*`: an item's parameters.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::super::rules::{ParamName, Val, walk};
use crate::delivery::types::Parameters;

/// `mbox.*`: an item's parameters, read in place. `mbox.name` is the parameter `name`,
/// `mbox.favorite.color` the parameter `favorite.color`, and `*_lc` the lower-cased string value.
pub(crate) struct MboxContext<'r> {
    parameters: Option<&'r Parameters>,
    /// (name, value, lower-cased value where it differs) of every parameter, when the JSON form
    /// is flat: no name has a dot or ends in `_lc` and every value is a scalar, so the JSON form
    /// holds exactly each name and, for a string, its `_lc` copy, and reading in place answers
    /// as it does. Empty otherwise (a name that nests or could meet another's `_lc` copy, an
    /// object or array value): then every path reads the JSON form.
    direct: Vec<(&'r str, &'r Value, Option<String>)>,
    json: std::cell::OnceCell<Value>,
}

impl<'r> MboxContext<'r> {
    pub(crate) fn new(parameters: Option<&'r Parameters>) -> Self {
        let flat = parameters.is_none_or(|p| {
            p.0.iter().all(|(k, v)| {
                !k.contains('.') && !k.ends_with("_lc") && !v.is_object() && !v.is_array()
            })
        });
        let direct = parameters
            .filter(|_| flat)
            .into_iter()
            .flat_map(|p| p.0.iter())
            .map(|(key, value)| {
                let lower = value
                    .as_str()
                    .filter(|s| s.chars().any(char::is_uppercase))
                    .map(str::to_lowercase);
                (key.as_str(), value, lower)
            })
            .collect();
        Self {
            parameters,
            direct,
            json: std::cell::OnceCell::new(),
        }
    }

    /// The value at `path` (the segments after `mbox`).
    pub(crate) fn lookup(&self, path: &[String]) -> Option<Val<'_>> {
        self.lookup_param(ParamName::of(path).as_ref(), path)
    }

    /// The value at `path`, whose parameter name `param` was worked out from it.
    pub(crate) fn lookup_param(
        &self,
        param: Option<&ParamName>,
        path: &[String],
    ) -> Option<Val<'_>> {
        if let Some(ParamName { name, lower }) = param {
            let lower = *lower;
            if let Some((_, value, lowered)) = self
                .direct
                .iter()
                .find(|(key, value, _)| *key == &**name && (!lower || value.is_string()))
            {
                return Some(match (lower, value) {
                    (true, Value::String(text)) => {
                        Val::Str(Cow::Borrowed(lowered.as_deref().unwrap_or(text)))
                    }
                    _ => Val::from_json(value),
                });
            }
        }
        // A JSON form that is not flat (see `direct`), and the whole object.
        if self.direct.is_empty() || path.is_empty() {
            walk(self.json(), path).map(Val::from_json)
        } else {
            None
        }
    }

    /// The parameters as the nested JSON object rules see (and traces show).
    pub(crate) fn json(&self) -> &Value {
        self.json.get_or_init(|| mbox_context(self.parameters))
    }
}

/// `mbox.*` as JSON: the parameters, with `_lc` copies of string values; dotted names such as
/// `favorite.color` become nested objects (`mbox.favorite.color`) unless a segment is empty.
pub(super) fn mbox_context(parameters: Option<&Parameters>) -> Value {
    let mut root = Map::new();
    let Some(parameters) = parameters else {
        return Value::Object(root);
    };
    for (key, value) in parameters.0.iter() {
        let segments: Vec<&str> = key.split('.').collect();
        if segments.len() > 1 && segments.iter().all(|s| !s.is_empty()) {
            insert_nested(&mut root, &segments, value);
        } else {
            insert_with_lower_case(&mut root, key, value);
        }
    }
    Value::Object(root)
}

pub(super) fn insert_nested(map: &mut Map<String, Value>, segments: &[&str], value: &Value) {
    match segments {
        [] => {}
        [leaf] => insert_with_lower_case(map, leaf, value),
        [parent, rest @ ..] => {
            let entry = map
                .entry((*parent).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(child) = entry {
                insert_nested(child, rest, value);
            }
        }
    }
}

pub(super) fn insert_with_lower_case(map: &mut Map<String, Value>, key: &str, value: &Value) {
    if let Value::String(text) = value {
        map.insert(format!("{key}_lc"), Value::String(text.to_lowercase()));
    }
    map.insert(key.to_owned(), value.clone());
}
