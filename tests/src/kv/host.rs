//! `fermyon:spin/key-value@2.0.0` and `wasi:keyvalue` (store, atomics) over the app's
//! stores, as Spin's `KeyValueDispatch` serves them (`crates/factor-key-value/src/
//! host.rs`): a label opens only if the component lists it in `key_value_stores`
//! (`access-denied` otherwise); an unknown store handle traps on Spin's own API and is
//! `no-such-store` on `wasi:keyvalue`; backend errors are `other(<debug text>)`; where
//! Spin panics the instance traps. Compare-and-swap follows Spin's handle lifecycle: a
//! swapped handle is never released, and a failed swap makes a fresh handle on the same
//! bucket and key and calls `current` on it before returning it in `cas-failed`.

use super::{Cas, Failure, Store, SwapFailure};
use crate::bindings::fermyon::spin::key_value;
use crate::bindings::wasi::keyvalue::{atomics, store as wasi_store};
use crate::host::State;
use std::sync::Arc;
use wasmtime::component::Resource;

/// An open store as the guest holds it (`store` and `bucket`).
pub struct StoreHandle {
    store: Store,
}

impl StoreHandle {
    /// A handle on `store`, for the guest's table.
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// The store it names.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }
}

/// A compare-and-swap handle as the guest holds it.
pub struct CasHandle {
    cas: Arc<Cas>,
    bucket_rep: u32,
    key: String,
}

/// Spin's panics become traps; the message goes to the app's log as well.
fn trap(state: &State, message: String) -> wasmtime::Error {
    state.log(&format!("key-value: {message}"));
    wasmtime::Error::msg(message)
}

