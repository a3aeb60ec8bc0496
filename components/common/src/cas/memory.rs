//! [`MemoryCasStore`]: a [`CasStore`] in memory for tests, playing the quirks of one of
//! Spin's real stores ([`Flavor`]), with hooks that let another writer in at the worst
//! moments. It is `Sync`, so tests can also race real threads on it.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::port::{CasStore, SwapError};
use crate::ports::{KeyValue, StoreError};

/// Which of Spin's stores a [`MemoryCasStore`] behaves like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flavor {
    /// Spin's SQLite store (the default): a swap after a load that found a value writes
    /// only if the key still holds that value, and after a load that found nothing it
    /// writes whatever is there (an upsert); `increment` writes 8-byte little-endian
    /// and panics over a value of another length, poisoning the store for good.
    #[default]
    Sqlite,
    /// Spin's Redis store: a swap writes only if the key was not written since the load
    /// (`WATCH`), and reports failure either way; `increment` writes decimal text and
    /// fails over anything else.
    Redis,
}

/// Something another writer does at a chosen moment; it gets the store itself.
type Hook = Box<dyn FnOnce(&MemoryCasStore) + Send>;

#[derive(Default)]
struct Inner {
    entries: BTreeMap<String, Vec<u8>>,
    /// Per key, the write that last touched it (written or deleted): what `WATCH` sees.
    touched: BTreeMap<String, u64>,
    writes: u64,
    random: u64,
    failing: Option<StoreError>,
    fail_sets_under: Option<String>,
    busy_swaps: u32,
    pauses: Vec<Duration>,
}

impl Inner {
    fn check(&self) -> Result<(), StoreError> {
        match &self.failing {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }

    fn write(&mut self, key: &str, value: Option<Vec<u8>>) {
        self.writes += 1;
        self.touched.insert(key.to_owned(), self.writes);
        match value {
            Some(value) => self.entries.insert(key.to_owned(), value),
            None => self.entries.remove(key),
        };
    }
}

/// A [`CasStore`] in memory, for tests, behaving like one of Spin's stores
/// ([`Flavor`]; [`Default`] is SQLite). Failures can be played, and another writer let
/// in right before or right after the next swap.
#[derive(Default)]
pub struct MemoryCasStore {
    flavor: Flavor,
    inner: Mutex<Inner>,
    before_swap: Mutex<Option<Hook>>,
    after_swap: Mutex<Option<Hook>>,
    before_increment: Mutex<Option<Hook>>,
}

impl std::fmt::Debug for MemoryCasStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCasStore")
            .field("flavor", &self.flavor)
            .field("keys", &self.keys())
            .finish_non_exhaustive()
    }
}

/// The token of [`MemoryCasStore`]: the key, and what the load saw there.
#[derive(Debug, Clone)]
pub struct MemoryToken {
    key: String,
    seen: Option<Vec<u8>>,
    touched: Option<u64>,
}

fn take(slot: &Mutex<Option<Hook>>) -> Option<Hook> {
    slot.lock().ok().and_then(|mut hook| hook.take())
}

impl MemoryCasStore {
    /// An empty store behaving like `flavor`.
    pub fn new(flavor: Flavor) -> Self {
        Self {
            flavor,
            ..Self::default()
        }
    }

    /// Which store it plays.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(inner) => inner,
            // As Spin's SQLite store: after a panic under its lock, every call panics.
            Err(_) => panic!("the key-value store is poisoned by an earlier panic"),
        }
    }

    /// Runs `other` right before the next swap compares, as if another replica wrote
    /// between this one's load and its swap. `other` may use the store as a writer
    /// would (its own swaps do not run this hook again).
    pub fn before_next_swap(&self, other: impl FnOnce(&MemoryCasStore) + Send + 'static) {
        if let Ok(mut hook) = self.before_swap.lock() {
            *hook = Some(Box::new(other));
        }
    }

    /// Runs `other` right after the next swap wrote (or did not), before it reports: as
    /// if another replica acted before this one heard back from the store.
    pub fn after_next_swap(&self, other: impl FnOnce(&MemoryCasStore) + Send + 'static) {
        if let Ok(mut hook) = self.after_swap.lock() {
            *hook = Some(Box::new(other));
        }
    }

    /// Runs `other` right before the next `increment`, as if another replica acted
    /// between this one's reads and its writes.
    pub fn before_next_increment(&self, other: impl FnOnce(&MemoryCasStore) + Send + 'static) {
        if let Ok(mut hook) = self.before_increment.lock() {
            *hook = Some(Box::new(other));
        }
    }

    /// Makes every call fail with `error` (or work again with `None`).
    pub fn fail_with(&self, error: Option<StoreError>) {
        self.lock().failing = error;
    }

    /// Makes the next `swaps` swaps answer `database is locked` without writing, as
    /// Spin's SQLite store does when another process holds the file.
    pub fn busy_swaps(&self, swaps: u32) {
        self.lock().busy_swaps = swaps;
    }

    /// Makes plain `set`s of keys starting with `prefix` fail (or work again with `None`).
    pub fn fail_sets_under(&self, prefix: Option<&str>) {
        self.lock().fail_sets_under = prefix.map(str::to_owned);
    }

    /// All keys currently stored, in order.
    pub fn keys(&self) -> Vec<String> {
        self.lock().entries.keys().cloned().collect()
    }

    /// The raw value at `key`, read past any failure set up for the test.
    pub fn value(&self, key: &str) -> Option<Vec<u8>> {
        self.lock().entries.get(key).cloned()
    }

    /// Writes `value` at `key` directly (no layout), as a hand edit would.
    pub fn put(&self, key: &str, value: &[u8]) {
        self.lock().write(key, Some(value.to_vec()));
    }

    /// Every pause taken before a retry, in order.
    pub fn pauses(&self) -> Vec<Duration> {
        self.lock().pauses.clone()
    }
}

