//! Each interaction is acted on once: the signature and the timestamp window prove that
//! Discord sent a body, not that it is the first copy. Whoever holds a signed body (a
//! proxy, a log) could send it again within the window, and `/kaltura-start` would make
//! a second room. So every interaction that can act (a command, a button, a modal) is
//! **claimed** by its id in the shared store before it is run; a second copy finds the
//! claim and is answered without acting ([`crate::endpoint`]).
//!
//! The claim is the store's atomic `increment` of `bot/v1/interactions/claim/<id>`: 1 is
//! the first copy, on any replica. To keep the store bounded whatever arrives, claims
//! live in a ring of `capacity` slots: each new claim takes the next slot (an
//! `increment` of `bot/v1/interactions/next`) and removes the claim that slot held, so at
//! most `capacity` claims, `capacity` slots (`bot/v1/interactions/slot/<n>`, the id as
//! text) and the counter are ever stored. A claim lives until `capacity` newer
//! interactions have come; as long as fewer than `capacity` arrive within the replay
//! window (`interaction_max_age_seconds`), every replay the timestamp check lets through
//! is caught. Autocomplete is not claimed: it changes nothing, and each keystroke is one.
//!
//! | key | value |
//! |---|---|
//! | `bot/v1/interactions/claim/<interaction-id>` | how many copies arrived (the store's `increment` encoding) |
//! | `bot/v1/interactions/slot/<n>` | the interaction id that holds slot `n` (`0 ≤ n < capacity`), decimal text |
//! | `bot/v1/interactions/next` | slots handed out so far (`increment` encoding) |

use common::cas::CasStore;
use common::{StoreError, Variables};
use discord_api::id::InteractionId;

/// The prefix of every key of this service.
pub const PREFIX: &str = "bot/v1/interactions/";
/// The counter of slots handed out.
pub const NEXT: &str = "bot/v1/interactions/next";
/// The Spin variable: how many recent interactions are remembered.
pub const CAPACITY_SETTING: &str = "interaction_dedupe_capacity";
/// The capacity when the setting is unset or unusable: 33 interactions a second over a
/// five-minute window.
pub const DEFAULT_CAPACITY: u64 = 10_000;
/// The smallest capacity accepted.
pub const MIN_CAPACITY: u64 = 100;
/// The largest capacity accepted.
pub const MAX_CAPACITY: u64 = 10_000_000;

/// The claim key of an interaction.
pub fn claim_key(id: InteractionId) -> String {
    format!("{PREFIX}claim/{id}")
}

/// The key of ring slot `n`.
pub fn slot_key(n: u64) -> String {
    format!("{PREFIX}slot/{n}")
}

/// The capacity the deployment set ([`CAPACITY_SETTING`], [`MIN_CAPACITY`] to
/// [`MAX_CAPACITY`]), else [`DEFAULT_CAPACITY`].
pub fn capacity(vars: &dyn Variables) -> u64 {
    vars.get(CAPACITY_SETTING)
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|n| (MIN_CAPACITY..=MAX_CAPACITY).contains(n))
        .unwrap_or(DEFAULT_CAPACITY)
}

/// Whether an interaction is new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The first copy: act on it.
    First,
    /// Another copy was claimed before: do not act again.
    Replay,
}

/// Claims interaction `id` in a ring of `capacity` slots (at least 1).
///
/// # Errors
/// The store's error; nothing may be acted on then (a replay cannot be told apart).
pub fn claim(store: &impl CasStore, capacity: u64, id: InteractionId) -> Result<Claim, StoreError> {
    let key = claim_key(id);
    // A copy already claimed takes no slot.
    if store.get(&key)?.is_some() {
        return Ok(Claim::Replay);
    }
    let handed_out = store.increment(NEXT, 1)?;
    let slot = slot_key(handed_out.unsigned_abs() % capacity.max(1));
    let previous = store
        .get(&slot)?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<InteractionId>().ok());
    if let Some(previous) = previous.filter(|previous| *previous != id) {
        store.delete(&claim_key(previous))?;
    }
    // The slot names the claim before the claim exists: a claim is never left behind
    // by a request that stops half-way.
    store.set(&slot, id.to_string().as_bytes())?;
    Ok(match store.increment(&key, 1)? {
        1 => Claim::First,
        _ => Claim::Replay,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use common::cas::{Flavor, MemoryCasStore};
    use common::MemoryVariables;

    fn id(n: u64) -> InteractionId {
        InteractionId::new(900_000_000_000_000_000 + n).unwrap()
    }

    #[test]
    fn the_first_copy_is_acted_on_and_every_other_is_a_replay() {
        for flavor in [Flavor::Sqlite, Flavor::Redis] {
            let store = MemoryCasStore::new(flavor);
            assert_eq!(claim(&store, 100, id(1)), Ok(Claim::First));
            assert_eq!(claim(&store, 100, id(1)), Ok(Claim::Replay));
            assert_eq!(claim(&store, 100, id(1)), Ok(Claim::Replay));
            assert_eq!(claim(&store, 100, id(2)), Ok(Claim::First));
        }
    }

    #[test]
    fn a_copy_racing_the_first_past_the_read_is_still_a_replay() {
        let store = MemoryCasStore::default();
        // The other copy read "unclaimed" too, and claimed first.
        store.before_next_increment(|store| {
            store.put(&claim_key(id(1)), &1i64.to_le_bytes());
        });
        assert_eq!(claim(&store, 100, id(1)), Ok(Claim::Replay));
    }

    #[test]
    fn the_store_holds_at_most_capacity_claims_whatever_arrives() {
        let store = MemoryCasStore::default();
        let capacity = 100;
        for n in 0..1000 {
            assert_eq!(claim(&store, capacity, id(n)), Ok(Claim::First));
        }
        let keys = store.keys();
        let claims = keys.iter().filter(|k| k.contains("/claim/")).count();
        let slots = keys.iter().filter(|k| k.contains("/slot/")).count();
        assert_eq!((claims, slots), (100, 100));
        assert_eq!(keys.len(), 201, "{keys:?}");
        assert!(keys.iter().all(|k| k.starts_with(PREFIX)));
        // The last `capacity` are still caught; the oldest were let go.
        assert_eq!(claim(&store, capacity, id(999)), Ok(Claim::Replay));
        assert_eq!(claim(&store, capacity, id(900)), Ok(Claim::Replay));
        assert_eq!(claim(&store, capacity, id(0)), Ok(Claim::First));
    }

    #[test]
    fn a_failing_store_is_an_error() {
        let store = MemoryCasStore::default();
        store.fail_with(Some(StoreError::Other("down".into())));
        assert!(claim(&store, 100, id(1)).is_err());
    }

    #[test]
    fn the_capacity_is_a_setting_within_bounds() {
        for (setting, expected) in [
            ("", DEFAULT_CAPACITY),
            ("5000", 5000),
            ("10", DEFAULT_CAPACITY),
            ("lots", DEFAULT_CAPACITY),
            ("99999999999", DEFAULT_CAPACITY),
        ] {
            let vars = MemoryVariables::from_pairs(&[(CAPACITY_SETTING, setting)]);
            assert_eq!(capacity(&vars), expected, "{setting:?}");
        }
    }
}
