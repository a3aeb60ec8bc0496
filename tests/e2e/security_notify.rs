//! Issue 11's attacks 2, 3 and 5, performed against the real `.wasm` components through
//! the test host, with a fake Discord that knows two servers' channels:
//!
//! - **2. Another server's channel.** A server's admin sets an event's channel to a
//!   channel of another server, from Discord and from the API; and a server whose stored
//!   settings already name one gets a Kaltura event.
//! - **3. Webhook length extension and field smuggling.** A real SHA-256 length extension
//!   of a signed notification (the signature computed without the secret); a signed body
//!   that names `kd_guild_id` twice; a signed body routed by `?guild=` on the URL.
//! - **5. Replayed interactions.** The same signed `/kaltura-start` body delivered again
//!   within the replay window, one after the other and both at once.

use crate::support::{discord_signature, now, world, World, KALTURA_ADMIN_SECRET};
use e2e::{Client, FakeResponse, Recorded, TestResponse};
use serde_json::{json, Value};
use sha2::Digest;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const APP: &str = "1100000000000000001";
const BOT_TOKEN: &str = "test-bot-token-not-real";
const ADMIN_TOKEN: &str = "test-deployment-admin-token-not-real-0123456789";
/// The server under attack, and its admin.
const GUILD: &str = "300000000000000001";
const ADMIN: &str = "200000000000000004";
const ADMINS_ROLE: &str = "500000000000000009";
/// A channel of `GUILD`.
const OURS: &str = "400000000000000001";
/// A channel of another server.
const THEIRS: &str = "400000000000000009";
const OTHER_GUILD: &str = "300000000000000002";
const KEY: &str = "notifications.events.entry_ready.channel_id";

// ---------------------------------------------------------------------------------
// Fakes and helpers
// ---------------------------------------------------------------------------------

fn discord_json(status: u16, value: Value) -> FakeResponse {
    FakeResponse::json(status, &value)
}

/// Discord as these attacks need it: the two servers' channels (`GET /channels/{id}`,
/// failing with 500 while `outage` is set), messages, deferred-reply edits, and the
/// OAuth2 sign-in of `ADMIN`, an administrator of `GUILD`.
fn fake_discord(outage: Arc<AtomicBool>) -> impl Fn(&Recorded) -> FakeResponse + Send + Sync {
    move |request| {
        let path = request.path.split('?').next().unwrap_or_default();
        let bot = request.header("authorization") == Some(&format!("Bot {BOT_TOKEN}"));
        let parts: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
        match (request.method.as_str(), parts.as_slice()) {
            ("GET", ["channels", channel]) if bot => {
                if outage.load(Ordering::SeqCst) {
                    return discord_json(500, json!({"message": "500: Internal Server Error"}));
                }
                let guild = match *channel {
                    OURS => GUILD,
                    THEIRS => OTHER_GUILD,
                    _ => {
                        return discord_json(
                            404,
                            json!({"message": "Unknown Channel", "code": 10003}),
                        )
                    }
                };
                discord_json(200, json!({"id": channel, "guild_id": guild, "type": 0}))
            }
            ("POST", ["channels", channel, "messages"]) if bot => discord_json(
                200,
                json!({"id": "923456789012345678", "channel_id": channel, "content": "…"}),
            ),
            ("PATCH", ["webhooks", _, _, "messages", "@original"]) => {
                discord_json(200, json!({"id": "600000000000000001", "channel_id": OURS}))
            }
            ("POST", ["oauth2", "token"]) => discord_json(
                200,
                json!({"access_token": "discord-token-admin", "token_type": "Bearer",
                       "expires_in": 604800, "refresh_token": "r", "scope": "identify"}),
            ),
            ("GET", ["users", "@me"]) => discord_json(
                200,
                json!({"id": ADMIN, "username": "alan", "global_name": null, "avatar": null,
                       "discriminator": "0"}),
            ),
            ("GET", ["guilds", GUILD, "members", ADMIN]) if bot => discord_json(
                200,
                json!({"user": {"id": ADMIN, "username": "alan"}, "nick": null,
                       "roles": [ADMINS_ROLE], "joined_at": "2024-01-01T00:00:00+00:00",
                       "deaf": false, "mute": false}),
            ),
            ("GET", ["guilds", GUILD]) if bot => discord_json(
                200,
                json!({"id": GUILD, "name": "Server", "owner_id": "999999999999999999"}),
            ),
            ("GET", ["guilds", GUILD, "roles"]) if bot => discord_json(
                200,
                json!([{"id": GUILD, "name": "@everyone", "permissions": "2048"},
                       {"id": ADMINS_ROLE, "name": "Admins", "permissions": "8"}]),
            ),
            _ => discord_json(404, json!({"message": "404: Not Found", "code": 0})),
        }
    }
}

