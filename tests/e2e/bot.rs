//! The Discord Bot Service end to end: signed interactions into the real `discord-bot`
//! component, composed with the real `config`, `identity` and `kaltura` components as
//! spin.toml wires them, against a fake Kaltura speaking API_v3 and a fake Discord that
//! receives the deferred replies' `PATCH .../messages/@original`.

use crate::support::{discord_signature, now, world, World};
use e2e::{Client, FakeResponse, Recorded};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const APP: &str = "1100000000000000001";
pub(crate) const GUILD: &str = "300000000000000001";
const OTHER_GUILD: &str = "300000000000000002";
const CHANNEL: &str = "400000000000000001";
const HOST_ROLE: &str = "500000000000000001";
/// Every interaction token starts with this; no log may ever contain it.
const TOKEN_MARK: &str = "itok-secret";
/// The KS inside every join URL starts with this (a KS v2); no log may contain it.
const KS_MARK: &str = "djJ8";

/// A member as an interaction reports them.
#[derive(Clone, Copy)]
pub(crate) struct Member {
    id: &'static str,
    name: &'static str,
    roles: &'static [&'static str],
    permissions: &'static str,
}

/// `SEND_MESSAGES` + `USE_APPLICATION_COMMANDS`: an ordinary member.
const PLAIN: &str = "2147485696";

pub(crate) const OWNER: Member = Member {
    id: "200000000000000001",
    name: "Ada",
    roles: &[],
    permissions: PLAIN,
};
const GUEST: Member = Member {
    id: "200000000000000002",
    name: "Grace",
    roles: &[],
    permissions: PLAIN,
};
const HOSTING: Member = Member {
    id: "200000000000000003",
    name: "Hedy",
    roles: &[HOST_ROLE],
    permissions: PLAIN,
};
/// `ADMINISTRATOR`.
pub(crate) const ADMIN: Member = Member {
    id: "200000000000000004",
    name: "Alan",
    roles: &[],
    permissions: "8",
};

/// A Kaltura that creates rooms 1001, 1002, ... and deletes any room, in API_v3's JSON
/// wire format (errors are `KalturaAPIException` objects inside a 200).
fn working_kaltura() -> impl Fn(&Recorded) -> FakeResponse + Send + Sync + 'static {
    let next = Arc::new(AtomicU64::new(1001));
    move |request: &Recorded| {
        let path = request.path.as_str();
        let body = request.json().unwrap_or(Value::Null);
        if path == "/api_v3/service/schedule_scheduleresource/action/add" {
            let resource = &body["scheduleResource"];
            FakeResponse::json(
                200,
                &json!({
                    "id": next.fetch_add(1, Ordering::SeqCst),
                    "partnerId": 1234567,
                    "name": resource["name"],
                    "tags": resource["tags"],
                    "status": 2,
                    "createdAt": 1_700_000_000,
                    "objectType": "KalturaLocationScheduleResource"
                }),
            )
        } else if path == "/api_v3/service/multirequest" {
            // One result per numbered call, in order.
            let results: Vec<Value> = (1..)
                .map(|n: u32| body[n.to_string()].clone())
                .take_while(|call| !call.is_null())
                .map(|call| {
                    json!({
                        "id": call["scheduleResourceId"],
                        "status": 3,
                        "objectType": "KalturaLocationScheduleResource"
                    })
                })
                .collect();
            FakeResponse::json(200, &Value::Array(results))
        } else {
            FakeResponse::json(
                200,
                &json!({"code": "SERVICE_DOES_NOT_EXISTS", "message": "no answer scripted",
                        "objectType": "KalturaAPIException", "args": {}}),
            )
        }
    }
}

/// A Discord that accepts every edit of an original response.
pub(crate) fn working_discord(request: &Recorded) -> FakeResponse {
    if request.method == "PATCH" && request.path.ends_with("/messages/@original") {
        let mut message = request.json().unwrap_or_else(|_| json!({}));
        message["id"] = json!("600000000000000001");
        message["channel_id"] = json!(CHANNEL);
        FakeResponse::json(200, &message)
    } else {
        FakeResponse::json(404, &json!({"message": "404: Not Found", "code": 0}))
    }
}

