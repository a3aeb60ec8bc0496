//! The Notification & Webhook Service's delivery audit log: for each Discord server,
//! every attempt to post a Kaltura event in one of its channels and the outcome, under
//! `notify/v1/audit/<guild-id>` ([`key`]).
//!
//! **Who owns it.** The key and the document belong to the `notifications` service:
//! only it writes them ([`append`]), and its `keys` module lists the key with the rest
//! of its keys. This crate is that service's code for the log, split out so that the
//! gateway can serve the log (`GET /api/v1/guilds/{guild_id}/notifications/audit-log`)
//! by calling [`read`] — shared read-only, rather than the gateway knowing the key and
//! the layout itself. A change of layout is a change here, with a new [`SCHEMA`].
//!
//! The value is one JSON document, [`AuditLog`]: `{"schema":1,"entries":[...]}` with the
//! newest entry first and at most [`KEEP`] entries, kept as a `common::cas` document
//! (the key holds a pointer, the JSON is at `<key>#<generation>`). [`append`] adds an
//! entry with [`cas::update`], so concurrent notifications for the same server neither
//! overwrite each other nor add an entry twice.
//!
//! **No secrets.** An entry holds ids, statuses and Discord's error text — never a
//! token, a secret or Kaltura text such as titles and names. The gateway answers entries
//! as they are stored, so a field added here must keep to that.
//!
//! Host-free: it depends on `common` (the key-value and compare-and-swap ports),
//! `discord-api` (the one rule for Discord IDs), `serde`, `serde_json` and `thiserror`
//! only, never on `spin-sdk`.

use serde::{Deserialize, Serialize};

use common::cas::{self, CasStore, Change, UpdateError};
use common::StoreError;

/// The prefix of every server's log key.
pub const KEY_PREFIX: &str = "notify/v1/audit/";

/// The key of a Discord server's log. `guild_id` must already be a validated snowflake
/// ([`is_snowflake`]).
pub fn key(guild_id: &str) -> String {
    format!("{KEY_PREFIX}{guild_id}")
}

/// The schema of the stored log.
pub const SCHEMA: u32 = 1;
/// How many entries each server's log keeps.
pub const KEEP: usize = 100;

/// One try to post the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it was sent (Unix milliseconds).
    pub at_ms: u64,
    /// Discord's HTTP status; `None` when no answer came (timeout, refused connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What happened, e.g. `rate limited; retry after 50ms`.
    pub result: String,
    /// How long the next try waited after this one, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
}

/// How one delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Discord created the message.
    Delivered,
    /// Discord refused it for good (403, 404, another 4xx); not retried.
    Undeliverable,
    /// It may succeed later; Kaltura was answered 5xx and will redeliver.
    RetryLater,
}

impl AuditOutcome {
    /// Every outcome as stored and served, in declaration order.
    pub const NAMES: [&'static str; 3] = ["delivered", "undeliverable", "retry_later"];
}

/// One delivery of one event to one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When the delivery ended (Unix seconds).
    pub at: u64,
    /// The event (`job-<id>` or `sha256-<hex>`), as in `notify/v1/seen/<event-id>`.
    pub event_id: String,
    /// The product event: `meeting_start`, `meeting_end`, `recording_ready`, `entry_ready`.
    pub event: String,
    /// The Kaltura object it is about (entry or meeting id), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kaltura_id: Option<String>,
    /// The Discord channel.
    pub channel_id: String,
    /// Every try, in order.
    pub attempts: Vec<Attempt>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Why, when it did not end delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The Discord message id, when delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// The stored log of one server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLog {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Newest first, at most [`KEEP`].
    pub entries: Vec<AuditEntry>,
}

/// Why reading a log failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditReadError {
    /// The guild id is not a Discord ID ([`is_snowflake`]).
    #[error("guild id must be a Discord ID (a non-zero decimal number)")]
    InvalidGuild,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored log is not a log of this schema.
    #[error("the stored audit log is unreadable")]
    Unreadable,
}

/// Whether `id` is a Discord ID by the one rule every component reads them with
/// (`discord_api::id`: decimal digits that fit 64 bits, not zero).
pub fn is_snowflake(id: &str) -> bool {
    id.parse::<discord_api::id::GuildId>().is_ok()
}

fn decode(bytes: Option<&[u8]>) -> Option<AuditLog> {
    match bytes {
        None => Some(AuditLog {
            schema: SCHEMA,
            entries: Vec::new(),
        }),
        Some(bytes) => serde_json::from_slice::<AuditLog>(bytes)
            .ok()
            .filter(|log| log.schema == SCHEMA),
    }
}

/// `log` with `entry` added first, cut to [`KEEP`].
pub fn with_entry(mut log: AuditLog, entry: AuditEntry) -> AuditLog {
    log.entries.insert(0, entry);
    log.entries.truncate(KEEP);
    log
}

/// Adds `entry` to the log of `guild_id` (a validated snowflake). An unreadable log is
/// started afresh rather than blocking every later entry.
///
/// # Errors
/// The store's error, or [`StoreError::Contended`] when other writers kept winning.
pub fn append<S: CasStore + ?Sized>(
    store: &S,
    guild_id: &str,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    cas::update(store, &key(guild_id), |current| {
        let log = decode(current).unwrap_or_else(|| AuditLog {
            schema: SCHEMA,
            entries: Vec::new(),
        });
        let log = with_entry(log, entry.clone());
        let bytes = serde_json::to_vec(&log)
            .map_err(|_| StoreError::Other("cannot encode the audit log".into()))?;
        Ok((Change::Write(bytes), ()))
    })
    .map_err(UpdateError::flatten)
}

