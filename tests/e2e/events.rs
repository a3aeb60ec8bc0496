//! Event subscriptions through the real `.wasm`: a subscriber (a local HTTP server)
//! receives Standard-Webhooks-signed events when meetings are created and joined
//! through the API; failures are retried from the store on the schedule with the same
//! `webhook-id` (across a restart of the app), in order per subscription; a
//! subscription whose delivery gives up is paused with its reason and resumes; private
//! destinations are refused; the secret appears in the creation answer only. The
//! independent verifier (PyPI `standardwebhooks`, and `jsonschema` against the schemas
//! the gateway publishes) is the ignored `crosscheck_*` test, run by `tests/run`.
//!
//! `grep EVENTS` in the output gives a signed delivery as the receiver saw it and the
//! measured retry schedule.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use e2e::{Client, FakeResponse, FakeServer, Recorded, SharedStore, TestResponse};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::api::{api_world, call, create_meeting, token_of, ADMIN_TOKEN, CHANNEL_A, GUILD_A};
use crate::support::World;

/// The wrap secret of the test deployments.
pub(crate) const WRAP_SECRET: &str = "e2e-events-wrap-secret-0123456789abcdef";

/// The events settings for a receiver on 127.0.0.1, with `schedule`.
fn settings(schedule: &str) -> Vec<(&'static str, String)> {
    vec![
        ("gateway_admin_token", ADMIN_TOKEN.into()),
        ("events_key_wrap_secret", WRAP_SECRET.into()),
        ("events_allowed_hosts", "http://127.0.0.1:*".into()),
        ("events_allow_http", "true".into()),
        ("events_allow_private_destinations", "true".into()),
        ("events_retry_schedule", schedule.into()),
        ("events_timeout_ms", "2000".into()),
    ]
}

async fn world(schedule: &str) -> World {
    let settings = settings(schedule);
    let extra: Vec<(&str, &str)> = settings.iter().map(|(n, v)| (*n, v.as_str())).collect();
    api_world(&extra).await
}

/// A subscriber that answers each delivery with the next status of `script` (then
/// 204), and records when each arrived.
pub(crate) struct Receiver {
    pub server: FakeServer,
    pub times: Arc<Mutex<Vec<Instant>>>,
}

impl Receiver {
    pub(crate) async fn start(script: &[u16]) -> Self {
        let script = Arc::new(Mutex::new(script.to_vec()));
        let times = Arc::new(Mutex::new(Vec::new()));
        let seen = times.clone();
        let server = FakeServer::start(move |_| {
            seen.lock().unwrap().push(Instant::now());
            let mut script = script.lock().unwrap();
            let status = if script.is_empty() {
                204
            } else {
                script.remove(0)
            };
            FakeResponse::text(status, "")
        })
        .await
        .unwrap();
        Self { server, times }
    }

    pub(crate) fn url(&self) -> String {
        format!("{}/hooks/kd", self.server.url())
    }

