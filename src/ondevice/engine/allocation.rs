//! Which experience bucket a visitor falls in for an activity: the same MurmurHash3 the Target
//! Edge uses, so a visitor gets the same experience on-device and server-side.

use std::hash::Hasher;

use crate::delivery::types::VisitorId;

/// The salt Target appends to the device id it hashes.
const CAMPAIGN_BUCKET_SALT: &str = "0";
const TOTAL_BUCKETS: i64 = 10_000;

/// The id allocation hashes: the first of the Experience Cloud id, the Target id without its
/// location hint, the third-party id; `None` when the visitor has none of them. Borrowed from
/// the request's id.
pub(crate) fn visitor_key(id: Option<&VisitorId>) -> Option<&str> {
    let id = id?;
    fn non_empty(s: &Option<String>) -> Option<&str> {
        s.as_deref().filter(|v| !v.is_empty())
    }
    non_empty(&id.marketing_cloud_visitor_id)
        .or_else(|| {
            id.tnt_id
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(|t| t.split('.').next().unwrap_or(t))
        })
        .or_else(|| non_empty(&id.third_party_id))
}

/// The visitor's allocation for an activity, from 0 to 100 with two decimals.
#[cfg(test)]
pub(crate) fn allocation(client: &str, activity_id: &str, visitor_key: &str) -> f64 {
    let device_id = format!("{client}.{activity_id}.{visitor_key}.{CAMPAIGN_BUCKET_SALT}");
    bucket(hash_unencoded_chars(&device_id))
}

/// `parts` joined, as the bytes Target hashes: UTF-16 code units, little-endian (one allocation:
/// a UTF-8 byte is at most one code unit).
pub(crate) fn utf16_le(parts: &[&str]) -> Vec<u8> {
    let mut units = Vec::with_capacity(2 * parts.iter().map(|p| p.len()).sum::<usize>());
    for part in parts {
        push_utf16_le(&mut units, part);
    }
    units
}

/// Appends `part`'s UTF-16 code units, little-endian (at most two bytes per UTF-8 byte).
fn push_utf16_le(units: &mut Vec<u8>, part: &str) {
    units.reserve(2 * part.len());
    if part.is_ascii() {
        // An ASCII byte is its own code unit (ids are ASCII): eight at a time, each byte
        // spread to the low half of a 16-bit unit by three shift-and-mask steps.
        let mut blocks = part.as_bytes().chunks_exact(8);
        for block in &mut blocks {
            let mut eight = [0; 8];
            eight.copy_from_slice(block);
            units.extend_from_slice(&spread(u64::from_le_bytes(eight)).to_le_bytes());
        }
        for &byte in blocks.remainder() {
            units.extend_from_slice(&[byte, 0]);
        }
    } else {
        for unit in part.encode_utf16() {
            units.extend_from_slice(&unit.to_le_bytes());
        }
    }
}

/// Byte `i` of `bytes` as byte `2i` of the result, every odd byte zero.
fn spread(bytes: u64) -> u128 {
    let x = u128::from(bytes);
    let x = (x | (x << 32)) & 0x0000_0000_FFFF_FFFF_0000_0000_FFFF_FFFF;
    let x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF_0000_FFFF_0000_FFFF;
    (x | (x << 8)) & 0x00FF_00FF_00FF_00FF_00FF_00FF_00FF_00FF
}

/// The hashed id of one visitor for one client, prepared once per decision (one buffer): each
/// activity adds only its own part (`.{activity id}`, encoded at load), so allocating a visitor
/// to several activities encodes the client and the visitor once.
pub(crate) struct VisitorBuckets {
    /// `{client}.{visitor key}.{salt}` as UTF-16LE; the activity goes in at `split`.
    encoded: Vec<u8>,
    split: usize,
}

impl VisitorBuckets {
    pub(crate) fn new(client: &str, visitor_key: &str) -> Self {
        let rest = [".", visitor_key, ".", CAMPAIGN_BUCKET_SALT];
        let length = client.len() + rest.iter().map(|p| p.len()).sum::<usize>();
        let mut encoded = Vec::with_capacity(2 * length);
        push_utf16_le(&mut encoded, client);
        let split = encoded.len();
        for part in rest {
            push_utf16_le(&mut encoded, part);
        }
        Self { encoded, split }
    }

    /// The allocation for the activity whose `.{activity id}` is `activity_hashed` (UTF-16LE,
    /// [`utf16_le`]), the same as [`allocation`] gives.
    pub(crate) fn allocation(&self, activity_hashed: &[u8]) -> f64 {
        let (client, visitor) = self.encoded.split_at(self.split.min(self.encoded.len()));
        // The three parts fed in turn hash as the id they make, without joining them.
        let mut hasher = mur3::Hasher32::with_seed(0);
        for part in [client, activity_hashed, visitor] {
            hasher.write(part);
        }
        bucket(hasher.finish32() as i32)
    }
}

