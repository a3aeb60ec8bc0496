//! Two replicas of the app on one key-value store, as a deployment with more than one
//! `spin up` (or SpinKube pod) runs: two test-host apps — or, with `SPIN_BIN`, two real
//! `spin up` processes — sharing one SQLite file, or one `redis-server` with
//! `E2E_KV_STORE=redis`. Each test spreads its requests over both replicas and checks
//! exact counts; the measured numbers are printed on stderr with the prefix
//! `REPLICAS[<store>, <host>]` (e.g. `grep REPLICAS`).
//!
//! Spin's SQLite store shared by two processes answers `database is locked` when two
//! writes collide (its `increment` runs a deferred transaction whose lock upgrade does
//! not wait; `tests/SPIN-BEHAVIOURS.md`), and the app answers such a request 503
//! (`storage_unavailable`, or `storage` for a webhook). The clients here retry those
//! answers, as Kaltura and API clients retry a 503, count them (`contention retries` in
//! the report) and check the app logged `database is locked`; on Redis there must be
//! none. Every count checked stays exact (the store port tries again what a locked
//! SQLite store refused, so counters are exact there too).
//!
//! The fakes here are a compact copy of the ones in `api.rs` (sign-in, members,
//! channels, message creation; Kaltura rooms), so this module stands on its own.

use crate::support::{configured, KALTURA_ADMIN_SECRET};
use e2e::{Client, FakeResponse, FakeServer, Recorded, SharedStore, TestApp, TestResponse};
use serde_json::{json, Value};
use sha2::Digest;
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CLIENT_SECRET: &str = "test-client-secret-not-real";
const BOT_TOKEN: &str = "test-bot-token-not-real";
const GUILD: &str = "111111111111111111";
const OWNER: &str = "999999999999999999";
const ADA: &str = "333333333333333331";
const ADMINS: &str = "444444444444444441";
const CHANNEL: &str = "555555555555555551";

/// Discord as the gateway and the notifications service see it: Ada signs in with
/// `code-ada` and is an administrator of `GUILD`; messages are created in `CHANNEL`
/// after `delay`.
fn fake_discord(delay: Duration) -> impl Fn(&Recorded) -> FakeResponse + Send + Sync + 'static {
    move |request| {
        let auth = request.header("authorization").unwrap_or_default();
        let path = request.path.split('?').next().unwrap_or_default();
        let bot = auth == format!("Bot {BOT_TOKEN}");
        let json = |status, value: Value| FakeResponse::json(status, &value);
        match (request.method.as_str(), path) {
            ("POST", "/api/v10/oauth2/token") => {
                let form = String::from_utf8_lossy(&request.body);
                if form.contains("code=code-ada") {
                    json(
                        200,
                        json!({"access_token": "discord-token-ada", "token_type": "Bearer",
                               "expires_in": 604800, "refresh_token": "r", "scope": "identify"}),
                    )
                } else {
                    json(400, json!({"error": "invalid_grant"}))
                }
            }
            ("GET", "/api/v10/users/@me") if auth == "Bearer discord-token-ada" => json(
                200,
                json!({"id": ADA, "username": "ada", "global_name": null, "avatar": null,
                       "discriminator": "0"}),
            ),
            ("POST", p) if bot && p == format!("/api/v10/channels/{CHANNEL}/messages") => json(
                200,
                json!({"id": "666666666666666661", "channel_id": CHANNEL}),
            )
            .after(delay),
            ("GET", p) if bot && p == format!("/api/v10/guilds/{GUILD}/members/{ADA}") => json(
                200,
                json!({"user": {"id": ADA, "username": "ada"}, "nick": null, "roles": [ADMINS],
                       "joined_at": "2024-01-01T00:00:00+00:00", "deaf": false, "mute": false}),
            ),
            ("GET", p) if bot && p == format!("/api/v10/guilds/{GUILD}") => json(
                200,
                json!({"id": GUILD, "name": "Server", "owner_id": OWNER}),
            ),
            ("GET", p) if bot && p == format!("/api/v10/guilds/{GUILD}/roles") => json(
                200,
                json!([{"id": GUILD, "name": "@everyone", "permissions": "2048"},
                       {"id": ADMINS, "name": "Admins", "permissions": "8"}]),
            ),
            ("GET", p) if bot && p == format!("/api/v10/channels/{CHANNEL}") => {
                json(200, json!({"id": CHANNEL, "guild_id": GUILD, "type": 0}))
            }
            _ => json(404, json!({"message": "404: Not Found", "code": 0})),
        }
    }
}

