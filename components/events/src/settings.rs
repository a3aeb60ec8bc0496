//! The Spin variables this service reads (all optional).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `events_retry_schedule` | `5,300,1800,7200,18000,36000,36000` | seconds to wait after each failed attempt before the next; after the last, the delivery gives up and its subscription is paused (Standard Webhooks' recommended schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) |
//! | `events_timeout_ms` | `10000` | how long one attempt may take (100 to 30000) |
//! | `events_allow_http` | `false` | allow `http://` destinations (local tests only) |
//! | `events_allow_private_destinations` | `false` | allow loopback, private and link-local addresses and `localhost` |
//! | `events_key_wrap_secret` | — (secret) | at least 32 characters: wraps each subscription's signing key in the store ([`crate::signing::wrap_key`]); without it no subscription can be created (`not-configured`) and none is sent |

use std::time::Duration;

use common::Variables;

/// The waits of Standard Webhooks' recommended schedule, in seconds.
pub const DEFAULT_SCHEDULE: &[u64] = &[5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// At most this many retries in a schedule.
pub const MAX_RETRIES: usize = 20;

/// The settings, read once per call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The wait after each failed attempt; its length is how many retries there are.
    pub schedule: Vec<Duration>,
    /// One attempt's time limit.
    pub timeout: Duration,
    /// Whether `http://` destinations are allowed.
    pub allow_http: bool,
    /// Whether private, loopback and link-local destinations are allowed.
    pub allow_private: bool,
    /// The secret that wraps the signing keys in the store (`None`: unset or too short).
    pub wrap_secret: Option<String>,
}

/// The variable with the wrap secret.
pub const WRAP_SECRET: &str = "events_key_wrap_secret";

/// The shortest wrap secret.
pub const MIN_WRAP_SECRET: usize = 32;

impl Settings {
    /// Reads the settings; a malformed value falls back to its default (and says so in
    /// `problems`, for the caller's log).
    pub fn read(vars: &dyn Variables) -> (Self, Vec<String>) {
        let mut problems = Vec::new();
        let schedule = match vars.get("events_retry_schedule") {
            None => default_schedule(),
            Some(raw) => parse_schedule(&raw).unwrap_or_else(|why| {
                problems.push(format!("events_retry_schedule: {why}; using the default"));
                default_schedule()
            }),
        };
        let timeout = match vars
            .get("events_timeout_ms")
            .map(|raw| raw.trim().parse::<u64>())
        {
            None => Duration::from_secs(10),
            Some(Ok(ms)) if (100..=30_000).contains(&ms) => Duration::from_millis(ms),
            Some(_) => {
                problems.push("events_timeout_ms must be 100 to 30000; using 10000".into());
                Duration::from_secs(10)
            }
        };
        let flag = |name: &str, problems: &mut Vec<String>| match vars.get(name).as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                problems.push(format!("{name} must be true or false; using false"));
                false
            }
        };
        let allow_http = flag("events_allow_http", &mut problems);
        let allow_private = flag("events_allow_private_destinations", &mut problems);
        let wrap_secret = match vars.get(WRAP_SECRET) {
            Some(secret) if secret.len() >= MIN_WRAP_SECRET => Some(secret),
            Some(_) => {
                problems.push(format!(
                    "{WRAP_SECRET} must be at least {MIN_WRAP_SECRET} characters; events are off"
                ));
                None
            }
            None => None,
        };
        (
            Self {
                schedule,
                timeout,
                allow_http,
                allow_private,
                wrap_secret,
            },
            problems,
        )
    }
}

fn default_schedule() -> Vec<Duration> {
    DEFAULT_SCHEDULE
        .iter()
        .map(|s| Duration::from_secs(*s))
        .collect()
}

/// Parses `5,300,1800`: seconds (a fraction allowed, e.g. `0.5`), comma-separated,
/// 0 to [`MAX_RETRIES`] of them; empty means no retry at all.
///
/// # Errors
/// What is wrong.
pub fn parse_schedule(raw: &str) -> Result<Vec<Duration>, String> {
    let raw = raw.trim();
    if raw == "none" {
        return Ok(Vec::new());
    }
    let waits = raw
        .split(',')
        .map(|part| {
            part.trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 7.0 * 86_400.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    format!("{:?} is not a number of seconds (0 to a week)", part.trim())
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if waits.len() > MAX_RETRIES {
        return Err(format!("at most {MAX_RETRIES} retries"));
    }
    Ok(waits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::MemoryVariables;

    #[test]
    fn nothing_set_gives_the_standard_webhooks_schedule_and_https_only() {
        let (settings, problems) = Settings::read(&MemoryVariables::default());
        assert!(problems.is_empty());
        assert_eq!(settings.schedule.len(), 7);
        assert_eq!(settings.schedule[1], Duration::from_secs(300));
        assert!(!settings.allow_http && !settings.allow_private);
    }

    #[test]
    fn a_short_schedule_for_tests_is_read_in_seconds() {
        let vars = MemoryVariables::from_pairs(&[("events_retry_schedule", "0.5, 1,2")]);
        let (settings, _) = Settings::read(&vars);
        assert_eq!(
            settings.schedule,
            [
                Duration::from_millis(500),
                Duration::from_secs(1),
                Duration::from_secs(2)
            ]
        );
    }

    #[test]
    fn a_malformed_value_falls_back_and_is_reported() {
        let vars = MemoryVariables::from_pairs(&[
            ("events_retry_schedule", "5,soon"),
            ("events_allow_http", "yes"),
        ]);
        let (settings, problems) = Settings::read(&vars);
        assert_eq!(settings.schedule.len(), DEFAULT_SCHEDULE.len());
        assert!(!settings.allow_http);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
