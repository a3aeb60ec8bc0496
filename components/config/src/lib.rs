//! The Configuration Service: how each Discord server wants things done. A library
//! component exporting `kaltura-discord:services/config`; the HTTP components import it.
//! Logic here is host-free; `component` is the thin Spin adapter.

pub mod keys;

use common::{KeyValue, ServiceStatus, Variables};

/// The settings this service needs: none, its defaults are compiled in.
pub const REQUIRED_SETTINGS: &[&str] = &[];

/// Reports this service's readiness.
pub fn status(vars: &dyn Variables, kv: &dyn KeyValue) -> ServiceStatus {
    ServiceStatus::check(
        "config",
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
