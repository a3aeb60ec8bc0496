//! The test host: runs a Spin application's HTTP components from their real `.wasm`,
//! with Spin's semantics for what this app uses — routing and `spin-*` headers,
//! per-request instances that may keep running after they respond, the key-value
//! store, variables and `allowed_outbound_hosts` — and serves them on 127.0.0.1.
//! It is a test tool, not a product runtime.

use crate::compose::{self, Plug};
use crate::manifest::{self, App};
use crate::outbound::{self, AllowedHost};
use crate::routes;
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

mod spin {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "fermyon:spin/host",
        with: {
            "fermyon:spin/key-value.store": super::KvStoreHandle,
            "wasi:keyvalue/store.bucket": super::KvStoreHandle,
            "wasi:keyvalue/atomics.cas": super::CasHandle,
        },
    });
}
use spin::fermyon::spin::{key_value, variables};
use spin::wasi::keyvalue::{atomics, store as wasi_store};

/// The label of the one store Spin configures without a runtime config.
const DEFAULT_STORE: &str = "default";

/// An open key-value store as the guest holds it.
pub struct KvStoreHandle {
    label: String,
}

/// A compare-and-swap handle: the value a key had when the handle was made.
pub struct CasHandle {
    label: String,
    key: String,
    snapshot: Option<Vec<u8>>,
}

/// One outbound request a component tried to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundAttempt {
    /// The component whose instance sent it.
    pub component: String,
    /// The method.
    pub method: String,
    /// The full URI.
    pub uri: String,
    /// Whether `allowed_outbound_hosts` allowed it.
    pub allowed: bool,
}

/// State shared by every request of one running app.
struct Shared {
    stores: Mutex<HashMap<String, BTreeMap<String, Vec<u8>>>>,
    logs: MemoryOutputPipe,
    outbound: Mutex<Vec<OutboundAttempt>>,
    handling_times: Mutex<Vec<Duration>>,
    in_flight: tokio::sync::watch::Sender<usize>,
}

/// What one component may use: Spin's per-component configuration, resolved.
struct Permissions {
    id: String,
    stores: Vec<String>,
    variables: BTreeMap<String, String>,
    allowed: Arc<Vec<AllowedHost>>,
}

/// A triggered component, composed, compiled and pre-linked.
struct Prepared {
    permissions: Arc<Permissions>,
    pre: ProxyPre<State>,
}

/// What a store carries per request.
pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: Hooks,
    component: Arc<Permissions>,
    shared: Arc<Shared>,
}

struct Hooks {
    component: String,
    allowed: Arc<Vec<AllowedHost>>,
    shared: Arc<Shared>,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

type SendFuture = Box<
    dyn std::future::Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<wasmtime_wasi_http::WasiBody>,
                Box<dyn std::future::Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for Hooks {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn std::future::Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        let allowed = outbound::is_allowed(&self.allowed, request.uri());
        if let Ok(mut log) = self.shared.outbound.lock() {
            log.push(OutboundAttempt {
                component: self.component.clone(),
                method: request.method().to_string(),
                uri: request.uri().to_string(),
                allowed,
            });
        }
        if !allowed {
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn std::future::Future<Output = _> + Send>,
            ))
        })
    }
}

impl key_value::Host for State {}

impl key_value::HostStore for State {
    fn open(&mut self, label: String) -> Result<Resource<KvStoreHandle>, key_value::Error> {
        if !self.component.stores.contains(&label) {
            return Err(key_value::Error::AccessDenied);
        }
        if label != DEFAULT_STORE {
            return Err(key_value::Error::NoSuchStore);
        }
        self.table
            .push(KvStoreHandle { label })
            .map_err(|e| key_value::Error::Other(e.to_string()))
    }

    fn get(
        &mut self,
        store: Resource<KvStoreHandle>,
        key: String,
    ) -> Result<Option<Vec<u8>>, key_value::Error> {
        let label = self.label(&store)?;
        self.with_store(&label, |entries| Ok(entries.get(&key).cloned()))
    }

    fn set(
        &mut self,
        store: Resource<KvStoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), key_value::Error> {
        let label = self.label(&store)?;
        self.with_store(&label, |entries| {
            entries.insert(key, value);
            Ok(())
        })
    }

