//! The storage port: a key-value store with compare-and-swap, shaped like
//! `wasi:keyvalue/atomics` (`cas.new` + `cas.current`, then `swap`) — what Spin and the
//! test host provide on the same `default` store as Spin's key-value API. The adapter
//! implements it over `wasi:keyvalue`; [`MemoryCasStore`] is the in-memory version for
//! tests.

use std::cell::RefCell;
use std::collections::BTreeMap;

pub use common::StoreError;

/// Why a [`CasStore::swap`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwapError {
    /// The value changed since it was loaded: another writer won; nothing was written.
    #[error("the value changed since it was read")]
    Conflict,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A key-value store whose writes can be made conditional on what was read.
pub trait CasStore {
    /// What [`CasStore::load`] hands out for a later [`CasStore::swap`].
    type Token;

    /// Reads the value at `key` (`None` if there is none) with a token to replace it
    /// only if it is still the same.
    ///
    /// # Errors
    /// The store's error.
    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, Self::Token), StoreError>;

    /// Writes `value` at the token's key, atomically, if the key still holds what
    /// [`CasStore::load`] read (across every replica using the store).
    ///
    /// # Errors
    /// [`SwapError::Conflict`] if another write came first, or the store's error.
    fn swap(&self, token: Self::Token, value: &[u8]) -> Result<(), SwapError>;

    /// Sets `key` to `value` unconditionally.
    ///
    /// # Errors
    /// The store's error.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
}

/// A [`CasStore`] in memory, for tests, with a hook that runs between a load and its
/// swap (to play a concurrent writer).
#[derive(Default)]
pub struct MemoryCasStore {
    entries: RefCell<BTreeMap<String, Vec<u8>>>,
    /// Called with the entries just before each swap is checked.
    #[allow(clippy::type_complexity)]
    pub before_swap: RefCell<Option<Box<dyn FnMut(&mut BTreeMap<String, Vec<u8>>)>>>,
    /// When set, every call fails with this error.
    pub failing: Option<StoreError>,
}

impl std::fmt::Debug for MemoryCasStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCasStore")
            .field("keys", &self.keys())
            .finish_non_exhaustive()
    }
}

impl MemoryCasStore {
    /// A store whose every call fails with `error`.
    pub fn failing_with(error: StoreError) -> Self {
        Self {
            failing: Some(error),
            ..Self::default()
        }
    }

    /// All keys, in order.
    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }

    /// The value at `key`.
    pub fn value(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.borrow().get(key).cloned()
    }

    fn check(&self) -> Result<(), StoreError> {
        self.failing.clone().map_or(Ok(()), Err)
    }
}

/// The key and the value it had when loaded.
#[derive(Debug)]
pub struct MemoryToken {
    key: String,
    snapshot: Option<Vec<u8>>,
}

impl CasStore for MemoryCasStore {
    type Token = MemoryToken;

    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, MemoryToken), StoreError> {
        self.check()?;
        let snapshot = self.entries.borrow().get(key).cloned();
        Ok((
            snapshot.clone(),
            MemoryToken {
                key: key.to_owned(),
                snapshot,
            },
        ))
    }

    fn swap(&self, token: MemoryToken, value: &[u8]) -> Result<(), SwapError> {
        self.check()?;
        if let Some(hook) = self.before_swap.borrow_mut().as_mut() {
            hook(&mut self.entries.borrow_mut());
        }
        let mut entries = self.entries.borrow_mut();
        if entries.get(&token.key) != token.snapshot.as_ref() {
            return Err(SwapError::Conflict);
        }
        entries.insert(token.key, value.to_vec());
        Ok(())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        self.entries
            .borrow_mut()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_succeeds_only_if_nothing_changed_since_the_load() {
        let store = MemoryCasStore::default();
        let (current, token) = store.load("k").unwrap();
        assert_eq!(current, None);
        store.swap(token, b"1").unwrap();
        let (_, stale) = store.load("k").unwrap();
        store.set("k", b"2").unwrap();
        assert_eq!(store.swap(stale, b"3"), Err(SwapError::Conflict));
        assert_eq!(store.value("k"), Some(b"2".to_vec()));
    }
}
