//! The Discord Bot Service: the interactions endpoint Discord calls at
//! `POST /discord/interactions`. Every request is verified (Ed25519 over timestamp and
//! raw body) before anything is parsed.
//!
//! Host-free modules, unit-tested natively:
//! - [`endpoint`]: HTTP checks, signature, replay window, parsing; then [`dispatch`].
//! - [`commands`]: the slash-command definitions (data shared with registration).
//! - [`action`]: a verified interaction's data as a domain [`action::Action`].
//! - [`custom_id`]: the versioned button `custom_id` codec.
//! - [`versions`]: each command's version, older shapes and deprecation; how an
//!   interaction made for another version is answered.
//! - [`dispatch`]: permission checks and the [`dispatch::Outcome`] of each action.
//! - [`services`]: the services the bot calls, as the contracts' ports
//!   (`contracts::{Config, Members, Kaltura, Events}`), and the [`services::Caller`].
//! - [`videos`]: `/kaltura-video`'s answers and the player page's link.
//! - [`replay`]: each interaction acted on once, claimed by its id in the shared store
//!   (`bot/v1/interactions/`), with bounded keys.
//!
//! The types are the contracts' (`contracts::config`, `contracts::kaltura`, ...): the bot
//! keeps no copy of a WIT type, and asks the services for every rule about members and
//! meetings.
//!
//! `component` is the thin Spin adapter (wasm32 only): [`Services`] over
//! [`contracts::Imported`] (`config`, `identity`, `kaltura`, composed in by Spin from
//! spin.toml's `[component.discord-bot.dependencies]`); it answers first, then runs a
//! deferred reply's [`dispatch::FollowUp`] and `PATCH`es the result to Discord.

pub mod action;
pub mod commands;
pub mod custom_id;
pub mod dispatch;
pub mod endpoint;
mod render;
pub mod replay;
pub mod services;
pub mod versions;
pub mod videos;

pub use dispatch::{respond, respond_with, Outcome};
pub use services::Services;

// The Spin adapter; the `#[http_component]` export it generates is FFI.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
