//! Expiring key-value entries. Spin's key-value store has no time-to-live, so each
//! entry that should disappear at a known time (a revoked or refreshed session) is
//! listed in the bucket of the hour it expires, `identity/v1/expiry/<hour>`; each
//! write operation of this service first sweeps up to [`MAX_BUCKETS_PER_SWEEP`] hours
//! that are over, deleting their entries, and moves `identity/v1/expiry-cursor` on.
//!
//! Readers never rely on the sweep: an entry past its expiry is ignored where it is
//! read. An addition to a bucket goes through `common::cas` (`ports::update`),
//! so two replicas adding to one bucket at once both stay listed; the cursor only ever
//! moves forward the same way, and swept entries and buckets are purged with every key
//! of their layout (`common::cas::purge`).

use serde::{Deserialize, Serialize};

use crate::error::{storage, Error, Result};
use crate::keys;
use crate::ports;
use common::cas::{self, DynCasStore};
use common::KeyValue;

/// The length of a bucket, in seconds.
pub const BUCKET_SECONDS: u64 = 3600;

/// The most buckets one sweep deletes; a store left idle catches up over several calls.
pub const MAX_BUCKETS_PER_SWEEP: u64 = 24;

const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Bucket {
    v: u32,
    keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Cursor {
    v: u32,
    /// The next hour to sweep.
    next: u64,
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|_| Error::other("an expiry record could not be encoded"))
}

fn parse_bucket(bytes: Option<&[u8]>) -> Vec<String> {
    bytes
        // An unreadable bucket is dropped: its entries are ignored once expired anyway.
        .and_then(|bytes| serde_json::from_slice::<Bucket>(bytes).ok())
        .map(|bucket| bucket.keys)
        .unwrap_or_default()
}

fn read_bucket(kv: &dyn KeyValue, hour: u64) -> Result<Vec<String>> {
    Ok(parse_bucket(
        ports::read(kv, &keys::expiry_bucket(hour))?.as_deref(),
    ))
}

fn parse_cursor(bytes: Option<&[u8]>) -> Option<Cursor> {
    serde_json::from_slice::<Cursor>(bytes?).ok()
}

/// Lists `key` for deletion once `expires_at` (Unix seconds) is over.
///
/// # Errors
/// `storage` when the store fails.
pub fn register(kv: &dyn DynCasStore, key: &str, expires_at: u64) -> Result<()> {
    let hour = expires_at / BUCKET_SECONDS;
    ports::update(kv, &keys::expiry_bucket(hour), |current| {
        let mut listed = parse_bucket(current);
        if listed.iter().any(|k| k == key) {
            return Ok((None, ()));
        }
        listed.push(key.to_owned());
        let bucket = Bucket {
            v: SCHEMA_VERSION,
            keys: listed,
        };
        Ok((Some(encode(&bucket)?), ()))
    })
}

