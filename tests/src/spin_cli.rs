//! The end-to-end suite against a real `spin up`. With `SPIN_BIN=/path/to/spin`,
//! [`AppBuilder::start`](crate::AppBuilder::start) starts that binary instead of the
//! in-process test host, so the same tests check the two hosts against each other.
//!
//! Each app gets a scratch folder with:
//! - `spin.toml`: the builder's manifest, its component `source`s and dependency
//!   `path`s made absolute (relative to the original manifest's folder);
//! - `runtime-config.toml`: the builder's stores — by default Spin's SQLite store on
//!   `kv.db` there; a SQLite file or a Redis URL shared with other apps; or the
//!   builder's runtime config text (relative SQLite paths resolved as the test host
//!   resolves them, a `default` store added when it has none);
//! - `logs/`: Spin's `--log-dir` (each component's stdout and stderr), and
//!   `spin-stdout.txt` / `spin-stderr.txt`, Spin's own output.
//!
//! Variables are passed as `SPIN_VARIABLE_<NAME>` (Spin's environment provider, so
//! secrets stay off the command line); `spin up` listens on `127.0.0.1:0` (the kernel
//! picks a free port, which Spin prints as "Serving http://…") and is ready when
//! `/.well-known/spin/health` answers there. The tests read and seed the store
//! through their own connection to the same SQLite file or Redis server.
//!
//! What Spin cannot show is taken from its trace, which this module turns on with
//! `RUST_LOG` (and keeps out of [`TestApp::logs`](crate::TestApp::logs), since it
//! echoes request paths and queries): each wasi-http instance's start ("Executing
//! request using the Wasi executor") and end ("wasi-http memory consumed") give
//! [`TestApp::idle`](crate::TestApp::idle) its count of running instances; the outbound
//! checks ("Checking / Disallowed outbound networking request to '`<url>`'") give
//! [`TestApp::outbound`](crate::TestApp::outbound). What only the in-process host can
//! offer — calling a library's exports, the deny adapter on its own, handling times —
//! is refused under Spin, and tests of it start with [`host_only!`](crate::host_only).
//!
//! `spin up` runs its trigger as a child process: both are put in a process group of
//! their own, and the group is killed when the app is dropped.