/// A Kaltura that creates a room for every `scheduleResource.add`.
fn room_making_kaltura() -> impl Fn(&Recorded) -> FakeResponse + Send + Sync {
    let next = Arc::new(AtomicU64::new(1001));
    move |request| {
        if request.path == "/api_v3/service/schedule_scheduleresource/action/add" {
            let body = request.json().unwrap_or(Value::Null);
            let resource = &body["scheduleResource"];
            return FakeResponse::json(
                200,
                &json!({"id": next.fetch_add(1, Ordering::SeqCst), "partnerId": 1234567,
                        "name": resource["name"], "tags": resource["tags"], "status": 2,
                        "createdAt": 1_700_000_000, "objectType": "KalturaLocationScheduleResource"}),
            );
        }
        FakeResponse::json(
            200,
            &json!({"code": "SERVICE_DOES_NOT_EXISTS", "message": "not scripted",
                    "objectType": "KalturaAPIException", "args": {}}),
        )
    }
}

/// The app with the fakes scripted; `outage` makes Discord's channel lookups fail.
async fn attacked() -> (World, Arc<AtomicBool>) {
    let outage = Arc::new(AtomicBool::new(false));
    let world = world().await;
    world.discord.respond_with(fake_discord(outage.clone()));
    world.kaltura.respond_with(room_making_kaltura());
    (world, outage)
}

fn received(world: &World, method: &str, suffix: &str) -> Vec<Recorded> {
    world
        .discord
        .received()
        .into_iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .collect()
}

fn posted_messages(world: &World) -> Vec<Recorded> {
    received(world, "POST", "/messages")
}

fn keys_under(world: &World, prefix: &str) -> Vec<String> {
    world
        .app
        .store()
        .keys()
        .filter(|k| k.starts_with(prefix))
        .cloned()
        .collect()
}

/// Sends a signed interaction; `id` is its interaction id.
async fn interaction(client: &mut Client, id: u64, kind: u8, data: Value) -> TestResponse {
    let payload = json!({
        "type": kind, "id": id.to_string(), "application_id": APP,
        "token": format!("itok-{id}"), "version": 1, "guild_id": GUILD, "channel_id": OURS,
        "member": {"user": {"id": ADMIN, "username": "alan", "global_name": "Alan"},
                   "roles": [], "permissions": "8"},
        "data": data
    })
    .to_string();
    signed_interaction(client, &payload, &now()).await
}

async fn signed_interaction(client: &mut Client, payload: &str, timestamp: &str) -> TestResponse {
    let signature = discord_signature(timestamp, payload);
    client
        .send(
            "POST",
            "/discord/interactions",
            &[
                ("content-type", "application/json"),
                ("x-signature-ed25519", &signature),
                ("x-signature-timestamp", timestamp),
            ],
            payload.to_owned(),
        )
        .await
        .unwrap()
}

/// `/kaltura-config set <key> <value>` by the server's admin; the answer's text.
async fn config_set(client: &mut Client, id: u64, key: &str, value: &str) -> String {
    let data = json!({"id": "700000000000000001", "name": "kaltura-config", "type": 1,
        "options": [{"name": "set", "type": 1, "options": [
            {"name": "key", "type": 3, "value": key},
            {"name": "value", "type": 3, "value": value}]}]});
    let response = interaction(client, id, 2, data).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().unwrap()["data"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Kaltura's signature: lowercase hex of SHA-256(admin secret ‖ body).
fn kaltura_sign(body: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(
        [KALTURA_ADMIN_SECRET.as_bytes(), body].concat(),
    ))
}

async fn webhook(world: &World, path: &str, body: Vec<u8>, signature: &str) -> TestResponse {
    world
        .client()
        .send(
            "POST",
            path,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-kaltura-signature", signature),
                ("x-kaltura-hash-algo", "sha256"),
            ],
            body,
        )
        .await
        .unwrap()
}

