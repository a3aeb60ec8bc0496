//! Every key-value key this service owns; no other service writes them. The audit log's
//! code (layout, key, append, read) is the `notify-log` crate, which this service owns
//! and shares read-only with the gateway, so that `GET
//! /api/v1/guilds/{guild_id}/notifications/audit-log` reads it without knowing the key.
//!
//! | key | value |
//! |---|---|
//! | `notify/v1/seen/<event-id>` | the dedupe record of one Kaltura event ([`crate::dedupe::SeenRecord`] JSON): in progress (with a lease), pending (some delivery may still succeed) or done, and which channels already have their message |
//! | `notify/v1/audit/<guild-id>` | the server's delivery audit log ([`notify_log::AuditLog`] JSON): the last [`notify_log::KEEP`] entries, newest first; written only here, read by the gateway through [`notify_log::read`] |
//!
//! `<event-id>` is `job-<eventNotificationJobId>` when Kaltura sends a job id, otherwise
//! `sha256-<hex of the raw body>` (see [`crate::dedupe::EventId`]). Values are JSON with a
//! `schema` number. No secret, token or Kaltura text (titles, names) is ever stored. Both
//! are `common::cas` documents: the key holds a pointer and the JSON is at
//! `<key>#<generation>` (read through `common::cas::read`).

use crate::dedupe::EventId;

/// The prefix of every key of this service.
pub const PREFIX: &str = "notify/v1/";

/// The dedupe record of one event.
pub fn seen(id: &EventId) -> String {
    format!("{PREFIX}seen/{id}")
}

/// A Discord server's audit log ([`notify_log::key`]). `guild_id` must already be a
/// validated snowflake.
pub fn audit(guild_id: &str) -> String {
    notify_log::key(guild_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shape() {
        let id = EventId::new(Some("98765"), b"{}");
        assert_eq!(seen(&id), "notify/v1/seen/job-98765");
        assert_eq!(
            audit("123456789012345678"),
            "notify/v1/audit/123456789012345678"
        );
        assert!(seen(&EventId::new(None, b"x")).starts_with("notify/v1/seen/sha256-"));
        assert!(notify_log::KEY_PREFIX.starts_with(PREFIX));
    }
}
