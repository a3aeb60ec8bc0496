//! The per-user mapping record: `identity/v1/user/<discord-user-id>` holds the user's
//! Kaltura user ID (fixed when first seen), when they were first and last seen, and on
//! which servers (as decimal text).
//!
//! Writes go through `common::cas` (`ports::update`): two replicas seeing the same
//! user at once both add their server, and a user mapped by two replicas at once keeps
//! the Kaltura user ID written first. `last-seen` is rewritten at most once a minute, so
//! busy users cost no write per call.

use contracts::identity::UserRecord;
use discord_api::id::{GuildId, GuildMarker, UserId, UserMarker};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids;
use crate::keys;
use crate::ports::{self, Env};
use common::KeyValue;

/// The schema version of stored user records.
pub const SCHEMA_VERSION: u32 = 1;

/// The most servers kept per user; the first seen are dropped beyond it.
pub const MAX_GUILDS: usize = 100;

/// How stale `last_seen` may get before a sighting rewrites it, in seconds.
pub const LAST_SEEN_RESOLUTION: u64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    v: u32,
    kaltura_user_id: String,
    first_seen: u64,
    last_seen: u64,
    guild_ids: Vec<String>,
}

fn unreadable(user_id: UserId) -> Error {
    Error::other(format!(
        "the stored record of user {user_id} cannot be read"
    ))
}

fn parse(user_id: UserId, bytes: Option<&[u8]>) -> Result<Option<Stored>> {
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    serde_json::from_slice::<Stored>(bytes)
        .ok()
        .filter(|stored| stored.v == SCHEMA_VERSION)
        .map(Some)
        .ok_or_else(|| unreadable(user_id))
}

fn read(kv: &dyn KeyValue, user_id: UserId) -> Result<Option<Stored>> {
    parse(user_id, ports::read(kv, &keys::user(user_id))?.as_deref())
}

fn encode(stored: &Stored) -> Result<Vec<u8>> {
    serde_json::to_vec(stored).map_err(|_| Error::other("a user record could not be encoded"))
}

/// What is stored about `user_id`; `Ok(None)` if the user was never mapped.
///
/// # Errors
/// `invalid` for a zero ID; `storage`; `other` when the stored record cannot be read.
pub fn get(kv: &dyn KeyValue, user_id: u64) -> Result<Option<UserRecord>> {
    let id = ids::snowflake::<UserMarker>("user-id", user_id)?;
    let Some(stored) = read(kv, id)? else {
        return Ok(None);
    };
    let guild_ids = stored
        .guild_ids
        .iter()
        .map(|guild| ids::parse::<GuildMarker>("guild-ids", guild).map(GuildId::get))
        .collect::<Result<Vec<_>>>()
        .map_err(|_| unreadable(id))?;
    Ok(Some(UserRecord {
        discord_user_id: id.get(),
        kaltura_user_id: stored.kaltura_user_id,
        first_seen: stored.first_seen,
        last_seen: stored.last_seen,
        guild_ids,
    }))
}

