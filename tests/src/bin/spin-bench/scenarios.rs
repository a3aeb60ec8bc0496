//! The five measurements: each starts its own fakes and server, checks one request by
//! hand (so a broken setup fails loudly instead of benchmarking error pages), pre-builds
//! the requests, runs the load, and checks afterwards that the work really happened
//! (every join link and every notification delivered to the fake Discord).

use crate::options::{Options, Scenario};
use crate::process::{PeakRss, Server};
use crate::servers::{remove_store, start_node_peer, start_spin};
use crate::signing::{
    command_body, follow_up_number, ping_body, signed_webhook, DiscordSigner, Place,
    SignedInteraction, DISCORD_PUBLIC_KEY, KALTURA_ADMIN_SECRET,
};
use crate::wrk::{self, raw_request, write_requests, Load, Summary};
use anyhow::{bail, Context, Result};
use e2e::{Client, FakeResponse, FakeServer, Recorded};
use serde_json::json;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What one scenario measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Which scenario.
    pub scenario: Scenario,
    /// wrk's summary of the measured run.
    pub summary: Summary,
    /// Peak RSS of the server's process tree during the measured run, KiB.
    pub peak_rss_kib: u64,
    /// What was checked after the run.
    pub checked: String,
    /// Why the numbers cannot be trusted, if they cannot.
    pub problems: Vec<String>,
}

/// Now, Unix nanoseconds.
fn unix_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The bench Discord application, server, channel and member.
const APP: &str = "1100000000000000001";
const GUILD: &str = "300000000000000001";
const CHANNEL: &str = "400000000000000001";
const USER: &str = "200000000000000001";
const ROLE: &str = "330000000000000001";
/// The meeting every `/kaltura-join` joins (the fake Kaltura's resource id).
const MEETING: &str = "1001";

/// Pre-signed requests per second of load, by default: above what each scenario can
/// reach on a 2-core machine, so no thread runs out (a run that does says so).
fn default_pool_per_second(scenario: Scenario) -> u32 {
    match scenario {
        Scenario::Ping | Scenario::NodePing => 15_000,
        Scenario::Join | Scenario::Webhook => 8_000,
        Scenario::Meetings => 1,
    }
}

/// One measured run (after its warm-up).
struct Run {
    /// The warm-up's summary, if there was one.
    warmup: Option<Summary>,
    /// The measured run's.
    summary: Summary,
    /// Peak RSS of the process tree during the measured run, KiB.
    peak_rss_kib: u64,
    /// The request numbers the measured run's pool used.
    numbers: std::ops::Range<u64>,
}

/// The run-wide context: options and the folder that keeps every log and request file.
pub struct Bench {
    /// The command line.
    pub options: Options,
    /// `target/spin-bench/<time>/`.
    pub dir: PathBuf,
    /// When profiling: each profiled run's time window (Unix ns) and request count.
    pub profiled: std::sync::Mutex<Vec<((u64, u64), u64)>>,
}

impl Bench {
    fn load(&self, seconds: u32) -> Load {
        Load {
            threads: self.options.threads,
            connections: self.options.connections,
            seconds,
        }
    }

    fn pool(&self, scenario: Scenario, seconds: u32) -> u64 {
        let per_second = self
            .options
            .pool_per_second
            .unwrap_or_else(|| default_pool_per_second(scenario));
        // At least one request per thread, so each has something to send.
        (u64::from(per_second) * u64::from(seconds)).max(u64::from(self.options.threads))
    }

    /// Runs one scenario.
    pub async fn run(&self, scenario: Scenario) -> Result<Measured> {
        let dir = self.dir.join(scenario.name());
        std::fs::create_dir_all(&dir)?;
        let measured = match scenario {
            Scenario::Ping => self.ping(&dir).await,
            Scenario::NodePing => self.node_ping(&dir).await,
            Scenario::Join => self.join(&dir).await,
            Scenario::Webhook => self.webhook(&dir).await,
            Scenario::Meetings => self.meetings(&dir).await,
        };
        remove_store(&self.options, &dir);
        measured
    }

