//! The test host for kaltura-discord: it reads `spin.toml`, composes each HTTP
//! component with its library dependencies as Spin does, runs the real `.wasm` per
//! request with Spin's host semantics, and serves them on 127.0.0.1 — so the end-to-end
//! suite runs on machines without the Spin CLI. Beside it: fake Discord and Kaltura
//! servers that record what they receive and answer in the real wire formats, and a
//! small HTTP client. A test tool, not a product runtime.
//!
//! With `SPIN_BIN=/path/to/spin`, the same suite runs against a real `spin up` instead
//! ([`spin_cli`]), so the two hosts are checked against each other.

pub mod app;
pub mod bindings;
pub mod client;
pub mod compose;
pub mod deny;
pub mod deny_adapter;
pub mod fake;
pub mod host;
pub mod kv;
pub mod manifest;
pub mod otlp;
pub mod otlp_proto;
pub mod outbound;
pub mod redis_server;
pub mod routes;
pub mod shared_store;
pub mod spin_cli;
pub mod telemetry;
pub mod wasip3;

pub use app::TestApp;
pub use client::{Client, TestResponse};
pub use fake::{FakeResponse, FakeServer, Recorded};
pub use host::{AppBuilder, LibraryHost, OutboundAttempt, State};
pub use redis_server::RedisServer;
pub use shared_store::SharedStore;
pub use wasip3::InstanceReuse;

/// The repository's root (where spin.toml is).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from(".."))
}

/// An [`AppBuilder`] for the repository's own spin.toml, its `default` store on a
/// fresh in-memory SQLite database — or, with `E2E_KV_STORE=redis`, on a private
/// `redis-server`, so the whole suite can run against Spin's Redis store.
///
/// # Panics
/// With `E2E_KV_STORE=redis`, when `redis-server` cannot be started.
#[allow(clippy::panic)]
pub fn app() -> AppBuilder {
    app_at(repo_root().join("spin.toml"))
}

/// As [`app`], for the manifest at `manifest` (e.g. the WASIp3 probe's,
/// `tests/p3-probe/spin.toml`).
///
/// # Panics
/// With `E2E_KV_STORE=redis`, when `redis-server` cannot be started.
#[allow(clippy::panic)]
pub fn app_at(manifest: std::path::PathBuf) -> AppBuilder {
    let builder = AppBuilder::new(manifest);
    match std::env::var("E2E_KV_STORE").as_deref() {
        Ok("redis") => builder
            .private_redis()
            .unwrap_or_else(|err| panic!("E2E_KV_STORE=redis: {err:#}")),
        _ => builder,
    }
}

/// Skips the rest of the calling test under real Spin (`SPIN_BIN`), printing the test's
/// name and `reason` on stderr: for tests of what only the in-process test host can
/// show (a library called directly, the deny adapter on its own, the host's own
/// store implementation). Listed in `tests/SPIN-BEHAVIOURS.md`.
#[macro_export]
macro_rules! host_only {
    ($reason:expr) => {
        if $crate::spin_cli::skipped_under_spin($reason) {
            return;
        }
    };
}
