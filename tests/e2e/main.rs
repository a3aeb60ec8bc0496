//! End-to-end tests: the real `.wasm` components from spin.toml, run by the test host,
//! spoken to over real HTTP, with fake Discord and Kaltura servers on 127.0.0.1.
//! Build the components first (`tests/run` does).

// This whole binary is test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod activity;
mod api;
mod bot;
mod browser;
mod commands_versions;
mod composition;
mod discord;
mod events;
mod gateway;
mod host_semantics;
mod identity;
mod kaltura;
mod notifications;
mod replicas;
mod schemathesis;
mod security_auth;
mod security_gateway;
mod security_notify;
mod spin_parity;
mod stores;
mod support;
mod telemetry;
mod videos;
mod wasip3;
mod watch;
