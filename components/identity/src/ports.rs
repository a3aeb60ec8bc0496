//! The I/O this service needs besides `common`'s key-value and variables ports: the
//! time and random bytes. The adapter implements them over the host; tests use fakes.

use common::{KeyValue, Variables};
use std::time::{SystemTime, UNIX_EPOCH};

/// The current time.
pub trait Clock {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// A cryptographically secure source of random bytes (token IDs, API key secrets).
pub trait Random {
    /// Fills `bytes` with random bytes.
    fn fill(&self, bytes: &mut [u8]);
}

/// The system clock (`wasi:clocks/wall-clock` in a component).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        // A clock before 1970 is a broken host; 0 makes every token look expired.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }
}

/// Everything a call may use, borrowed from the adapter (or a test's fakes).
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The key-value store (`default`).
    pub kv: &'a dyn KeyValue,
    /// Deployment settings.
    pub vars: &'a dyn Variables,
    /// The time.
    pub clock: &'a dyn Clock,
    /// Random bytes.
    pub random: &'a dyn Random,
}

impl Env<'_> {
    /// `N` random bytes.
    pub(crate) fn random_array<const N: usize>(&self) -> [u8; N] {
        let mut bytes = [0u8; N];
        self.random.fill(&mut bytes);
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_is_after_2023() {
        assert!(SystemClock.now() > 1_700_000_000);
    }
}
