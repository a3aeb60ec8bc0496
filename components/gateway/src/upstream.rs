//! The deep readiness check (`/api/v1/ready?upstream=true`): Kaltura's `ping`, at most
//! once per interval for the whole deployment. The first request of each interval
//! claims it with the store's atomic `increment` (exactly one claimant across
//! replicas), pings, and records the result; every other request answers with the
//! recorded result. So no client, however many requests or addresses it has, makes
//! Kaltura calls at will.
//!
//! | key | value |
//! |---|---|
//! | `gateway/v1/upstream/kaltura` | the last result: `{"at","ok","detail","window"}` (JSON; `detail` is the failure in the kaltura service's words, which its contract makes safe to show) |
//! | `gateway/v1/upstream/kaltura/<window-start>` | the claim of that interval, an `increment` counter; the claimant deletes the previous claim |

use crate::backend::Backend;
use common::cas::CasStore;
use common::KeyValue;
use contracts::Error;
use serde::{Deserialize, Serialize};

/// The variable with the interval, in seconds (0 to 3600; 0 pings on every deep check).
pub const INTERVAL_SETTING: &str = "gateway_upstream_check_seconds";

/// The interval when the variable is unset.
pub const DEFAULT_INTERVAL_SECS: u64 = 10;

/// The longest interval the setting may name.
pub const MAX_INTERVAL_SECS: u64 = 3600;

/// Where the last result is recorded.
pub const RESULT_KEY: &str = "gateway/v1/upstream/kaltura";

/// The claim of the interval starting at `start`.
pub fn claim_key(start: u64) -> String {
    format!("{RESULT_KEY}/{start}")
}

/// The interval from the setting's value.
///
/// # Errors
/// The setting's name when it is not a whole number from 0 to [`MAX_INTERVAL_SECS`].
pub fn interval(value: Option<&str>) -> Result<u64, &'static str> {
    match value {
        None => Ok(DEFAULT_INTERVAL_SECS),
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|secs| *secs <= MAX_INTERVAL_SECS)
            .ok_or(INTERVAL_SETTING),
    }
}

/// What a deep check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    /// When Kaltura was pinged (Unix seconds); `None` when no result is known yet.
    pub at: Option<u64>,
    /// Whether Kaltura answered; `None` when no result is known yet.
    pub ok: Option<bool>,
    /// Why not, for operators only: the kaltura service's words.
    pub detail: Option<String>,
    /// The interval whose claimant recorded it (its start).
    #[serde(default)]
    pub window: u64,
}

impl Checked {
    /// Nothing known yet: another request holds this interval's claim and has not
    /// recorded its result.
    fn unknown(detail: &str) -> Self {
        Self {
            at: None,
            ok: None,
            detail: Some(detail.to_owned()),
            window: 0,
        }
    }

    /// The state as the API names it: `ok`, `failing` or `unknown`.
    pub fn state(&self) -> &'static str {
        match self.ok {
            Some(true) => "ok",
            Some(false) => "failing",
            None => "unknown",
        }
    }
}

/// Why Kaltura's `ping` failed, in words safe to show.
fn ping_failure(err: Error) -> String {
    match err {
        Error::NotConfigured(name) => format!("setting {name} is not set"),
        Error::Unavailable(why) | Error::Invalid(why) | Error::Other(why) => why,
        other => format!("{}: {}", other.kind().name(), other.message()),
    }
}

/// Pings Kaltura now.
fn ping<B: Backend>(backend: &B, now: u64, window: u64) -> Checked {
    let result = backend.kaltura().ping();
    Checked {
        at: Some(now),
        ok: Some(result.is_ok()),
        detail: result.err().map(ping_failure),
        window,
    }
}

/// The recorded result, if one can be read.
fn recorded(store: &dyn KeyValue) -> Option<Checked> {
    let bytes = store.get(RESULT_KEY).ok().flatten()?;
    serde_json::from_slice(&bytes).ok()
}

/// Kaltura's state: the recorded result while it is younger than `interval` seconds,
/// else a fresh ping by whichever request claims the current interval first; the other
/// requests of that interval answer with the last recorded result, or `unknown` when
/// there is none yet. With `interval` 0, a fresh ping every time.
pub fn check<B: Backend>(backend: &B, interval: u64) -> Checked {
    let now = backend.now();
    if interval == 0 {
        return ping(backend, now, now);
    }
    let last = recorded(backend.store());
    if let Some(at) = last.as_ref().and_then(|c| c.at) {
        if at <= now && now - at < interval {
            return last.unwrap_or_else(|| Checked::unknown("no result recorded"));
        }
    }
    let start = now - now % interval;
    match backend.rates().increment(&claim_key(start), 1) {
        Ok(1) => {
            let checked = ping(backend, now, start);
            if let Ok(bytes) = serde_json::to_vec(&checked) {
                if let Err(err) = backend.store().set(RESULT_KEY, &bytes) {
                    backend.log(&format!("the upstream check was not recorded: {err:?}"));
                }
            }
            if let Some(previous) = last.map(|c| c.window).filter(|w| *w != start) {
                let _stale_claim_left = backend.rates().delete(&claim_key(previous));
            }
            checked
        }
        Ok(_) => last.unwrap_or_else(|| {
            Checked::unknown("another request is checking Kaltura; ask again in a moment")
        }),
        Err(err) => {
            backend.log(&format!("the upstream check could not be claimed: {err:?}"));
            Checked::unknown("the key-value store failed, so Kaltura was not checked")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_ping_says_why_without_the_error_plumbing() {
        assert_eq!(
            ping_failure(Error::NotConfigured("kaltura_partner_id".into())),
            "setting kaltura_partner_id is not set"
        );
        assert_eq!(
            ping_failure(Error::Unavailable("circuit open".into())),
            "circuit open"
        );
        assert_eq!(ping_failure(Error::Storage("down".into())), "storage: down");
    }

    #[test]
    fn the_interval_has_a_default_and_bounds() {
        assert_eq!(interval(None), Ok(DEFAULT_INTERVAL_SECS));
        assert_eq!(interval(Some(" 0 ")), Ok(0));
        assert_eq!(interval(Some("3600")), Ok(3600));
        assert_eq!(interval(Some("3601")), Err(INTERVAL_SETTING));
        assert_eq!(interval(Some("soon")), Err(INTERVAL_SETTING));
    }

    #[test]
    fn claim_keys_are_under_the_gateway_prefix() {
        assert!(RESULT_KEY.starts_with(crate::keys::PREFIX));
        assert_eq!(claim_key(60), "gateway/v1/upstream/kaltura/60");
    }
}
