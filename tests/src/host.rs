//! The test host: runs a Spin application's HTTP components from their real `.wasm`,
//! with Spin's semantics for what this app uses — routing and `spin-*` headers,
//! per-request instances that may keep running after they respond, the key-value
//! store, variables and `allowed_outbound_hosts` — and serves them on 127.0.0.1.
//! It is a test tool, not a product runtime.

use crate::bindings::fermyon::spin::key_value;
use crate::bindings::fermyon::spin::variables;
use crate::bindings::wasi::keyvalue::{atomics, store as wasi_store};
use crate::compose::{self, DependencyName};
use crate::deny;
use crate::kv::host_v3::SpinP3;
use crate::kv::{self, StoreConfig, Stores};
use crate::manifest::{self, App};
use crate::outbound::AllowedHosts;
use crate::redis_server::RedisServer;
use crate::routes::{self, Router};
use crate::telemetry::{self, CallGuard, InstanceTrace};
use crate::wasip3::{self, InstanceReuse};
use crate::TestApp;
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
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

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
pub(crate) struct Shared {
    pub(crate) stores: Stores,
    logs: MemoryOutputPipe,
    /// What the host itself reports (traps, Spin's errors), after the components' output.
    host_log: Mutex<String>,
    outbound: Mutex<Vec<OutboundAttempt>>,
    handling_times: Mutex<Vec<Duration>>,
    pub(crate) in_flight: tokio::sync::watch::Sender<usize>,
    /// Where traces and logs go, when the app was started with an OTLP endpoint.
    pub(crate) telemetry: Option<Arc<telemetry::Exporter>>,
}

impl Shared {
    fn log(&self, line: &str) {
        if let Ok(mut log) = self.host_log.lock() {
            log.push_str(line);
            log.push('\n');
        }
    }

    fn logs(&self) -> String {
        let mut logs = String::from_utf8_lossy(&self.logs.contents()).into_owned();
        if let Ok(host) = self.host_log.lock() {
            logs.push_str(&host);
        }
        logs
    }
}

/// What one component may use: Spin's per-component configuration, resolved.
pub(crate) struct Permissions {
    pub(crate) id: String,
    pub(crate) stores: Vec<String>,
    variables: BTreeMap<String, String>,
    allowed: Arc<AllowedHosts>,
}

/// A triggered component, composed, compiled and pre-linked, with the executor Spin
/// picks for the `wasi:http` handler it exports.
struct Prepared {
    permissions: Arc<Permissions>,
    executor: Executor,
}

/// How a component's requests are run (Spin's `HandlerType`, for the two this host
/// serves).
enum Executor {
    /// `wasi:http/incoming-handler@0.2.x`: a fresh instance per request.
    P2(ProxyPre<State>),
    /// `wasi:http/handler@0.3.x`: reused instances ([`crate::wasip3`]).
    P3(wasip3::Handler),
}

/// What a store carries per request.
pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    hooks: Hooks,
    pub(crate) component: Arc<Permissions>,
    pub(crate) shared: Arc<Shared>,
    /// The request's trace, when the app exports telemetry.
    pub(crate) trace: Option<InstanceTrace>,
}

impl State {
    /// A span for a host call named as Spin names it, ended when the guard drops (a
    /// no-op when the app exports no telemetry).
    pub(crate) fn call_span(&self, name: &str) -> CallGuard {
        CallGuard::new(self.trace.as_ref(), name)
    }

    /// Adds a line to the app's log.
    pub(crate) fn log(&self, line: &str) {
        self.shared.log(line);
    }
}

struct Hooks {
    component: String,
    allowed: Arc<AllowedHosts>,
    shared: Arc<Shared>,
    trace: Option<InstanceTrace>,
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
        let allowed = self.allowed.allows(&request.uri().to_string());
        let span = telemetry::outbound_span(
            self.trace.as_ref(),
            request.method().as_str(),
            request.uri(),
        );
        if let Ok(mut log) = self.shared.outbound.lock() {
            log.push(OutboundAttempt {
                component: self.component.clone(),
                method: request.method().to_string(),
                uri: request.uri().to_string(),
                allowed,
            });
        }
        if !allowed {
            if let Some(span) = span {
                span.end();
            }
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        // Spin drops the Host header of outbound requests (some servers refuse one).
        let mut request = request;
        request.headers_mut().remove(http::header::HOST);
        Box::new(async move {
            let sent = wasmtime_wasi_http::default_send_request(request, options).await;
            if let Some(mut span) = span {
                if let Ok((response, _)) = &sent {
                    telemetry::set_status(&mut span, response.status().as_u16());
                }
                span.end();
            }
            let (response, io) = sent?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn std::future::Future<Output = _> + Send>,
            ))
        })
    }
}

