//! Fixed-window rate limits, per access token and per client address. The window's
//! count lives in the key-value store (one small document per subject, updated with
//! compare-and-swap), so every replica counts the same requests.

use common::cas::{CasStore, SwapError};
use common::{KeyValue, StoreError};
use serde::Deserialize;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

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

/// The stored count of the current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// When the window started (Unix seconds, a multiple of the window length).
    pub start: u64,
    /// Requests counted in it.
    pub count: u32,
}

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

/// Counts one request at `now` against `current` and returns the window to store and
/// the decision. A refused request is not counted (the stored window is unchanged).
pub fn decide(current: Option<Window>, policy: Policy, now: u64) -> (Window, Decision) {
    let window_secs = policy.window_secs.max(1);
    let start = now - now % window_secs;
    let window = match current {
        Some(window) if window.start == start => window,
        _ => Window { start, count: 0 },
    };
    if window.count >= policy.limit {
        let retry_after_secs = (start + window_secs).saturating_sub(now).max(1);
        return (window, Decision::Limited { retry_after_secs });
    }
    let counted = Window {
        start,
        count: window.count + 1,
    };
    (
        counted,
        Decision::Allowed {
            remaining: policy.limit - counted.count,
        },
    )
}

/// The key of a subject's window. Subjects are never secrets: a session ID, an API
/// key's ID or a client address.
pub fn key(kind: &str, subject: &str) -> String {
    format!("{}rate/{kind}/{subject}", crate::keys::PREFIX)
}

/// The stored form of a [`Window`]: JSON with a schema version.
#[derive(Deserialize)]
struct Stored {
    v: u32,
    start: u64,
    count: u32,
}

fn encode(window: Window) -> Vec<u8> {
    format!(
        r#"{{"v":1,"start":{},"count":{}}}"#,
        window.start, window.count
    )
    .into_bytes()
}

/// A stored window that cannot be read counts as no window: the subject starts over.
fn decode(bytes: Option<&[u8]>) -> Option<Window> {
    let stored: Stored = serde_json::from_slice(bytes?).ok()?;
    (stored.v == 1).then_some(Window {
        start: stored.start,
        count: stored.count,
    })
}

/// How often a count is retried when other replicas keep winning the swap.
const ATTEMPTS: usize = 8;

/// Why a request could not be counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountError {
    /// The store failed.
    Store(StoreError),
    /// Every attempt lost a compare-and-swap race.
    Contended,
}

/// Counts one request of the subject at `key` against `policy` at `now`, atomically
/// across replicas: load, [`decide`], swap; retried when another replica wrote first.
/// A refused request writes nothing.
///
/// # Errors
/// [`CountError`] when the store fails or stays contended; the caller decides whether
/// to let the request through.
pub fn count<S: CasStore>(
    store: &S,
    key: &str,
    policy: Policy,
    now: u64,
) -> Result<Decision, CountError> {
    for _ in 0..ATTEMPTS {
        let (current, token) = store.load(key).map_err(CountError::Store)?;
        let (window, decision) = decide(decode(current.as_deref()), policy, now);
        if let Decision::Limited { .. } = decision {
            return Ok(decision);
        }
        match store.swap(token, &encode(window)) {
            Ok(()) => return Ok(decision),
            Err(SwapError::Conflict) => continue,
            Err(SwapError::Store(err)) => return Err(CountError::Store(err)),
        }
    }
    Err(CountError::Contended)
}

/// A [`CasStore`] in memory, for tests; `interfere` makes the next swaps lose as if
/// another replica had written first.
#[derive(Debug, Default)]
pub struct MemoryCas {
    entries: RefCell<BTreeMap<String, Vec<u8>>>,
    /// How many of the coming swaps fail with a conflict (another replica's write
    /// lands in between: its count is added to the stored window).
    pub interfere: Cell<usize>,
    /// When set, every call fails with this error.
    pub failing: Option<StoreError>,
}

impl MemoryCas {
    /// The window stored at `key`.
    pub fn window(&self, key: &str) -> Option<Window> {
        decode(self.entries.borrow().get(key).map(Vec::as_slice))
    }
}

impl KeyValue for MemoryCas {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match &self.failing {
            Some(err) => Err(err.clone()),
            None => Ok(self.entries.borrow().get(key).cloned()),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        match &self.failing {
            Some(err) => Err(err.clone()),
            None => {
                self.entries
                    .borrow_mut()
                    .insert(key.to_owned(), value.to_vec());
                Ok(())
            }
        }
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        match &self.failing {
            Some(err) => Err(err.clone()),
            None => {
                self.entries.borrow_mut().remove(key);
                Ok(())
            }
        }
    }
}

