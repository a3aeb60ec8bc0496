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
