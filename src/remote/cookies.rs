//! The `mbox` and `mboxEdgeCluster` cookies that carry a visitor's Target session, id and edge
//! cluster between page views.
//!
//! The `mbox` value is a `|`-separated list of `name#value#expires` entries (name and value
//! URI-encoded, expiry in seconds since the UNIX epoch); the SDK reads `session` and `PC` from it
//! and writes both back after every call.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::edge::EdgeCluster;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The name of the cookie that holds the visitor's session and Target id.
pub const TARGET_COOKIE_NAME: &str = "mbox";
/// The name of the cookie that holds the visitor's edge cluster.
pub const LOCATION_HINT_COOKIE_NAME: &str = "mboxEdgeCluster";

/// The session entry lives 31 minutes: Target keeps a session 30 minutes after the last call.
pub(crate) const SESSION_TTL_SECS: i64 = 1860;
/// The `PC` (Target id) entry lives 732 days.
pub(crate) const DEVICE_ID_TTL_SECS: i64 = 63_244_800;
/// The edge cluster cookie lives as long as a session.
pub(crate) const LOCATION_HINT_TTL_SECS: i64 = 1860;
/// A longer cookie value is not parsed: browsers cap cookies at 4 KiB.
pub(crate) const MAX_COOKIE_LEN: usize = 8192;

/// The characters `encodeURIComponent` leaves alone, as the other Target SDKs encode entries.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Whether `URI_COMPONENT` leaves a byte alone, by byte: one load a byte where the checks
/// of `AsciiSet` take several.
// Indexing in a constant cannot panic at run time: out of bounds fails the build.
#[allow(clippy::indexing_slicing)]
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = matches!(byte as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
            | b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')');
        byte += 1;
    }
    table
};

/// Whether `URI_COMPONENT` leaves `byte` alone.
fn unreserved(byte: u8) -> bool {
    UNRESERVED.get(usize::from(byte)).is_some_and(|&left| left)
}

/// A cookie to set on the visitor's browser.
///
/// ```
/// use adobe_target::TargetCookie;
/// let cookie = TargetCookie { name: "mbox".into(), value: "session#abc#1700001860".into(), max_age: 1860 };
/// assert_eq!(cookie.to_string(), "mbox=session#abc#1700001860; Max-Age=1860; Path=/");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TargetCookie {
    /// The cookie name: `mbox` or `mboxEdgeCluster` (borrowed from the SDK's constants, not
    /// copied per response).
    pub name: Cow<'static, str>,
    /// The cookie value.
    pub value: String,
    /// How long the browser keeps it, in seconds.
    pub max_age: u64,
}

impl std::fmt::Display for TargetCookie {
    /// The cookie as a `Set-Cookie` header value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}={}; Max-Age={}; Path=/",
            self.name, self.value, self.max_age
        )
    }
}

/// The live entries of an `mbox` cookie, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MboxCookie {
    entries: BTreeMap<String, String>,
}