/// Seeds `GUILD`'s overrides in the config service's layout (a document stored in place),
/// as they could be stored before channels were checked.
fn seed_guild(world: &World, doc: Value) {
    let stored = json!({"schema": 1, "version": 1, "updated_at": 1_700_000_000u64,
                        "updated_by": {"discord_user": ADMIN}, "doc": doc});
    world.app.seed(
        &format!("config/v1/guild/{GUILD}"),
        stored.to_string().as_bytes(),
    );
}

// ---------------------------------------------------------------------------------
// SHA-256 length extension (the attacker's tool), written for this test
// ---------------------------------------------------------------------------------

/// SHA-256's padding of a message of `len` bytes (FIPS 180-4 §5.1.1): `0x80`, zeros up
/// to 56 mod 64, then the length in bits as a 64-bit big-endian number.
fn sha256_padding(len: usize) -> Vec<u8> {
    let mut padding = vec![0x80];
    while (len + padding.len()) % 64 != 56 {
        padding.push(0);
    }
    padding.extend_from_slice(&((len as u64) * 8).to_be_bytes());
    padding
}

/// The length-extension attack on `hex(SHA-256(secret ‖ body))`, given only the
/// signature, the length of `secret ‖ body` (an attacker tries each secret length) and
/// the data to append. Returns the glue (`body`'s padding) and the signature of
/// `secret ‖ body ‖ glue ‖ appended`. SHA-256's digest *is* its internal state after
/// the padded message, so hashing can simply resume from it: load the state from the
/// signature, then compress `appended` and the padding of the new total length.
fn sha256_extend(signature: &str, signed_len: usize, appended: &[u8]) -> (Vec<u8>, String) {
    use sha2::digest::generic_array::GenericArray;
    let digest = hex::decode(signature).unwrap();
    let mut state = [0u32; 8];
    for (word, bytes) in state.iter_mut().zip(digest.chunks_exact(4)) {
        *word = u32::from_be_bytes(bytes.try_into().unwrap());
    }
    let glue = sha256_padding(signed_len);
    let total = signed_len + glue.len() + appended.len();
    let tail = [appended, &sha256_padding(total)].concat();
    let blocks: Vec<_> = tail
        .chunks_exact(64)
        .map(GenericArray::clone_from_slice)
        .collect();
    sha2::compress256(&mut state, &blocks);
    let forged = state
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect::<Vec<_>>();
    (glue, hex::encode(forged))
}

// ---------------------------------------------------------------------------------
// Attack 2: another server's channel
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn attack_2_another_servers_channel_is_refused_from_discord_and_saves_nothing() {
    let (world, _) = attacked().await;
    let mut client = world.client();
    let answer = config_set(
        &mut client,
        910_000_000_000_000_001,
        KEY,
        &format!("<#{THEIRS}>"),
    )
    .await;
    assert!(answer.starts_with("Nothing was changed."), "{answer}");
    assert!(
        answer.contains(&format!(
            "channel {THEIRS} belongs to another Discord server"
        )),
        "{answer}"
    );
    assert!(
        keys_under(&world, "config/").is_empty(),
        "nothing was saved"
    );
    // Discord was asked, with the bot token the bot now carries for `config`.
    assert!(!received(&world, "GET", &format!("/channels/{THEIRS}")).is_empty());

    // The server's own channel is accepted.
    let answer = config_set(&mut client, 910_000_000_000_000_002, KEY, OURS).await;
    assert!(answer.contains("is updated"), "{answer}");
    assert!(!world.app.logs().contains(BOT_TOKEN));
}

#[tokio::test]
async fn attack_2_a_discord_failure_at_set_time_refuses_the_write_with_a_clear_error() {
    let (world, outage) = attacked().await;
    outage.store(true, Ordering::SeqCst);
    let mut client = world.client();
    let answer = config_set(&mut client, 911_000_000_000_000_001, KEY, OURS).await;
    assert!(answer.starts_with("Nothing was changed."), "{answer}");
    assert!(answer.contains("Discord could not confirm"), "{answer}");
    assert!(keys_under(&world, "config/").is_empty());
}