    /// Warm-up (unmeasured), then the measured run with the tree's RSS sampled.
    async fn measure(
        &self,
        dir: &Path,
        server: &mut Server,
        url: &str,
        build: impl Fn(u64) -> Vec<u8>,
        scenario: Scenario,
    ) -> Result<Run> {
        let warm = self.pool(scenario, self.options.warmup);
        let measured =
            1_000_000 + warm..1_000_000 + warm + self.pool(scenario, self.options.duration);
        let mut warmup = None;
        if self.options.warmup > 0 {
            let file = dir.join("warmup.requests");
            write_requests(&file, (1_000_000..1_000_000 + warm).map(&build))?;
            let summary = wrk::run(
                self.load(self.options.warmup),
                url,
                &file,
                &dir.join("warmup.wrk.txt"),
            )
            .await?;
            warmup = Some(summary);
        }
        // Signed after the warm-up, so every timestamp is fresh when the run starts.
        if let Some(n) = self.options.profile {
            let measured = 1_000_000 + warm..1_000_000 + warm + u64::from(n);
            let requests: Vec<Vec<u8>> = measured.clone().map(&build).collect();
            let parsed = url::Url::parse(url)?;
            let addr = parsed
                .socket_addrs(|| None)?
                .into_iter()
                .next()
                .context("the URL names no address")?;
            server.check_running()?;
            let peak = PeakRss::sample(server.pid(), Duration::from_millis(50));
            let from = unix_ns();
            let summary = crate::profile::one_at_a_time(addr, requests).await;
            let to = unix_ns();
            let peak = peak.finish();
            server.check_running()?;
            if let Ok(mut profiled) = self.profiled.lock() {
                profiled.push(((from, to), u64::from(n)));
            }
            return Ok(Run {
                warmup,
                summary: summary?,
                peak_rss_kib: peak,
                numbers: measured,
            });
        }
        let file = dir.join("measured.requests");
        write_requests(&file, measured.clone().map(&build))?;
        server.check_running()?;
        let peak = PeakRss::sample(server.pid(), Duration::from_millis(50));
        let summary = wrk::run(
            self.load(self.options.duration),
            url,
            &file,
            &dir.join("measured.wrk.txt"),
        )
        .await;
        let peak = peak.finish();
        server.check_running()?;
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_file(dir.join("warmup.requests"));
        Ok(Run {
            warmup,
            summary: summary?,
            peak_rss_kib: peak,
            numbers: measured,
        })
    }

    fn variables(&self, discord: &FakeServer, kaltura: &FakeServer) -> Vec<(&'static str, String)> {
        vec![
            ("discord_application_id", APP.into()),
            ("discord_public_key", DISCORD_PUBLIC_KEY.into()),
            ("discord_bot_token", "bench-bot-token".into()),
            ("discord_client_secret", "bench-client-secret".into()),
            ("discord_base_url", discord.url()),
            ("kaltura_partner_id", "1234567".into()),
            ("kaltura_admin_secret", KALTURA_ADMIN_SECRET.into()),
            ("kaltura_service_url", kaltura.url()),
            ("gateway_signing_key", "a".repeat(64)),
            ("gateway_rate_limit_per_token", "1000000000".into()),
            ("gateway_rate_limit_per_address", "1000000000".into()),
        ]
    }

    async fn ping(&self, dir: &Path) -> Result<Measured> {
        let (discord, kaltura) = (FakeServer::discord().await?, FakeServer::kaltura().await?);
        let (mut server, addr) =
            start_spin(&self.options, dir, &self.variables(&discord, &kaltura), &[]).await?;
        let result = self
            .ping_against(dir, &mut server, addr, Scenario::Ping)
            .await;
        server.stop(Duration::from_secs(10)).await;
        result
    }

