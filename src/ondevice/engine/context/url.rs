//! `page.*` and `referring.*`: a URL's parts, with public-suffix domains.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::super::rules::Val;

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

pub(super) const URL_KEYS: [&str; 7] = [
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
        let parts = UriParts::of(url);
        let (subdomain, domain, top_level_domain) = split_host(parts.host);
        let parts = [
            url.to_owned(),
            parts.path.to_owned(),
            parts.query.to_owned(),
            parts.fragment.to_owned(),
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
    pub(super) fn get(&self, key: &str) -> Option<Val<'_>> {
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
    pub(super) fn entries(&self) -> impl Iterator<Item = (&'static str, &str, Option<&str>)> {
        URL_KEYS
            .iter()
            .zip(&self.parts)
            .zip(&self.lower)
            .map(|((key, part), lower)| (*key, part.as_str(), lower.as_deref()))
    }

    pub(super) fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (key, part, lower) in self.entries() {
            map.insert(key.to_owned(), Value::String(part.to_owned()));
            let lower = lower.unwrap_or(part).to_owned();
            map.insert(format!("{key}_lc"), Value::String(lower));
        }
        Value::Object(map)
    }
}

/// A URL split as the Node.js SDK splits it: Steven Levithan's parseUri in loose mode, whose
/// answers differ from a WHATWG parser's (`http://host` has the path `""`, not `/`; a URL
/// without a scheme still has a host).
struct UriParts<'a> {
    host: &'a str,
    path: &'a str,
    query: &'a str,
    fragment: &'a str,
}

/// parseUri's loose pattern, with JavaScript's `\d` and `.` spelled out (Rust's are Unicode-wide).
static LOOSE_URI: LazyLock<Option<fancy_regex::Regex>> = LazyLock::new(|| {
    fancy_regex::Regex::new(concat!(
        r"^(?:(?![^:@]+:[^:@/]*@)([^:/?#.]+):)?(?://)?",
        r"((?:(([^:@]*)(?::([^:@]*))?)?@)?([^:/?#]*)(?::([0-9]*))?)",
        r"(((/(?:[^?#](?![^?#/]*\.[^?#/.]+(?:[?#]|$)))*/?)?([^?#/]*))",
        r"(?:\?([^#]*))?(?:#([^\n\r\u{2028}\u{2029}]*))?)",
    ))
    .ok()
});

impl<'a> UriParts<'a> {
    fn of(url: &'a str) -> Self {
        let captures = LOOSE_URI
            .as_ref()
            .and_then(|pattern| pattern.captures(url).ok().flatten());
        let part = |group: usize| {
            captures
                .as_ref()
                .and_then(|c| c.get(group))
                .map_or("", |m| m.as_str())
        };
        Self {
            host: part(6),
            path: part(9),
            query: part(12),
            fragment: part(13),
        }
    }
}

/// (subdomain, domain, top-level domain) of a host, as the Node.js SDK splits it with the `psl`
/// package: a host under a listed public suffix is split by the list (lower-cased, a trailing
/// dot dropped, a subdomain starting with `www` losing its first four characters); any other
/// host, an IP address or a name under `.local`, is the domain itself, as given.
pub(super) fn split_host(host: &str) -> (String, String, String) {
    listed_split(host).unwrap_or_else(|| (String::new(), host.to_owned(), String::new()))
}

fn listed_split(host: &str) -> Option<(String, String, String)> {
    let lower = host.to_lowercase();
    let name = lower.strip_suffix('.').unwrap_or(&lower);
    let ascii = idna::domain_to_ascii(name).ok()?;
    if !valid_host_name(&ascii) || name.rsplit('.').next() == Some("local") {
        return None;
    }
    let suffix = psl::suffix(ascii.as_bytes()).filter(psl::Suffix::is_known)?;
    let suffix_labels = suffix.as_bytes().split(|b| *b == b'.').count();
    let labels: Vec<&str> = name.split('.').collect();
    let private = labels.len().checked_sub(suffix_labels)?.checked_sub(1)?;
    let punycode = |part: String| {
        if name.contains("xn--") {
            idna::domain_to_ascii(&part).unwrap_or(part)
        } else {
            part
        }
    };
    let (subdomain, registrable) = labels.split_at_checked(private)?;
    let top_level_domain = registrable.get(1..)?.join(".");
    let domain = punycode(registrable.join("."));
    let subdomain = punycode(subdomain.join("."));
    let subdomain = if subdomain.starts_with("www") {
        subdomain.get(4..).unwrap_or("").to_owned()
    } else {
        subdomain
    };
    Some((subdomain, domain, top_level_domain))
}

/// The `psl` package's rules for a name it splits: 1 to 255 characters, labels of 1 to 63 of
/// `a-z`, `0-9` and `-`, not starting or ending with `-`.
fn valid_host_name(ascii: &str) -> bool {
    (1..=255).contains(&ascii.len())
        && ascii.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}
