//! `POST /webhooks/kaltura` through the real `notifications.wasm` (composed with the
//! real `config.wasm` and `kaltura.wasm`), with signed fake Kaltura notifications in
//! each payload format and a fake Discord answering 200, 429, 500 and 403.
//!
//! A server's settings are seeded in the key-value store in the `config` service's
//! documented layout (`config/v1/guild/<id>`, a `StoredOverrides` document), and a
//! meeting in the `kaltura` service's (`kaltura/v1/meeting/<id>`), since no route writes
//! them yet.

use crate::support::{world, World, KALTURA_ADMIN_SECRET};
use e2e::{FakeResponse, Recorded, TestResponse};
use serde_json::{json, Value};
use sha2::Digest;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const GUILD: &str = "123456789012345678";
const CHANNEL: &str = "223456789012345678";
const MEETING_CHANNEL: &str = "323456789012345678";
const OWNER: &str = "423456789012345678";
const BOT_TOKEN: &str = "test-bot-token-not-real";
const FIXTURE: &str = include_str!("../fixtures/kaltura-webhook.json");

const HOSTILE_TITLE: &str = "@everyone <@&123> **x**";

/// The JSON API object of an entry that became READY, in category 12.
fn ready_json(job: &str) -> String {
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
            "name": HOSTILE_TITLE,
            "status": 2,
            "userId": "ana@example.org",
            "duration": 61,
            "categoriesIds": "12,99",
            "tags": format!("lecture, kd-guild:{GUILD}"),
        }
    })
    .to_string()
}

/// Kaltura's signature: lowercase hex of HASH(admin secret ++ body) (PROTOCOLS §9; the
/// same as `kaltura_api::webhook::sign`).
fn sign(body: &str, algo: &str) -> String {
    let input = [KALTURA_ADMIN_SECRET.as_bytes(), body.as_bytes()].concat();
    match algo {
        "sha512" => hex::encode(sha2::Sha512::digest(&input)),
        _ => hex::encode(sha2::Sha256::digest(&input)),
    }
}

async fn post(world: &World, path: &str, body: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    world
        .client()
        .send("POST", path, &all, body.to_owned())
        .await
        .unwrap()
}

/// Posts `body` to `/webhooks/kaltura`, signed with sha256 as Kaltura does.
pub(crate) async fn signed(world: &World, body: &str) -> TestResponse {
    let signature = sign(body, "sha256");
    post(
        world,
        "/webhooks/kaltura",
        body,
        &[
            ("x-kaltura-signature", &signature),
            ("x-kaltura-hash-algo", "sha256"),
        ],
    )
    .await
}

/// Seeds the server's overrides as the config service reads them: the `StoredOverrides`
/// document stored in place at its key, the form `common::cas` reads as a document
/// written by an older version (seeding the pointer layout would need the store's own
/// increment encoding, which the test cannot know).
fn seed_guild(world: &World, doc: Value) {
    let stored = json!({
        "schema": 1,
        "version": 1,
        "updated_at": 1_700_000_000u64,
        "updated_by": {"discord_user": OWNER},
        "doc": doc,
    });
    world.app.seed(
        &format!("config/v1/guild/{GUILD}"),
        stored.to_string().as_bytes(),
    );
}

/// A server that posts new videos of category 12 and recordings in `CHANNEL`.
fn seed_following_guild(world: &World) {
    seed_guild(
        world,
        json!({
            "notifications": {"events": {
                "entry_ready": {"channel_id": CHANNEL},
                "recording_ready": {"channel_id": CHANNEL},
            }},
            "kaltura": {"category_ids": [12]},
        }),
    );
}

