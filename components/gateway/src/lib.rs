//! The API gateway: `/api/v1` for other clients (a Discord Activity, dashboards,
//! automations). An HTTP component that orchestrates the library services through their
//! WIT imports. `api` is the host-free router and handlers; `component` is the thin Spin
//! adapter.

pub mod api;
pub mod cors;
pub mod keys;
pub mod openapi;
pub mod ratelimit;
pub mod router;

/// The settings the gateway itself needs (the library services report their own).
pub const REQUIRED_SETTINGS: &[&str] = &[
    "discord_application_id",
    "discord_public_key",
    "discord_bot_token",
];

/// Every component of the application, as reported by `/api/v1/health`.
pub const COMPONENTS: &[&str] = &[
    "discord-bot",
    "gateway",
    "notifications",
    "kaltura",
    "identity",
    "config",
];

// The generated WIT bindings are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
