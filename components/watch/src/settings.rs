//! The Spin variables this service reads (optional).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `watch_presence_timeout_seconds` | `15` | a viewer not seen for this long is gone (1 to 300); heartbeats are written at most every third of it, and at most every 5 s |

use common::Variables;

/// The variable with the presence timeout.
pub const PRESENCE_TIMEOUT: &str = "watch_presence_timeout_seconds";

/// The presence timeout without the variable.
pub const DEFAULT_PRESENCE_TIMEOUT_MS: u64 = 15_000;

/// The longest wait between two heartbeat writes of a viewer.
pub const MAX_HEARTBEAT_MS: u64 = 5_000;

/// The settings, read once per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// A viewer not seen for longer is gone.
    pub presence_timeout_ms: u64,
}

impl Settings {
    /// Reads the settings; a malformed value falls back to its default (and says so in
    /// the second element, for the caller's log).
    pub fn read(vars: &dyn Variables) -> (Self, Option<String>) {
        match vars
            .get(PRESENCE_TIMEOUT)
            .map(|raw| raw.trim().parse::<u64>())
        {
            None => (Self::default(), None),
            Some(Ok(seconds)) if (1..=300).contains(&seconds) => (
                Self {
                    presence_timeout_ms: seconds * 1000,
                },
                None,
            ),
            Some(_) => (
                Self::default(),
                Some(format!(
                    "{PRESENCE_TIMEOUT}: must be 1 to 300 seconds; using 15"
                )),
            ),
        }
    }

    /// How long a viewer's heartbeat stays fresh enough not to be written again.
    pub fn heartbeat_ms(&self) -> u64 {
        (self.presence_timeout_ms / 3).min(MAX_HEARTBEAT_MS)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            presence_timeout_ms: DEFAULT_PRESENCE_TIMEOUT_MS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::MemoryVariables;

    #[test]
    fn the_timeout_defaults_to_fifteen_seconds_and_heartbeats_to_five() {
        let (settings, problem) = Settings::read(&MemoryVariables::default());
        assert_eq!(settings.presence_timeout_ms, 15_000);
        assert_eq!(settings.heartbeat_ms(), 5_000);
        assert_eq!(problem, None);
    }

    #[test]
    fn a_short_timeout_shortens_the_heartbeat_and_a_bad_one_is_reported() {
        let vars = MemoryVariables::from_pairs(&[(PRESENCE_TIMEOUT, "3")]);
        let (settings, _) = Settings::read(&vars);
        assert_eq!(settings.presence_timeout_ms, 3_000);
        assert_eq!(settings.heartbeat_ms(), 1_000);
        let vars = MemoryVariables::from_pairs(&[(PRESENCE_TIMEOUT, "0")]);
        let (settings, problem) = Settings::read(&vars);
        assert_eq!(settings, Settings::default());
        assert!(problem.is_some_and(|p| p.contains(PRESENCE_TIMEOUT)));
    }
}
