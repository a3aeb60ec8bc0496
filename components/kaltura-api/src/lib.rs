//! Host-free Kaltura building blocks for kaltura-discord.
//!
//! Everything here is plain Rust with no I/O, no clock and no randomness of its own, so it
//! compiles natively for unit tests and for `wasm32-wasip2` inside the Spin components:
//!
//! - [`types`]: validated newtypes — [`PartnerId`], [`KalturaUserId`], entry/resource/event
//!   ids — and the secrets [`AdminSecret`], [`Ks`] and [`AppTokenSecret`], whose `Debug`
//!   prints `[redacted]`.
//! - [`privileges`]: a typed builder for KS privilege strings (`sview:*,role:viewerRole,...`)
//!   that cannot be made to inject a privilege or a KS field from user-supplied text.
//! - [`ks`]: Kaltura Session generation (v2 by default, v1) exactly as Kaltura's own
//!   clients do it, the server-side decoder/validator, and the appToken hash.
//! - [`client`]: a sans-I/O API_v3 client — builds `http::Request<Vec<u8>>` values and
//!   parses `http::Response<Vec<u8>>` values — plus join and player-embed URLs.
//! - [`webhook`]: verification and parsing of Kaltura HTTP event notifications.
//!
//! Wire facts and their sources are in the project's protocol notes (KALTURA §6–§9).

pub mod client;
mod encoding;
pub mod ks;
pub mod privileges;
pub mod types;
pub mod webhook;

#[cfg(test)]
mod crosscheck;

pub use client::{ApiError, Client};
pub use ks::{KsError, KsVersion, SessionSpec, SessionType};
pub use privileges::{DisplayName, Privileges};
pub use types::{AdminSecret, AppTokenSecret, KalturaUserId, Ks, PartnerId, ValidationError};
