//! Starting what is measured: the app under real Spin (the repo's spin.toml, a generated
//! runtime config with SQLite in the run's folder, settings as `SPIN_VARIABLE_*`) and the
//! Node peer — each fresh per scenario, so one scenario's memory never counts in another's.

use crate::options::Options;
use crate::process::Server;
use anyhow::{bail, Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a server may take to answer its first request (Spin compiles the components
/// on a cold cache; the machine may be busy).
const READY_TIMEOUT: Duration = Duration::from_secs(300);

/// A free loopback port, for `--listen`.
pub fn free_port() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// The folder of a scenario's SQLite store: fresh, inside `--store-dir` or the system's
/// temporary folder (removed when the scenario ends, see [`remove_store`]).
pub fn store_folder(options: &Options, scenario_dir: &Path) -> PathBuf {
    let base = options.store_dir.clone();
    base.join(format!(
        "spin-bench-{}-{}",
        std::process::id(),
        scenario_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("store")
    ))
}

/// Removes a scenario's store folder (after its Spin has stopped).
pub fn remove_store(options: &Options, scenario_dir: &Path) {
    let _ = std::fs::remove_dir_all(store_folder(options, scenario_dir));
}

/// The file system a path is on (`ext4`, `tmpfs`, …), from the longest matching mount
/// point in /proc/mounts: whether the store's writes reach a disk.
pub fn file_system(path: &Path) -> String {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, point, kind) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(point)
                .then(|| (point.len(), kind.to_owned()))
        })
        .max()
        .map_or_else(|| "unknown".into(), |(_, kind)| kind)
}

/// The runtime configuration: the `default` store on SQLite in folder `dir`.
pub fn runtime_config(dir: &Path) -> Result<String> {
    let mut store = toml::Table::new();
    store.insert("type".into(), "spin".into());
    store.insert(
        "path".into(),
        dir.join("sqlite_key_value.db")
            .to_str()
            .context("the run folder's path is not UTF-8")?
            .into(),
    );
    let mut stores = toml::Table::new();
    stores.insert("default".into(), store.into());
    let mut config = toml::Table::new();
    config.insert("key_value_store".into(), stores.into());
    Ok(toml::to_string(&config)?)
}

/// `spin up` for the repo's spin.toml in `dir` with `variables` (names as in spin.toml)
/// and `key_values` seeded into the default store; ready when it answers HTTP.
pub async fn start_spin(
    options: &Options,
    dir: &Path,
    variables: &[(&str, String)],
    key_values: &[(String, String)],
) -> Result<(Server, SocketAddr)> {
    std::fs::create_dir_all(dir)?;
    let store = store_folder(options, dir);
    std::fs::create_dir_all(&store)?;
    let config = dir.join("runtime-config.toml");
    std::fs::write(&config, runtime_config(&store)?)?;
    let addr = free_port()?;
    let mut command = tokio::process::Command::new(&options.spin);
    command
        .arg("up")
        .arg("-f")
        .arg(e2e::repo_root().join("spin.toml"))
        .arg("--runtime-config-file")
        .arg(&config)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--listen")
        .arg(addr.to_string());
    for (key, value) in key_values {
        command.arg("--key-value").arg(format!("{key}={value}"));
    }
    command.args(&options.spin_args);
    // Only this run's settings: none inherited from the caller's environment, and no
    // `.env` (Spin reads one from its working directory, here the run's folder).
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SPIN_VARIABLE_") {
            command.env_remove(name);
        }
    }
    for (name, value) in variables {
        command.env(format!("SPIN_VARIABLE_{}", name.to_uppercase()), value);
    }
    // Spans only when profiling: exporting them costs time the loaded runs must not pay.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OTEL_") {
            command.env_remove(name);
        }
    }
    if let Some(endpoint) = &options.otlp_endpoint {
        command
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .env("OTEL_BSP_MAX_QUEUE_SIZE", "1000000");
    }
    command.current_dir(dir);
    let log = dir.join("spin.log");
    let mut server = Server::start(command, &log)?;
    wait_until_ready(&mut server, addr, &log).await?;
    Ok((server, addr))
}

/// The Node peer (`bench/node-peer/server.js`) with the bench application's public key.
pub async fn start_node_peer(dir: &Path, public_key: &str) -> Result<(Server, SocketAddr)> {
    let peer = e2e::repo_root().join("bench/node-peer");
    if !peer.join("node_modules").is_dir() {
        bail!(
            "the Node peer is not installed: run `npm ci` in {} (bench/run does)",
            peer.display()
        );
    }
    std::fs::create_dir_all(dir)?;
    let addr = free_port()?;
    let mut command = tokio::process::Command::new("node");
    command
        .arg("server.js")
        .env("PUBLIC_KEY", public_key)
        .env("PORT", addr.port().to_string())
        .env("NODE_ENV", "production")
        .current_dir(&peer);
    let log = dir.join("node.log");
    let mut server = Server::start(command, &log)?;
    wait_until_ready(&mut server, addr, &log).await?;
    Ok((server, addr))
}

async fn wait_until_ready(server: &mut Server, addr: SocketAddr, log: &Path) -> Result<()> {
    let started = Instant::now();
    loop {
        if let Err(err) = server.check_running() {
            let output = std::fs::read_to_string(log).unwrap_or_default();
            bail!("{err}; its output ({}):\n{output}", log.display());
        }
        if e2e::Client::new(addr).get("/").await.is_ok() {
            return Ok(());
        }
        if started.elapsed() > READY_TIMEOUT {
            bail!(
                "no answer on {addr} after {READY_TIMEOUT:?}; see {}",
                log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_config_puts_the_default_store_on_sqlite_in_the_run_folder() {
        let config: toml::Table =
            toml::from_str(&runtime_config(Path::new("/tmp/run \"1\"")).unwrap()).unwrap();
        let store = &config["key_value_store"]["default"];
        assert_eq!(store["type"].as_str(), Some("spin"));
        assert_eq!(
            store["path"].as_str(),
            Some("/tmp/run \"1\"/sqlite_key_value.db")
        );
    }

    #[test]
    fn the_root_is_on_some_file_system_and_proc_on_proc() {
        assert_ne!(file_system(Path::new("/")), "unknown");
        assert_eq!(file_system(Path::new("/proc/self")), "proc");
    }

    #[test]
    fn a_free_port_is_on_loopback() {
        let addr = free_port().unwrap();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
    }
}
