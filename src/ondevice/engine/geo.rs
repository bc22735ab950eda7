//! Geo for on-device decisions: from the request, from an IP lookup at the CDN, or from the
//! headers of an artifact download.

use serde_json::Value;

use crate::delivery::types::Geo;

/// The IP placeholder at.js sends when it does not know the visitor's address.
pub(crate) const UNKNOWN_IP_ADDRESS: &str = "unknownIpAddress";

/// The header (or geo-lookup key) for each geo value.
pub(crate) const FORWARDED_FOR: &str = "x-forwarded-for";
const LATITUDE: &str = "x-geo-latitude";
const LONGITUDE: &str = "x-geo-longitude";
const COUNTRY: &str = "x-geo-country-code";
const REGION: &str = "x-geo-region-code";
const CITY: &str = "x-geo-city";

/// Reads geo values from headers or a lookup payload, through `get(name)`.
pub(crate) fn geo_from(get: impl Fn(&str) -> Option<Value>) -> Geo {
    let text = |name: &str| match get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let number = |name: &str| {
        text(name)
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite())
    };
    Geo {
        ip_address: text(FORWARDED_FOR),
        latitude: number(LATITUDE),
        longitude: number(LONGITUDE),
        country_code: text(COUNTRY),
        state_code: text(REGION),
        city: text(CITY),
        ..Geo::default()
    }
}

/// Whether any geo value is present (not counting the IP address).
pub(crate) fn has_location(geo: &Geo) -> bool {
    geo.latitude.is_some()
        || geo.longitude.is_some()
        || geo.country_code.is_some()
        || geo.state_code.is_some()
        || geo.city.is_some()
}

/// The address in `text`, as the lookup's `x-forwarded-for` value: only a parsed IP address,
/// written out by the parser, ever reaches that header.
fn parsed_ip(text: &str) -> Option<String> {
    text.trim()
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

/// What to do about the request's geo before deciding: the geo to keep (an invalid IP address
/// is dropped) and, when the artifact targets by geo and the request has an IP address but no
/// location, the address to look up (`Some(None)` for the unknown-address placeholder).
pub(crate) fn plan(geo: Option<Geo>, geo_targeting_enabled: bool) -> (Geo, Option<Option<String>>) {
    let mut kept = geo.unwrap_or_default();
    let unknown = kept.ip_address.as_deref() == Some(UNKNOWN_IP_ADDRESS);
    let ip = kept.ip_address.as_deref().and_then(parsed_ip);
    if ip.is_none() {
        kept.ip_address = None;
    }
    let lookup = (geo_targeting_enabled && (unknown || ip.is_some()) && !has_location(&kept))
        .then_some(if unknown { None } else { ip });
    (kept, lookup)
}

/// Fills in the looked-up values, keeping what the request had.
pub(crate) fn merge(mut geo: Geo, found: Geo) -> Geo {
    geo.latitude = geo.latitude.or(found.latitude);
    geo.longitude = geo.longitude.or(found.longitude);
    geo.country_code = geo.country_code.or(found.country_code);
    geo.state_code = geo.state_code.or(found.state_code);
    geo.city = geo.city.or(found.city);
    geo
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plans_lookups_like_the_peers() {
        let with_ip = Geo {
            ip_address: Some("127.0.0.1".into()),
            ..Default::default()
        };
        assert_eq!(
            plan(Some(with_ip.clone()), true).1,
            Some(Some("127.0.0.1".into()))
        );
        assert_eq!(
            plan(Some(with_ip.clone()), false).1,
            None,
            "geo targeting is off"
        );
        let placeholder = Geo {
            ip_address: Some(UNKNOWN_IP_ADDRESS.into()),
            ..Default::default()
        };
        let (kept, lookup) = plan(Some(placeholder.clone()), true);
        assert_eq!((kept.ip_address, lookup), (None, Some(None)));
        let located = Geo {
            ip_address: Some("::1".into()),
            city: Some("Paris".into()),
            ..Default::default()
        };
        assert_eq!(
            plan(Some(located.clone()), true).1,
            None,
            "the request has a location"
        );
        let bad_ip = Geo {
            ip_address: Some("999.1.1.1".into()),
            ..Default::default()
        };
        assert_eq!(plan(Some(bad_ip.clone()), true), (Geo::default(), None));
        assert_eq!(plan(None, true), (Geo::default(), None));
    }

    #[test]
    fn only_a_parsed_address_is_looked_up() {
        let with = |ip: &str| Geo {
            ip_address: Some(ip.into()),
            ..Default::default()
        };
        assert_eq!(
            plan(Some(with(" 10.0.0.1 ")), true).1,
            Some(Some("10.0.0.1".into()))
        );
        for hostile in [
            "10.0.0.1\r\nhost: evil.example",
            "10.0.0.1, 6.6.6.6",
            "evil.example",
            "../../etc/passwd",
        ] {
            let (kept, lookup) = plan(Some(with(hostile)), true);
            assert_eq!((kept.ip_address, lookup), (None, None), "{hostile:?}");
        }
    }

    #[test]
    fn reads_lookup_payloads_and_merges() {
        let payload = json!({"x-geo-longitude": -122.4, "x-geo-latitude": "37.75", "x-geo-city": "SAN FRANCISCO",
            "x-geo-region-code": "CA", "x-geo-country-code": "US", "x-geo-zip": 1});
        let found = geo_from(|k| payload.get(k).cloned());
        assert_eq!(
            (found.latitude, found.longitude),
            (Some(37.75), Some(-122.4))
        );
        let merged = merge(
            Geo {
                city: Some("Oakland".into()),
                ..Default::default()
            },
            found,
        );
        assert_eq!(
            (merged.city.as_deref(), merged.state_code.as_deref()),
            (Some("Oakland"), Some("CA"))
        );
    }
}
