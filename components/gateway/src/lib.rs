//! The API gateway: `/api/v1` for other clients (a Discord Activity, dashboards,
//! automations). An HTTP component that orchestrates the library services through their
//! WIT imports.
//!
//! Host-free modules, unit-tested natively:
//! - [`api`]: the route table, the order of checks and dispatch, over [`api::Backend`];
//! - [`auth`]: bearer credentials, scopes, the one-server rule and the deployment
//!   administrator's token;
//! - [`signin`]: sign-in with Discord, refresh and revoke;
//! - [`meetings`], [`guild`], [`deployment`]: the resources;
//! - [`ratelimit`]: fixed windows counted with the store's atomic increment;
//! - [`discord`]: Discord settings, sending and errors;
//! - [`openapi`]: the document built from the route table;
//! - [`services`]: the ports to `identity`, `config` and `kaltura`.
//!
//! `component` is the thin Spin adapter (wasm32 only).

pub mod api;
pub mod auth;
pub mod cors;
pub mod deployment;
pub mod discord;
pub mod guild;
pub mod keys;
pub mod meetings;
pub mod openapi;
pub mod ratelimit;
pub mod reply;
pub mod router;
pub mod services;
pub mod signin;

#[cfg(test)]
mod testing;

/// The settings the gateway itself needs (the library services report their own).
/// Sign-in also needs `discord_client_secret`; it answers 503 naming it when unset.
/// `gateway_admin_token` ([`auth::ADMIN_TOKEN_SETTING`]) is optional, so not listed:
/// without it the deployment routes answer 503 naming it and nothing else changes.
pub const REQUIRED_SETTINGS: &[&str] = &[
    "discord_application_id",
    "discord_public_key",
    "discord_bot_token",
    "discord_client_secret",
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