impl variables::Host for State {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        let _span = self.call_span("spin_variables.get");
        if let Some(reason) = manifest::invalid_key(&name) {
            return Ok(Err(variables::Error::InvalidName(format!(
                "{name:?}: {reason}"
            ))));
        }
        Ok(self.component.variables.get(&name).cloned().ok_or_else(|| {
            variables::Error::Undefined(format!("no variable for {:?}.{name:?}", self.component.id))
        }))
    }
}

impl crate::bindings::p3::spin::variables::variables::Host for State {}

impl<U> crate::bindings::p3::spin::variables::variables::HostWithStore<U>
    for crate::kv::host_v3::SpinP3
{
    /// Spin 4's `spin:variables@3.0.0` `get` (`crates/factor-variables/src/host.rs`):
    /// the same validation and answers as 2.0.0's.
    async fn get(
        accessor: &wasmtime::component::Accessor<U, Self>,
        name: String,
    ) -> wasmtime::Result<Result<String, crate::bindings::p3::spin::variables::variables::Error>>
    {
        use crate::bindings::p3::spin::variables::variables::Error;
        let got = accessor.with(|mut access| {
            let state = access.get();
            let _span = state.call_span("spin_variables.get");
            if let Some(reason) = manifest::invalid_key(&name) {
                return Err(Error::InvalidName(format!("{name:?}: {reason}")));
            }
            state
                .component
                .variables
                .get(&name)
                .cloned()
                .ok_or_else(|| {
                    Error::Undefined(format!("no variable for {:?}.{name:?}", state.component.id))
                })
        });
        Ok(got)
    }
}

/// The one engine of the process, with its cache of compiled components, so that each
/// test pays for compilation once.
type CompiledCache = Mutex<HashMap<[u8; 32], Component>>;

#[allow(clippy::panic)]
fn engine() -> &'static (Engine, CompiledCache) {
    static ENGINE: OnceLock<(Engine, CompiledCache)> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = wasmtime::Config::new();
        // WASIp3 components (async functions, streams, futures), as Spin 4 enables.
        config.wasm_component_model_async(true);
        let engine = match Engine::new(&config) {
            Ok(engine) => engine,
            Err(err) => panic!("the test host's wasmtime configuration: {err:?}"),
        };
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

/// How to start an app: which manifest, which variable values, which stores.
#[derive(Debug, Clone)]
pub struct AppBuilder {
    pub(crate) manifest: PathBuf,
    pub(crate) manifest_text: Option<String>,
    pub(crate) variables: BTreeMap<String, String>,
    pub(crate) stores: StoreChoice,
    /// A private redis-server the app's store lives on, kept running with the app.
    pub(crate) redis: Option<Arc<RedisServer>>,
    /// Where to export traces and logs (OTLP/HTTP JSON), as Spin does with
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` set.
    pub(crate) otlp_endpoint: Option<String>,
    /// Instance reuse for WASIp3 components (`spin up --max-instance-reuse-count`, …).
    pub(crate) reuse: InstanceReuse,
}

/// Where the app's key-value stores come from.
#[derive(Debug, Clone)]
pub(crate) enum StoreChoice {
    /// The `default` label on a fresh in-memory SQLite database (the tests' isolation).
    Fresh,
    /// The `default` label on this backend.
    Default(StoreConfig),
    /// A Spin runtime config file's `[key_value_store.*]` tables.
    RuntimeConfig { text: String, base: PathBuf },
}

impl AppBuilder {
    /// Starts from the manifest at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            manifest: path.into(),
            manifest_text: None,
            variables: BTreeMap::new(),
            stores: StoreChoice::Fresh,
            redis: None,
            otlp_endpoint: None,
            reuse: InstanceReuse::default(),
        }
    }

    /// Sets Spin's instance reuse for WASIp3 components, as `spin up
    /// --max-instance-reuse-count <max_count> --max-instance-concurrent-reuse-count
    /// <max_concurrent> --idle-instance-timeout <idle_timeout>` (WASIp2 components are
    /// never reused).
    pub fn instance_reuse(mut self, reuse: InstanceReuse) -> Self {
        self.reuse = reuse;
        self
    }

