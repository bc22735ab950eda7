//! The rule context: what Target's audience rules can look at (browser, page, referrer, geo,
//! time, mbox parameters), built once per request as plain structs and read by the rules
//! through [`Data`](super::rules::Data); turned into JSON only for traces.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Timelike, Utc};
use regex::Regex;
use serde_json::{Map, Value, json};

use super::rules::{Val, walk};
use crate::delivery::types::{ClientHints, Context, Geo, Parameters};

/// The whole-request part of the rule context.
#[derive(Clone, Debug)]
pub(crate) struct RequestContext {
    timestamp: i64,
    time: String,
    day: u32,
    user: UserContext,
    pub(crate) page: UrlContext,
    referring: UrlContext,
    pub(crate) geo: GeoContext,
}

impl RequestContext {
    pub(crate) fn new(context: &Context, now: DateTime<Utc>) -> Self {
        let address = context.address.as_ref();
        Self {
            timestamp: now.timestamp_millis(),
            time: format!("{:02}{:02}", now.hour(), now.minute()),
            // 1 = Monday ... 7 = Sunday.
            day: now.weekday().number_from_monday(),
            user: UserContext::new(context.user_agent.as_deref(), context.client_hints.as_ref()),
            page: UrlContext::new(address.and_then(|a| a.url.as_deref())),
            referring: UrlContext::new(address.and_then(|a| a.referring_url.as_deref())),
            geo: GeoContext::new(context.geo.as_ref()),
        }
    }

    /// The value at `path` (`page.url_lc`, `user.browserType`, `current_day`, ...); `page`
    /// (and `referring`) come from `page_override` when the item has its own address.
    pub(crate) fn lookup<'a>(
        &'a self,
        path: &[String],
        page_override: Option<&'a UrlContext>,
    ) -> Option<Val<'a>> {
        let (first, rest) = path.split_first()?;
        fn leaf(rest: &[String]) -> Option<&str> {
            match rest {
                [key] => Some(key.as_str()),
                _ => None,
            }
        }
        match first.as_str() {
            "current_timestamp" if rest.is_empty() => Some(Val::Num(self.timestamp as f64)),
            "current_time" if rest.is_empty() => Some(Val::Str(Cow::Borrowed(&self.time))),
            "current_day" if rest.is_empty() => Some(Val::Num(f64::from(self.day))),
            "user" => self.user.get(leaf(rest)?),
            "page" => page_override.unwrap_or(&self.page).get(leaf(rest)?),
            "referring" => page_override.unwrap_or(&self.referring).get(leaf(rest)?),
            "geo" => self.geo.get(leaf(rest)?),
            _ => None,
        }
    }

    /// The context as JSON, as traces show it.
    pub(crate) fn to_json(&self, page_override: Option<&UrlContext>) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("current_timestamp".to_owned(), json!(self.timestamp));
        map.insert("current_time".to_owned(), json!(self.time));
        map.insert("current_day".to_owned(), json!(self.day));
        map.insert("user".to_owned(), self.user.to_json());
        map.insert(
            "page".to_owned(),
            page_override.unwrap_or(&self.page).to_json(),
        );
        map.insert(
            "referring".to_owned(),
            page_override.unwrap_or(&self.referring).to_json(),
        );
        map.insert("geo".to_owned(), self.geo.to_json());
        map
    }
}

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
    fn new(user_agent: Option<&str>, hints: Option<&ClientHints>) -> Self {
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

    fn get(&self, key: &str) -> Option<Val<'_>> {
        match key {
            "browserType" => Some(Val::Str(Cow::Borrowed(&self.browser_type))),
            "browserVersion" => Some(Val::Num(self.browser_version as f64)),
            "platform" => Some(Val::Str(Cow::Borrowed(self.platform))),
            "locale" => Some(Val::Str(Cow::Borrowed("en"))),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        json!({"browserType": self.browser_type, "platform": self.platform, "locale": "en", "browserVersion": self.browser_version})
    }
}

/// `geo.*`: country, region, city, latitude, longitude (absent values left out).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct GeoContext {
    pub(crate) country: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) city: Option<String>,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
}