    async fn node_ping(&self, dir: &Path) -> Result<Measured> {
        let (mut server, addr) = start_node_peer(dir, DISCORD_PUBLIC_KEY).await?;
        let result = self
            .ping_against(dir, &mut server, addr, Scenario::NodePing)
            .await;
        server.stop(Duration::from_secs(10)).await;
        result
    }

    async fn ping_against(
        &self,
        dir: &Path,
        server: &mut Server,
        addr: SocketAddr,
        scenario: Scenario,
    ) -> Result<Measured> {
        let signer = DiscordSigner::now()?;
        let first = signer.sign(ping_body(1, APP));
        let answer = Client::new(addr)
            .send(
                "POST",
                "/discord/interactions",
                &first.headers(),
                first.body.clone(),
            )
            .await?;
        if answer.status != 200 || answer.json()?["type"] != 1 {
            bail!(
                "a signed PING was answered {} {}",
                answer.status,
                answer.text()
            );
        }
        let build = |n: u64| interaction_request(addr, &signer.sign(ping_body(n, APP)));
        let url = format!("http://{addr}/discord/interactions");
        let Run {
            summary,
            peak_rss_kib: peak,
            ..
        } = self.measure(dir, server, &url, build, scenario).await?;
        let problems = common_problems(&summary);
        Ok(Measured {
            scenario,
            checked: format!("{} answered 200", count(answered(&summary))),
            summary,
            peak_rss_kib: peak,
            problems,
        })
    }

    async fn join(&self, dir: &Path) -> Result<Measured> {
        let discord = FakeServer::discord().await?;
        discord.respond_with(|_| {
            FakeResponse::json(
                200,
                &json!({"id": "600000000000000001", "channel_id": CHANNEL}),
            )
        });
        let kaltura = FakeServer::kaltura().await?;
        kaltura.respond_with(|_| {
            FakeResponse::json(
                200,
                &json!({"id": 1001, "partnerId": 1234567, "name": "Bench", "status": 2,
                        "objectType": "KalturaLocationScheduleResource"}),
            )
        });
        let (mut server, addr) =
            start_spin(&self.options, dir, &self.variables(&discord, &kaltura), &[]).await?;
        let result = self.join_against(dir, &mut server, addr, &discord).await;
        server.stop(Duration::from_secs(10)).await;
        result
    }