/// Discord answers every Create Message with `answer(n)` for the n-th call (0-based),
/// and says that `CHANNEL` and `MEETING_CHANNEL` are `GUILD`'s (`GET /channels/{id}`,
/// asked before each post).
fn discord_answers(world: &World, answer: impl Fn(usize) -> FakeResponse + Send + Sync + 'static) {
    let calls = Arc::new(AtomicUsize::new(0));
    world.discord.respond_with(move |request: &Recorded| {
        if request.method == "POST" && request.path.ends_with("/messages") {
            return answer(calls.fetch_add(1, Ordering::SeqCst));
        }
        let channel = request.path.strip_prefix("/api/v10/channels/");
        match channel {
            Some(id) if request.method == "GET" && [CHANNEL, MEETING_CHANNEL].contains(&id) => {
                FakeResponse::json(200, &json!({"id": id, "guild_id": GUILD, "type": 0}))
            }
            _ => FakeResponse::json(404, &json!({"message": "404: Not Found", "code": 0})),
        }
    });
}

fn created(channel: &str) -> FakeResponse {
    FakeResponse::json(
        200,
        &json!({"id": "923456789012345678", "channel_id": channel, "content": "…"}),
    )
}

fn messages(world: &World) -> Vec<Recorded> {
    world
        .discord
        .received()
        .into_iter()
        .filter(|r| r.path.ends_with("/messages"))
        .collect()
}

fn audit(world: &World) -> Vec<Value> {
    crate::support::document(&world.app.store(), &format!("notify/v1/audit/{GUILD}"))
        .map(|bytes| {
            serde_json::from_slice::<Value>(&bytes).unwrap()["entries"]
                .as_array()
                .unwrap()
                .clone()
        })
        .unwrap_or_default()
}

fn assert_no_secrets(world: &World) {
    let logs = world.app.logs();
    for secret in [BOT_TOKEN, KALTURA_ADMIN_SECRET] {
        assert!(!logs.contains(secret), "a secret is in the logs");
        for (key, value) in world.app.store() {
            assert!(
                !String::from_utf8_lossy(&value).contains(secret),
                "a secret is stored under {key}"
            );
        }
    }
}

#[tokio::test]
async fn the_fixture_vectors_verify_with_sha1_by_default_and_sha256() {
    let world = world().await;
    let f: Value = serde_json::from_str(FIXTURE).unwrap();
    let body = f["body"].as_str().unwrap();
    let sha1 = f["signature_sha1"].as_str().unwrap();
    let sha256 = f["signature_sha256"].as_str().unwrap();
    for headers in [
        vec![("x-kaltura-signature", sha1)],
        vec![
            ("x-kaltura-signature", sha1),
            ("x-kaltura-hash-algo", "sha1"),
        ],
        vec![
            ("x-kaltura-signature", sha256),
            ("x-kaltura-hash-algo", "sha256"),
        ],
    ] {
        let response = post(&world, "/webhooks/kaltura", body, &headers).await;
        assert_eq!(response.status, 200, "{}", response.text());
        // A bare object change is no event this service posts.
        assert_eq!(response.json().unwrap()["status"], "ignored");
    }
    assert!(messages(&world).is_empty());
}

#[tokio::test]
async fn forged_unsigned_wrong_algorithm_and_tampered_webhooks_are_401_and_post_nothing() {
    let world = world().await;
    seed_following_guild(&world);
    discord_answers(&world, |_| created(CHANNEL));
    let body = ready_json("5001");
    let good = sign(&body, "sha256");
    let forged = hex::encode(sha2::Sha256::digest(format!("wrong-secret{body}")));
    let tampered = body.replace("0_abc123", "0_abc124");
    for (why, body, headers) in [
        ("unsigned", body.as_str(), vec![]),
        (
            "forged",
            body.as_str(),
            vec![
                ("x-kaltura-signature", forged.as_str()),
                ("x-kaltura-hash-algo", "sha256"),
            ],
        ),
        (
            "wrong algorithm",
            body.as_str(),
            vec![
                ("x-kaltura-signature", good.as_str()),
                ("x-kaltura-hash-algo", "sha1"),
            ],
        ),
        (
            "unknown algorithm",
            body.as_str(),
            vec![
                ("x-kaltura-signature", good.as_str()),
                ("x-kaltura-hash-algo", "md5"),
            ],
        ),
        (
            "tampered",
            tampered.as_str(),
            vec![
                ("x-kaltura-signature", good.as_str()),
                ("x-kaltura-hash-algo", "sha256"),
            ],
        ),
    ] {
        let response = post(&world, "/webhooks/kaltura", body, &headers).await;
        assert_eq!(response.status, 401, "{why}: {}", response.text());
        assert_eq!(
            response.json().unwrap()["error"]["code"],
            "invalid_signature"
        );
    }
    assert!(messages(&world).is_empty(), "nothing was posted");
    assert!(
        world.app.store().keys().all(|k| !k.starts_with("notify/")),
        "nothing was recorded"
    );
}

