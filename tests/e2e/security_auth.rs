//! Issue 11, attack 4 — demoted admins keep power — performed through the real
//! `gateway.wasm` composed with the real `identity`, `config` and `kaltura`, against a
//! fake Discord whose answers the test changes while sessions are alive:
//!
//! - an admin signs in, Discord then reports them without the admin role: the refresh
//!   carries only the new role's scopes;
//! - Discord then reports them gone: the refresh answers `401`, and the access token
//!   of that session stops working;
//! - Discord cannot be asked during a refresh: nothing is issued (`503` with Discord's
//!   `Retry-After`), and the refresh token stays usable;
//! - an API key past its expiry answers `401`; the listing shows each key's expiry and
//!   whether its creator is still a member.

use crate::support::{configured, World};
use base64::Engine;
use e2e::{Client, FakeResponse, Recorded, TestResponse};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const APPLICATION_ID: &str = "1100000000000000001";
const CLIENT_SECRET: &str = "test-client-secret-not-real";
const BOT_TOKEN: &str = "test-bot-token-not-real";

const GUILD: &str = "711111111111111111";
const OWNER: &str = "799999999999999999";
/// Two members who start as admins (the role with ADMINISTRATOR).
const ADA: &str = "733333333333333331";
const DAN: &str = "733333333333333334";
/// A role with ADMINISTRATOR, and one the server maps to `moderator`.
const ADMINS: &str = "744444444444444441";
const MODS: &str = "744444444444444442";

/// The code each user's client gets from Discord, and the Discord token it is worth.
const USERS: [(&str, &str, &str); 2] = [
    ("code-ada", "discord-token-ada", ADA),
    ("code-dan", "discord-token-dan", DAN),
];

const ALL_SCOPES: [&str; 8] = [
    "meetings:read",
    "meetings:write",
    "config:read",
    "config:write",
    "audit:read",
    "keys:manage",
    "events:manage",
    "media:read",
];

/// What the fake Discord says now: each member's roles (absent: not a member), and an
/// answer that replaces every bot call while Discord is "down".
#[derive(Default)]
struct Said {
    roles: BTreeMap<&'static str, Vec<&'static str>>,
    outage: Option<FakeResponse>,
}

#[derive(Clone)]
struct Discord(Arc<Mutex<Said>>);

impl Discord {
    fn new() -> Self {
        let mut said = Said::default();
        said.roles.insert(ADA, vec![ADMINS]);
        said.roles.insert(DAN, vec![ADMINS]);
        Self(Arc::new(Mutex::new(said)))
    }

    fn set_roles(&self, user: &'static str, roles: &[&'static str]) {
        self.0.lock().unwrap().roles.insert(user, roles.to_vec());
    }

    fn remove(&self, user: &'static str) {
        self.0.lock().unwrap().roles.remove(user);
    }

    fn outage(&self, answer: Option<FakeResponse>) {
        self.0.lock().unwrap().outage = answer;
    }

    fn respond(&self, request: &Recorded) -> FakeResponse {
        let said = self.0.lock().unwrap();
        let auth = request.header("authorization").unwrap_or_default();
        let path = request.path.split('?').next().unwrap_or_default();
        let answer = |status, value: Value| FakeResponse::json(status, &value);
        if request.method == "POST" && path == "/api/v10/oauth2/token" {
            let basic = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{APPLICATION_ID}:{CLIENT_SECRET}"))
            );
            let form = String::from_utf8_lossy(&request.body).into_owned();
            let code = form_value(&form, "code");
            return match USERS.iter().find(|(c, ..)| Some(*c) == code.as_deref()) {
                Some((_, token, _)) if auth == basic => answer(
                    200,
                    json!({"access_token": token, "token_type": "Bearer", "expires_in": 604800,
                           "refresh_token": "discord-refresh-not-real", "scope": "identify"}),
                ),
                _ => answer(400, json!({"error": "invalid_grant"})),
            };
        }
        if path == "/api/v10/users/@me" {
            return match USERS.iter().find(|(_, t, _)| auth == format!("Bearer {t}")) {
                Some((_, _, id)) => answer(
                    200,
                    json!({"id": id, "username": "someone", "global_name": null, "avatar": null, "discriminator": "0"}),
                ),
                None => answer(401, json!({"message": "401: Unauthorized", "code": 0})),
            };
        }
        if auth != format!("Bot {BOT_TOKEN}") {
            return answer(401, json!({"message": "401: Unauthorized", "code": 0}));
        }
        if let Some(outage) = &said.outage {
            return outage.clone();
        }
        let parts: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
        match parts.as_slice() {
            ["guilds", GUILD, "members", user] => match said.roles.get(*user) {
                Some(roles) => answer(
                    200,
                    json!({"user": {"id": user, "username": "someone"}, "nick": null, "roles": roles,
                               "joined_at": "2024-01-01T00:00:00+00:00", "deaf": false, "mute": false}),
                ),
                None => answer(404, json!({"message": "Unknown Member", "code": 10007})),
            },
            ["guilds", GUILD] => answer(
                200,
                json!({"id": GUILD, "name": "Server", "owner_id": OWNER}),
            ),
            ["guilds", GUILD, "roles"] => answer(
                200,
                json!([
                    {"id": GUILD, "name": "@everyone", "permissions": "2048"},
                    {"id": ADMINS, "name": "Admins", "permissions": "8"},
                    {"id": MODS, "name": "Mods", "permissions": "0"}
                ]),
            ),
            _ => answer(404, json!({"message": "404: Not Found", "code": 0})),
        }
    }
}

