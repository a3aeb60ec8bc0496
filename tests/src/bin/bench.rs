//! Benchmarks through the test host: real `.wasm` components, real HTTP over loopback.
//!
//! `cargo run --release -p e2e --bin bench -- <scenario> [requests]`
//!
//! Scenarios: `health` (`GET /api/v1/health`), `ping` (a signed Discord PING). Each runs
//! a warm-up, then `requests` sequential requests on one keep-alive connection, and
//! prints requests/s and the p50/p99 of the client's round trip and of the host's own
//! handling (instantiation plus the component's work).

use anyhow::{bail, Context, Result};
use e2e::{Client, TestApp};
use std::time::{Duration, Instant};

const WARM_UP: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let total: Duration = times.iter().sum();
    println!(
        "{name:<24} n={:<6} p50={:>9.3?} p99={:>9.3?} max={:>9.3?} mean={:>9.3?}",
        times.len(),
        percentile(&times, 50.0),
        percentile(&times, 99.0),
        times.last().copied().unwrap_or_default(),
        total / u32::try_from(times.len().max(1)).unwrap_or(1),
    );
}

struct Signed {
    timestamp: String,
    body: String,
    signature: String,
}

fn signed_ping() -> Result<Signed> {
    use ed25519_dalek::{Signer, SigningKey};
    let seed: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")?
            .try_into()
            .map_err(|_| anyhow::anyhow!("seed length"))?;
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        .to_string();
    let body = r#"{"type":1,"id":"1","application_id":"1","token":"t","version":1}"#.to_owned();
    let signature = hex::encode(
        SigningKey::from_bytes(&seed)
            .sign(format!("{timestamp}{body}").as_bytes())
            .to_bytes(),
    );
    Ok(Signed {
        timestamp,
        body,
        signature,
    })
}

async fn one(client: &mut Client, scenario: &str, ping: &Signed) -> Result<()> {
    let response = match scenario {
        "health" => client.get("/api/v1/health").await?,
        "ping" => {
            client
                .send(
                    "POST",
                    "/discord/interactions",
                    &[
                        ("content-type", "application/json"),
                        ("x-signature-ed25519", &ping.signature),
                        ("x-signature-timestamp", &ping.timestamp),
                    ],
                    ping.body.clone(),
                )
                .await?
        }
        other => bail!("unknown scenario {other}; use health or ping"),
    };
    if response.status != 200 {
        bail!("unexpected status {}: {}", response.status, response.text());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let scenario = args.next().unwrap_or_else(|| "health".into());
    let requests: usize = match args.next() {
        Some(n) => n.parse().context("requests must be a number")?,
        None => 2000,
    };
    let app: TestApp = e2e::app()
        .variable(
            "discord_public_key",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        )
        .start()
        .await?;
    let ping = signed_ping()?;
    let mut client = Client::new(app.addr());
    for _ in 0..WARM_UP {
        one(&mut client, &scenario, &ping).await?;
    }
    app.take_handling_times();
    let mut round_trips = Vec::with_capacity(requests);
    let started = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        one(&mut client, &scenario, &ping).await?;
        round_trips.push(t.elapsed());
    }
    let elapsed = started.elapsed();
    println!(
        "scenario {scenario}: {requests} requests in {elapsed:.2?} = {:.0} requests/s (one connection, sequential, after {WARM_UP} warm-up)",
        requests as f64 / elapsed.as_secs_f64()
    );
    report("client round trip", round_trips);
    report("host handling", app.take_handling_times());
    Ok(())
}
