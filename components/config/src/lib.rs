//! The Configuration Service: how each Discord server wants things done. A library
//! component exporting `kaltura-discord:config/config` (see `wit/config.wit`); the
//! HTTP components import it.
//!
//! The settings model (keys, defaults, layers, validation, audit entries) is the
//! host-free `guild-config` crate. This crate stores it: [`Service`] reads and writes
//! the documents listed in [`keys`] through `common::cas` over the [`CasStore`] port,
//! whose updates lose nothing and apply nothing twice on Spin's SQLite and Redis stores,
//! so concurrent writers on any number of replicas cannot lose each other's changes,
//! and stamps them with `common`'s [`Clock`]. Everything here is
//! host-free and tested natively with `common`'s `MemoryCasStore` and `FakeClock`;
//! `component` is the thin Spin adapter (`spin-adapter`'s `WasiCasStore`: `wasi:keyvalue`
//! store and atomics, bucket `default`; and its `SystemClock`).
//!
//! [`CasStore`]: common::cas::CasStore
//! [`Clock`]: common::Clock

pub mod error;
pub mod input;
pub mod keys;
pub mod service;

pub use error::ServiceError;
pub use input::{GuildId, Member};
pub use service::{defaults, ConfigView, DeploymentView, Service, Target, UpdateResult};

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

#[cfg(test)]
mod tests;

// The generated WIT bindings are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