    fn delete(
        &mut self,
        store: Resource<KvStoreHandle>,
        key: String,
    ) -> Result<(), key_value::Error> {
        let label = self.label(&store)?;
        self.with_store(&label, |entries| {
            entries.remove(&key);
            Ok(())
        })
    }

    fn exists(
        &mut self,
        store: Resource<KvStoreHandle>,
        key: String,
    ) -> Result<bool, key_value::Error> {
        let label = self.label(&store)?;
        self.with_store(&label, |entries| Ok(entries.contains_key(&key)))
    }

    fn get_keys(
        &mut self,
        store: Resource<KvStoreHandle>,
    ) -> Result<Vec<String>, key_value::Error> {
        let label = self.label(&store)?;
        self.with_store(&label, |entries| Ok(entries.keys().cloned().collect()))
    }

    fn drop(&mut self, store: Resource<KvStoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl State {
    fn label(&self, store: &Resource<KvStoreHandle>) -> Result<String, key_value::Error> {
        self.table
            .get(store)
            .map(|handle| handle.label.clone())
            .map_err(|e| key_value::Error::Other(e.to_string()))
    }

    fn with_store<T>(
        &self,
        label: &str,
        f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) -> Result<T, key_value::Error>,
    ) -> Result<T, key_value::Error> {
        let mut stores = self
            .shared
            .stores
            .lock()
            .map_err(|_| key_value::Error::Other("store lock poisoned".into()))?;
        f(stores.entry(label.to_owned()).or_default())
    }
}

// wasi:keyvalue (0.2.0-draft2), which Spin 3 provides beside its own key-value API, on
// the same stores: `open` follows the same `key_value_stores` rules, and `swap` succeeds
// only if the key still holds the value it held when the `cas` handle was made.

fn wasi_error(err: key_value::Error) -> wasi_store::Error {
    match err {
        key_value::Error::AccessDenied => wasi_store::Error::AccessDenied,
        key_value::Error::NoSuchStore => wasi_store::Error::NoSuchStore,
        key_value::Error::StoreTableFull => wasi_store::Error::Other("store table full".into()),
        key_value::Error::Other(message) => wasi_store::Error::Other(message),
    }
}

impl wasi_store::Host for State {
    fn open(&mut self, identifier: String) -> Result<Resource<KvStoreHandle>, wasi_store::Error> {
        key_value::HostStore::open(self, identifier).map_err(wasi_error)
    }
}

impl wasi_store::HostBucket for State {
    fn get(
        &mut self,
        bucket: Resource<KvStoreHandle>,
        key: String,
    ) -> Result<Option<Vec<u8>>, wasi_store::Error> {
        key_value::HostStore::get(self, bucket, key).map_err(wasi_error)
    }

    fn set(
        &mut self,
        bucket: Resource<KvStoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), wasi_store::Error> {
        key_value::HostStore::set(self, bucket, key, value).map_err(wasi_error)
    }

    fn delete(
        &mut self,
        bucket: Resource<KvStoreHandle>,
        key: String,
    ) -> Result<(), wasi_store::Error> {
        key_value::HostStore::delete(self, bucket, key).map_err(wasi_error)
    }

    fn exists(
        &mut self,
        bucket: Resource<KvStoreHandle>,
        key: String,
    ) -> Result<bool, wasi_store::Error> {
        key_value::HostStore::exists(self, bucket, key).map_err(wasi_error)
    }

    fn list_keys(
        &mut self,
        bucket: Resource<KvStoreHandle>,
        _cursor: Option<String>,
    ) -> Result<wasi_store::KeyResponse, wasi_store::Error> {
        let keys = key_value::HostStore::get_keys(self, bucket).map_err(wasi_error)?;
        Ok(wasi_store::KeyResponse { keys, cursor: None })
    }