#[cfg(test)]
/// MurmurHash3 (32-bit, seed 0) over the UTF-16 code units of `text`, as Java's
/// `Hashing.murmur3_32().hashUnencodedChars` does: each code unit is two little-endian bytes.
fn hash_unencoded_chars(text: &str) -> i32 {
    mur3::murmurhash3_x86_32(&utf16_le(&[text]), 0) as i32
}

fn bucket(hash: i32) -> f64 {
    let fixed_bucket = i64::from(hash).abs() % TOTAL_BUCKETS;
    let allocation = fixed_bucket as f64 / TOTAL_BUCKETS as f64 * 100.0;
    (allocation * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_allocation_in_the_conformance_trace() {
        // TEST_SUITE_TRACE mbox_xt_execute: client someClientId, activity 125871, third-party id.
        assert_eq!(
            allocation(
                "someClientId",
                "125871",
                "338e3c1e51f7416a8e1ccba4f81acea0.28_0"
            ),
            87.67
        );
    }

    #[test]
    fn prefers_ecid_then_tnt_id_without_hint_then_third_party_id() {
        let id = |tnt: Option<&str>, mcid: Option<&str>, third: Option<&str>| VisitorId {
            tnt_id: tnt.map(str::to_owned),
            marketing_cloud_visitor_id: mcid.map(str::to_owned),
            third_party_id: third.map(str::to_owned),
            ..Default::default()
        };
        assert_eq!(
            visitor_key(Some(&id(Some("t.28_0"), Some("m"), Some("x")))),
            Some("m")
        );
        assert_eq!(
            visitor_key(Some(&id(Some("t.28_0"), None, Some("x")))),
            Some("t")
        );
        assert_eq!(
            visitor_key(Some(&id(None, Some(""), Some("x.1_0")))),
            Some("x.1_0")
        );
        assert_eq!(visitor_key(Some(&id(None, None, None))), None);
        assert_eq!(visitor_key(None), None);
    }

    #[test]
    fn ascii_and_other_parts_encode_as_utf16_code_units() {
        let parts = ["someClientId", ".", "é漢字🙂", "", "0"];
        let expected: Vec<u8> = parts
            .concat()
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(utf16_le(&parts), expected);
        assert_eq!(utf16_le(&["ab"]), [b'a', 0, b'b', 0]);
        // ASCII parts go eight bytes at a time: every length around the blocks, every byte.
        let ascii: String = (0..=127u8).map(char::from).collect();
        for end in 0..=ascii.len() {
            let part = ascii.get(..end).unwrap_or_default();
            let expected: Vec<u8> = part.encode_utf16().flat_map(u16::to_le_bytes).collect();
            assert_eq!(utf16_le(&[part]), expected, "{end} bytes");
        }
    }

    #[test]
    fn prepared_buckets_hash_as_the_whole_id() {
        for (client, activity, visitor) in [
            (
                "someClientId",
                "125871",
                "338e3c1e51f7416a8e1ccba4f81acea0.28_0",
            ),
            ("targettesting", "1", "é漢字🙂"),
            ("cliént🙂", "漢", "x"),
            ("", "", ""),
        ] {
            let prepared = VisitorBuckets::new(client, visitor);
            assert_eq!(
                prepared.allocation(&utf16_le(&[".", activity])),
                allocation(client, activity, visitor),
                "{client} {activity} {visitor}"
            );
        }
    }

    #[test]
    fn the_hash_is_murmur3_x86_32() {
        // MurmurHash3's published x86_32 values (seed 0, then seed 1 for the first).
        let known: [(&[u8], u32, u32); 4] = [
            (b"", 0, 0),
            (b"", 1, 0x514e_28b7),
            (b"hello", 0, 0x248b_fa47),
            (
                b"The quick brown fox jumps over the lazy dog",
                0,
                0x2e4f_f723,
            ),
        ];
        for (bytes, seed, hash) in known {
            assert_eq!(mur3::murmurhash3_x86_32(bytes, seed), hash, "{bytes:?}");
            // Fed in pieces that do not fall on 4-byte blocks, as allocation feeds its parts.
            let mut hasher = mur3::Hasher32::with_seed(seed);
            for piece in bytes.chunks(3) {
                hasher.write(piece);
            }
            assert_eq!(hasher.finish32(), hash, "{bytes:?} in pieces");
        }
    }

    #[test]
    fn buckets_stay_in_range_for_extreme_hashes() {
        assert_eq!(
            hash_unencoded_chars(""),
            0,
            "murmur3_32 of nothing with seed 0"
        );
        assert_eq!(bucket(0), 0.0);
        assert_eq!(bucket(i32::MIN), 36.48, "|i32::MIN| does not overflow");
        assert_eq!(bucket(-1), bucket(1));
    }
}
