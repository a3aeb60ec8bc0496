//! The Watch Service: shared watch rooms where the members of one server play one
//! Kaltura video in sync, and the video each voice channel asked for. A library
//! component exporting `kaltura-discord:watch/watch` (see `wit/deps/watch/watch.wit`;
//! its types are `contracts`').
//!
//! Host-free: the store, settings and clock are ports ([`Env`]); `component` is the thin
//! Spin adapter.
//!
//! | module | role |
//! |---|---|
//! | [`room`] | the room document and its transitions (join, heartbeat, control, hand-over, leave, presence and host takeover): pure, given the time |
//! | [`service`] | [`Service`]: one method per WIT function over `common::cas`, and the contract's port |
//! | [`settings`] | the Spin variables this service reads |
//!
//! # State (key-value, all documents of `common::cas`)
//! | key | document |
//! |---|---|
//! | `watch/v1/room/<room>` | the room: server, entry, host, playback, version, viewers |
//! | `watch/v1/request/<guild-id>/<channel-id>` | the video a voice channel asked for, and when (kept 15 minutes) |

pub mod room;
pub mod service;
pub mod settings;

#[cfg(test)]
mod tests;

pub use service::{Env, Service};

// The generated WIT bindings are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