impl GeoContext {
    fn new(geo: Option<&Geo>) -> Self {
        geo.map_or_else(Self::default, |geo| Self {
            country: geo.country_code.clone(),
            region: geo.state_code.clone(),
            city: geo.city.clone(),
            latitude: geo.latitude,
            longitude: geo.longitude,
        })
    }

    /// The value of `country`, `region`, `city`, `latitude` or `longitude`, as JSON.
    pub(crate) fn value(&self, key: &str) -> Option<Value> {
        self.get(key).map(|v| v.to_json())
    }

    fn get(&self, key: &str) -> Option<Val<'_>> {
        fn text(s: &Option<String>) -> Option<Val<'_>> {
            s.as_deref().map(|s| Val::Str(Cow::Borrowed(s)))
        }
        match key {
            "country" => text(&self.country),
            "region" => text(&self.region),
            "city" => text(&self.city),
            "latitude" => self.latitude.map(Val::Num),
            "longitude" => self.longitude.map(Val::Num),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        for key in ["country", "region", "city", "latitude", "longitude"] {
            if let Some(value) = self.value(key) {
                map.insert(key.to_owned(), value);
            }
        }
        Value::Object(map)
    }
}

struct BrowserMatcher {
    name: &'static str,
    regex: Regex,
    version_group: usize,
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
static BROWSERS: LazyLock<Vec<BrowserMatcher>> = LazyLock::new(|| {
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

static PLATFORMS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
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

fn major_version(version: &str) -> i64 {
    let digits: String = version
        .split('.')
        .next()
        .unwrap_or("")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(-1)
}

fn browser_from_user_agent(user_agent: &str) -> (&'static str, i64) {
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

fn platform_from_user_agent(user_agent: &str) -> &'static str {
    PLATFORMS
        .iter()
        .find(|(_, regex)| regex.is_match(user_agent))
        .map_or("unknown", |(name, _)| name)
}

/// Browser from `Sec-CH-UA` brands such as `"Google Chrome";v="99"`.
fn browser_from_client_hints(hints: &ClientHints) -> (&'static str, i64) {
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

fn platform_from_client_hints(hints: &ClientHints) -> &'static str {
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

/// `page.*` or `referring.*` for a URL: url, path, query, fragment, domain (the registrable
/// domain by the public-suffix list), subdomain (without a leading `www.`), topLevelDomain (the
/// public suffix), each also lower-cased as `*_lc`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct UrlContext {
    /// url, path, query, fragment, subdomain, domain, topLevelDomain.
    parts: [String; 7],
    /// The lower-cased parts, where they differ.
    lower: [Option<String>; 7],
}

const URL_KEYS: [&str; 7] = [
    "url",
    "path",
    "query",
    "fragment",
    "subdomain",
    "domain",
    "topLevelDomain",
];

impl UrlContext {
    pub(crate) fn new(url: Option<&str>) -> Self {
        let url = url.unwrap_or("");
        if url.is_empty() {
            return Self::default();
        }
        let (path, query, fragment, host) = match url::Url::parse(url) {
            Ok(parsed) => (
                parsed.path().to_owned(),
                parsed.query().unwrap_or("").to_owned(),
                parsed.fragment().unwrap_or("").to_owned(),
                parsed.host_str().unwrap_or("").to_owned(),
            ),
            Err(_) => Default::default(),
        };
        let (subdomain, domain, top_level_domain) = split_host(&host);
        let parts = [
            url.to_owned(),
            path,
            query,
            fragment,
            subdomain,
            domain,
            top_level_domain,
        ];
        let lower = parts.clone().map(|part| {
            if part.chars().any(char::is_uppercase) {
                Some(part.to_lowercase())
            } else {
                None
            }
        });
        Self { parts, lower }
    }

    /// `url`, `url_lc`, `domain`, ...
    fn get(&self, key: &str) -> Option<Val<'_>> {
        let (name, lower) = match key.strip_suffix("_lc") {
            Some(name) => (name, true),
            None => (key, false),
        };
        let (part, part_lower) = self
            .entries()
            .find(|(k, _, _)| *k == name)
            .map(|(_, p, l)| (p, l))?;
        let text = match part_lower {
            Some(part_lower) if lower => part_lower,
            _ => part,
        };
        Some(Val::Str(Cow::Borrowed(text)))
    }

    pub(crate) fn url(&self) -> &str {
        &self.parts[0]
    }

    pub(crate) fn domain(&self) -> &str {
        &self.parts[5]
    }

    /// (key, part, lower-cased part where it differs), in [`URL_KEYS`] order.
    fn entries(&self) -> impl Iterator<Item = (&'static str, &str, Option<&str>)> {
        URL_KEYS
            .iter()
            .zip(&self.parts)
            .zip(&self.lower)
            .map(|((key, part), lower)| (*key, part.as_str(), lower.as_deref()))
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (key, part, lower) in self.entries() {
            map.insert(key.to_owned(), Value::String(part.to_owned()));
            let lower = lower.unwrap_or(part).to_owned();
            map.insert(format!("{key}_lc"), Value::String(lower));
        }
        Value::Object(map)
    }
}

/// (subdomain, domain, top-level domain) of a host by the public-suffix list; a host with no
/// registrable domain (`localhost`, an IP address) is the domain itself.
fn split_host(host: &str) -> (String, String, String) {
    let is_ip = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
    let registrable = if is_ip { None } else { psl::domain_str(host) };
    let Some(domain) = registrable.filter(|d| d.len() < host.len() || *d == host) else {
        return (String::new(), host.to_owned(), String::new());
    };
    let suffix = psl::suffix_str(host).unwrap_or("");
    let subdomain = host
        .strip_suffix(domain)
        .map_or("", |s| s.trim_end_matches('.'));
    let subdomain = match subdomain.strip_prefix("www") {
        Some(rest) => rest.strip_prefix('.').unwrap_or(rest),
        None => subdomain,
    };
    (subdomain.to_owned(), domain.to_owned(), suffix.to_owned())
}

/// `mbox.*`: an item's parameters, read in place. `mbox.name` is the parameter `name`,
/// `mbox.favorite.color` the parameter `favorite.color`, and `*_lc` the lower-cased string value.
pub(crate) struct MboxContext<'r> {
    parameters: Option<&'r Parameters>,
    /// (name, value, lower-cased value where it differs) of the directly reachable parameters.
    direct: Vec<(&'r str, &'r Value, Option<String>)>,
    /// Whether some path can only be answered from the JSON form: dotted names (their object
    /// levels) or names ending in `_lc`.
    nested: bool,
    json: std::cell::OnceCell<Value>,
}

impl<'r> MboxContext<'r> {
    pub(crate) fn new(parameters: Option<&'r Parameters>) -> Self {
        let direct = parameters
            .into_iter()
            .flat_map(|p| p.0.iter())
            .filter(|(key, _)| !key.contains('.') || key.split('.').all(|s| !s.is_empty()))
            .map(|(key, value)| {
                let lower = value
                    .as_str()
                    .filter(|s| s.chars().any(char::is_uppercase))
                    .map(str::to_lowercase);
                (key.as_str(), value, lower)
            })
            .collect();
        let nested =
            parameters.is_some_and(|p| p.0.keys().any(|k| k.contains('.') || k.ends_with("_lc")));
        Self {
            parameters,
            direct,
            nested,
            json: std::cell::OnceCell::new(),
        }
    }

