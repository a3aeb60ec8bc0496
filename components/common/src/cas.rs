//! The compare-and-swap port: a key-value store whose writes can be made conditional on
//! what was read, shaped like `wasi:keyvalue/atomics` (`cas.new` + `cas.current`, then
//! `swap`) — what Spin and the test host provide on the same `default` store as Spin's
//! key-value API. It builds on [`KeyValue`] for the unconditional reads and writes.
//! `spin-adapter`'s `WasiCasStore` implements it over `wasi:keyvalue`;
//! [`MemoryCasStore`] is the in-memory version for tests.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::ports::{KeyValue, StoreError};

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

    /// Writes `value` at the token's key, atomically, if the key still holds what
    /// [`CasStore::load`] read (across every replica using the store).
    ///
    /// # Errors
    /// [`SwapError::Conflict`] if another write came first (nothing is written), or the
    /// store's error.
    fn swap(&self, token: Self::Token, value: &[u8]) -> Result<(), SwapError>;
}

impl<S: CasStore + ?Sized> CasStore for &S {
    type Token = S::Token;

    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, Self::Token), StoreError> {
        (**self).load(key)
    }

    fn swap(&self, token: Self::Token, value: &[u8]) -> Result<(), SwapError> {
        (**self).swap(token, value)
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
    /// [`SwapError::Conflict`], the store's error, or `Other` for another store's token.
    fn swap_any(&self, token: AnyToken, value: &[u8]) -> Result<(), SwapError>;
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
}

impl CasStore for dyn DynCasStore + '_ {
    type Token = AnyToken;

    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, AnyToken), StoreError> {
        self.load_any(key)
    }

    fn swap(&self, token: AnyToken, value: &[u8]) -> Result<(), SwapError> {
        self.swap_any(token, value)
    }
}

/// A hook run right before a swap, to play another replica writing in between.
type BeforeSwap = Box<dyn FnOnce(&mut BTreeMap<String, Vec<u8>>)>;

/// A [`CasStore`] in memory, for tests. Its token is the value read; a swap succeeds
/// only if the key still holds exactly that. Failures and a concurrent writer can be
/// played.
#[derive(Default)]
pub struct MemoryCasStore {
    entries: RefCell<BTreeMap<String, Vec<u8>>>,
    before_swap: RefCell<Option<BeforeSwap>>,
    failing: RefCell<Option<StoreError>>,
    fail_sets_under: RefCell<Option<String>>,
}

impl std::fmt::Debug for MemoryCasStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCasStore")
            .field("keys", &self.keys())
            .finish_non_exhaustive()
    }
}

/// The token of [`MemoryCasStore`]: the key and the value it held when loaded.
#[derive(Debug, Clone)]
pub struct MemoryToken {
    key: String,
    seen: Option<Vec<u8>>,
}

impl MemoryCasStore {
    /// Runs `interfere` on the entries right before the next swap checks them, as if
    /// another replica wrote between this one's read and write.
    pub fn before_next_swap(
        &self,
        interfere: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) + 'static,
    ) {
        *self.before_swap.borrow_mut() = Some(Box::new(interfere));
    }

    /// Makes every call fail with `error` (or work again with `None`).
    pub fn fail_with(&self, error: Option<StoreError>) {
        *self.failing.borrow_mut() = error;
    }

    /// Makes plain `set`s of keys starting with `prefix` fail (or work again with `None`).
    pub fn fail_sets_under(&self, prefix: Option<&str>) {
        *self.fail_sets_under.borrow_mut() = prefix.map(str::to_owned);
    }

    /// All keys currently stored, in order.
    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }

    /// The value at `key`, read past any failure set up for the test.
    pub fn value(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.borrow().get(key).cloned()
    }

    /// Writes `value` at `key` directly, as another writer would.
    pub fn put(&self, key: &str, value: &[u8]) {
        self.entries
            .borrow_mut()
            .insert(key.to_owned(), value.to_vec());
    }

    fn check(&self) -> Result<(), StoreError> {
        match &*self.failing.borrow() {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }
}

impl KeyValue for MemoryCasStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check()?;
        Ok(self.value(key))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        let refused = self
            .fail_sets_under
            .borrow()
            .as_deref()
            .is_some_and(|prefix| key.starts_with(prefix));
        if refused {
            return Err(StoreError::Other("set refused by the test".into()));
        }
        self.put(key, value);
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check()?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }
}

impl CasStore for MemoryCasStore {
    type Token = MemoryToken;

    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, MemoryToken), StoreError> {
        self.check()?;
        let seen = self.value(key);
        let token = MemoryToken {
            key: key.to_owned(),
            seen: seen.clone(),
        };
        Ok((seen, token))
    }

    fn swap(&self, token: MemoryToken, value: &[u8]) -> Result<(), SwapError> {
        self.check()?;
        let interfere = self.before_swap.borrow_mut().take();
        let mut entries = self.entries.borrow_mut();
        if let Some(interfere) = interfere {
            interfere(&mut entries);
        }
        if entries.get(&token.key) != token.seen.as_ref() {
            return Err(SwapError::Conflict);
        }
        entries.insert(token.key, value.to_vec());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_after_an_unchanged_load_writes_the_value() {
        let store = MemoryCasStore::default();
        let (seen, token) = store.load("k").unwrap();
        assert_eq!(seen, None);
        store.swap(token, b"1").unwrap();
        assert_eq!(store.get("k").unwrap(), Some(b"1".to_vec()));
    }

    #[test]
    fn a_swap_after_another_write_is_a_conflict_and_writes_nothing() {
        let store = MemoryCasStore::default();
        store.put("k", b"0");
        let (_, token) = store.load("k").unwrap();
        store.put("k", b"other");
        assert_eq!(store.swap(token, b"1"), Err(SwapError::Conflict));
        assert_eq!(store.value("k"), Some(b"other".to_vec()));
    }

    #[test]
    fn a_key_created_meanwhile_makes_a_swap_from_nothing_conflict() {
        let store = MemoryCasStore::default();
        let (_, token) = store.load("k").unwrap();
        store.before_next_swap(|entries| {
            entries.insert("k".into(), b"x".to_vec());
        });
        assert_eq!(store.swap(token, b"1"), Err(SwapError::Conflict));
    }

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

    #[test]
    fn a_store_behind_dyn_keeps_its_compare_and_swap() {
        let memory = MemoryCasStore::default();
        let store: &dyn DynCasStore = &memory;
        let (_, token) = store.load("k").unwrap();
        store.swap(token, b"1").unwrap();
        let (seen, stale) = store.load("k").unwrap();
        assert_eq!(seen, Some(b"1".to_vec()));
        memory.put("k", b"2");
        assert_eq!(store.swap(stale, b"3"), Err(SwapError::Conflict));
        let plain: &dyn KeyValue = store;
        assert_eq!(plain.get("k").unwrap(), Some(b"2".to_vec()));
    }
}
