//! Every key-value key this service owns; no other service reads or writes them.
//!
//! | key | value |
//! |---|---|
//! | `kaltura/v1/ready-probe` | the readiness probe's scratch value |
//! | `kaltura/v1/breaker` | the circuit breaker's state |
//! | `kaltura/v1/meeting/<id>` | one meeting's record |
//! | `kaltura/v1/guild/<guild-id>/meetings` | ids of a server's open meetings, newest first |
//! | `kaltura/v1/owner/<user-id>/meetings` | ids of a user's open meetings, newest first |
//!
//! Values are JSON with a `schema` number. No KS or secret is ever stored. The breaker
//! and the two indexes are documents of `common::cas`: the key holds a pointer and the
//! JSON is at `<key>#<generation>`; meeting records are plain values.

use discord_api::id::{GuildId, UserId};

use crate::ids::MeetingId;

/// The prefix of every key of this service.
pub const PREFIX: &str = "kaltura/v1/";

/// The key the readiness probe writes, reads back and deletes.
pub const READY_PROBE: &str = "kaltura/v1/ready-probe";

/// The circuit breaker's state, shared by every replica.
pub const BREAKER: &str = "kaltura/v1/breaker";

/// One meeting's record.
pub fn meeting(id: MeetingId) -> String {
    format!("{PREFIX}meeting/{id}")
}

/// The index of a Discord server's open meetings.
pub fn guild_meetings(guild: GuildId) -> String {
    format!("{PREFIX}guild/{guild}/meetings")
}

/// The index of a Discord user's open meetings.
pub fn owner_meetings(owner: UserId) -> String {
    format!("{PREFIX}owner/{owner}/meetings")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_under_the_service_prefix() {
        let id = MeetingId::new(42).unwrap();
        let guild = GuildId::new(123_456_789_012_345_678).unwrap();
        let user = UserId::new(323_456_789_012_345_678).unwrap();
        for key in [
            READY_PROBE.to_owned(),
            BREAKER.to_owned(),
            meeting(id),
            guild_meetings(guild),
            owner_meetings(user),
        ] {
            assert!(key.starts_with(PREFIX), "{key}");
        }
        assert_eq!(meeting(id), "kaltura/v1/meeting/42");
        assert_eq!(
            guild_meetings(guild),
            "kaltura/v1/guild/123456789012345678/meetings"
        );
        assert_eq!(
            owner_meetings(user),
            "kaltura/v1/owner/323456789012345678/meetings"
        );
    }
}
