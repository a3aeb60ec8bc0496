//! Discord IDs as this service accepts them: decimal snowflakes of 17 to 20 digits,
//! the same rule as the `config` service.

use crate::error::{IdentityError, Result};

/// The smallest number with 17 decimal digits.
const MIN_SNOWFLAKE: u64 = 10_000_000_000_000_000;

/// Reads a Discord ID given in `field`: 17 to 20 decimal digits, no sign, no leading
/// zero, fits a `u64`.
///
/// # Errors
/// [`IdentityError::Invalid`] naming `field` (never echoing the input).
pub fn snowflake(field: &str, value: &str) -> Result<u64> {
    let shaped = (17..=20).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_digit())
        && !value.starts_with('0');
    value
        .parse::<u64>()
        .ok()
        .filter(|id| shaped && *id >= MIN_SNOWFLAKE)
        .ok_or_else(|| IdentityError::invalid(field, "must be a Discord ID of 17 to 20 digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snowflake_of_17_to_20_digits_is_accepted() {
        assert_eq!(
            snowflake("user-id", "123456789012345678").unwrap(),
            123_456_789_012_345_678
        );
        assert_eq!(snowflake("x", "18446744073709551615").unwrap(), u64::MAX);
        assert_eq!(snowflake("x", "10000000000000000").unwrap(), MIN_SNOWFLAKE);
    }

    #[test]
    fn malformed_ids_are_rejected_naming_the_field() {
        for bad in [
            "",
            "1234",
            "0123456789012345678",
            "+23456789012345678",
            "12345678901234567a",
            "18446744073709551616",
            " 123456789012345678",
        ] {
            let err = snowflake("member.user-id", bad).unwrap_err();
            assert!(matches!(&err, IdentityError::Invalid(m) if m.starts_with("member.user-id")));
        }
    }
}
