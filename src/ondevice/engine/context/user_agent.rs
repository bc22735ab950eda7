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
    platform: Cow<'static, str>,
}

/// What a user-agent string says: the browser (lower-case name, major version) and the
/// operating system (as `user.platform` names it).
#[derive(Clone, Copy, Debug)]
struct FromUserAgent {
    browser: (&'static str, i64),
    platform: &'static str,
}

const UNKNOWN_BROWSER: (&str, i64) = ("unknown", -1);

/// The last user agents parsed on this thread: page views repeat them.
const USER_AGENT_CACHE: usize = 256;

thread_local! {
    static PARSED_USER_AGENTS: RefCell<HashMap<String, FromUserAgent>> = RefCell::new(HashMap::new());
}

fn parsed_user_agent(user_agent: &str) -> FromUserAgent {
    PARSED_USER_AGENTS.with(|cache| {
        if let Some(found) = cache.borrow().get(user_agent) {
            return *found;
        }
        let parsed = FromUserAgent {
            browser: browser_from_user_agent(user_agent),
            platform: platform_from_user_agent(user_agent),
        };
        let mut cache = cache.borrow_mut();
        if cache.len() >= USER_AGENT_CACHE {
            cache.clear();
        }
        cache.insert(user_agent.to_owned(), parsed);
        parsed
    })
}

impl UserContext {
    /// As the Node.js SDK combines them: the user agent gives a browser and an operating system;
    /// a browser found in the Client Hints' brand list replaces the user agent's name, and its
    /// version replaces the user agent's; a hints `platform`, when there is one, replaces the
    /// operating system.
    pub(super) fn new(user_agent: Option<&str>, hints: Option<&ClientHints>) -> Self {
        let from_agent = parsed_user_agent(user_agent.unwrap_or(""));
        let (hinted_name, hinted_version) =
            hints.map_or(UNKNOWN_BROWSER, browser_from_client_hints);
        let (name, version) = from_agent.browser;
        let platform = match hints.and_then(|h| h.platform.as_deref()) {
            Some(platform) => target_platform(platform),
            None => Cow::Borrowed(from_agent.platform),
        };
        Self {
            browser_type: Cow::Borrowed(if hinted_name == "unknown" {
                name
            } else {
                hinted_name
            }),
            browser_version: if hinted_version >= 0 {
                hinted_version
            } else {
                version
            },
            platform,
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<Val<'_>> {
        match key {
            "browserType" => Some(Val::Str(Cow::Borrowed(&self.browser_type))),
            "browserVersion" => Some(Val::Num(self.browser_version as f64)),
            "platform" => Some(Val::Str(Cow::Borrowed(&self.platform))),
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

/// The operating systems the Node.js SDK recognises in a user agent, in its order, each with the
/// value `user.platform` then has: `Windows`, `Mac OS` and `Linux` become Target's lower-case
/// names, the others stay as Node names them.
pub(super) static PLATFORMS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("iOS", r"iPhone|iPad|iPod"),
        ("Android", r"Android [0-9.]+;"),
        ("linux", r" Linux "),
        ("Unix", r"FreeBSD|OpenBSD|CrOS"),
        ("windows", r"[( ]Windows "),
        ("mac", r"Macintosh;"),
    ]
    .into_iter()
    .filter_map(|(name, pattern)| Regex::new(pattern).ok().map(|r| (name, r)))
    .collect()
});

/// A Client Hints platform as the Node.js SDK maps it for `user.platform`: the desktop systems
/// to Target's lower-case names, anything else unchanged.
fn target_platform(platform: &str) -> Cow<'static, str> {
    match platform {
        "Windows" => Cow::Borrowed("windows"),
        "Macintosh" | "Mac OS" | "macOS" => Cow::Borrowed("mac"),
        "Linux" => Cow::Borrowed("linux"),
        other => Cow::Owned(other.to_owned()),
    }
}

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
    first_match(&BROWSERS, user_agent)
}

/// The first matcher that matches, with the major version of its version group (Node's
/// `parseInt` of the part before the first dot), else unknown.
fn first_match(matchers: &[BrowserMatcher], text: &str) -> (&'static str, i64) {
    matchers
        .iter()
        .find_map(|matcher| {
            let captures = matcher.regex.captures(text)?;
            let version = captures
                .get(matcher.version_group)
                .map_or(-1, |m| major_version(m.as_str()));
            Some((matcher.name, version))
        })
        .unwrap_or(UNKNOWN_BROWSER)
}

pub(super) fn platform_from_user_agent(user_agent: &str) -> &'static str {
    PLATFORMS
        .iter()
        .find(|(_, regex)| regex.is_match(user_agent))
        .map_or("unknown", |(name, _)| name)
}

/// The browsers the Node.js SDK finds in a `Sec-CH-UA` brand list (`"Google Chrome";v="120"`),
/// in its order: the first of these that the list names, whatever the brands' order.
pub(super) static HINTED_BROWSERS: LazyLock<Vec<BrowserMatcher>> = LazyLock::new(|| {
    vec![
        matcher("chrome", r#"(?i)Chrome";v="([0-9.]+)""#, 1),
        matcher("edge", r#"(?i)Edge";v="([0-9.]+)""#, 1),
        matcher("safari", r#"(?i)Safari";v="([0-9.]+)""#, 1),
        matcher("firefox", r#"(?i)Firefox";v="([0-9.]+)""#, 1),
    ]
});

/// The browser in the hints' full-version brand list, else in the major-version one.
pub(super) fn browser_from_client_hints(hints: &ClientHints) -> (&'static str, i64) {
    let brands = hints
        .browser_ua_with_full_version
        .as_deref()
        .filter(|b| !b.is_empty())
        .or(hints.browser_ua_with_major_version.as_deref())
        .unwrap_or("");
    first_match(&HINTED_BROWSERS, brands)
}