use crate::host::{AppBuilder, OutboundAttempt, StoreChoice};
use crate::kv::{self, StoreConfig, Stores};
use crate::redis_server::RedisServer;
use crate::wasip3::InstanceReuse;
use anyhow::{bail, Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The environment variable naming the Spin binary to test against.
pub const SPIN_BIN: &str = "SPIN_BIN";

/// How long `spin up` may take to answer its health check (it compiles the
/// components on a cold cache).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Spin's trace, as this module reads it; Spin's errors stay on. Wasmtime's store
/// trace says when each instance's store is made and dropped: the only end Spin
/// reports for a WASIp3 instance (its wasi-http "memory consumed" line is WASIp2's).
const RUST_LOG: &str = "error,spin_trigger_http::wasi=trace,\
     spin_outbound_networking_config::allowed_hosts=debug,wasmtime::runtime::store=trace";
const STORE_CREATED: &str = "wasmtime::runtime::store: creating new store StoreId(";
const STORE_DROPPED: &str = "wasmtime::runtime::store: store StoreId(";
const STORE_DROPPED_END: &str = ") is deallocating";
const INSTANCE_START: &str = "spin_trigger_http::wasi: Executing request using the Wasi executor";
const INSTANCE_END: &str = "spin_trigger_http::wasi: wasi-http memory consumed";
const OUTBOUND_CHECK: &str =
    "spin_outbound_networking_config::allowed_hosts: Checking outbound networking request to '";
const OUTBOUND_DENIED: &str =
    "spin_outbound_networking_config::allowed_hosts: Disallowed outbound networking request to '";

/// The Spin binary of `SPIN_BIN`, when it is set (and not empty).
pub fn spin_bin() -> Option<PathBuf> {
    std::env::var_os(SPIN_BIN)
        .filter(|bin| !bin.is_empty())
        .map(PathBuf::from)
}

/// Whether a test of something only the in-process host can show must be skipped:
/// true under `SPIN_BIN`, after printing why on stderr (past the test harness's
/// capture, so the skip shows in the run's output). Called by
/// [`host_only!`](crate::host_only).
pub fn skipped_under_spin(reason: &str) -> bool {
    if spin_bin().is_none() {
        return false;
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED under real Spin: {test}: {reason}"
    );
    true
}

/// An app run by a real `spin up`, killed (with its trigger) when dropped.
pub(crate) struct SpinApp {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    /// The test's own connection to the `default` store; `None` when Spin keeps it in
    /// memory, out of the test's reach.
    store: Option<Stores>,
    trace: Mutex<Trace>,
    /// Whether a component exports `wasi:http/handler@0.3` (Spin logs no request end).
    wasip3: bool,
    _redis: Option<Arc<RedisServer>>,
}

impl Drop for SpinApp {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}

/// Kills `spin up` and its trigger (its process group) and reaps it.
fn kill(child: &mut Child) {
    if let Some(group) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until Spin says where it serves (it binds port 0: the kernel picks a free
/// port, so no other test's server can be mistaken for this one) and its health check
/// answers 200 there; fails when Spin exits first or the time is up.
async fn wait_until_ready(child: &mut Child, dir: &Path) -> Result<SocketAddr> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("watching spin up")? {
            bail!("spin up exited ({status}) before serving:\n{}", output(dir));
        }
        if let Some(addr) = serving(&read_lossy(&dir.join("spin-stdout.txt"))) {
            let mut client = crate::Client::new(addr);
            if let Ok(response) = client.get("/.well-known/spin/health").await {
                if response.status == 200 {
                    return Ok(addr);
                }
            }
        }
        if started.elapsed() > START_TIMEOUT {
            bail!(
                "spin up did not answer within {START_TIMEOUT:?}:\n{}",
                output(dir)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The address of Spin's "Serving http://<address>" line.
fn serving(stdout: &str) -> Option<SocketAddr> {
    stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("Serving http://"))
        .and_then(|addr| addr.trim().parse().ok())
}

/// Spin's own stderr and stdout so far, unfiltered.
fn output(dir: &Path) -> String {
    let mut output = read_lossy(&dir.join("spin-stderr.txt"));
    output.push_str(&read_lossy(&dir.join("spin-stdout.txt")));
    output
}

impl SpinApp {
    /// Starts `bin up` with the builder's manifest, variables and stores, and waits
    /// until it answers.
    ///
    /// # Errors
    /// A variable the manifest does not declare (as the test host refuses it), or Spin
    /// exiting before it answers: the error carries Spin's output.
    pub(crate) async fn start(builder: AppBuilder, bin: &Path) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("spin-e2e-")
            .tempdir()
            .context("a scratch folder for spin up")?;
        let text = match &builder.manifest_text {
            Some(text) => text.clone(),
            None => std::fs::read_to_string(&builder.manifest)
                .with_context(|| format!("reading {}", builder.manifest.display()))?,
        };
        let root = builder
            .manifest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let (manifest, declared) = rewrite_manifest(&text, &root)?;
        let wasip3 = serves_wasip3(&text, &root);
        if let Some(declared) = declared {
            // The builder's promise on both hosts (Spin ignores such an environment
            // variable): a misspelt name fails the test instead of being lost.
            for name in builder.variables.keys() {
                if !declared.contains(name) {
                    bail!("variable `{name}` is not declared in spin.toml");
                }
            }
        }
        std::fs::write(dir.path().join("spin.toml"), manifest)?;
        let (runtime_config, default) = runtime_config(&builder.stores, dir.path())?;
        std::fs::write(dir.path().join("runtime-config.toml"), runtime_config)?;
        let store = match &default {
            StoreConfig::Sqlite(None) => None,
            config => Some(Stores::new(&BTreeMap::from([(
                kv::DEFAULT_LABEL.to_owned(),
                config.clone(),
            )]))?),
        };

        let mut child = spawn(
            bin,
            dir.path(),
            &builder.variables,
            builder.otlp_endpoint.as_deref(),
            builder.reuse,
        )?;
        let addr = match wait_until_ready(&mut child, dir.path()).await {
            Ok(addr) => addr,
            Err(err) => {
                kill(&mut child);
                return Err(err);
            }
        };
        Ok(Self {
            child,
            addr,
            dir,
            store,
            trace: Mutex::new(Trace::default()),
            wasip3,
            _redis: builder.redis,
        })
    }

    /// The address it listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The components' stdout and stderr (Spin's log files, component by component),
    /// then Spin's own output without the trace this module turned on.
    pub(crate) fn logs(&self) -> String {
        let mut logs = String::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("logs"))
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            logs.push_str(&read_lossy(&file));
        }
        logs.push_str(&read_lossy(&self.dir.path().join("spin-stdout.txt")));
        for line in read_lossy(&self.dir.path().join("spin-stderr.txt")).lines() {
            if !is_trace(line) {
                logs.push_str(line);
                logs.push('\n');
            }
        }
        logs
    }

    /// Every outbound request Spin checked against `allowed_outbound_hosts`, in order,
    /// with whether it was allowed (component and method are not in Spin's log: empty).
    pub(crate) fn outbound(&self) -> Vec<OutboundAttempt> {
        self.read_trace().outbound
    }

    /// A copy of the `default` store's entries, through the test's own connection.
    ///
    /// # Panics
    /// When Spin keeps the store in memory (a runtime config without a path).
    #[allow(clippy::panic)]
    pub(crate) fn store(&self) -> BTreeMap<String, Vec<u8>> {
        let Some(store) = &self.store else {
            panic!("Spin keeps this app's default store in memory, out of the test's reach");
        };
        store.entries(kv::DEFAULT_LABEL).unwrap_or_else(|err| {
            panic!("reading the default store of spin up: {err:#}");
        })
    }

    /// Writes `value` at `key` in the `default` store, through the test's connection.
    pub(crate) fn seed(&self, key: &str, value: &[u8]) -> Result<()> {
        match &self.store {
            Some(store) => store.seed(kv::DEFAULT_LABEL, key, value),
            None => bail!("Spin keeps this app's default store in memory"),
        }
    }

    /// Waits until every wasi-http instance Spin started has finished, by its trace:
    /// every WASIp2 request's end is logged, and every instance store (WASIp2 or
    /// WASIp3) has been dropped — a WASIp3 instance is dropped once its work is done
    /// and it has been idle for the idle instance timeout (1 s by default), so this
    /// waits that much longer than the test host, which sees the work end.
    ///
    /// # Errors
    /// When instances are still running after `timeout`, or Spin has exited.
    pub(crate) async fn idle(&self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            let trace = self.read_trace();
            // Spin logs a WASIp3 request's start (as WASIp2's) but not its end.
            let requests_ended = self.wasip3 || trace.finished >= trace.started;
            if requests_ended && trace.live_stores == 0 {
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!(
                    "instances still running: Spin started {} and finished {}; {} stores live",
                    trace.started,
                    trace.finished,
                    trace.live_stores
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The trace read so far (Spin's stderr is read on from where the last call
    /// stopped).
    fn read_trace(&self) -> TraceSummary {
        let Ok(mut trace) = self.trace.lock() else {
            return TraceSummary::default();
        };
        trace.read_on(&self.dir.path().join("spin-stderr.txt"));
        TraceSummary {
            started: trace.started,
            finished: trace.finished,
            live_stores: trace.stores.len(),
            outbound: trace.outbound.clone(),
        }
    }
}

/// Whether any HTTP component of the manifest `text` exports `wasi:http/handler@0.3`
/// (a manifest the host cannot read: no).
fn serves_wasip3(text: &str, root: &Path) -> bool {
    let Ok(app) = crate::manifest::App::from_str(text, root.to_path_buf()) else {
        return false;
    };
    app.http_triggers.iter().any(|trigger| {
        app.components
            .get(&trigger.component)
            .and_then(|component| std::fs::read(root.join(&component.source)).ok())
            .is_some_and(|bytes| crate::wasip3::exports_wasi_http_0_3(&bytes))
    })
}

/// What Spin's trace has said so far.
#[derive(Default)]
struct Trace {
    offset: u64,
    partial: String,
    started: usize,
    finished: usize,
    /// Wasmtime stores made and not yet dropped (instances, live or kept for reuse).
    stores: BTreeSet<u64>,
    outbound: Vec<OutboundAttempt>,
}

#[derive(Default)]
struct TraceSummary {
    started: usize,
    finished: usize,
    live_stores: usize,
    outbound: Vec<OutboundAttempt>,
}

impl Trace {
    /// Reads the lines Spin has added to `path` since the last call.
    fn read_on(&mut self, path: &Path) {
        let Ok(mut file) = std::fs::File::open(path) else {
            return;
        };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let mut added = Vec::new();
        let Ok(read) = file.read_to_end(&mut added) else {
            return;
        };
        self.offset += read as u64;
        self.partial.push_str(&String::from_utf8_lossy(&added));
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            self.line(line.trim_end());
        }
    }

    fn line(&mut self, line: &str) {
        if line.contains(INSTANCE_START) {
            self.started += 1;
        } else if line.contains(INSTANCE_END) {
            self.finished += 1;
        } else if let Some(id) = store_id_after(line, STORE_CREATED, ")") {
            self.stores.insert(id);
        } else if let Some(id) = store_id_after(line, STORE_DROPPED, STORE_DROPPED_END) {
            self.stores.remove(&id);
        } else if let Some(url) = quoted_after(line, OUTBOUND_CHECK) {
            self.outbound.push(OutboundAttempt {
                component: String::new(),
                method: String::new(),
                uri: url.to_owned(),
                allowed: true,
            });
        } else if let Some(url) = quoted_after(line, OUTBOUND_DENIED) {
            // Spin logs the refusal right after the check, naming the same URL.
            if let Some(attempt) = self
                .outbound
                .iter_mut()
                .rev()
                .find(|a| a.allowed && a.uri == url)
            {
                attempt.allowed = false;
            }
        }
    }
}

/// The store number between `marker` and `end` in `line`.
fn store_id_after(line: &str, marker: &str, end: &str) -> Option<u64> {
    let start = line.find(marker)? + marker.len();
    let rest = &line[start..];
    rest.get(..rest.find(end)?)?.parse().ok()
}

/// The text between `marker` (which ends with a quote) and the line's last quote.
fn quoted_after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let start = line.find(marker)? + marker.len();
    let rest = &line[start..];
    rest.rfind('\'').map(|end| &rest[..end])
}

/// Whether `line` is one of the trace events this module turned on (a tracing line
/// `<timestamp> <LEVEL> …` below Spin's default level).
fn is_trace(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let stamped = words.next().is_some_and(|stamp| {
        stamp.starts_with(|c: char| c.is_ascii_digit()) && stamp.ends_with('Z')
    });
    stamped && matches!(words.next(), Some("TRACE" | "DEBUG" | "INFO"))
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// Starts `bin up` in `dir` on a port the kernel picks, in a process group of its own.
///
/// With `otlp_endpoint`, Spin exports its traces and the components' log lines there
/// (OTLP over HTTP, protobuf); without, every `OTEL_*` variable is removed so that the
/// tests' environment cannot turn it on.
fn spawn(
    bin: &Path,
    dir: &Path,
    variables: &BTreeMap<String, String>,
    otlp_endpoint: Option<&str>,
    reuse: InstanceReuse,
) -> Result<Child> {
    let stdout = std::fs::File::create(dir.join("spin-stdout.txt"))?;
    let stderr = std::fs::File::create(dir.join("spin-stderr.txt"))?;
    let mut command = Command::new(bin);
    command
        .arg("up")
        .arg("--file")
        .arg(dir.join("spin.toml"))
        .arg("--runtime-config-file")
        .arg(dir.join("runtime-config.toml"))
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--log-dir")
        .arg(dir.join("logs"))
        .arg("--quiet")
        // Instance reuse for WASIp3 components (Spin's defaults unless the test sets it).
        .arg("--max-instance-reuse-count")
        .arg(reuse.max_count.to_string())
        .arg("--max-instance-concurrent-reuse-count")
        .arg(reuse.max_concurrent.to_string())
        .arg("--idle-instance-timeout")
        .arg(format!("{}ms", reuse.idle_timeout.as_millis()))
        // Spin's environment provider also reads `.env` in the working folder.
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .env("RUST_LOG", RUST_LOG)
        .process_group(0);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SPIN_VARIABLE_") {
            command.env_remove(name);
        }
    }
    for (name, value) in variables {
        command.env(
            format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()),
            value,
        );
    }
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OTEL_") {
            command.env_remove(name);
        }
    }
    if let Some(endpoint) = otlp_endpoint {
        command
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            // Export each span and record at once, not every 5 s: the test waits on them.
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .env("OTEL_BLRP_SCHEDULE_DELAY", "100");
    }
    command
        .spawn()
        .with_context(|| format!("starting {} up", bin.display()))
}

