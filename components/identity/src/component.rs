//! The Spin adapter: exports `kaltura-discord:identity/{members, tokens, api-keys}`
//! (their types mapped to `contracts`') through [`crate::Identity`], over `spin-adapter`'s
//! ports: the compare-and-swap store over `wasi:keyvalue` (the same `default` store as
//! Spin's key-value API), Spin's variables, the system clock and `wasi:random`.

wit_bindgen::generate!({
    world: "identity-service",
    path: "../../wit",
    with: {
        "kaltura-discord:types/common@0.1.0": contracts::common,
        "kaltura-discord:types/identity@0.1.0": contracts::identity,
    },
});

use spin_adapter::{HostRandom, SpinVariables, SystemClock};

struct Component;

/// Names this library in the log lines and metric events of the call (it serves
/// calls, not requests: `common::telemetry`), then gives the service back.
fn named<T>(service: T) -> T {
    common::telemetry::set_component("identity");
    service
}

contracts::export_identity!(
    Component,
    named(crate::Identity::new(crate::Env {
        kv: &spin_adapter::cas_store(),
        vars: &SpinVariables,
        clock: &SystemClock,
        random: &HostRandom,
    }))
);

export!(Component);
