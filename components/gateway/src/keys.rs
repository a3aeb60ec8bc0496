//! Every key-value key this service owns; no other service reads or writes them.
//!
//! The gateway also reads one key it does not own: a server's delivery audit log,
//! `notify/v1/audit/<guild-id>`, which belongs to the notifications service. It reads it
//! only through that service's `notify-log` crate ([`notify_log::read`]), never by the
//! key, and never writes it.
//!
//! | key | value |
//! |---|---|
//! | `gateway/v1/ready-probe` | written, read back and deleted by `/api/v1/ready` |
//! | `gateway/v1/rate/<kind>/<subject>/<window-start>` | the requests counted in that rate-limit window, an `increment` counter; `kind` is `addr` (a client address), `session` (an access token's session ID) or `key` (an API key's ID) |
//! | `gateway/v1/rate/<kind>/<subject>` | the start of the subject's latest window (decimal text): its previous window is deleted when a new one starts |
//! | `gateway/v1/upstream/kaltura` | the deep readiness check's last result, `{"at","ok","detail","window"}` ([`crate::upstream`]) |
//! | `gateway/v1/upstream/kaltura/<window-start>` | the claim of one interval of the deep check, an `increment` counter; the claimant deletes the previous claim |
//! | `gateway/v1/member/<guild-id>/<user-id>` | `{"v":1,"display_name","kaltura_user_id","updated_at"}`, written at sign-in, read for join links |

/// The prefix of every key of this service.
pub const PREFIX: &str = "gateway/v1/";

/// The key the readiness probe writes, reads back and deletes.
pub const READY_PROBE: &str = "gateway/v1/ready-probe";

/// The key of a member's profile on a server (IDs in decimal).
pub fn member_profile(guild_id: u64, user_id: u64) -> String {
    format!("{PREFIX}member/{guild_id}/{user_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_under_the_service_prefix() {
        assert!(READY_PROBE.starts_with(PREFIX));
        assert!(member_profile(1, 2).starts_with(PREFIX));
        assert!(crate::ratelimit::key("addr", "::1").starts_with(PREFIX));
    }
}
