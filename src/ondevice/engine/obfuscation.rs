//! The obfuscated artifact, `rules.bin`, as the Node.js SDK 2.4.3 defines it (its
//! `ObfuscationProvider`): a 40-byte header, `<prefix>:<version>` in the first 8 bytes and a
//! 32-byte key in the next 32, then the artifact's JSON XOR-ed byte by byte with the
//! organization id followed by that key, repeated.

use crate::error::{Error, Result};

/// The header's length in bytes.
pub(crate) const HEADER: usize = 40;
/// The one obfuscation version there is.
const VERSION: u32 = 1;

/// The artifact JSON of a `rules.bin` file for `organization_id`.
pub(crate) fn deobfuscate(bytes: &[u8], organization_id: &str) -> Result<Vec<u8>> {
    let (Some(header), Some(body)) = (bytes.get(..HEADER), bytes.get(HEADER..)) else {
        return Err(invalid(format!(
            "a rules.bin starts with a {HEADER}-byte header; this one has {} bytes in all",
            bytes.len()
        )));
    };
    let (tag, key) = header.split_at(8);
    let version = tag
        .splitn(2, |b| *b == b':')
        .nth(1)
        .and_then(leading_number);
    if version != Some(VERSION) {
        return Err(invalid(format!(
            "obfuscation version {} in the rules.bin header; this SDK reads version {VERSION}",
            version.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
        )));
    }
    Ok(xor(body, organization_id.as_bytes(), key))
}

/// `bytes` XOR-ed with `first` then `second`, repeated: its own inverse.
pub(crate) fn xor(bytes: &[u8], first: &[u8], second: &[u8]) -> Vec<u8> {
    let key: Vec<u8> = first.iter().chain(second).copied().collect();
    if key.is_empty() {
        return bytes.to_vec();
    }
    bytes
        .iter()
        .zip(key.iter().cycle())
        .map(|(b, k)| b ^ k)
        .collect()
}

/// JavaScript's `parseInt(text, 10)` of a header's version: its leading digits.
fn leading_number(text: &[u8]) -> Option<u32> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(text.get(..digits)?).ok()?.parse().ok()
}

fn invalid(reason: String) -> Error {
    Error::Artifact(format!("Invalid Artifact: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "65453EA95A70434F0A495D34@AdobeOrg";

    fn obfuscated(tag: &[u8; 8], json: &str) -> Vec<u8> {
        let key = *b"0123456789abcdef0123456789ABCDEF";
        let mut file = tag.to_vec();
        file.extend_from_slice(&key);
        file.extend(xor(json.as_bytes(), ORG.as_bytes(), &key));
        file
    }

    #[test]
    fn reads_what_was_obfuscated() {
        let json = r#"{"version":"1.0.0","meta":{"clientCode":"acme"}}"#;
        let file = obfuscated(b"TNT:1\0\0\0", json);
        assert_ne!(file.get(HEADER..), Some(json.as_bytes()));
        assert_eq!(deobfuscate(&file, ORG).expect("version 1"), json.as_bytes());
    }

    #[test]
    fn refuses_other_versions_and_short_files() {
        for tag in [
            b"TNT:2\0\0\0",
            b"TNT:\0\0\0\0",
            b"TNT-1\0\0\0",
            b"TNT:x1\0\0",
        ] {
            let error = deobfuscate(&obfuscated(tag, "{}"), ORG).expect_err("not version 1");
            assert!(error.to_string().contains("obfuscation version"), "{error}");
        }
        let error = deobfuscate(b"TNT:1", ORG).expect_err("too short");
        assert!(error.to_string().contains("40-byte header"), "{error}");
        assert_eq!(
            deobfuscate(&obfuscated(b"TNT:12\0\0", "{}"), ORG).ok(),
            None
        );
    }
}
