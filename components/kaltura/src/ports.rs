//! The ports this service runs against, in one [`Env`]: `common`'s compare-and-swap
//! key-value store and variables, and its transport, clock (and waiting) and randomness. The Spin adapter
//! fills it with `spin-adapter`'s implementations; tests with the fakes in `testing` and
//! `common`'s in-memory store and clock.

use common::cas::DynCasStore;
use common::{Clock, Random, Transport, Variables};

/// Everything this service's logic runs against; the adapter fills it from Spin.
///
/// The transport's errors must never contain the request's body or headers: they may
/// carry a KS. Randomness makes KS nonces (cryptographically secure) and retry jitter.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// Deployment settings.
    pub vars: &'a dyn Variables,
    /// The key-value store (`kaltura/v1/...` keys), with compare-and-swap for the
    /// meeting indexes.
    pub kv: &'a dyn DynCasStore,
    /// Outbound HTTP.
    pub transport: &'a dyn Transport,
    /// Time, and waiting between retries.
    pub clock: &'a dyn Clock,
    /// Randomness.
    pub random: &'a dyn Random,
}