/// The most recent entries of a server's log, newest first, at most `limit`; empty when
/// it has none. Only reads: this is what the gateway serves at
/// `GET /api/v1/guilds/{guild_id}/notifications/audit-log`.
///
/// # Errors
/// [`AuditReadError::InvalidGuild`], the store's error, or
/// [`AuditReadError::Unreadable`].
pub fn read(
    kv: &dyn common::KeyValue,
    guild_id: &str,
    limit: usize,
) -> Result<Vec<AuditEntry>, AuditReadError> {
    if !is_snowflake(guild_id) {
        return Err(AuditReadError::InvalidGuild);
    }
    let bytes = cas::read(kv, &key(guild_id))?;
    let mut log = decode(bytes.as_deref()).ok_or(AuditReadError::Unreadable)?;
    log.entries.truncate(limit);
    Ok(log.entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::cas::{Flavor, MemoryCasStore};
    use common::{KeyValue, MemoryKeyValue};

    const GUILD: &str = "123456789012345678";

    fn entry(n: u64) -> AuditEntry {
        AuditEntry {
            at: n,
            event_id: format!("job-{n}"),
            event: "entry_ready".into(),
            kaltura_id: Some("0_abc123".into()),
            channel_id: "223456789012345678".into(),
            attempts: vec![Attempt {
                at_ms: n * 1000,
                status: Some(200),
                result: "delivered".into(),
                wait_ms: None,
            }],
            outcome: AuditOutcome::Delivered,
            detail: None,
            message_id: Some("323456789012345678".into()),
        }
    }

    #[test]
    fn entries_are_kept_newest_first_and_bounded() {
        let store = MemoryCasStore::default();
        for n in 0..(KEEP as u64 + 5) {
            append(&store, GUILD, &entry(n)).unwrap();
        }
        // Read through a plain key-value view of the same store, as the gateway does.
        let kv: &dyn KeyValue = &store;
        let all = read(kv, GUILD, 1000).unwrap();
        assert_eq!(all.len(), KEEP);
        assert_eq!(all[0].at, KEEP as u64 + 4);
        assert_eq!(read(kv, GUILD, 3).unwrap().len(), 3);
    }

    #[test]
    fn a_concurrent_append_is_not_lost() {
        let store = MemoryCasStore::default();
        append(&store, GUILD, &entry(1)).unwrap();
        store.before_next_swap(|other| append(other, GUILD, &entry(2)).unwrap());
        append(&store, GUILD, &entry(3)).unwrap();
        let ats: Vec<u64> = read(&store, GUILD, KEEP)
            .unwrap()
            .iter()
            .map(|e| e.at)
            .collect();
        assert_eq!(ats, [3, 2, 1]);
    }

    #[test]
    fn on_a_redis_store_each_append_lands_once_although_every_swap_reports_failure() {
        let store = MemoryCasStore::new(Flavor::Redis);
        store.after_next_swap(|other| append(other, GUILD, &entry(2)).unwrap());
        append(&store, GUILD, &entry(1)).unwrap();
        append(&store, GUILD, &entry(3)).unwrap();
        let ats: Vec<u64> = read(&store, GUILD, KEEP)
            .unwrap()
            .iter()
            .map(|e| e.at)
            .collect();
        assert_eq!(ats, [3, 2, 1]);
    }

    #[test]
    fn guild_ids_follow_the_one_snowflake_rule() {
        // Pinned (issue 12): this crate used to want 17 to 20 digits; it now reads
        // Discord IDs as every component does (`discord_api::id`).
        assert!(is_snowflake(GUILD));
        assert!(is_snowflake("12"));
        for bad in ["", "0", "12a", "-1", "99999999999999999999"] {
            assert!(!is_snowflake(bad), "{bad:?}");
        }
    }

    #[test]
    fn reading_checks_the_guild_and_an_empty_log_is_empty() {
        let kv = MemoryKeyValue::default();
        assert_eq!(read(&kv, "0", 10), Err(AuditReadError::InvalidGuild));
        assert_eq!(read(&kv, "12a", 10), Err(AuditReadError::InvalidGuild));
        assert_eq!(read(&kv, GUILD, 10), Ok(Vec::new()));
        kv.set(&key(GUILD), b"nope").unwrap();
        assert_eq!(read(&kv, GUILD, 10), Err(AuditReadError::Unreadable));
    }

    #[test]
    fn the_outcome_names_are_their_serialized_forms() {
        let outcomes = [
            AuditOutcome::Delivered,
            AuditOutcome::Undeliverable,
            AuditOutcome::RetryLater,
        ];
        for (outcome, name) in outcomes.iter().zip(AuditOutcome::NAMES) {
            assert_eq!(serde_json::to_value(outcome).unwrap(), name);
        }
    }

    #[test]
    fn the_key_is_the_notifications_services_audit_key() {
        assert_eq!(key(GUILD), "notify/v1/audit/123456789012345678");
        assert!(key(GUILD).starts_with(KEY_PREFIX));
    }

    #[test]
    fn an_entry_serializes_to_the_documented_shape() {
        let json = serde_json::to_value(entry(7)).unwrap();
        assert_eq!(json["outcome"], "delivered");
        assert_eq!(json["attempts"][0]["status"], 200);
        assert!(json.get("detail").is_none());
    }
}