    /// Exports traces and the components' log lines to the OTLP/HTTP endpoint
    /// `endpoint` (e.g. [`crate::otlp::Collector::endpoint`]), as JSON: under real Spin
    /// through `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`,
    /// on the test host through its imitation of Spin's spans ([`crate::telemetry`]).
    pub fn otlp_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.otlp_endpoint = Some(endpoint.into());
        self
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

    /// Backs the `default` store with Spin's SQLite store on the database file `path`
    /// (as `[key_value_store.default] type = "spin"`): apps given the same file share it
    /// as two `spin up` on one file do, each with its own connection.
    pub fn sqlite_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.stores = StoreChoice::Default(StoreConfig::Sqlite(Some(path.into())));
        self
    }

    /// Backs the `default` store with Spin's Redis store at `url` (as
    /// `[key_value_store.default] type = "redis"`): apps given the same server share it.
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.stores = StoreChoice::Default(StoreConfig::Redis(url.into()));
        self
    }

    /// Backs the `default` store with Spin's Redis store on a private `redis-server`
    /// started now and stopped when the app (and every copy of this builder) is gone.
    ///
    /// # Errors
    /// `redis-server` is not installed or does not start.
    pub fn private_redis(mut self) -> Result<Self> {
        let server = RedisServer::start()?;
        self.stores = StoreChoice::Default(StoreConfig::Redis(server.url()));
        self.redis = Some(Arc::new(server));
        Ok(self)
    }

    /// Configures the stores from a Spin runtime config (its `[key_value_store.*]`
    /// tables; relative SQLite paths are relative to `base`), as
    /// `spin up --runtime-config-file` does.
    pub fn runtime_config(mut self, text: impl Into<String>, base: impl Into<PathBuf>) -> Self {
        self.stores = StoreChoice::RuntimeConfig {
            text: text.into(),
            base: base.into(),
        };
        self
    }

    /// Starts the app on 127.0.0.1: in this process (the test host), or with
    /// `SPIN_BIN` set, as a real `spin up` of that binary ([`crate::spin_cli`]).
    ///
    /// # Errors
    /// Anything Spin would refuse at start-up (bad manifest, a required variable
    /// without a value, a missing `.wasm`, a composition that does not fit, a store
    /// label that is not configured); under real Spin, its own message.
    pub async fn start(self) -> Result<TestApp> {
        match crate::spin_cli::spin_bin() {
            Some(bin) => crate::spin_cli::SpinApp::start(self, &bin)
                .await
                .map(TestApp::from),
            None => self.start_in_process().await.map(TestApp::from),
        }
    }

    /// Loads, composes, compiles and serves the app on 127.0.0.1 in this process.
    async fn start_in_process(self) -> Result<HostApp> {
        let reuse = self.reuse;
        let loaded = self.load()?;
        let router = Router::build(&loaded.app.http_triggers)?;
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
            let permissions = loaded.permissions(&id)?;
            let executor = match handler_kind(&instance_pre)? {
                HandlerKind::P2 => Executor::P2(ProxyPre::new(instance_pre)?),
                HandlerKind::P3 => Executor::P3(wasip3::handler(
                    ServicePre::new(instance_pre)?,
                    permissions.clone(),
                    loaded.shared.clone(),
                    reuse,
                )),
            };
            prepared.insert(
                id,
                Arc::new(Prepared {
                    permissions,
                    executor,
                }),
            );
        }

        // Like `spin up`, the app runs on a multi-threaded runtime of its own: requests
        // are handled in parallel, whatever runtime the test itself uses.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_THREADS)
            .thread_name("test-app")
            .enable_all()
            .build()
            .context("starting the app's runtime")?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let shared = loaded.shared.clone();
        let server = Arc::new(Server {
            router,
            prepared,
            shared: shared.clone(),
        });
        runtime.spawn(serve(listener, server));
        Ok(HostApp {
            addr,
            shared,
            runtime: Some(runtime),
            _redis: loaded.redis,
        })
    }

    /// Prepares library component `library` to be called directly, with the
    /// configuration it inherits from `importer` (its stores, variables and outbound
    /// hosts) and the deny adapter for what it does not inherit, as Spin composes it
    /// into `importer`.
    ///
    /// # Errors
    /// As [`AppBuilder::start`], or when `importer` does not depend on `library`.
    pub fn library(self, library: &str, importer: &str) -> Result<LibraryHost> {
        if crate::spin_cli::spin_bin().is_some() {
            bail!(
                "`library` runs a library component in the test host, which real Spin \
                 (SPIN_BIN) cannot do: start the test with `e2e::host_only!(reason)`"
            );
        }
        let loaded = self.load()?;
        let def = loaded
            .app
            .components
            .get(importer)
            .with_context(|| format!("no component `{importer}`"))?;
        let dependency = def
            .dependencies
            .values()
            .find(|d| d.component.as_deref() == Some(library))
            .with_context(|| format!("`{importer}` does not depend on `{library}`"))?;
        let source = &loaded.app.components[library].source;
        let bytes = deny::apply_deny_adapter(
            &read_wasm(&loaded.app.root, source, library)?,
            &def.inherit(dependency),
        )?;
        let component = compile(&bytes)?;
        Ok(LibraryHost {
            component,
            linker: linker()?,
            permissions: loaded.permissions(importer)?,
            shared: loaded.shared,
            _redis: loaded.redis,
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
        let configs = match self.stores {
            StoreChoice::Fresh => {
                BTreeMap::from([(kv::DEFAULT_LABEL.to_owned(), StoreConfig::Sqlite(None))])
            }
            StoreChoice::Default(config) => {
                BTreeMap::from([(kv::DEFAULT_LABEL.to_owned(), config)])
            }
            StoreChoice::RuntimeConfig { text, base } => {
                kv::parse_runtime_config(&text, &base, StoreConfig::Sqlite(None))?
            }
        };
        let stores = Stores::new(&configs)?;
        for (id, component) in &app.components {
            for label in &component.key_value_stores {
                if !stores.is_defined(label) {
                    bail!("unknown key_value_stores label {label:?} for component {id:?}");
                }
            }
        }
        let (logs, in_flight) = (
            MemoryOutputPipe::new(64 * 1024 * 1024),
            tokio::sync::watch::channel(0usize).0,
        );
        let shared = Arc::new(Shared {
            stores,
            logs,
            host_log: Mutex::new(String::new()),
            outbound: Mutex::new(Vec::new()),
            handling_times: Mutex::new(Vec::new()),
            in_flight,
            telemetry: match &self.otlp_endpoint {
                Some(endpoint) => Some(Arc::new(telemetry::Exporter::new(endpoint)?)),
                None => None,
            },
        });

        Ok(Loaded {
            app,
            values,
            shared,
            redis: self.redis,
        })
    }
}

/// A manifest read and its variables resolved, with the app's shared state.
struct Loaded {
    app: App,
    values: BTreeMap<String, String>,
    shared: Arc<Shared>,
    /// The private redis-server the stores use, if any: held by the app itself (not by
    /// state its detached tasks share), so it stops when the app is dropped.
    redis: Option<Arc<RedisServer>>,
}

impl Loaded {
    /// Component `id` composed with its dependencies, as Spin composes it, and compiled.
    fn composed(&self, id: &str) -> Result<Component> {
        let def = &self.app.components[id];
        let main = read_wasm(&self.app.root, &def.source, id)?;
        let mut dependencies = Vec::new();
        for (name, dep) in &def.dependencies {
            let source = match (&dep.component, &dep.path) {
                (Some(other), _) => self.app.components[other].source.clone(),
                (None, Some(path)) => path.clone(),
                (None, None) => bail!("dependency `{name}` has no source"),
            };
            dependencies.push(compose::Dependency {
                name: name.parse::<DependencyName>()?,
                bytes: read_wasm(&self.app.root, &source, name)?,
                export: dep.export.clone(),
                inherit: def.inherit(dep),
            });
        }
        let composed = compose::compose(id, &main, &dependencies)
            .with_context(|| format!("composing component `{id}`"))?;
        compile(&composed).with_context(|| format!("compiling `{id}`"))
    }

    /// What component `id` may use, with its templates expanded.
    fn permissions(&self, id: &str) -> Result<Arc<Permissions>> {
        let def = &self.app.components[id];
        let lookup = |name: &str| self.values.get(name).cloned();
        let mut variables = BTreeMap::new();
        for (name, template) in &def.variables {
            variables.insert(name.clone(), manifest::expand(template, &lookup)?);
        }
        let mut expanded = Vec::new();
        for entry in &def.allowed_outbound_hosts {
            expanded.push(manifest::expand(entry, &lookup)?);
        }
        let allowed = AllowedHosts::parse(&expanded)
            .with_context(|| format!("component `{id}`: allowed_outbound_hosts"))?;
        Ok(Arc::new(Permissions {
            id: id.to_owned(),
            stores: def.key_value_stores.clone(),
            variables,
            allowed: Arc::new(allowed),
        }))
    }
}

/// The `wasi:http` handler a component exports, as Spin tells them apart
/// (`crates/http/src/trigger.rs`, `HandlerType::from_instance_pre`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HandlerKind {
    /// `wasi:http/incoming-handler@0.2.x`.
    P2,
    /// `wasi:http/handler@0.3.x`.
    P3,
}