    /// Waits until `n` deliveries arrived, pumping through `client` meanwhile.
    pub(crate) async fn wait_for(
        &self,
        client: &mut Client,
        n: usize,
        within: Duration,
    ) -> Vec<Recorded> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.server.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            pump(client).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `POST /api/v1/deployment/events/pump`, as a scheduler calls it.
pub(crate) async fn pump(client: &mut Client) -> Value {
    let r = call(
        client,
        "POST",
        "/api/v1/deployment/events/pump",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().unwrap()
}

pub(crate) async fn subscribe(
    client: &mut Client,
    token: &str,
    url: &str,
    types: &[&str],
) -> TestResponse {
    call(
        client,
        "POST",
        &format!("/api/v1/guilds/{GUILD_A}/subscriptions"),
        Some(token),
        Some(json!({"url": url, "event_types": types, "description": "CRM"})),
    )
    .await
}

/// Checks a delivery's signature as the Standard Webhooks specification says.
fn verify(secret: &str, delivery: &Recorded) {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let id = delivery.header("webhook-id").unwrap();
    let timestamp = delivery.header("webhook-timestamp").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&delivery.body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(
        delivery.header("webhook-signature"),
        Some(expected.as_str())
    );
    let age = e2e_now() - timestamp.parse::<i64>().unwrap();
    assert!(
        (0..=60).contains(&age),
        "the timestamp is the attempt's: {age}"
    );
}

fn e2e_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn event_type(delivery: &Recorded) -> String {
    delivery.json().unwrap()["type"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Creates a meeting through the API and returns its id.
async fn meeting(client: &mut Client, token: &str) -> String {
    let r = create_meeting(client, token, CHANNEL_A).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json().unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_subscriber_receives_signed_events_and_the_secret_is_shown_once() {
    let world = world("1").await;
    let receiver = Receiver::start(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let created = subscribe(
        &mut client,
        &ada,
        &receiver.url(),
        &["meeting.created", "meeting.joined"],
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let body = created.json().unwrap();
    let secret = body["secret"].as_str().unwrap().to_owned();
    let sub_id = body["id"].as_str().unwrap().to_owned();

    let id = meeting(&mut client, &ada).await;
    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{id}/join"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = receiver
        .wait_for(&mut client, 2, Duration::from_secs(10))
        .await;
    assert_eq!(got.len(), 2, "both events arrive");
    assert_eq!(
        got.iter().map(event_type).collect::<Vec<_>>(),
        ["meeting.created", "meeting.joined"]
    );
    for delivery in &got {
        verify(&secret, delivery);
        assert_eq!(delivery.method, "POST");
        assert_eq!(delivery.path, "/hooks/kd");
        assert_eq!(delivery.header("content-type"), Some("application/json"));
        let body = delivery.json().unwrap();
        assert_eq!(body["data"]["guild_id"], GUILD_A);
        assert_eq!(body["data"]["meeting_id"], id.as_str());
        assert_eq!(body["data"]["source"], "api");
    }
    let first = &got[0];
    println!(
        "EVENTS[signed delivery] POST {} webhook-id: {} webhook-timestamp: {} webhook-signature: {} body: {}",
        first.path,
        first.header("webhook-id").unwrap(),
        first.header("webhook-timestamp").unwrap(),
        first.header("webhook-signature").unwrap(),
        String::from_utf8_lossy(&first.body)
    );

    // The log shows both, delivered at the first attempt.
    let log = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/subscriptions/{sub_id}/deliveries"),
        Some(&ada),
        None,
    )
    .await;
    let log = log.json().unwrap();
    let deliveries = log["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2, "{log}");
    assert!(deliveries
        .iter()
        .all(|d| d["state"] == "delivered" && d["attempts"].as_array().unwrap().len() == 1));

    // The secret (and its key) only in the creation answer: not in later answers, the
    // app's logs or the store.
    let key = secret.strip_prefix("whsec_").unwrap();
    for path in [
        format!("/api/v1/guilds/{GUILD_A}/subscriptions"),
        format!("/api/v1/guilds/{GUILD_A}/subscriptions/{sub_id}"),
    ] {
        let r = call(&mut client, "GET", &path, Some(&ada), None).await;
        assert_eq!(r.status, 200);
        assert!(!r.text().contains(key), "{path} shows the secret");
    }
    assert!(!world.app.logs().contains(key), "the log shows the secret");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap();
    for (name, value) in world.app.store() {
        assert!(
            !String::from_utf8_lossy(&value).contains(key),
            "{name} holds the secret"
        );
        assert!(
            !value.windows(raw.len()).any(|w| w == raw.as_slice()),
            "{name} holds the raw key"
        );
    }
}

/// A signed `/kaltura-start` from Ada (an administrator) in server A's channel.
async fn start_from_discord(client: &mut Client, title: &str) -> Value {
    let payload = json!({
        "type": 2, "id": "910000000000000001", "application_id": "1100000000000000001",
        "token": "itok-events", "version": 1, "guild_id": GUILD_A, "channel_id": CHANNEL_A,
        "member": {"user": {"id": "333333333333333331", "username": "ada", "global_name": "Ada"},
                   "roles": [], "permissions": "8"},
        "data": {"id": "700000000000000001", "name": "kaltura-start", "type": 1, "options": [
            {"name": "type", "type": 3, "value": "webinar"},
            {"name": "title", "type": 3, "value": title}
        ]}
    })
    .to_string();
    let timestamp = crate::support::now();
    let signature = crate::support::discord_signature(&timestamp, &payload);
    let r = client
        .send(
            "POST",
            "/discord/interactions",
            &[
                ("content-type", "application/json"),
                ("x-signature-ed25519", &signature),
                ("x-signature-timestamp", &timestamp),
            ],
            payload,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().unwrap()
}

#[tokio::test]
async fn the_bot_and_the_notifications_service_publish_to_subscribers_too() {
    let world = world("1").await;
    let receiver = Receiver::start(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let created = subscribe(
        &mut client,
        &ada,
        &receiver.url(),
        &["meeting.created", "meeting.started"],
    )
    .await;
    let secret = created.json().unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();

    // /kaltura-start in Discord: the bot creates the meeting after its deferral and
    // publishes meeting.created with source discord.
    let deferral = start_from_discord(&mut client, "Town hall").await;
    assert_eq!(deferral["type"], 5, "{deferral}");
    let got = receiver
        .wait_for(&mut client, 1, Duration::from_secs(10))
        .await;
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0]);
    let body = got[0].json().unwrap();
    assert_eq!(body["type"], "meeting.created");
    assert_eq!(body["data"]["source"], "discord");
    assert_eq!(body["data"]["title"], "Town hall");
    let meeting_id = body["data"]["meeting_id"].as_str().unwrap().to_owned();

    // Kaltura says it started: the notifications service publishes meeting.started.
    let r = crate::notifications::signed(
        &world,
        &format!("kd_event=meeting_start&kd_meeting_id={meeting_id}"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = receiver
        .wait_for(&mut client, 2, Duration::from_secs(10))
        .await;
    assert_eq!(got.len(), 2);
    verify(&secret, &got[1]);
    let body = got[1].json().unwrap();
    assert_eq!(body["type"], "meeting.started", "{body}");
    assert_eq!(body["data"]["meeting_id"], meeting_id.as_str());
    assert_eq!(body["data"]["guild_id"], GUILD_A);
    assert!(body["data"]["kaltura_event_id"].is_string(), "{body}");
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_webhook_id_on_the_schedule_even_across_a_restart() {
    let store = SharedStore::from_env().expect("a shared store");
    let (mut builder, discord, kaltura) = crate::support::configured().await;
    builder = builder.variable("discord_client_secret", "test-client-secret-not-real");
    for (name, value) in settings("1,2,3") {
        builder = builder.variable(name, &value);
    }
    discord.respond_with(crate::api::fake_discord);
    kaltura.respond_with(crate::api::fake_kaltura());
    let builder = builder.shared_store(&store);
    let receiver = Receiver::start(&[500, 503, 500]).await;

    let first = builder.clone().start().await.expect("app starts");
    let mut client = Client::new(first.addr());
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let created = subscribe(&mut client, &ada, &receiver.url(), &["meeting.created"]).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let sub_id = created.json().unwrap()["id"].as_str().unwrap().to_owned();
    let published = Instant::now();
    meeting(&mut client, &ada).await;
    let got = receiver
        .wait_for(&mut client, 2, Duration::from_secs(10))
        .await;
    assert_eq!(got.len(), 2, "the first attempt and the first retry");

    // The replica dies; another starts on the same store and carries on.
    first.kill();
    let second = builder.start().await.expect("app restarts");
    let mut client = Client::new(second.addr());
    let got = receiver
        .wait_for(&mut client, 4, Duration::from_secs(15))
        .await;
    assert_eq!(got.len(), 4, "three failures, then delivered");
    let ids: Vec<&str> = got
        .iter()
        .map(|d| d.header("webhook-id").unwrap())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(
        got[0].body, got[3].body,
        "every attempt sends the same body"
    );

    let times = receiver.times.lock().unwrap().clone();
    let offsets: Vec<u128> = times
        .iter()
        .map(|t| t.duration_since(published).as_millis())
        .collect();
    let gaps: Vec<u128> = times
        .windows(2)
        .map(|w| w[1].duration_since(w[0]).as_millis())
        .collect();
    println!(
        "EVENTS[retry schedule] events_retry_schedule=1,2,3; receiver answered 500, 503, 500, 204; attempts at {offsets:?} ms after the publish, gaps {gaps:?} ms (the app restarted after the second attempt; pumps every 100 ms)"
    );
    for (gap, wanted) in gaps.iter().zip([1000u128, 2000, 3000]) {
        assert!(
            *gap >= wanted && *gap < wanted + 1500,
            "gap {gap} for a wait of {wanted}"
        );
    }

    let r = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/subscriptions/{sub_id}/deliveries"),
        Some(&ada),
        None,
    )
    .await;
    let log = r.json().unwrap();
    let delivery = &log["deliveries"][0];
    assert_eq!(delivery["state"], "delivered", "{log}");
    assert_eq!(delivery["id"], ids[0]);
    let statuses: Vec<Value> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(500), json!(503), json!(500), json!(204)]);
}

#[tokio::test]
async fn two_replicas_pumping_at_once_send_a_delivery_once() {
    let store = SharedStore::from_env().expect("a shared store");
    let (mut builder, discord, kaltura) = crate::support::configured().await;
    builder = builder.variable("discord_client_secret", "test-client-secret-not-real");
    for (name, value) in settings("1") {
        builder = builder.variable(name, &value);
    }
    discord.respond_with(crate::api::fake_discord);
    kaltura.respond_with(crate::api::fake_kaltura());
    let builder = builder.shared_store(&store);
    // A slow receiver: the first attempt is still running while the other replica pumps.
    let receiver =
        FakeServer::start(|_| FakeResponse::text(204, "").after(Duration::from_millis(1500)))
            .await
            .unwrap();
    let a = builder.clone().start().await.expect("replica a starts");
    let b = builder.start().await.expect("replica b starts");
    let mut client_a = Client::new(a.addr());
    let mut client_b = Client::new(b.addr());
    let ada = token_of(&mut client_a, "code-ada", GUILD_A).await;
    let url = format!("{}/hooks/kd", receiver.url());
    let created = subscribe(&mut client_a, &ada, &url, &["meeting.created"]).await;
    assert_eq!(created.status, 201, "{}", created.text());
    // Replica a pumps after answering; replica b pumps meanwhile, again and again.
    meeting(&mut client_a, &ada).await;
    for _ in 0..10 {
        pump(&mut client_b).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(2000)).await;
    pump(&mut client_b).await;
    let got = receiver.received();
    assert_eq!(
        got.len(),
        1,
        "the lease kept the other replica off: {got:?}"
    );
}

#[tokio::test]
async fn deliveries_to_one_subscription_keep_their_order_while_one_is_retried() {
    let world = world("1").await;
    let receiver = Receiver::start(&[500]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let created = subscribe(&mut client, &ada, &receiver.url(), &["meeting.created"]).await;
    assert_eq!(created.status, 201);
    let first = meeting(&mut client, &ada).await;
    let second = meeting(&mut client, &ada).await;
    let got = receiver
        .wait_for(&mut client, 3, Duration::from_secs(10))
        .await;
    let order: Vec<String> = got
        .iter()
        .map(|d| {
            d.json().unwrap()["data"]["meeting_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        order,
        [first.clone(), first, second],
        "the later event waited"
    );
}

#[tokio::test]
async fn a_subscription_whose_delivery_gives_up_is_paused_with_the_reason_and_resumes() {
    let world = world("0.2,0.2").await;
    let receiver = Receiver::start(&[500, 500, 502]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let created = subscribe(&mut client, &ada, &receiver.url(), &["meeting.created"]).await;
    let sub_id = created.json().unwrap()["id"].as_str().unwrap().to_owned();
    let sub = format!("/api/v1/guilds/{GUILD_A}/subscriptions/{sub_id}");
    meeting(&mut client, &ada).await;
    meeting(&mut client, &ada).await;
    let got = receiver
        .wait_for(&mut client, 3, Duration::from_secs(10))
        .await;
    assert_eq!(got.len(), 3);
    // Pumping more sends nothing: the subscription is paused.
    for _ in 0..5 {
        pump(&mut client).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(receiver.server.received().len(), 3);
    let r = call(&mut client, "GET", &sub, Some(&ada), None)
        .await
        .json()
        .unwrap();
    assert_eq!(r["state"], "paused", "{r}");
    let reason = r["paused_reason"].as_str().unwrap();
    assert!(
        reason.contains("failed 3 times") && reason.contains("HTTP 502"),
        "{reason}"
    );
    assert_eq!(r["pending"], 1, "the second event waits");
    assert_eq!(r["consecutive_failures"], 3);

    let resumed = call(
        &mut client,
        "POST",
        &format!("{sub}/resume"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(resumed.status, 200);
    assert_eq!(resumed.json().unwrap()["state"], "active");
    let got = receiver
        .wait_for(&mut client, 4, Duration::from_secs(10))
        .await;
    assert_eq!(
        got.len(),
        4,
        "the waiting event is delivered after the resume"
    );
    let r = call(
        &mut client,
        "GET",
        &format!("{sub}/deliveries"),
        Some(&ada),
        None,
    )
    .await
    .json()
    .unwrap();
    let states: Vec<&str> = r["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["delivered", "failed"], "newest first");
}

#[tokio::test]
async fn private_destinations_and_plain_http_are_refused_unless_the_deployment_allows_them() {
    let world = api_world(&[("events_key_wrap_secret", WRAP_SECRET)]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    for (url, why) in [
        ("http://hooks.example.com/kd", "https"),
        ("https://127.0.0.1/kd", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.0.0.7/kd", "private"),
        ("https://localhost:8443/kd", "localhost"),
        ("https://[::1]/kd", "loopback"),
    ] {
        let r = subscribe(&mut client, &ada, url, &["meeting.created"]).await;
        assert_eq!(r.status, 400, "{url}: {}", r.text());
        assert!(r.text().contains(why), "{url}: {}", r.text());
    }
    let r = subscribe(
        &mut client,
        &ada,
        "https://hooks.example.com/kd",
        &["meeting.created"],
    )
    .await;
    assert_eq!(
        r.status,
        201,
        "a public HTTPS destination is accepted: {}",
        r.text()
    );
    // A viewer may not manage subscriptions.
    let bob = token_of(&mut client, "code-bob", GUILD_A).await;
    let r = subscribe(
        &mut client,
        &bob,
        "https://hooks.example.com/kd",
        &["meeting.created"],
    )
    .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_destination_outside_allowed_outbound_hosts_is_never_reached() {
    // Everything allowed by the app's own rules, but no outbound host for subscribers.
    let mut settings = settings("none");
    settings.retain(|(name, _)| *name != "events_allowed_hosts");
    let extra: Vec<(&str, &str)> = settings.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let world = api_world(&extra).await;
    let receiver = Receiver::start(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let created = subscribe(&mut client, &ada, &receiver.url(), &["meeting.created"]).await;
    let sub_id = created.json().unwrap()["id"].as_str().unwrap().to_owned();
    meeting(&mut client, &ada).await;
    pump(&mut client).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.server.received().is_empty());
    let r = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/subscriptions/{sub_id}"),
        Some(&ada),
        None,
    )
    .await
    .json()
    .unwrap();
    assert_eq!(
        r["state"], "paused",
        "no retries configured: it gave up at once: {r}"
    );
    assert!(
        r["paused_reason"]
            .as_str()
            .unwrap()
            .contains("failed 1 times"),
        "{r}"
    );
}

#[tokio::test]
#[ignore = "needs EVENTS_CROSSCHECK_PYTHON=<python with standardwebhooks and jsonschema>; tests/run sets it"]
async fn crosscheck_standardwebhooks_verifies_delivered_events_that_fit_their_schemas() {
    let python = std::env::var("EVENTS_CROSSCHECK_PYTHON")
        .expect("EVENTS_CROSSCHECK_PYTHON must name a python with standardwebhooks and jsonschema");
    let world = world("1").await;
    let receiver = Receiver::start(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let created = subscribe(
        &mut client,
        &ada,
        &receiver.url(),
        &["meeting.created", "meeting.joined"],
    )
    .await;
    let secret = created.json().unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = meeting(&mut client, &ada).await;
    call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{id}/join"),
        Some(&ada),
        None,
    )
    .await;
    let got = receiver
        .wait_for(&mut client, 2, Duration::from_secs(10))
        .await;
    assert_eq!(got.len(), 2);
    let document = client
        .get("/api/v1/openapi.json")
        .await
        .unwrap()
        .json()
        .unwrap();
    let input = json!({
        "secret": secret,
        "document": document,
        "deliveries": got.iter().map(|d| json!({
            "headers": {
                "webhook-id": d.header("webhook-id"),
                "webhook-timestamp": d.header("webhook-timestamp"),
                "webhook-signature": d.header("webhook-signature"),
            },
            "body": String::from_utf8_lossy(&d.body),
        })).collect::<Vec<_>>(),
    });
    let script = e2e::repo_root().join("tests/crosscheck/events/verify.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("EVENTS[standardwebhooks verdicts] {stdout}");
    let verdicts: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(verdicts.len(), 2);
    for verdict in verdicts {
        assert_eq!(verdict["verified"], true, "{verdict}");
        assert_eq!(verdict["schema_valid"], true, "{verdict}");
        assert_eq!(verdict["tampered_rejected"], true, "{verdict}");
        assert_eq!(verdict["other_secret_rejected"], true, "{verdict}");
    }
}