#[tokio::test]
async fn attack_2_another_servers_channel_is_refused_from_the_api() {
    let (world, _) = attacked().await;
    let mut client = world.client();
    let signed_in = client
        .send(
            "POST",
            "/api/v1/auth/discord",
            &[("content-type", "application/json")],
            json!({"code": "code-admin", "guild_id": GUILD}).to_string(),
        )
        .await
        .unwrap();
    assert_eq!(signed_in.status, 200, "{}", signed_in.text());
    let token = signed_in.json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {token}");
    let patch = |channel: &str| {
        json!({"patch": {"notifications": {"events": {"entry_ready": {"channel_id": channel}}}},
               "expected_version": 0})
        .to_string()
    };
    let path = format!("/api/v1/guilds/{GUILD}/config");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
    ];
    let refused = client
        .send("PATCH", &path, &headers, patch(THEIRS))
        .await
        .unwrap();
    assert_eq!(refused.status, 400, "{}", refused.text());
    let message = refused.json().unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains(KEY) && message.contains("another Discord server"),
        "{message}"
    );
    assert!(
        keys_under(&world, "config/").is_empty(),
        "nothing was saved"
    );
    let accepted = client
        .send("PATCH", &path, &headers, patch(OURS))
        .await
        .unwrap();
    assert_eq!(accepted.status, 200, "{}", accepted.text());
}