/// Kaltura as the meetings need it: rooms are created.
fn fake_kaltura() -> impl Fn(&Recorded) -> FakeResponse + Send + Sync + 'static {
    let next = Arc::new(AtomicU64::new(1000));
    move |request| {
        let path = request.path.as_str();
        if path.starts_with("/api_v3/service/system/action/ping") {
            return FakeResponse::json(200, &json!(true));
        }
        if path.starts_with("/api_v3/service/schedule_scheduleresource/action/add") {
            let body: Value = request.json().unwrap_or(Value::Null);
            let room = &body["scheduleResource"];
            return FakeResponse::json(
                200,
                &json!({"id": next.fetch_add(1, Ordering::SeqCst), "partnerId": 1234567,
                        "name": room["name"], "status": 2, "tags": room["tags"],
                        "createdAt": 1700000000,
                        "objectType": "KalturaLocationScheduleResource"}),
            );
        }
        FakeResponse::json(
            200,
            &json!({"code": "SERVICE_DOES_NOT_EXISTS", "message": "not scripted",
                    "objectType": "KalturaAPIException", "args": {}}),
        )
    }
}

/// Two replicas on one store, with their fakes.
struct Replicas {
    apps: [TestApp; 2],
    discord: FakeServer,
    _kaltura: FakeServer,
    store: SharedStore,
    /// Store-failure answers (SQLite's `database is locked`), retried.
    contention: Arc<AtomicUsize>,
}

