//! The Spin adapter: exports `kaltura-discord:events/events` (its types mapped to
//! `contracts`') through [`crate::Service`], over `spin-adapter`'s ports: Spin's
//! variables, the compare-and-swap store over `wasi:keyvalue` (the importer's `default`
//! store), outbound HTTP with wasi-http timeouts (the importer's
//! `allowed_outbound_hosts`), the clock and `wasi:random`.

wit_bindgen::generate!({
    world: "events-service",
    path: "../../wit",
    with: {
        "kaltura-discord:types/common@0.1.0": contracts::common,
        "kaltura-discord:types/events@0.1.0": contracts::events,
    },
});

use spin_adapter::{HostRandom, HostTransport, SpinVariables, SystemClock};

struct Component;

/// A warning line, named as this component's (settings that fall back, failed pumps).
fn log(line: &str) {
    common::telemetry::set_component("events");
    common::telemetry::log(common::telemetry::Level::Warn, line);
}

contracts::export_events!(
    Component,
    crate::Service::new(crate::Env {
        vars: &SpinVariables,
        kv: &spin_adapter::cas_store(),
        transport: &HostTransport,
        clock: &SystemClock,
        random: &HostRandom,
        log: &log,
    })
);

export!(Component);
