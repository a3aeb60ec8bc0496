//! Benchmarks through the test host: real `.wasm` components, real HTTP over loopback.
//!
//! `cargo run --release -p e2e --bin bench -- <scenario> [requests]`
//!
//! Scenarios: `health` (`GET /api/v1/health`), `ping` (a signed Discord PING), `webhook`
//! (a signed Kaltura notification — an entry became READY — routed through the composed
//! `config` and `kaltura` services and posted to a fake Discord; every request has its
//! own job id, so none is deduplicated). Each runs a warm-up, then `requests` sequential
//! requests on one keep-alive connection, and prints requests/s and the p50/p99 of the
//! client's round trip and of the host's own handling (instantiation plus the
//! component's work; for `webhook` also the loopback round trip to the fake Discord,
//! which answers at once — so it bounds our own time per notification from above), `join`
//! (a signed `/kaltura-join` for a meeting started beforehand, through the `discord-bot`
//! component composed with `config`, `identity` and `kaltura`: the deferred answer, then
//! the follow-up that maps the member, makes their join URL and `PATCH`es it to a fake
//! Discord; besides the round trip it reports how long until each PATCH arrived).
//! `meetings`: an authenticated `GET /api/v1/meetings` through the `gateway` composed with
//! `identity` (access-token check), `config` and `kaltura` (three open meetings listed),
//! with both rate limits counted in the key-value store; the member signs in once
//! beforehand through the fake Discord's OAuth2 flow.

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
        other => bail!("unknown scenario {other}; use health, ping, webhook or join"),
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
    if scenario == "webhook" {
        return webhook(requests).await;
    }
    if scenario == "join" {
        return join(requests).await;
    }
    if scenario == "meetings" {
        return meetings(requests).await;
    }
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

/// The fake Kaltura admin secret of the shared fixtures.
const KALTURA_ADMIN_SECRET: &str = "0123456789abcdef0123456789abcdef";
const WEBHOOK_GUILD: &str = "123456789012345678";
const WEBHOOK_CHANNEL: &str = "223456789012345678";

/// A signed `HTTP_ENTRY_STATUS_CHANGED` notification (JSON API object) with job id `job`.
fn signed_webhook(job: usize) -> (String, String) {
    use sha2::Digest;
    let body = serde_json::json!({
        "objectType": "KalturaHttpNotification",
        "eventType": "3",
        "eventObjectType": "1",
        "eventNotificationJobId": job.to_string(),
        "templateSystemName": "HTTP_ENTRY_STATUS_CHANGED",
        "object": {
            "objectType": "KalturaMediaEntry", "id": "0_abc123", "name": "Lecture @everyone",
            "status": 2, "categoriesIds": "12", "tags": format!("kd-guild:{WEBHOOK_GUILD}"),
        }
    })
    .to_string();
    let signature = hex::encode(sha2::Sha256::digest(
        [KALTURA_ADMIN_SECRET.as_bytes(), body.as_bytes()].concat(),
    ));
    (body, signature)
}

