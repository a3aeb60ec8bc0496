//! The real-Spin benchmark (issue 13): runs the app under a real `spin` binary with the
//! repo's spin.toml and whatever components it names (built beforehand),
//! loads it with `wrk`, and prints req/s, p50, p99 and the peak RSS of Spin's process
//! tree for a signed PING, a signed `/kaltura-join`, a signed Kaltura webhook posted to
//! Discord and an authenticated `GET /api/v1/meetings` — and the same PING against
//! Discord's own Node sample stack (`bench/node-peer`), as a ratio.
//!
//! Run it through `bench/run`, which installs wrk and the Node peer first. The fakes of
//! Discord and Kaltura are `e2e::FakeServer`s in this process; every log, wrk output and
//! Spin state folder of a run is kept under `target/spin-bench/<unix time>/`.

mod options;
mod process;
mod profile;
mod report;
mod scenarios;
mod servers;
mod signing;
mod wrk;

use anyhow::{bail, Context, Result};
use options::Options;
use scenarios::Bench;
use std::path::Path;

#[tokio::main]
async fn main() -> Result<()> {
    let options = match Options::parse(std::env::args().skip(1), std::env::var("SPIN_BIN").ok()) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("{err}");
            std::process::exit(2);
        }
    };
    let root = e2e::repo_root();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let dir = root.join("target/spin-bench").join(started.to_string());
    std::fs::create_dir_all(&dir)?;
    let about_before = about(&options, &root)?;
    eprintln!("{about_before}\nlogs: {}", dir.display());

    let mut options = options;
    let collector = match options.profile {
        Some(_) => Some(e2e::otlp::Collector::start()?),
        None => None,
    };
    options.otlp_endpoint = collector.as_ref().map(e2e::otlp::Collector::endpoint);
    let bench = Bench {
        options,
        dir,
        profiled: std::sync::Mutex::new(Vec::new()),
    };
    let mut results = Vec::new();
    let mut breakdowns = Vec::new();
    for scenario in bench.options.scenarios.clone() {
        eprintln!("==> {} …", scenario.label());
        let measured = bench
            .run(scenario)
            .await
            .with_context(|| format!("scenario {}", scenario.name()))?;
        eprintln!(
            "    {:.0} req/s, p50 {} µs, p99 {} µs, peak RSS {} KiB; {}",
            measured.summary.rate(),
            measured.summary.p50_us,
            measured.summary.p99_us,
            measured.peak_rss_kib,
            measured.checked
        );
        if let Some(collector) = &collector {
            // Spin exports in batches: give the last one time to arrive.
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            let last = bench.profiled.lock().ok().and_then(|p| p.last().copied());
            if let (Some((window, n)), true) = (last, scenario != options::Scenario::NodePing) {
                let spans = profile::within(&collector.spans(), window);
                breakdowns.push(profile::table(scenario.label(), n, &spans));
            }
        }
        results.push(measured);
    }
    let mut table = report::table(&results);
    for breakdown in &breakdowns {
        table.push('\n');
        table.push_str(breakdown);
    }
    let load_after = load_average();
    let output = format!("{about_before}\nload average after the run: {load_after}\n\n{table}");
    std::fs::write(bench.dir.join("results.md"), &output)?;
    println!("{output}");
    if results.iter().any(|m| !m.problems.is_empty()) {
        eprintln!(
            "some numbers cannot be trusted (⚠ above); logs in {}",
            bench.dir.display()
        );
        std::process::exit(1);
    }
    Ok(())
}

