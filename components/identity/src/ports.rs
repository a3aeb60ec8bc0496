//! The ports this service runs against, in one [`Env`]: `common`'s key-value store,
//! variables, clock and randomness. The adapter fills it with `spin-adapter`'s
//! implementations; tests with `common`'s in-memory store and clock and the random
//! source in `testing`.

use common::{Clock, KeyValue, Random, Variables};

/// Everything a call may use, borrowed from the adapter (or a test's fakes).
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The key-value store (`default`).
    pub kv: &'a dyn KeyValue,
    /// Deployment settings.
    pub vars: &'a dyn Variables,
    /// The time.
    pub clock: &'a dyn Clock,
    /// Cryptographically secure random bytes (token IDs, API key secrets).
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