/// Which handler `pre` exports: exactly one, or Spin's error.
fn handler_kind(pre: &wasmtime::component::InstancePre<State>) -> Result<HandlerKind> {
    let mut candidates = Vec::new();
    if wasmtime_wasi_http::p2::bindings::ProxyIndices::new(pre).is_ok() {
        candidates.push(HandlerKind::P2);
    }
    if ServicePre::new(pre.clone()).is_ok() {
        candidates.push(HandlerKind::P3);
    }
    match candidates.as_slice() {
        [kind] => Ok(*kind),
        [] => bail!(
            "Expected component to export one of `wasi:http/incoming-handler@0.2.*` or \
             `wasi:http/handler@0.3.*` but it exported none of those (the test host serves \
             no other Spin handler)"
        ),
        _ => bail!(
            "component exports multiple different handlers but it's expected to export only one"
        ),
    }
}

/// The linker with every host interface a Spin component of this app may import:
/// WASIp2 and WASIp3 (a p3 component composed with p2-style libraries imports both).
fn linker() -> Result<Linker<State>> {
    let mut linker: Linker<State> = Linker::new(&engine().0);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker)?;
    wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
    crate::bindings::p3::spin::key_value::key_value::add_to_linker::<State, SpinP3>(
        &mut linker,
        |s| s,
    )?;
    crate::bindings::p3::spin::variables::variables::add_to_linker::<State, SpinP3>(
        &mut linker,
        |s| s,
    )?;
    key_value::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    variables::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    wasi_store::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    atomics::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    Ok(linker)
}

