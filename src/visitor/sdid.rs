//! Supplemental data ids (SDID), the ids that stitch a Target hit to its Analytics hit (A4T),
//! handed out as the Experience Cloud ID service's `supplementalDataIDFactory` hands them out.
//!
//! Within one visitor state, every consumer asking for the first time gets the current id. A
//! consumer asking again starts a new one: the current id becomes the last, which each other
//! consumer then still gets once.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::DEFAULT_CONSUMER_ID;

/// The factory's state, shaped as the ID service's `sdid` state.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct SdidState {
    #[serde(
        rename = "supplementalDataIDCurrent",
        skip_serializing_if = "Option::is_none"
    )]
    current: Option<String>,
    #[serde(rename = "supplementalDataIDCurrentConsumed")]
    current_consumed: BTreeMap<Cow<'static, str>, bool>,
    #[serde(
        rename = "supplementalDataIDLast",
        skip_serializing_if = "Option::is_none"
    )]
    last: Option<String>,
    #[serde(rename = "supplementalDataIDLastConsumed")]
    last_consumed: BTreeMap<Cow<'static, str>, bool>,
}

/// The prefix of a consumer's key in the consumed maps.
const PAYLOAD: &str = "payload:";
/// The key of the SDK's own consumer, [`DEFAULT_CONSUMER_ID`] (most calls): not made per call.
const DEFAULT_KEY: &str = "payload:target-global-mbox";

/// A consumer's key in the consumed maps.
fn key(consumer_id: &str) -> Cow<'static, str> {
    if consumer_id == DEFAULT_CONSUMER_ID {
        Cow::Borrowed(DEFAULT_KEY)
    } else {
        Cow::Owned([PAYLOAD, consumer_id].concat())
    }
}

impl SdidState {
    /// The id for `consumer_id`, made with `new_id` when a new one is needed.
    pub(crate) fn id_for(&mut self, consumer_id: &str, new_id: impl Fn() -> String) -> String {
        let key = key(consumer_id);
        let current = self.current.get_or_insert_with(&new_id).clone();
        if let Some(last) = &self.last
            && !self.last_consumed.contains_key(key.as_ref())
        {
            let last = last.clone();
            self.last_consumed.insert(key, true);
            return last;
        }
        let id = if self.current_consumed.contains_key(key.as_ref()) {
            self.last = Some(current);
            self.last_consumed = std::mem::take(&mut self.current_consumed);
            let fresh = new_id();
            self.current = Some(fresh.clone());
            fresh
        } else {
            current
        };
        self.current_consumed.insert(key, true);
        id
    }

    /// The id a consumer asking for the first time gets now.
    pub(crate) fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }
}

/// A new id in the ID service's format: two 16-digit upper-case hex numbers, each below 2^63,
/// joined by `-` (written digit by digit: no formatter, one allocation of the final size).
pub(crate) fn new_sdid() -> String {
    let half = || {
        // A v4 UUID's bits 80..128 and 0..16 are random (the version and variant are between).
        let random = uuid::Uuid::new_v4().as_u128();
        let bits = ((random >> 80) << 16 | (random & 0xFFFF)) as u64;
        bits & 0x7FFF_FFFF_FFFF_FFFF
    };
    let mut id = String::with_capacity(33);
    push_hex(&mut id, half());
    id.push('-');
    push_hex(&mut id, half());
    id
}

/// `number` as 16 upper-case hex digits.
fn push_hex(out: &mut String, number: u64) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let digits = (0..16).rev().map(|shift| {
        let digit = (number >> (4 * shift)) & 0xF;
        DIGITS.get(digit as usize).map_or('0', |&d| char::from(d))
    });
    out.extend(digits);
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// The sequence `@adobe-mcid/visitor-js-shared` 0.0.x gives for these calls on one state,
    /// with its random ids numbered in the order they are made (checked with the package).
    #[test]
    fn hands_out_ids_as_the_id_service_does() {
        let made = Cell::new(0);
        let new_id = || {
            made.set(made.get() + 1);
            format!("id{}", made.get())
        };
        let mut state = SdidState::default();
        let calls = ["a", "b", "a", "b", "c", "c", "a"];
        let got: Vec<String> = calls.iter().map(|c| state.id_for(c, new_id)).collect();
        assert_eq!(got, ["id1", "id1", "id2", "id2", "id1", "id2", "id3"]);
        assert_eq!(
            serde_json::to_value(&state).expect("JSON"),
            serde_json::json!({
                "supplementalDataIDCurrent": "id3",
                "supplementalDataIDCurrentConsumed": {"payload:a": true},
                "supplementalDataIDLast": "id2",
                "supplementalDataIDLastConsumed": {"payload:a": true, "payload:b": true, "payload:c": true},
            })
        );
    }

    #[test]
    fn the_default_consumer_s_key_is_its_payload_key() {
        assert_eq!(DEFAULT_KEY, [PAYLOAD, DEFAULT_CONSUMER_ID].concat());
        assert_eq!(key(DEFAULT_CONSUMER_ID), DEFAULT_KEY);
        assert_eq!(key("hero"), "payload:hero");
    }

    #[test]
    fn new_ids_have_the_id_services_format() {
        for _ in 0..100 {
            let id = new_sdid();
            let (high, low) = id.split_once('-').expect("two halves");
            for half in [high, low] {
                assert_eq!(half.len(), 16, "{id}");
                assert!(
                    half.bytes()
                        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
                    "{id}"
                );
                assert!(
                    u64::from_str_radix(half, 16).is_ok_and(|v| v < 1 << 63),
                    "{id}"
                );
            }
        }
        assert_ne!(new_sdid(), new_sdid());
    }
}
