//! The ports this service runs against, in one [`Env`]: `common`'s key-value store
//! (with compare-and-swap), variables, clock and randomness. The adapter fills it with `spin-adapter`'s
//! implementations; tests with `common`'s in-memory store and clock and the random
//! source in `testing`.

use common::cas::{self, Change, DynCasStore, UpdateError};
use common::{Clock, KeyValue, Random, Variables};

use crate::error::{storage, Result};

/// Everything a call may use, borrowed from the adapter (or a test's fakes).
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The key-value store (`default`), with its atomics: the documents that requests
    /// change concurrently (key lists, user records, sessions, expiry buckets and the
    /// expiry cursor) go through `common::cas` (`ports::update`, `ports::read`).
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

/// Changes the document at `key` atomically through `common::cas::update`: `change`
/// decides from what is there what to write (`None`: nothing, the document is fine as
/// it is) and what to answer; when another writer came first it runs again on what
/// that writer left.
///
/// # Errors
/// What `change` returns; `storage` when the store fails or other writes kept coming
/// first.
pub(crate) fn update<T>(
    kv: &dyn DynCasStore,
    key: &str,
    mut change: impl FnMut(Option<&[u8]>) -> Result<(Option<Vec<u8>>, T)>,
) -> Result<T> {
    cas::update(kv, key, |current| {
        let (next, answer) = change(current)?;
        Ok((next.map_or(Change::Keep, Change::Write), answer))
    })
    .map_err(|err| match err {
        UpdateError::Refused(err) => err,
        UpdateError::Store(err) => storage(err),
    })
}

/// The document at `key` as [`update`] writes it (`common::cas::read`).
///
/// # Errors
/// `storage` when the store fails.
pub(crate) fn read(kv: &dyn KeyValue, key: &str) -> Result<Option<Vec<u8>>> {
    cas::read(kv, key).map_err(storage)
}
