//! The Spin adapter: exports `kaltura-discord:kaltura/kaltura` (its types mapped to
//! `contracts`') through [`crate::Service`], over `spin-adapter`'s ports: Spin's
//! variables, the compare-and-swap store over `wasi:keyvalue` (the same `default` store
//! as Spin's key-value API), outbound HTTP with wasi-http timeouts, the clock and
//! `wasi:random`.

wit_bindgen::generate!({
    world: "kaltura-service",
    path: "../../wit",
    with: {
        "kaltura-discord:types/common@0.1.0": contracts::common,
        "kaltura-discord:types/kaltura@0.1.0": contracts::kaltura,
    },
});

use spin_adapter::{HostRandom, HostTransport, SpinVariables, SystemClock};

struct Component;

/// Names this library in the log lines and metric events of the call (it serves
/// calls, not requests: `common::telemetry`), then gives the service back.
fn named<T>(service: T) -> T {
    common::telemetry::set_component("kaltura");
    service
}

contracts::export_kaltura!(
    Component,
    named(crate::Service::new(crate::Env {
        vars: &SpinVariables,
        kv: &spin_adapter::cas_store(),
        transport: &HostTransport,
        clock: &SystemClock,
        random: &HostRandom,
    }))
);

export!(Component);