    fn drop(&mut self, bucket: Resource<KvStoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for State {
    fn increment(
        &mut self,
        bucket: Resource<KvStoreHandle>,
        key: String,
        delta: i64,
    ) -> Result<i64, wasi_store::Error> {
        let label = self.label(&bucket).map_err(wasi_error)?;
        self.with_store(&label, |entries| {
            let current = match entries.get(&key) {
                None => 0,
                Some(bytes) => std::str::from_utf8(bytes)
                    .ok()
                    .and_then(|text| text.parse::<i64>().ok())
                    .ok_or_else(|| key_value::Error::Other("value is not an integer".into()))?,
            };
            let next = current.saturating_add(delta);
            entries.insert(key, next.to_string().into_bytes());
            Ok(next)
        })
        .map_err(wasi_error)
    }

    fn swap(&mut self, cas: Resource<CasHandle>, value: Vec<u8>) -> Result<(), atomics::CasError> {
        let handle = self
            .table
            .delete(cas)
            .map_err(|e| atomics::CasError::StoreError(wasi_store::Error::Other(e.to_string())))?;
        let outcome = self.with_store(&handle.label, |entries| {
            let current = entries.get(&handle.key).cloned();
            if current == handle.snapshot {
                entries.insert(handle.key.clone(), value);
                Ok(None)
            } else {
                Ok(Some(current))
            }
        });
        match outcome {
            Ok(None) => Ok(()),
            Ok(Some(current)) => {
                let fresh = self
                    .table
                    .push(CasHandle {
                        label: handle.label,
                        key: handle.key,
                        snapshot: current,
                    })
                    .map_err(|e| {
                        atomics::CasError::StoreError(wasi_store::Error::Other(e.to_string()))
                    })?;
                Err(atomics::CasError::CasFailed(fresh))
            }
            Err(err) => Err(atomics::CasError::StoreError(wasi_error(err))),
        }
    }
}

impl atomics::HostCas for State {
    fn new(
        &mut self,
        bucket: Resource<KvStoreHandle>,
        key: String,
    ) -> Result<Resource<CasHandle>, wasi_store::Error> {
        let label = self.label(&bucket).map_err(wasi_error)?;
        let snapshot = self
            .with_store(&label, |entries| Ok(entries.get(&key).cloned()))
            .map_err(wasi_error)?;
        self.table
            .push(CasHandle {
                label,
                key,
                snapshot,
            })
            .map_err(|e| wasi_store::Error::Other(e.to_string()))
    }

    fn current(&mut self, cas: Resource<CasHandle>) -> Result<Option<Vec<u8>>, wasi_store::Error> {
        self.table
            .get(&cas)
            .map(|handle| handle.snapshot.clone())
            .map_err(|e| wasi_store::Error::Other(e.to_string()))
    }

    fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl variables::Host for State {
    fn get(&mut self, name: String) -> Result<String, variables::Error> {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(variables::Error::InvalidName(name));
        }
        self.component
            .variables
            .get(&name)
            .cloned()
            .ok_or(variables::Error::Undefined(name))
    }
}

/// The one engine of the process, with its cache of compiled components, so that each
/// test pays for compilation once.
type CompiledCache = Mutex<HashMap<[u8; 32], Component>>;

fn engine() -> &'static (Engine, CompiledCache) {
    static ENGINE: OnceLock<(Engine, CompiledCache)> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let engine = Engine::default();
        (engine, Mutex::new(HashMap::new()))
    })
}

fn compile(bytes: &[u8]) -> Result<Component> {
    use sha2::Digest;
    let key: [u8; 32] = sha2::Sha256::digest(bytes).into();
    let (engine, cache) = engine();
    if let Some(component) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(component);
    }
    let component = Component::new(engine, bytes)?;
    if let Ok(mut cache) = cache.lock() {
        cache.insert(key, component.clone());
    }
    Ok(component)
}

/// How to start an app: which manifest, and which variable values to provide.
#[derive(Debug, Clone)]
pub struct AppBuilder {
    manifest: PathBuf,
    manifest_text: Option<String>,
    variables: BTreeMap<String, String>,
}

