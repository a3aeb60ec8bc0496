//! The Configuration Service: how each Discord server wants things done, and the rules
//! that follow from it. A library component exporting `kaltura-discord:config/config`
//! (see `wit/deps/config/config.wit`); the HTTP components import it and ask it
//! (may this member use this command? which Kaltura role? what does this server's
//! message say?) instead of reading settings themselves.
//!
//! [`Service`] implements the contract's port, [`contracts::Config`], on the
//! contract's types. The settings model and its rules (keys, defaults, layers,
//! validation, permissions, roles, templates, rendering) are the host-free
//! `guild-config` crate; this crate stores it: it reads and writes the documents listed
//! in [`keys`] through `common::cas` over the [`CasStore`] port, whose updates lose
//! nothing and apply nothing twice on Spin's SQLite and Redis stores, so concurrent
//! writers on any number of replicas cannot lose each other's changes, and stamps them
//! with `common`'s [`Clock`]. Everything here is host-free and tested natively through
//! the port with `common`'s `MemoryCasStore` and `FakeClock`; `component` is the thin
//! Spin adapter (`spin-adapter`'s `WasiCasStore`: `wasi:keyvalue` store and atomics,
//! bucket `default`; and its `SystemClock`) that `contracts::export_config!` exports.
//!
//! [`CasStore`]: common::cas::CasStore
//! [`Clock`]: common::Clock

pub mod channels;
mod error;
mod input;
pub mod keys;
pub mod service;

pub use channels::{Channels, DiscordChannels};
pub use service::Service;

#[cfg(test)]
mod channel_tests;
#[cfg(test)]
mod tests;

// The generated WIT bindings are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
