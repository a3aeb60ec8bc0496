//! The I/O ports logic is written against, shaped like Spin's own host traits, with
//! in-memory versions for tests: key-value, variables, outbound HTTP, the clock and
//! randomness (the compare-and-swap store and the documents over it are in
//! [`crate::cas`]). `spin-adapter` implements them over the host.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Why a key-value operation failed. Carries no values, only what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The component may not open this store (not in its `key_value_stores`).
    #[error("access to the key-value store was denied")]
    AccessDenied,
    /// No store with this label is configured.
    #[error("no such key-value store")]
    NoSuchStore,
    /// Other writers kept changing the value for every attempt of a read-modify-write
    /// ([`crate::cas::update`]); trying again later may work.
    #[error("the value kept changing under concurrent writes")]
    Contended,
    /// Any other failure reported by the host.
    #[error("key-value store error: {0}")]
    Other(String),
}

impl StoreError {
    /// Whether the store refused only because another writer held it for a moment:
    /// Spin's SQLite store, shared by several `spin up` processes on one file, answers
    /// `database is locked` (SQLite's `SQLITE_BUSY`; Spin sets no busy timeout) and
    /// applies nothing. Trying again shortly succeeds.
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Other(message)
            if message.contains("database is locked") || message.contains("DatabaseBusy"))
    }
}

/// How many times [`retry_while_busy`] tries an operation in all.
pub const BUSY_ATTEMPTS: u32 = 8;

/// Runs `op` until it succeeds, fails for another reason than
/// [`StoreError::is_busy`], or has been tried [`BUSY_ATTEMPTS`] times, calling `pause`
/// between tries (2 ms, doubling up to 64 ms: about a quarter of a second in all). Only
/// for operations that a busy answer leaves unapplied (reads, writes, increments, a
/// compare-and-swap's load): never for a swap, whose outcome the caller must learn.
///
/// # Errors
/// The last error.
pub fn retry_while_busy<T>(
    pause: impl Fn(Duration),
    mut op: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut wait = Duration::from_millis(2);
    let mut attempt = 1;
    loop {
        match op() {
            Err(err) if err.is_busy() && attempt < BUSY_ATTEMPTS => {
                pause(wait);
                wait = (wait * 2).min(Duration::from_millis(64));
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// A key-value store: Spin's `Store` (`fermyon:spin/key-value`), one per component.
pub trait KeyValue {
    /// Returns the value at `key`, `Ok(None)` if there is none.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets `key` to `value`, replacing any value.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key`; removing a missing key is not an error.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
}

impl<K: KeyValue + ?Sized> KeyValue for &K {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        (**self).set(key, value)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        (**self).delete(key)
    }
}

/// Deployment settings: Spin variables as the component sees them.
pub trait Variables {
    /// Returns the variable's value, `None` when it is unset or empty (an empty default
    /// in spin.toml means "not configured").
    fn get(&self, name: &str) -> Option<String>;
}

/// A key-value store in memory, for tests.
#[derive(Debug, Default)]
pub struct MemoryKeyValue {
    entries: RefCell<BTreeMap<String, Vec<u8>>>,
    /// When set, every call fails with this error.
    pub failing: Option<StoreError>,
}

impl MemoryKeyValue {
    /// A store whose every call fails with `error`.
    pub fn failing_with(error: StoreError) -> Self {
        Self {
            failing: Some(error),
            ..Self::default()
        }
    }

    /// All keys currently stored, in order.
    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }

    fn check(&self) -> Result<(), StoreError> {
        match &self.failing {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }
}

impl KeyValue for MemoryKeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check()?;
        Ok(self.entries.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        self.entries
            .borrow_mut()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check()?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }
}

/// Variables in memory, for tests.
#[derive(Debug, Default, Clone)]
pub struct MemoryVariables(pub BTreeMap<String, String>);

impl MemoryVariables {
    /// Builds the set from `(name, value)` pairs.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

impl Variables for MemoryVariables {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }
}

/// Sends one HTTP request and returns the whole response.
pub trait Transport {
    /// Sends `request`, giving up after `timeout` for connecting, for the first byte of
    /// the response, and between bytes of its body.
    ///
    /// # Errors
    /// A description of the failure (refused by policy, timed out, connection failed).
    /// It must never contain the request's headers or body: they carry secrets (a KS,
    /// the bot token).
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, String>;
}

/// The wall clock, and a way to wait.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> u64;

    /// Blocks for `duration` (between retries and delivery attempts).
    fn sleep(&self, duration: Duration);

    /// Seconds since the Unix epoch.
    fn now_secs(&self) -> u64 {
        self.now_millis() / 1000
    }
}

/// Milliseconds from the Unix epoch to `time`: what a [`Clock`] over the system clock
/// (`wasi:clocks/wall-clock` in a component) reports. A time before 1970 is a broken
/// host; it reads as 0, which makes every token and record look expired.
pub fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |elapsed| {
        u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
    })
}

/// A source of random bytes: KS nonces, token IDs, API key secrets, retry jitter.
pub trait Random {
    /// Fills `bytes` with random bytes. Nonces, token IDs and key secrets come from here:
    /// the source must be cryptographically secure.
    fn fill(&self, bytes: &mut [u8]);

