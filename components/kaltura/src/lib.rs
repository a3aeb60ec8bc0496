//! The Kaltura Integration Service: the only place that speaks to Kaltura. A library
//! component exporting `kaltura-discord:kaltura/kaltura` (see `wit/kaltura.wit`).
//!
//! Logic here is host-free and sans-I/O: Kaltura requests are built and responses parsed
//! as values by `kaltura-api`; sending, time, randomness, settings and the key-value
//! store are ports ([`ports::Env`]). `component` is the thin Spin adapter that fills the
//! ports and maps WIT types.
//!
//! | module | role |
//! |---|---|
//! | [`service`] | [`Service`]: one method per WIT function; status, ping, circuit state |
//! | [`meetings`] | create, get, list, end meetings; per-member join URLs |
//! | [`media`] | media search and get; player embed URLs |
//! | [`session`] | ADMIN and USER sessions, from the admin secret or an app token |
//! | [`resilience`] | breaker, timeouts, retries with backoff and jitter |
//! | [`breaker`] | the circuit breaker whose state is in the key-value store |
//! | [`store`] | meeting records and per-server / per-owner indexes |
//! | [`settings`] | the Spin variables this service reads |
//! | [`model`] | domain types mirroring the WIT records; parsed ids |
//! | [`keys`] | every key-value key of this service |
//! | [`ports`] | [`Env`]: `common`'s ports this service runs against (store, settings, transport, clock, randomness) |
//! | [`error`] | the error type mirroring WIT `types.error` |

pub mod breaker;
pub mod error;
pub mod keys;
pub mod media;
pub mod meetings;
pub mod model;
pub mod ports;
pub mod resilience;
pub mod service;
pub mod session;
pub mod settings;
pub mod store;

#[cfg(test)]
mod testing;

pub use error::Error;
pub use ports::Env;
pub use service::Service;

use common::{KeyValue, ServiceStatus, Variables};

/// The settings this service always needs. A credential is needed too: either
/// `kaltura_admin_secret`, or `kaltura_app_token_id` with `kaltura_app_token`
/// ([`settings::missing`] reports whichever is lacking).
pub const REQUIRED_SETTINGS: &[&str] = &["kaltura_partner_id", "kaltura_service_url"];

/// Reports this service's readiness: missing settings (see [`settings::missing`]) and a
/// key-value round trip.
pub fn status(vars: &dyn Variables, kv: &dyn KeyValue) -> ServiceStatus {
    let mut status = ServiceStatus::check(
        "kaltura",
        env!("CARGO_PKG_VERSION"),
        REQUIRED_SETTINGS,
        vars,
        kv,
        keys::READY_PROBE,
    );
    status.missing_settings = settings::missing(vars);
    status
}

// The generated WIT bindings are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