    async fn join_against(
        &self,
        dir: &Path,
        server: &mut Server,
        addr: SocketAddr,
        discord: &FakeServer,
    ) -> Result<Measured> {
        let place = Place {
            application_id: APP.into(),
            guild_id: GUILD.into(),
            channel_id: CHANNEL.into(),
            user_id: USER.into(),
        };
        let mut client = Client::new(addr);
        // The meeting everyone joins, started through the bot itself (request 0).
        let signer = DiscordSigner::now()?;
        let start = signer.sign(command_body(
            0,
            &place,
            "kaltura-start",
            json!([{"name": "type", "type": 3, "value": "meeting"},
                   {"name": "title", "type": 3, "value": "Bench"}]),
        ));
        let answer = client
            .send(
                "POST",
                "/discord/interactions",
                &start.headers(),
                start.body.clone(),
            )
            .await?;
        if answer.status != 200 {
            bail!(
                "/kaltura-start was answered {} {}",
                answer.status,
                answer.text()
            );
        }
        if wait_for(discord, 1, Duration::from_secs(60), |received| {
            received
                .iter()
                .filter(|r| follow_up_number(&r.path) == Some(0))
                .count() as u64
        })
        .await
            < 1
        {
            bail!("the meeting's panel never reached the fake Discord");
        }
        // One join by hand: its deferral, then its link.
        let join = |n: u64| {
            signer.sign(command_body(
                n,
                &place,
                "kaltura-join",
                json!([{"name": "meeting", "type": 3, "value": MEETING}]),
            ))
        };
        let first = join(1);
        let answer = client
            .send(
                "POST",
                "/discord/interactions",
                &first.headers(),
                first.body.clone(),
            )
            .await?;
        if answer.status != 200 || answer.json()? != json!({"type": 5, "data": {"flags": 64}}) {
            bail!(
                "/kaltura-join was answered {} {}",
                answer.status,
                answer.text()
            );
        }
        if wait_for(discord, 1, Duration::from_secs(30), |received| {
            received.iter().filter(|r| is_join_link(r, 1..2)).count() as u64
        })
        .await
            < 1
        {
            let last = discord
                .received()
                .last()
                .map(|r| String::from_utf8_lossy(&r.body).into_owned());
            bail!("no join link for the first /kaltura-join; Discord last got {last:?}");
        }
        let build = |n: u64| interaction_request(addr, &join(n));
        let url = format!("http://{addr}/discord/interactions");
        let Run {
            summary,
            peak_rss_kib: peak,
            numbers,
            ..
        } = self
            .measure(dir, server, &url, build, Scenario::Join)
            .await?;
        // Every answered join's follow-up must reach Discord with a link in it.
        let answered = answered(&summary);
        let delivered = wait_for(discord, answered, Duration::from_secs(120), |received| {
            received
                .iter()
                .filter(|r| is_join_link(r, numbers.clone()))
                .filter_map(|r| follow_up_number(&r.path))
                .collect::<HashSet<_>>()
                .len() as u64
        })
        .await;
        let mut problems = common_problems(&summary);
        if delivered < answered {
            problems.push(format!(
                "only {delivered} of {answered} join links were delivered"
            ));
        }
        Ok(Measured {
            scenario: Scenario::Join,
            checked: format!(
                "{} deferred; {} join links PATCHed to Discord",
                count(answered),
                count(delivered)
            ),
            summary,
            peak_rss_kib: peak,
            problems,
        })
    }

    async fn webhook(&self, dir: &Path) -> Result<Measured> {
        let discord = FakeServer::discord().await?;
        // The channel is the server's (notifications asks before posting), and each
        // post is answered with its message.
        discord.respond_with(|request| {
            if request.path.ends_with(&format!("/channels/{CHANNEL}")) {
                FakeResponse::json(200, &json!({"id": CHANNEL, "guild_id": GUILD, "type": 0}))
            } else {
                FakeResponse::json(
                    200,
                    &json!({"id": "923456789012345678", "channel_id": CHANNEL}),
                )
            }
        });
        let kaltura = FakeServer::kaltura().await?;
        // The server's settings, in the config service's layout: READY entries to CHANNEL.
        let overrides = json!({
            "schema": 1, "version": 1, "updated_at": 1_700_000_000u64,
            "updated_by": {"discord_user": USER},
            "doc": {
                "notifications": {"events": {"entry_ready": {"channel_id": CHANNEL}}},
                "kaltura": {"category_ids": [12]},
            },
        });
        let seed = [(format!("config/v1/guild/{GUILD}"), overrides.to_string())];
        let (mut server, addr) = start_spin(
            &self.options,
            dir,
            &self.variables(&discord, &kaltura),
            &seed,
        )
        .await?;
        let result = self.webhook_against(dir, &mut server, addr, &discord).await;
        server.stop(Duration::from_secs(10)).await;
        result
    }