/// Deletes the entries of up to [`MAX_BUCKETS_PER_SWEEP`] hours that are over at `now`.
///
/// # Errors
/// `storage` when the store fails.
pub fn sweep(kv: &dyn DynCasStore, now: u64) -> Result<()> {
    let current = now / BUCKET_SECONDS;
    let cursor = parse_cursor(ports::read(kv, keys::EXPIRY_CURSOR)?.as_deref());
    let start = match cursor {
        Some(cursor) => cursor.next,
        None => current,
    };
    let end = current.min(start.saturating_add(MAX_BUCKETS_PER_SWEEP));
    for hour in start..end {
        for key in read_bucket(kv, hour)? {
            // Only this service's keys are ever listed; refuse anything else.
            if key.starts_with(keys::PREFIX) {
                cas::purge(kv, &key).map_err(storage)?;
            }
        }
        cas::purge(kv, &keys::expiry_bucket(hour)).map_err(storage)?;
    }
    if cursor.is_some() && end <= start {
        return Ok(());
    }
    let next = end.max(start);
    // Forward only: a sweep that read an older cursor never moves it back.
    ports::update(kv, keys::EXPIRY_CURSOR, |stored| {
        if parse_cursor(stored).is_some_and(|stored| stored.next >= next) {
            return Ok((None, ()));
        }
        let cursor = Cursor {
            v: SCHEMA_VERSION,
            next,
        };
        Ok((Some(encode(&cursor)?), ()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::cas::MemoryCasStore;

    /// Whether nothing but the cursor's keys is left.
    fn only_the_cursor_is_left(kv: &MemoryCasStore) -> bool {
        let layout = format!("{}#", keys::EXPIRY_CURSOR);
        kv.keys()
            .iter()
            .all(|k| k == keys::EXPIRY_CURSOR || k.starts_with(&layout))
    }

    fn session(kv: &MemoryCasStore, key: &str) -> Option<Vec<u8>> {
        cas::read(kv, key).unwrap()
    }

    const HOUR: u64 = BUCKET_SECONDS;
    const T0: u64 = 1_700_000_000 / HOUR * HOUR;

    #[test]
    fn entries_are_deleted_once_their_hour_is_over() {
        let kv = MemoryCasStore::default();
        sweep(&kv, T0).unwrap();
        cas::write(&kv, "identity/v1/session/a", b"{}").unwrap();
        cas::write(&kv, "identity/v1/session/b", b"{}").unwrap();
        register(&kv, "identity/v1/session/a", T0 + 10).unwrap();
        register(&kv, "identity/v1/session/a", T0 + 20).unwrap();
        register(&kv, "identity/v1/session/b", T0 + 2 * HOUR + 5).unwrap();

        sweep(&kv, T0 + HOUR - 1).unwrap();
        assert!(session(&kv, "identity/v1/session/a").is_some());

        sweep(&kv, T0 + HOUR).unwrap();
        assert!(session(&kv, "identity/v1/session/a").is_none());
        assert!(session(&kv, "identity/v1/session/b").is_some());

        sweep(&kv, T0 + 3 * HOUR).unwrap();
        assert!(session(&kv, "identity/v1/session/b").is_none());
        assert!(only_the_cursor_is_left(&kv), "{:?}", kv.keys());
    }

    #[test]
    fn a_long_idle_store_catches_up_a_few_hours_per_sweep() {
        let kv = MemoryCasStore::default();
        sweep(&kv, T0).unwrap();
        let total = MAX_BUCKETS_PER_SWEEP + 6;
        for n in 0..total {
            let key = format!("identity/v1/session/{n}");
            cas::write(&kv, &key, b"{}").unwrap();
            register(&kv, &key, T0 + n * HOUR).unwrap();
        }
        sweep(&kv, T0 + 100 * HOUR).unwrap();
        let left = (0..total)
            .filter(|n| session(&kv, &format!("identity/v1/session/{n}")).is_some())
            .count();
        assert_eq!(left, 6);
        sweep(&kv, T0 + 100 * HOUR).unwrap();
        assert!(only_the_cursor_is_left(&kv), "{:?}", kv.keys());
    }

    #[test]
    fn keys_outside_this_service_are_never_deleted() {
        let kv = MemoryCasStore::default();
        sweep(&kv, T0).unwrap();
        cas::write(&kv, "config/v1/guild/1", b"{}").unwrap();
        register(&kv, "config/v1/guild/1", T0 + 1).unwrap();
        sweep(&kv, T0 + HOUR).unwrap();
        assert!(session(&kv, "config/v1/guild/1").is_some());
    }

    #[test]
    fn an_entry_listed_by_another_replica_meanwhile_stays_listed() {
        let kv = MemoryCasStore::default();
        register(&kv, "identity/v1/session/a", T0 + 10).unwrap();
        let other = br#"{"v":1,"keys":["identity/v1/session/a","identity/v1/session/b"]}"#;
        kv.before_next_swap(move |other_replica| {
            cas::write(other_replica, &keys::expiry_bucket(T0 / HOUR), other).unwrap();
        });
        register(&kv, "identity/v1/session/c", T0 + 20).unwrap();
        assert_eq!(
            read_bucket(&kv, T0 / HOUR).unwrap(),
            [
                "identity/v1/session/a",
                "identity/v1/session/b",
                "identity/v1/session/c"
            ]
        );
    }

    #[test]
    fn the_cursor_never_moves_back_when_an_older_sweep_finishes_last() {
        let kv = MemoryCasStore::default();
        sweep(&kv, T0).unwrap();
        // Another replica sweeps ten hours ahead while this one still holds the old cursor.
        kv.before_next_swap(|other| sweep(other, T0 + 10 * HOUR).unwrap());
        sweep(&kv, T0 + 2 * HOUR).unwrap();
        let cursor = parse_cursor(ports::read(&kv, keys::EXPIRY_CURSOR).unwrap().as_deref());
        assert_eq!(cursor.map(|c| c.next), Some(T0 / HOUR + 10));
    }
}