async fn webhook(requests: usize) -> Result<()> {
    let discord = e2e::FakeServer::discord().await?;
    discord.respond_with(|_| {
        e2e::FakeResponse::json(
            200,
            &serde_json::json!({"id": "923456789012345678", "channel_id": WEBHOOK_CHANNEL}),
        )
    });
    let app: TestApp = e2e::app()
        .variable("kaltura_admin_secret", KALTURA_ADMIN_SECRET)
        .variable("kaltura_partner_id", "1234567")
        .variable("discord_bot_token", "bench-bot-token")
        .variable("discord_base_url", discord.url())
        .start()
        .await?;
    // The server's settings, in the config service's layout.
    let overrides = serde_json::json!({
        "schema": 1, "version": 1, "updated_at": 1_700_000_000u64,
        "updated_by": {"discord_user": "423456789012345678"},
        "doc": {
            "notifications": {"events": {"entry_ready": {"channel_id": WEBHOOK_CHANNEL}}},
            "kaltura": {"category_ids": [12]},
        },
    });
    app.seed(
        &format!("config/v1/guild/{WEBHOOK_GUILD}"),
        overrides.to_string().as_bytes(),
    );
    let mut client = Client::new(app.addr());
    let mut round_trips = Vec::with_capacity(requests);
    let mut started = Instant::now();
    for n in 0..(WARM_UP + requests) {
        if n == WARM_UP {
            app.take_handling_times();
            started = Instant::now();
        }
        let (body, signature) = signed_webhook(n + 1);
        let t = Instant::now();
        let response = client
            .send(
                "POST",
                "/webhooks/kaltura",
                &[
                    ("content-type", "application/json"),
                    ("x-kaltura-signature", &signature),
                    ("x-kaltura-hash-algo", "sha256"),
                ],
                body,
            )
            .await?;
        if response.status != 200 || response.json()?["status"] != "done" {
            bail!("unexpected answer {}: {}", response.status, response.text());
        }
        if n >= WARM_UP {
            round_trips.push(t.elapsed());
        }
    }
    let elapsed = started.elapsed();
    let posted = discord.received().len();
    if posted != WARM_UP + requests {
        bail!(
            "{posted} messages posted for {} notifications",
            WARM_UP + requests
        );
    }
    println!(
        "scenario webhook: {requests} notifications in {elapsed:.2?} = {:.0} notifications/s (one connection, sequential, after {WARM_UP} warm-up; each posted once)",
        requests as f64 / elapsed.as_secs_f64()
    );
    report("client round trip", round_trips);
    report("host handling", app.take_handling_times());
    Ok(())
}

const JOIN_APP: &str = "1100000000000000001";
const JOIN_GUILD: &str = "300000000000000001";
const JOIN_CHANNEL: &str = "400000000000000001";

