//! Fixed-window rate limits, per access token and per client address. Each window is a
//! counter in the key-value store, counted with the store's atomic `increment`
//! ([`common::cas::CasStore::increment`]): exact across replicas, whatever the store
//! (no compare-and-swap, so nothing to lose or to count twice).
//!
//! | key | value |
//! |---|---|
//! | `gateway/v1/rate/<kind>/<subject>/<window-start>` | the requests counted in that window (the store's integer encoding) |
//! | `gateway/v1/rate/<kind>/<subject>` | the start of the subject's latest window, decimal text; the first request of a window deletes the window it names, so a subject keeps one window stored |
//!
//! So the store holds at most two keys per subject, and subjects are only what a
//! client cannot choose: a session or API key that verified, or the address Spin saw
//! (an IPv6 client by its /64), or that a trusted proxy forwarded ([`crate::address`]).

use common::cas::CasStore;
use common::StoreError;

/// How many requests a subject may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Requests allowed in one window.
    pub limit: u32,
    /// The window's length in seconds.
    pub window_secs: u64,
}

/// Requests per minute for one access token or API key.
pub const PER_TOKEN: Policy = Policy {
    limit: 120,
    window_secs: 60,
};

/// Requests per minute from one client address, authenticated or not.
pub const PER_ADDRESS: Policy = Policy {
    limit: 300,
    window_secs: 60,
};

/// The outcome for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed; `remaining` more requests fit in this window.
    Allowed {
        /// Requests left in the window after this one.
        remaining: u32,
    },
    /// Refused; try again after `retry_after_secs` (the `Retry-After` header).
    Limited {
        /// Seconds until the window ends.
        retry_after_secs: u64,
    },
}

/// The key of a subject: where its latest window's start is noted, and the prefix of
/// its window counters. Subjects are never secrets: a session ID, an API key's ID or a
/// client address.
pub fn key(kind: &str, subject: &str) -> String {
    format!("{}rate/{kind}/{subject}", crate::keys::PREFIX)
}

/// The counter of the subject at `key` for the window starting at `start`.
pub fn window_key(key: &str, start: u64) -> String {
    format!("{key}/{start}")
}

/// The decision for the `counted`-th request of a window starting at `start`, at `now`.
pub fn decide(counted: u64, policy: Policy, start: u64, now: u64) -> Decision {
    let limit = u64::from(policy.limit);
    if counted <= limit {
        Decision::Allowed {
            remaining: u32::try_from(limit - counted).unwrap_or(u32::MAX),
        }
    } else {
        let end = start.saturating_add(policy.window_secs.max(1));
        Decision::Limited {
            retry_after_secs: end.saturating_sub(now).max(1),
        }
    }
}

/// Counts one request of the subject at `key` against `policy` at `now`, atomically
/// across replicas (one `increment` of the window's counter). Refused requests are
/// counted too; they change no decision.
///
/// # Errors
/// The store's error; the caller decides whether to let the request through.
pub fn count<S: CasStore + ?Sized>(
    store: &S,
    key: &str,
    policy: Policy,
    now: u64,
) -> Result<Decision, StoreError> {
    let window_secs = policy.window_secs.max(1);
    let start = now - now % window_secs;
    let counted = store.increment(&window_key(key, start), 1)?;
    if counted == 1 {
        forget_previous(store, key, start);
    }
    Ok(decide(
        u64::try_from(counted).unwrap_or(0),
        policy,
        start,
        now,
    ))
}

/// Run by the first request of the window at `start` (exactly one per window): deletes
/// the subject's previous window and notes this one. A replica whose clock is behind
/// leaves a newer note alone. Best effort: a failure leaves one stale counter.
fn forget_previous<S: CasStore + ?Sized>(store: &S, key: &str, start: u64) {
    let previous = store
        .get(key)
        .ok()
        .flatten()
        .and_then(|bytes| std::str::from_utf8(&bytes).ok()?.parse::<u64>().ok());
    if previous.is_some_and(|previous| previous >= start) {
        return;
    }
    if let Some(previous) = previous {
        let _stale_counter_left = store.delete(&window_key(key, previous));
    }
    let _note_not_moved = store.set(key, start.to_string().as_bytes());
}

/// The three rate-limit settings, read from Spin variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per access-token session or API key; `None` when turned off (`0`).
    pub per_token: Option<Policy>,
    /// Per client address; `None` when turned off (`0`).
    pub per_address: Option<Policy>,
}

/// The variable with the per-token limit (requests per window; `0` turns it off).
pub const PER_TOKEN_SETTING: &str = "gateway_rate_limit_per_token";
/// The variable with the per-address limit (requests per window; `0` turns it off).
pub const PER_ADDRESS_SETTING: &str = "gateway_rate_limit_per_address";
/// The variable with the window's length in seconds.
pub const WINDOW_SETTING: &str = "gateway_rate_limit_window_seconds";

