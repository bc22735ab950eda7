//! Campaign macros (`${activity.name}`, `${mbox.param}`, ...) in offer content.

use super::*;

#[allow(
    clippy::expect_used,
    reason = "the never-matching fallback is a constant"
)]
static MACRO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\$\{([a-zA-Z0-9_.]*?)\}").unwrap_or_else(|_| Regex::new("$^").expect("valid"))
});
#[allow(
    clippy::expect_used,
    reason = "the never-matching fallback is a constant"
)]
static MACRO_RENAMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)campaign|recipe").unwrap_or_else(|_| Regex::new("$^").expect("valid"))
});

/// Campaign macros in HTML and action content: `${activity.name}`, `${mbox.param}`, ... from the
/// rule's meta, the request item, or its parameters; unknown macros stay as written.
pub(super) fn replace_macros(option: &mut OfferOption, rule: &Rule, item: &Detail<'_>) {
    // The content is the artifact's, shared: it is copied only when it has a macro to expand.
    let has_macro = |value: &Value| value.as_str().is_some_and(|s| s.contains("${"));
    match option.type_ {
        Some(OptionType::Html) => {
            if option.content.as_deref().is_some_and(has_macro)
                && let Some(Value::String(content)) = option.content.as_deref_mut()
            {
                expand(content, rule, item);
            }
        }
        Some(OptionType::Actions) => {
            let any = |content: &Value| {
                content.as_array().is_some_and(|actions| {
                    actions
                        .iter()
                        .any(|a| a.get("content").is_some_and(has_macro))
                })
            };
            if option.content.as_deref().is_some_and(any)
                && let Some(Value::Array(actions)) = option.content.as_deref_mut()
            {
                for action in actions {
                    if let Some(Value::String(content)) = action.get_mut("content") {
                        expand(content, rule, item);
                    }
                }
            }
        }
        _ => {}
    }
}

fn expand(content: &mut String, rule: &Rule, item: &Detail<'_>) {
    if !content.contains("${") {
        return;
    }
    let replaced = MACRO.replace_all(content, |captures: &regex::Captures<'_>| {
        let whole = captures.get(0).map_or("", |m| m.as_str()).to_owned();
        let key = captures.get(1).map_or("", |m| m.as_str());
        let renamed = MACRO_RENAMES.replace_all(key, |m: &regex::Captures<'_>| {
            if m.get(0)
                .is_some_and(|m| m.as_str().eq_ignore_ascii_case("campaign"))
            {
                "activity"
            } else {
                "experience"
            }
        });
        let parts: Vec<&str> = renamed.split('.').collect();
        // The last two parts.
        let parts = parts
            .get(parts.len().saturating_sub(2)..)
            .unwrap_or_default();
        let key = parts
            .iter()
            .filter(|p| **p != "mbox")
            .copied()
            .collect::<Vec<_>>()
            .join(".");
        let detail = item.json();
        let parameters = detail.get("parameters");
        [
            Some(&rule.meta),
            detail.as_object(),
            parameters.and_then(Value::as_object),
        ]
        .into_iter()
        .flatten()
        .find_map(|haystack| haystack.get(&key))
        .map_or(whole, js_key)
    });
    *content = replaced.into_owned();
}