/// The state of one fresh instance of a component with these permissions.
pub(crate) fn new_store(
    permissions: &Arc<Permissions>,
    shared: &Arc<Shared>,
    trace: Option<InstanceTrace>,
) -> Store<State> {
    let logs = shared.logs.clone();
    let wasi = match &trace {
        None => WasiCtx::builder().stdout(logs.clone()).stderr(logs).build(),
        Some(instance) => {
            let tee = || telemetry::TeeOutput {
                inner: logs.clone(),
                trace: instance.clone(),
                component: permissions.id.clone(),
            };
            WasiCtx::builder().stdout(tee()).stderr(tee()).build()
        }
    };
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
                trace: trace.clone(),
            },
            component: permissions.clone(),
            shared: shared.clone(),
            trace,
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
    _redis: Option<Arc<RedisServer>>,
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
        new_store(&self.permissions, &self.shared, None)
    }

    /// A copy of the `default` store's entries.
    pub fn store(&self) -> BTreeMap<String, Vec<u8>> {
        stored(&self.shared)
    }

    /// Everything the instances wrote to stdout and stderr so far, then what the host
    /// reported.
    pub fn logs(&self) -> String {
        self.shared.logs()
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
    match shared.stores.entries(kv::DEFAULT_LABEL) {
        Ok(entries) => entries,
        Err(err) => {
            shared.log(&format!("reading the default store for the test: {err:#}"));
            BTreeMap::new()
        }
    }
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
    router: Router,
    prepared: HashMap<String, Arc<Prepared>>,
    shared: Arc<Shared>,
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

/// A response with `status` and `body`; Spin's own 404 and 500 have an empty body.
fn plain(status: u16, body: &'static str) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from_static(body.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
}

impl Server {
    /// Spin's `HttpServer::handle` and its wasi-http executor: Spin's own paths first,
    /// then routing, the request's headers rebuilt with Spin's `spin-*` headers appended
    /// after the client's, a fresh instance per request that may run on after it
    /// responds, and an empty 500 when the component fails before responding.
    async fn handle(
        &self,
        mut request: hyper::Request<hyper::body::Incoming>,
        client: SocketAddr,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        let started = std::time::Instant::now();
        // Spin's `strip_forbidden_headers` (no service chaining here, so only this).
        request.headers_mut().remove(http::header::CONNECTION);
        let path = request.uri().path().to_owned();
        if let Some(well_known) = path.strip_prefix(routes::WELL_KNOWN_PREFIX) {
            return Ok(match well_known {
                "health" => plain(200, "OK"),
                _ => plain(404, ""),
            });
        }
        let Some(matched) = self.router.route(&path) else {
            return Ok(plain(404, ""));
        };
        let Some(prepared) = self.prepared.get(&matched.component).cloned() else {
            self.shared
                .log(&format!("unknown component ID {:?}", matched.component));
            return Ok(plain(500, ""));
        };
        // Spin's `set_req_uri`: scheme and authority from the Host header.
        let host = match request.headers().get(http::header::HOST) {
            Some(host) => host
                .to_str()
                .context("'Host' header is not valid UTF-8")?
                .to_owned(),
            None => bail!("no 'Host' header present in request"),
        };
        let path_and_query = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| path.clone());
        *request.uri_mut() = format!("http://{host}{path_and_query}").parse()?;
        // Spin's `prepare_request`: the client's headers (all UTF-8, or the request
        // fails), then Spin's, appended — a client's own `spin-*` header comes first.
        let mut headers = Vec::new();
        for (name, value) in request.headers() {
            let Ok(value) = std::str::from_utf8(value.as_bytes()) else {
                self.shared
                    .log("Error processing request: a header value is not UTF-8");
                return Ok(plain(500, ""));
            };
            headers.push((name.to_string(), value.to_owned()));
        }
        headers.extend(routes::spin_headers(
            &matched,
            "http",
            &host,
            &path_and_query,
            client,
        ));
        let map = request.headers_mut();
        map.clear();
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                name.parse::<http::HeaderName>(),
                http::HeaderValue::from_bytes(value.as_bytes()),
            ) {
                map.append(name, value);
            }
        }

        // Spin's request span (continuing a caller's `traceparent`) and execute span.
        let traced = self.shared.telemetry.clone().map(|exporter| {
            let caller = request
                .headers()
                .get("traceparent")
                .and_then(|v| v.to_str().ok());
            let (trace, parent) = telemetry::RequestTrace::begin(exporter, caller);
            let method = request.method().to_string();
            let request_span = trace.request_span(&method, &matched.raw_route, &path, &parent);
            let execute = trace.execute_span(&matched.component, &request_span);
            (trace, request_span, execute)
        });
        let (mut request_span, execute_span, instance_trace) = match traced {
            Some((trace, request_span, execute)) => {
                let instance = InstanceTrace::Request {
                    trace,
                    execute: execute.id(),
                };
                (Some(request_span), Some(execute), Some(instance))
            }
            None => (None, None, None),
        };
        let pre = match &prepared.executor {
            Executor::P2(pre) => pre.clone(),
            Executor::P3(handler) => {
                drop(instance_trace);
                return Ok(self
                    .handle_p3(handler, request, started, request_span, execute_span)
                    .await);
            }
        };
        let mut store = new_store(&prepared.permissions, &self.shared, instance_trace);
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
        let component = matched.component.clone();
        let task = tokio::spawn(async move {
            let result = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, out)
                    .await
            }
            .await;
            if let Err(err) = &result {
                shared.log(&format!("component `{component}` failed: {err:?}"));
            }
            // Spin's execute span lasts as long as the instance's task.
            drop(store);
            if let Some(span) = execute_span {
                span.end();
            }
            shared.in_flight.send_modify(|n| *n -= 1);
            result
        });

        let answered = receiver.await;
        if let Some(mut span) = request_span.take() {
            let status = match &answered {
                Ok(Ok(response)) => response.status().as_u16(),
                _ => 500,
            };
            telemetry::set_status(&mut span, status);
            span.end();
        }
        match answered {
            Ok(Ok(response)) => {
                if let Ok(mut times) = self.shared.handling_times.lock() {
                    times.push(started.elapsed());
                }
                Ok(response)
            }
            Ok(Err(code)) => {
                self.shared
                    .log(&format!("guest failed to produce a response: {code:?}"));
                Ok(plain(500, ""))
            }
            Err(_) => {
                let why = match task.await {
                    Ok(Ok(())) => {
                        "guest failed to produce a response prior to returning".to_owned()
                    }
                    Ok(Err(trap)) => format!("guest invocation failed: {trap:?}"),
                    Err(join) => format!("guest invocation panicked: {join}"),
                };
                self.shared.log(&format!("Error processing request: {why}"));
                Ok(plain(500, ""))
            }
        }
    }
}