impl Replicas {
    /// Starts both replicas with every setting, `extra` variables, and Discord's
    /// messages created after `delay`.
    async fn start(extra: &[(&str, &str)], delay: Duration) -> Self {
        let store = SharedStore::from_env().expect("a shared store");
        let (mut builder, discord, kaltura) = configured().await;
        builder = builder.variable("discord_client_secret", CLIENT_SECRET);
        // These tests check what the store decides (compare-and-swap, counters), read
        // back at once on either replica: no configuration cache unless a test sets one.
        builder = builder.variable("config_cache_ttl_seconds", "0");
        for (name, value) in extra {
            builder = builder.variable(name, *value);
        }
        discord.respond_with(fake_discord(delay));
        kaltura.respond_with(fake_kaltura());
        let builder = builder.shared_store(&store);
        let a = builder.clone().start().await.expect("replica a starts");
        let b = builder.start().await.expect("replica b starts");
        Self {
            apps: [a, b],
            discord,
            _kaltura: kaltura,
            store,
            contention: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A client of replica `n % 2`.
    fn client(&self, n: usize) -> Caller {
        Caller {
            client: Client::new(self.apps[n % 2].addr()),
            contention: self.contention.clone(),
        }
    }

    /// Prints a measured number for the closing note, past the harness's capture, and
    /// checks that only SQLite reported contention.
    fn report(&self, what: &str) {
        report(
            self.store.kind(),
            self.apps[0].is_real_spin(),
            &self.contention,
            &self.logs(),
            what,
        );
    }

    /// Both replicas' logs, for failure messages.
    fn logs(&self) -> String {
        format!(
            "replica a:\n{}\nreplica b:\n{}",
            self.apps[0].logs(),
            self.apps[1].logs()
        )
    }

    /// Ada's access token, signed in on replica `n % 2`.
    async fn ada(&self, n: usize) -> String {
        let r = self
            .client(n)
            .call(
                "POST",
                "/api/v1/auth/discord",
                None,
                None,
                Some(json!({"code": "code-ada", "guild_id": GUILD})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json().unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The server's configuration version, read on replica `n % 2`.
    async fn version(&self, n: usize, token: &str) -> u64 {
        let r = self
            .client(n)
            .call("GET", &config_path(), Some(token), None, None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json().unwrap()["version"].as_u64().unwrap()
    }

    /// The versions in the server's configuration audit log, read on replica `n % 2`.
    async fn audited_versions(&self, n: usize, token: &str) -> Vec<u64> {
        let r = self
            .client(n)
            .call(
                "GET",
                &format!("/api/v1/guilds/{GUILD}/audit-log?limit=200"),
                Some(token),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let mut versions: Vec<u64> = r.json().unwrap()["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["version"].as_u64().unwrap())
            .collect();
        versions.sort_unstable();
        versions
    }
}

fn config_path() -> String {
    format!("/api/v1/guilds/{GUILD}/config")
}

/// Prints `REPLICAS[<store>, <host>] <what>` and the contention retries; checks that
/// every store failure was SQLite's lock contention (`logs` say `database is locked`),
/// and that Redis had none.
fn report(store: &str, real_spin: bool, contention: &AtomicUsize, logs: &str, what: &str) {
    let host = if real_spin { "real Spin" } else { "test host" };
    let retried = contention.load(Ordering::SeqCst);
    let _ = writeln!(
        std::io::stderr().lock(),
        "REPLICAS[{store}, {host}] {what} ({retried} contention retries)"
    );
    if store == "redis" {
        assert_eq!(retried, 0, "Redis reported a store failure:\n{logs}");
    } else if retried > 0 {
        assert!(
            logs.contains("database is locked"),
            "a store failure that was not SQLite's lock contention:\n{logs}"
        );
    }
}

/// A client of one replica that retries the app's store-failure answers (SQLite's
/// `database is locked`; [`report`] checks that it was).
struct Caller {
    client: Client,
    contention: Arc<AtomicUsize>,
}

/// Whether `response` is the app's 503 for a store operation that failed (the API's
/// `storage_unavailable`, the webhook's `storage`): "try again".
fn store_failed(response: &TestResponse) -> bool {
    response.status == 503
        && response.json().is_ok_and(|body| {
            ["storage_unavailable", "storage"]
                .contains(&body["error"]["code"].as_str().unwrap_or_default())
        })
}

impl Caller {
    /// Sends a request, again (up to ten times) while the answer is a store failure.
    ///
    /// # Errors
    /// No answer (a replica being killed).
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> anyhow::Result<TestResponse> {
        let mut attempt = 0;
        loop {
            let response = self
                .client
                .send(method, path, headers, body.to_owned())
                .await?;
            attempt += 1;
            if !store_failed(&response) || attempt == 10 {
                return Ok(response);
            }
            self.contention.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
        }
    }

    /// An API request: JSON `body`, a bearer `token`, an `If-Match` version.
    ///
    /// # Errors
    /// No answer (a replica being killed).
    async fn try_call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        if_match: Option<u64>,
        body: Option<Value>,
    ) -> anyhow::Result<TestResponse> {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let version = if_match.map(|v| format!("\"{v}\""));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(bearer) = &bearer {
            headers.push(("authorization", bearer.as_str()));
        }
        if let Some(version) = &version {
            headers.push(("if-match", version.as_str()));
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.send(method, path, &headers, &body).await
    }

    /// [`Caller::try_call`], answered.
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        if_match: Option<u64>,
        body: Option<Value>,
    ) -> TestResponse {
        self.try_call(method, path, token, if_match, body)
            .await
            .unwrap()
    }
}

/// A configuration change only writer `n` makes.
fn change(n: usize) -> Value {
    json!({"patch": {"notifications": {"meeting_share": {"template": format!("writer {n}")}}}})
}

/// The version a successful write answered with (its `ETag`).
fn etag_version(response: &TestResponse) -> u64 {
    response
        .header("etag")
        .and_then(|tag| tag.trim_matches('"').parse().ok())
        .unwrap_or_else(|| panic!("no version in {:?}", response.header("etag")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_twenty_writes_of_one_version_spread_over_two_replicas_exactly_one_is_accepted() {
    let replicas = Arc::new(Replicas::start(&[], Duration::ZERO).await);
    let ada = replicas.ada(0).await;
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..20 {
        let (replicas, ada) = (replicas.clone(), ada.clone());
        writers.spawn(async move {
            let mut client = replicas.client(n);
            let r = client
                .call(
                    "PATCH",
                    &config_path(),
                    Some(&ada),
                    Some(0),
                    Some(change(n)),
                )
                .await;
            (r.status, r.text())
        });
    }
    let answers = writers.join_all().await;
    let accepted = answers.iter().filter(|(status, _)| *status == 200).count();
    replicas.report(&format!(
        "same If-Match: {accepted} of 20 concurrent writes accepted"
    ));
    assert_eq!(accepted, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, _)| [200, 409].contains(status)),
        "{answers:?}"
    );
    for replica in 0..2 {
        assert_eq!(replicas.version(replica, &ada).await, 1);
        assert_eq!(replicas.audited_versions(replica, &ada).await, [1]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_read_modify_writes_on_two_replicas_move_the_version_once_per_success() {
    const WRITERS: usize = 8;
    const ROUNDS: usize = 5;
    let replicas = Arc::new(Replicas::start(&[], Duration::ZERO).await);
    let ada = replicas.ada(0).await;
    let start = replicas.version(1, &ada).await;
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..WRITERS {
        let (replicas, ada) = (replicas.clone(), ada.clone());
        writers.spawn(async move {
            let mut client = replicas.client(n);
            let mut outcomes = Vec::new();
            for round in 0..ROUNDS {
                let read = client
                    .call("GET", &config_path(), Some(&ada), None, None)
                    .await;
                assert_eq!(read.status, 200, "{}", read.text());
                let seen = read.json().unwrap()["version"].as_u64().unwrap();
                let write = client
                    .call(
                        "PATCH",
                        &config_path(),
                        Some(&ada),
                        Some(seen),
                        Some(change(n * ROUNDS + round)),
                    )
                    .await;
                outcomes.push(match write.status {
                    200 => Ok(etag_version(&write)),
                    status => Err((status, write.text())),
                });
            }
            outcomes
        });
    }
    let outcomes: Vec<_> = writers.join_all().await.into_iter().flatten().collect();
    let refused: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert!(
        refused.iter().all(|(status, _)| *status == 409),
        "a write was neither accepted nor a conflict: {refused:?}"
    );
    let mut written: Vec<u64> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().copied())
        .collect();
    written.sort_unstable();
    let successes = written.len() as u64;
    let end = replicas.version(0, &ada).await;
    replicas.report(&format!(
        "racing read-modify-write: {successes} successes of {}, version moved {}",
        WRITERS * ROUNDS,
        end - start
    ));
    assert!(successes >= 1, "some write succeeds");
    assert_eq!(end, start + successes, "the version moved once per success");
    let expected: Vec<u64> = (start + 1..=end).collect();
    assert_eq!(written, expected, "each success answered its own version");
    assert_eq!(
        replicas.audited_versions(1, &ada).await,
        expected,
        "every success is in the audit log"
    );
}

/// Kaltura's signature of `body` (sha256 of the admin secret and the body).
fn kaltura_signature(body: &str) -> String {
    hex::encode(sha2::Sha256::digest(
        [KALTURA_ADMIN_SECRET.as_bytes(), body.as_bytes()].concat(),
    ))
}

/// A Kaltura notification: an entry of category 12 became ready.
fn entry_ready(job: &str) -> String {
    json!({
        "objectType": "KalturaHttpNotification",
        "eventType": "3",
        "eventObjectType": "1",
        "eventNotificationJobId": job,
        "templateId": 123,
        "templateName": "Entry Status Changed",
        "templateSystemName": "HTTP_ENTRY_STATUS_CHANGED",
        "object": {
            "objectType": "KalturaMediaEntry",
            "id": "0_abc123",
            "name": "Lecture",
            "status": 2,
            "userId": "ana@example.org",
            "duration": 61,
            "categoriesIds": "12",
            "tags": format!("lecture, kd-guild:{GUILD}"),
        }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_webhook_delivered_to_both_replicas_at_once_is_posted_exactly_once() {
    // Discord takes a moment to create the message, so the copies overlap.
    let replicas = Arc::new(Replicas::start(&[], Duration::from_millis(300)).await);
    // The server's settings in the config service's layout, stored in place (as
    // notifications.rs seeds them): new videos of category 12 go to CHANNEL.
    let settings = json!({
        "schema": 1, "version": 1, "updated_at": 1_700_000_000u64,
        "updated_by": {"discord_user": OWNER},
        "doc": {"notifications": {"events": {"entry_ready": {"channel_id": CHANNEL}}},
                "kaltura": {"category_ids": [12]}},
    });
    replicas.apps[0].seed(
        &format!("config/v1/guild/{GUILD}"),
        settings.to_string().as_bytes(),
    );
    let body = entry_ready("21001");
    let signature = kaltura_signature(&body);
    let deliver = |n: usize| {
        let (replicas, body, signature) = (replicas.clone(), body.clone(), signature.clone());
        async move {
            let headers = [
                ("content-type", "application/json"),
                ("x-kaltura-signature", signature.as_str()),
                ("x-kaltura-hash-algo", "sha256"),
            ];
            let r = replicas
                .client(n)
                .send("POST", "/webhooks/kaltura", &headers, &body)
                .await
                .unwrap();
            (r.status, r.json().unwrap_or(Value::Null))
        }
    };
    let mut copies = tokio::task::JoinSet::new();
    for n in 0..6 {
        copies.spawn(deliver(n));
    }
    let mut answers = copies.join_all().await;
    // Kaltura retries what was not done, on either replica, until it hears the
    // outcome.
    for n in 0..10 {
        let (status, body) = deliver(n).await;
        let heard = status == 200 && body["status"] == "duplicate";
        answers.push((status, body));
        if heard {
            break;
        }
    }
    let done = answers
        .iter()
        .filter(|(status, body)| *status == 200 && body["status"] == "done")
        .count();
    assert_eq!(
        done,
        1,
        "one copy delivers: {answers:?}\n{}",
        replicas.logs()
    );
    assert!(
        answers.iter().all(|(status, body)| match status {
            200 => body["status"] == "done" || body["status"] == "duplicate",
            503 => body["error"]["code"] == "in_progress",
            _ => false,
        }),
        "the others are duplicates or told to come back: {answers:?}\n{}",
        replicas.logs()
    );
    assert_eq!(
        answers
            .last()
            .map(|(status, body)| (*status, body["status"].clone())),
        Some((200, json!("duplicate"))),
        "a later copy hears the outcome"
    );
    let posted = replicas
        .discord
        .received()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
        .count();
    replicas.report(&format!(
        "one webhook, 6 copies over both replicas at once: {posted} message posted"
    ));
    assert_eq!(posted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_per_token_rate_limit_is_shared_by_both_replicas() {
    const LIMIT: usize = 10;
    const SENT: usize = 30;
    // A day-long window, so the burst does not straddle two windows (unless it runs
    // across midnight UTC: then it is tried again with a fresh token).
    let replicas = Arc::new(
        Replicas::start(
            &[
                ("gateway_rate_limit_per_token", "10"),
                ("gateway_rate_limit_per_address", "0"),
                ("gateway_rate_limit_window_seconds", "86400"),
            ],
            Duration::ZERO,
        )
        .await,
    );
    let day = || crate::support::now().parse::<u64>().unwrap() / 86_400;
    for _attempt in 0..2 {
        let first_day = day();
        let ada = replicas.ada(0).await;
        let mut requests = tokio::task::JoinSet::new();
        for n in 0..SENT {
            let (replicas, ada) = (replicas.clone(), ada.clone());
            requests.spawn(async move {
                let r = replicas
                    .client(n)
                    .call("GET", "/api/v1/me", Some(&ada), None, None)
                    .await;
                r.status
            });
        }
        let statuses = requests.join_all().await;
        if day() != first_day {
            continue;
        }
        let answered = statuses.iter().filter(|s| **s == 200).count();
        let limited = statuses.iter().filter(|s| **s == 429).count();
        replicas.report(&format!(
            "per-token limit {LIMIT}: {answered} of {SENT} answered, {limited} limited"
        ));
        assert_eq!(
            (answered, limited),
            (LIMIT, SENT - LIMIT),
            "{statuses:?}\n{}",
            replicas.logs()
        );
        return;
    }
    panic!("two bursts straddled midnight UTC");
}

#[tokio::test]
async fn a_meeting_created_on_one_replica_is_joined_on_the_other() {
    let replicas = Replicas::start(&[], Duration::ZERO).await;
    let ada = replicas.ada(0).await;
    let created = replicas
        .client(0)
        .call(
            "POST",
            "/api/v1/meetings",
            Some(&ada),
            None,
            Some(json!({"kind": "meeting", "title": "Weekly sync", "channel_id": CHANNEL})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json().unwrap()["id"].as_str().unwrap().to_owned();
    let mut other = replicas.client(1);
    let shown = other
        .call(
            "GET",
            &format!("/api/v1/meetings/{id}"),
            Some(&ada),
            None,
            None,
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(shown.json().unwrap()["id"], id.as_str());
    let joined = other
        .call(
            "POST",
            &format!("/api/v1/meetings/{id}/join"),
            Some(&ada),
            None,
            None,
        )
        .await;
    assert_eq!(joined.status, 200, "{}", joined.text());
    assert!(joined.json().unwrap()["url"]
        .as_str()
        .unwrap()
        .starts_with("http"));
    let listed = other
        .call("GET", "/api/v1/meetings", Some(&ada), None, None)
        .await;
    assert_eq!(listed.json().unwrap()["meetings"][0]["id"], id.as_str());
}

/// One step of a load: reads the settings and, every third step, writes them back
/// changed (a read-modify-write that may meet a conflict). The status of the last
/// request, and whether it was a write that changed the settings (or was refused).
async fn step(client: &mut Caller, token: &str, i: usize) -> anyhow::Result<(u16, bool)> {
    let read = client
        .try_call("GET", &config_path(), Some(token), None, None)
        .await?;
    if i % 3 != 2 || read.status != 200 {
        return Ok((read.status, false));
    }
    let seen = read.json()?["version"].as_u64().unwrap_or_default();
    let write = client
        .try_call(
            "PATCH",
            &config_path(),
            Some(token),
            Some(seen),
            Some(change(i)),
        )
        .await?;
    // A write that changed nothing (another worker wrote the same text) is answered 200
    // and makes no version (issue 11): only a write that changed keys counts as one.
    let changed = write.status != 200
        || write.json()?["changed_keys"]
            .as_array()
            .is_some_and(|keys| !keys.is_empty());
    Ok((write.status, changed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn when_one_replica_is_killed_mid_load_the_other_answers_every_request() {
    const ON_B: usize = 30;
    // No rate limits: replica a's workers run as fast as it answers.
    let replicas = Replicas::start(
        &[
            ("gateway_rate_limit_per_token", "0"),
            ("gateway_rate_limit_per_address", "0"),
        ],
        Duration::ZERO,
    )
    .await;
    let ada = replicas.ada(0).await;
    let b_done = Arc::new(AtomicUsize::new(0));
    // Two workers on a run until a request of theirs fails; two on b make ON_B steps.
    let on_a: Vec<_> = (0..2)
        .map(|_| {
            let (ada, mut client) = (ada.clone(), replicas.client(0));
            tokio::spawn(async move {
                let mut results = Vec::new();
                let started = std::time::Instant::now();
                for i in 0.. {
                    let result = step(&mut client, &ada, i).await;
                    let failed = result.is_err();
                    results.push(result.map_err(|e| format!("{e:#}")));
                    if failed || started.elapsed() > Duration::from_secs(60) {
                        break;
                    }
                }
                results
            })
        })
        .collect();
    let on_b: Vec<_> = (0..2)
        .map(|_| {
            let (ada, done, mut client) = (ada.clone(), b_done.clone(), replicas.client(1));
            tokio::spawn(async move {
                let mut results = Vec::new();
                for i in 0..ON_B {
                    let result = step(&mut client, &ada, i).await;
                    results.push(result.map_err(|e| format!("{e:#}")));
                    done.fetch_add(1, Ordering::SeqCst);
                }
                results
            })
        })
        .collect();
    // Kill replica a once b has answered a third of its load.
    tokio::time::timeout(Duration::from_secs(60), async {
        while b_done.load(Ordering::SeqCst) < 2 * ON_B / 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("replica b makes progress");
    let Replicas {
        apps: [a, b],
        store,
        contention,
        ..
    } = replicas;
    let logs_of_a = a.logs();
    a.kill();

    let mut a_results = Vec::new();
    for worker in on_a {
        let results = worker.await.unwrap();
        assert!(
            results.last().is_some_and(Result::is_err),
            "a worker on replica a was still being answered after the kill: {results:?}"
        );
        a_results.extend(results);
    }
    let mut b_results = Vec::new();
    for worker in on_b {
        b_results.extend(worker.await.unwrap());
    }
    let unanswered: Vec<_> = b_results
        .iter()
        .filter(|r| !matches!(r, Ok((200, _)) | Ok((409, true))))
        .collect();
    assert!(
        unanswered.is_empty(),
        "replica b did not answer: {unanswered:?}\nreplica b:\n{}\nreplica a (before the kill):\n{logs_of_a}",
        b.logs()
    );
    // Every accepted write moved the version once; the write each worker on a had in
    // flight when a was killed may or may not have landed.
    let accepted = a_results
        .iter()
        .chain(&b_results)
        .filter(|r| matches!(r, Ok((200, true))))
        .count() as u64;
    let mut client = Caller {
        client: Client::new(b.addr()),
        contention: contention.clone(),
    };
    let r = client
        .call("GET", &config_path(), Some(&ada), None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let version = r.json().unwrap()["version"].as_u64().unwrap();
    assert!(
        (accepted..=accepted + 2).contains(&version),
        "version {version}, {accepted} writes accepted"
    );
    report(
        store.kind(),
        b.is_real_spin(),
        &contention,
        &format!("{}\n{logs_of_a}", b.logs()),
        &format!(
            "replica killed mid-load: the other answered {} of {} requests",
            b_results.len() - unanswered.len(),
            b_results.len()
        ),
    );
}

/// A settings change made on one replica is seen on the other within the configuration
/// cache's TTL (`config_cache_ttl_seconds`; Spin 4 reuses WASIp3 instances, so each
/// replica's config service keeps what it read that long), and at once on the replica
/// that made it.
#[tokio::test]
async fn a_settings_change_on_one_replica_is_seen_on_the_other_within_the_cache_ttl() {
    const TTL: Duration = Duration::from_secs(2);
    let replicas = Replicas::start(&[("config_cache_ttl_seconds", "2")], Duration::ZERO).await;
    let ada = replicas.ada(0).await;
    // Replica b reads (and may keep) the settings before the change.
    let before = replicas.version(1, &ada).await;
    let mut a = replicas.client(0);
    let write = a
        .call(
            "PATCH",
            &config_path(),
            Some(&ada),
            Some(before),
            Some(json!({"patch": {"features": {"activity": true}}})),
        )
        .await;
    assert_eq!(write.status, 200, "{}", write.text());
    let written = std::time::Instant::now();
    assert_eq!(
        replicas.version(0, &ada).await,
        before + 1,
        "the writer at once"
    );
    loop {
        let seen = replicas.version(1, &ada).await;
        if seen == before + 1 {
            break;
        }
        assert_eq!(seen, before, "an older version or the new one");
        assert!(
            written.elapsed() <= TTL + Duration::from_millis(500),
            "replica b still read version {seen} {:?} after the write",
            written.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    replicas.report(&format!(
        "settings change seen on the other replica after {:?} (TTL {TTL:?})",
        written.elapsed()
    ));
}
