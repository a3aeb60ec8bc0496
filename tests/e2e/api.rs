//! `/api/v1` end to end: the real gateway composed with the real `identity`, `config`
//! and `kaltura` components, a fake Discord that speaks OAuth2 and REST v10 (token
//! exchange, `/users/@me`, guild members, guilds, roles, channels) and a fake Kaltura.
//! Every documented route is called and its answers are checked against the JSON
//! Schemas of the OpenAPI document the gateway serves. The notifications audit log is
//! filled by a real delivery: a signed Kaltura webhook through `notifications.wasm`.

use crate::support::{configured, World};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use e2e::{Client, FakeResponse, Recorded, TestResponse};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const APPLICATION_ID: &str = "1100000000000000001";
const CLIENT_SECRET: &str = "test-client-secret-not-real";
const BOT_TOKEN: &str = "test-bot-token-not-real";
const SIGNING_SEED: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// The deployment administrator's token (`gateway_admin_token`).
pub(crate) const ADMIN_TOKEN: &str = "test-deployment-admin-token-not-real-0123456789";

/// Server A: Ada is an admin there (a role with ADMINISTRATOR), Bob and Dan plain members.
pub(crate) const GUILD_A: &str = "111111111111111111";
/// Server B: Carl is an admin there; Ada and Bob are not members.
pub(crate) const GUILD_B: &str = "222222222222222222";
const OWNER: &str = "999999999999999999";
pub(crate) const ADA: &str = "333333333333333331";
pub(crate) const BOB: &str = "333333333333333332";
pub(crate) const CARL: &str = "333333333333333333";
/// A third plain member of server A (the browser tests' late joiner).
pub(crate) const DAN: &str = "333333333333333334";
const ADMINS_A: &str = "444444444444444441";
const ADMINS_B: &str = "444444444444444442";
pub(crate) const CHANNEL_A: &str = "555555555555555551";
const CHANNEL_B: &str = "555555555555555552";
/// The id of every message the fake Discord creates.
const MESSAGE: &str = "666666666666666661";

/// The code each user's client gets from Discord, and the Discord token it is worth.
pub(crate) const USERS: [(&str, &str, &str, &str); 4] = [
    ("code-ada", "discord-token-ada", ADA, "ada"),
    ("code-bob", "discord-token-bob", BOB, "bob"),
    ("code-carl", "discord-token-carl", CARL, "carl"),
    ("code-dan", "discord-token-dan", DAN, "dan"),
];

fn member_roles(guild: &str, user: &str) -> Option<Vec<&'static str>> {
    match (guild, user) {
        (GUILD_A, ADA) => Some(vec![ADMINS_A]),
        (GUILD_A, BOB | DAN) => Some(vec![]),
        (GUILD_B, CARL) => Some(vec![ADMINS_B]),
        _ => None,
    }
}

fn discord_json(status: u16, value: Value) -> FakeResponse {
    FakeResponse::json(status, &value)
}

/// Discord as this app sees it: OAuth2 and the REST routes the gateway calls.
pub(crate) fn fake_discord(request: &Recorded) -> FakeResponse {
    let auth = request.header("authorization").unwrap_or_default();
    let path = request.path.split('?').next().unwrap_or_default();
    let unauthorized = || discord_json(401, json!({"message": "401: Unauthorized", "code": 0}));
    if request.method == "POST" && path == "/api/v10/oauth2/token" {
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{APPLICATION_ID}:{CLIENT_SECRET}"))
        );
        if auth != basic {
            return discord_json(401, json!({"error": "invalid_client"}));
        }
        let form = String::from_utf8_lossy(&request.body).into_owned();
        return match USERS.iter().find(|(code, ..)| {
            form.contains(&format!("code={code}&")) || form.ends_with(&format!("code={code}"))
        }) {
            Some((_, token, ..)) => discord_json(
                200,
                json!({"access_token": token, "token_type": "Bearer", "expires_in": 604800,
                       "refresh_token": "discord-refresh-not-real", "scope": "identify"}),
            ),
            None => discord_json(
                400,
                json!({"error": "invalid_grant", "error_description": "Invalid \"code\" in request."}),
            ),
        };
    }
    // Create Message: the notifications service posting a Kaltura event.
    if let Some(channel) = path
        .strip_prefix("/api/v10/channels/")
        .and_then(|rest| rest.strip_suffix("/messages"))
        .filter(|_| request.method == "POST")
    {
        if auth != format!("Bot {BOT_TOKEN}") {
            return unauthorized();
        }
        if ![CHANNEL_A, CHANNEL_B].contains(&channel) {
            return discord_json(404, json!({"message": "Unknown Channel", "code": 10003}));
        }
        return discord_json(
            200,
            json!({"id": MESSAGE, "channel_id": channel, "content": "…"}),
        );
    }
    if request.method != "GET" {
        return discord_json(
            405,
            json!({"message": "405: Method Not Allowed", "code": 0}),
        );
    }
    if path == "/api/v10/users/@me" {
        return match USERS
            .iter()
            .find(|(_, token, ..)| auth == format!("Bearer {token}"))
        {
            Some((_, _, id, name)) => discord_json(
                200,
                json!({"id": id, "username": name, "global_name": null, "avatar": null, "discriminator": "0"}),
            ),
            None => unauthorized(),
        };
    }
    if auth != format!("Bot {BOT_TOKEN}") {
        return unauthorized();
    }
    let parts: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    match parts.as_slice() {
        ["guilds", guild, "members", user] => match member_roles(guild, user) {
            Some(roles) => discord_json(
                200,
                json!({"user": {"id": user, "username": "someone"}, "nick": null, "roles": roles,
                       "joined_at": "2024-01-01T00:00:00+00:00", "deaf": false, "mute": false}),
            ),
            None => discord_json(404, json!({"message": "Unknown Member", "code": 10007})),
        },
        ["guilds", guild] if [GUILD_A, GUILD_B].contains(guild) => discord_json(
            200,
            json!({"id": guild, "name": "Server", "owner_id": OWNER}),
        ),
        ["guilds", guild, "roles"] if [GUILD_A, GUILD_B].contains(guild) => discord_json(
            200,
            json!([
                {"id": guild, "name": "@everyone", "permissions": "2048"},
                {"id": ADMINS_A, "name": "Admins", "permissions": "8"},
                {"id": ADMINS_B, "name": "Admins", "permissions": "8"}
            ]),
        ),
        ["channels", channel] => {
            let guild = match *channel {
                CHANNEL_A => GUILD_A,
                CHANNEL_B => GUILD_B,
                _ => {
                    return discord_json(404, json!({"message": "Unknown Channel", "code": 10003}))
                }
            };
            discord_json(200, json!({"id": channel, "guild_id": guild, "type": 0}))
        }
        _ => discord_json(404, json!({"message": "404: Not Found", "code": 0})),
    }
}

