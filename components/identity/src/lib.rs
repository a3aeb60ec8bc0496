//! The User Auth & Mapping Service: Discord members become Kaltura users with a role,
//! the gateway's access tokens are issued and checked here, and so are the servers' API
//! keys. A library component exporting `kaltura-discord:identity/identity`
//! (`wit/identity.wit` documents the contract).
//!
//! Logic here is host-free and tested natively with fakes; `component` is the thin Spin
//! adapter. Modules:
//! - [`members`]: the Kaltura user ID scheme, display names and the role rules;
//! - [`users`]: the per-user record in the key-value store;
//! - [`scopes`]: scope names, what each role grants, and the server-and-scope check;
//! - [`signing`]: the Ed25519 key from `gateway_signing_key`;
//! - [`tokens`]: access and refresh tokens, rotation and revocation;
//! - [`api_keys`]: API keys, stored only as hashes;
//! - [`expiry`]: deleting key-value entries once they expire;
//! - [`keys`]: every key-value key of this service; [`ports`]: the [`Env`] of `common`'s
//!   ports (store, settings, clock, randomness) a call runs against.
//!
//! Secrets (the signing key, tokens, API keys) never appear in errors, debug output or
//! the store; only SHA-256 hashes of API keys are stored.

pub mod api_keys;
pub mod error;
pub mod expiry;
pub mod ids;
pub mod keys;
pub mod members;
pub mod ports;
pub mod scopes;
pub mod signing;
pub mod tokens;
pub mod users;

#[cfg(test)]
mod testing;

pub use error::IdentityError;
pub use ports::Env;
pub use scopes::Scope;

use common::{KeyValue, ServiceStatus, Variables};

/// The settings this service needs: the Ed25519 seed that signs the gateway's tokens.
pub const REQUIRED_SETTINGS: &[&str] = &["gateway_signing_key"];

/// Reports this service's readiness.
pub fn status(vars: &dyn Variables, kv: &dyn KeyValue) -> ServiceStatus {
    ServiceStatus::check(
        "identity",
        env!("CARGO_PKG_VERSION"),
        REQUIRED_SETTINGS,
        vars,
        kv,
        keys::READY_PROBE,
    )
}

// The generated WIT bindings are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
