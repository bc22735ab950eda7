//! `page.*` and `referring.*`: a URL's parts, with public-suffix domains.

use std::borrow::Cow;

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

/// (subdomain, domain, top-level domain) of a host by the public-suffix list; a host with no
/// registrable domain (`localhost`, an IP address) is the domain itself.
pub(super) fn split_host(host: &str) -> (String, String, String) {
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