impl CasStore for MemoryCas {
    type Token = (String, Option<Vec<u8>>);

    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, Self::Token), StoreError> {
        if let Some(err) = &self.failing {
            return Err(err.clone());
        }
        let current = self.entries.borrow().get(key).cloned();
        Ok((current.clone(), (key.to_owned(), current)))
    }

    fn swap(&self, token: Self::Token, value: &[u8]) -> Result<(), SwapError> {
        let (key, seen) = token;
        if self.interfere.get() > 0 {
            self.interfere.set(self.interfere.get() - 1);
            // Another replica counts one request in the same window first.
            let mut entries = self.entries.borrow_mut();
            let theirs = decode(entries.get(&key).map(Vec::as_slice));
            let bumped = match (theirs, decode(Some(value))) {
                (Some(w), Some(mine)) if w.start == mine.start => Window {
                    start: w.start,
                    count: w.count + 1,
                },
                (_, Some(mine)) => Window {
                    start: mine.start,
                    count: 1,
                },
                (_, None) => return Err(SwapError::Conflict),
            };
            entries.insert(key, encode(bumped));
            return Err(SwapError::Conflict);
        }
        let mut entries = self.entries.borrow_mut();
        if entries.get(&key) != seen.as_ref() {
            return Err(SwapError::Conflict);
        }
        entries.insert(key, value.to_vec());
        Ok(())
    }
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

/// The client's address without its port, from Spin's `spin-client-addr` header
/// (`1.2.3.4:5678` or `[::1]:5678`).
pub fn client_address(header: &str) -> Option<String> {
    let header = header.trim();
    let host = if let Some(rest) = header.strip_prefix('[') {
        rest.split_once(']')?.0
    } else {
        match header.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => header,
        }
    };
    let valid = !host.is_empty()
        && host.len() <= 64
        && host
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
    valid.then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Policy = Policy {
        limit: 2,
        window_secs: 60,
    };

    #[test]
    fn requests_within_the_limit_are_allowed_and_counted() {
        let (window, decision) = decide(None, SMALL, 120);
        assert_eq!(decision, Decision::Allowed { remaining: 1 });
        let (window, decision) = decide(Some(window), SMALL, 130);
        assert_eq!(decision, Decision::Allowed { remaining: 0 });
        assert_eq!(window.count, 2);
    }

    #[test]
    fn the_request_over_the_limit_is_refused_until_the_window_ends() {
        let full = Window {
            start: 120,
            count: 2,
        };
        let (window, decision) = decide(Some(full), SMALL, 150);
        assert_eq!(
            decision,
            Decision::Limited {
                retry_after_secs: 30
            }
        );
        assert_eq!(window, full, "a refused request is not counted");
    }

    #[test]
    fn a_new_window_starts_from_zero() {
        let full = Window {
            start: 120,
            count: 2,
        };
        let (window, decision) = decide(Some(full), SMALL, 180);
        assert_eq!(decision, Decision::Allowed { remaining: 1 });
        assert_eq!(window.start, 180);
    }

    #[test]
    fn keys_stay_under_the_gateway_prefix() {
        assert!(key("token", "abc").starts_with("gateway/v1/rate/token/"));
    }

    #[test]
    fn counting_stores_the_window_and_refuses_past_the_limit() {
        let store = MemoryCas::default();
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
            store.window(&k),
            Some(Window {
                start: 120,
                count: 2
            })
        );
        assert_eq!(
            count(&store, &k, SMALL, 180),
            Ok(Decision::Allowed { remaining: 1 })
        );
    }

    #[test]
    fn a_lost_race_is_retried_and_the_other_replicas_request_counts_too() {
        let store = MemoryCas::default();
        let k = key("addr", "127.0.0.1");
        store.interfere.set(1);
        // Another replica's request lands first; ours is counted on top of it.
        assert_eq!(
            count(&store, &k, SMALL, 120),
            Ok(Decision::Allowed { remaining: 0 })
        );
        assert_eq!(
            store.window(&k),
            Some(Window {
                start: 120,
                count: 2
            })
        );
        assert!(matches!(
            count(&store, &k, SMALL, 121),
            Ok(Decision::Limited { .. })
        ));
    }

    #[test]
    fn endless_contention_and_store_failures_are_reported() {
        let store = MemoryCas::default();
        store.interfere.set(ATTEMPTS);
        let big = Policy {
            limit: 1000,
            window_secs: 60,
        };
        assert_eq!(count(&store, "k", big, 1), Err(CountError::Contended));
        let broken = MemoryCas {
            failing: Some(StoreError::AccessDenied),
            ..MemoryCas::default()
        };
        assert_eq!(
            count(&broken, "k", big, 1),
            Err(CountError::Store(StoreError::AccessDenied))
        );
    }

    #[test]
    fn an_unreadable_stored_window_starts_over() {
        assert_eq!(decode(Some(b"not json")), None);
        assert_eq!(decode(Some(br#"{"v":2,"start":1,"count":1}"#)), None);
        let window = Window {
            start: 60,
            count: 3,
        };
        assert_eq!(decode(Some(&encode(window))), Some(window));
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

    #[test]
    fn client_addresses_lose_their_port() {
        assert_eq!(
            client_address("127.0.0.1:5678").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(client_address("[::1]:80").as_deref(), Some("::1"));
        assert_eq!(client_address("10.0.0.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(client_address("evil/../key:1"), None);
        assert_eq!(client_address(""), None);
    }
}
