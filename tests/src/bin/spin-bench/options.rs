//! The driver's command line: what to run and with which load, so a run can be repeated
//! exactly (the same `wrk` parameters as the issue by default).

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// One thing the driver can measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A signed Discord PING through Spin.
    Ping,
    /// The same signed PING against the Node peer.
    NodePing,
    /// A signed `/kaltura-join` through Spin, its follow-up PATCHed to a fake Discord.
    Join,
    /// A signed Kaltura webhook through Spin, posted to a fake Discord.
    Webhook,
    /// An authenticated `GET /api/v1/meetings` through Spin.
    Meetings,
}

impl Scenario {
    /// Every scenario, in the order they run.
    pub const ALL: [Scenario; 5] = [
        Scenario::Ping,
        Scenario::NodePing,
        Scenario::Join,
        Scenario::Webhook,
        Scenario::Meetings,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Ping => "ping",
            Scenario::NodePing => "node-ping",
            Scenario::Join => "join",
            Scenario::Webhook => "webhook",
            Scenario::Meetings => "meetings",
        }
    }

    /// The scenario's row label in the table.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Ping => "this app, signed PING",
            Scenario::NodePing => "Node peer, signed PING",
            Scenario::Join => "this app, signed `/kaltura-join`",
            Scenario::Webhook => "this app, signed Kaltura webhook → Discord post",
            Scenario::Meetings => "this app, authenticated `GET /api/v1/meetings`",
        }
    }

    fn parse(name: &str) -> Result<Self> {
        Scenario::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .with_context(|| {
                format!("unknown scenario {name:?}; use ping, node-ping, join, webhook, meetings")
            })
    }
}

/// Everything a run needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The `spin` binary.
    pub spin: PathBuf,
    /// `wrk -t`.
    pub threads: u32,
    /// `wrk -c`.
    pub connections: u32,
    /// `wrk -d`, seconds.
    pub duration: u32,
    /// Seconds of load before each measured run (not measured), 0 for none.
    pub warmup: u32,
    /// Pre-signed requests per second of load; `None` uses each scenario's default.
    pub pool_per_second: Option<u32>,
    /// The scenarios to run, in order.
    pub scenarios: Vec<Scenario>,
    /// Extra arguments for `spin up` (e.g. the instance-reuse flags for WASIp3 builds).
    pub spin_args: Vec<String>,
    /// Where each scenario's SQLite key-value file goes (a fresh folder inside it).
    pub store_dir: PathBuf,
    /// `--profile N`: instead of the wrk run, N requests one at a time with Spin's
    /// spans exported, and where their time goes (`profile`).
    pub profile: Option<u32>,
    /// Where Spin exports its spans (the driver's collector), when profiling.
    pub otlp_endpoint: Option<String>,
}

/// The usage text.
pub const USAGE: &str = "\
usage: spin-bench [options] [-- <extra spin up arguments>]
  --spin PATH            the spin binary (default: $SPIN_BIN)
  --threads N            wrk -t (default 2)
  --connections N        wrk -c (default 16)
  --duration SECONDS     wrk -d (default 10)
  --warmup SECONDS       unmeasured load before each run (default 2; 0 for none)
  --pool-per-second N    pre-signed requests per second of load (default per scenario)
  --only a,b,...         scenarios: ping, node-ping, join, webhook, meetings (default all)
  --spin-arg ARG         one more argument for spin up (repeatable), e.g.
                         --spin-arg=--max-instance-reuse-count=128
  --store-dir DIR        where the SQLite key-value store goes (default /dev/shm, in
                         memory; e.g. /tmp to include the disk's flushes)
  --profile N            instead of the wrk run: N requests one at a time with Spin's
                         spans exported, and a table of where their time goes
Everything after -- is passed to spin up as well.";

impl Options {
    /// Parses `args` (without the program name); `spin_env` is `$SPIN_BIN`.
    pub fn parse(args: impl IntoIterator<Item = String>, spin_env: Option<String>) -> Result<Self> {
        let mut options = Options {
            spin: PathBuf::new(),
            threads: 2,
            connections: 16,
            duration: 10,
            warmup: 2,
            pool_per_second: None,
            scenarios: Scenario::ALL.to_vec(),
            spin_args: Vec::new(),
            store_dir: default_store_dir(),
            profile: None,
            otlp_endpoint: None,
        };
        let mut spin = spin_env.filter(|s| !s.is_empty());
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--" {
                options.spin_args.extend(args.by_ref());
                break;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_owned(), Some(value.to_owned()))
                }
                _ => (arg.clone(), None),
            };
            let mut value = || -> Result<String> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => args.next().with_context(|| format!("{flag} needs a value")),
                }
            };
            match flag.as_str() {
                "--spin" => spin = Some(value()?),
                "--threads" => options.threads = number(&flag, &value()?)?,
                "--connections" => options.connections = number(&flag, &value()?)?,
                "--duration" => options.duration = seconds(&flag, &value()?)?,
                "--warmup" => options.warmup = seconds(&flag, &value()?)?,
                "--pool-per-second" => options.pool_per_second = Some(number(&flag, &value()?)?),
                "--only" => {
                    options.scenarios = value()?
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(Scenario::parse)
                        .collect::<Result<_>>()?;
                }
                "--spin-arg" => options.spin_args.push(value()?),
                "--store-dir" => options.store_dir = PathBuf::from(value()?),
                "--profile" => options.profile = Some(number(&flag, &value()?)?.max(1)),
                "-h" | "--help" => bail!("{USAGE}"),
                other => bail!("unknown option {other:?}\n{USAGE}"),
            }
        }
        let Some(spin) = spin else {
            bail!("no spin binary: set SPIN_BIN=/path/to/spin or pass --spin PATH\n{USAGE}");
        };
        options.spin = PathBuf::from(spin);
        if options.threads == 0 || options.connections < options.threads || options.duration == 0 {
            bail!("need threads ≥ 1, connections ≥ threads and duration ≥ 1 s");
        }
        if options.scenarios.is_empty() {
            bail!("--only names no scenario");
        }
        Ok(options)
    }
}