impl AppBuilder {
    /// Starts from the manifest at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            manifest: path.into(),
            manifest_text: None,
            variables: BTreeMap::new(),
        }
    }

    /// Uses `text` as the manifest instead of the file's contents (component sources
    /// stay relative to the file's folder).
    pub fn manifest_text(mut self, text: impl Into<String>) -> Self {
        self.manifest_text = Some(text.into());
        self
    }

    /// Provides an application variable, as `SPIN_VARIABLE_<NAME>` would.
    pub fn variable(mut self, name: &str, value: impl Into<String>) -> Self {
        self.variables.insert(name.to_owned(), value.into());
        self
    }

    /// Loads, composes, compiles and serves the app on 127.0.0.1.
    ///
    /// # Errors
    /// Anything Spin would refuse at start-up (bad manifest, a required variable
    /// without a value, a missing `.wasm`, a composition that does not fit).
    pub async fn start(self) -> Result<TestApp> {
        let loaded = self.load()?;
        let mut prepared = HashMap::new();
        for trigger in &loaded.app.http_triggers {
            if prepared.contains_key(&trigger.component) {
                continue;
            }
            let id = trigger.component.clone();
            let component = loaded.composed(&id)?;
            let instance_pre = linker()?.instantiate_pre(&component).map_err(|e| {
                anyhow::anyhow!(
                    "component `{id}` imports something the host does not provide: {e:?}"
                )
            })?;
            let pre = ProxyPre::new(instance_pre)?;
            let permissions = loaded.permissions(&id)?;
            prepared.insert(id, Arc::new(Prepared { permissions, pre }));
        }

        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = loaded.shared.clone();
        let server = Arc::new(Server {
            app: loaded.app,
            prepared,
            shared: shared.clone(),
            addr,
        });
        let accept = tokio::spawn(serve(listener, server));
        Ok(TestApp {
            addr,
            shared,
            accept,
        })
    }

    /// Prepares library component `library` to be called directly, with the
    /// configuration it inherits from `importer` (its stores, variables and outbound
    /// hosts), as Spin runs it inside `importer`.
    ///
    /// # Errors
    /// As [`AppBuilder::start`], or when `importer` does not depend on `library`.
    pub fn library(self, library: &str, importer: &str) -> Result<LibraryHost> {
        let loaded = self.load()?;
        let def = loaded
            .app
            .components
            .get(importer)
            .with_context(|| format!("no component `{importer}`"))?;
        let depends = def
            .dependencies
            .values()
            .any(|d| d.component.as_deref() == Some(library));
        if !depends || !def.dependencies_inherit_configuration {
            bail!("`{importer}` does not depend on `{library}` with inherited configuration");
        }
        let source = &loaded.app.components[library].source;
        let component = compile(&read_wasm(&loaded.app.root, source, library)?)?;
        Ok(LibraryHost {
            component,
            linker: linker()?,
            permissions: loaded.permissions(importer)?,
            shared: loaded.shared,
        })
    }

    fn load(self) -> Result<Loaded> {
        let root = self
            .manifest
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let app = match &self.manifest_text {
            Some(text) => App::from_str(text, root)?,
            None => App::from_file(&self.manifest)?,
        };
        for name in self.variables.keys() {
            if !app.variables.contains_key(name) {
                bail!("variable `{name}` is not declared in spin.toml");
            }
        }
        let mut values = BTreeMap::new();
        for (name, var) in &app.variables {
            match (self.variables.get(name), &var.default) {
                (Some(value), _) => values.insert(name.clone(), value.clone()),
                (None, Some(default)) => values.insert(name.clone(), default.clone()),
                (None, None) => bail!("required variable `{name}` has no value"),
            };
        }
        let (logs, in_flight) = (
            MemoryOutputPipe::new(64 * 1024 * 1024),
            tokio::sync::watch::channel(0usize).0,
        );
        let shared = Arc::new(Shared {
            stores: Mutex::new(HashMap::new()),
            logs,
            outbound: Mutex::new(Vec::new()),
            handling_times: Mutex::new(Vec::new()),
            in_flight,
        });

        Ok(Loaded {
            app,
            values,
            shared,
        })
    }
}

/// A manifest read and its variables resolved, with the app's shared state.
struct Loaded {
    app: App,
    values: BTreeMap<String, String>,
    shared: Arc<Shared>,
}