/// The manifest with component sources and dependency paths made absolute, and the
/// names of its application variables (`None` when it is not TOML: Spin will say why).
fn rewrite_manifest(text: &str, root: &Path) -> Result<(String, Option<BTreeSet<String>>)> {
    let Ok(mut manifest) = text.parse::<toml::Table>() else {
        return Ok((text.to_owned(), None));
    };
    let declared = manifest
        .get("variables")
        .and_then(toml::Value::as_table)
        .map(|variables| variables.keys().cloned().collect())
        .unwrap_or_default();
    let components = manifest
        .get_mut("component")
        .and_then(toml::Value::as_table_mut);
    for component in components
        .into_iter()
        .flat_map(|c| c.iter_mut().map(|(_, v)| v))
    {
        let Some(component) = component.as_table_mut() else {
            continue;
        };
        absolute(component.get_mut("source"), root);
        let dependencies = component
            .get_mut("dependencies")
            .and_then(toml::Value::as_table_mut);
        for (_, dependency) in dependencies.into_iter().flat_map(|d| d.iter_mut()) {
            if let Some(dependency) = dependency.as_table_mut() {
                absolute(dependency.get_mut("path"), root);
            }
        }
    }
    Ok((
        toml::to_string(&manifest).context("writing the manifest for spin up")?,
        Some(declared),
    ))
}

