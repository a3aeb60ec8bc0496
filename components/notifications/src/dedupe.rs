//! Exactly-once delivery across Kaltura's redeliveries: one record per event under
//! `notify/v1/seen/<event-id>` (a `common::cas` document), claimed with
//! [`cas::update`].
//!
//! Kaltura delivers at least once: it retries anything but 200/204, and a retry carries
//! the same `eventNotificationJobId` and the same body. So:
//!
//! 1. Before posting anything, an instance **claims** the event: it writes a record
//!    `in_progress` with a lease ([`LEASE_SECS`]) with [`cas::update`], atomic across
//!    replicas on Spin's SQLite and Redis stores alike, so of concurrent copies exactly
//!    one wins; the others find its claim, see [`Claim::Busy`] and answer 503, and
//!    Kaltura's next retry finds the outcome.
//! 2. After each channel's outcome is final (delivered, or undeliverable: 403/404), the
//!    record notes that channel, so a later redelivery never posts there again.
//! 3. When every channel is final the record becomes `done` (a redelivery gets 200
//!    "duplicate"); when some delivery may still succeed it becomes `pending` and the
//!    answer is 5xx, so Kaltura redelivers and only the missing channels are tried.
//!
//! What remains: an instance that dies after Discord created a message but before the
//! record noted it. Its lease runs out and a redelivery posts again — unless it comes
//! within Discord's nonce window: every message carries a `nonce` derived from the event
//! and channel with `enforce_nonce`, and Discord then returns the existing message
//! instead of creating a second one ("checked for uniqueness in the past few minutes").
//!
//! Records keyed by a job id are kept; records keyed by a body hash (payloads without a
//! job id: template fields) count for [`HASH_DEDUPE_SECS`] only, because two genuine
//! events can have identical bodies (the same entry becoming READY again, days later).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use common::cas::{self, CasStore, Change, UpdateError};
use common::StoreError;

/// The schema of the stored record.
pub const SCHEMA: u32 = 1;
/// How long a claim holds before another copy of the event may take over (seconds):
/// longer than one request's delivery budget.
pub const LEASE_SECS: u64 = 30;
/// How long a record keyed by a body hash counts, in seconds (one day).
pub const HASH_DEDUPE_SECS: u64 = 24 * 60 * 60;
/// The longest job id used as is in a key.
const MAX_JOB_ID: usize = 64;

/// Which event a notification is, for deduplication.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventId {
    text: String,
    from_hash: bool,
}

impl EventId {
    /// `job-<id>` when the notification carries a usable `eventNotificationJobId`
    /// (1 to 64 of `[A-Za-z0-9_.-]`), otherwise `sha256-<hex>` of the raw body.
    pub fn new(job_id: Option<&str>, body: &[u8]) -> Self {
        let job = job_id.map(str::trim).filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_JOB_ID
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        });
        match job {
            Some(id) => Self {
                text: format!("job-{id}"),
                from_hash: false,
            },
            None => Self {
                text: format!("sha256-{}", hex::encode(Sha256::digest(body))),
                from_hash: true,
            },
        }
    }

    /// Whether it was derived from the body (no job id).
    pub fn from_hash(&self) -> bool {
        self.from_hash
    }

    /// The id as text (used in keys, audit entries and answers).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeenState {
    /// An instance is delivering it, until `lease_until`.
    InProgress,
    /// A delivery may still succeed: the next copy of the event tries the rest.
    Pending,
    /// Every delivery is final.
    Done,
}

/// The final outcome of one channel's delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Discord created the message.
    Delivered,
    /// Discord refused it for good (403, 404, another 4xx).
    Undeliverable,
}

/// The record under `notify/v1/seen/<event-id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenRecord {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Where the event stands.
    pub state: SeenState,
    /// Until when (Unix seconds) an `in_progress` claim holds.
    pub lease_until: u64,
    /// When the event was first claimed (Unix seconds).
    pub first_seen: u64,
    /// When the record was last written (Unix seconds).
    pub updated_at: u64,
    /// Final outcomes so far, by delivery key `<guild-id>/<channel-id>`.
    #[serde(default)]
    pub deliveries: BTreeMap<String, Mark>,
}