impl Loaded {
    /// Component `id` composed with its dependencies and compiled.
    fn composed(&self, id: &str) -> Result<Component> {
        let def = &self.app.components[id];
        let main = read_wasm(&self.app.root, &def.source, id)?;
        let mut dependency_bytes = Vec::new();
        for (name, dep) in &def.dependencies {
            if !def.dependencies_inherit_configuration {
                bail!("component `{id}`: the test host runs dependencies only with dependencies_inherit_configuration = true");
            }
            let source = match (&dep.component, &dep.path) {
                (Some(other), _) => self.app.components[other].source.clone(),
                (None, Some(path)) => path.clone(),
                (None, None) => bail!("dependency `{name}` has no source"),
            };
            dependency_bytes.push((
                name.clone(),
                read_wasm(&self.app.root, &source, name)?,
                dep.export.clone(),
            ));
        }
        let plugs: Vec<Plug<'_>> = dependency_bytes
            .iter()
            .map(|(name, bytes, export)| Plug {
                name,
                bytes,
                export: export.as_deref(),
            })
            .collect();
        let composed = compose::compose(&main, &plugs)
            .with_context(|| format!("composing component `{id}`"))?;
        compile(&composed).with_context(|| format!("compiling `{id}`"))
    }

    /// What component `id` may use, with its templates expanded.
    fn permissions(&self, id: &str) -> Result<Arc<Permissions>> {
        let def = &self.app.components[id];
        for store in &def.key_value_stores {
            if store != DEFAULT_STORE {
                bail!("component `{id}`: key-value store `{store}` is not configured");
            }
        }
        let lookup = |name: &str| self.values.get(name).cloned();
        let mut variables = BTreeMap::new();
        for (name, template) in &def.variables {
            variables.insert(name.clone(), manifest::expand(template, &lookup)?);
        }
        let mut allowed = Vec::new();
        for entry in &def.allowed_outbound_hosts {
            allowed.push(AllowedHost::parse(&manifest::expand(entry, &lookup)?)?);
        }
        Ok(Arc::new(Permissions {
            id: id.to_owned(),
            stores: def.key_value_stores.clone(),
            variables,
            allowed: Arc::new(allowed),
        }))
    }
}

/// The linker with every host interface a Spin component of this app may import.
fn linker() -> Result<Linker<State>> {
    let mut linker: Linker<State> = Linker::new(&engine().0);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    key_value::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    variables::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    wasi_store::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    atomics::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    Ok(linker)
}

/// The state of one fresh instance of a component with these permissions.
fn new_store(permissions: &Arc<Permissions>, shared: &Arc<Shared>) -> Store<State> {
    let logs = shared.logs.clone();
    let wasi = WasiCtx::builder().stdout(logs.clone()).stderr(logs).build();
    Store::new(
        &engine().0,
        State {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: Hooks {
                component: permissions.id.clone(),
                allowed: permissions.allowed.clone(),
                shared: shared.clone(),
            },
            component: permissions.clone(),
            shared: shared.clone(),
        },
    )
}

/// A library component ready to be called directly, with its importer's
/// configuration: each [`LibraryHost::new_store`] is one fresh instance's state, as
/// for one Spin request; the key-value store is shared between them.
pub struct LibraryHost {
    component: Component,
    linker: Linker<State>,
    permissions: Arc<Permissions>,
    shared: Arc<Shared>,
}

impl LibraryHost {
    /// The compiled library component.
    pub fn component(&self) -> &Component {
        &self.component
    }

    /// The linker that provides the host interfaces.
    pub fn linker(&self) -> &Linker<State> {
        &self.linker
    }

    /// A fresh store for one instance.
    pub fn new_store(&self) -> Store<State> {
        new_store(&self.permissions, &self.shared)
    }

    /// A copy of the `default` store's entries.
    pub fn store(&self) -> BTreeMap<String, Vec<u8>> {
        stored(&self.shared)
    }

    /// Everything the instances wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.shared.logs.contents()).into_owned()
    }

    /// Every outbound request the instances tried, allowed or not.
    pub fn outbound(&self) -> Vec<OutboundAttempt> {
        self.shared
            .outbound
            .lock()
            .map(|log| log.clone())
            .unwrap_or_default()
    }
}

fn stored(shared: &Shared) -> BTreeMap<String, Vec<u8>> {
    shared
        .stores
        .lock()
        .ok()
        .and_then(|stores| stores.get(DEFAULT_STORE).cloned())
        .unwrap_or_default()
}

fn read_wasm(root: &Path, source: &str, what: &str) -> Result<Vec<u8>> {
    let path = root.join(source);
    std::fs::read(&path).with_context(|| {
        format!(
            "`{what}`: cannot read {} — build the components first (see the README's test command)",
            path.display()
        )
    })
}

struct Server {
    app: App,
    prepared: HashMap<String, Arc<Prepared>>,
    shared: Arc<Shared>,
    addr: SocketAddr,
}

