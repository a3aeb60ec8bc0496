//! The Kaltura Integration Service: the only place that speaks to Kaltura. A library
//! component exporting `kaltura-discord:kaltura/kaltura` (see
//! `wit/deps/kaltura/kaltura.wit`; its types are `contracts`').
//!
//! Logic here is host-free and sans-I/O: Kaltura requests are built and responses parsed
//! as values by `kaltura-api`; sending, time, randomness, settings and the key-value
//! store are ports ([`ports::Env`]). [`Service`] implements the contract's port
//! (`contracts::Kaltura`); `component` is the thin Spin adapter that fills the ports and
//! exports it.
//!
//! | module | role |
//! |---|---|
//! | [`service`] | [`Service`]: one method per WIT function, and the contract's port; status, ping, circuit state |
//! | [`meetings`] | create, get, list, end meetings; per-member join URLs; who may manage a meeting |
//! | [`media`] | media search and get; player embed URLs |
//! | [`session`] | ADMIN and USER sessions, from the admin secret or an app token |
//! | [`resilience`] | breaker, timeouts, retries with backoff and jitter |
//! | [`breaker`] | the circuit breaker whose state is in the key-value store |
//! | [`store`] | meeting records and per-server / per-owner indexes |
//! | [`settings`] | the Spin variables this service reads |
//! | [`ids`] | meeting ids; Discord IDs by `discord_api::id`'s rule |
//! | [`keys`] | every key-value key of this service |
//! | [`ports`] | [`Env`]: `common`'s ports this service runs against (store, settings, transport, clock, randomness) |
//! | [`error`] | making the contract's errors from what fails underneath |

pub mod breaker;
pub mod error;
pub mod ids;
pub mod keys;
pub mod media;
pub mod meetings;
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

use common::{KeyValue, Variables};
use contracts::ServiceStatus;

/// The settings this service always needs. A credential is needed too: either
/// `kaltura_admin_secret`, or `kaltura_app_token_id` with `kaltura_app_token`
/// ([`settings::missing`] reports whichever is lacking).
pub const REQUIRED_SETTINGS: &[&str] = &["kaltura_partner_id", "kaltura_service_url"];

/// Reports this service's readiness: missing settings (see [`settings::missing`]) and a
/// key-value round trip.
pub fn status(vars: &dyn Variables, kv: &dyn KeyValue) -> ServiceStatus {
    ServiceStatus {
        name: "kaltura".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        missing_settings: settings::missing(vars),
        key_value_ok: common::status::key_value_round_trip(kv, keys::READY_PROBE),
    }
}

// The generated WIT bindings are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
