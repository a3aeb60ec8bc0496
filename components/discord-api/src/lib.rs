//! Discord's wire model and rules for an HTTP-interactions bot (no gateway).
//!
//! This crate is sans-I/O: it never sends anything, reads no clock and has no
//! host dependency, so it compiles natively and for `wasm32-wasip2` alike. It is
//! shared by the components that speak to Discord:
//!
//! - [`signature`]: verify `X-Signature-Ed25519` on every interaction request, and an
//!   optional replay-window check on `X-Signature-Timestamp`.
//! - [`model`]: incoming interactions, parsed into [`model::Interaction`].
//! - [`response`]: interaction responses, messages, embeds, components and allowed
//!   mentions, with Discord's limits enforced by construction.
//! - [`markdown`]: escaping untrusted text for message content.
//! - [`rest`]: REST v10 request builders (`http::Request<Vec<u8>>`) and the
//!   classification of `http::Response<Vec<u8>>` into results and errors.
//! - [`commands`]: application-command definitions and Discord's rules for them.
//! - [`id`], [`permissions`], [`token`]: typed snowflakes, permission bitsets and
//!   secrets that never print themselves.
//!
//! Spec: <https://discord.com/developers/docs/interactions/overview>.

#[macro_use]
mod int_enum;

pub mod commands;
pub mod id;
pub mod markdown;
pub mod model;
pub mod permissions;
pub mod response;
pub mod rest;
pub mod signature;
pub mod token;

pub use id::Id;
pub use model::Interaction;
pub use permissions::Permissions;
pub use response::InteractionResponse;