fn form_value(form: &str, name: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

async fn world(discord: &Discord) -> World {
    let (builder, fake_discord, kaltura) = configured().await;
    let app = builder
        .variable("discord_client_secret", CLIENT_SECRET)
        .variable("discord_bot_token", BOT_TOKEN)
        .start()
        .await
        .expect("app starts");
    let said = discord.clone();
    fake_discord.respond_with(move |request| said.respond(request));
    World {
        app,
        discord: fake_discord,
        kaltura,
    }
}

async fn call(
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

/// Signs in and returns the answer's JSON (tokens, role, scopes).
async fn sign_in(client: &mut Client, code: &str) -> Value {
    let r = call(
        client,
        "POST",
        "/api/v1/auth/discord",
        None,
        Some(json!({"code": code, "guild_id": GUILD})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().unwrap()
}

async fn refresh(client: &mut Client, refresh_token: &str) -> TestResponse {
    call(
        client,
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh_token})),
    )
    .await
}

fn text(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap().to_owned()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The member lookups the gateway made with the bot token.
fn member_lookups(world: &World, user: &str) -> usize {
    world
        .discord
        .received()
        .iter()
        .filter(|r| r.path == format!("/api/v10/guilds/{GUILD}/members/{user}"))
        .filter(|r| r.header("authorization") == Some(&format!("Bot {BOT_TOKEN}")))
        .count()
}

#[tokio::test]
async fn a_demoted_admin_refreshes_into_the_new_roles_scopes_only() {
    let discord = Discord::new();
    let world = world(&discord).await;
    let mut client = world.client();
    let ada = sign_in(&mut client, "code-ada").await;
    assert_eq!(ada["role"], "admin");
    assert_eq!(ada["scopes"], json!(ALL_SCOPES));
    let admin_token = text(&ada, "access_token");
    // While still an admin, Ada maps the Mods role to `moderator` on her server.
    let r = call(
        &mut client,
        "PATCH",
        &format!("/api/v1/guilds/{GUILD}/config"),
        Some(&admin_token),
        Some(json!({"patch": {"roles": {"mapping": {MODS: "moderator"}}}, "expected_version": 0})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Discord now reports her in Mods only: the admin role was taken away.
    discord.set_roles(ADA, &[MODS]);
    let lookups = member_lookups(&world, ADA);
    let r = refresh(&mut client, &text(&ada, "refresh_token")).await;
    let moderator = r.json().unwrap();
    assert_eq!(r.status, 200, "{moderator}");
    // The attack: the refreshed token used for what only an admin may do.
    let token = text(&moderator, "access_token");
    for (method, path, body) in [
        (
            "PATCH",
            format!("/api/v1/guilds/{GUILD}/config"),
            Some(json!({"patch": {"features": {"activity": true}}, "expected_version": 1})),
        ),
        (
            "POST",
            format!("/api/v1/guilds/{GUILD}/api-keys"),
            Some(json!({"label": "backdoor", "scopes": ["meetings:read"]})),
        ),
        ("GET", format!("/api/v1/guilds/{GUILD}/audit-log"), None),
    ] {
        let r = call(&mut client, method, &path, Some(&token), body).await;
        assert_eq!(
            r.status,
            403,
            "a demoted admin's refreshed token: {method} {path}: {}",
            r.text()
        );
    }
    let me = call(&mut client, "GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.json().unwrap()["role"], "moderator");
    assert_eq!(
        me.json().unwrap()["scopes"],
        json!(["meetings:read", "meetings:write", "media:read"])
    );
    assert_eq!(moderator["role"], "moderator");
    assert_eq!(
        moderator["scopes"],
        json!(["meetings:read", "meetings:write", "media:read"]),
        "only the new role's scopes: no config:write, no keys:manage"
    );
    assert_eq!(
        member_lookups(&world, ADA),
        lookups + 1,
        "the refresh asked Discord with the bot token"
    );

    // And no role at all: the next refresh is a viewer's.
    discord.set_roles(ADA, &[]);
    let r = refresh(&mut client, &text(&moderator, "refresh_token")).await;
    let viewer = r.json().unwrap();
    assert_eq!(r.status, 200, "{viewer}");
    assert_eq!(viewer["role"], "viewer");
    assert_eq!(viewer["scopes"], json!(["meetings:read", "media:read"]));
}

#[tokio::test]
async fn a_member_who_left_gets_401_on_refresh_and_the_sessions_access_token_stops_working() {
    let discord = Discord::new();
    let world = world(&discord).await;
    let mut client = world.client();
    let ada = sign_in(&mut client, "code-ada").await;
    let access = text(&ada, "access_token");
    let refresh_token = text(&ada, "refresh_token");
    let config = format!("/api/v1/guilds/{GUILD}/config");
    assert_eq!(
        call(&mut client, "GET", &config, Some(&access), None)
            .await
            .status,
        200
    );

    discord.remove(ADA);
    let r = refresh(&mut client, &refresh_token).await;
    assert_eq!(r.status, 401, "{}", r.text());
    let body = r.json().unwrap();
    assert_eq!(body["error"]["code"], "invalid_token");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no longer lists you as a member"),
        "{body}"
    );
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));

    // The session is over: its access token, which had not expired, stops working.
    for path in [config.as_str(), "/api/v1/me", "/api/v1/meetings"] {
        let r = call(&mut client, "GET", path, Some(&access), None).await;
        assert_eq!(r.status, 401, "{path}: {}", r.text());
    }
    assert_eq!(refresh(&mut client, &refresh_token).await.status, 401);
    // Coming back does not revive the old session; signing in again would need her to
    // be a member.
    discord.set_roles(ADA, &[ADMINS]);
    assert_eq!(refresh(&mut client, &refresh_token).await.status, 401);
    assert_eq!(
        call(&mut client, "GET", "/api/v1/me", Some(&access), None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn a_discord_failure_during_the_refresh_check_fails_closed_with_discords_retry_after() {
    let discord = Discord::new();
    let world = world(&discord).await;
    let mut client = world.client();
    let ada = sign_in(&mut client, "code-ada").await;
    let refresh_token = text(&ada, "refresh_token");

    discord.outage(Some(FakeResponse::json(
        429,
        &json!({"message": "You are being rate limited.", "retry_after": 6.5, "global": false}),
    )));
    let r = refresh(&mut client, &refresh_token).await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.json().unwrap()["error"]["code"], "membership_unverified");
    assert_eq!(r.header("retry-after"), Some("7"));
    assert!(r.json().unwrap().get("access_token").is_none());

    discord.outage(Some(FakeResponse::text(500, "internal error")));
    let r = refresh(&mut client, &refresh_token).await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.json().unwrap()["error"]["code"], "membership_unverified");

    // Nothing was used up or revoked: once Discord answers, the same token refreshes.
    discord.outage(None);
    let r = refresh(&mut client, &refresh_token).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json().unwrap()["role"], "admin");
}

#[tokio::test]
async fn an_expired_api_key_is_refused_with_401() {
    let discord = Discord::new();
    let world = world(&discord).await;
    let mut client = world.client();
    let ada = text(&sign_in(&mut client, "code-ada").await, "access_token");
    let keys = format!("/api/v1/guilds/{GUILD}/api-keys");
    let asked_at = unix_now();
    let r = call(
        &mut client,
        "POST",
        &keys,
        Some(&ada),
        Some(json!({"label": "short-lived", "scopes": ["meetings:read"], "ttl_seconds": 4})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json().unwrap();
    let key = text(&created, "key");
    let r = call(&mut client, "GET", "/api/v1/meetings", Some(&key), None).await;
    assert_eq!(
        r.status,
        200,
        "the key works before its expiry: {}",
        r.text()
    );

    // The attack: the key used after the expiry it was created with.
    while unix_now() < asked_at + 6 {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let r = call(&mut client, "GET", "/api/v1/meetings", Some(&key), None).await;
    assert_eq!(r.status, 401, "a key past its expiry: {}", r.text());
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
    assert!(r.text().contains("expired"), "{}", r.text());
    let listed = call(&mut client, "GET", &keys, Some(&ada), None).await;
    let listed = listed.json().unwrap();
    let expires_at = created["expires_at"].as_u64().unwrap();
    assert!(
        (asked_at + 4..=asked_at + 5).contains(&expires_at),
        "{created}"
    );
    assert_eq!(listed["keys"][0]["expired"], true, "{listed}");
    assert_eq!(listed["keys"][0]["expires_at"], expires_at);

    // The expiry is bounded: a year at most, and one way of saying it.
    for body in [
        json!({"label": "x", "scopes": ["meetings:read"], "ttl_seconds": 366 * 86_400}),
        json!({"label": "x", "scopes": ["meetings:read"], "expires_at": unix_now() - 10}),
        json!({"label": "x", "scopes": ["meetings:read"], "ttl_seconds": 60, "expires_at": unix_now() + 60}),
    ] {
        let r = call(&mut client, "POST", &keys, Some(&ada), Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
    }
    let listed = call(&mut client, "GET", &keys, Some(&ada), None).await;
    assert_eq!(
        listed.json().unwrap()["keys"].as_array().unwrap().len(),
        1,
        "refused keys were not created"
    );
}

#[tokio::test]
async fn the_key_listing_shows_each_creators_membership_and_the_expiry() {
    let discord = Discord::new();
    let world = world(&discord).await;
    let mut client = world.client();
    let ada = text(&sign_in(&mut client, "code-ada").await, "access_token");
    let dan = text(&sign_in(&mut client, "code-dan").await, "access_token");
    let keys = format!("/api/v1/guilds/{GUILD}/api-keys");
    let r = call(
        &mut client,
        "POST",
        &keys,
        Some(&ada),
        Some(json!({"label": "ada's", "scopes": ["meetings:read"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let in_a_day = unix_now() + 86_400;
    let r = call(
        &mut client,
        "POST",
        &keys,
        Some(&dan),
        Some(json!({"label": "dan's", "scopes": ["meetings:read"], "expires_at": in_a_day})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let dans_key = text(&r.json().unwrap(), "key");

    // Dan leaves the server.
    discord.remove(DAN);
    let listed = call(&mut client, "GET", &keys, Some(&ada), None).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json().unwrap();
    let shown: Vec<(Value, Value, Value, Value)> = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["created_by"]["id"].clone(),
                k["creator_membership"].clone(),
                k["expires_at"].clone(),
                k["expired"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (json!(ADA), json!("member"), Value::Null, json!(false)),
            (json!(DAN), json!("left"), json!(in_a_day), json!(false)),
        ],
        "{listed}"
    );
    assert!(!listed.to_string().contains(&dans_key), "never the secret");

    // Discord failing: the listing still answers, and says it does not know.
    discord.outage(Some(FakeResponse::text(502, "bad gateway")));
    let listed = call(&mut client, "GET", &keys, Some(&ada), None).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let memberships: Vec<Value> = listed.json().unwrap()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["creator_membership"].clone())
        .collect();
    assert_eq!(memberships, [json!("unknown"), json!("unknown")]);
}