/// Makes a relative path string absolute against `root`.
fn absolute(value: Option<&mut toml::Value>, root: &Path) {
    if let Some(toml::Value::String(path)) = value {
        if Path::new(path.as_str()).is_relative() {
            *path = root.join(path.as_str()).to_string_lossy().into_owned();
        }
    }
}

/// The runtime config for the builder's stores, and what backs the `default` label.
fn runtime_config(stores: &StoreChoice, dir: &Path) -> Result<(String, StoreConfig)> {
    let fresh = || StoreConfig::Sqlite(Some(dir.join("kv.db")));
    let config = match stores {
        StoreChoice::Fresh | StoreChoice::Default(StoreConfig::Sqlite(None)) => {
            store_table(&fresh())
        }
        StoreChoice::Default(store) => store_table(store),
        StoreChoice::RuntimeConfig { text, base } => {
            let mut config: toml::Table =
                toml::from_str(text).context("runtime config is not TOML")?;
            let stores = config
                .get_mut("key_value_store")
                .and_then(toml::Value::as_table_mut);
            for table in stores
                .into_iter()
                .flat_map(|s| s.iter_mut().map(|(_, v)| v))
            {
                let Some(table) = table.as_table_mut() else {
                    continue;
                };
                if table.get("type").and_then(toml::Value::as_str) == Some("spin") {
                    absolute(table.get_mut("path"), base);
                }
            }
            let has_default = config
                .get("key_value_store")
                .and_then(|s| s.get(kv::DEFAULT_LABEL))
                .is_some();
            if !has_default {
                let added = store_table(&fresh());
                merge(&mut config, added);
            }
            config
        }
    };
    let text = toml::to_string(&config).context("writing the runtime config")?;
    let default = kv::parse_runtime_config(&text, dir, fresh())?
        .remove(kv::DEFAULT_LABEL)
        .unwrap_or_else(fresh);
    Ok((text, default))
}

