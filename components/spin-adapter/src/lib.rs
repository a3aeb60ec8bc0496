//! The thin Spin side shared by every component: the `common` ports implemented over
//! the host (key-value, the compare-and-swap store, variables, outbound HTTP, clock,
//! randomness), request bodies read with a size limit, and the one response helper that
//! writes the whole body before handing the response to Spin (WASIp2), and with the
//! `wasip3` feature the same for `wasi:http@0.3.0` ([`p3`]); one entry serving both
//! (`serve`: [`HttpComponent`], [`export_http_component!`]). Compiled only for
//! `wasm32`; everything it adapts is tested natively in `common` and the service crates.

#[cfg(all(target_arch = "wasm32", feature = "wasip3"))]
pub mod p3;
#[cfg(target_arch = "wasm32")]
mod ports;
#[cfg(target_arch = "wasm32")]
mod serve;
#[cfg(target_arch = "wasm32")]
mod spin;
#[cfg(target_arch = "wasm32")]
pub use ports::*;
#[cfg(target_arch = "wasm32")]
pub use serve::{serve_p2, Answer, HttpComponent};
#[cfg(target_arch = "wasm32")]
pub use spin::*;
