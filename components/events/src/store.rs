//! The documents under `events/v1/` (see the crate docs for the keys) and every change
//! to them, each one [`common::cas::update`] (correct on Spin's SQLite and Redis
//! stores; concurrent writers lose nothing).

use common::cas::{self, Change, DynCasStore, UpdateError};
use common::StoreError;
use contracts::events::EventType;
use contracts::Actor;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// At most this many subscriptions per server.
pub const MAX_SUBSCRIPTIONS: usize = 10;
/// At most this many pending deliveries per subscription; a publish beyond is dropped
/// (and counted on the subscription) rather than growing the store without bound.
pub const MAX_QUEUE: usize = 1000;
/// The finished deliveries kept per subscription.
pub const MAX_LOG: usize = 50;

/// The key of a server's subscriptions.
pub fn subscriptions_key(guild_id: u64) -> String {
    format!("events/v1/guild/{guild_id}/subscriptions")
}

/// The key of a subscription's pending deliveries.
pub fn queue_key(subscription_id: &str) -> String {
    format!("events/v1/queue/{subscription_id}")
}

/// The key of a subscription's finished deliveries.
pub fn log_key(subscription_id: &str) -> String {
    format!("events/v1/log/{subscription_id}")
}

/// The key of the due index.
pub const DUE_KEY: &str = "events/v1/due";

/// The store probe of `status`.
pub const READY_PROBE: &str = "events/v1/ready-probe";

/// A subscription as stored: the contract's fields and its signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// `sub_…`.
    pub id: String,
    /// The destination.
    pub url: String,
    /// The events it receives.
    pub event_types: Vec<EventType>,
    /// The owner's note.
    pub description: String,
    /// The signing key, wrapped ([`crate::signing::wrap_key`]). Read only to sign;
    /// never returned after creation.
    pub key: String,
    /// Whether it is paused.
    pub paused: bool,
    /// Why, when paused.
    #[serde(default)]
    pub paused_reason: Option<String>,
    /// When, when paused (Unix seconds).
    #[serde(default)]
    pub paused_at: Option<u64>,
    /// When it was created (Unix seconds).
    pub created_at: u64,
    /// Who created it: `user:<id>` or `key:<id>`.
    pub created_by: String,
    /// Failed attempts since the last success.
    #[serde(default)]
    pub consecutive_failures: u32,
    /// Events dropped because the queue was full.
    #[serde(default)]
    pub dropped: u64,
}

/// An actor as stored.
pub fn actor_text(actor: &Actor) -> String {
    match actor {
        Actor::DiscordUser(id) => format!("user:{id}"),
        Actor::ApiKey(id) => format!("key:{id}"),
    }
}

/// An actor from its stored form (a damaged one reads as the API key `unknown`).
pub fn actor_from_text(text: &str) -> Actor {
    match text.split_once(':') {
        Some(("user", id)) => id
            .parse()
            .map_or_else(|_| Actor::ApiKey("unknown".into()), Actor::DiscordUser),
        Some(("key", id)) => Actor::ApiKey(id.to_owned()),
        _ => Actor::ApiKey("unknown".into()),
    }
}

/// A server's subscriptions document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriptions {
    /// Oldest first.
    pub subscriptions: Vec<Stored>,
}

/// One attempt, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it was sent (Unix ms).
    pub at_ms: u64,
    /// The receiver's status, if it answered.
    #[serde(default)]
    pub status: Option<u16>,
    /// Why it failed without an answer.
    #[serde(default)]
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u32,
}

impl Attempt {
    /// Whether the receiver accepted the delivery (2xx).
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// One delivery, pending or finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The `webhook-id`.
    pub id: String,
    /// The event's type.
    pub event_type: EventType,
    /// The exact body every attempt sends.
    pub body: String,
    /// When it was published (Unix ms).
    pub created_ms: u64,
    /// Attempts so far.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// When the next attempt is due (Unix ms).
    pub next_at_ms: u64,
    /// Until when a pump is attempting it (Unix ms): others leave it alone meanwhile.
    #[serde(default)]
    pub lease_until_ms: u64,
    /// Finished: `delivered` or `failed`; `None` while pending.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// A queue or a log document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Items {
    /// Oldest first.
    pub items: Vec<Item>,
}

