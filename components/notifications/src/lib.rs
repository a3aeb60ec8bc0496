//! The Notification & Webhook Service: Kaltura's HTTP event notifications arrive at
//! `POST /webhooks/kaltura`, are verified (`X-KALTURA-SIGNATURE` over the raw body)
//! before anything is parsed, and become Discord channel messages. `receiver` is the
//! host-free request handling; `component` is the thin Spin adapter.

pub mod receiver;

// The Spin adapter; the `#[http_component]` export it generates is FFI.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