/// The fake Kaltura's media library: id, name, the categories it is in.
pub(crate) const MEDIA: [(&str, &str, u32); 3] = [
    ("0_intro01", "Intro lecture", 7),
    ("0_advanced", "Advanced lecture", 8),
    ("0_welcome", "Welcome video", 7),
];

/// `media.list` over [`MEDIA`]: `freeText` (in the name, any case), `idEqual` and
/// `categoriesIdsMatchOr` as Kaltura applies them.
fn media_list(filter: &Value) -> FakeResponse {
    let text = filter["freeText"].as_str().map(str::to_lowercase);
    let categories: Option<Vec<u32>> = filter["categoriesIdsMatchOr"]
        .as_str()
        .map(|ids| ids.split(',').filter_map(|id| id.parse().ok()).collect());
    let objects: Vec<Value> = MEDIA
        .iter()
        .filter(|(id, name, category)| {
            text.as_ref()
                .is_none_or(|t| name.to_lowercase().contains(t))
                && filter["idEqual"]
                    .as_str()
                    .is_none_or(|wanted| wanted == *id)
                && categories.as_ref().is_none_or(|c| c.contains(category))
        })
        .map(|(id, name, _)| {
            json!({"id": id, "name": name, "status": "2", "mediaType": 1, "duration": 125,
                   "thumbnailUrl": format!("https://cdn.test/thumbnail/entry_id/{id}"),
                   "createdAt": 1700000000, "objectType": "KalturaMediaEntry"})
        })
        .collect();
    FakeResponse::json(
        200,
        &json!({"objects": objects.clone(), "totalCount": objects.len(),
                "objectType": "KalturaMediaListResponse"}),
    )
}

/// Kaltura as the meetings and videos need it: rooms are created and deleted; media
/// are listed.
pub(crate) fn fake_kaltura() -> impl Fn(&Recorded) -> FakeResponse + Send + Sync + 'static {
    let next = Arc::new(AtomicU64::new(1000));
    move |request| {
        let body: Value = request.json().unwrap_or(Value::Null);
        let path = request.path.as_str();
        if path.starts_with("/api_v3/service/system/action/ping") {
            return FakeResponse::json(200, &json!(true));
        }
        if path.starts_with("/api_v3/service/media/action/list") {
            return media_list(&body["filter"]);
        }
        if path.starts_with("/api_v3/service/schedule_scheduleresource/action/add") {
            let id = next.fetch_add(1, Ordering::SeqCst);
            let room = &body["scheduleResource"];
            return FakeResponse::json(
                200,
                &json!({"id": id, "partnerId": 1234567, "name": room["name"], "status": 2,
                        "tags": room["tags"], "createdAt": 1700000000,
                        "objectType": "KalturaLocationScheduleResource"}),
            );
        }
        if path.starts_with("/api_v3/service/multirequest") {
            let mut answers: Vec<Value> = Vec::new();
            for n in 1.. {
                let Some(call) = body.get(n.to_string()) else {
                    break;
                };
                // `{N:result:id}` names the id of an earlier answer.
                let id_of = |value: &Value| match value.as_str() {
                    Some(reference) => reference
                        .trim_start_matches('{')
                        .split(':')
                        .next()
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|n| answers.get(n - 1))
                        .map_or(Value::Null, |answer| answer["id"].clone()),
                    None => value.clone(),
                };
                let service = call["service"].as_str().unwrap_or_default();
                let action = call["action"].as_str().unwrap_or_default();
                let answer = match (service, action) {
                    // A scheduled meeting: its room, its event and the link between them.
                    ("schedule_scheduleresource", "add") => {
                        let room = &call["scheduleResource"];
                        json!({"id": next.fetch_add(1, Ordering::SeqCst), "partnerId": 1234567,
                               "name": room["name"], "status": 2, "tags": room["tags"],
                               "createdAt": 1700000000,
                               "objectType": "KalturaLocationScheduleResource"})
                    }
                    ("schedule_scheduleevent", "add") => {
                        let event = &call["scheduleEvent"];
                        json!({"id": next.fetch_add(1, Ordering::SeqCst), "partnerId": 1234567,
                               "summary": event["summary"], "status": 2,
                               "startDate": event["startDate"], "endDate": event["endDate"],
                               "objectType": "KalturaRecordScheduleEvent"})
                    }
                    ("schedule_scheduleeventresource", "add") => {
                        let link = &call["scheduleEventResource"];
                        json!({"eventId": id_of(&link["eventId"]),
                               "resourceId": id_of(&link["resourceId"]), "partnerId": 1234567,
                               "objectType": "KalturaScheduleEventResource"})
                    }
                    ("schedule_scheduleevent", "cancel") => {
                        json!({"id": call["scheduleEventId"], "status": 1,
                               "objectType": "KalturaRecordScheduleEvent"})
                    }
                    // Ending: the room is deleted.
                    _ => json!({"id": call["scheduleResourceId"], "status": 3,
                                "objectType": "KalturaLocationScheduleResource"}),
                };
                answers.push(answer);
            }
            return FakeResponse::json(200, &Value::Array(answers));
        }
        FakeResponse::json(
            200,
            &json!({"code": "SERVICE_DOES_NOT_EXISTS", "message": "not scripted",
                    "objectType": "KalturaAPIException", "args": {}}),
        )
    }
}

/// A running app with the fakes scripted; `extra` sets more variables.
pub(crate) async fn api_world(extra: &[(&str, &str)]) -> World {
    let (mut builder, discord, kaltura) = configured().await;
    builder = builder.variable("discord_client_secret", CLIENT_SECRET);
    for (name, value) in extra {
        builder = builder.variable(name, *value);
    }
    discord.respond_with(fake_discord);
    kaltura.respond_with(fake_kaltura());
    let app = builder.start().await.expect("app starts");
    World {
        app,
        discord,
        kaltura,
    }
}

