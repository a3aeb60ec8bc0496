//! The ids this service works with: meeting ids (Kaltura schedule resource ids, "parse,
//! don't validate") and Discord IDs, by `discord_api::id`'s one rule.

use std::fmt;

use discord_api::id::Id;
use kaltura_api::types::ResourceId;

use crate::error::{invalid, Error};

/// The Discord ID `value` given in `field`; zero is never a Discord ID.
///
/// # Errors
/// `invalid` naming `field` for zero.
pub fn snowflake<M>(field: &str, value: u64) -> Result<Id<M>, Error> {
    Id::new(value).ok_or_else(|| invalid(field, "must be a Discord ID, not zero"))
}

/// A meeting id: a Kaltura schedule resource id (positive, at most `i64::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeetingId(ResourceId);

impl MeetingId {
    /// The meeting id of a contract's `meeting-id`; `None` for a number no Kaltura room
    /// has (zero, or above `i64::MAX`).
    pub fn new(id: u64) -> Option<Self> {
        i64::try_from(id)
            .ok()
            .and_then(|n| ResourceId::new(n).ok())
            .map(Self)
    }

    /// Reads the decimal text the store keeps ids as; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.is_empty() || raw.len() > 19 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        raw.parse().ok().and_then(Self::new)
    }

    /// Wraps a resource id Kaltura returned.
    pub fn from_resource(id: ResourceId) -> Self {
        Self(id)
    }

    /// The Kaltura resource id.
    pub fn resource(self) -> ResourceId {
        self.0
    }

    /// The contract's `meeting-id`.
    pub fn get(self) -> u64 {
        // A resource id is positive.
        self.0.get().unsigned_abs()
    }
}

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use discord_api::id::GuildMarker;

    #[test]
    fn meeting_ids_are_positive_numbers_that_kaltura_can_hold() {
        assert_eq!(MeetingId::new(42).map(MeetingId::get), Some(42));
        assert_eq!(MeetingId::new(42).map(|m| m.to_string()), Some("42".into()));
        let max = u64::try_from(i64::MAX).unwrap();
        assert_eq!(MeetingId::new(max).map(MeetingId::get), Some(max));
        for bad in [0, max + 1, u64::MAX] {
            assert_eq!(MeetingId::new(bad), None, "{bad}");
        }
    }

    #[test]
    fn stored_meeting_ids_are_positive_decimal_text() {
        assert_eq!(MeetingId::parse("42"), MeetingId::new(42));
        for bad in ["", "0", "-1", "4 2", "1e3", "+42", "99999999999999999999"] {
            assert!(MeetingId::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_discord_id_is_any_non_zero_number() {
        // discord-api's rule; this service used to demand 17 to 20 digits.
        assert_eq!(
            snowflake::<GuildMarker>("guild-id", 1234).unwrap().get(),
            1234
        );
        assert!(matches!(
            snowflake::<GuildMarker>("guild-id", 0),
            Err(Error::Invalid(m)) if m.starts_with("guild-id")
        ));
    }
}
