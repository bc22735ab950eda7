//! `user.*`: the browser and platform, from the user agent or the Client Hints.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

use super::super::rules::Val;
use crate::delivery::types::ClientHints;

/// `user.*`: browser type and major version, platform, locale.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UserContext {
    browser_type: Cow<'static, str>,
    browser_version: i64,
    platform: &'static str,
}

/// The last user agents parsed on this thread: page views repeat them.
const USER_AGENT_CACHE: usize = 256;

thread_local! {
    static PARSED_USER_AGENTS: RefCell<HashMap<String, UserContext>> = RefCell::new(HashMap::new());
}

impl UserContext {
    pub(super) fn new(user_agent: Option<&str>, hints: Option<&ClientHints>) -> Self {
        match (user_agent.filter(|ua| !ua.is_empty()), hints) {
            (Some(ua), _) => PARSED_USER_AGENTS.with(|cache| {
                if let Some(found) = cache.borrow().get(ua) {
                    return found.clone();
                }
                let (browser_type, browser_version) = browser_from_user_agent(ua);
                let parsed = Self {
                    browser_type: Cow::Borrowed(browser_type),
                    browser_version,
                    platform: platform_from_user_agent(ua),
                };
                let mut cache = cache.borrow_mut();
                if cache.len() >= USER_AGENT_CACHE {
                    cache.clear();
                }
                cache.insert(ua.to_owned(), parsed.clone());
                parsed
            }),
            (None, Some(hints)) => {
                let (browser_type, browser_version) = browser_from_client_hints(hints);
                Self {
                    browser_type: Cow::Borrowed(browser_type),
                    browser_version,
                    platform: platform_from_client_hints(hints),
                }
            }
            (None, None) => Self {
                browser_type: Cow::Borrowed("unknown"),
                browser_version: -1,
                platform: "unknown",
            },
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<Val<'_>> {
        match key {
            "browserType" => Some(Val::Str(Cow::Borrowed(&self.browser_type))),
            "browserVersion" => Some(Val::Num(self.browser_version as f64)),
            "platform" => Some(Val::Str(Cow::Borrowed(self.platform))),
            "locale" => Some(Val::Str(Cow::Borrowed("en"))),
            _ => None,
        }
    }

    pub(super) fn to_json(&self) -> Value {
        json!({"browserType": self.browser_type, "platform": self.platform, "locale": "en", "browserVersion": self.browser_version})
    }
}

pub(super) struct BrowserMatcher {
    pub(super) name: &'static str,
    pub(super) regex: Regex,
    pub(super) version_group: usize,
}

#[allow(
    clippy::expect_used,
    reason = "the never-matching fallback is a constant"
)]
fn matcher(name: &'static str, pattern: &str, version_group: usize) -> BrowserMatcher {
    // The patterns are constants, checked by the tests below.
    BrowserMatcher {
        name,
        regex: Regex::new(pattern).unwrap_or_else(|_| Regex::new("$^").expect("valid")),
        version_group,
    }
}

/// The browsers the other Target SDKs recognise, in their order, with the names audience rules
/// use. A generic user-agent crate names browsers differently ("Chrome Mobile", "Mobile Safari
/// UI/WKWebView"), which would silently change who qualifies for an audience.
pub(super) static BROWSERS: LazyLock<Vec<BrowserMatcher>> = LazyLock::new(|| {
    vec![
        matcher("edge", r"(?i)(edge|edgios|edga|edg)/((\d+)?[\w.]+)", 2),
        matcher(
            "mobile safari",
            r"(?i)version/([\w.]+).+?mobile/\w+\s(safari)",
            1,
        ),
        matcher(
            "safari",
            r"(?i)version/([\w.]+).+?(mobile\s?safari|safari)",
            1,
        ),
        matcher("chrome", r"(?i)(chrome)/v?([\w.]+)", 2),
        matcher("firefox", r"(?i)(firefox)/([\w.-]+)$", 2),
        matcher("ie", r"(?i)(?:ms|\()(ie)\s([\w.]+)", 2),
        matcher("ie", r"(?i)(trident).+rv[:\s]([\w.]+).+like\sgecko", 2),
    ]
});

pub(super) static PLATFORMS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("ios", r"iPhone|iPad|iPod"),
        ("android", r"Android [0-9.]+;"),
        ("linux", r" Linux "),
        ("unix", r"FreeBSD|OpenBSD|CrOS"),
        ("windows", r"[( ]Windows "),
        ("mac", r"Macintosh;"),
    ]
    .into_iter()
    .filter_map(|(name, pattern)| Regex::new(pattern).ok().map(|r| (name, r)))
    .collect()
});

pub(super) fn major_version(version: &str) -> i64 {
    let digits: String = version
        .split('.')
        .next()
        .unwrap_or("")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(-1)
}

pub(super) fn browser_from_user_agent(user_agent: &str) -> (&'static str, i64) {
    for matcher in BROWSERS.iter() {
        if let Some(captures) = matcher.regex.captures(user_agent) {
            let version = captures
                .get(matcher.version_group)
                .map_or(-1, |m| major_version(m.as_str()));
            return (matcher.name, version);
        }
    }
    ("unknown", -1)
}

pub(super) fn platform_from_user_agent(user_agent: &str) -> &'static str {
    PLATFORMS
        .iter()
        .find(|(_, regex)| regex.is_match(user_agent))
        .map_or("unknown", |(name, _)| name)
}

/// Browser from `Sec-CH-UA` brands such as `"Google Chrome";v="99"`.
pub(super) fn browser_from_client_hints(hints: &ClientHints) -> (&'static str, i64) {
    let brands = hints
        .browser_ua_with_full_version
        .as_deref()
        .or(hints.browser_ua_with_major_version.as_deref());
    let Some(brands) = brands else {
        return ("unknown", -1);
    };
    let known = [
        ("Microsoft Edge", "edge"),
        ("Google Chrome", "chrome"),
        ("Opera", "opera"),
        ("Chromium", "chrome"),
    ];
    for (brand, name) in known {
        for entry in brands.split(',') {
            let mut parts = entry.split(';');
            let label = parts.next().unwrap_or("").trim().trim_matches('"');
            if label == brand {
                let version = parts
                    .find_map(|p| p.trim().strip_prefix("v="))
                    .map_or(-1, |v| major_version(v.trim_matches('"')));
                return (name, version);
            }
        }
    }
    ("unknown", -1)
}

pub(super) fn platform_from_client_hints(hints: &ClientHints) -> &'static str {
    match hints.platform.as_deref().map(|p| p.trim_matches('"')) {
        Some("macOS") => "mac",
        Some("Windows") => "windows",
        Some("Android") => "android",
        Some("iOS") => "ios",
        Some("Linux") => "linux",
        Some("Chrome OS" | "Chromium OS") => "unix",
        _ => "unknown",
    }
}