impl MboxCookie {
    /// Parses a cookie value, keeping the entries that are well formed and not expired at `now`
    /// (seconds since the epoch). Malformed input gives fewer entries, never an error.
    pub(crate) fn parse(value: &str, now: i64) -> Self {
        let mut entries = BTreeMap::new();
        if value.len() > MAX_COOKIE_LEN {
            tracing::debug!(len = value.len(), "ignoring an oversized mbox cookie");
            return Self { entries };
        }
        for entry in value.split('|') {
            let mut parts = entry.split('#');
            let (Some(name), Some(value), Some(expires)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(expires) = expires.trim().parse::<i64>() else {
                continue;
            };
            if now > expires {
                continue;
            }
            let (Ok(name), Ok(value)) = (decode(name), decode(value)) else {
                continue;
            };
            if !name.is_empty() {
                entries.insert(name, value);
            }
        }
        Self { entries }
    }

    /// The value of the `session` entry.
    pub(crate) fn session_id(&self) -> Option<&str> {
        self.get("session")
    }

    /// The value of the `PC` entry: the visitor's Target id (`tntId`).
    pub(crate) fn device_id(&self) -> Option<&str> {
        self.get("PC")
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

fn decode(text: &str) -> Result<String, std::str::Utf8Error> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|v| v.into_owned())
}

/// Appends the entry `name#{value, URI-encoded}#expires` to a cookie value.
fn push_entry(cookie: &mut String, name: &str, value: &str, expires: i64) {
    cookie.push_str(name);
    cookie.push('#');
    // Ids need no encoding: checked a byte at a time, then copied at once.
    if value.bytes().all(unreserved) {
        cookie.push_str(value);
    } else {
        cookie.extend(utf8_percent_encode(value, URI_COMPONENT));
    }
    cookie.push('#');
    cookie.push_str(itoa::Buffer::new().format(expires));
}

/// The `mbox` cookie to write after a call: the session, and the Target id when known (written
/// into one `String`, sized for ids that need no encoding).
pub(crate) fn target_cookie(session_id: &str, tnt_id: Option<&str>, now: i64) -> TargetCookie {
    let tnt_id = tnt_id.filter(|id| !id.is_empty());
    // `session##` and `|PC##`, each with an expiry of at most 20 digits.
    let capacity = 9 + session_id.len() + 20 + tnt_id.map_or(0, |id| 5 + id.len() + 20);
    let mut value = String::with_capacity(capacity);
    let session_expires = now + SESSION_TTL_SECS;
    push_entry(&mut value, "session", session_id, session_expires);
    let mut max_expires = session_expires;
    if let Some(tnt_id) = tnt_id {
        let expires = now + DEVICE_ID_TTL_SECS;
        push_entry(&mut value, "|PC", tnt_id, expires);
        max_expires = expires;
    }
    TargetCookie {
        name: Cow::Borrowed(TARGET_COOKIE_NAME),
        value,
        max_age: u64::try_from(max_expires - now).unwrap_or(0),
    }
}

/// The `mboxEdgeCluster` cookie for a cluster (only a parsed cluster id can be its value).
pub(crate) fn location_hint_cookie(cluster: &EdgeCluster) -> TargetCookie {
    TargetCookie {
        name: Cow::Borrowed(LOCATION_HINT_COOKIE_NAME),
        value: cluster.as_str().to_owned(),
        max_age: LOCATION_HINT_TTL_SECS as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn unreserved_bytes_are_what_the_encoding_leaves_alone() {
        for byte in 0..=255u8 {
            let text = [byte];
            let left_alone = std::str::from_utf8(&text)
                .is_ok_and(|text| utf8_percent_encode(text, URI_COMPONENT).to_string() == text);
            assert_eq!(unreserved(byte), left_alone, "{byte}");
        }
        // Both paths of an entry: an id as it is, anything else encoded.
        let cookie = target_cookie("a-b_c.1", Some("x y/é"), NOW);
        assert!(
            cookie.value.starts_with("session#a-b_c.1#"),
            "{}",
            cookie.value
        );
        assert!(
            cookie.value.contains("|PC#x%20y%2F%C3%A9#"),
            "{}",
            cookie.value
        );
    }

    #[test]
    fn parses_live_entries_and_drops_expired_and_malformed_ones() {
        let value = format!(
            "session#abc#{}|PC#def.28_0#{}|old#x#{}|broken#1|bad#y#soon|#z#{}|enc%20name#a%2Fb#{}",
            NOW + 10,
            NOW + 100,
            NOW - 1,
            NOW + 5,
            NOW + 5
        );
        let cookie = MboxCookie::parse(&value, NOW);
        assert_eq!(cookie.session_id(), Some("abc"));
        assert_eq!(cookie.device_id(), Some("def.28_0"));
        assert_eq!(cookie.get("old"), None);
        assert_eq!(cookie.get("broken"), None);
        assert_eq!(cookie.get("bad"), None);
        assert_eq!(cookie.get("enc name"), Some("a/b"));
        assert_eq!(cookie.entries.len(), 3);
    }

    #[test]
    fn garbage_never_panics() {
        for value in [
            "",
            "|||",
            "###",
            "a#b#c#d",
            "PC#%FF#99999999999",
            "\u{1F600}#\u{1F600}#1",
            "x#y#-",
        ] {
            let _ = MboxCookie::parse(value, NOW);
        }
        assert!(
            MboxCookie::parse(&"a".repeat(MAX_COOKIE_LEN + 1), NOW)
                .entries
                .is_empty()
        );
    }

    #[test]
    fn writes_session_and_device_id() {
        let cookie = target_cookie("s 1", Some("t.28_0"), NOW);
        assert_eq!(
            cookie.value,
            format!(
                "session#s%201#{}|PC#t.28_0#{}",
                NOW + 1860,
                NOW + 63_244_800
            )
        );
        assert_eq!(cookie.max_age, 63_244_800);
        let parsed = MboxCookie::parse(&cookie.value, NOW);
        assert_eq!(parsed.session_id(), Some("s 1"));
        assert_eq!(target_cookie("s", None, NOW).max_age, 1860);
    }
}