/// `/dev/shm` (in memory) where there is one, else the system's temporary folder:
/// Spin's SQLite store flushes each write to disk, and on a VM disk that costs more than
/// the request's own work (about 13 ms a write on the machine the issue measured on), so
/// on disk the writing scenarios would measure the disk, not the app or its build.
fn default_store_dir() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

fn number(flag: &str, value: &str) -> Result<u32> {
    value
        .parse()
        .with_context(|| format!("{flag} takes a whole number, not {value:?}"))
}

/// Seconds, with or without wrk's `s` suffix.
fn seconds(flag: &str, value: &str) -> Result<u32> {
    number(flag, value.strip_suffix('s').unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options> {
        Options::parse(args.iter().map(|s| s.to_string()), Some("/bin/spin".into()))
    }

    #[test]
    fn the_defaults_are_the_issues_wrk_parameters_and_every_scenario() {
        let options = parse(&[]).unwrap();
        assert_eq!(
            (options.threads, options.connections, options.duration),
            (2, 16, 10)
        );
        assert_eq!(options.scenarios, Scenario::ALL.to_vec());
        assert_eq!(options.spin, PathBuf::from("/bin/spin"));
        assert_eq!(options.store_dir, default_store_dir());
        assert!(options.store_dir.is_dir());
    }

    #[test]
    fn the_store_can_be_put_elsewhere() {
        let options = parse(&["--store-dir", "/tmp"]).unwrap();
        assert_eq!(options.store_dir, PathBuf::from("/tmp"));
    }

    #[test]
    fn flags_take_separate_or_inline_values_and_durations_may_end_in_s() {
        let options = parse(&[
            "--threads",
            "4",
            "--connections=64",
            "--duration",
            "30s",
            "--warmup=0",
        ])
        .unwrap();
        assert_eq!(
            (
                options.threads,
                options.connections,
                options.duration,
                options.warmup
            ),
            (4, 64, 30, 0)
        );
    }

    #[test]
    fn spin_arguments_come_from_spin_arg_and_after_the_double_dash() {
        let options = parse(&[
            "--spin-arg=--max-instance-reuse-count=128",
            "--",
            "--max-instance-concurrent-reuse-count",
            "16",
        ])
        .unwrap();
        assert_eq!(
            options.spin_args,
            [
                "--max-instance-reuse-count=128",
                "--max-instance-concurrent-reuse-count",
                "16"
            ]
        );
    }

    #[test]
    fn only_selects_scenarios_in_the_given_order_and_rejects_unknown_ones() {
        let options = parse(&["--only", "join,ping"]).unwrap();
        assert_eq!(options.scenarios, [Scenario::Join, Scenario::Ping]);
        assert!(parse(&["--only", "pong"]).is_err());
    }

    #[test]
    fn without_a_spin_binary_the_run_is_refused_with_the_way_to_give_one() {
        let err = Options::parse(Vec::new(), None).unwrap_err().to_string();
        assert!(err.contains("SPIN_BIN"), "{err}");
        assert!(Options::parse(Vec::new(), Some(String::new())).is_err());
    }

    #[test]
    fn nonsensical_loads_are_refused() {
        assert!(parse(&["--threads", "0"]).is_err());
        assert!(parse(&["--threads", "4", "--connections", "2"]).is_err());
        assert!(parse(&["--duration", "ten"]).is_err());
    }
}