/// `[key_value_store.default]` for `store`.
fn store_table(store: &StoreConfig) -> toml::Table {
    let mut table = toml::Table::new();
    match store {
        StoreConfig::Sqlite(path) => {
            table.insert("type".into(), "spin".into());
            if let Some(path) = path {
                table.insert("path".into(), path.to_string_lossy().into_owned().into());
            }
        }
        StoreConfig::Redis(url) => {
            table.insert("type".into(), "redis".into());
            table.insert("url".into(), url.clone().into());
        }
    }
    let mut stores = toml::Table::new();
    stores.insert(kv::DEFAULT_LABEL.into(), table.into());
    let mut config = toml::Table::new();
    config.insert("key_value_store".into(), stores.into());
    config
}

/// Adds the `key_value_store` tables of `added` to `config`.
fn merge(config: &mut toml::Table, added: toml::Table) {
    for (key, value) in added {
        match (config.get_mut(&key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(more)) => {
                existing.extend(more);
            }
            (_, value) => {
                config.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_sources_and_dependency_paths_become_absolute() {
        let (text, declared) = rewrite_manifest(
            "spin_manifest_version = 2\n[variables]\nkey = { default = \"\" }\n\
             [component.a]\nsource = \"target/a.wasm\"\n\
             [component.a.dependencies]\n\"x:y/z\" = { path = \"deps/z.wasm\" }\n\
             [component.b]\nsource = \"/abs/b.wasm\"\n",
            Path::new("/repo"),
        )
        .unwrap();
        let manifest: toml::Table = text.parse().unwrap();
        assert_eq!(
            manifest["component"]["a"]["source"].as_str(),
            Some("/repo/target/a.wasm")
        );
        assert_eq!(
            manifest["component"]["a"]["dependencies"]["x:y/z"]["path"].as_str(),
            Some("/repo/deps/z.wasm")
        );
        assert_eq!(
            manifest["component"]["b"]["source"].as_str(),
            Some("/abs/b.wasm")
        );
        assert_eq!(declared, Some(BTreeSet::from(["key".to_owned()])));
    }

    #[test]
    fn a_manifest_that_is_not_toml_is_passed_on_for_spin_to_refuse() {
        let (text, declared) = rewrite_manifest("not [ toml", Path::new("/repo")).unwrap();
        assert_eq!((text.as_str(), declared), ("not [ toml", None));
    }

    #[test]
    fn a_fresh_app_gets_spins_sqlite_store_in_its_folder() {
        let (text, default) = runtime_config(&StoreChoice::Fresh, Path::new("/tmp/app")).unwrap();
        assert_eq!(
            default,
            StoreConfig::Sqlite(Some(PathBuf::from("/tmp/app/kv.db")))
        );
        assert!(text.contains("type = \"spin\""), "{text}");
        assert!(text.contains("/tmp/app/kv.db"), "{text}");
    }

    #[test]
    fn a_shared_redis_is_configured_as_the_default_store() {
        let url = "redis://127.0.0.1:7000/";
        let (text, default) = runtime_config(
            &StoreChoice::Default(StoreConfig::Redis(url.into())),
            Path::new("/tmp/app"),
        )
        .unwrap();
        assert_eq!(default, StoreConfig::Redis(url.into()));
        assert!(text.contains("type = \"redis\""), "{text}");
    }

    #[test]
    fn a_given_runtime_config_keeps_its_stores_resolves_paths_and_gains_a_default() {
        let (text, default) = runtime_config(
            &StoreChoice::RuntimeConfig {
                text: "[key_value_store.sessions]\ntype = \"spin\"\npath = \"s.db\"\n".into(),
                base: PathBuf::from("/repo"),
            },
            Path::new("/tmp/app"),
        )
        .unwrap();
        let config: toml::Table = text.parse().unwrap();
        assert_eq!(
            config["key_value_store"]["sessions"]["path"].as_str(),
            Some("/repo/s.db")
        );
        assert_eq!(
            default,
            StoreConfig::Sqlite(Some(PathBuf::from("/tmp/app/kv.db")))
        );
    }

    #[test]
    fn only_the_trace_this_module_turned_on_is_left_out_of_the_logs() {
        assert!(is_trace(
            "2026-12-05T18:53:59.585401Z TRACE spin_trigger_http::wasi: Executing request"
        ));
        assert!(is_trace(
            "2026-12-05T18:53:59.741580Z DEBUG spin_outbound_networking_config::allowed_hosts: x"
        ));
        assert!(!is_trace(
            "2026-12-05T18:53:59.741580Z ERROR spin_trigger_http::server: Error processing request"
        ));
        assert!(!is_trace("Warning: Component error after response started"));
    }

    #[test]
    fn the_trace_counts_instances_and_marks_refused_outbound_requests() {
        let mut trace = Trace::default();
        for line in [
            "T TRACE x{a}: spin_trigger_http::wasi: Executing request using the Wasi executor for component gateway",
            "T DEBUG spin_outbound_networking_config::allowed_hosts: Checking outbound networking request to 'http://a/x?q='y''",
            "T DEBUG spin_outbound_networking_config::allowed_hosts: Checking outbound networking request to 'http://b/'",
            "T DEBUG spin_outbound_networking_config::allowed_hosts: Disallowed outbound networking request to 'http://b/'",
        ] {
            trace.line(line);
        }
        assert_eq!((trace.started, trace.finished), (1, 0));
        trace.line("T TRACE x{a}: spin_trigger_http::wasi: wasi-http memory consumed: 4718592");
        assert_eq!((trace.started, trace.finished), (1, 1));
        let seen: Vec<(&str, bool)> = trace
            .outbound
            .iter()
            .map(|a| (a.uri.as_str(), a.allowed))
            .collect();
        assert_eq!(seen, [("http://a/x?q='y'", true), ("http://b/", false)]);
    }

    #[test]
    fn the_trace_keeps_the_stores_wasmtime_made_and_has_not_dropped() {
        let mut trace = Trace::default();
        for line in [
            "T TRACE wasmtime::runtime::store: creating new store StoreId(1)",
            "T TRACE wasmtime::runtime::store: creating new store StoreId(11)",
            "T TRACE wasmtime::runtime::store: Adding dummy instance to store: store=StoreId(11), instance=InstanceId(0)",
            "T TRACE wasmtime::runtime::store: store StoreId(1) is deallocating InstanceId(0)",
            "T TRACE wasmtime::runtime::store: store StoreId(1) is deallocating InstanceId(1)",
        ] {
            trace.line(line);
        }
        assert_eq!(trace.stores, BTreeSet::from([11]));
        trace.line(
            "T TRACE wasmtime::runtime::store: store StoreId(11) is deallocating InstanceId(0)",
        );
        assert!(trace.stores.is_empty());
    }

    #[test]
    fn the_address_spin_serves_on_is_read_from_its_output() {
        let stdout = "\nServing http://127.0.0.1:43469\nAvailable Routes:\n  \
                      gateway: http://127.0.0.1:43469/api/v1 (wildcard)\n";
        assert_eq!(
            serving(stdout),
            Some(SocketAddr::from(([127, 0, 0, 1], 43469)))
        );
        assert_eq!(serving("Using runtime config …\n"), None);
    }
}