impl Limits {
    /// Reads the settings through `setting`; an unset one takes its default
    /// ([`PER_TOKEN`], [`PER_ADDRESS`], 60 seconds).
    ///
    /// # Errors
    /// The name of a setting that is set but not a whole number (the window: 1 to
    /// 86400).
    pub fn from_settings(setting: impl Fn(&str) -> Option<String>) -> Result<Self, &'static str> {
        let number = |name: &'static str| -> Result<Option<u64>, &'static str> {
            match setting(name) {
                None => Ok(None),
                Some(raw) => raw.trim().parse::<u64>().map(Some).map_err(|_| name),
            }
        };
        let window_secs = number(WINDOW_SETTING)?.unwrap_or(PER_TOKEN.window_secs);
        if !(1..=86_400).contains(&window_secs) {
            return Err(WINDOW_SETTING);
        }
        let policy = |name: &'static str, default: u32| -> Result<Option<Policy>, &'static str> {
            let limit = match number(name)? {
                None => default,
                Some(n) => u32::try_from(n).map_err(|_| name)?,
            };
            Ok((limit > 0).then_some(Policy { limit, window_secs }))
        };
        Ok(Self {
            per_token: policy(PER_TOKEN_SETTING, PER_TOKEN.limit)?,
            per_address: policy(PER_ADDRESS_SETTING, PER_ADDRESS.limit)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::cas::{Flavor, MemoryCasStore};

    const SMALL: Policy = Policy {
        limit: 2,
        window_secs: 60,
    };

    #[test]
    fn requests_within_the_limit_are_allowed_and_the_next_is_refused_until_the_window_ends() {
        assert_eq!(
            decide(1, SMALL, 120, 120),
            Decision::Allowed { remaining: 1 }
        );
        assert_eq!(
            decide(2, SMALL, 120, 130),
            Decision::Allowed { remaining: 0 }
        );
        assert_eq!(
            decide(3, SMALL, 120, 150),
            Decision::Limited {
                retry_after_secs: 30
            }
        );
        assert_eq!(
            decide(9, SMALL, 120, 179),
            Decision::Limited {
                retry_after_secs: 1
            }
        );
    }

    #[test]
    fn keys_stay_under_the_gateway_prefix() {
        assert!(key("token", "abc").starts_with("gateway/v1/rate/token/"));
        assert_eq!(
            window_key(&key("token", "abc"), 60),
            "gateway/v1/rate/token/abc/60"
        );
    }

    #[test]
    fn counting_refuses_past_the_limit_and_a_new_window_starts_over_on_either_store() {
        for flavor in [Flavor::Sqlite, Flavor::Redis] {
            let store = MemoryCasStore::new(flavor);
            let k = key("session", "s1");
            assert_eq!(
                count(&store, &k, SMALL, 120),
                Ok(Decision::Allowed { remaining: 1 })
            );
            assert_eq!(
                count(&store, &k, SMALL, 121),
                Ok(Decision::Allowed { remaining: 0 })
            );
            assert_eq!(
                count(&store, &k, SMALL, 130),
                Ok(Decision::Limited {
                    retry_after_secs: 50
                })
            );
            assert_eq!(
                count(&store, &k, SMALL, 180),
                Ok(Decision::Allowed { remaining: 1 })
            );
        }
    }

    #[test]
    fn a_subject_keeps_only_its_latest_window_stored() {
        let store = MemoryCasStore::default();
        let k = key("addr", "127.0.0.1");
        for now in [120, 121, 180, 600, 601] {
            count(&store, &k, SMALL, now).unwrap();
        }
        assert_eq!(store.keys(), [k.clone(), window_key(&k, 600)]);
        // A replica whose clock is a window behind counts in its own window, and leaves
        // the newer one alone.
        count(&store, &k, SMALL, 590).unwrap();
        assert!(store.keys().contains(&window_key(&k, 600)));
        assert_eq!(
            count(&store, &k, SMALL, 602),
            Ok(Decision::Limited {
                retry_after_secs: 58
            })
        );
    }

    #[test]
    fn requests_counted_at_once_on_many_replicas_are_each_counted_once() {
        for flavor in [Flavor::Sqlite, Flavor::Redis] {
            let store = MemoryCasStore::new(flavor);
            let k = key("session", "busy");
            let policy = Policy {
                limit: 25,
                window_secs: 60,
            };
            let decisions: Vec<Decision> = std::thread::scope(|scope| {
                let replicas: Vec<_> = (0..40)
                    .map(|_| scope.spawn(|| count(&store, &k, policy, 120).unwrap()))
                    .collect();
                replicas.into_iter().map(|r| r.join().unwrap()).collect()
            });
            let allowed = decisions
                .iter()
                .filter(|d| matches!(d, Decision::Allowed { .. }))
                .count();
            assert_eq!(allowed, 25, "{flavor:?}");
        }
    }

    #[test]
    fn a_failing_store_is_reported() {
        let store = MemoryCasStore::default();
        store.fail_with(Some(StoreError::AccessDenied));
        assert_eq!(count(&store, "k", SMALL, 1), Err(StoreError::AccessDenied));
    }

    #[test]
    fn limits_have_defaults_can_be_turned_off_and_reject_garbage() {
        let none = Limits::from_settings(|_| None).unwrap();
        assert_eq!(none.per_token, Some(PER_TOKEN));
        assert_eq!(none.per_address, Some(PER_ADDRESS));
        let set = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let custom = Limits::from_settings(set(&[
            (PER_TOKEN_SETTING, "5"),
            (PER_ADDRESS_SETTING, "0"),
            (WINDOW_SETTING, "10"),
        ]))
        .unwrap();
        assert_eq!(
            custom.per_token,
            Some(Policy {
                limit: 5,
                window_secs: 10
            })
        );
        assert_eq!(custom.per_address, None);
        assert_eq!(
            Limits::from_settings(set(&[(PER_TOKEN_SETTING, "lots")])),
            Err(PER_TOKEN_SETTING)
        );
        assert_eq!(
            Limits::from_settings(set(&[(WINDOW_SETTING, "0")])),
            Err(WINDOW_SETTING)
        );
    }
}