impl KeyValue for MemoryCasStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let inner = self.lock();
        inner.check()?;
        Ok(inner.entries.get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.check()?;
        let refused = inner
            .fail_sets_under
            .as_deref()
            .is_some_and(|prefix| key.starts_with(prefix));
        if refused {
            return Err(StoreError::Other("set refused by the test".into()));
        }
        inner.write(key, Some(value.to_vec()));
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.check()?;
        inner.write(key, None);
        Ok(())
    }
}

impl CasStore for MemoryCasStore {
    type Token = MemoryToken;

    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, MemoryToken), StoreError> {
        let inner = self.lock();
        inner.check()?;
        let seen = inner.entries.get(key).cloned();
        let token = MemoryToken {
            key: key.to_owned(),
            seen: seen.clone(),
            touched: inner.touched.get(key).copied(),
        };
        Ok((seen, token))
    }

    fn swap(&self, token: MemoryToken, value: &[u8]) -> Result<(), SwapError> {
        {
            let mut inner = self.lock();
            inner.check()?;
            if inner.busy_swaps > 0 {
                inner.busy_swaps -= 1;
                return Err(SwapError::Store(StoreError::Other(
                    "SqliteFailure(Error { code: DatabaseBusy, extended_code: 5 }, Some(\"database is locked\"))".into(),
                )));
            }
        }
        if let Some(other) = take(&self.before_swap) {
            other(self);
        }
        let wrote = {
            let mut inner = self.lock();
            inner.check()?;
            let unchanged = match self.flavor {
                // `UPDATE … WHERE value = <loaded>`, or an upsert after finding nothing.
                Flavor::Sqlite => match &token.seen {
                    Some(seen) => inner.entries.get(&token.key) == Some(seen),
                    None => true,
                },
                // `WATCH`: any write to the key since the load aborts the transaction.
                Flavor::Redis => inner.touched.get(&token.key).copied() == token.touched,
            };
            if unchanged {
                inner.write(&token.key, Some(value.to_vec()));
            }
            unchanged
        };
        if let Some(other) = take(&self.after_swap) {
            other(self);
        }
        match self.flavor {
            Flavor::Sqlite if wrote => Ok(()),
            // Redis: `UNWATCH <key>` after `EXEC` is refused, so every swap "fails".
            Flavor::Sqlite | Flavor::Redis => Err(SwapError::Failed),
        }
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        if let Some(other) = take(&self.before_increment) {
            other(self);
        }
        let mut inner = self.lock();
        inner.check()?;
        let current = inner.entries.get(key).cloned();
        let (next, stored) = match self.flavor {
            Flavor::Sqlite => {
                let n = match current {
                    None => 0,
                    Some(bytes) => match <[u8; 8]>::try_from(bytes.as_slice()) {
                        Ok(le) => i64::from_le_bytes(le),
                        // Spin: `expect("incorrect length")` under the connection's lock.
                        Err(_) => panic!("incorrect length"),
                    },
                };
                let next = n.wrapping_add(delta);
                (next, next.to_le_bytes().to_vec())
            }
            Flavor::Redis => {
                let n = match current {
                    None => 0,
                    Some(bytes) => std::str::from_utf8(&bytes)
                        .ok()
                        .and_then(|text| text.parse::<i64>().ok())
                        .ok_or_else(|| {
                            StoreError::Other("ERR value is not an integer or out of range".into())
                        })?,
                };
                let next = n
                    .checked_add(delta)
                    .ok_or_else(|| StoreError::Other("ERR increment would overflow".into()))?;
                (next, next.to_string().into_bytes())
            }
        };
        inner.write(key, Some(stored));
        Ok(next)
    }

    fn random(&self) -> u64 {
        // splitmix64: deterministic, so a failing test fails the same way again.
        let mut inner = self.lock();
        inner.random = inner.random.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = inner.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pause(&self, duration: Duration) {
        self.lock().pauses.push(duration);
        std::thread::yield_now();
    }
}
