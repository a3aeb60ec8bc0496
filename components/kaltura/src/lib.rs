//! The Kaltura Integration Service: the only place that speaks to Kaltura. A library
//! component exporting `kaltura-discord:services/kaltura`. Logic here is host-free and
//! sans-I/O (requests are built and responses parsed as values); `component` is the
//! thin Spin adapter that sends them.

pub mod keys;
pub mod ping;

use common::{KeyValue, ServiceStatus, Variables};

/// The settings this service needs.
pub const REQUIRED_SETTINGS: &[&str] = &[
    "kaltura_partner_id",
    "kaltura_admin_secret",
    "kaltura_service_url",
];

/// Reports this service's readiness.
pub fn status(vars: &dyn Variables, kv: &dyn KeyValue) -> ServiceStatus {
    ServiceStatus::check(
        "kaltura",
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