async fn serve(listener: TcpListener, server: Arc<Server>) {
    loop {
        let Ok((stream, client)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let server = server.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let server = server.clone();
                async move { server.handle(request, client).await }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn plain(status: u16, text: &str) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from(text.to_owned()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
}

impl Server {
    async fn handle(
        &self,
        mut request: hyper::Request<hyper::body::Incoming>,
        client: SocketAddr,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        let started = std::time::Instant::now();
        let path = request.uri().path().to_owned();
        let Some(matched) = routes::find(&self.app.http_triggers, &path) else {
            return Ok(plain(404, "Not Found"));
        };
        let Some(prepared) = self.prepared.get(&matched.component).cloned() else {
            return Ok(plain(500, "component not prepared"));
        };
        let path_and_query = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| path.clone());
        let full_url = format!("http://{}{}", self.addr, path_and_query);
        *request.uri_mut() = full_url.parse()?;
        let headers = request.headers_mut();
        let spoofed: Vec<_> = headers
            .keys()
            .filter(|name| name.as_str().starts_with("spin-"))
            .cloned()
            .collect();
        for name in spoofed {
            headers.remove(name);
        }
        for (name, value) in routes::spin_headers(&matched, &full_url, &client.to_string()) {
            headers.insert(name, value.parse()?);
        }

        let mut store = new_store(&prepared.permissions, &self.shared);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;

        // The instance runs in its own task: like Spin, it may keep working after it has
        // sent its response (deferred Discord replies rely on this).
        self.shared.in_flight.send_modify(|n| *n += 1);
        let shared = self.shared.clone();
        let pre = prepared.pre.clone();
        let task = tokio::spawn(async move {
            let result = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, out)
                    .await
            }
            .await;
            shared.in_flight.send_modify(|n| *n -= 1);
            result
        });

        match receiver.await {
            Ok(Ok(response)) => {
                if let Ok(mut times) = self.shared.handling_times.lock() {
                    times.push(started.elapsed());
                }
                Ok(response)
            }
            Ok(Err(code)) => Ok(plain(500, &format!("component error: {code:?}"))),
            Err(_) => {
                let why = match task.await {
                    Ok(Ok(())) => "the component never set a response".to_owned(),
                    Ok(Err(trap)) => format!("the component trapped: {trap:?}"),
                    Err(join) => format!("the component task failed: {join}"),
                };
                Ok(plain(500, &why))
            }
        }
    }
}

/// A running app. Dropping it stops accepting connections.
pub struct TestApp {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl TestApp {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Everything the components wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.shared.logs.contents()).into_owned()
    }

    /// Every outbound request the components tried, allowed or not.
    pub fn outbound(&self) -> Vec<OutboundAttempt> {
        self.shared
            .outbound
            .lock()
            .map(|log| log.clone())
            .unwrap_or_default()
    }

    /// How long the host took per answered request, from arrival to response headers
    /// (instantiation and the component's own work), then clears the list.
    pub fn take_handling_times(&self) -> Vec<Duration> {
        self.shared
            .handling_times
            .lock()
            .map(|mut times| std::mem::take(&mut *times))
            .unwrap_or_default()
    }

    /// A copy of the `default` store's entries.
    pub fn store(&self) -> BTreeMap<String, Vec<u8>> {
        stored(&self.shared)
    }

    /// Writes `value` at `key` in the `default` store, as if a component had (to set up
    /// state that no route writes yet, e.g. a server's settings in `config`'s layout).
    pub fn seed(&self, key: &str, value: &[u8]) {
        if let Ok(mut stores) = self.shared.stores.lock() {
            stores
                .entry(DEFAULT_STORE.to_owned())
                .or_default()
                .insert(key.to_owned(), value.to_vec());
        }
    }

    /// Waits until no instance is running (handlers that kept working after they
    /// responded have finished), or `timeout` passes.
    ///
    /// # Errors
    /// When instances are still running after `timeout`.
    pub async fn idle(&self, timeout: Duration) -> Result<()> {
        let mut watch = self.shared.in_flight.subscribe();
        tokio::time::timeout(timeout, watch.wait_for(|n| *n == 0))
            .await
            .context("instances still running")?
            .context("app stopped")?;
        Ok(())
    }
}