/// A signed interaction (`kind` 2 = slash command) from an ordinary member, with
/// interaction token `bench-<n>`: `(timestamp, body, signature)`.
fn signed_interaction(n: usize, name: &str, options: serde_json::Value) -> Result<Signed> {
    use ed25519_dalek::{Signer, SigningKey};
    let seed: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")?
            .try_into()
            .map_err(|_| anyhow::anyhow!("seed length"))?;
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        .to_string();
    let body = serde_json::json!({
        "type": 2, "id": (900_000_000_000_000_000u64 + n as u64).to_string(),
        "application_id": JOIN_APP, "token": format!("bench-{n}"), "version": 1,
        "guild_id": JOIN_GUILD, "channel_id": JOIN_CHANNEL,
        "member": {"user": {"id": "200000000000000001", "username": "ada", "global_name": "Ada"},
                   "roles": [], "permissions": "2147485696"},
        "data": {"id": "700000000000000001", "name": name, "type": 1, "options": options}
    })
    .to_string();
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

async fn interact(client: &mut Client, signed: &Signed) -> Result<serde_json::Value> {
    let response = client
        .send(
            "POST",
            "/discord/interactions",
            &[
                ("content-type", "application/json"),
                ("x-signature-ed25519", &signed.signature),
                ("x-signature-timestamp", &signed.timestamp),
            ],
            signed.body.clone(),
        )
        .await?;
    if response.status != 200 {
        bail!("unexpected status {}: {}", response.status, response.text());
    }
    response.json()
}

async fn join(requests: usize) -> Result<()> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    // When each interaction's PATCH arrived, by the `n` of its token `bench-<n>`.
    let arrivals: Arc<Mutex<HashMap<usize, Instant>>> = Arc::default();
    let seen = arrivals.clone();
    let discord = e2e::FakeServer::discord().await?;
    discord.respond_with(move |request| {
        let n = request
            .path
            .split("/bench-")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|n| n.parse::<usize>().ok());
        if let (Some(n), Ok(mut seen)) = (n, seen.lock()) {
            seen.insert(n, Instant::now());
        }
        e2e::FakeResponse::json(
            200,
            &serde_json::json!({"id": "600000000000000001", "channel_id": JOIN_CHANNEL}),
        )
    });
    let kaltura = e2e::FakeServer::kaltura().await?;
    kaltura.respond_with(|_| {
        e2e::FakeResponse::json(
            200,
            &serde_json::json!({"id": 1001, "partnerId": 1234567, "name": "Bench",
                                "status": 2, "objectType": "KalturaLocationScheduleResource"}),
        )
    });
    let app: TestApp = e2e::app()
        .variable(
            "discord_public_key",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        )
        .variable("discord_base_url", discord.url())
        .variable("kaltura_partner_id", "1234567")
        .variable("kaltura_admin_secret", KALTURA_ADMIN_SECRET)
        .variable("kaltura_service_url", kaltura.url())
        .start()
        .await?;
    let mut client = Client::new(app.addr());

    // The meeting everyone joins, started through the bot itself.
    let start = signed_interaction(
        0,
        "kaltura-start",
        serde_json::json!([{"name": "type", "type": 3, "value": "meeting"},
                           {"name": "title", "type": 3, "value": "Bench"}]),
    )?;
    interact(&mut client, &start).await?;
    app.idle(Duration::from_secs(30)).await?;
    if !app.store().contains_key("kaltura/v1/meeting/1001") {
        bail!("the meeting was not started: {}", app.logs());
    }

    // Signed before the clock starts: signing is Discord's work, not ours.
    let joins = (1..=WARM_UP + requests)
        .map(|n| {
            signed_interaction(
                n,
                "kaltura-join",
                serde_json::json!([{"name": "meeting", "type": 3, "value": "1001"}]),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let mut sent = HashMap::with_capacity(requests);
    let mut round_trips = Vec::with_capacity(requests);
    let mut started = Instant::now();
    for (i, signed) in joins.iter().enumerate() {
        let n = i + 1;
        if n == WARM_UP + 1 {
            app.idle(Duration::from_secs(60)).await?;
            app.take_handling_times();
            started = Instant::now();
        }
        let t = Instant::now();
        let answer = interact(&mut client, signed).await?;
        if answer != serde_json::json!({"type": 5, "data": {"flags": 64}}) {
            bail!("unexpected answer {answer}");
        }
        if n > WARM_UP {
            round_trips.push(t.elapsed());
            sent.insert(n, t);
        }
    }
    let answered = started.elapsed();
    app.idle(Duration::from_secs(120)).await?;
    let completed = started.elapsed();
    let delivered: Vec<Duration> = {
        let arrivals = arrivals
            .lock()
            .map_err(|_| anyhow::anyhow!("arrivals lock poisoned"))?;
        sent.iter()
            .filter_map(|(n, t)| arrivals.get(n).map(|a| a.duration_since(*t)))
            .collect()
    };
    if delivered.len() != requests {
        bail!(
            "{} of {requests} join links were delivered: {}",
            delivered.len(),
            app.logs()
        );
    }
    println!(
        "scenario join: {requests} requests answered in {answered:.2?} = {:.0} requests/s; all {requests} join links delivered after {completed:.2?} = {:.0} joins/s (one connection, sequential, after {WARM_UP} warm-up; follow-ups run after each answer, as on Spin)",
        requests as f64 / answered.as_secs_f64(),
        requests as f64 / completed.as_secs_f64(),
    );
    report("client round trip", round_trips);
    report("host handling", app.take_handling_times());
    report("until PATCH arrived", delivered);
    Ok(())
}

const MEETINGS_GUILD: &str = "310000000000000001";
const MEETINGS_USER: &str = "320000000000000001";
const MEETINGS_ROLE: &str = "330000000000000001";
const MEETINGS_CHANNEL: &str = "340000000000000001";

/// A fake Discord for one admin signing in to one server.
fn meetings_discord(request: &e2e::Recorded) -> e2e::FakeResponse {
    use serde_json::json;
    let path = request.path.as_str();
    let body = if path == "/api/v10/oauth2/token" {
        json!({"access_token": "bench-user-token", "token_type": "Bearer", "expires_in": 604800, "scope": "identify"})
    } else if path == "/api/v10/users/@me" {
        json!({"id": MEETINGS_USER, "username": "bench"})
    } else if path.ends_with(&format!("/members/{MEETINGS_USER}")) {
        json!({"user": {"id": MEETINGS_USER, "username": "bench"}, "roles": [MEETINGS_ROLE]})
    } else if path.ends_with("/roles") {
        json!([{"id": MEETINGS_GUILD, "permissions": "0"}, {"id": MEETINGS_ROLE, "permissions": "8"}])
    } else if path.starts_with("/api/v10/channels/") {
        json!({"id": MEETINGS_CHANNEL, "guild_id": MEETINGS_GUILD, "type": 0})
    } else {
        json!({"id": MEETINGS_GUILD, "owner_id": "390000000000000001"})
    };
    e2e::FakeResponse::json(200, &body)
}

async fn meetings(requests: usize) -> Result<()> {
    use serde_json::json;
    let discord = e2e::FakeServer::discord().await?;
    discord.respond_with(meetings_discord);
    let kaltura = e2e::FakeServer::kaltura().await?;
    let next = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(2001));
    kaltura.respond_with(move |_| {
        let id = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        e2e::FakeResponse::json(
            200,
            &json!({"id": id, "partnerId": 1234567, "name": "Bench", "status": 2,
                    "objectType": "KalturaLocationScheduleResource"}),
        )
    });
    let app: TestApp = e2e::app()
        .variable("discord_application_id", "1100000000000000001")
        .variable("discord_bot_token", "bench-bot-token")
        .variable("discord_client_secret", "bench-client-secret")
        .variable("discord_base_url", discord.url())
        .variable("kaltura_partner_id", "1234567")
        .variable("kaltura_admin_secret", KALTURA_ADMIN_SECRET)
        .variable("kaltura_service_url", kaltura.url())
        .variable("gateway_signing_key", "a".repeat(64))
        .variable("gateway_rate_limit_per_token", "1000000")
        .variable("gateway_rate_limit_per_address", "1000000")
        .start()
        .await?;
    let mut client = Client::new(app.addr());
    let json_header = [("content-type", "application/json")];
    let signed_in = client
        .send(
            "POST",
            "/api/v1/auth/discord",
            &json_header,
            json!({"code": "bench-code", "guild_id": MEETINGS_GUILD}).to_string(),
        )
        .await?;
    if signed_in.status != 200 {
        bail!("sign-in failed {}: {}", signed_in.status, signed_in.text());
    }
    let token = signed_in.json()?["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned();
    let bearer = format!("Bearer {token}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
    ];
    for n in 0..3 {
        let created = client
            .send(
                "POST",
                "/api/v1/meetings",
                &headers,
                json!({"kind": "meeting", "title": format!("Bench {n}"), "channel_id": MEETINGS_CHANNEL})
                    .to_string(),
            )
            .await?;
        if created.status != 201 {
            bail!("create failed {}: {}", created.status, created.text());
        }
    }
    let mut round_trips = Vec::with_capacity(requests);
    let mut started = Instant::now();
    for n in 0..(WARM_UP + requests) {
        if n == WARM_UP {
            app.take_handling_times();
            started = Instant::now();
        }
        let t = Instant::now();
        let response = client.send("GET", "/api/v1/meetings", &headers, "").await?;
        if response.status != 200 {
            bail!("unexpected status {}: {}", response.status, response.text());
        }
        if n >= WARM_UP {
            round_trips.push(t.elapsed());
        }
        if n == 0 && response.json()?["meetings"].as_array().map(Vec::len) != Some(3) {
            bail!("expected three meetings: {}", response.text());
        }
    }
    let elapsed = started.elapsed();
    println!(
        "scenario meetings: {requests} authenticated GET /api/v1/meetings in {elapsed:.2?} = {:.0} requests/s (one connection, sequential, after {WARM_UP} warm-up; token verified, both rate limits counted, three meetings listed)",
        requests as f64 / elapsed.as_secs_f64()
    );
    report("client round trip", round_trips);
    report("host handling", app.take_handling_times());
    Ok(())
}