/// A running app, its fakes and a client, sending signed interactions.
pub(crate) struct Bot {
    pub(crate) world: World,
    client: Client,
    next_id: u64,
}

impl Bot {
    pub(crate) async fn start() -> Self {
        let world = world().await;
        world.kaltura.respond_with(working_kaltura());
        world.discord.respond_with(working_discord);
        let client = world.client();
        Self {
            world,
            client,
            next_id: 900_000_000_000_000_001,
        }
    }

    /// Sends one signed interaction of `kind` with `data` from `member` on `guild`.
    async fn send_in(&mut self, guild: &str, kind: u8, data: Value, member: Member) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let payload = json!({
            "type": kind,
            "id": id.to_string(),
            "application_id": APP,
            "token": format!("{TOKEN_MARK}-{id}"),
            "version": 1,
            "guild_id": guild,
            "channel_id": CHANNEL,
            "member": {
                "user": {"id": member.id, "username": member.name.to_lowercase(),
                         "global_name": member.name},
                "roles": member.roles,
                "permissions": member.permissions
            },
            "data": data
        })
        .to_string();
        let timestamp = now();
        let signature = discord_signature(&timestamp, &payload);
        let response = self
            .client
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
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.header("content-type"), Some("application/json"));
        response.json().unwrap()
    }

    pub(crate) async fn command(&mut self, name: &str, options: Value, member: Member) -> Value {
        self.command_in(GUILD, name, options, member).await
    }

    async fn command_in(
        &mut self,
        guild: &str,
        name: &str,
        options: Value,
        member: Member,
    ) -> Value {
        let data = json!({"id": "700000000000000001", "name": name, "type": 1, "options": options});
        self.send_in(guild, 2, data, member).await
    }

    pub(crate) async fn button(&mut self, custom_id: &str, member: Member) -> Value {
        let data = json!({"custom_id": custom_id, "component_type": 2});
        self.send_in(GUILD, 3, data, member).await
    }

    async fn autocomplete(&mut self, name: &str, options: Value, member: Member) -> Value {
        let data = json!({"id": "700000000000000001", "name": name, "type": 1, "options": options});
        self.send_in(GUILD, 4, data, member).await
    }

    /// `/kaltura-config set key value` by an administrator; asserts it was saved.
    async fn configure(&mut self, key: &str, value: &str) {
        let options = json!([{"name": "set", "type": 1, "options": [
            {"name": "key", "type": 3, "value": key},
            {"name": "value", "type": 3, "value": value}
        ]}]);
        let answer = self.command("kaltura-config", options, ADMIN).await;
        assert!(content(&answer).contains("is updated"), "{answer}");
    }

    /// Waits for the work that continues after the responses (the follow-ups).
    pub(crate) async fn settle(&self) {
        self.world.app.idle(Duration::from_secs(20)).await.unwrap();
    }

    /// The edits of original responses Discord received, in order.
    pub(crate) fn patches(&self) -> Vec<Recorded> {
        self.world
            .discord
            .received()
            .into_iter()
            .filter(|r| r.method == "PATCH")
            .collect()
    }

    /// The last edit's body.
    pub(crate) fn last_patch(&self) -> Value {
        self.patches().last().expect("a PATCH").json().unwrap()
    }

    /// Starts a meeting as `member` and returns its ID.
    pub(crate) async fn start_meeting(&mut self, title: &str, member: Member) -> String {
        let deferral = self
            .command("kaltura-start", start_options("meeting", title), member)
            .await;
        assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
        self.settle().await;
        let panel = self.last_patch();
        // Mentions in titles are broken with a zero-width space.
        let shown = panel["embeds"][0]["title"].as_str().unwrap_or_default();
        assert_eq!(shown.replace('\u{200b}', ""), title, "{panel}");
        panel["embeds"][0]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "Meeting ID")
            .and_then(|f| f["value"].as_str())
            .unwrap()
            .trim_matches('`')
            .to_owned()
    }

    pub(crate) fn kaltura_calls(&self) -> Vec<String> {
        self.world
            .kaltura
            .received()
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }

    /// Nothing the app logged or stored holds an interaction token or a KS.
    fn assert_no_secrets_leaked(&self) {
        let logs = self.world.app.logs();
        assert!(!logs.contains(TOKEN_MARK), "a token was logged: {logs}");
        assert!(!logs.contains(KS_MARK), "a KS was logged: {logs}");
        assert!(
            !logs.contains("virtualEvent"),
            "a join URL was logged: {logs}"
        );
        for (key, value) in self.world.app.store() {
            let value = String::from_utf8_lossy(&value);
            assert!(
                !value.contains(TOKEN_MARK) && !value.contains(KS_MARK),
                "{key}"
            );
        }
    }
}