/// Records a sighting of `user_id` on `guild_id` and returns the user's Kaltura user
/// ID: the stored one, or for a new user the one `new_kaltura_user_id` makes.
///
/// # Errors
/// `storage`; `other` for an unreadable record; whatever `new_kaltura_user_id` returns.
pub(crate) fn touch(
    env: &Env<'_>,
    user_id: UserId,
    guild_id: GuildId,
    new_kaltura_user_id: impl FnOnce() -> Result<String>,
) -> Result<String> {
    let now = env.clock.now_secs();
    let guild = guild_id.to_string();
    let mut new_kaltura_user_id = Some(new_kaltura_user_id);
    let mut made: Option<String> = None;
    ports::update(env.kv, &keys::user(user_id), |current| {
        let (stored, changed) = match parse(user_id, current)? {
            None => {
                // Made once, even when a concurrent write makes this try again.
                let kaltura_user_id = match (&made, new_kaltura_user_id.take()) {
                    (Some(id), _) => id.clone(),
                    (None, Some(make)) => made.insert(make()?).clone(),
                    (None, None) => return Err(Error::other("the Kaltura user ID was not made")),
                };
                (
                    Stored {
                        v: SCHEMA_VERSION,
                        kaltura_user_id,
                        first_seen: now,
                        last_seen: now,
                        guild_ids: vec![guild.clone()],
                    },
                    true,
                )
            }
            Some(mut stored) => {
                let mut changed = false;
                if !stored.guild_ids.contains(&guild) {
                    stored.guild_ids.push(guild.clone());
                    let excess = stored.guild_ids.len().saturating_sub(MAX_GUILDS);
                    stored.guild_ids.drain(..excess);
                    changed = true;
                }
                if now >= stored.last_seen.saturating_add(LAST_SEEN_RESOLUTION) {
                    stored.last_seen = now;
                    changed = true;
                }
                (stored, changed)
            }
        };
        let bytes = if changed {
            Some(encode(&stored)?)
        } else {
            None
        };
        Ok((bytes, stored.kaltura_user_id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fixture, START};
    use common::{KeyValue, MemoryKeyValue, StoreError};
    use std::time::Duration;

    const USER: u64 = 222_222_222_222_222_222;
    const GUILD_A: u64 = 111_111_111_111_111_111;
    const GUILD_B: u64 = 333_333_333_333_333_333;

    fn user() -> UserId {
        UserId::new(USER).unwrap()
    }

    fn guild(id: u64) -> GuildId {
        GuildId::new(id).unwrap()
    }

    fn new_id() -> Result<String> {
        Ok("discord-222222222222222222".into())
    }

    #[test]
    fn a_new_user_gets_a_record_with_first_and_last_seen() {
        let fx = Fixture::new();
        assert_eq!(
            touch(&fx.env(), user(), guild(GUILD_A), new_id).unwrap(),
            "discord-222222222222222222"
        );
        let record = get(&fx.kv, USER).unwrap().unwrap();
        assert_eq!(
            record,
            UserRecord {
                discord_user_id: USER,
                kaltura_user_id: "discord-222222222222222222".into(),
                first_seen: START,
                last_seen: START,
                guild_ids: vec![GUILD_A],
            }
        );
    }

    #[test]
    fn the_record_keeps_its_stored_layout_with_ids_as_decimal_text() {
        let fx = Fixture::new();
        touch(&fx.env(), user(), guild(GUILD_A), new_id).unwrap();
        let stored = ports::read(&fx.kv, "identity/v1/user/222222222222222222")
            .unwrap()
            .unwrap();
        let stored: serde_json::Value = serde_json::from_slice(&stored).unwrap();
        assert_eq!(
            stored,
            serde_json::json!({
                "v": 1,
                "kaltura_user_id": "discord-222222222222222222",
                "first_seen": START,
                "last_seen": START,
                "guild_ids": ["111111111111111111"],
            })
        );
    }

    #[test]
    fn later_sightings_add_servers_and_move_last_seen_but_not_the_kaltura_id() {
        let fx = Fixture::new();
        touch(&fx.env(), user(), guild(GUILD_A), new_id).unwrap();
        fx.clock.advance(Duration::from_secs(30));
        touch(&fx.env(), user(), guild(GUILD_A), || Ok("other".into())).unwrap();
        assert_eq!(get(&fx.kv, USER).unwrap().unwrap().last_seen, START);
        fx.clock.advance(Duration::from_secs(30));
        let id = touch(&fx.env(), user(), guild(GUILD_B), || Ok("other".into())).unwrap();
        assert_eq!(id, "discord-222222222222222222");
        let record = get(&fx.kv, USER).unwrap().unwrap();
        assert_eq!(record.first_seen, START);
        assert_eq!(record.last_seen, START + 60);
        assert_eq!(record.guild_ids, [GUILD_A, GUILD_B]);
    }

    #[test]
    fn only_the_last_hundred_servers_are_kept() {
        let fx = Fixture::new();
        for n in 0..=MAX_GUILDS as u64 {
            touch(&fx.env(), user(), guild(GUILD_A + n), new_id).unwrap();
        }
        let record = get(&fx.kv, USER).unwrap().unwrap();
        assert_eq!(record.guild_ids.len(), MAX_GUILDS);
        assert_eq!(record.guild_ids[0], GUILD_A + 1);
    }

    #[test]
    fn an_unknown_user_is_none_and_a_zero_id_is_invalid() {
        let kv = MemoryKeyValue::default();
        assert_eq!(get(&kv, USER).unwrap(), None);
        assert!(matches!(get(&kv, 0), Err(Error::Invalid(_))));
    }

    #[test]
    fn an_unreadable_record_is_other_and_a_failing_store_is_storage() {
        let kv = MemoryKeyValue::default();
        kv.set(&keys::user(user()), b"{not json").unwrap();
        assert!(matches!(get(&kv, USER), Err(Error::Other(_))));
        let bad_guild =
            br#"{"v":1,"kaltura_user_id":"k","first_seen":1,"last_seen":1,"guild_ids":["x"]}"#;
        kv.set(&keys::user(user()), bad_guild).unwrap();
        assert!(matches!(get(&kv, USER), Err(Error::Other(_))));
        let kv = MemoryKeyValue::failing_with(StoreError::AccessDenied);
        assert!(matches!(get(&kv, USER), Err(Error::Storage(_))));
    }
}