pub(crate) async fn call(
    client: &mut Client,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> TestResponse {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    client.send(method, path, &headers, body).await.unwrap()
}

async fn sign_in(client: &mut Client, code: &str, guild: &str) -> TestResponse {
    call(
        client,
        "POST",
        "/api/v1/auth/discord",
        None,
        Some(json!({"code": code, "guild_id": guild})),
    )
    .await
}

/// Signs in and returns the access token.
pub(crate) async fn token_of(client: &mut Client, code: &str, guild: &str) -> String {
    let response = sign_in(client, code, guild).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn create_meeting(
    client: &mut Client,
    token: &str,
    channel: &str,
) -> TestResponse {
    call(
        client,
        "POST",
        "/api/v1/meetings",
        Some(token),
        Some(json!({"kind": "meeting", "title": "Weekly sync", "channel_id": channel})),
    )
    .await
}

/// The OpenAPI document, and which of its operations were checked.
struct Contract {
    document: Value,
    checked: RefCell<BTreeSet<(String, String)>>,
}

impl Contract {
    async fn fetch(client: &mut Client) -> Self {
        let response = client.get("/api/v1/openapi.json").await.unwrap();
        assert_eq!(response.status, 200);
        let contract = Self {
            document: response.json().unwrap(),
            checked: RefCell::new(BTreeSet::new()),
        };
        contract.check("GET", "/api/v1/openapi.json", &response);
        contract
    }

    fn operations(&self) -> BTreeSet<(String, String)> {
        let mut all = BTreeSet::new();
        for (path, item) in self.document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                all.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
        all
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value["$ref"].as_str() {
            Some(reference) => self
                .document
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{reference} does not resolve")),
            None => value,
        }
    }

    /// Checks a response of `method path` (the documented path template) against the
    /// document: a documented status (success statuses explicitly), the body against
    /// the status's schema (or empty when it has none), and every documented header.
    fn check(&self, method: &str, template: &str, response: &TestResponse) {
        let operation = &self.document["paths"][template][method.to_ascii_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is not documented"
        );
        let status = response.status.to_string();
        let responses = &operation["responses"];
        if response.status < 400 {
            assert!(
                responses.get(&status).is_some(),
                "{method} {template} answered {status}, which is not documented: {}",
                response.text()
            );
        }
        let documented = self.resolve(responses.get(&status).unwrap_or(&responses["default"]));
        assert!(documented.is_object(), "{method} {template} {status}");
        for (name, _) in documented["headers"].as_object().into_iter().flatten() {
            assert!(
                response.header(name).is_some(),
                "{method} {template} {status}: header {name} is documented but missing"
            );
        }
        match documented["content"]["application/json"].get("schema") {
            Some(schema) => {
                let mut root = schema.clone();
                root["components"] = self.document["components"].clone();
                let validator = jsonschema::draft202012::new(&root).expect("a valid schema");
                let body = response.json().unwrap();
                let errors: Vec<String> = validator
                    .iter_errors(&body)
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{method} {template} {status}: {errors:?}\n{body:#}"
                );
            }
            None => assert!(
                response.body.is_empty(),
                "{method} {template} {status}: no body is documented"
            ),
        }
        self.checked
            .borrow_mut()
            .insert((method.to_owned(), template.to_owned()));
    }
}

#[tokio::test]
async fn every_documented_route_answers_as_the_document_says() {
    let world = api_world(&[
        ("gateway_admin_token", ADMIN_TOKEN),
        ("kaltura_player_uiconf_id", "4711"),
        ("events_key_wrap_secret", crate::events::WRAP_SECRET),
        ("events_allow_http", "true"),
        ("events_allow_private_destinations", "true"),
    ])
    .await;
    let mut client = world.client();
    let c = Contract::fetch(&mut client).await;

    let r = client.get("/api/v1/health").await.unwrap();
    c.check("GET", "/api/v1/health", &r);
    let r = client.get("/api/v1/ready").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("GET", "/api/v1/ready", &r);

    // Sign in, refresh, and who am I.
    let r = sign_in(&mut client, "code-ada", GUILD_A).await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("POST", "/api/v1/auth/discord", &r);
    let tokens = r.json().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let r = call(
        &mut client,
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("POST", "/api/v1/auth/refresh", &r);
    let refreshed = r.json().unwrap();
    let ada = refreshed["access_token"].as_str().unwrap().to_owned();
    let r = call(&mut client, "GET", "/api/v1/me", Some(&ada), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json().unwrap()["role"], "admin");
    c.check("GET", "/api/v1/me", &r);

    // Meetings.
    let r = create_meeting(&mut client, &ada, CHANNEL_A).await;
    assert_eq!(r.status, 201, "{}", r.text());
    c.check("POST", "/api/v1/meetings", &r);
    let id = r.json().unwrap()["id"].as_str().unwrap().to_owned();
    let r = call(&mut client, "GET", "/api/v1/meetings", Some(&ada), None).await;
    assert_eq!(r.json().unwrap()["meetings"][0]["id"], id.as_str());
    c.check("GET", "/api/v1/meetings", &r);
    let r = call(
        &mut client,
        "GET",
        &format!("/api/v1/meetings/{id}"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    c.check("GET", "/api/v1/meetings/{meeting_id}", &r);
    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{id}/join"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json().unwrap()["url"]
        .as_str()
        .unwrap()
        .contains("/virtualEvent/launch?ks="));
    c.check("POST", "/api/v1/meetings/{meeting_id}/join", &r);

    // The server's configuration and its audit log.
    let config = format!("/api/v1/guilds/{GUILD_A}/config");
    let r = call(&mut client, "GET", &config, Some(&ada), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("GET", "/api/v1/guilds/{guild_id}/config", &r);
    let version = r.json().unwrap()["version"].as_u64().unwrap();
    let r = call(
        &mut client,
        "PATCH",
        &config,
        Some(&ada),
        Some(json!({"patch": {"features": {"activity": true}}, "expected_version": version})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("PATCH", "/api/v1/guilds/{guild_id}/config", &r);
    let r = call(
        &mut client,
        "POST",
        &format!("{config}/reset"),
        Some(&ada),
        Some(json!({"section": "features"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("POST", "/api/v1/guilds/{guild_id}/config/reset", &r);
    let r = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/audit-log?limit=10"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let entries = r.json().unwrap()["entries"].as_array().unwrap().len();
    assert_eq!(entries, 2, "the patch and the reset");
    c.check("GET", "/api/v1/guilds/{guild_id}/audit-log", &r);

    // The meeting starts in Kaltura: the notifications service posts it in the meeting's
    // channel and audits the delivery; the gateway serves that audit log.
    let r = crate::notifications::signed(
        &world,
        &format!("kd_event=meeting_start&kd_meeting_id={id}"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let posted: Vec<String> = world
        .discord
        .received()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(posted, [format!("/api/v10/channels/{CHANNEL_A}/messages")]);
    let notifications = format!("/api/v1/guilds/{GUILD_A}/notifications/audit-log");
    let r = call(
        &mut client,
        "GET",
        &format!("{notifications}?limit=10"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let log = r.json().unwrap();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["event"], "meeting_start");
    assert_eq!(entries[0]["outcome"], "delivered");
    assert_eq!(entries[0]["channel_id"], CHANNEL_A);
    assert_eq!(entries[0]["kaltura_id"], id.as_str());
    assert_eq!(entries[0]["message_id"], MESSAGE);
    assert_eq!(entries[0]["attempts"][0]["status"], 200);
    c.check(
        "GET",
        "/api/v1/guilds/{guild_id}/notifications/audit-log",
        &r,
    );
    let r = call(
        &mut client,
        "GET",
        &format!("{notifications}?limit=0"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    c.check(
        "GET",
        "/api/v1/guilds/{guild_id}/notifications/audit-log",
        &r,
    );

    // API keys.
    let keys = format!("/api/v1/guilds/{GUILD_A}/api-keys");
    let r = call(
        &mut client,
        "POST",
        &keys,
        Some(&ada),
        Some(json!({"label": "dashboard", "scopes": ["meetings:read"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    c.check("POST", "/api/v1/guilds/{guild_id}/api-keys", &r);
    let key_id = r.json().unwrap()["id"].as_str().unwrap().to_owned();
    let r = call(&mut client, "GET", &keys, Some(&ada), None).await;
    assert_eq!(r.status, 200);
    c.check("GET", "/api/v1/guilds/{guild_id}/api-keys", &r);
    let r = call(
        &mut client,
        "DELETE",
        &format!("{keys}/{key_id}"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    c.check("DELETE", "/api/v1/guilds/{guild_id}/api-keys/{key_id}", &r);

    // Event subscriptions (the destination is never reached: no allowed outbound host).
    let subs = format!("/api/v1/guilds/{GUILD_A}/subscriptions");
    let r = call(
        &mut client,
        "POST",
        &subs,
        Some(&ada),
        Some(json!({"url": "http://127.0.0.1:9/hook", "event_types": ["meeting.created"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    c.check("POST", "/api/v1/guilds/{guild_id}/subscriptions", &r);
    let sub_id = r.json().unwrap()["id"].as_str().unwrap().to_owned();
    let sub = format!("{subs}/{sub_id}");
    for (method, path, template) in [
        (
            "GET",
            subs.clone(),
            "/api/v1/guilds/{guild_id}/subscriptions",
        ),
        (
            "GET",
            sub.clone(),
            "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}",
        ),
        (
            "GET",
            format!("{sub}/deliveries"),
            "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}/deliveries",
        ),
        (
            "POST",
            format!("{sub}/pause"),
            "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}/pause",
        ),
        (
            "POST",
            format!("{sub}/resume"),
            "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}/resume",
        ),
    ] {
        let r = call(&mut client, method, &path, Some(&ada), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        c.check(method, template, &r);
    }
    let r = call(&mut client, "DELETE", &sub, Some(&ada), None).await;
    assert_eq!(r.status, 204, "{}", r.text());
    c.check(
        "DELETE",
        "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}",
        &r,
    );
    let r = call(&mut client, "GET", &sub, Some(&ada), None).await;
    assert_eq!(r.status, 404, "{}", r.text());
    c.check(
        "GET",
        "/api/v1/guilds/{guild_id}/subscriptions/{subscription_id}",
        &r,
    );
    let r = call(
        &mut client,
        "POST",
        "/api/v1/deployment/events/pump",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("POST", "/api/v1/deployment/events/pump", &r);

    // The deployment-wide overrides, for the deployment's administrator.
    let deployment = "/api/v1/deployment/config";
    let r = call(&mut client, "GET", deployment, Some(ADMIN_TOKEN), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"0\""));
    c.check("GET", "/api/v1/deployment/config", &r);
    let r = call(
        &mut client,
        "PATCH",
        deployment,
        Some(ADMIN_TOKEN),
        Some(json!({"patch": {"features": {"recording_notices": false}}, "expected_version": 0})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("PATCH", "/api/v1/deployment/config", &r);
    let r = call(
        &mut client,
        "GET",
        "/api/v1/deployment/audit-log?limit=10",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json().unwrap()["entries"].as_array().unwrap().len(), 1);
    c.check("GET", "/api/v1/deployment/audit-log", &r);
    let r = call(&mut client, "GET", deployment, Some(&ada), None).await;
    assert_eq!(r.status, 403, "a server's admin is not the deployment's");
    c.check("GET", "/api/v1/deployment/config", &r);

    // End the meeting, then end the session.
    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{id}/end"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json().unwrap()["active"], false);
    c.check("POST", "/api/v1/meetings/{meeting_id}/end", &r);
    let r = call(
        &mut client,
        "POST",
        "/api/v1/auth/revoke",
        None,
        Some(json!({"token": ada})),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    c.check("POST", "/api/v1/auth/revoke", &r);

    // Watching together: the clock, the Activity's start, its sign-in and a room.
    let r = client.get("/api/v1/time").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("GET", "/api/v1/time", &r);
    let r = client.get("/api/v1/activity/config").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("GET", "/api/v1/activity/config", &r);
    let r = call(
        &mut client,
        "POST",
        "/api/v1/auth/discord/activity",
        None,
        Some(json!({"code": "code-bob", "guild_id": GUILD_A})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json().unwrap()["discord_access_token"],
        "discord-token-bob"
    );
    c.check("POST", "/api/v1/auth/discord/activity", &r);
    let bob = r.json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = call(
        &mut client,
        "POST",
        "/api/v1/media/0_intro01/playback",
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("POST", "/api/v1/media/{entry_id}/playback", &r);
    let room = "/api/v1/watch/rooms/c-1";
    let r = call(
        &mut client,
        "POST",
        &format!("{room}/join"),
        Some(&bob),
        Some(json!({"entry_id": "0_abc123"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("POST", "/api/v1/watch/rooms/{room}/join", &r);
    let version = r.json().unwrap()["version"].as_u64().unwrap();
    let r = call(
        &mut client,
        "GET",
        &format!("{room}?after={version}&wait_ms=200"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("GET", "/api/v1/watch/rooms/{room}", &r);
    let r = call(
        &mut client,
        "POST",
        &format!("{room}/control"),
        Some(&bob),
        Some(json!({"action": "play", "position_ms": 0, "expected_version": version})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("POST", "/api/v1/watch/rooms/{room}/control", &r);
    let r = call(
        &mut client,
        "POST",
        &format!("{room}/host"),
        Some(&bob),
        Some(json!({"user_id": BOB})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("POST", "/api/v1/watch/rooms/{room}/host", &r);
    let r = call(
        &mut client,
        "POST",
        &format!("{room}/leave"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    c.check("POST", "/api/v1/watch/rooms/{room}/leave", &r);

    // Errors are documented too.
    let r = call(&mut client, "GET", "/api/v1/meetings", Some(&ada), None).await;
    assert_eq!(r.status, 401);
    c.check("GET", "/api/v1/meetings", &r);
    let r = call(&mut client, "GET", "/api/v1/meetings/1", None, None).await;
    assert_eq!(r.status, 401);
    c.check("GET", "/api/v1/meetings/{meeting_id}", &r);

    assert_eq!(
        *c.checked.borrow(),
        c.operations(),
        "every documented operation is checked"
    );
}

#[tokio::test]
async fn signing_in_proves_identity_and_roles_with_discord_and_leaks_no_secret() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let r = sign_in(&mut client, "code-ada", GUILD_A).await;
    let body = r.json().unwrap();
    assert_eq!(r.status, 200, "{body}");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["guild_id"], GUILD_A);
    assert_eq!(body["role"], "admin", "the Admins role has ADMINISTRATOR");
    assert_eq!(body["scopes"].as_array().unwrap().len(), 8);
    assert_eq!(body["user"]["id"], ADA);
    assert_eq!(body["user"]["kaltura_user_id"], format!("discord-{ADA}"));
    let access = body["access_token"].as_str().unwrap();
    assert!(access.starts_with("kd1."));

    let received = world.discord.received();
    let calls: Vec<String> = received
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(calls[0], "POST /api/v10/oauth2/token");
    assert_eq!(calls[1], "GET /api/v10/users/@me");
    let mut bot_calls = calls[2..].to_vec();
    bot_calls.sort();
    assert_eq!(
        bot_calls,
        [
            format!("GET /api/v10/guilds/{GUILD_A}"),
            format!("GET /api/v10/guilds/{GUILD_A}/members/{ADA}"),
            format!("GET /api/v10/guilds/{GUILD_A}/roles"),
        ]
    );
    let form = String::from_utf8_lossy(&received[0].body).into_owned();
    assert_eq!(form, "grant_type=authorization_code&code=code-ada");
    assert_eq!(
        received[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        received[1].header("authorization"),
        Some("Bearer discord-token-ada")
    );
    for bot_call in &received[2..] {
        assert_eq!(
            bot_call.header("authorization"),
            Some(format!("Bot {BOT_TOKEN}").as_str())
        );
        assert!(bot_call
            .header("user-agent")
            .unwrap()
            .starts_with("DiscordBot ("));
    }

    // The token works; nothing secret is in the logs or the store.
    let me = call(&mut client, "GET", "/api/v1/me", Some(access), None).await;
    assert_eq!(me.status, 200);
    let logs = world.app.logs();
    let store: String = world
        .app
        .store()
        .values()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    for secret in [
        CLIENT_SECRET,
        BOT_TOKEN,
        "discord-token-ada",
        "discord-refresh-not-real",
        access,
        SIGNING_SEED,
    ] {
        assert!(!logs.contains(secret), "a secret is in the logs");
        assert!(!store.contains(secret), "a secret is in the store");
        assert!(!me.text().contains(secret));
    }
    assert!(world
        .app
        .store()
        .contains_key(&format!("gateway/v1/member/{GUILD_A}/{ADA}")));
}

#[tokio::test]
async fn nobody_gets_a_token_without_proving_who_they_are() {
    let world = api_world(&[]).await;
    let mut client = world.client();

    // A made-up code: Discord refuses it, no token.
    let r = sign_in(&mut client, "made-up-code", GUILD_A).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json().unwrap()["error"]["code"], "invalid_grant");
    assert!(r.json().unwrap().get("access_token").is_none());
    assert_eq!(
        world.discord.received().len(),
        1,
        "nothing after the refused exchange"
    );

    // A real user who is not a member of the server named: no token.
    let r = sign_in(&mut client, "code-ada", GUILD_B).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json().unwrap()["error"]["code"], "not_a_member");

    // Roles, permissions and scopes the client sends are ignored.
    let r = call(
        &mut client,
        "POST",
        "/api/v1/auth/discord",
        None,
        Some(json!({"code": "code-bob", "guild_id": GUILD_A, "roles": [ADMINS_A],
                    "permissions": "8", "role": "admin", "scopes": ["keys:manage"], "user_id": ADA})),
    )
    .await;
    let body = r.json().unwrap();
    assert_eq!(r.status, 200, "{body}");
    assert_eq!(body["role"], "viewer");
    assert_eq!(body["scopes"], json!(["meetings:read", "media:read"]));
    assert_eq!(body["user"]["id"], BOB);
    let bob = body["access_token"].as_str().unwrap();
    let r = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/config"),
        Some(bob),
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json().unwrap()["error"]["code"], "insufficient_scope");
    let r = create_meeting(&mut client, bob, CHANNEL_A).await;
    assert_eq!(r.status, 403);

    // Nothing at all without a credential.
    for (method, path) in [
        ("GET", "/api/v1/meetings".to_owned()),
        ("GET", "/api/v1/me".to_owned()),
        ("GET", format!("/api/v1/guilds/{GUILD_A}/config")),
        ("POST", format!("/api/v1/guilds/{GUILD_A}/api-keys")),
    ] {
        let r = call(&mut client, method, &path, None, Some(json!({}))).await;
        assert_eq!(r.status, 401, "{method} {path}");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Bearer realm=\"kaltura-discord\"")
        );
    }
}

/// Re-signs a token's claims after `edit`, with `seed` (the documented format:
/// `kd1.<base64url claims>.<base64url Ed25519 signature of "kd1.<claims>">`).
fn resign(token: &str, seed_hex: &str, edit: impl FnOnce(&mut Value)) -> String {
    use ed25519_dalek::{Signer, SigningKey};
    let claims = token.split('.').nth(1).unwrap();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    edit(&mut claims);
    let signed = format!(
        "kd1.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
    );
    let seed: [u8; 32] = hex::decode(seed_hex).unwrap().try_into().unwrap();
    let signature = SigningKey::from_bytes(&seed).sign(signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

#[tokio::test]
async fn forged_expired_revoked_and_wrong_server_tokens_are_refused() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let bob = token_of(&mut client, "code-bob", GUILD_A).await;
    assert_eq!(
        call(&mut client, "GET", "/api/v1/me", Some(&bob), None)
            .await
            .status,
        200
    );
    let resigned = resign(&bob, SIGNING_SEED, |_| {});
    let r = call(&mut client, "GET", "/api/v1/me", Some(&resigned), None).await;
    assert_eq!(
        r.status,
        200,
        "the test signs as the service does: {}",
        r.text()
    );

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let promoted = |claims: &mut Value| {
        claims["role"] = json!("admin");
        claims["scopes"] = json!([
            "meetings:read",
            "meetings:write",
            "config:read",
            "config:write",
            "audit:read",
            "keys:manage"
        ]);
    };
    let forged_claims = {
        let (signed, signature) = bob.rsplit_once('.').unwrap();
        let (_, claims) = signed.split_once('.').unwrap();
        let mut json: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        promoted(&mut json);
        format!(
            "kd1.{}.{signature}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json).unwrap())
        )
    };
    let other_key = resign(&bob, &"b".repeat(64), promoted);
    let expired = resign(&bob, SIGNING_SEED, |claims| {
        claims["iat"] = json!(now - 7200);
        claims["exp"] = json!(now - 3600);
    });
    let mut tampered_signature = bob.clone();
    let last = tampered_signature.pop().unwrap();
    tampered_signature.push(if last == 'A' { 'B' } else { 'A' });

    for (what, token) in [
        ("claims changed, signature kept", forged_claims.as_str()),
        ("signed with another key", other_key.as_str()),
        ("expired", expired.as_str()),
        ("signature changed", tampered_signature.as_str()),
        ("not a token", "hello"),
        (
            "an API key that does not exist",
            "kdk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
    ] {
        let r = call(
            &mut client,
            "GET",
            &format!("/api/v1/guilds/{GUILD_A}/config"),
            Some(token),
            None,
        )
        .await;
        assert_eq!(r.status, 401, "{what}: {}", r.text());
        assert!(
            r.header("www-authenticate")
                .unwrap()
                .contains("error=\"invalid_token\""),
            "{what}"
        );
    }

    // Wrong server: Ada's token for A on B's routes.
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let r = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_B}/config"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());

    // Revoked: the session's access and refresh tokens stop working.
    let r = sign_in(&mut client, "code-bob", GUILD_A).await;
    let pair = r.json().unwrap();
    let access = pair["access_token"].as_str().unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap();
    let r = call(
        &mut client,
        "POST",
        "/api/v1/auth/revoke",
        None,
        Some(json!({"token": refresh})),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        call(&mut client, "GET", "/api/v1/me", Some(access), None)
            .await
            .status,
        401
    );
    let r = call(
        &mut client,
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = call(
        &mut client,
        "POST",
        "/api/v1/auth/revoke",
        None,
        Some(json!({"token": forged_claims})),
    )
    .await;
    assert_eq!(r.status, 401, "a forged token cannot be used to revoke");
}

#[tokio::test]
async fn one_servers_admin_cannot_touch_another_server() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let carl = token_of(&mut client, "code-carl", GUILD_B).await;
    let r = create_meeting(&mut client, &ada, CHANNEL_A).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let meeting = r.json().unwrap()["id"].as_str().unwrap().to_owned();

    // Carl, admin of B, against A's resources.
    for (method, path, body) in [
        ("GET", format!("/api/v1/guilds/{GUILD_A}/config"), None),
        (
            "PATCH",
            format!("/api/v1/guilds/{GUILD_A}/config"),
            Some(json!({"patch": {"features": {"activity": true}}, "expected_version": 0})),
        ),
        (
            "POST",
            format!("/api/v1/guilds/{GUILD_A}/config/reset"),
            None,
        ),
        ("GET", format!("/api/v1/guilds/{GUILD_A}/audit-log"), None),
        ("GET", format!("/api/v1/guilds/{GUILD_A}/api-keys"), None),
        (
            "POST",
            format!("/api/v1/guilds/{GUILD_A}/api-keys"),
            Some(json!({"label": "x", "scopes": ["config:write"]})),
        ),
    ] {
        let r = call(&mut client, method, &path, Some(&carl), body).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
    }
    for (method, path) in [
        ("GET", format!("/api/v1/meetings/{meeting}")),
        ("POST", format!("/api/v1/meetings/{meeting}/join")),
        ("POST", format!("/api/v1/meetings/{meeting}/end")),
    ] {
        let r = call(&mut client, method, &path, Some(&carl), None).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text());
    }
    let listed = call(&mut client, "GET", "/api/v1/meetings", Some(&carl), None).await;
    assert_eq!(listed.json().unwrap()["meetings"], json!([]));
    // Nor can B's meetings be announced in A's channels.
    let r = create_meeting(&mut client, &carl, CHANNEL_A).await;
    assert_eq!(r.status, 403, "{}", r.text());

    // A is untouched.
    let r = call(
        &mut client,
        "GET",
        &format!("/api/v1/meetings/{meeting}"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.json().unwrap()["active"], true);
    let r = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/config"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.json().unwrap()["version"], 0);
}

#[tokio::test]
async fn api_keys_act_for_their_server_only_and_stop_when_revoked() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let keys = format!("/api/v1/guilds/{GUILD_A}/api-keys");
    let r = call(
        &mut client,
        "POST",
        &keys,
        Some(&ada),
        Some(json!({"label": "scheduler", "scopes": ["meetings:read", "meetings:write"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json().unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let listed = call(&mut client, "GET", &keys, Some(&ada), None).await;
    assert!(!listed.text().contains(&key), "the key is shown once");

    let r = create_meeting(&mut client, &key, CHANNEL_A).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let meeting = r.json().unwrap();
    assert_eq!(
        meeting["owner_id"], ADA,
        "owned by the member who created the key"
    );
    let meeting = meeting["id"].as_str().unwrap();
    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{meeting}/join"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "join links are for members only");
    let r = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/config"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "a key has only its scopes");

    let r = call(
        &mut client,
        "DELETE",
        &format!("{keys}/{id}"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    let r = call(&mut client, "GET", "/api/v1/meetings", Some(&key), None).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_stale_config_version_is_a_409_and_changes_nothing() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let path = format!("/api/v1/guilds/{GUILD_A}/config");
    let patch = json!({"patch": {"features": {"activity": true}}});
    let r = call(&mut client, "PATCH", &path, Some(&ada), Some(patch.clone())).await;
    assert_eq!(r.status, 428, "a version is required");
    let bearer = format!("Bearer {ada}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
        ("if-match", "\"0\""),
    ];
    let r = client
        .send("PATCH", &path, &headers, patch.to_string())
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"1\""));
    let r = client
        .send(
            "PATCH",
            &path,
            &headers,
            json!({"patch": {"features": {"activity": false}}}).to_string(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 409, "{}", r.text());
    let r = call(&mut client, "GET", &path, Some(&ada), None).await;
    let body = r.json().unwrap();
    assert_eq!(body["version"], 1);
    assert_eq!(body["config"]["features"]["activity"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_twenty_concurrent_writes_of_the_same_config_version_exactly_one_is_accepted() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let path = format!("/api/v1/guilds/{GUILD_A}/config");
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..20 {
        let mut client = world.client();
        let (path, bearer) = (path.clone(), format!("Bearer {ada}"));
        writers.spawn(async move {
            let headers = [
                ("content-type", "application/json"),
                ("authorization", bearer.as_str()),
                ("if-match", "\"0\""),
            ];
            let patch = json!({"patch": {"notifications": {"meeting_share": {"template": format!("writer {n}")}}}});
            let r = client
                .send("PATCH", &path, &headers, patch.to_string())
                .await
                .unwrap();
            (r.status, r.text())
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = writers.join_next().await {
        statuses.push(done.unwrap());
    }
    let accepted = statuses.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(accepted, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|(status, _)| [200, 409].contains(status)),
        "{statuses:?}"
    );
    let r = call(&mut client, "GET", &path, Some(&ada), None).await;
    assert_eq!(r.json().unwrap()["version"], 1);
    let log = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/audit-log"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(log.status, 200, "{}", log.text());
    assert_eq!(log.json().unwrap()["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_deployment_routes_are_unavailable_until_an_administrator_token_is_set() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    for (method, path) in [
        ("GET", "/api/v1/deployment/config"),
        ("PATCH", "/api/v1/deployment/config"),
        ("GET", "/api/v1/deployment/audit-log"),
    ] {
        let r = call(
            &mut client,
            method,
            path,
            Some(ADMIN_TOKEN),
            Some(json!({"patch": {}, "expected_version": 0})),
        )
        .await;
        assert_eq!(r.status, 503, "{method} {path}: {}", r.text());
        let body = r.json().unwrap();
        assert_eq!(body["error"]["code"], "not_configured");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("gateway_admin_token"));
    }
    let r = client.get("/api/v1/ready").await.unwrap();
    assert_eq!(r.status, 200, "the token is optional: {}", r.text());
}

#[tokio::test]
async fn the_deployment_administrator_sets_what_every_server_inherits() {
    let world = api_world(&[("gateway_admin_token", ADMIN_TOKEN)]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let deployment = "/api/v1/deployment/config";
    let guild_config = format!("/api/v1/guilds/{GUILD_A}/config");

    // Server credentials, even a server admin's, are refused on the deployment routes;
    // the administrator's token is refused on the server routes; guesses are 401.
    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/guilds/{GUILD_A}/api-keys"),
        Some(&ada),
        Some(
            json!({"label": "everything", "scopes": ["config:read", "config:write", "audit:read"]}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json().unwrap()["key"].as_str().unwrap().to_owned();
    for credential in [ada.as_str(), key.as_str()] {
        for (method, path) in [
            ("GET", deployment),
            ("PATCH", deployment),
            ("GET", "/api/v1/deployment/audit-log"),
        ] {
            let r = call(
                &mut client,
                method,
                path,
                Some(credential),
                Some(json!({"patch": {"features": {"activity": true}}, "expected_version": 0})),
            )
            .await;
            assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
        }
    }
    for (method, path) in [
        ("GET", "/api/v1/me".to_owned()),
        ("GET", guild_config.clone()),
        ("GET", format!("/api/v1/guilds/{GUILD_A}/audit-log")),
    ] {
        let r = call(&mut client, method, &path, Some(ADMIN_TOKEN), None).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
    }
    for guess in ["not-the-admin-token", "kd1.forged"] {
        let r = call(&mut client, "GET", deployment, Some(guess), None).await;
        assert_eq!(r.status, 401, "{guess}: {}", r.text());
        assert!(r.header("www-authenticate").is_some());
    }

    // Versions work as a server's do: 428 without one, 409 when stale, 400 naming the
    // key and the rule, and a refused write changes nothing.
    let patch = json!({"patch": {
        "features": {"activity": true},
        "kaltura": {"privileges": {"view": "setrole:PLAYBACK_BASE_ROLE"}}
    }});
    let r = call(
        &mut client,
        "PATCH",
        deployment,
        Some(ADMIN_TOKEN),
        Some(patch.clone()),
    )
    .await;
    assert_eq!(r.status, 428, "{}", r.text());
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
        ("if-match", "\"0\""),
    ];
    let r = client
        .send("PATCH", deployment, &headers, patch.to_string())
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"1\""));
    let changed = r.json().unwrap()["changed_keys"].clone();
    assert!(
        changed
            .as_array()
            .unwrap()
            .contains(&json!("features.activity")),
        "{changed}"
    );
    let r = client
        .send(
            "PATCH",
            deployment,
            &headers,
            json!({"patch": {"features": {"activity": false}}}).to_string(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 409, "{}", r.text());
    let r = call(
        &mut client,
        "PATCH",
        deployment,
        Some(ADMIN_TOKEN),
        Some(json!({"patch": {"features": {"activity": "yes"}}, "expected_version": 1})),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let message = r.json().unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("features.activity"), "{message}");
    let r = call(&mut client, "GET", deployment, Some(ADMIN_TOKEN), None).await;
    let body = r.json().unwrap();
    assert_eq!(body["version"], 1);
    assert_eq!(body["overrides"]["features"]["activity"], true);
    assert_eq!(r.header("etag"), Some("\"1\""));

    // Every server inherits it; a server may not set the deployment-only keys.
    let r = call(&mut client, "GET", &guild_config, Some(&ada), None).await;
    let body = r.json().unwrap();
    assert_eq!(body["deployment_version"], 1, "{body}");
    assert_eq!(body["version"], 0);
    assert_eq!(body["config"]["features"]["activity"], true);
    let r = call(
        &mut client,
        "PATCH",
        &guild_config,
        Some(&ada),
        Some(json!({"patch": {"kaltura": {"privileges": {"view": "setrole:PLAYBACK_BASE_ROLE"}}}, "expected_version": 0})),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());

    // The audit log names the administrator, never the token.
    let r = call(
        &mut client,
        "GET",
        "/api/v1/deployment/audit-log?limit=5",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let entries = r.json().unwrap()["entries"].clone();
    assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
    assert_eq!(
        entries[0]["actor"],
        json!({"type": "api_key", "id": "deployment-admin"})
    );
    let store: String = world
        .app
        .store()
        .values()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    assert!(!store.contains(ADMIN_TOKEN), "the token is in the store");
    assert!(
        !world.app.logs().contains(ADMIN_TOKEN),
        "the token is in the logs"
    );
    assert!(!r.text().contains(ADMIN_TOKEN));
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let world = api_world(&[
        ("gateway_rate_limit_per_token", "3"),
        ("gateway_rate_limit_per_address", "8"),
    ])
    .await;
    let mut client = world.client();
    let bob = token_of(&mut client, "code-bob", GUILD_A).await;
    for n in 0..3 {
        let r = call(&mut client, "GET", "/api/v1/meetings", Some(&bob), None).await;
        assert_eq!(r.status, 200, "request {n}: {}", r.text());
    }
    let r = call(&mut client, "GET", "/api/v1/meetings", Some(&bob), None).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json().unwrap()["error"]["code"], "rate_limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(world
        .app
        .store()
        .keys()
        .any(|k| k.starts_with("gateway/v1/rate/session/")));

    // The address: sign-in + 4 token requests so far; 3 more pass, then 429 even
    // without a credential.
    for _ in 0..3 {
        let r = call(&mut client, "GET", "/api/v1/me", Some("kd1.guess"), None).await;
        assert_eq!(r.status, 401);
    }
    let r = call(&mut client, "GET", "/api/v1/me", Some("kd1.guess"), None).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    assert_eq!(client.get("/api/v1/health").await.unwrap().status, 200);
}

#[tokio::test]
async fn meetings_join_links_follow_the_members_part() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let bob = token_of(&mut client, "code-bob", GUILD_A).await;
    let r = create_meeting(&mut client, &ada, CHANNEL_A).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json().unwrap()["id"].as_str().unwrap().to_owned();
    let created = world
        .kaltura
        .received()
        .into_iter()
        .find(|r| r.path.contains("schedule_scheduleresource/action/add"))
        .unwrap();
    assert!(created.json().unwrap()["scheduleResource"]["tags"]
        .as_str()
        .unwrap()
        .contains(&format!("kd-guild:{GUILD_A}")));

    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{id}/join"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json().unwrap()["role"], "attendee");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{id}/join"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.json().unwrap()["role"], "host");
    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{id}/end"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "a viewer may not end another's meeting");
    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{id}/end"),
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = call(
        &mut client,
        "POST",
        &format!("/api/v1/meetings/{id}/join"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 409, "an ended meeting cannot be joined");
    assert!(
        !world.app.logs().contains("ks="),
        "join links are never logged"
    );
}

#[tokio::test]
async fn a_discord_that_does_not_answer_in_time_is_a_502_not_a_hang() {
    let world = api_world(&[("gateway_discord_timeout_ms", "300")]).await;
    world
        .discord
        .respond_with(|request| fake_discord(request).after(std::time::Duration::from_secs(5)));
    let mut client = world.client();
    let started = std::time::Instant::now();
    let r = sign_in(&mut client, "code-ada", GUILD_A).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json().unwrap()["error"]["code"], "discord_unavailable");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "gave up after {:?}",
        started.elapsed()
    );
    assert!(world.app.logs().contains("no answer within 300 ms"));
}

/// Nothing of one request reaches the next on a reused instance: the gateway kept to one
/// instance (WASIp3 under Spin 4: one at a time, kept a minute between requests; the
/// WASIp2 build is never reused, where this holds trivially) serves member A with A's
/// credentials, then member B, another server's admin and a caller without any, and
/// none of them sees anything of A's.
#[tokio::test]
async fn a_reused_instance_shows_nothing_of_one_member_to_the_next() {
    let (builder, discord, kaltura) = configured().await;
    let builder = builder
        .variable("discord_client_secret", CLIENT_SECRET)
        .instance_reuse(e2e::InstanceReuse {
            max_count: 1000,
            max_concurrent: 1,
            idle_timeout: std::time::Duration::from_secs(60),
        });
    discord.respond_with(fake_discord);
    kaltura.respond_with(fake_kaltura());
    let app = builder.start().await.expect("app starts");
    let mut client = Client::new(app.addr());

    // A: Ada, an admin of server A, signs in (her Discord token, her code) and reads.
    let ada = sign_in(&mut client, "code-ada", GUILD_A).await;
    assert_eq!(ada.status, 200, "{}", ada.text());
    let ada_token = ada.json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let ada_refresh = ada.json().unwrap()["refresh_token"]
        .as_str()
        .unwrap_or("no refresh token")
        .to_owned();
    let me = call(&mut client, "GET", "/api/v1/me", Some(&ada_token), None).await;
    assert_eq!(me.status, 200);
    assert!(me.text().contains(ADA));
    let ada_config = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/config"),
        Some(&ada_token),
        None,
    )
    .await;
    assert_eq!(ada_config.status, 200, "{}", ada_config.text());

    // Ada's marks: her id, her tokens, her Discord token and code.
    let marks = [
        ADA,
        ada_token.as_str(),
        ada_refresh.as_str(),
        "discord-token-ada",
        "code-ada",
    ];
    let assert_nothing_of_ada = |what: &str, response: &TestResponse| {
        let text = response.text();
        for mark in marks {
            assert!(!text.contains(mark), "{what} shows {mark}: {text}");
        }
        for (name, value) in &response.headers {
            for mark in marks {
                assert!(!value.contains(mark), "{what}'s header {name} shows {mark}");
            }
        }
    };

    // B: Bob, a member of the same server, signs in and reads after her.
    let bob = sign_in(&mut client, "code-bob", GUILD_A).await;
    assert_eq!(bob.status, 200, "{}", bob.text());
    assert_nothing_of_ada("Bob's sign-in", &bob);
    let bob_token = bob.json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_me = call(&mut client, "GET", "/api/v1/me", Some(&bob_token), None).await;
    assert_eq!(bob_me.status, 200);
    assert!(bob_me.text().contains(BOB));
    assert_nothing_of_ada("Bob's /me", &bob_me);
    // Bob is no admin: Ada's right to the settings did not stay behind for him.
    let bob_config = call(
        &mut client,
        "PATCH",
        &format!("/api/v1/guilds/{GUILD_A}/config"),
        Some(&bob_token),
        Some(json!({"patch": {"features": {"activity": true}}})),
    )
    .await;
    assert_eq!(bob_config.status, 403, "{}", bob_config.text());
    assert_nothing_of_ada("Bob's settings write", &bob_config);

    // Carl, another server's admin, cannot read server A with his own token.
    let carl = token_of(&mut client, "code-carl", GUILD_B).await;
    let carl_reads_a = call(
        &mut client,
        "GET",
        &format!("/api/v1/guilds/{GUILD_A}/config"),
        Some(&carl),
        None,
    )
    .await;
    assert_eq!(carl_reads_a.status, 403, "{}", carl_reads_a.text());
    assert_nothing_of_ada("Carl's read of server A", &carl_reads_a);

    // A caller without credentials gets nothing, whatever came before.
    for path in [
        "/api/v1/me".to_owned(),
        format!("/api/v1/guilds/{GUILD_A}/config"),
        "/api/v1/meetings".to_owned(),
    ] {
        let anonymous = call(&mut client, "GET", &path, None, None).await;
        assert_eq!(anonymous.status, 401, "{path}: {}", anonymous.text());
        assert_nothing_of_ada(&format!("anonymous {path}"), &anonymous);
    }

    // Each sign-in asked Discord with its own member's token, never Ada's again.
    let user_calls: Vec<String> = discord
        .received()
        .iter()
        .filter(|r| r.path == "/api/v10/users/@me")
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(
        user_calls,
        [
            "Bearer discord-token-ada",
            "Bearer discord-token-bob",
            "Bearer discord-token-carl"
        ]
    );
}
