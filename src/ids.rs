//! Random ids (request, session, notification and impression ids): v4 uuids in their hyphenated
//! lowercase form, as every Target SDK sends them.

/// A new random id, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`: encoded into a stack buffer and
/// copied once into a `String` of the exact size, without going through `fmt`.
pub(crate) fn new_id() -> String {
    let mut buffer = uuid::Uuid::encode_buffer();
    String::from(uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer) as &str)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_hyphenated_lowercase_v4_uuids_and_differ() {
        let (a, b) = (super::new_id(), super::new_id());
        assert_ne!(a, b);
        for id in [&a, &b] {
            let parsed = uuid::Uuid::parse_str(id).expect("a uuid");
            assert_eq!(parsed.get_version_num(), 4);
            assert_eq!(
                *id,
                parsed.hyphenated().to_string(),
                "hyphenated, lowercase"
            );
            assert_eq!(id.capacity(), 36, "no spare capacity");
        }
    }
}