    async fn webhook_against(
        &self,
        dir: &Path,
        server: &mut Server,
        addr: SocketAddr,
        discord: &FakeServer,
    ) -> Result<Measured> {
        let (body, signature) = signed_webhook(1, GUILD);
        let answer = Client::new(addr)
            .send(
                "POST",
                "/webhooks/kaltura",
                &webhook_headers(&signature),
                body,
            )
            .await?;
        if answer.status != 200 {
            bail!(
                "a signed webhook was answered {} {}",
                answer.status,
                answer.text()
            );
        }
        if wait_for(discord, 1, Duration::from_secs(30), count_posts).await < 1 {
            bail!("the first notification was not posted to the fake Discord");
        }
        let build = |job: u64| {
            let (body, signature) = signed_webhook(job, GUILD);
            raw_request(
                addr,
                "POST",
                "/webhooks/kaltura",
                &webhook_headers(&signature),
                &body,
            )
        };
        let url = format!("http://{addr}/webhooks/kaltura");
        let before = count_posts(&discord.received());
        let run = self
            .measure(dir, server, &url, build, Scenario::Webhook)
            .await?;
        let (summary, peak) = (run.summary, run.peak_rss_kib);
        // Each answered notification (warm-up included) was posted exactly once.
        let expected = answered(&summary) + run.warmup.as_ref().map_or(0, answered);
        let posted = wait_for(
            discord,
            before + expected,
            Duration::from_secs(30),
            count_posts,
        )
        .await
        .saturating_sub(before);
        let mut problems = common_problems(&summary);
        if posted < expected {
            problems.push(format!(
                "only {posted} posts for {expected} answered notifications"
            ));
        }
        let answered = answered(&summary);
        Ok(Measured {
            scenario: Scenario::Webhook,
            checked: format!(
                "{} answered 200; each posted to Discord once",
                count(answered)
            ),
            summary,
            peak_rss_kib: peak,
            problems,
        })
    }

    async fn meetings(&self, dir: &Path) -> Result<Measured> {
        let discord = FakeServer::discord().await?;
        discord.respond_with(meetings_discord);
        let kaltura = FakeServer::kaltura().await?;
        let next = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(2001));
        kaltura.respond_with(move |_| {
            let id = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            FakeResponse::json(
                200,
                &json!({"id": id, "partnerId": 1234567, "name": "Bench", "status": 2,
                        "objectType": "KalturaLocationScheduleResource"}),
            )
        });
        let (mut server, addr) =
            start_spin(&self.options, dir, &self.variables(&discord, &kaltura), &[]).await?;
        let result = self.meetings_against(dir, &mut server, addr).await;
        server.stop(Duration::from_secs(10)).await;
        result
    }

    async fn meetings_against(
        &self,
        dir: &Path,
        server: &mut Server,
        addr: SocketAddr,
    ) -> Result<Measured> {
        let mut client = Client::new(addr);
        let signed_in = client
            .send(
                "POST",
                "/api/v1/auth/discord",
                &[("content-type", "application/json")],
                json!({"code": "bench-code", "guild_id": GUILD}).to_string(),
            )
            .await?;
        if signed_in.status != 200 {
            bail!("sign-in failed {}: {}", signed_in.status, signed_in.text());
        }
        let token = signed_in.json()?["access_token"]
            .as_str()
            .context("the sign-in gave no access token")?
            .to_owned();
        let bearer = format!("Bearer {token}");
        let headers = [
            ("content-type", "application/json"),
            ("authorization", bearer.as_str()),
        ];
        for n in 0..3 {
            let body =
                json!({"kind": "meeting", "title": format!("Bench {n}"), "channel_id": CHANNEL});
            let created = client
                .send("POST", "/api/v1/meetings", &headers, body.to_string())
                .await?;
            if created.status != 201 {
                bail!(
                    "creating a meeting failed {}: {}",
                    created.status,
                    created.text()
                );
            }
        }
        let listed = client.send("GET", "/api/v1/meetings", &headers, "").await?;
        if listed.status != 200 || listed.json()?["meetings"].as_array().map(Vec::len) != Some(3) {
            bail!(
                "expected three meetings: {} {}",
                listed.status,
                listed.text()
            );
        }
        let get = raw_request(
            addr,
            "GET",
            "/api/v1/meetings",
            &[("authorization", &bearer)],
            "",
        );
        let url = format!("http://{addr}/api/v1/meetings");
        let Run {
            mut summary,
            peak_rss_kib: peak,
            ..
        } = self
            .measure(dir, server, &url, |_| get.clone(), Scenario::Meetings)
            .await?;
        // The same request every time, on purpose: nothing is deduplicated here.
        summary.wraps = 0;
        let problems = common_problems(&summary);
        Ok(Measured {
            scenario: Scenario::Meetings,
            checked: format!(
                "{} answered 200 (token verified, both rate limits counted, three meetings listed)",
                count(answered(&summary))
            ),
            summary,
            peak_rss_kib: peak,
            problems,
        })
    }
}

