//! The I/O the delivery logic needs beyond `common`'s ports: sending one HTTP request
//! with a timeout, and the time (and waiting). The Spin adapter implements them over
//! wasi; tests use the fakes in `testing`.

use std::time::Duration;

/// Sends one HTTP request and returns the whole response.
pub trait Transport {
    /// Sends `request`, giving up after `timeout` (connect, first byte, between bytes).
    ///
    /// # Errors
    /// A description of the failure (refused by policy, timed out, connection failed).
    /// It must never contain the request's headers or body: they carry the bot token.
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

    /// Blocks for `duration` (between delivery attempts).
    fn sleep(&self, duration: Duration);

    /// Seconds since the Unix epoch.
    fn now_secs(&self) -> u64 {
        self.now_millis() / 1000
    }
}
