//! The request context's tests: browsers, platforms, Client Hints and URLs against the
//! Node.js SDK's values, and mbox parameters.

use super::super::rules::walk;
use super::params::*;
use super::url::*;
use super::user_agent::*;
use super::*;
use crate::delivery::types::{ClientHints, Parameters};
use proptest::strategy::Strategy as _;

#[test]
fn every_pattern_compiles() {
    assert_eq!(BROWSERS.len(), 7);
    assert!(BROWSERS.iter().all(|m| m.regex.as_str() != "$^"));
    assert_eq!(HINTED_BROWSERS.len(), 4);
    assert!(HINTED_BROWSERS.iter().all(|m| m.regex.as_str() != "$^"));
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
            "iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 12; SM-S908E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.41 Mobile Safari/537.36",
            "chrome",
            101,
            "Android",
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

/// Each expected `user` is what the Node.js SDK 2.4.3 puts in its trace's context for the
/// same user agent and hints (`../shared/oracle/node_decide.js`, `trace` on).
#[test]
fn client_hints_combine_with_the_user_agent_as_in_node() {
    let cases = [
        (
            Some(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
            ),
            json!({"browserUAWithMajorVersion": "\"Microsoft Edge\";v=\"120\", \"Chromium\";v=\"120\""}),
            ("edge", 120, "iOS"),
        ),
        (
            Some(
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            ),
            json!({"platform": "Android", "browserUAWithFullVersion": "\"Not_A Brand\";v=\"8.0.0.0\", \"Chromium\";v=\"120.0.6099.210\", \"Google Chrome\";v=\"120.0.6099.210\""}),
            ("chrome", 120, "Android"),
        ),
        (
            Some(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            ),
            json!({"platform": "Windows", "browserUAWithMajorVersion": "\"Microsoft Edge\";v=\"121\", \"Google Chrome\";v=\"121\""}),
            ("chrome", 121, "windows"),
        ),
        (
            Some(
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            ),
            json!({"platform": "Chrome OS"}),
            ("chrome", 120, "Chrome OS"),
        ),
        (
            Some(""),
            json!({"platform": "macOS", "browserUAWithMajorVersion": "\"Firefox\";v=\"115\""}),
            ("firefox", 115, "mac"),
        ),
        (
            Some(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
            ),
            json!({"browserUAWithFullVersion": "", "browserUAWithMajorVersion": "\"Opera\";v=\"99\""}),
            ("firefox", 121, "windows"),
        ),
        (
            Some("curl/8.0"),
            json!({"platform": "", "browserUAWithMajorVersion": "\"Safari\";v=\".\""}),
            ("safari", -1, ""),
        ),
        (
            None,
            json!({"platform": "Linux", "browserUAWithMajorVersion": "\"chromium\";v=\"99\", \"google chrome\";v=\"99\""}),
            ("chrome", 99, "linux"),
        ),
    ];
    for (ua, hints, (browser, version, platform)) in cases {
        let hints: ClientHints = serde_json::from_value(hints).expect("hints");
        assert_eq!(
            UserContext::new(ua, Some(&hints)).to_json(),
            json!({"browserType": browser, "browserVersion": version, "platform": platform, "locale": "en"}),
            "{ua:?} {hints:?}"
        );
    }
}

/// Each expected row (path, query, fragment, subdomain, domain, topLevelDomain) is what the
/// Node.js SDK 2.4.3 puts in its trace's `page` context for the same URL.
#[test]
fn urls_split_as_in_node() {
    let cases = [
        (
            "http://local-target-test#sosumi",
            ["", "", "sosumi", "", "local-target-test", ""],
        ),
        (
            "http://local-target-test",
            ["", "", "", "", "local-target-test", ""],
        ),
        (
            "http://local-target-test?a=1",
            ["", "a=1", "", "", "local-target-test", ""],
        ),
        (
            "https://Foo.Example.co.uk:8080/A/b?X=1#F",
            ["/A/b", "X=1", "F", "foo", "example.co.uk", "co.uk"],
        ),
        (
            "local-target-test/x",
            ["/x", "", "", "", "local-target-test", ""],
        ),
        (
            "http://a.b.c.local-target-test.com./p",
            ["/p", "", "", "a.b.c", "local-target-test.com", "com"],
        ),
        (
            "https://wwwx.shop.example.com/a.b/c.html?q=1",
            ["/a.b/c.html", "q=1", "", ".shop", "example.com", "com"],
        ),
        (
            "https://www.example.com",
            ["", "", "", "", "example.com", "com"],
        ),
        (
            "https://user:pw@host.example.org:99/p/q/file.txt?x#y",
            ["/p/q/file.txt", "x", "y", "host", "example.org", "org"],
        ),
        (
            "//cdn.example.net/lib.js",
            ["/lib.js", "", "", "cdn", "example.net", "net"],
        ),
        (
            "mailto:someone@example.com",
            ["", "", "", "", "example.com", "com"],
        ),
        (
            "https://127.0.0.1:8080/x",
            ["/x", "", "", "", "127.0.0.1", ""],
        ),
        (
            "https://münchen.de/straße?ä=1",
            ["/straße", "ä=1", "", "", "münchen.de", "de"],
        ),
        (
            "https://xn--mnchen-3ya.de/",
            ["/", "", "", "", "xn--mnchen-3ya.de", "de"],
        ),
        (
            "https://foo.bar.local/x",
            ["/x", "", "", "", "foo.bar.local", ""],
        ),
        (
            "https://a_b.example.com/",
            ["/", "", "", "", "a_b.example.com", ""],
        ),
        (
            "https://-a.example.com/",
            ["/", "", "", "", "-a.example.com", ""],
        ),
        (
            "https://example.com:abc/x",
            ["abc", "", "", "", "example.com", "com"],
        ),
        (
            "https://ex ample.com/ x",
            ["/ x", "", "", "", "ex ample.com", ""],
        ),
        (
            "https://foo.blogspot.com/",
            ["/", "", "", "", "foo.blogspot.com", "blogspot.com"],
        ),
        ("https://www.ck/", ["/", "", "", "", "www.ck", "ck"]),
        (
            "https://a.b.kawasaki.jp/",
            ["/", "", "", "", "a.b.kawasaki.jp", "b.kawasaki.jp"],
        ),
        (
            "http://localhost:3000/x/y.z",
            ["/x/y.z", "", "", "", "localhost", ""],
        ),
        (
            "/relative/path?x=1",
            ["/relative/path", "x=1", "", "", "", ""],
        ),
        ("?only=query", ["", "only=query", "", "", "", ""]),
        ("#frag", ["", "", "frag", "", "", ""]),
        (
            "https://EXAMPLE.COM/Path#Frag\nnext",
            ["/Path", "", "Frag", "", "example.com", "com"],
        ),
    ];
    for (url, expected) in cases {
        let page = UrlContext::new(Some(url)).to_json();
        // Every part but the URL itself, in `URL_KEYS` order.
        let got: Vec<String> = URL_KEYS[1..]
            .iter()
            .map(|key| page[*key].as_str().unwrap_or("<missing>").to_owned())
            .collect();
        assert_eq!(got, expected, "{url:?}");
    }
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
    // Node takes a string without a scheme or slash for a host.
    assert_eq!(
        UrlContext::new(Some("not a url")).to_json()["domain"],
        "not a url"
    );
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

/// A parameter name or a path after `mbox.`: one to three segments, some empty, some ending in
/// `_lc`, some upper-case, some array indexes.
fn mbox_name() -> impl proptest::strategy::Strategy<Value = String> {
    let segment = proptest::sample::select(vec!["a", "b", "A", "a_lc", "b_lc", "", "_lc", "0"]);
    proptest::collection::vec(segment, 1..4).prop_map(|segments| segments.join("."))
}

proptest::proptest! {
    /// Reading a parameter in place answers what the JSON form rules see answers, for any
    /// names and paths (dotted, empty segments, `_lc` in the name or the path).
    #[test]
    fn mbox_lookups_answer_as_the_json_form(
        parameters in proptest::collection::vec(
            (mbox_name(), proptest::sample::select(vec![
                json!("MeoW"), json!("low"), json!(1), json!(true), json!({"a": "X"}), json!(["A"]),
            ])),
            0..4,
        ),
        path in mbox_name(),
    ) {
        let parameters: Parameters = serde_json::from_value(Value::Object(
            parameters.into_iter().collect(),
        ))
        .expect("parameters");
        let mbox = MboxContext::new(Some(&parameters));
        let split: Vec<String> = path.split('.').map(str::to_owned).collect();
        proptest::prop_assert_eq!(
            mbox.lookup(&split).map(|v| v.to_json()),
            walk(mbox.json(), &split).cloned(),
            "{:?} at {}", parameters, path
        );
    }
}