#[tokio::test]
async fn each_payload_format_posts_exactly_one_harmless_message_and_audits_it() {
    let world = world().await;
    seed_following_guild(&world);
    discord_answers(&world, |_| created(CHANNEL));
    let json_body = ready_json("6001");
    let data_body = format!(
        "data={}",
        url::form_urlencoded::byte_serialize(ready_json("6002").as_bytes()).collect::<String>()
    );
    let fields_body = format!(
        "entry_id=0_def456&entry_name={}&entry_status=2&entry_reference_id=&kd_guild_id={GUILD}&kd_category_ids=12",
        url::form_urlencoded::byte_serialize(HOSTILE_TITLE.as_bytes()).collect::<String>()
    );
    for (n, body) in [json_body, data_body, fields_body].iter().enumerate() {
        let response = signed(&world, body).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let answer = response.json().unwrap();
        assert_eq!(answer["status"], "done", "{answer}");
        assert_eq!(answer["deliveries"][0]["outcome"], "delivered");
        assert_eq!(
            messages(&world).len(),
            n + 1,
            "exactly one message per event"
        );
    }
    for message in messages(&world) {
        assert_eq!(
            message.path,
            format!("/api/v10/channels/{CHANNEL}/messages")
        );
        assert_eq!(
            message.header("authorization"),
            Some(format!("Bot {BOT_TOKEN}").as_str())
        );
        assert!(message
            .header("user-agent")
            .unwrap()
            .starts_with("DiscordBot ("));
        let sent = message.json().unwrap();
        let content = sent["content"].as_str().unwrap();
        assert!(!content.contains("@everyone"), "{content}");
        assert!(!content.contains("<@&"), "{content}");
        assert!(content.contains("\\*\\*x\\*\\*"), "{content}");
        assert_eq!(sent["allowed_mentions"], json!({"parse": []}));
        assert_eq!(sent["enforce_nonce"], true);
        assert_eq!(sent["nonce"].as_str().unwrap().len(), 25);
    }
    let entries = audit(&world);
    assert_eq!(entries.len(), 3);
    assert!(entries
        .iter()
        .all(|e| e["outcome"] == "delivered" && e["event"] == "entry_ready"));
    assert_eq!(entries[2]["event_id"], "job-6001");
    assert!(entries[0]["event_id"]
        .as_str()
        .unwrap()
        .starts_with("sha256-"));
    assert_no_secrets(&world);
}

/// The post to Discord goes out with its `content-length` and its whole body given to
/// the host before the request starts (not chunked after it), so headers and body can
/// leave in one write: a body sent after the headers waits for the server's delayed ACK.
#[tokio::test]
async fn the_post_to_discord_has_its_length_and_is_not_chunked() {
    let world = world().await;
    seed_following_guild(&world);
    discord_answers(&world, |_| created(CHANNEL));
    assert_eq!(signed(&world, &ready_json("7101")).await.status, 200);
    let posted = messages(&world);
    assert_eq!(posted.len(), 1);
    let length = posted[0].header("content-length").map(str::to_owned);
    assert_eq!(length, Some(posted[0].body.len().to_string()));
    assert_eq!(posted[0].header("transfer-encoding"), None);
}

