//! The Event Service: meeting lifecycle events for each server's subscribers. A library
//! component exporting `kaltura-discord:events/events` (see `wit/deps/events/events.wit`;
//! its types are `contracts`').
//!
//! Host-free: the store, settings, transport, clock and randomness are ports
//! ([`Env`]); `component` is the thin Spin adapter.
//!
//! | module | role |
//! |---|---|
//! | [`service`] | [`Service`]: one method per WIT function, and the contract's port |
//! | [`pump`] | sending what is due: claim, attempt, record, reschedule |
//! | [`store`] | the documents under `events/v1/` and their changes (all through `common::cas`) |
//! | [`signing`] | Standard Webhooks: secrets, `webhook-*` headers, signatures |
//! | [`destination`] | which URLs a subscription may send to |
//! | [`settings`] | the Spin variables this service reads |
//! | [`time`] | RFC 3339 timestamps for the envelope |
//!
//! # State (key-value, all documents of `common::cas`)
//! | key | document |
//! |---|---|
//! | `events/v1/guild/<guild-id>/subscriptions` | the server's subscriptions, with their signing keys |
//! | `events/v1/queue/<subscription-id>` | its pending deliveries, oldest first (at most [`store::MAX_QUEUE`]) |
//! | `events/v1/log/<subscription-id>` | its last [`store::MAX_LOG`] finished deliveries |
//! | `events/v1/due` | which subscriptions may have something due, and from when (a hint; each queue's first delivery is the truth) |

pub mod destination;
pub mod pump;
pub mod service;
pub mod settings;
pub mod signing;
pub mod store;
pub mod time;

#[cfg(test)]
mod tests;

pub use service::{Env, Service};

// The generated WIT bindings are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