    pub(crate) fn lookup(&self, path: &[String]) -> Option<Val<'_>> {
        if let Some((last, parents)) = path.split_last() {
            let (leaf, lower) = match last.strip_suffix("_lc") {
                Some(leaf) => (leaf, true),
                None => (last.as_str(), false),
            };
            let wanted = parents
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(leaf));
            let named = |key: &str| {
                if parents.is_empty() {
                    key == leaf
                } else {
                    key.split('.').eq(wanted.clone())
                }
            };
            if let Some((_, value, lowered)) = self
                .direct
                .iter()
                .find(|(key, value, _)| named(key) && (!lower || value.is_string()))
            {
                return Some(match (lower, value) {
                    (true, Value::String(text)) => {
                        Val::Str(Cow::Borrowed(lowered.as_deref().unwrap_or(text)))
                    }
                    _ => Val::from_json(value),
                });
            }
        }
        // Object levels of dotted names, names that really end in `_lc`, the whole object.
        if self.nested || path.is_empty() {
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
fn mbox_context(parameters: Option<&Parameters>) -> Value {
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

fn insert_nested(map: &mut Map<String, Value>, segments: &[&str], value: &Value) {
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

fn insert_with_lower_case(map: &mut Map<String, Value>, key: &str, value: &Value) {
    if let Value::String(text) = value {
        map.insert(format!("{key}_lc"), Value::String(text.to_lowercase()));
    }
    map.insert(key.to_owned(), value.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(BROWSERS.len(), 7);
        assert!(BROWSERS.iter().all(|m| m.regex.as_str() != "$^"));
        assert_eq!(PLATFORMS.len(), 6);
    }

    #[test]
    fn browsers_and_platforms() {
        let cases = [
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.163 Safari/537.36",
                "chrome",
                80,
                "mac",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:73.0) Gecko/20100101 Firefox/73.0",
                "firefox",
                73,
                "mac",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0.5 Safari/605.1.15",
                "safari",
                13,
                "mac",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko",
                "ie",
                11,
                "windows",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
                "edge",
                120,
                "windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
                "mobile safari",
                17,
                "ios",
            ),
            (
                "Mozilla/5.0 (Linux; Android 12; SM-S908E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.41 Mobile Safari/537.36",
                "chrome",
                101,
                "android",
            ),
            ("curl/8.0", "unknown", -1, "unknown"),
        ];
        for (ua, browser, version, platform) in cases {
            let user = UserContext::new(Some(ua), None).to_json();
            assert_eq!(
                user,
                json!({"browserType": browser, "browserVersion": version, "platform": platform, "locale": "en"}),
                "{ua}"
            );
        }
        assert_eq!(
            UserContext::new(None, None).to_json()["browserType"],
            "unknown"
        );
    }

    #[test]
    fn client_hints_when_there_is_no_user_agent() {
        let hints: ClientHints = serde_json::from_value(json!({
            "platform": "macOS",
            "browserUAWithMajorVersion": "\" Not A;Brand\";v=\"99\", \"Chromium\";v=\"99\", \"Google Chrome\";v=\"99\""
        }))
        .expect("hints");
        assert_eq!(
            UserContext::new(None, Some(&hints)).to_json(),
            json!({"browserType": "chrome", "browserVersion": 99, "platform": "mac", "locale": "en"})
        );
    }

    #[test]
    fn urls_split_by_the_public_suffix_list() {
        let page = UrlContext::new(Some(
            "https://www.a.b.c.d.foo.com/help?Language=Javascript&fiz=buzz#bar",
        ))
        .to_json();
        assert_eq!(
            (
                page["domain"].as_str(),
                page["subdomain"].as_str(),
                page["topLevelDomain"].as_str()
            ),
            (Some("foo.com"), Some("a.b.c.d"), Some("com"))
        );
        assert_eq!(
            (
                page["path"].as_str(),
                page["query_lc"].as_str(),
                page["fragment"].as_str()
            ),
            (
                Some("/help"),
                Some("language=javascript&fiz=buzz"),
                Some("bar")
            )
        );
        let kyoto = UrlContext::new(Some("https://www.town.ide.kyoto.jp:8080/About")).to_json();
        assert_eq!(
            (
                kyoto["domain"].as_str(),
                kyoto["subdomain"].as_str(),
                kyoto["topLevelDomain"].as_str()
            ),
            (Some("town.ide.kyoto.jp"), Some(""), Some("ide.kyoto.jp"))
        );
        let beanstalk = UrlContext::new(Some(
            "https://test.wayne-enterprises.us-east-1.elasticbeanstalk.com",
        ))
        .to_json();
        assert_eq!(
            beanstalk["domain"],
            "wayne-enterprises.us-east-1.elasticbeanstalk.com"
        );
        assert_eq!(
            beanstalk["topLevelDomain"],
            "us-east-1.elasticbeanstalk.com"
        );
        assert_eq!(beanstalk["subdomain"], "test");
        let local = UrlContext::new(Some("http://local-target-test/")).to_json();
        assert_eq!(
            (
                local["domain"].as_str(),
                local["subdomain"].as_str(),
                local["topLevelDomain"].as_str()
            ),
            (Some("local-target-test"), Some(""), Some(""))
        );
        assert_eq!(UrlContext::new(Some("not a url")).to_json()["domain"], "");
        assert_eq!(UrlContext::new(None).to_json()["url"], "");
        assert_eq!(
            UrlContext::new(Some("http://127.0.0.1:8080/x")).to_json()["domain"],
            "127.0.0.1"
        );
    }

    #[test]
    fn mbox_parameters_with_dots_nest() {
        let parameters: Parameters = serde_json::from_value(json!({
            "favorite.pizza": "PINEAPPLE", "ignore..notation": true, "support.nested.notation": "JUST",
            ".best.coast": "WEST", "trailing.dots.": "bad", "one": 1, "kitty": "MeoW"
        }))
        .expect("parameters");
        assert_eq!(
            mbox_context(Some(&parameters)),
            json!({
                "favorite": {"pizza": "PINEAPPLE", "pizza_lc": "pineapple"},
                "ignore..notation": true,
                "support": {"nested": {"notation": "JUST", "notation_lc": "just"}},
                ".best.coast": "WEST", ".best.coast_lc": "west",
                "trailing.dots.": "bad", "trailing.dots._lc": "bad",
                "one": 1, "kitty": "MeoW", "kitty_lc": "meow"
            })
        );
    }

    #[test]
    fn mbox_lookups_read_parameters_in_place_with_the_same_meaning_as_the_json() {
        let parameters: Parameters = serde_json::from_value(json!({
            "favorite.pizza": "PINEAPPLE", "ignore..notation": true, "kitty": "MeoW", "one": 1, "plain_lc": "as named"
        }))
        .expect("parameters");
        let mbox = MboxContext::new(Some(&parameters));
        let get = |path: &str| {
            let path: Vec<String> = path.split('.').map(str::to_owned).collect();
            mbox.lookup(&path).map(|v| v.to_json())
        };
        assert_eq!(get("favorite.pizza"), Some(json!("PINEAPPLE")));
        assert_eq!(get("favorite.pizza_lc"), Some(json!("pineapple")));
        assert_eq!(
            get("favorite"),
            Some(json!({"pizza": "PINEAPPLE", "pizza_lc": "pineapple"}))
        );
        assert_eq!(get("kitty_lc"), Some(json!("meow")));
        assert_eq!(get("one"), Some(json!(1)));
        assert_eq!(get("one_lc"), None, "numbers have no lower-case copy");
        assert_eq!(get("plain_lc"), Some(json!("as named")));
        assert_eq!(
            get("ignore..notation"),
            None,
            "unreachable through a dotted path, as in json-logic-js"
        );
        assert_eq!(get("missing"), None);
        // Every path answers as the JSON form does.
        for path in [
            "favorite.pizza",
            "favorite.pizza_lc",
            "favorite",
            "kitty_lc",
            "one",
            "one_lc",
            "plain_lc",
            "ignore..notation",
            "missing",
        ] {
            let split: Vec<String> = path.split('.').map(str::to_owned).collect();
            assert_eq!(get(path), walk(mbox.json(), &split).cloned(), "{path}");
        }
    }

    #[test]
    fn timing_is_utc_with_monday_as_one() {
        let now: DateTime<Utc> = "2020-03-25T00:00:00Z".parse().expect("a time");
        let context = RequestContext::new(
            &serde_json::from_value(json!({"channel": "web"})).expect("context"),
            now,
        )
        .to_json(None);
        assert_eq!(context["current_timestamp"], 1_585_094_400_000_i64);
        assert_eq!(context["current_time"], "0000");
        assert_eq!(context["current_day"], 3);
    }
}