#[tokio::test]
async fn a_redelivered_event_is_dropped_as_a_duplicate() {
    let world = world().await;
    seed_following_guild(&world);
    discord_answers(&world, |_| created(CHANNEL));
    let body = ready_json("7001");
    assert_eq!(signed(&world, &body).await.status, 200);
    for _ in 0..2 {
        let again = signed(&world, &body).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.json().unwrap()["status"], "duplicate");
    }
    assert_eq!(messages(&world).len(), 1);
    assert_eq!(audit(&world).len(), 1);
    let seen = crate::support::document(&world.app.store(), "notify/v1/seen/job-7001").unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&seen).unwrap()["state"],
        "done"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_the_message_is_posted_once() {
    let world = world().await;
    seed_following_guild(&world);
    discord_answers(&world, |n| {
        if n == 0 {
            FakeResponse::json(
                429,
                &json!({"message": "You are being rate limited.", "retry_after": 0.2, "global": false}),
            )
        } else {
            created(CHANNEL)
        }
    });
    let response = signed(&world, &ready_json("8001")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(messages(&world).len(), 2, "the 429 and the retry");
    let entry = &audit(&world)[0];
    assert_eq!(entry["outcome"], "delivered");
    assert_eq!(
        entry["attempts"][0]["result"], "channel lookup: this server's channel",
        "the channel is checked first"
    );
    assert_eq!(entry["attempts"][1]["status"], 429);
    assert_eq!(entry["attempts"][1]["wait_ms"], 200);
    assert_eq!(entry["attempts"][2]["status"], 200);
}

#[tokio::test]
async fn a_discord_outage_answers_503_and_the_redelivery_posts_exactly_once() {
    let world = world().await;
    seed_following_guild(&world);
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let switch = failing.clone();
    discord_answers(&world, move |_| {
        if switch.load(Ordering::SeqCst) {
            FakeResponse::json(
                500,
                &json!({"message": "500: Internal Server Error", "code": 0}),
            )
        } else {
            created(CHANNEL)
        }
    });
    let body = ready_json("9001");
    let response = signed(&world, &body).await;
    assert_eq!(response.status, 503, "{}", response.text());
    assert_eq!(
        response.json().unwrap()["error"]["code"],
        "delivery_pending"
    );
    let tries = messages(&world).len();
    assert!(tries >= 2, "5xx is retried with backoff: {tries}");
    assert_eq!(audit(&world)[0]["outcome"], "retry_later");

    failing.store(false, Ordering::SeqCst);
    let redelivered = signed(&world, &body).await;
    assert_eq!(redelivered.status, 200, "{}", redelivered.text());
    assert_eq!(messages(&world).len(), tries + 1);
    assert_eq!(audit(&world)[0]["outcome"], "delivered");
    assert_eq!(
        signed(&world, &body).await.json().unwrap()["status"],
        "duplicate"
    );
    assert_eq!(messages(&world).len(), tries + 1);
}

#[tokio::test]
async fn a_forbidden_channel_is_recorded_undeliverable_and_not_retried() {
    let world = world().await;
    seed_following_guild(&world);
    discord_answers(&world, |_| {
        FakeResponse::json(403, &json!({"message": "Missing Access", "code": 50001}))
    });
    let body = ready_json("10001");
    let response = signed(&world, &body).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json().unwrap()["deliveries"][0]["outcome"],
        "undeliverable"
    );
    let entry = &audit(&world)[0];
    assert_eq!(entry["outcome"], "undeliverable");
    assert!(entry["detail"].as_str().unwrap().contains("403"));
    assert_eq!(
        signed(&world, &body).await.json().unwrap()["status"],
        "duplicate"
    );
    assert_eq!(messages(&world).len(), 1);
}