impl State {
    async fn open_store(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<u32, key_value::Error>> {
        if !self.component.stores.contains(&label) {
            return Ok(Err(key_value::Error::AccessDenied));
        }
        match self.shared.stores.open(&label).await {
            Ok(Some(store)) => Ok(Ok(self.table.push(StoreHandle { store })?.rep())),
            Ok(None) => Ok(Err(key_value::Error::NoSuchStore)),
            Err(Failure::Other(message)) => Ok(Err(key_value::Error::Other(message))),
            Err(Failure::Panic(message)) => Err(trap(self, message)),
        }
    }

    fn store_of(&self, rep: u32) -> Option<Store> {
        self.table
            .get(&Resource::<StoreHandle>::new_own(rep))
            .ok()
            .map(|handle| handle.store.clone())
    }

    /// A Spin-API result: errors become `other`, panics trap.
    fn spin_result<T>(
        &self,
        result: Result<T, Failure>,
    ) -> wasmtime::Result<Result<T, key_value::Error>> {
        match result {
            Ok(value) => Ok(Ok(value)),
            Err(Failure::Other(message)) => Ok(Err(key_value::Error::Other(message))),
            Err(Failure::Panic(message)) => Err(trap(self, message)),
        }
    }

    /// A `wasi:keyvalue` result: errors become `other`, panics trap.
    fn wasi_result<T>(
        &self,
        result: Result<T, Failure>,
    ) -> wasmtime::Result<Result<T, wasi_store::Error>> {
        match result {
            Ok(value) => Ok(Ok(value)),
            Err(Failure::Other(message)) => Ok(Err(wasi_store::Error::Other(message))),
            Err(Failure::Panic(message)) => Err(trap(self, message)),
        }
    }

    /// Spin's `new` for wasi:keyvalue CAS: a handle on `bucket_rep`'s store and `key`.
    async fn new_cas(
        &mut self,
        bucket_rep: u32,
        key: String,
    ) -> wasmtime::Result<Result<Resource<CasHandle>, wasi_store::Error>> {
        let Some(store) = self.store_of(bucket_rep) else {
            return Ok(Err(wasi_store::Error::NoSuchStore));
        };
        let made = store.new_cas(&key).await;
        let cas = match self.wasi_result(made)? {
            Ok(cas) => cas,
            Err(err) => return Ok(Err(err)),
        };
        Ok(Ok(self.table.push(CasHandle {
            cas: Arc::new(cas),
            bucket_rep,
            key,
        })?))
    }

    async fn cas_current(
        &mut self,
        cas: &Resource<CasHandle>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_store::Error>> {
        let cas = match self.table.get(cas) {
            Ok(handle) => handle.cas.clone(),
            Err(_) => {
                return Ok(Err(wasi_store::Error::Other(
                    "invalid compare and swap".to_owned(),
                )))
            }
        };
        let current = cas.current().await;
        self.wasi_result(current)
    }
}

impl key_value::Host for State {}

impl key_value::HostStore for State {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, key_value::Error>> {
        let _span = self.call_span("spin_key_value.open");
        Ok(self.open_store(label).await?.map(Resource::new_own))
    }

    async fn get(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, key_value::Error>> {
        let _span = self.call_span("spin_key_value.get");
        let store = self.table.get(&store)?.store.clone();
        let result = store.get(&key).await;
        self.spin_result(result)
    }

    async fn set(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        let _span = self.call_span("spin_key_value.set");
        let store = self.table.get(&store)?.store.clone();
        let result = store.set(&key, &value).await;
        self.spin_result(result)
    }

    async fn delete(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        let _span = self.call_span("spin_key_value.delete");
        let store = self.table.get(&store)?.store.clone();
        let result = store.delete(&key).await;
        self.spin_result(result)
    }

    async fn exists(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, key_value::Error>> {
        let _span = self.call_span("spin_key_value.exists");
        let store = self.table.get(&store)?.store.clone();
        let result = store.exists(&key).await;
        self.spin_result(result)
    }

    async fn get_keys(
        &mut self,
        store: Resource<StoreHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, key_value::Error>> {
        let _span = self.call_span("spin_key_value.get_keys");
        let store = self.table.get(&store)?.store.clone();
        let result = store.get_keys().await;
        self.spin_result(result)
    }

    async fn drop(&mut self, store: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

fn wasi_error(err: key_value::Error) -> wasi_store::Error {
    match err {
        key_value::Error::AccessDenied => wasi_store::Error::AccessDenied,
        key_value::Error::NoSuchStore => wasi_store::Error::NoSuchStore,
        key_value::Error::StoreTableFull => wasi_store::Error::Other("store table full".into()),
        key_value::Error::Other(message) => wasi_store::Error::Other(message),
    }
}

impl wasi_store::Host for State {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, wasi_store::Error>> {
        let _span = self.call_span("wasi_key_value.open");
        Ok(self
            .open_store(identifier)
            .await?
            .map(Resource::new_own)
            .map_err(wasi_error))
    }
}

impl wasi_store::HostBucket for State {
    async fn get(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_store::Error>> {
        let _span = self.call_span("wasi_key_value.get");
        let Some(store) = self.store_of(bucket.rep()) else {
            return Ok(Err(wasi_store::Error::NoSuchStore));
        };
        let result = store.get(&key).await;
        self.wasi_result(result)
    }

    async fn set(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wasi_store::Error>> {
        let _span = self.call_span("wasi_key_value.set");
        let Some(store) = self.store_of(bucket.rep()) else {
            return Ok(Err(wasi_store::Error::NoSuchStore));
        };
        let result = store.set(&key, &value).await;
        self.wasi_result(result)
    }

    async fn delete(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), wasi_store::Error>> {
        let _span = self.call_span("wasi_key_value.delete");
        let Some(store) = self.store_of(bucket.rep()) else {
            return Ok(Err(wasi_store::Error::NoSuchStore));
        };
        let result = store.delete(&key).await;
        self.wasi_result(result)
    }

    async fn exists(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, wasi_store::Error>> {
        let _span = self.call_span("wasi_key_value.exists");
        let Some(store) = self.store_of(bucket.rep()) else {
            return Ok(Err(wasi_store::Error::NoSuchStore));
        };
        let result = store.exists(&key).await;
        self.wasi_result(result)
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<StoreHandle>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<wasi_store::KeyResponse, wasi_store::Error>> {
        let _span = self.call_span("wasi_key_value.list_keys");
        if cursor.is_some() {
            return Ok(Err(wasi_store::Error::Other(
                "list_keys: cursor not supported".to_owned(),
            )));
        }
        let Some(store) = self.store_of(bucket.rep()) else {
            return Ok(Err(wasi_store::Error::NoSuchStore));
        };
        let result = store.get_keys().await;
        Ok(self
            .wasi_result(result)?
            .map(|keys| wasi_store::KeyResponse { keys, cursor: None }))
    }

    async fn drop(&mut self, bucket: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for State {
    async fn increment(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, wasi_store::Error>> {
        let _span = self.call_span("spin_key_value.increment");
        let Some(store) = self.store_of(bucket.rep()) else {
            return Ok(Err(wasi_store::Error::NoSuchStore));
        };
        let result = store.increment(&key, delta).await;
        self.wasi_result(result)
    }

    async fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let _span = self.call_span("spin_key_value.swap");
        // Like Spin, the swapped handle stays in the table: the guest gave it up, and
        // Spin never releases it.
        let (handle, bucket_rep, key) = match self.table.get(&cas) {
            Ok(handle) => (handle.cas.clone(), handle.bucket_rep, handle.key.clone()),
            Err(_) => {
                return Ok(Err(atomics::CasError::StoreError(
                    wasi_store::Error::Other("invalid compare and swap".to_owned()),
                )))
            }
        };
        match handle.swap(value).await {
            Ok(()) => Ok(Ok(())),
            Err(SwapFailure::CasFailed(_)) => {
                let fresh = match self.new_cas(bucket_rep, key).await? {
                    Ok(fresh) => fresh,
                    Err(err) => return Ok(Err(atomics::CasError::StoreError(err))),
                };
                if let Err(err) = self.cas_current(&fresh).await? {
                    return Ok(Err(atomics::CasError::StoreError(err)));
                }
                Ok(Err(atomics::CasError::CasFailed(fresh)))
            }
            Err(SwapFailure::Other(message)) => Ok(Err(atomics::CasError::StoreError(
                wasi_store::Error::Other(message),
            ))),
            Err(SwapFailure::Panic(message)) => Err(trap(self, message)),
        }
    }
}

impl atomics::HostCas for State {
    async fn new(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<CasHandle>, wasi_store::Error>> {
        let _span = self.call_span("wasi_key_value_cas.new");
        self.new_cas(bucket.rep(), key).await
    }

    async fn current(
        &mut self,
        cas: Resource<CasHandle>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_store::Error>> {
        let _span = self.call_span("wasi_key_value_cas.current");
        self.cas_current(&cas).await
    }

    async fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
