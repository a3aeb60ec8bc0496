//! Every key-value key this service owns; no other service reads or writes them.
//!
//! | key | value |
//! |---|---|
//! | `identity/v1/user/<discord-user-id>` | the user's record ([`crate::users`]) |
//! | `identity/v1/session/<session-id>` | a refreshed or revoked session ([`crate::tokens`]) |
//! | `identity/v1/expiry/<hour>` | keys to delete once that hour (Unix seconds / 3600) is over ([`crate::expiry`]) |
//! | `identity/v1/expiry-cursor` | the next hour [`crate::expiry`] sweeps |
//! | `identity/v1/api-key/<key-id>` | an API key's record, with the SHA-256 of the key ([`crate::api_keys`]) |
//! | `identity/v1/guild-api-keys/<guild-id>` | the IDs of a server's API keys |
//! | `identity/v1/ready-probe` | written, read back and deleted by `status` |
//!
//! Values are JSON objects with a schema version `v`. User records, sessions, the
//! expiry buckets and cursor and the server key lists are documents of `common::cas`:
//! the key holds a pointer and the JSON is at `<key>#<generation>` (read and written
//! only through `ports::read` and `ports::update`); API key records are
//! written once and deleted, as plain values.

use discord_api::id::{GuildId, UserId};

/// The prefix of every key of this service.
pub const PREFIX: &str = "identity/v1/";

/// The key the readiness probe writes, reads back and deletes.
pub const READY_PROBE: &str = "identity/v1/ready-probe";

/// The cursor of the expiry sweep.
pub const EXPIRY_CURSOR: &str = "identity/v1/expiry-cursor";

/// A Discord user's record.
pub fn user(discord_user_id: UserId) -> String {
    format!("{PREFIX}user/{discord_user_id}")
}

/// A session's state (only once it was refreshed or revoked).
pub fn session(session_id: &str) -> String {
    format!("{PREFIX}session/{session_id}")
}

/// The keys that expire during hour `hour` (Unix seconds / 3600).
pub fn expiry_bucket(hour: u64) -> String {
    format!("{PREFIX}expiry/{hour}")
}

/// An API key's record.
pub fn api_key(key_id: &str) -> String {
    format!("{PREFIX}api-key/{key_id}")
}

/// The list of a server's API key IDs.
pub fn guild_api_keys(guild_id: GuildId) -> String {
    format!("{PREFIX}guild-api-keys/{guild_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_under_the_service_prefix() {
        for key in [
            READY_PROBE.to_owned(),
            EXPIRY_CURSOR.to_owned(),
            user(UserId::new(123_456_789_012_345_678).unwrap()),
            session("abc"),
            expiry_bucket(472_222),
            api_key("0123456789abcdef"),
            guild_api_keys(GuildId::new(123_456_789_012_345_678).unwrap()),
        ] {
            assert!(key.starts_with(PREFIX), "{key}");
        }
    }
}