/// The due index: subscription id → (server, earliest time something may be due).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// By subscription id.
    pub subscriptions: BTreeMap<String, DueEntry>,
}

/// One subscription in the due index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueEntry {
    /// Its server.
    pub guild_id: u64,
    /// Not before (Unix ms).
    pub at_ms: u64,
}

/// What went wrong with the store or a document.
pub fn storage(err: StoreError) -> contracts::Error {
    contracts::Error::Storage(err.to_string())
}

fn parse<T: for<'de> Deserialize<'de> + Default>(
    bytes: Option<&[u8]>,
    what: &str,
) -> Result<T, contracts::Error> {
    match bytes {
        None => Ok(T::default()),
        Some(bytes) => serde_json::from_slice(bytes)
            .map_err(|_| contracts::Error::Storage(format!("the stored {what} is damaged"))),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, contracts::Error> {
    serde_json::to_vec(value).map_err(|err| contracts::Error::Other(err.to_string()))
}

/// Reads a document (the default when there is none).
///
/// # Errors
/// `storage`.
pub fn read<T: for<'de> Deserialize<'de> + Default>(
    kv: &dyn DynCasStore,
    key: &str,
    what: &str,
) -> Result<T, contracts::Error> {
    let bytes = cas::read(kv, key).map_err(storage)?;
    parse(bytes.as_deref(), what)
}

/// Changes a document atomically: `change` gets the current value and returns whether
/// to write it back and what to answer. `change` may run several times.
///
/// # Errors
/// `change`'s error, or `storage`.
pub fn change<T, A>(
    kv: &dyn DynCasStore,
    key: &str,
    what: &str,
    mut change: impl FnMut(&mut T) -> Result<(bool, A), contracts::Error>,
) -> Result<A, contracts::Error>
where
    T: for<'de> Deserialize<'de> + Serialize + Default,
{
    cas::update(kv, key, |current| {
        let mut value: T = parse(current, what)?;
        let (write, answer) = change(&mut value)?;
        let change = if write {
            Change::Write(encode(&value)?)
        } else {
            Change::Keep
        };
        Ok((change, answer))
    })
    .map_err(|err: UpdateError<contracts::Error>| match err {
        UpdateError::Refused(err) => err,
        UpdateError::Store(err) => storage(err),
    })
}

/// Removes a document (its pointer stays as a tombstone, as every deleted document's).
///
/// # Errors
/// `storage`.
pub fn delete(kv: &dyn DynCasStore, key: &str) -> Result<(), contracts::Error> {
    cas::update(kv, key, |current| {
        Ok::<_, StoreError>((
            if current.is_some() {
                Change::Delete
            } else {
                Change::Keep
            },
            (),
        ))
    })
    .map_err(|err| storage(err.flatten()))
}

/// Marks `subscription_id` as possibly due from `at_ms` (or earlier, if it already was).
///
/// # Errors
/// `storage`.
pub fn mark_due(
    kv: &dyn DynCasStore,
    subscription_id: &str,
    guild_id: u64,
    at_ms: u64,
) -> Result<(), contracts::Error> {
    change(kv, DUE_KEY, "due index", |due: &mut Due| {
        let before = due.subscriptions.get(subscription_id).copied();
        let after = DueEntry {
            guild_id,
            at_ms: before.map_or(at_ms, |entry| entry.at_ms.min(at_ms)),
        };
        if before == Some(after) {
            return Ok((false, ()));
        }
        due.subscriptions.insert(subscription_id.to_owned(), after);
        Ok((true, ()))
    })
}

/// Sets when `subscription_id` is next due (`None`: nothing pending; it leaves the
/// index).
///
/// # Errors
/// `storage`.
pub fn set_due(
    kv: &dyn DynCasStore,
    subscription_id: &str,
    guild_id: u64,
    at_ms: Option<u64>,
) -> Result<(), contracts::Error> {
    change(kv, DUE_KEY, "due index", |due: &mut Due| {
        let before = due.subscriptions.get(subscription_id).copied();
        let after = at_ms.map(|at_ms| DueEntry { guild_id, at_ms });
        if before == after {
            return Ok((false, ()));
        }
        match after {
            Some(entry) => due.subscriptions.insert(subscription_id.to_owned(), entry),
            None => due.subscriptions.remove(subscription_id),
        };
        Ok((true, ()))
    })
}