#[tokio::test]
async fn attack_2_the_deployment_wide_overrides_set_no_channel() {
    let (builder, discord, kaltura) = crate::support::configured().await;
    let app = builder
        .variable("gateway_admin_token", ADMIN_TOKEN)
        .start()
        .await
        .unwrap();
    let world = World {
        app,
        discord,
        kaltura,
    };
    let body = json!({"patch": {"notifications": {"events": {"meeting_start": {"channel_id": OURS}}}},
                      "expected_version": 0});
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let response = world
        .client()
        .send(
            "PATCH",
            "/api/v1/deployment/config",
            &[
                ("content-type", "application/json"),
                ("authorization", &bearer),
            ],
            body.to_string(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(response
        .text()
        .contains("channels are chosen by each server"));
    assert!(keys_under(&world, "config/").is_empty());
}

#[tokio::test]
async fn attack_2_an_event_is_never_posted_into_another_servers_channel() {
    let (world, _) = attacked().await;
    // Stored before channels were checked: GUILD's entry_ready goes to THEIRS.
    seed_guild(
        &world,
        json!({"notifications": {"events": {"entry_ready": {"channel_id": THEIRS}}},
               "kaltura": {"category_ids": [12]}}),
    );
    let body = format!("entry_id=0_abc123&entry_name=Lecture&entry_status=2&kd_guild_id={GUILD}&kd_category_ids=12&event_notification_job_id=77001");
    let signature = kaltura_sign(body.as_bytes());
    let response = webhook(
        &world,
        "/webhooks/kaltura",
        body.clone().into_bytes(),
        &signature,
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json().unwrap();
    assert_eq!(
        answer["deliveries"][0]["outcome"], "undeliverable",
        "{answer}"
    );
    let detail = answer["deliveries"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("belongs to server {OTHER_GUILD}")),
        "{detail}"
    );
    assert!(
        posted_messages(&world).is_empty(),
        "nothing was posted anywhere"
    );
    let audit =
        crate::support::document(&world.app.store(), &format!("notify/v1/audit/{GUILD}")).unwrap();
    let audit: Value = serde_json::from_slice(&audit).unwrap();
    assert_eq!(audit["entries"][0]["outcome"], "undeliverable");
    assert_eq!(audit["entries"][0]["channel_id"], THEIRS);
    // Refused for good: Kaltura's redelivery is a duplicate, not a retry.
    let again = webhook(&world, "/webhooks/kaltura", body.into_bytes(), &signature).await;
    assert_eq!(again.json().unwrap()["status"], "duplicate");
    assert_eq!(
        received(&world, "GET", &format!("/channels/{THEIRS}")).len(),
        1
    );
    assert!(posted_messages(&world).is_empty());
}

// ---------------------------------------------------------------------------------
// Attack 3: webhook length extension and field smuggling
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn attack_3_a_length_extended_notification_is_refused_and_posts_nothing() {
    let (world, _) = attacked().await;
    seed_guild(
        &world,
        json!({"notifications": {"events": {"entry_ready": {"channel_id": OURS}}}}),
    );
    // One genuine notification, signed by Kaltura: an entry that is not ready.
    let original = b"entry_id=0_abc123&entry_name=Lecture&entry_status=1".to_vec();
    let signature = kaltura_sign(&original);
    let genuine = webhook(&world, "/webhooks/kaltura", original.clone(), &signature).await;
    assert_eq!(genuine.status, 200, "{}", genuine.text());
    assert_eq!(genuine.json().unwrap()["status"], "ignored");

    // The attacker, who holds that body and its signature (not the secret), appends
    // routing fields and computes their signature.
    let appended = format!("&kd_guild_id={GUILD}&kd_event=entry_ready");
    let (glue, forged) = sha256_extend(
        &signature,
        KALTURA_ADMIN_SECRET.len() + original.len(),
        appended.as_bytes(),
    );
    let extended = [original.as_slice(), &glue, appended.as_bytes()].concat();
    assert!(glue.starts_with(&[0x80]) && glue.contains(&0));
    assert_eq!(
        forged,
        kaltura_sign(&extended),
        "the forged signature is valid: Kaltura's own scheme accepts it"
    );

    let response = webhook(&world, "/webhooks/kaltura", extended, &forged).await;
    assert_eq!(response.status, 400, "{}", response.text());
    let error = &response.json().unwrap()["error"];
    assert_eq!(error["code"], "bad_request");
    assert!(
        error["message"].as_str().unwrap().contains("control byte"),
        "{error}"
    );
    assert!(posted_messages(&world).is_empty(), "nothing was delivered");
    assert!(
        keys_under(&world, "notify/").is_empty(),
        "nothing was recorded"
    );
}

#[tokio::test]
async fn attack_3_a_signed_body_naming_a_field_twice_is_refused() {
    let (world, _) = attacked().await;
    seed_guild(
        &world,
        json!({"notifications": {"events": {"entry_ready": {"channel_id": OURS}}}}),
    );
    let body = format!(
        "entry_id=0_abc123&entry_name=Lecture&entry_status=2&kd_event=entry_ready&kd_guild_id={OTHER_GUILD}&kd_guild_id={GUILD}"
    );
    let signature = kaltura_sign(body.as_bytes());
    let response = webhook(&world, "/webhooks/kaltura", body.into_bytes(), &signature).await;
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(response
        .text()
        .contains("field `kd_guild_id` is given more than once"));
    assert!(posted_messages(&world).is_empty());
    assert!(keys_under(&world, "notify/").is_empty());
}

#[tokio::test]
async fn attack_3_the_unsigned_url_routes_nothing() {
    let (world, _) = attacked().await;
    seed_guild(
        &world,
        json!({"notifications": {"events": {"entry_ready": {"channel_id": OURS}}},
               "kaltura": {"category_ids": [12]}}),
    );
    // A genuine API-object notification that names no server.
    let body = json!({"objectType": "KalturaHttpNotification", "eventType": "3",
        "eventObjectType": "1", "eventNotificationJobId": "77002",
        "templateSystemName": "HTTP_ENTRY_STATUS_CHANGED",
        "object": {"objectType": "KalturaMediaEntry", "id": "0_abc123", "name": "Lecture",
                   "status": 2, "categoriesIds": "12"}})
    .to_string();
    let signature = kaltura_sign(body.as_bytes());
    let path = format!("/webhooks/kaltura?guild={GUILD}");
    let response = webhook(&world, &path, body.into_bytes(), &signature).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json().unwrap();
    assert_eq!(answer["status"], "not_routed", "{answer}");
    assert!(answer["reason"]
        .as_str()
        .unwrap()
        .contains("?guild= is not read"));
    assert!(posted_messages(&world).is_empty());
}

// ---------------------------------------------------------------------------------
// Attack 5: replayed interactions
// ---------------------------------------------------------------------------------

fn start_meeting() -> Value {
    json!({"id": "700000000000000002", "name": "kaltura-start", "type": 1, "options": [
        {"name": "type", "type": 3, "value": "meeting"},
        {"name": "title", "type": 3, "value": "Standup"}]})
}

fn rooms_created(world: &World) -> usize {
    world
        .kaltura
        .received()
        .iter()
        .filter(|r| r.path == "/api_v3/service/schedule_scheduleresource/action/add")
        .count()
}

fn already_handled(response: &TestResponse) -> bool {
    let value = response.json().unwrap();
    value["type"] == 4
        && value["data"]["flags"] == 64
        && value["data"]["content"]
            == "This interaction was already handled, so nothing was done again."
}

#[tokio::test]
async fn attack_5_a_replayed_kaltura_start_creates_one_room() {
    let (world, _) = attacked().await;
    let mut client = world.client();
    let payload = json!({
        "type": 2, "id": "912000000000000001", "application_id": APP, "token": "itok-912",
        "version": 1, "guild_id": GUILD, "channel_id": OURS,
        "member": {"user": {"id": ADMIN, "username": "alan"}, "roles": [], "permissions": "8"},
        "data": start_meeting()
    })
    .to_string();
    let timestamp = now();
    let first = signed_interaction(&mut client, &payload, &timestamp).await;
    assert_eq!(
        first.json().unwrap(),
        json!({"type": 5, "data": {"flags": 64}})
    );
    world.app.idle(Duration::from_secs(20)).await.unwrap();
    assert_eq!(rooms_created(&world), 1);

    for _ in 0..2 {
        let replay = signed_interaction(&mut client, &payload, &timestamp).await;
        assert_eq!(replay.status, 200);
        assert!(already_handled(&replay), "{}", replay.text());
    }
    world.app.idle(Duration::from_secs(20)).await.unwrap();
    assert_eq!(rooms_created(&world), 1, "the replays created no room");
    assert_eq!(received(&world, "PATCH", "/messages/@original").len(), 1);
    assert!(world
        .app
        .logs()
        .contains("interaction 912000000000000001 arrived again"));
}

#[tokio::test]
async fn attack_5_two_copies_at_once_create_one_room() {
    let (world, _) = attacked().await;
    let payload = json!({
        "type": 2, "id": "913000000000000001", "application_id": APP, "token": "itok-913",
        "version": 1, "guild_id": GUILD, "channel_id": OURS,
        "member": {"user": {"id": ADMIN, "username": "alan"}, "roles": [], "permissions": "8"},
        "data": start_meeting()
    })
    .to_string();
    let timestamp = now();
    let (mut one, mut two) = (world.client(), world.client());
    let (a, b) = tokio::join!(
        signed_interaction(&mut one, &payload, &timestamp),
        signed_interaction(&mut two, &payload, &timestamp)
    );
    world.app.idle(Duration::from_secs(20)).await.unwrap();
    assert_eq!(rooms_created(&world), 1);
    assert_eq!(
        [already_handled(&a), already_handled(&b)]
            .iter()
            .filter(|replayed| **replayed)
            .count(),
        1,
        "{} / {}",
        a.text(),
        b.text()
    );
}

#[tokio::test]
async fn attack_5_interaction_claims_stay_bounded() {
    let (builder, discord, kaltura) = crate::support::configured().await;
    let app = builder
        .variable("interaction_dedupe_capacity", "100")
        .start()
        .await
        .unwrap();
    let world = World {
        app,
        discord,
        kaltura,
    };
    let mut client = world.client();
    let list = json!({"id": "700000000000000003", "name": "kaltura-list", "type": 1});
    for n in 0..130 {
        let response = interaction(&mut client, 914_000_000_000_000_000 + n, 2, list.clone()).await;
        assert_eq!(response.status, 200);
    }
    let claims = keys_under(&world, "bot/v1/interactions/claim/").len();
    let slots = keys_under(&world, "bot/v1/interactions/slot/").len();
    assert_eq!((claims, slots), (100, 100));
    assert_eq!(keys_under(&world, "bot/").len(), 201);
}
