//! Everything the gateway's logic needs from the outside world, as one port: the
//! library services through their contracts, settings, the stores, the clock, request
//! ids, the log and outbound HTTP. The Spin adapter implements it over the WIT imports
//! (`contracts::Imported`) and the host; tests implement it with in-memory fakes.

use common::cas::CasStore;
use common::KeyValue;
use std::future::Future;

/// The outside world of one request.
pub trait Backend {
    /// The store the rate-limit windows live in.
    type Rates: CasStore;

    /// The `config` service.
    fn config(&self) -> &dyn contracts::Config;
    /// `identity`'s members: Discord members as Kaltura users.
    fn members(&self) -> &dyn contracts::Members;
    /// `identity`'s access tokens.
    fn tokens(&self) -> &dyn contracts::Tokens;
    /// `identity`'s API keys.
    fn api_keys(&self) -> &dyn contracts::ApiKeys;
    /// The `kaltura` service.
    fn kaltura(&self) -> &dyn contracts::Kaltura;
    /// The `events` service.
    fn events(&self) -> &dyn contracts::Events;
    /// A setting's value, `None` when unset or empty.
    fn setting(&self, name: &str) -> Option<String>;
    /// A fresh request id.
    fn request_id(&self) -> String;
    /// The time, in Unix seconds.
    fn now(&self) -> u64;
    /// Writes a line to the log. Callers never pass a secret.
    fn log(&self, line: &str);
    /// The rate-limit store (its atomic `increment` counts the windows).
    fn rates(&self) -> &Self::Rates;
    /// The `default` store: the gateway's own records ([`crate::keys`]), and, read-only
    /// through `notify-log`, the notifications service's audit logs.
    fn store(&self) -> &dyn KeyValue;
    /// Sends an outbound HTTP request (to Discord).
    ///
    /// # Errors
    /// Why it could not be sent or answered; never the request's contents.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, String>>;
}