pub(crate) fn start_options(kind: &str, title: &str) -> Value {
    json!([
        {"name": "type", "type": 3, "value": kind},
        {"name": "title", "type": 3, "value": title},
        {"name": "description", "type": 3, "value": "Agenda: *everything*"}
    ])
}

pub(crate) fn meeting_option(id: &str) -> Value {
    json!([{"name": "meeting", "type": 3, "value": id}])
}

pub(crate) fn content(answer: &Value) -> &str {
    answer["data"]["content"].as_str().unwrap_or_default()
}

pub(crate) fn custom_ids(message: &Value) -> Vec<String> {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["custom_id"].as_str().map(str::to_owned))
        .collect()
}

fn link_url(message: &Value) -> String {
    message["components"][0]["components"][0]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn kaltura_start_defers_then_patches_the_meeting_panel_to_discord() {
    let mut bot = Bot::start().await;
    let deferral = bot
        .command(
            "kaltura-start",
            start_options("webinar", "Town hall"),
            OWNER,
        )
        .await;
    assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
    bot.settle().await;

    let patches = bot.patches();
    assert_eq!(patches.len(), 1);
    let patch = &patches[0];
    assert!(
        patch
            .path
            .starts_with(&format!("/api/v10/webhooks/{APP}/{TOKEN_MARK}-")),
        "{}",
        patch.path
    );
    assert!(patch.path.ends_with("/messages/@original"));
    assert_eq!(patch.header("authorization"), None, "no bot token is sent");
    let panel = patch.json().unwrap();
    assert_eq!(panel.get("flags"), None, "an edit carries no flags");
    assert_eq!(panel["embeds"][0]["title"], "Town hall");
    assert_eq!(
        panel["embeds"][0]["description"],
        "Agenda: \\*everything\\*"
    );
    let fields = panel["embeds"][0]["fields"].to_string();
    assert!(fields.contains("Webinar") && fields.contains(&format!("<@{}>", OWNER.id)));
    assert_eq!(
        custom_ids(&panel),
        ["v1:join:1001", "v1:share:1001", "v1:end:1001"]
    );

    assert_eq!(
        bot.kaltura_calls(),
        ["/api_v3/service/schedule_scheduleresource/action/add"]
    );
    let add = bot.world.kaltura.received()[0].json().unwrap();
    assert_eq!(
        add["scheduleResource"]["tags"],
        format!("vcprovider:newrow,kd-type:webinar,kd-guild:{GUILD}")
    );
    let store = bot.world.app.store();
    assert!(store.contains_key("kaltura/v1/meeting/1001"));
    assert!(store.contains_key(&format!("identity/v1/user/{}", OWNER.id)));
    bot.assert_no_secrets_leaked();
}

#[tokio::test]
async fn the_deferral_is_sent_before_a_slow_kaltura_answers() {
    let mut bot = Bot::start().await;
    let working = working_kaltura();
    bot.world
        .kaltura
        .respond_with(move |request| working(request).after(Duration::from_millis(2500)));
    let started = std::time::Instant::now();
    let deferral = bot
        .command("kaltura-start", start_options("meeting", "Slow"), OWNER)
        .await;
    let answered = started.elapsed();
    assert_eq!(deferral["type"], 5);
    assert!(
        answered < Duration::from_millis(1500),
        "Discord had its answer after {answered:?}, within its 3 seconds"
    );
    assert!(bot.patches().is_empty(), "the follow-up is still running");
    bot.settle().await;
    assert!(started.elapsed() >= Duration::from_millis(2500));
    assert_eq!(bot.last_patch()["embeds"][0]["title"], "Slow");
}

#[tokio::test]
async fn kaltura_list_shows_only_this_servers_meetings_with_join_buttons() {
    let mut bot = Bot::start().await;
    let ours = bot.start_meeting("Standup", OWNER).await;
    let deferral = bot
        .command_in(
            OTHER_GUILD,
            "kaltura-start",
            start_options("classroom", "Theirs"),
            OWNER,
        )
        .await;
    assert_eq!(deferral["type"], 5);
    bot.settle().await;

    let list = bot.command("kaltura-list", json!([]), GUEST).await;
    assert_eq!(list["type"], 4);
    assert_eq!(list["data"]["flags"], 64);
    assert_eq!(custom_ids(&list["data"]), [format!("v1:join:{ours}")]);
    let text = list.to_string();
    assert!(text.contains("Standup") && !text.contains("Theirs"));
    assert!(!text.contains("ks="), "a list never carries a join link");
}

#[tokio::test]
async fn kaltura_join_sends_each_member_their_own_link_ephemerally() {
    let mut bot = Bot::start().await;
    let id = bot.start_meeting("Standup", OWNER).await;

    let deferral = bot
        .command("kaltura-join", meeting_option(&id), GUEST)
        .await;
    assert_eq!(
        deferral,
        json!({"type": 5, "data": {"flags": 64}}),
        "ephemeral"
    );
    bot.settle().await;
    let message = bot.last_patch();
    let guest_url = link_url(&message);
    assert!(
        guest_url.starts_with(&format!(
            "https://1234567.kaf.kaltura.com/virtualEvent/launch?ks={KS_MARK}"
        )),
        "{message}"
    );
    assert_eq!(
        message["components"][0]["components"][0]["style"], 5,
        "a link button"
    );
    assert!(content(&json!({"data": message})).contains("**Standup**"));

    // The Join button of the panel: its clicker gets a link of their own.
    let deferral = bot.button(&format!("v1:join:{id}"), OWNER).await;
    assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
    bot.settle().await;
    let owner_url = link_url(&bot.last_patch());
    assert!(owner_url.contains("ks="));
    assert_ne!(owner_url, guest_url);

    assert_eq!(
        bot.kaltura_calls().len(),
        1,
        "join links are made without calling Kaltura (admin-secret deployment)"
    );
    assert!(bot
        .world
        .app
        .store()
        .contains_key(&format!("identity/v1/user/{}", GUEST.id)));
    bot.assert_no_secrets_leaked();
}

#[tokio::test]
async fn autocomplete_suggests_this_servers_active_meetings() {
    let mut bot = Bot::start().await;
    let id = bot.start_meeting("Physics lab", OWNER).await;
    bot.start_meeting("Chemistry", OWNER).await;
    let options = json!([{"name": "meeting", "type": 3, "value": "phys", "focused": true}]);
    let answer = bot.autocomplete("kaltura-join", options, GUEST).await;
    assert_eq!(answer["type"], 8);
    assert_eq!(
        answer["data"]["choices"],
        json!([{"name": "Physics lab · Interactive Meeting Room", "value": id}])
    );
}

#[tokio::test]
async fn kaltura_end_asks_for_confirmation_then_ends_the_meeting_in_kaltura() {
    let mut bot = Bot::start().await;
    let id = bot.start_meeting("Retro", OWNER).await;

    let confirm = bot.command("kaltura-end", meeting_option(&id), OWNER).await;
    assert_eq!(confirm["type"], 4);
    assert_eq!(confirm["data"]["flags"], 64);
    assert_eq!(
        custom_ids(&confirm["data"]),
        [
            format!("v1:end-confirm:{id}"),
            format!("v1:end-cancel:{id}")
        ]
    );

    let cancelled = bot.button(&format!("v1:end-cancel:{id}"), OWNER).await;
    assert_eq!(cancelled["type"], 7, "the confirmation is updated in place");
    assert!(content(&cancelled).contains("keeps running"));

    let deferral = bot.button(&format!("v1:end-confirm:{id}"), OWNER).await;
    assert_eq!(deferral, json!({"type": 6}));
    bot.settle().await;
    let ended = bot.last_patch();
    assert!(
        ended["content"].as_str().unwrap().contains("has ended"),
        "{ended}"
    );
    assert_eq!(ended["components"][0]["components"][0]["disabled"], true);

    let calls = bot.world.kaltura.received();
    let end = calls.last().unwrap();
    assert_eq!(end.path, "/api_v3/service/multirequest");
    let end = end.json().unwrap();
    assert_eq!(end["1"]["service"], "schedule_scheduleresource");
    assert_eq!(end["1"]["action"], "delete");
    assert_eq!(
        end["1"]["scheduleResourceId"].to_string().trim_matches('"'),
        id
    );

    let list = bot.command("kaltura-list", json!([]), OWNER).await;
    assert!(content(&list).contains("No Kaltura meetings"), "{list}");
    let join = bot
        .command("kaltura-join", meeting_option(&id), GUEST)
        .await;
    assert_eq!(join["type"], 4, "an ended meeting is refused at once");
    assert!(content(&join).contains("not running"));
}

#[tokio::test]
async fn share_posts_the_servers_template_publicly_without_pinging_anyone() {
    let mut bot = Bot::start().await;
    let id = bot.start_meeting("All hands @everyone", OWNER).await;
    let shared = bot.button(&format!("v1:share:{id}"), OWNER).await;
    assert_eq!(shared["type"], 4);
    assert_eq!(shared["data"].get("flags"), None, "a share is public");
    assert_eq!(shared["data"]["allowed_mentions"], json!({"parse": []}));
    assert!(content(&shared).contains("All hands"), "{shared}");
    assert!(!content(&shared).contains("ks="), "no join link in public");
    assert_eq!(custom_ids(&shared["data"]), [format!("v1:join:{id}")]);

    bot.configure("notifications.allow_everyone_mentions", "on")
        .await;
    let shared = bot.button(&format!("v1:share:{id}"), OWNER).await;
    assert_eq!(
        shared["data"]["allowed_mentions"],
        json!({"parse": ["everyone"]})
    );
}

#[tokio::test]
async fn permissions_from_the_servers_config_are_checked_on_commands_and_buttons() {
    let mut bot = Bot::start().await;
    let id = bot.start_meeting("Board", OWNER).await;

    // Only members with the host role may start meetings now.
    bot.configure("commands.kaltura-start.allowed_roles", HOST_ROLE)
        .await;
    let calls_before = bot.kaltura_calls().len();
    let denied = bot
        .command("kaltura-start", start_options("meeting", "Mine"), GUEST)
        .await;
    assert_eq!(denied["type"], 4);
    assert_eq!(denied["data"]["flags"], 64);
    assert!(!content(&denied).is_empty());
    // Share is gated like /kaltura-start: the button is an intent, not a capability.
    let denied_share = bot.button(&format!("v1:share:{id}"), OWNER).await;
    assert_eq!(denied_share["data"]["flags"], 64);
    assert_eq!(content(&denied_share), content(&denied));
    let allowed = bot
        .command("kaltura-start", start_options("meeting", "Hosted"), HOSTING)
        .await;
    assert_eq!(allowed["type"], 5);
    bot.settle().await;
    assert_eq!(bot.kaltura_calls().len(), calls_before + 1);

    // A member who neither owns the meeting nor moderates may not end it.
    let not_yours = bot.button(&format!("v1:end-confirm:{id}"), GUEST).await;
    assert_eq!(not_yours["type"], 4);
    assert!(content(&not_yours).contains("Only the meeting's owner"));
    // Mapping the host role to moderator lets its members end it.
    bot.configure(&format!("roles.mapping.{HOST_ROLE}"), "moderator")
        .await;
    let confirm = bot
        .command("kaltura-end", meeting_option(&id), HOSTING)
        .await;
    assert_eq!(
        custom_ids(&confirm["data"])[0],
        format!("v1:end-confirm:{id}")
    );

    // Turning /kaltura-join off also turns off the Join buttons already posted.
    bot.configure("commands.kaltura-join.enabled", "off").await;
    let join = bot.button(&format!("v1:join:{id}"), GUEST).await;
    assert_eq!(join["type"], 4);
    assert_eq!(join["data"]["flags"], 64);

    // /kaltura-config needs Manage Server by default.
    let options = json!([{"name": "set", "type": 1, "options": [
        {"name": "key", "type": 3, "value": "commands.kaltura-join.enabled"},
        {"name": "value", "type": 3, "value": "on"}
    ]}]);
    let refused = bot.command("kaltura-config", options, GUEST).await;
    assert_eq!(refused["data"]["flags"], 64);
    assert!(!content(&refused).contains("is updated"));
    let stored = bot.world.app.store();
    let doc = crate::support::document(&stored, &format!("config/v1/guild/{GUILD}")).unwrap();
    let doc = String::from_utf8_lossy(&doc).into_owned();
    assert!(doc.contains(r#""enabled":false"#), "{doc}");
}

#[tokio::test]
async fn kaltura_config_views_sets_and_resets_through_the_config_service() {
    let mut bot = Bot::start().await;
    let view = json!([{"name": "view", "type": 1, "options": [
        {"name": "section", "type": 3, "value": "roles"}
    ]}]);
    let shown = bot.command("kaltura-config", view.clone(), ADMIN).await;
    assert_eq!(shown["data"]["flags"], 64);
    assert_eq!(shown["data"]["embeds"][0]["title"], "Roles settings");

    let typo = json!([{"name": "set", "type": 1, "options": [
        {"name": "key", "type": 3, "value": "roles.default_role"},
        {"name": "value", "type": 3, "value": "overlord"}
    ]}]);
    let refused = bot.command("kaltura-config", typo, ADMIN).await;
    assert!(
        content(&refused).starts_with("Nothing was changed."),
        "{refused}"
    );
    assert!(
        bot.world.app.store().keys().all(|k| k.starts_with("bot/")),
        "a refused write stores nothing (only the interactions' claims are stored)"
    );

    bot.configure("roles.default_role", "moderator").await;
    let shown = bot.command("kaltura-config", view, ADMIN).await;
    assert!(
        shown.to_string().to_lowercase().contains("moderator"),
        "{shown}"
    );

    let reset = json!([{"name": "reset", "type": 1, "options": [
        {"name": "section", "type": 3, "value": "roles"}
    ]}]);
    let done = bot.command("kaltura-config", reset, ADMIN).await;
    assert!(content(&done).contains("back to their defaults"), "{done}");
    let audit: Vec<String> = bot
        .world
        .app
        .store()
        .keys()
        .filter(|k| k.contains("/audit/"))
        .cloned()
        .collect();
    assert_eq!(audit.len(), 2, "both writes are audited: {audit:?}");
}

#[tokio::test]
async fn kaltura_unavailable_is_answered_at_once_once_the_circuit_opens() {
    let mut bot = Bot::start().await;
    bot.world
        .kaltura
        .respond_with(|_| FakeResponse::text(502, "Bad Gateway"));
    for n in 0..5 {
        let deferral = bot
            .command("kaltura-start", start_options("meeting", "Doomed"), OWNER)
            .await;
        assert_eq!(deferral["type"], 5, "attempt {n} still waits on Kaltura");
        bot.settle().await;
        let failed = bot.last_patch();
        let text = failed["content"].as_str().unwrap();
        assert!(
            text.starts_with("Kaltura is unavailable right now."),
            "{text}"
        );
        let error_id = text
            .split("error ID `")
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .unwrap();
        assert!(
            bot.world
                .app
                .logs()
                .contains(&format!("\"error_id\":\"{error_id}\"")),
            "the error ID is in the log (a JSON line's field)"
        );
    }
    assert_eq!(bot.kaltura_calls().len(), 5);

    let answer = bot
        .command("kaltura-start", start_options("meeting", "Later"), OWNER)
        .await;
    assert_eq!(answer["type"], 4, "answered at once, not deferred");
    assert_eq!(answer["data"]["flags"], 64);
    assert!(content(&answer).starts_with("Kaltura is unavailable right now"));
    bot.settle().await;
    assert_eq!(
        bot.kaltura_calls().len(),
        5,
        "no call while the circuit is open"
    );
    assert_eq!(bot.patches().len(), 5, "nothing deferred, nothing to patch");
    bot.assert_no_secrets_leaked();
}

#[tokio::test]
async fn a_kaltura_refusal_becomes_a_friendly_message_with_the_logged_error_id() {
    let mut bot = Bot::start().await;
    bot.world.kaltura.respond_with(|_| {
        FakeResponse::json(
            200,
            &json!({"code": "SERVICE_FORBIDDEN", "message": "The access to service [scheduleResource->add] is forbidden",
                    "objectType": "KalturaAPIException", "args": {}}),
        )
    });
    bot.command("kaltura-start", start_options("meeting", "Nope"), OWNER)
        .await;
    bot.settle().await;
    let text = bot.last_patch()["content"].as_str().unwrap().to_owned();
    assert!(text.starts_with("Kaltura did not allow this"), "{text}");
    let error_id = text.split('`').nth(1).unwrap();
    let logs = bot.world.app.logs();
    let line = logs
        .lines()
        .find(|l| l.contains(error_id))
        .unwrap_or_else(|| panic!("{logs}"));
    assert!(
        line.contains("/kaltura-start") && line.contains("forbidden"),
        "{line}"
    );
    bot.assert_no_secrets_leaked();
}

#[tokio::test]
async fn an_undeliverable_deferred_reply_is_logged_with_its_error_id_not_its_token() {
    let mut bot = Bot::start().await;
    bot.world.discord.respond_with(|_| {
        FakeResponse::json(404, &json!({"message": "Unknown Webhook", "code": 10015}))
    });
    bot.command("kaltura-start", start_options("meeting", "Lost"), OWNER)
        .await;
    bot.settle().await;
    assert_eq!(bot.patches().len(), 1, "a 404 is not retried");
    let logs = bot.world.app.logs();
    assert!(
        logs.contains("the deferred reply was not delivered: Discord answered 404"),
        "{logs}"
    );
    assert!(logs.contains("\"error_id\":") && logs.contains("\"action\":\"/kaltura-start\""));
    bot.assert_no_secrets_leaked();
}

#[tokio::test]
async fn a_rate_limited_patch_is_retried_once_after_retry_after() {
    let mut bot = Bot::start().await;
    let attempts = Arc::new(AtomicU64::new(0));
    let seen = attempts.clone();
    bot.world.discord.respond_with(move |request| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            FakeResponse::json(
                429,
                &json!({"message": "You are being rate limited.", "retry_after": 0.2, "global": false}),
            )
        } else {
            working_discord(request)
        }
    });
    bot.start_meeting("Busy", OWNER).await;
    assert_eq!(bot.patches().len(), 2);
    assert!(!bot.world.app.logs().contains("not delivered"));
}

#[tokio::test]
async fn unknown_commands_buttons_and_bad_options_get_a_friendly_ephemeral_reply() {
    let mut bot = Bot::start().await;
    let unknown = bot.command("kaltura-teleport", json!([]), OWNER).await;
    assert_eq!(unknown["type"], 4);
    assert_eq!(unknown["data"]["flags"], 64);
    assert!(content(&unknown).starts_with("I don't know that command."));

    for custom_id in ["v1:join:../x", "no"] {
        let answer = bot.button(custom_id, OWNER).await;
        assert_eq!(answer["data"]["flags"], 64, "{custom_id}");
        assert!(
            content(&answer).starts_with("I don't know that button."),
            "{custom_id}"
        );
    }

    let bad_title = json!([
        {"name": "type", "type": 3, "value": "meeting"},
        {"name": "title", "type": 3, "value": "   "}
    ]);
    let answer = bot.command("kaltura-start", bad_title, OWNER).await;
    assert_eq!(answer["data"]["flags"], 64);
    assert!(content(&answer).contains("title"));

    let unknown_meeting = bot
        .command("kaltura-join", meeting_option("4242"), OWNER)
        .await;
    assert_eq!(unknown_meeting["data"]["flags"], 64);
    assert!(content(&unknown_meeting).contains("not running"));
    assert!(bot.kaltura_calls().is_empty());
    assert!(bot.patches().is_empty());
}