impl SeenRecord {
    /// The record as stored.
    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings, numbers and a string map always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This instance now owns the event; `record` is what it wrote (with the outcomes of
    /// earlier attempts, whose channels must not be posted to again).
    Claimed(SeenRecord),
    /// The event was handled before: answer 200 and do nothing.
    Duplicate(SeenRecord),
    /// Another instance is handling it right now: answer 5xx so Kaltura asks again later.
    Busy,
}

/// What to do with an event given its stored record (pure; [`claim`] applies it).
pub fn decide(existing: Option<&[u8]>, id: &EventId, now: u64) -> Claim {
    let fresh = |deliveries: BTreeMap<String, Mark>, first_seen: u64| {
        Claim::Claimed(SeenRecord {
            schema: SCHEMA,
            state: SeenState::InProgress,
            lease_until: now.saturating_add(LEASE_SECS),
            first_seen,
            updated_at: now,
            deliveries,
        })
    };
    let Some(bytes) = existing else {
        return fresh(BTreeMap::new(), now);
    };
    // An unreadable record is taken over: refusing forever would lose the event, and
    // the Discord nonce still guards a copy delivered minutes ago.
    let Ok(record) = serde_json::from_slice::<SeenRecord>(bytes) else {
        return fresh(BTreeMap::new(), now);
    };
    if record.schema != SCHEMA {
        return fresh(BTreeMap::new(), now);
    }
    let expired = id.from_hash() && now >= record.first_seen.saturating_add(HASH_DEDUPE_SECS);
    if expired {
        return fresh(BTreeMap::new(), now);
    }
    match record.state {
        SeenState::Done => Claim::Duplicate(record),
        SeenState::InProgress if record.lease_until > now => Claim::Busy,
        SeenState::InProgress | SeenState::Pending => fresh(record.deliveries, record.first_seen),
    }
}

/// Claims `id` in `store`, atomically.
///
/// # Errors
/// The store's error.
pub fn claim<S: CasStore + ?Sized>(
    store: &S,
    key: &str,
    id: &EventId,
    now: u64,
) -> Result<Claim, StoreError> {
    cas::update(store, key, |current| {
        let decision = decide(current, id, now);
        let change = match &decision {
            Claim::Claimed(record) => Change::Write(record.to_json()),
            Claim::Duplicate(_) | Claim::Busy => Change::Keep,
        };
        Ok((change, decision))
    })
    .map_err(UpdateError::flatten)
}

/// Writes the record as it now stands (the claim's owner only).
///
/// # Errors
/// The store's error.
pub fn save<S: CasStore + ?Sized>(
    store: &S,
    key: &str,
    record: &SeenRecord,
) -> Result<(), StoreError> {
    cas::write(store, key, &record.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::cas::{Flavor, MemoryCasStore};

    fn job() -> EventId {
        EventId::new(Some("98765"), b"body")
    }

    fn claimed(c: Claim) -> SeenRecord {
        match c {
            Claim::Claimed(r) => r,
            other => panic!("expected a claim, got {other:?}"),
        }
    }

    #[test]
    fn the_job_id_names_the_event_and_a_body_hash_stands_in_without_one() {
        assert_eq!(job().as_str(), "job-98765");
        assert!(!job().from_hash());
        let hashed = EventId::new(None, b"entry_id=0_x&entry_status=2");
        assert!(hashed.from_hash());
        assert_eq!(hashed.as_str().len(), "sha256-".len() + 64);
        assert_eq!(
            hashed,
            EventId::new(Some("  "), b"entry_id=0_x&entry_status=2")
        );
        let odd = EventId::new(Some("a/b"), b"x");
        assert!(
            odd.from_hash(),
            "a job id that cannot be a key segment is hashed"
        );
    }

    #[test]
    fn a_new_event_is_claimed_with_a_lease() {
        let r = claimed(decide(None, &job(), 1000));
        assert_eq!(r.state, SeenState::InProgress);
        assert_eq!(r.lease_until, 1000 + LEASE_SECS);
        assert!(r.deliveries.is_empty());
    }

    #[test]
    fn a_done_event_is_a_duplicate_and_a_running_one_is_busy() {
        let mut r = claimed(decide(None, &job(), 1000));
        assert_eq!(decide(Some(&r.to_json()), &job(), 1010), Claim::Busy);
        r.state = SeenState::Done;
        assert!(matches!(
            decide(Some(&r.to_json()), &job(), 1010),
            Claim::Duplicate(_)
        ));
        assert!(
            matches!(
                decide(Some(&r.to_json()), &job(), 10_000_000),
                Claim::Duplicate(_)
            ),
            "job ids never expire"
        );
    }

    #[test]
    fn a_pending_or_abandoned_event_is_taken_over_keeping_its_final_channels() {
        let mut r = claimed(decide(None, &job(), 1000));
        r.deliveries.insert("1/2".into(), Mark::Delivered);
        let abandoned = claimed(decide(Some(&r.to_json()), &job(), 1000 + LEASE_SECS));
        assert_eq!(abandoned.deliveries.get("1/2"), Some(&Mark::Delivered));
        assert_eq!(abandoned.first_seen, 1000);
        r.state = SeenState::Pending;
        let retried = claimed(decide(Some(&r.to_json()), &job(), 1001));
        assert_eq!(retried.deliveries.len(), 1);
    }

    #[test]
    fn a_body_hash_record_expires_after_a_day() {
        let id = EventId::new(None, b"entry_id=0_x&entry_status=2");
        let mut r = claimed(decide(None, &id, 1000));
        r.state = SeenState::Done;
        assert!(matches!(
            decide(Some(&r.to_json()), &id, 2000),
            Claim::Duplicate(_)
        ));
        let later = claimed(decide(Some(&r.to_json()), &id, 1000 + HASH_DEDUPE_SECS));
        assert!(later.deliveries.is_empty());
    }

    #[test]
    fn an_unreadable_record_is_taken_over() {
        assert!(matches!(
            decide(Some(b"{oops"), &job(), 5),
            Claim::Claimed(_)
        ));
    }

    #[test]
    fn of_two_concurrent_claims_exactly_one_wins_on_either_store() {
        for flavor in [Flavor::Sqlite, Flavor::Redis] {
            let store = MemoryCasStore::new(flavor);
            let key = crate::keys::seen(&job());
            // The other replica claims between our load and our swap.
            let k = key.clone();
            store.before_next_swap(move |other| {
                assert!(matches!(
                    claim(other, &k, &job(), 1000),
                    Ok(Claim::Claimed(_))
                ));
            });
            assert_eq!(
                claim(&store, &key, &job(), 1000),
                Ok(Claim::Busy),
                "{flavor:?}"
            );
            assert_eq!(claim(&store, &key, &job(), 1001), Ok(Claim::Busy));
        }
    }

    #[test]
    fn of_many_racing_copies_of_an_event_exactly_one_claims_it() {
        for flavor in [Flavor::Sqlite, Flavor::Redis] {
            let store = MemoryCasStore::new(flavor);
            let key = crate::keys::seen(&job());
            let claims: Vec<Claim> = std::thread::scope(|scope| {
                let copies: Vec<_> = (0..10)
                    .map(|_| scope.spawn(|| claim(&store, &key, &job(), 1000).unwrap()))
                    .collect();
                copies.into_iter().map(|c| c.join().unwrap()).collect()
            });
            let won = claims
                .iter()
                .filter(|c| matches!(c, Claim::Claimed(_)))
                .count();
            assert_eq!(won, 1, "{flavor:?}: {claims:?}");
        }
    }

    #[test]
    fn a_claim_is_written_and_a_saved_outcome_makes_the_next_copy_a_duplicate() {
        let store = MemoryCasStore::default();
        let key = crate::keys::seen(&job());
        let mut r = claimed(claim(&store, &key, &job(), 1000).unwrap());
        r.state = SeenState::Done;
        save(&store, &key, &r).unwrap();
        assert!(matches!(
            claim(&store, &key, &job(), 1001),
            Ok(Claim::Duplicate(_))
        ));
    }

    #[test]
    fn a_failing_store_is_an_error() {
        let store = MemoryCasStore::default();
        store.fail_with(Some(StoreError::AccessDenied));
        assert_eq!(claim(&store, "k", &job(), 1), Err(StoreError::AccessDenied));
    }
}
