//! The Spin adapter: exports `kaltura-discord:watch/watch` (its types mapped to
//! `contracts`') through [`crate::Service`], over `spin-adapter`'s ports: Spin's
//! variables, the compare-and-swap store over `wasi:keyvalue` (the importer's `default`
//! store) and the clock.

wit_bindgen::generate!({
    world: "watch-service",
    path: "../../wit",
    with: {
        "kaltura-discord:types/common@0.1.0": contracts::common,
        "kaltura-discord:types/watch@0.1.0": contracts::watch,
    },
});

use spin_adapter::{SpinVariables, SystemClock};

struct Component;

/// A warning line, named as this component's (settings that fall back).
fn log(line: &str) {
    common::telemetry::set_component("watch");
    common::telemetry::log(common::telemetry::Level::Warn, line);
}

contracts::export_watch!(
    Component,
    crate::Service::new(crate::Env {
        vars: &SpinVariables,
        kv: &spin_adapter::cas_store(),
        clock: &SystemClock,
        log: &log,
    })
);

export!(Component);
