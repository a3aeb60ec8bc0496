//! The host's atomic primitives, shaped like `wasi:keyvalue/atomics` on Spin's `default`
//! store: a compare-and-swap (`cas.new` + `cas.current`, then `swap`) and `increment`,
//! beside the plain [`KeyValue`] reads and writes, plus the randomness and waiting the
//! document protocol needs for generations and retry jitter. Services do not call these
//! directly for documents: they go through [`super::read`] and [`super::update`], which
//! stay correct on stores whose primitives are not (see the module docs of
//! [`crate::cas`]).

use std::time::Duration;

use crate::ports::{KeyValue, StoreError};

/// Why a [`CasStore::swap`] did not report success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwapError {
    /// The store reported the swap as failed (`cas-failed`). Usually another writer came
    /// first and nothing was written, but Spin's Redis store reports every swap this
    /// way, including one that committed: never trust it alone ([`super::update`]
    /// re-reads to find out).
    #[error("the store reported the compare-and-swap as failed")]
    Failed,
    /// The store failed; whether the value was written is unknown.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A key-value store with the atomic operations of `wasi:keyvalue/atomics`.
///
/// What real stores do (and what [`super::MemoryCasStore`] plays):
/// - Spin's SQLite store: a swap after a load that found a value is an atomic
///   `UPDATE … WHERE value = <loaded>`; after a load that found nothing it is an upsert,
///   so concurrent first writers all "succeed". `increment` is atomic and stores 8-byte
///   little-endian; over a value of another length it panics and poisons the store.
/// - Spin's Redis store: load is `WATCH` + `GET`, swap is `MULTI`/`SET`/`EXEC` (atomic),
///   but it then reports failure whether or not the write committed. `increment` is
///   `INCRBY` (atomic, decimal text).
pub trait CasStore: KeyValue {
    /// What [`CasStore::load`] hands out for a later [`CasStore::swap`]: the
    /// `wasi:keyvalue` `cas` handle in Spin.
    type Token;

    /// Reads the value at `key` (`None` if there is none) with a token to replace it
    /// only if it is still the same.
    ///
    /// # Errors
    /// The store's error.
    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, Self::Token), StoreError>;

    /// Writes `value` at the token's key if the key still holds what
    /// [`CasStore::load`] read. See [`SwapError::Failed`] for how little a failure means.
    ///
    /// # Errors
    /// [`SwapError::Failed`] as reported by the store, or the store's error.
    fn swap(&self, token: Self::Token, value: &[u8]) -> Result<(), SwapError>;

    /// Adds `delta` to the integer at `key` (a missing key counts as 0) atomically across
    /// replicas and returns the new value: the only atomic create-if-absent on every
    /// store. Call it only on keys that hold nothing but its own results.
    ///
    /// # Errors
    /// The store's error (Redis: the value is not an integer).
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError>;

    /// 64 random bits, for document generations and retry jitter (uniqueness, not
    /// secrecy).
    fn random(&self) -> u64;

    /// Waits `duration` before a retry, so writers that collided do not collide again.
    fn pause(&self, duration: Duration);
}

impl<S: CasStore + ?Sized> CasStore for &S {
    type Token = S::Token;

    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, Self::Token), StoreError> {
        (**self).load(key)
    }

    fn swap(&self, token: Self::Token, value: &[u8]) -> Result<(), SwapError> {
        (**self).swap(token, value)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        (**self).increment(key, delta)
    }

    fn random(&self) -> u64 {
        (**self).random()
    }

    fn pause(&self, duration: Duration) {
        (**self).pause(duration);
    }
}

/// The token of a [`DynCasStore`]: the store's own token, boxed.
pub struct AnyToken(Box<dyn std::any::Any>);

impl std::fmt::Debug for AnyToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnyToken")
    }
}

/// A [`CasStore`] with its token boxed, so that a service can hold the store behind
/// `&dyn` in its ports like the other ones. Every `CasStore` whose token is `'static` is
/// one, and `dyn DynCasStore` is itself a [`CasStore`] (with [`AnyToken`]s).
pub trait DynCasStore: KeyValue {
    /// [`CasStore::load`] with the token boxed.
    ///
    /// # Errors
    /// The store's error.
    fn load_any(&self, key: &str) -> Result<(Option<Vec<u8>>, AnyToken), StoreError>;

    /// [`CasStore::swap`] with a token from [`DynCasStore::load_any`] of this store.
    ///
    /// # Errors
    /// As [`CasStore::swap`], or `Other` for another store's token.
    fn swap_any(&self, token: AnyToken, value: &[u8]) -> Result<(), SwapError>;

    /// [`CasStore::increment`].
    ///
    /// # Errors
    /// The store's error.
    fn increment_any(&self, key: &str, delta: i64) -> Result<i64, StoreError>;

    /// [`CasStore::random`].
    fn random_any(&self) -> u64;

    /// [`CasStore::pause`].
    fn pause_any(&self, duration: Duration);
}

impl<S: CasStore> DynCasStore for S
where
    S::Token: 'static,
{
    fn load_any(&self, key: &str) -> Result<(Option<Vec<u8>>, AnyToken), StoreError> {
        let (value, token) = self.load(key)?;
        Ok((value, AnyToken(Box::new(token))))
    }

    fn swap_any(&self, token: AnyToken, value: &[u8]) -> Result<(), SwapError> {
        let token = token.0.downcast::<S::Token>().map_err(|_| {
            SwapError::Store(StoreError::Other(
                "a compare-and-swap token of another store".into(),
            ))
        })?;
        self.swap(*token, value)
    }

    fn increment_any(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.increment(key, delta)
    }

    fn random_any(&self) -> u64 {
        self.random()
    }

    fn pause_any(&self, duration: Duration) {
        self.pause(duration);
    }
}

impl CasStore for dyn DynCasStore + '_ {
    type Token = AnyToken;

    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, AnyToken), StoreError> {
        self.load_any(key)
    }

    fn swap(&self, token: AnyToken, value: &[u8]) -> Result<(), SwapError> {
        self.swap_any(token, value)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.increment_any(key, delta)
    }

    fn random(&self) -> u64 {
        self.random_any()
    }

    fn pause(&self, duration: Duration) {
        self.pause_any(duration);
    }
}