/// What the numbers were measured on: Spin's version, the load, the components' HTTP
/// world (WASIp2 or WASIp3), the machine and how busy it was.
fn about(options: &Options, root: &Path) -> Result<String> {
    let spin_version = std::process::Command::new(&options.spin)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", options.spin.display()))?;
    let spin_version = String::from_utf8_lossy(&spin_version.stdout)
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let wrk_version = std::process::Command::new("wrk")
        .arg("-v")
        .output()
        .map(|o| {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            text.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "wrk not found".into());
    let node_version = std::process::Command::new("node")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "node not found".into());
    let worlds = http_components(root)?
        .iter()
        .map(|(id, source)| {
            let world = match std::fs::read(root.join(source)) {
                Ok(bytes) => http_world(&bytes),
                Err(_) => "missing",
            };
            format!("{id} {world}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let store = options.store_dir.clone();
    let store = format!("{} ({})", store.display(), servers::file_system(&store));
    Ok(format!(
        "## Benchmark: this app under real Spin, and the Node peer\n\n\
         {spin_version} · {wrk_version} `-t{} -c{} -d{}s` ({} s warm-up before each) · node {node_version} · \
         spin up extra arguments: {} · key-value store: SQLite in {store} · components: {worlds} · \
         {cores} cores, load average before the run: {}",
        options.threads,
        options.connections,
        options.duration,
        options.warmup,
        if options.spin_args.is_empty() {
            "none".to_owned()
        } else {
            format!("`{}`", options.spin_args.join(" "))
        },
        load_average(),
    ))
}

/// The HTTP components of spin.toml with their sources, after checking that every
/// component's source has been built (what is measured is whatever is there).
fn http_components(root: &Path) -> Result<Vec<(String, String)>> {
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(root.join("spin.toml"))?)?;
    let components = manifest
        .get("component")
        .and_then(toml::Value::as_table)
        .context("spin.toml has no components")?;
    let source = |id: &str| -> Option<String> {
        components
            .get(id)?
            .get("source")?
            .as_str()
            .map(str::to_owned)
    };
    for id in components.keys() {
        if let Some(source) = source(id) {
            if !root.join(&source).is_file() {
                bail!(
                    "{source} (component {id}) is missing: build the components first, e.g.\n  \
                     cargo build --locked --target wasm32-wasip2 --release -p discord-bot -p gateway \
                     -p notifications -p kaltura -p identity -p config -p events -p watch -p activity"
                );
            }
        }
    }
    let triggers = manifest
        .get("trigger")
        .and_then(|t| t.get("http"))
        .and_then(toml::Value::as_array)
        .context("spin.toml has no HTTP triggers")?;
    Ok(triggers
        .iter()
        .filter_map(|t| t.get("component")?.as_str())
        .filter_map(|id| Some((id.to_owned(), source(id)?)))
        .collect())
}

/// Which `wasi:http` a component's handler speaks, from the interface names it carries.
fn http_world(component: &[u8]) -> &'static str {
    let has = |needle: &[u8]| component.windows(needle.len()).any(|w| w == needle);
    if has(b"wasi:http/handler@0.3") {
        "WASIp3"
    } else if has(b"wasi:http/incoming-handler@0.2") {
        "WASIp2"
    } else {
        "unknown"
    }
}

/// The 1-, 5- and 15-minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_http_world_is_told_from_the_handler_interface_name() {
        assert_eq!(
            http_world(b"..wasi:http/incoming-handler@0.2.6.."),
            "WASIp2"
        );
        assert_eq!(
            http_world(b"..wasi:http/handler@0.3.0-rc-2025-09-16.."),
            "WASIp3"
        );
        assert_eq!(http_world(b"nothing"), "unknown");
    }

    #[test]
    fn the_repos_http_components_are_found_in_its_spin_toml() {
        let components = http_components(&e2e::repo_root());
        // The components may not be built where unit tests run; then it says so.
        match components {
            Ok(components) => {
                let ids: Vec<&str> = components.iter().map(|(id, _)| id.as_str()).collect();
                assert_eq!(ids, ["discord-bot", "gateway", "notifications", "activity"]);
            }
            Err(err) => assert!(err.to_string().contains("build the components"), "{err}"),
        }
    }

    #[test]
    fn the_load_average_has_three_numbers() {
        assert_eq!(load_average().split(' ').count(), 3);
    }
}
