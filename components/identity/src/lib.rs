//! The User Auth & Mapping Service: Discord members become Kaltura users, the gateway's
//! access tokens are issued and checked here, and so are the servers' API keys. A
//! library component exporting `kaltura-discord:identity/{members, tokens, api-keys}`
//! (`wit/deps/identity/` documents the contract; its types are `contracts`').
//!
//! Logic here is host-free and tested natively with fakes; [`Identity`] implements the
//! contract's ports (`contracts::{Members, Tokens, ApiKeys}`) and `component` exports
//! it. Modules:
//! - [`service`]: [`Identity`], the three ports over one [`Env`];
//! - [`members`]: the Kaltura user ID scheme and display names;
//! - [`users`]: the per-user record in the key-value store;
//! - [`scopes`]: what each role grants, and the server-and-scope check;
//! - [`signing`]: the Ed25519 key from `gateway_signing_key`;
//! - [`tokens`]: access and refresh tokens, rotation and revocation, and refreshes that
//!   carry the member as the caller re-checked them;
//! - [`api_keys`]: API keys, stored only as hashes, with an optional expiry;
//! - [`expiry`]: deleting key-value entries once they expire;
//! - [`ids`]: Discord IDs by `discord_api::id`'s rule; [`error`]: making the contract's
//!   errors;
//! - [`keys`]: every key-value key of this service; [`ports`]: the [`Env`] of `common`'s
//!   ports (store, settings, clock, randomness) a call runs against.
//!
//! Secrets (the signing key, tokens, API keys) never appear in errors or the store;
//! only SHA-256 hashes of API keys are stored. (The contract's `token-pair` and
//! `created-key` carry secrets by design, and their generated `Debug` prints them:
//! never log them.)

pub mod api_keys;
pub mod error;
pub mod expiry;
pub mod ids;
pub mod keys;
pub mod members;
pub mod ports;
pub mod scopes;
pub mod service;
pub mod signing;
pub mod tokens;
pub mod users;

#[cfg(test)]
mod testing;

pub use ports::Env;
pub use service::Identity;

use common::{KeyValue, Variables};
use contracts::ServiceStatus;

/// The settings this service needs: the Ed25519 seed that signs the gateway's tokens.
pub const REQUIRED_SETTINGS: &[&str] = &["gateway_signing_key"];

/// Reports this service's readiness: its missing settings and a key-value round trip.
pub fn status(vars: &dyn Variables, kv: &dyn KeyValue) -> ServiceStatus {
    ServiceStatus {
        name: "identity".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        missing_settings: common::settings::missing(vars, REQUIRED_SETTINGS),
        key_value_ok: common::status::key_value_round_trip(kv, keys::READY_PROBE),
    }
}

// The generated WIT bindings are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
