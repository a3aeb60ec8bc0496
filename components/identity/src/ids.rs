//! Discord IDs as this service accepts them, by `discord_api::id`'s one rule: a non-zero
//! number (from the contract), or its decimal text (in tokens and stored records).

use discord_api::id::Id;

use crate::error::{invalid, Result};

/// The ID `value` given in `field`; zero is never a Discord ID.
///
/// # Errors
/// `invalid` naming `field` for zero.
pub fn snowflake<M>(field: &str, value: u64) -> Result<Id<M>> {
    Id::new(value).ok_or_else(|| invalid(field, "must be a Discord ID, not zero"))
}

/// The ID written as `text` in `field`.
///
/// # Errors
/// `invalid` naming `field` (never echoing the text) when it is not a Discord ID.
pub fn parse<M>(field: &str, text: &str) -> Result<Id<M>> {
    text.parse().map_err(|err| invalid(field, err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use discord_api::id::UserMarker;

    #[test]
    fn any_non_zero_id_is_accepted_and_zero_is_invalid_naming_the_field() {
        for id in [1, 123_456_789_012_345_678, u64::MAX] {
            assert_eq!(snowflake::<UserMarker>("user-id", id).unwrap().get(), id);
        }
        let err = snowflake::<UserMarker>("member.user-id", 0).unwrap_err();
        assert!(matches!(&err, Error::Invalid(m) if m.starts_with("member.user-id")));
    }

    #[test]
    fn ids_in_text_follow_discord_apis_rule_not_a_digit_count() {
        // One rule (discord-api's): decimal, fits 64 bits, not zero. Identity used to
        // demand 17 to 20 digits; short IDs such as "1234" are now accepted.
        assert_eq!(parse::<UserMarker>("sub", "1234").unwrap().get(), 1234);
        assert_eq!(
            parse::<UserMarker>("sub", "18446744073709551615")
                .unwrap()
                .get(),
            u64::MAX
        );
        for bad in [
            "",
            "0",
            "+23456789012345678",
            "12345678901234567a",
            "18446744073709551616",
            " 123456789012345678",
        ] {
            let err = parse::<UserMarker>("sub", bad).unwrap_err();
            assert!(
                matches!(&err, Error::Invalid(m) if m.starts_with("sub") && (bad.len() < 2 || !m.contains(bad))),
                "{bad:?}: {err:?}"
            );
        }
    }
}
