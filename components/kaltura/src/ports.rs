//! The I/O this service needs beyond `common`'s key-value and variables ports: sending
//! an HTTP request, the time (and waiting), and random bytes. The Spin adapter
//! implements them over wasi; tests use the fakes in `testing`.

use std::time::Duration;

/// Sends one HTTP request and returns the whole response.
pub trait Transport {
    /// Sends `request`, giving up after `timeout` for connecting, for the first byte of
    /// the response, and between bytes of its body.
    ///
    /// # Errors
    /// A description of the failure (refused by policy, timed out, connection failed).
    /// It must never contain the request's body or headers: they may carry a KS.
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

    /// Blocks for `duration` (between retries).
    fn sleep(&self, duration: Duration);

    /// Seconds since the Unix epoch.
    fn now_secs(&self) -> u64 {
        self.now_millis() / 1000
    }
}

/// A source of random bytes: KS nonces and retry jitter.
pub trait Random {
    /// Fills `bytes` with random bytes. KS nonces need a cryptographically secure source.
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

/// Everything this service's logic runs against; the adapter fills it from Spin.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// Deployment settings.
    pub vars: &'a dyn common::Variables,
    /// The key-value store (`kaltura/v1/...` keys).
    pub kv: &'a dyn common::KeyValue,
    /// Outbound HTTP.
    pub transport: &'a dyn Transport,
    /// Time.
    pub clock: &'a dyn Clock,
    /// Randomness.
    pub random: &'a dyn Random,
}
