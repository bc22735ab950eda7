//! The rule context: what Target's audience rules can look at (browser, page, referrer, geo,
//! time, mbox parameters), built once per request.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Timelike, Utc};
use regex::Regex;
use serde_json::{Map, Value, json};

use crate::delivery::types::{ClientHints, Context, Geo, Parameters};

/// The whole-request part of the rule context, as JSON (rules read it through `var`).
pub(crate) fn decisioning_context(context: &Context, now: DateTime<Utc>) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(
        "current_timestamp".to_owned(),
        json!(now.timestamp_millis()),
    );
    map.insert(
        "current_time".to_owned(),
        json!(format!("{:02}{:02}", now.hour(), now.minute())),
    );
    // 1 = Monday ... 7 = Sunday.
    map.insert(
        "current_day".to_owned(),
        json!(now.weekday().number_from_monday()),
    );
    map.insert(
        "user".to_owned(),
        user_context(context.user_agent.as_deref(), context.client_hints.as_ref()),
    );
    let address = context.address.as_ref();
    map.insert(
        "page".to_owned(),
        url_context(address.and_then(|a| a.url.as_deref())),
    );
    map.insert(
        "referring".to_owned(),
        url_context(address.and_then(|a| a.referring_url.as_deref())),
    );
    map.insert("geo".to_owned(), geo_context(context.geo.as_ref()));
    map
}

/// `user.*`: browser type and major version, platform, locale.
fn user_context(user_agent: Option<&str>, hints: Option<&ClientHints>) -> Value {
    let (browser, version, platform) = match (user_agent.filter(|ua| !ua.is_empty()), hints) {
        (Some(ua), _) => {
            let (browser, version) = browser_from_user_agent(ua);
            (browser, version, platform_from_user_agent(ua))
        }
        (None, Some(hints)) => {
            let (browser, version) = browser_from_client_hints(hints);
            (browser, version, platform_from_client_hints(hints))
        }
        (None, None) => ("unknown".to_owned(), -1, "unknown"),
    };
    json!({"browserType": browser, "platform": platform, "locale": "en", "browserVersion": version})
}

struct BrowserMatcher {
    name: &'static str,
    regex: Regex,
    version_group: usize,
}

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

fn browser_from_user_agent(user_agent: &str) -> (String, i64) {
    for matcher in BROWSERS.iter() {
        if let Some(captures) = matcher.regex.captures(user_agent) {
            let version = captures
                .get(matcher.version_group)
                .map_or(-1, |m| major_version(m.as_str()));
            return (matcher.name.to_owned(), version);
        }
    }
    ("unknown".to_owned(), -1)
}

fn platform_from_user_agent(user_agent: &str) -> &'static str {
    PLATFORMS
        .iter()
        .find(|(_, regex)| regex.is_match(user_agent))
        .map_or("unknown", |(name, _)| name)
}

/// Browser from `Sec-CH-UA` brands such as `"Google Chrome";v="99"`.
fn browser_from_client_hints(hints: &ClientHints) -> (String, i64) {
    let brands = hints
        .browser_ua_with_full_version
        .as_deref()
        .or(hints.browser_ua_with_major_version.as_deref());
    let Some(brands) = brands else {
        return ("unknown".to_owned(), -1);
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
                return (name.to_owned(), version);
            }
        }
    }
    ("unknown".to_owned(), -1)
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
pub(crate) fn url_context(url: Option<&str>) -> Value {
    let url = url.unwrap_or("");
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
    let mut map = Map::new();
    for (key, value) in [
        ("url", url),
        ("path", path.as_str()),
        ("query", query.as_str()),
        ("fragment", fragment.as_str()),
        ("subdomain", subdomain.as_str()),
        ("domain", domain.as_str()),
        ("topLevelDomain", top_level_domain.as_str()),
    ] {
        map.insert(format!("{key}_lc"), Value::String(value.to_lowercase()));
        map.insert(key.to_owned(), Value::String(value.to_owned()));
    }
    Value::Object(map)
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

/// `geo.*`: country, region, city, latitude, longitude (absent values left out).
fn geo_context(geo: Option<&Geo>) -> Value {
    let mut map = Map::new();
    if let Some(geo) = geo {
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                map.insert(key.to_owned(), value);
            }
        };
        put("country", geo.country_code.clone().map(Value::String));
        put("region", geo.state_code.clone().map(Value::String));
        put("city", geo.city.clone().map(Value::String));
        put(
            "latitude",
            geo.latitude
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
        );
        put(
            "longitude",
            geo.longitude
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
        );
    }
    Value::Object(map)
}

/// `mbox.*`: the parameters, with `_lc` copies of string values; dotted names such as
/// `favorite.color` become nested objects (`mbox.favorite.color`) unless a segment is empty.
pub(crate) fn mbox_context(parameters: Option<&Parameters>) -> Value {
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
            let user = user_context(Some(ua), None);
            assert_eq!(
                user,
                json!({"browserType": browser, "browserVersion": version, "platform": platform, "locale": "en"}),
                "{ua}"
            );
        }
        assert_eq!(user_context(None, None)["browserType"], "unknown");
    }

    #[test]
    fn client_hints_when_there_is_no_user_agent() {
        let hints: ClientHints = serde_json::from_value(json!({
            "platform": "macOS",
            "browserUAWithMajorVersion": "\" Not A;Brand\";v=\"99\", \"Chromium\";v=\"99\", \"Google Chrome\";v=\"99\""
        }))
        .expect("hints");
        assert_eq!(
            user_context(None, Some(&hints)),
            json!({"browserType": "chrome", "browserVersion": 99, "platform": "mac", "locale": "en"})
        );
    }

    #[test]
    fn urls_split_by_the_public_suffix_list() {
        let page = url_context(Some(
            "https://www.a.b.c.d.foo.com/help?Language=Javascript&fiz=buzz#bar",
        ));
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
        let kyoto = url_context(Some("https://www.town.ide.kyoto.jp:8080/About"));
        assert_eq!(
            (
                kyoto["domain"].as_str(),
                kyoto["subdomain"].as_str(),
                kyoto["topLevelDomain"].as_str()
            ),
            (Some("town.ide.kyoto.jp"), Some(""), Some("ide.kyoto.jp"))
        );
        let beanstalk = url_context(Some(
            "https://test.wayne-enterprises.us-east-1.elasticbeanstalk.com",
        ));
        assert_eq!(
            beanstalk["domain"],
            "wayne-enterprises.us-east-1.elasticbeanstalk.com"
        );
        assert_eq!(
            beanstalk["topLevelDomain"],
            "us-east-1.elasticbeanstalk.com"
        );
        assert_eq!(beanstalk["subdomain"], "test");
        let local = url_context(Some("http://local-target-test/"));
        assert_eq!(
            (
                local["domain"].as_str(),
                local["subdomain"].as_str(),
                local["topLevelDomain"].as_str()
            ),
            (Some("local-target-test"), Some(""), Some(""))
        );
        assert_eq!(url_context(Some("not a url"))["domain"], "");
        assert_eq!(url_context(None)["url"], "");
        assert_eq!(
            url_context(Some("http://127.0.0.1:8080/x"))["domain"],
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
    fn timing_is_utc_with_monday_as_one() {
        let now: DateTime<Utc> = "2020-03-25T00:00:00Z".parse().expect("a time");
        let context = decisioning_context(
            &serde_json::from_value(json!({"channel": "web"})).expect("context"),
            now,
        );
        assert_eq!(context["current_timestamp"], 1_585_094_400_000_i64);
        assert_eq!(context["current_time"], "0000");
        assert_eq!(context["current_day"], 3);
    }
}
