//! The Discord Bot Service: the interactions endpoint Discord calls at
//! `POST /discord/interactions`. Every request is verified (Ed25519 over timestamp and
//! raw body) before anything is parsed. `endpoint` is the host-free request handling;
//! `component` is the thin Spin adapter.

pub mod endpoint;

// The Spin adapter; the `#[http_component]` export it generates is FFI.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
