//! The ports this service runs against, in one [`Env`]: `common`'s key-value store
//! (with compare-and-swap), variables, clock and randomness. The adapter fills it with `spin-adapter`'s
//! implementations; tests with `common`'s in-memory store and clock and the random
//! source in `testing`.

use common::cas::{CasStore, DynCasStore, SwapError};
use common::{Clock, Random, Variables};

use crate::error::{IdentityError, Result};

/// Everything a call may use, borrowed from the adapter (or a test's fakes).
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The key-value store (`default`), with compare-and-swap for the documents that
    /// requests change concurrently (key lists, user records, sessions, expiry buckets).
    pub kv: &'a dyn DynCasStore,
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

/// How many times [`update`] tries when other writes to the key keep coming first.
pub(crate) const UPDATE_TRIES: usize = 5;

/// Changes the document at `key` atomically: loads it, lets `change` decide from what is
/// there what to write (`None`: nothing, the document is fine as it is) and what to
/// answer, and swaps the new document in only if nobody wrote it meanwhile; otherwise
/// does it again on what the other writer left.
///
/// # Errors
/// What `change` returns; [`IdentityError::Storage`] when the store fails or other
/// writes kept coming first.
pub(crate) fn update<T>(
    kv: &dyn DynCasStore,
    key: &str,
    mut change: impl FnMut(Option<&[u8]>) -> Result<(Option<Vec<u8>>, T)>,
) -> Result<T> {
    for _ in 0..UPDATE_TRIES {
        let (current, token) = kv.load(key)?;
        let (next, answer) = change(current.as_deref())?;
        let Some(next) = next else {
            return Ok(answer);
        };
        match kv.swap(token, &next) {
            Ok(()) => return Ok(answer),
            Err(SwapError::Conflict) => {}
            Err(SwapError::Store(err)) => return Err(err.into()),
        }
    }
    Err(IdentityError::Storage(format!(
        "{key} kept changing under concurrent writes"
    )))
}