    /// A random number in `0..=max`.
    fn up_to(&self, max: u64) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill(&mut bytes);
        let n = u64::from_le_bytes(bytes);
        match max.checked_add(1) {
            Some(span) => n % span,
            None => n,
        }
    }
}

/// A clock for tests: it moves only when told to or slept on, and records every sleep.
#[derive(Debug)]
pub struct FakeClock {
    now_ms: Cell<u64>,
    sleeps: RefCell<Vec<Duration>>,
}

impl FakeClock {
    /// A clock at `now_ms` milliseconds since the Unix epoch.
    pub fn at_millis(now_ms: u64) -> Self {
        Self {
            now_ms: Cell::new(now_ms),
            sleeps: RefCell::new(Vec::new()),
        }
    }

    /// A clock at `secs` seconds since the Unix epoch.
    pub fn at_secs(secs: u64) -> Self {
        Self::at_millis(secs.saturating_mul(1000))
    }

    /// Sets the clock to `secs` seconds since the Unix epoch.
    pub fn set_secs(&self, secs: u64) {
        self.now_ms.set(secs.saturating_mul(1000));
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.now_ms.set(self.now_ms.get().saturating_add(ms));
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.borrow().clone()
    }
}

impl Clock for FakeClock {
    fn now_millis(&self) -> u64 {
        self.now_ms.get()
    }

    fn sleep(&self, duration: Duration) {
        self.sleeps.borrow_mut().push(duration);
        self.advance(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy() -> StoreError {
        StoreError::Other(
            "SqliteFailure(Error { code: DatabaseBusy, extended_code: 5 }, Some(\"database is locked\"))".into(),
        )
    }

    #[test]
    fn sqlites_lock_contention_is_busy_and_nothing_else_is() {
        assert!(busy().is_busy());
        assert!(!StoreError::Other("disk I/O error".into()).is_busy());
        assert!(!StoreError::AccessDenied.is_busy());
        assert!(!StoreError::Contended.is_busy());
    }

    #[test]
    fn a_busy_store_is_tried_again_until_it_answers() {
        let pauses = RefCell::new(Vec::new());
        let tries = RefCell::new(0);
        let outcome = retry_while_busy(
            |d| pauses.borrow_mut().push(d),
            || {
                *tries.borrow_mut() += 1;
                if *tries.borrow() < 3 {
                    Err(busy())
                } else {
                    Ok(7)
                }
            },
        );
        assert_eq!(outcome, Ok(7));
        assert_eq!(
            *pauses.borrow(),
            [Duration::from_millis(2), Duration::from_millis(4)]
        );
    }

    #[test]
    fn a_store_busy_for_too_long_or_failing_otherwise_answers_its_error() {
        let tries = RefCell::new(0);
        let outcome: Result<(), _> = retry_while_busy(
            |_| {},
            || {
                *tries.borrow_mut() += 1;
                Err(busy())
            },
        );
        assert!(outcome.is_err_and(|e| e.is_busy()));
        assert_eq!(*tries.borrow(), BUSY_ATTEMPTS);
        let tries = RefCell::new(0);
        let outcome: Result<(), _> = retry_while_busy(
            |_| {},
            || {
                *tries.borrow_mut() += 1;
                Err(StoreError::AccessDenied)
            },
        );
        assert_eq!(outcome, Err(StoreError::AccessDenied));
        assert_eq!(*tries.borrow(), 1);
    }

    #[test]
    fn a_value_written_is_read_back_and_deleted() {
        let kv = MemoryKeyValue::default();
        kv.set("a/b", b"1").unwrap();
        assert_eq!(kv.get("a/b").unwrap(), Some(b"1".to_vec()));
        kv.delete("a/b").unwrap();
        assert_eq!(kv.get("a/b").unwrap(), None);
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let vars = MemoryVariables::from_pairs(&[("a", ""), ("b", "  "), ("c", "x")]);
        assert_eq!(vars.get("a"), None);
        assert_eq!(vars.get("b"), None);
        assert_eq!(vars.get("c").as_deref(), Some("x"));
    }

    #[test]
    fn the_system_clock_is_after_2023() {
        assert!(unix_millis(SystemTime::now()) / 1000 > 1_700_000_000);
    }

    #[test]
    fn a_time_before_1970_reads_as_zero() {
        assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }

    #[test]
    fn a_fake_clock_moves_only_when_told_or_slept_on() {
        let clock = FakeClock::at_secs(1_700_000_000);
        assert_eq!(clock.now_millis(), 1_700_000_000_000);
        clock.sleep(Duration::from_millis(1500));
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now_secs(), 1_700_000_002);
        assert_eq!(clock.sleeps(), [Duration::from_millis(1500)]);
        clock.set_secs(5);
        assert_eq!(clock.now_millis(), 5000);
    }

    struct Fixed(u8);

    impl Random for Fixed {
        fn fill(&self, bytes: &mut [u8]) {
            bytes.fill(self.0);
        }
    }

    #[test]
    fn up_to_stays_within_its_bound() {
        assert_eq!(Fixed(0).up_to(10), 0);
        assert_eq!(Fixed(0xff).up_to(u64::MAX), u64::MAX);
        assert!(Fixed(0xff).up_to(6) <= 6);
    }
}
