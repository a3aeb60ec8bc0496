//! End-to-end tests: the real `.wasm` components from spin.toml, run by the test host,
//! spoken to over real HTTP, with fake Discord and Kaltura servers on 127.0.0.1.
//! Build the components first (`tests/run` does).

mod discord;
mod gateway;
mod host_semantics;
mod support;
