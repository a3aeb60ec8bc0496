//! The Discord Bot Service: the interactions endpoint Discord calls at
//! `POST /discord/interactions`. Every request is verified (Ed25519 over timestamp and
//! raw body) before anything is parsed.
//!
//! Host-free modules, unit-tested natively:
//! - [`endpoint`]: HTTP checks, signature, replay window, parsing; then [`dispatch`].
//! - [`commands`]: the slash-command definitions (data shared with registration).
//! - [`action`]: a verified interaction's data as a domain [`action::Action`].
//! - [`custom_id`]: the versioned button `custom_id` codec.
//! - [`dispatch`]: permission checks and the [`dispatch::Outcome`] of each action.
//! - [`services`]: the [`services::Services`] port to `config`, `identity`, `kaltura`.
//! - [`meeting`]: meeting IDs, kinds and records.
//!
//! `component` is the thin Spin adapter (wasm32 only): [`Services`] over the WIT imports
//! of the `discord-bot` world (`config`, `identity`, `kaltura`, composed in by Spin from
//! spin.toml's `[component.discord-bot.dependencies]`); it answers first, then runs a
//! deferred reply's [`dispatch::FollowUp`] and `PATCH`es the result to Discord.

pub mod action;
pub mod commands;
pub mod custom_id;
pub mod dispatch;
pub mod endpoint;
pub mod meeting;
mod render;
pub mod services;

pub use dispatch::{respond, Outcome};
pub use services::Services;

// The Spin adapter; the `#[http_component]` export it generates is FFI.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