impl Server {
    /// Spin's `Wasip3HttpExecutor`: the request goes to the component's pool of reused
    /// instances; Spin's execute span ends with the response (the instance lives on).
    /// A failure before the response is an empty 500, its reason in the app's log.
    async fn handle_p3(
        &self,
        handler: &wasip3::Handler,
        request: hyper::Request<hyper::body::Incoming>,
        started: std::time::Instant,
        request_span: Option<telemetry::OpenSpan>,
        execute_span: Option<telemetry::OpenSpan>,
    ) -> hyper::Response<HyperOutgoingBody> {
        // Wasmtime 48 strips the headers WASI forbids (`host` among them) from a WASIp3
        // guest's incoming request, with a swap-remove that reorders the others;
        // Spin 4.1's Wasmtime 47 passes them all. Removing them here, in order, keeps
        // Spin's order for the rest (the guest still misses `host`).
        let mut request = request;
        let mut kept = Vec::new();
        let mut current: Option<http::HeaderName> = None;
        for (name, value) in request.headers_mut().drain() {
            if name.is_some() {
                current = name;
            }
            if let Some(name) = &current {
                if !wasmtime_wasi_http::DEFAULT_FORBIDDEN_HEADERS.contains(name) {
                    kept.push((name.clone(), value));
                }
            }
        }
        for (name, value) in kept {
            request.headers_mut().append(name, value);
        }
        let request =
            request.map(|body| body.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
        let answered = handler.handle((), request).await;
        if let Some(span) = execute_span {
            span.end();
        }
        if let Some(mut span) = request_span {
            let status = match &answered {
                Ok(response) => response.status().as_u16(),
                Err(_) => 500,
            };
            telemetry::set_status(&mut span, status);
            span.end();
        }
        match answered {
            Ok(response) => {
                if let Ok(mut times) = self.shared.handling_times.lock() {
                    times.push(started.elapsed());
                }
                response
            }
            Err(err) => {
                self.shared
                    .log(&format!("Error processing request: {err:?}"));
                plain(500, "")
            }
        }
    }
}

/// An app running in this process, on a runtime of its own. Dropping it stops it.
pub(crate) struct HostApp {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    _redis: Option<Arc<RedisServer>>,
}

/// Worker threads of each app's runtime: at least two, so requests overlap as they do
/// on Spin's multi-threaded runtime.
const RUNTIME_THREADS: usize = 2;

impl Drop for HostApp {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl HostApp {
    /// The address it listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything the components wrote to stdout and stderr so far, then what the host
    /// reported (failed instances, store panics).
    pub(crate) fn logs(&self) -> String {
        self.shared.logs()
    }