/// Errors any run can have: socket errors, non-2xx answers, reused requests.
fn common_problems(summary: &Summary) -> Vec<String> {
    let mut problems = Vec::new();
    if summary.requests == 0 {
        problems.push("no request was answered".into());
    }
    if summary.error_count() > 0 {
        problems.push(format!("wrk errors {:?}", summary.errors));
    }
    if summary.wraps > 0 {
        problems.push(format!(
            "the pre-signed requests ran out {} times (repeats hit the dedupe path): raise --pool-per-second",
            summary.wraps
        ));
    }
    problems
}

/// A follow-up PATCH carrying a join link, for a request numbered within `range`.
fn is_join_link(request: &Recorded, range: std::ops::Range<u64>) -> bool {
    request.method == "PATCH"
        && follow_up_number(&request.path).is_some_and(|n| range.contains(&n))
        && String::from_utf8_lossy(&request.body).contains("ks=")
}

/// The headers Kaltura sends with a signed notification.
fn webhook_headers(signature: &str) -> [(&str, &str); 3] {
    [
        ("content-type", "application/json"),
        ("x-kaltura-signature", signature),
        ("x-kaltura-hash-algo", "sha256"),
    ]
}

/// A message posted to the notifications channel.
fn is_channel_post(request: &Recorded) -> bool {
    request.method == "POST"
        && request
            .path
            .ends_with(&format!("/channels/{CHANNEL}/messages"))
}

/// Polls `count` over what the fake received until it reaches `at_least` or `within`
/// has passed; the last count.
async fn wait_for(
    fake: &FakeServer,
    at_least: u64,
    within: Duration,
    count: impl Fn(&[Recorded]) -> u64,
) -> u64 {
    let started = Instant::now();
    loop {
        let seen = count(&fake.received());
        if seen >= at_least || started.elapsed() >= within {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Messages posted to the notifications channel.
fn count_posts(received: &[Recorded]) -> u64 {
    received.iter().filter(|r| is_channel_post(r)).count() as u64
}

/// A count as people read it (`28,920`).
fn count(n: u64) -> String {
    crate::report::thousands(n as f64)
}

/// Requests answered 2xx/3xx.
fn answered(summary: &Summary) -> u64 {
    summary.requests.saturating_sub(summary.errors.status)
}

/// A fake Discord for one admin signing in to one server (OAuth2 code exchange, the
/// user, their membership and roles, the channel).
fn meetings_discord(request: &Recorded) -> FakeResponse {
    let path = request.path.as_str();
    let body = if path == "/api/v10/oauth2/token" {
        json!({"access_token": "bench-user-token", "token_type": "Bearer", "expires_in": 604800, "scope": "identify"})
    } else if path == "/api/v10/users/@me" {
        json!({"id": USER, "username": "bench"})
    } else if path.ends_with(&format!("/members/{USER}")) {
        json!({"user": {"id": USER, "username": "bench"}, "roles": [ROLE]})
    } else if path.ends_with("/roles") {
        json!([{"id": GUILD, "permissions": "0"}, {"id": ROLE, "permissions": "8"}])
    } else if path.starts_with("/api/v10/channels/") {
        json!({"id": CHANNEL, "guild_id": GUILD, "type": 0})
    } else {
        json!({"id": GUILD, "owner_id": "390000000000000001"})
    };
    FakeResponse::json(200, &body)
}

/// One pre-built `POST /discord/interactions` carrying a signed interaction.
fn interaction_request(addr: SocketAddr, signed: &SignedInteraction) -> Vec<u8> {
    raw_request(
        addr,
        "POST",
        "/discord/interactions",
        &signed.headers(),
        &signed.body,
    )
}
