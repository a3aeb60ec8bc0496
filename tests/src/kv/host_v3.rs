//! `spin:key-value@3.0.0`, the key-value interface of spin-sdk 7 (WASIp3) components,
//! over the app's stores, as Spin 4 serves it (`crates/factor-key-value/src/host.rs`,
//! `v3::HostStoreWithStore`): async functions that run concurrently with the
//! instance's other tasks; a label opens only if the component lists it
//! (`access-denied`); an unknown store handle is `no-such-store` (where the 2.0.0
//! interface traps); backend errors are `other(<debug text>)`; `get-keys` answers with
//! a stream of keys and a future of the outcome. Where Spin's store panics, the
//! instance traps.

use super::Failure;
use crate::bindings::p3::spin::key_value::key_value as v3;
use crate::host::State;
use crate::kv::host::StoreHandle;
use crate::kv::Store;
use wasmtime::component::{Accessor, FutureReader, HasData, Resource, StreamReader};

/// The `HasData` of the p3 Spin interfaces: they see the instance's [`State`].
pub struct SpinP3;

impl HasData for SpinP3 {
    type Data<'a> = &'a mut State;
}

/// A backend result as `spin:key-value@3.0.0` returns it: errors are `other`, panics
/// trap (logged as well).
fn v3_result<T>(
    state: &State,
    result: Result<T, Failure>,
) -> wasmtime::Result<Result<T, v3::Error>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(Failure::Other(message)) => Ok(Err(v3::Error::Other(message))),
        Err(Failure::Panic(message)) => {
            state.log(&format!("key-value: {message}"));
            Err(wasmtime::Error::msg(message))
        }
    }
}

/// The store behind the guest's handle `rep`, if it is one.
fn store_of<U>(accessor: &Accessor<U, SpinP3>, rep: u32) -> Option<Store> {
    accessor.with(|mut access| {
        let state = access.get();
        state
            .table
            .get(&Resource::<StoreHandle>::new_own(rep))
            .ok()
            .map(|handle| handle.store().clone())
    })
}

/// Logs and wraps a backend outcome, with the instance's state.
fn finish<U, T>(
    accessor: &Accessor<U, SpinP3>,
    result: Result<T, Failure>,
) -> wasmtime::Result<Result<T, v3::Error>> {
    accessor.with(|mut access| v3_result(access.get(), result))
}

impl v3::Host for State {}

impl v3::HostStore for State {}

impl<U> v3::HostStoreWithStore<U> for SpinP3 {
    fn drop(
        mut access: wasmtime::component::Access<'_, U, Self>,
        store: Resource<StoreHandle>,
    ) -> wasmtime::Result<()> {
        access.get().table.delete(store)?;
        Ok(())
    }

    async fn open(
        accessor: &Accessor<U, Self>,
        label: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, v3::Error>> {
        let (allowed, shared) = accessor.with(|mut access| {
            let state = access.get();
            (
                state.component.stores.contains(&label),
                state.shared.clone(),
            )
        });
        if !allowed {
            return Ok(Err(v3::Error::AccessDenied));
        }
        let opened = match shared.stores.open(&label).await {
            Ok(Some(store)) => store,
            Ok(None) => return Ok(Err(v3::Error::NoSuchStore)),
            Err(failure) => return finish(accessor, Err(failure)),
        };
        accessor.with(|mut access| Ok(Ok(access.get().table.push(StoreHandle::new(opened))?)))
    }

    async fn get(
        accessor: &Accessor<U, Self>,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, v3::Error>> {
        let Some(store) = store_of(accessor, store.rep()) else {
            return Ok(Err(v3::Error::NoSuchStore));
        };
        let result = store.get(&key).await;
        finish(accessor, result)
    }

    async fn set(
        accessor: &Accessor<U, Self>,
        store: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), v3::Error>> {
        let Some(store) = store_of(accessor, store.rep()) else {
            return Ok(Err(v3::Error::NoSuchStore));
        };
        let result = store.set(&key, &value).await;
        finish(accessor, result)
    }

    async fn delete(
        accessor: &Accessor<U, Self>,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), v3::Error>> {
        let Some(store) = store_of(accessor, store.rep()) else {
            return Ok(Err(v3::Error::NoSuchStore));
        };
        let result = store.delete(&key).await;
        finish(accessor, result)
    }

    async fn exists(
        accessor: &Accessor<U, Self>,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, v3::Error>> {
        let Some(store) = store_of(accessor, store.rep()) else {
            return Ok(Err(v3::Error::NoSuchStore));
        };
        let result = store.exists(&key).await;
        finish(accessor, result)
    }

    async fn get_keys(
        accessor: &Accessor<U, Self>,
        store: Resource<StoreHandle>,
    ) -> wasmtime::Result<(StreamReader<String>, FutureReader<Result<(), v3::Error>>)> {
        let keys = match store_of(accessor, store.rep()) {
            Some(store) => finish(accessor, store.get_keys().await)?,
            None => Err(v3::Error::NoSuchStore),
        };
        let (keys, outcome) = match keys {
            Ok(keys) => (keys, Ok(())),
            Err(err) => (Vec::new(), Err(err)),
        };
        accessor.with(|mut access| {
            let stream = StreamReader::new(&mut access, keys)?;
            let future = FutureReader::new(&mut access, async move {
                wasmtime::Result::<_, wasmtime::Error>::Ok(outcome)
            })?;
            Ok((stream, future))
        })
    }
}
