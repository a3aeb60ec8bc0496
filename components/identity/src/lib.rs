//! The User Auth & Mapping Service: Discord members become Kaltura users with a role,
//! and the gateway's access tokens are issued and checked here. A library component
//! exporting `kaltura-discord:services/identity`. Logic here is host-free; `component`
//! is the thin Spin adapter.

pub mod keys;

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
