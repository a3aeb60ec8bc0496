//! The API gateway: `/api/v1` for other clients (a Discord Activity, dashboards,
//! automations). An HTTP component that orchestrates the library services through their
//! contracts: `config`, `identity` (`members`, `tokens`, `api-keys`), `kaltura`, `events` and `watch`, as
//! the ports of the `contracts` crate, working on the contract types themselves.
//!
//! Host-free modules, unit-tested natively:
//! - [`api`]: the order of checks and the dispatch by endpoint, over [`backend::Backend`];
//! - [`routes`]: the route table (each route's endpoint, guard and summary), matched by
//!   [`router`];
//! - [`auth`]: bearer credentials, guards (scopes and the one-server rule, decided by
//!   identity's `authorize`) and the deployment administrator's token;
//! - [`signin`]: sign-in with Discord, refresh (the member re-checked) and revoke;
//! - [`membership`]: what Discord says about a user on a server, with the bot token;
//! - [`meetings`], [`guild`], [`api_keys`], [`subscriptions`], [`deployment`], [`status`],
//!   [`watch`], [`media`]: the resources;
//! - [`upstream`]: the deep readiness check, one Kaltura ping per interval;
//! - [`ratelimit`]: fixed windows counted with the store's atomic increment;
//! - [`address`]: the client's address (Spin's peer, or what trusted proxies forwarded);
//! - [`discord`]: Discord settings, sending and errors;
//! - [`openapi`]: the document built from the route table;
//! - [`reply`]: responses, problems (a contract error as an HTTP error) and bodies.
//!
//! `component` is the thin Spin adapter (wasm32 only).

pub mod address;
pub mod api;
pub mod api_keys;
pub mod auth;
pub mod backend;
pub mod cors;
pub mod deployment;
pub mod discord;
pub mod guild;
pub mod keys;
pub mod media;
pub mod meetings;
pub mod membership;
pub mod openapi;
pub mod ratelimit;
pub mod reply;
pub mod router;
pub mod routes;
pub mod signin;
pub mod status;
pub mod subscriptions;
pub mod upstream;
pub mod watch;

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
    "activity",
    "kaltura",
    "identity",
    "config",
    "events",
    "watch",
];

// spin-sdk's `http_component` export is FFI and needs `unsafe`; only the adapter has it.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
