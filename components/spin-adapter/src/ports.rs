//! The `common` ports beyond key-value and variables, over the host: the atomic store
//! over `wasi:keyvalue` (bucket `default`, with its `atomics`: compare-and-swap and
//! increment) that `common::cas` builds documents and counters on, the wall clock,
//! `wasi:random` and outbound HTTP with wasi-http timeouts.

use std::cell::OnceCell;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use common::cas::{CasStore, SwapError};
use common::{retry_while_busy, Clock, KeyValue, Random, StoreError, Transport};
use spin_sdk::wit::wasi::keyvalue::{atomics, store};

use crate::spin::{random_bytes, send_with_timeouts_blocking, sleep, Timeouts};

/// The `default` bucket through `wasi:keyvalue`: the same store Spin's key-value API
/// opens, whose `atomics` give the compare-and-swap and increment. From [`cas_store`]
/// it may instead hold why the bucket could not be opened, which every call then
/// reports. Services use it through `common::cas` (`read`, `update`, `increment`),
/// which stays correct on Spin's SQLite and Redis stores whatever their swaps report.
pub struct WasiCasStore(Result<Rc<store::Bucket>, StoreError>);

thread_local! {
    /// The `default` bucket once opened: a handle to the store, holding no data. Opening
    /// it is a host call (about 60 µs under Spin) that every port would otherwise repeat,
    /// several times a request; a reused WASIp3 instance keeps the one handle.
    static DEFAULT_BUCKET: OnceCell<Rc<store::Bucket>> = const { OnceCell::new() };
}

/// The `default` bucket: the instance's handle, opened on first use (an error is not
/// kept: the next call tries again).
fn default_bucket() -> Result<Rc<store::Bucket>, StoreError> {
    DEFAULT_BUCKET.with(|cell| {
        if let Some(bucket) = cell.get() {
            return Ok(Rc::clone(bucket));
        }
        let bucket = Rc::new(store::open("default").map_err(store_error)?);
        let _already = cell.set(Rc::clone(&bucket));
        Ok(bucket)
    })
}

fn store_error(err: store::Error) -> StoreError {
    match err {
        store::Error::NoSuchStore => StoreError::NoSuchStore,
        store::Error::AccessDenied => StoreError::AccessDenied,
        store::Error::Other(message) => StoreError::Other(message),
    }
}

impl WasiCasStore {
    /// Opens the `default` bucket.
    ///
    /// # Errors
    /// `AccessDenied` when the component (or, for a library component, the component
    /// that imports it) does not list `default` in `key_value_stores`.
    pub fn open_default() -> Result<Self, StoreError> {
        default_bucket().map(|bucket| Self(Ok(bucket)))
    }

    fn bucket(&self) -> Result<&store::Bucket, StoreError> {
        self.0.as_deref().map_err(Clone::clone)
    }
}

/// Opens the `default` bucket, or a store whose every call reports why it could not be
/// opened (so the caller still answers).
pub fn cas_store() -> WasiCasStore {
    WasiCasStore(default_bucket())
}

// Every call but `swap` is tried again while Spin's SQLite store answers `database is
// locked` (several processes on one file): such an answer applied nothing.
impl KeyValue for WasiCasStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        retry_while_busy(sleep, || self.bucket()?.get(key).map_err(store_error))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        retry_while_busy(sleep, || {
            self.bucket()?.set(key, value).map_err(store_error)
        })
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        retry_while_busy(sleep, || self.bucket()?.delete(key).map_err(store_error))
    }
}

impl CasStore for WasiCasStore {
    type Token = atomics::Cas;

    fn load(&self, key: &str) -> Result<(Option<Vec<u8>>, atomics::Cas), StoreError> {
        retry_while_busy(sleep, || {
            let cas = atomics::Cas::new(self.bucket()?, key).map_err(store_error)?;
            let current = cas.current().map_err(store_error)?;
            Ok((current, cas))
        })
    }

    fn swap(&self, token: atomics::Cas, value: &[u8]) -> Result<(), SwapError> {
        // The fresh `cas` handle that comes with a failure is dropped: `common::cas`
        // loads again on its own terms.
        atomics::swap(token, value).map_err(|err| match err {
            atomics::CasError::CasFailed(_) => SwapError::Failed,
            atomics::CasError::StoreError(err) => SwapError::Store(store_error(err)),
        })
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        retry_while_busy(sleep, || {
            atomics::increment(self.bucket()?, key, delta).map_err(store_error)
        })
    }

    fn random(&self) -> u64 {
        wasi::random::random::get_random_u64()
    }

    fn pause(&self, duration: Duration) {
        sleep(duration);
    }
}

/// The host's wall clock (`wasi:clocks/wall-clock`); sleeping blocks this instance on
/// the monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        common::ports::unix_millis(SystemTime::now())
    }

    fn sleep(&self, duration: Duration) {
        sleep(duration);
    }
}

/// Cryptographically secure random bytes from the host's `wasi:random/random`.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostRandom;

impl Random for HostRandom {
    fn fill(&self, bytes: &mut [u8]) {
        let random = random_bytes(bytes.len());
        // The host returns exactly the bytes asked for; anything else is a broken host,
        // and trapping beats signing tokens with predictable IDs.
        assert_eq!(
            random.len(),
            bytes.len(),
            "wasi:random returned too few bytes"
        );
        bytes.copy_from_slice(&random);
    }
}

/// Outbound HTTP through the host with the same timeout for connecting, the first byte
/// and between bytes ([`send_with_timeouts_blocking`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct HostTransport;

impl Transport for HostTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, String> {
        send_with_timeouts_blocking(request, Timeouts::all(timeout)).map_err(|err| err.0)
    }
}
