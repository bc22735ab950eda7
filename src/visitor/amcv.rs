//! The `AMCV_<orgId>` cookie the Experience Cloud ID service sets, read as
//! `@adobe-mcid/visitor-js-server` reads it.
//!
//! The value is URI-encoded; decoded, it is `|`-separated: an optional settings digest (digits
//! and `-`) and then `KEY[-EXPIRY]|VALUE` pairs (`MCMID|1234...|MCAAMLH-1700000000|9`). Like the
//! reference library, the reader takes the values whether or not they have expired: the ID
//! service decides that, not Target.

use std::collections::HashMap;

/// The values Target uses from the cookie.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct VisitorValues {
    /// `MCMID`: the Experience Cloud id.
    pub(crate) mcmid: Option<String>,
    /// `MCAAMB`: the Audience Manager blob.
    pub(crate) aam_blob: Option<String>,
    /// `MCAAMLH`: the Audience Manager location hint, as text.
    pub(crate) aam_location_hint: Option<String>,
}

impl VisitorValues {
    /// Reads a cookie value. A value that does not decode (bad `%` escapes, not UTF-8) has no
    /// values, with a `debug` line giving only its length: the cookie is the visitor's input.
    pub(crate) fn parse(cookie: &str) -> Self {
        if cookie.is_empty() || cookie == "T" {
            return Self::default();
        }
        let Some(decoded) = decode_uri_component(cookie) else {
            tracing::debug!(
                length = cookie.len(),
                "the AMCV cookie does not decode; no Experience Cloud id is read from it"
            );
            return Self::default();
        };
        let mut parts: Vec<&str> = decoded.split('|').collect();
        let has_digest = parts
            .first()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
        if has_digest {
            parts.remove(0);
            if parts.len() % 2 == 1 {
                parts.pop();
            }
        }
        let mut fields: HashMap<&str, Option<&str>> = HashMap::new();
        for pair in parts.chunks(2) {
            let key = pair.first().and_then(|k| k.split('-').next());
            fields.insert(key.unwrap_or_default(), pair.get(1).copied());
        }
        let value = |key: &str| fields.get(key).copied().flatten().map(str::to_owned);
        Self {
            mcmid: value("MCMID"),
            aam_blob: value("MCAAMB"),
            aam_location_hint: value("MCAAMLH"),
        }
    }

    /// The location hint as JavaScript's `parseInt(text, 10)` reads it: leading white space, an
    /// optional sign, then digits; no digits is no hint.
    pub(crate) fn aam_location_hint_number(&self) -> Option<i32> {
        let text = self.aam_location_hint.as_deref()?.trim_start();
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let end = digits.bytes().take_while(u8::is_ascii_digit).count();
        let value: i64 = digits.get(..end)?.parse().ok()?;
        i32::try_from(if negative { -value } else { value }).ok()
    }
}

/// JavaScript's `decodeURIComponent`: `%XX` escapes of UTF-8; `None` where it would throw.
fn decode_uri_component(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let malformed = bytes.iter().enumerate().any(|(i, b)| {
        *b == b'%'
            && !bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if malformed {
        return None;
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_values_with_or_without_a_settings_digest() {
        let with_digest = VisitorValues::parse(
            "-1330315163%7CMCIDTS%7C19731%7CMCMID%7C123456789012345678901234567890123456%7CMCAAMLH-1705434812%7C9%7CMCAAMB-1705434812%7Cj8Odv6LonN4r3an7LhD3WZrU1bUpAkFkkiY1ncBR96t2PTI%7CMCOPTOUT-1704837212s%7CNONE%7CvVersion%7C5.5.0",
        );
        assert_eq!(
            with_digest,
            VisitorValues {
                mcmid: Some("123456789012345678901234567890123456".into()),
                aam_blob: Some("j8Odv6LonN4r3an7LhD3WZrU1bUpAkFkkiY1ncBR96t2PTI".into()),
                aam_location_hint: Some("9".into()),
            }
        );
        assert_eq!(with_digest.aam_location_hint_number(), Some(9));
        let plain = VisitorValues::parse("MCMID|42|MCAAMLH-99|7x");
        assert_eq!(plain.mcmid.as_deref(), Some("42"));
        assert_eq!(plain.aam_location_hint_number(), Some(7));
        // A key without a value is no value; the last of a repeated key wins.
        let odd = VisitorValues::parse("MCMID|1|MCMID|2|MCAAMB");
        assert_eq!((odd.mcmid.as_deref(), odd.aam_blob), (Some("2"), None));
    }

    #[test]
    fn hostile_values_give_nothing_and_never_panic() {
        for cookie in [
            "",
            "T",
            "%",
            "%zz|MCMID|1",
            "%C3",
            "|||",
            "-",
            "MCMID",
            "\u{0}|MCMID|\u{0}",
        ] {
            let values = VisitorValues::parse(cookie);
            assert!(values.aam_location_hint_number().is_none(), "{cookie:?}");
        }
        assert_eq!(
            VisitorValues::parse("%zz|MCMID|1"),
            VisitorValues::default()
        );
        assert_eq!(
            VisitorValues {
                aam_location_hint: Some("  -12abc".into()),
                ..Default::default()
            }
            .aam_location_hint_number(),
            Some(-12)
        );
        assert_eq!(
            VisitorValues {
                aam_location_hint: Some("99999999999".into()),
                ..Default::default()
            }
            .aam_location_hint_number(),
            None
        );
    }
}
