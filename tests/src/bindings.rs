//! Host bindings for the Spin interfaces this app's components import
//! (`fermyon:spin@2.0.0` key-value and variables, `wasi:keyvalue` store and atomics).
//! Every import is async (Redis is) and trappable (Spin panics in places; so do we).

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "wit",
    world: "fermyon:spin/host",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::kv::host::StoreHandle,
        "wasi:keyvalue/store.bucket": crate::kv::host::StoreHandle,
        "wasi:keyvalue/atomics.cas": crate::kv::host::CasHandle,
    },
});

/// Host bindings for the Spin 4 interfaces spin-sdk 7 (WASIp3) components import
/// (`spin:key-value@3.0.0`, `spin:variables@3.0.0`): async functions, served
/// concurrently with the instance's other tasks.
pub mod p3 {
    wasmtime::component::bindgen!({
        path: "wit-p3",
        world: "spin:variables/host-p3",
        imports: { default: store | trappable },
        with: {
            "spin:key-value/key-value.store": crate::kv::host::StoreHandle,
        },
    });
}