#[tokio::test]
async fn a_meeting_started_from_discord_is_announced_in_its_channel_with_a_join_button() {
    let world = world().await;
    seed_guild(&world, json!({}));
    let meeting = json!({
        "schema": 1, "id": "42", "kind": "webinar", "title": "Town hall @here",
        "guild_id": GUILD, "channel_id": MEETING_CHANNEL, "owner_id": OWNER,
        "created_at": 1_700_000_000u64,
    });
    world
        .app
        .seed("kaltura/v1/meeting/42", meeting.to_string().as_bytes());
    discord_answers(&world, |_| created(MEETING_CHANNEL));
    let response = signed(&world, "kd_event=meeting_start&kd_meeting_id=42").await;
    assert_eq!(response.status, 200, "{}", response.text());
    let sent = messages(&world);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].path,
        format!("/api/v10/channels/{MEETING_CHANNEL}/messages")
    );
    let body = sent[0].json().unwrap();
    let content = body["content"].as_str().unwrap();
    assert!(content.contains("Town hall @\u{200B}here"), "{content}");
    assert!(content.contains("(Webinar) has started"), "{content}");
    assert_eq!(
        body["components"][0]["components"][0]["custom_id"],
        "v1:join:42"
    );
    assert_eq!(audit(&world)[0]["event"], "meeting_start");
}

#[tokio::test]
async fn an_event_no_server_takes_is_200_not_routed_and_posts_nothing() {
    let world = world().await;
    // The server follows the category but chose no channel.
    seed_guild(&world, json!({"kaltura": {"category_ids": [12]}}));
    discord_answers(&world, |_| created(CHANNEL));
    let response = signed(&world, &ready_json("11001")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json().unwrap()["status"], "not_routed");
    assert!(messages(&world).is_empty());
}

#[tokio::test]
async fn the_notification_url_names_no_server_since_the_signature_does_not_cover_it() {
    let world = world().await;
    seed_following_guild(&world);
    discord_answers(&world, |_| created(CHANNEL));
    let body = ready_json("12001").replace(&format!(", kd-guild:{GUILD}"), "");
    let signature = sign(&body, "sha512");
    let path = format!("/webhooks/kaltura?guild={GUILD}");
    let headers = [
        ("x-kaltura-signature", signature.as_str()),
        ("x-kaltura-hash-algo", "sha512"),
    ];
    let response = post(&world, &path, &body, &headers).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json().unwrap()["status"], "not_routed");
    assert!(messages(&world).is_empty());
}

#[tokio::test]
async fn two_copies_arriving_at_once_post_one_message() {
    let world = world().await;
    seed_following_guild(&world);
    discord_answers(&world, |_| {
        created(CHANNEL).after(std::time::Duration::from_millis(300))
    });
    let body = ready_json("13001");
    let (first, second) = tokio::join!(signed(&world, &body), signed(&world, &body));
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    if statuses == [200, 200] {
        // One WASIp3 instance took both (Spin 4 reuses it, up to 16 at once) and ran
        // them one after the other (the handler blocks its instance on host calls):
        // the second found the first's outcome.
        let mut outcomes = [
            first.json().unwrap()["status"].clone(),
            second.json().unwrap()["status"].clone(),
        ];
        outcomes.sort_by_key(ToString::to_string);
        assert_eq!(outcomes, [json!("done"), json!("duplicate")]);
    } else {
        assert_eq!(statuses, [200, 503], "{} / {}", first.text(), second.text());
        let busy = if first.status == 503 { &first } else { &second };
        assert_eq!(busy.json().unwrap()["error"]["code"], "in_progress");
    }
    assert_eq!(messages(&world).len(), 1);
    // Kaltura's later retry of the busy copy finds the outcome.
    assert_eq!(
        signed(&world, &body).await.json().unwrap()["status"],
        "duplicate"
    );
    assert_eq!(messages(&world).len(), 1);
}