    /// Every outbound request the components tried, allowed or not.
    pub(crate) fn outbound(&self) -> Vec<OutboundAttempt> {
        self.shared
            .outbound
            .lock()
            .map(|log| log.clone())
            .unwrap_or_default()
    }

    /// How long the host took per answered request, from arrival to response headers
    /// (instantiation and the component's own work), then clears the list.
    pub(crate) fn take_handling_times(&self) -> Vec<Duration> {
        self.shared
            .handling_times
            .lock()
            .map(|mut times| std::mem::take(&mut *times))
            .unwrap_or_default()
    }

    /// A copy of the `default` store's entries (on Redis: every key of the server).
    pub(crate) fn store(&self) -> BTreeMap<String, Vec<u8>> {
        stored(&self.shared)
    }

    /// Writes `value` at `key` in the `default` store, as a component's `set` would.
    pub(crate) fn seed(&self, key: &str, value: &[u8]) -> Result<()> {
        self.shared.stores.seed(kv::DEFAULT_LABEL, key, value)
    }

    /// Waits until no instance is running (handlers that kept working after they
    /// responded have finished), or `timeout` passes.
    ///
    /// # Errors
    /// When instances are still running after `timeout`.
    pub(crate) async fn idle(&self, timeout: Duration) -> Result<()> {
        let mut watch = self.shared.in_flight.subscribe();
        tokio::time::timeout(timeout, watch.wait_for(|n| *n == 0))
            .await
            .context("instances still running")?
            .context("app stopped")?;
        Ok(())
    }
}
