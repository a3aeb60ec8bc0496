//! Dispatch tested with an in-memory [`Fake`] of the services: every command and
//! button, permission denials, forged input, the deferred path and error IDs.

use std::cell::{Cell, RefCell};

use discord_api::id::GuildId;
use discord_api::Id;
use guild_config::{CommandName, KalturaRole};
use serde_json::{json, Value};

use super::*;
use crate::meeting::{KalturaUser, Part};

const APP: &str = "1100000000000000001";
const GUILD: &str = "300000000000000001";
const OTHER_GUILD: &str = "300000000000000002";
const CHANNEL: &str = "400000000000000001";
const OWNER: &str = "200000000000000001";
const MEMBER: &str = "200000000000000002";
const MOD_ROLE: &str = "100000000000000009";
const TOKEN: &str = "interaction-token-secret";
/// `SEND_MESSAGES` + `USE_APPLICATION_COMMANDS`: an ordinary member.
const PLAIN: &str = "2147485696";
/// `MANAGE_GUILD` on top.
const MANAGER: &str = "2147485728";
/// `ADMINISTRATOR`.
const ADMIN: &str = "8";

fn guild(id: &str) -> GuildId {
    id.parse().unwrap()
}

/// The services, in memory, recording every call.
struct Fake {
    config: RefCell<GuildConfig>,
    config_error: RefCell<Option<ServiceError>>,
    circuit_open: Cell<bool>,
    meetings: RefCell<Vec<Meeting>>,
    failing: RefCell<Vec<(&'static str, ServiceError)>>,
    calls: RefCell<Vec<String>>,
}

impl Fake {
    fn new() -> Self {
        let fake = Self {
            config: RefCell::new(GuildConfig::default()),
            config_error: RefCell::new(None),
            circuit_open: Cell::new(false),
            meetings: RefCell::new(Vec::new()),
            failing: RefCell::new(Vec::new()),
            calls: RefCell::new(Vec::new()),
        };
        fake.add_meeting("0_weekly", "Weekly sync", GUILD, OWNER, true);
        fake
    }

    fn add_meeting(&self, id: &str, title: &str, guild_id: &str, owner: &str, active: bool) {
        self.meetings.borrow_mut().push(Meeting {
            id: MeetingId::parse(id).unwrap(),
            kind: MeetingKind::Meeting,
            title: title.into(),
            description: None,
            guild_id: guild(guild_id),
            channel_id: Some(CHANNEL.parse().unwrap()),
            owner_id: owner.parse().unwrap(),
            started_at: Some(1_700_000_000),
            active,
        });
    }

    fn fail(&self, method: &'static str, err: ServiceError) {
        self.failing.borrow_mut().push((method, err));
    }

    fn check(&self, method: &'static str, call: String) -> Result<(), ServiceError> {
        self.calls.borrow_mut().push(call);
        match self.failing.borrow().iter().find(|(m, _)| *m == method) {
            Some((_, err)) => Err(err.clone()),
            None => Ok(()),
        }
    }

    fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }

    fn called(&self, prefix: &str) -> bool {
        self.calls.borrow().iter().any(|c| c.starts_with(prefix))
    }
}

impl Services for Fake {
    fn guild_config(&self, guild: GuildId) -> Result<GuildConfig, ServiceError> {
        self.calls
            .borrow_mut()
            .push(format!("guild_config {guild}"));
        match self.config_error.borrow().clone() {
            Some(err) => Err(err),
            None => Ok(self.config.borrow().clone()),
        }
    }

    fn kaltura_circuit_open(&self) -> bool {
        self.circuit_open.get()
    }

    /// Applies the mapping with the one rule, as the identity service does.
    fn kaltura_user(
        &self,
        caller: &Caller,
        roles: &guild_config::RolesConfig,
    ) -> Result<KalturaUser, ServiceError> {
        let config = GuildConfig {
            roles: roles.clone(),
            ..GuildConfig::default()
        };
        let role = caller.kaltura_role(&config);
        self.check(
            "kaltura_user",
            format!("kaltura_user {} {role}", caller.user_id),
        )?;
        Ok(KalturaUser {
            id: format!("discord-{}", caller.user_id),
            display_name: caller.display_name.clone(),
            role,
        })
    }

    fn create_meeting(&self, meeting: &NewMeeting) -> Result<Meeting, ServiceError> {
        self.check(
            "create_meeting",
            format!(
                "create_meeting {} {:?} {} {}",
                meeting.guild_id,
                meeting.channel_id.map(|c| c.to_string()),
                meeting.owner.id,
                meeting.title
            ),
        )?;
        let created = Meeting {
            id: MeetingId::parse("0_new").unwrap(),
            kind: meeting.kind,
            title: meeting.title.clone(),
            description: meeting.description.clone(),
            guild_id: meeting.guild_id,
            channel_id: meeting.channel_id,
            owner_id: meeting.owner_id,
            started_at: Some(1_700_000_000),
            active: true,
        };
        self.meetings.borrow_mut().push(created.clone());
        Ok(created)
    }

    fn get_meeting(&self, guild: GuildId, id: &MeetingId) -> Result<Option<Meeting>, ServiceError> {
        self.check("get_meeting", format!("get_meeting {guild} {id}"))?;
        Ok(self.meetings.borrow().iter().find(|m| &m.id == id).cloned())
    }

    fn list_meetings(&self, guild: GuildId) -> Result<Vec<Meeting>, ServiceError> {
        self.check("list_meetings", format!("list_meetings {guild}"))?;
        // Deliberately sloppy: returns every server's meetings, ended ones too, so
        // that the bot's own filtering is tested.
        Ok(self.meetings.borrow().clone())
    }

    fn end_meeting(
        &self,
        guild: GuildId,
        id: &MeetingId,
        by: &KalturaUser,
    ) -> Result<(), ServiceError> {
        self.check("end_meeting", format!("end_meeting {guild} {id} {}", by.id))?;
        for meeting in self.meetings.borrow_mut().iter_mut() {
            if &meeting.id == id {
                meeting.active = false;
            }
        }
        Ok(())
    }

    fn join_url(
        &self,
        meeting: &Meeting,
        user: &KalturaUser,
        part: Part,
    ) -> Result<String, ServiceError> {
        self.check(
            "join_url",
            format!("join_url {} {} {} {part:?}", meeting.id, user.id, user.role),
        )?;
        Ok(format!(
            "https://kaf.example/launch?ks=KS-for-{}-{}",
            user.id, meeting.id
        ))
    }

    fn config_set(
        &self,
        guild: GuildId,
        key: &str,
        value: &str,
        actor: UserId,
    ) -> Result<GuildConfig, ServiceError> {
        self.check(
            "config_set",
            format!("config_set {guild} {key}={value} by {actor}"),
        )?;
        let patch = guild_config::set_patch_from_str(key, value)
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let merged = guild_config::merge_patch(
            &serde_json::to_value(&*self.config.borrow()).unwrap(),
            &patch,
        );
        let config: GuildConfig = serde_json::from_value(merged).unwrap();
        *self.config.borrow_mut() = config.clone();
        Ok(config)
    }

    fn config_reset(
        &self,
        guild: GuildId,
        section: Section,
        actor: UserId,
    ) -> Result<GuildConfig, ServiceError> {
        self.check(
            "config_reset",
            format!("config_reset {guild} {section} by {actor}"),
        )?;
        *self.config.borrow_mut() = GuildConfig::default();
        Ok(GuildConfig::default())
    }
}

use discord_api::id::UserId;

/// A signed-and-parsed interaction of `kind` with `data`, from `user` with `roles` and
/// `permissions`, interaction ID `id`.
fn interaction_from(
    kind: u8,
    data: Value,
    user: &str,
    roles: &[&str],
    permissions: &str,
    id: u64,
) -> Interaction {
    let payload = json!({
        "type": kind,
        "id": id.to_string(),
        "application_id": APP,
        "token": TOKEN,
        "version": 1,
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "member": {
            "user": {"id": user, "username": "ada", "global_name": "Ada L."},
            "roles": roles,
            "permissions": permissions
        },
        "data": data
    });
    Interaction::from_slice(payload.to_string().as_bytes()).unwrap()
}

fn command_as(
    name: &str,
    options: Value,
    user: &str,
    roles: &[&str],
    permissions: &str,
) -> Interaction {
    interaction_from(
        2,
        json!({"id": "500000000000000001", "name": name, "type": 1, "options": options}),
        user,
        roles,
        permissions,
        900_000_000_000_000_001,
    )
}

fn command(name: &str, options: Value) -> Interaction {
    command_as(name, options, OWNER, &[], PLAIN)
}

fn button_as(custom_id: &str, user: &str, roles: &[&str], permissions: &str) -> Interaction {
    interaction_from(
        3,
        json!({"custom_id": custom_id, "component_type": 2}),
        user,
        roles,
        permissions,
        900_000_000_000_000_002,
    )
}

fn button(custom_id: &str) -> Interaction {
    button_as(custom_id, OWNER, &[], PLAIN)
}

fn autocomplete_as(name: &str, options: Value, permissions: &str) -> Interaction {
    interaction_from(
        4,
        json!({"id": "500000000000000001", "name": name, "type": 1, "options": options}),
        MEMBER,
        &[],
        permissions,
        900_000_000_000_000_003,
    )
}

fn json_of(response: &InteractionResponse) -> Value {
    serde_json::from_slice(&response.to_json().unwrap()).unwrap()
}

/// The response of an immediate reply.
fn reply(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Reply { response, .. } => json_of(&response),
        Outcome::Deferred { .. } => panic!("expected an immediate reply"),
    }
}

/// The deferral and the follow-up of a deferred outcome.
fn deferred(outcome: Outcome) -> (Value, FollowUp) {
    match outcome {
        Outcome::Deferred { response, job } => (json_of(&response), *job),
        Outcome::Reply { response, .. } => {
            panic!("expected a deferral, got {}", json_of(&response))
        }
    }
}

fn body(finished: &Finished) -> Value {
    serde_json::to_value(&finished.body).unwrap()
}

fn content(value: &Value) -> &str {
    value["data"]["content"].as_str().unwrap_or_default()
}

fn custom_ids(message: &Value) -> Vec<String> {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().unwrap().clone())
        .filter_map(|b| b["custom_id"].as_str().map(str::to_owned))
        .collect()
}

fn start_options() -> Value {
    json!([
        {"name": "type", "type": 3, "value": "webinar"},
        {"name": "title", "type": 3, "value": "Town hall"},
        {"name": "description", "type": 3, "value": "Q3 *results*"}
    ])
}

fn meeting_option(id: &str) -> Value {
    json!([{"name": "meeting", "type": 3, "value": id}])
}

#[test]
fn a_ping_is_answered_with_a_pong() {
    assert_eq!(
        reply(respond(&Interaction::Ping, &Fake::new())),
        json!({"type": 1})
    );
}

#[test]
fn kaltura_start_defers_ephemerally_then_creates_the_meeting_and_shows_its_panel() {
    let fake = Fake::new();
    let (deferral, job) = deferred(respond(&command("kaltura-start", start_options()), &fake));
    assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
    assert!(
        !fake.called("create_meeting"),
        "nothing waits on Kaltura before the deferral"
    );

    let finished = job.run(&fake);
    assert_eq!(finished.report, None);
    assert!(fake.calls().contains(&format!(
        "create_meeting {GUILD} Some(\"{CHANNEL}\") discord-{OWNER} Town hall"
    )));
    let body = body(&finished);
    assert_eq!(body.get("flags"), None, "an edit carries no flags");
    assert_eq!(body["embeds"][0]["title"], "Town hall");
    assert_eq!(body["embeds"][0]["description"], "Q3 \\*results\\*");
    let fields = body["embeds"][0]["fields"].to_string();
    assert!(
        fields.contains("Webinar")
            && fields.contains(&format!("<@{OWNER}>"))
            && fields.contains("0_new")
    );
    assert_eq!(
        custom_ids(&body),
        ["v1:join:0_new", "v1:share:0_new", "v1:end:0_new"]
    );
}

#[test]
fn the_follow_up_is_a_patch_of_the_original_response() {
    let fake = Fake::new();
    let (_, job) = deferred(respond(&command("kaltura-start", start_options()), &fake));
    let finished = job.run(&fake);
    let request = job
        .edit_original(&finished.body, "http://127.0.0.1:9/")
        .unwrap();
    assert_eq!(request.method(), http::Method::PATCH);
    assert_eq!(
        request.uri().to_string(),
        format!("http://127.0.0.1:9/api/v10/webhooks/{APP}/{TOKEN}/messages/@original")
    );
    assert_eq!(request.headers().get("authorization"), None);
    let sent: Value = serde_json::from_slice(request.body()).unwrap();
    assert_eq!(sent, body(&finished));
    assert_eq!(job.application_id().to_string(), APP);
    assert!(
        !format!("{job:?}").contains(TOKEN),
        "the token never prints"
    );
}

#[test]
fn kaltura_start_answers_at_once_when_kalturas_circuit_is_open() {
    let fake = Fake::new();
    fake.circuit_open.set(true);
    let value = reply(respond(&command("kaltura-start", start_options()), &fake));
    assert_eq!(value["type"], 4);
    assert_eq!(value["data"]["flags"], 64);
    assert_eq!(content(&value), KALTURA_UNAVAILABLE);
}

#[test]
fn a_failed_follow_up_shows_an_error_id_that_is_also_reported() {
    let fake = Fake::new();
    fake.fail(
        "create_meeting",
        ServiceError::Unavailable("kaltura timed out".into()),
    );
    let (_, job) = deferred(respond(&command("kaltura-start", start_options()), &fake));
    let finished = job.run(&fake);
    let report = finished.report.clone().unwrap();
    let text = body(&finished)["content"].as_str().unwrap().to_owned();
    assert!(
        text.starts_with("Kaltura is unavailable right now."),
        "{text}"
    );
    assert!(text.contains(&format!("(error ID `{}`)", report.error_id)));
    assert_eq!(report.action, "/kaltura-start");
    assert_eq!(report.detail, "unavailable: kaltura timed out");
    assert!(
        !text.contains("timed out"),
        "operator detail is not shown to members"
    );
}

#[test]
fn a_member_without_an_allowed_role_is_denied_every_command() {
    let fake = Fake::new();
    fake.config.borrow_mut().commands.start.allowed_roles = vec![MOD_ROLE.parse().unwrap()];
    let value = reply(respond(&command("kaltura-start", start_options()), &fake));
    assert_eq!(value["data"]["flags"], 64);
    assert_eq!(
        content(&value),
        format!("You need one of these roles: <@&{MOD_ROLE}>.")
    );
    assert_eq!(value["data"]["allowed_mentions"], json!({"parse": []}));
    assert_eq!(fake.calls(), [format!("guild_config {GUILD}")]);
    let allowed = command_as("kaltura-start", start_options(), OWNER, &[MOD_ROLE], PLAIN);
    assert!(matches!(respond(&allowed, &fake), Outcome::Deferred { .. }));
}

#[test]
fn a_disabled_command_is_denied_and_so_are_its_buttons() {
    let fake = Fake::new();
    fake.config.borrow_mut().commands.join.enabled = false;
    for interaction in [
        command("kaltura-join", meeting_option("0_weekly")),
        button("v1:join:0_weekly"),
    ] {
        let value = reply(respond(&interaction, &fake));
        assert_eq!(
            content(&value),
            "/kaltura-join is turned off on this server."
        );
    }
    assert!(!fake.called("join_url") && !fake.called("get_meeting"));
}

#[test]
fn kaltura_join_sends_the_callers_own_link_ephemerally_as_a_link_button() {
    let fake = Fake::new();
    fake.config
        .borrow_mut()
        .roles
        .mapping
        .insert(MOD_ROLE.parse().unwrap(), KalturaRole::Moderator);
    let interaction = command_as(
        "kaltura-join",
        meeting_option("0_weekly"),
        MEMBER,
        &[MOD_ROLE],
        PLAIN,
    );
    let (deferral, job) = deferred(respond(&interaction, &fake));
    assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
    let finished = job.run(&fake);
    assert!(fake
        .calls()
        .contains(&format!("kaltura_user {MEMBER} moderator")));
    let body = body(&finished);
    let link = &body["components"][0]["components"][0];
    assert_eq!(link["style"], 5);
    assert_eq!(
        link["url"],
        format!("https://kaf.example/launch?ks=KS-for-discord-{MEMBER}-0_weekly")
    );
    assert!(body["content"]
        .as_str()
        .unwrap()
        .contains("**Weekly sync**"));
}

#[test]
fn the_join_button_gives_each_clicker_their_own_link() {
    let fake = Fake::new();
    let (deferral, job) = deferred(respond(
        &button_as("v1:join:0_weekly", MEMBER, &[], PLAIN),
        &fake,
    ));
    assert_eq!(deferral["data"]["flags"], 64);
    let url = body(&job.run(&fake))["components"][0]["components"][0]["url"].clone();
    assert_eq!(
        url,
        format!("https://kaf.example/launch?ks=KS-for-discord-{MEMBER}-0_weekly")
    );
    assert!(fake
        .calls()
        .contains(&format!("kaltura_user {MEMBER} viewer")));
}

#[test]
fn the_owner_and_moderators_join_as_hosts_and_everyone_else_as_attendees() {
    let fake = Fake::new();
    fake.config
        .borrow_mut()
        .roles
        .mapping
        .insert(MOD_ROLE.parse().unwrap(), KalturaRole::Moderator);
    let cases = [
        (OWNER, &[][..], "viewer Host"),
        (MEMBER, &[MOD_ROLE][..], "moderator Host"),
        (MEMBER, &[][..], "viewer Attendee"),
    ];
    for (user, roles, expected) in cases {
        fake.calls.borrow_mut().clear();
        let (_, job) = deferred(respond(
            &command_as(
                "kaltura-join",
                meeting_option("0_weekly"),
                user,
                roles,
                PLAIN,
            ),
            &fake,
        ));
        job.run(&fake);
        assert!(
            fake.calls()
                .contains(&format!("join_url 0_weekly discord-{user} {expected}")),
            "{user} {roles:?}: {:?}",
            fake.calls()
        );
    }
}

#[test]
fn roles_come_from_the_member_in_the_payload_only() {
    let fake = Fake::new();
    fake.config
        .borrow_mut()
        .roles
        .mapping
        .insert(MOD_ROLE.parse().unwrap(), KalturaRole::Admin);
    // The role ID typed as an option value changes nothing.
    let options = json!([
        {"name": "meeting", "type": 3, "value": "0_weekly"},
        {"name": "roles", "type": 3, "value": MOD_ROLE}
    ]);
    let (_, job) = deferred(respond(
        &command_as("kaltura-join", options, MEMBER, &[], PLAIN),
        &fake,
    ));
    job.run(&fake);
    assert!(fake
        .calls()
        .contains(&format!("kaltura_user {MEMBER} viewer")));
    let (_, job) = deferred(respond(
        &command_as(
            "kaltura-join",
            meeting_option("0_weekly"),
            MEMBER,
            &[],
            ADMIN,
        ),
        &fake,
    ));
    job.run(&fake);
    assert!(fake
        .calls()
        .contains(&format!("kaltura_user {MEMBER} admin")));
}

#[test]
fn joining_a_meeting_of_another_server_an_ended_or_unknown_one_is_refused() {
    let fake = Fake::new();
    fake.add_meeting("0_elsewhere", "Theirs", OTHER_GUILD, OWNER, true);
    fake.add_meeting("0_over", "Over", GUILD, OWNER, false);
    for id in ["0_elsewhere", "0_over", "0_unknown"] {
        let value = reply(respond(&command("kaltura-join", meeting_option(id)), &fake));
        assert_eq!(content(&value), NOT_RUNNING, "{id}");
        assert_eq!(value["data"]["flags"], 64);
    }
    assert!(!fake.called("join_url"));
}

#[test]
fn kaltura_join_answers_at_once_when_kalturas_circuit_is_open() {
    let fake = Fake::new();
    fake.circuit_open.set(true);
    let value = reply(respond(
        &command("kaltura-join", meeting_option("0_weekly")),
        &fake,
    ));
    assert_eq!(content(&value), KALTURA_UNAVAILABLE);
}

#[test]
fn a_join_url_too_long_for_a_link_button_is_an_error_not_a_panic() {
    struct LongUrl(Fake);
    impl Services for LongUrl {
        fn guild_config(&self, g: GuildId) -> Result<GuildConfig, ServiceError> {
            self.0.guild_config(g)
        }
        fn kaltura_circuit_open(&self) -> bool {
            false
        }
        fn kaltura_user(
            &self,
            c: &Caller,
            r: &guild_config::RolesConfig,
        ) -> Result<KalturaUser, ServiceError> {
            self.0.kaltura_user(c, r)
        }
        fn create_meeting(&self, m: &NewMeeting) -> Result<Meeting, ServiceError> {
            self.0.create_meeting(m)
        }
        fn get_meeting(&self, g: GuildId, id: &MeetingId) -> Result<Option<Meeting>, ServiceError> {
            self.0.get_meeting(g, id)
        }
        fn list_meetings(&self, g: GuildId) -> Result<Vec<Meeting>, ServiceError> {
            self.0.list_meetings(g)
        }
        fn end_meeting(
            &self,
            g: GuildId,
            id: &MeetingId,
            by: &KalturaUser,
        ) -> Result<(), ServiceError> {
            self.0.end_meeting(g, id, by)
        }
        fn join_url(&self, _: &Meeting, _: &KalturaUser, _: Part) -> Result<String, ServiceError> {
            Ok(format!("https://kaf.example/launch?ks={}", "k".repeat(600)))
        }
        fn config_set(
            &self,
            g: GuildId,
            k: &str,
            v: &str,
            a: UserId,
        ) -> Result<GuildConfig, ServiceError> {
            self.0.config_set(g, k, v, a)
        }
        fn config_reset(
            &self,
            g: GuildId,
            s: Section,
            a: UserId,
        ) -> Result<GuildConfig, ServiceError> {
            self.0.config_reset(g, s, a)
        }
    }
    let services = LongUrl(Fake::new());
    let (_, job) = deferred(respond(
        &command("kaltura-join", meeting_option("0_weekly")),
        &services,
    ));
    let finished = job.run(&services);
    let report = finished.report.clone().unwrap();
    assert!(report.detail.starts_with("reply could not be built"));
    assert!(
        !report.to_string().contains("kkkk"),
        "the KS is never logged"
    );
    assert!(!body(&finished).to_string().contains("kkkk"));
}

#[test]
fn kaltura_list_shows_only_this_servers_active_meetings_with_join_buttons() {
    let fake = Fake::new();
    fake.add_meeting("0_elsewhere", "Theirs", OTHER_GUILD, OWNER, true);
    fake.add_meeting("0_over", "Over", GUILD, OWNER, false);
    fake.add_meeting("0_class", "Physics <@&1> @everyone", GUILD, MEMBER, true);
    fake.add_meeting("0_class", "Duplicate record", GUILD, MEMBER, true);
    let value = reply(respond(&command("kaltura-list", json!([])), &fake));
    assert_eq!(value["data"]["flags"], 64);
    assert_eq!(
        custom_ids(&value["data"]),
        ["v1:join:0_weekly", "v1:join:0_class"]
    );
    let text = value.to_string();
    assert!(!text.contains("Theirs") && !text.contains("Over") && !text.contains("Duplicate"));
    assert!(
        !text.contains("@everyone"),
        "mentions in Kaltura titles are broken"
    );
    assert_eq!(value["data"]["allowed_mentions"], json!({"parse": []}));
}

#[test]
fn an_empty_list_says_how_to_start_a_meeting() {
    let fake = Fake::new();
    fake.meetings.borrow_mut().clear();
    let value = reply(respond(&command("kaltura-list", json!([])), &fake));
    assert!(content(&value).contains("/kaltura-start"));
}

#[test]
fn kaltura_end_by_the_owner_asks_for_confirmation() {
    let fake = Fake::new();
    let value = reply(respond(
        &command("kaltura-end", meeting_option("0_weekly")),
        &fake,
    ));
    assert_eq!(value["type"], 4);
    assert_eq!(value["data"]["flags"], 64);
    assert!(content(&value).starts_with("End **Weekly sync**?"));
    assert_eq!(
        custom_ids(&value["data"]),
        ["v1:end-confirm:0_weekly", "v1:end-cancel:0_weekly"]
    );
    assert!(
        !fake.called("end_meeting"),
        "nothing ends before confirmation"
    );
    let value = reply(respond(&button("v1:end:0_weekly"), &fake));
    assert!(content(&value).starts_with("End **Weekly sync**?"));
}

#[test]
fn only_the_owner_or_a_moderator_may_end_or_share_a_meeting() {
    let fake = Fake::new();
    fake.config
        .borrow_mut()
        .roles
        .mapping
        .insert(MOD_ROLE.parse().unwrap(), KalturaRole::Moderator);
    for custom_id in [
        "v1:end:0_weekly",
        "v1:end-confirm:0_weekly",
        "v1:share:0_weekly",
    ] {
        let value = reply(respond(&button_as(custom_id, MEMBER, &[], PLAIN), &fake));
        assert_eq!(content(&value), NOT_YOURS, "{custom_id}");
    }
    let value = reply(respond(
        &command_as(
            "kaltura-end",
            meeting_option("0_weekly"),
            MEMBER,
            &[],
            PLAIN,
        ),
        &fake,
    ));
    assert_eq!(content(&value), NOT_YOURS);
    assert!(!fake.called("end_meeting"));
    let moderator = command_as(
        "kaltura-end",
        meeting_option("0_weekly"),
        MEMBER,
        &[MOD_ROLE],
        PLAIN,
    );
    assert!(content(&reply(respond(&moderator, &fake))).starts_with("End **"));
    let admin = command_as(
        "kaltura-end",
        meeting_option("0_weekly"),
        MEMBER,
        &[],
        ADMIN,
    );
    assert!(content(&reply(respond(&admin, &fake))).starts_with("End **"));
}

#[test]
fn confirming_the_end_defers_an_update_then_ends_the_meeting() {
    let fake = Fake::new();
    let (deferral, job) = deferred(respond(&button("v1:end-confirm:0_weekly"), &fake));
    assert_eq!(deferral, json!({"type": 6}));
    assert!(!fake.called("end_meeting"));
    let finished = job.run(&fake);
    assert!(fake
        .calls()
        .contains(&format!("end_meeting {GUILD} 0_weekly discord-{OWNER}")));
    let body = body(&finished);
    assert_eq!(body["content"], "✅ **Weekly sync** has ended.");
    let buttons = &body["components"][0]["components"];
    assert_eq!(buttons[0]["disabled"], true);
    assert_eq!(buttons[1]["disabled"], true);
    // A second click finds nothing to end.
    let value = reply(respond(&button("v1:end-confirm:0_weekly"), &fake));
    assert_eq!(content(&value), NOT_RUNNING);
}

#[test]
fn confirming_the_end_answers_at_once_when_kalturas_circuit_is_open() {
    let fake = Fake::new();
    fake.circuit_open.set(true);
    let value = reply(respond(&button("v1:end-confirm:0_weekly"), &fake));
    assert_eq!(content(&value), KALTURA_UNAVAILABLE);
    assert!(!fake.called("end_meeting"));
}

#[test]
fn a_failed_end_keeps_the_confirmation_buttons_for_a_retry() {
    let fake = Fake::new();
    fake.fail(
        "end_meeting",
        ServiceError::NotFound("meeting 0_weekly".into()),
    );
    let (_, job) = deferred(respond(&button("v1:end-confirm:0_weekly"), &fake));
    let finished = job.run(&fake);
    let body = body(&finished);
    assert!(body["content"]
        .as_str()
        .unwrap()
        .starts_with("That meeting no longer exists."));
    assert_eq!(
        body.get("components"),
        None,
        "an edit without components keeps them"
    );
    assert_eq!(finished.report.unwrap().action, "button end-confirm");
}

#[test]
fn cancelling_the_end_updates_the_confirmation_in_place() {
    let fake = Fake::new();
    let value = reply(respond(&button("v1:end-cancel:0_weekly"), &fake));
    assert_eq!(value["type"], 7);
    assert_eq!(
        value["data"]["content"],
        "Cancelled: **Weekly sync** keeps running."
    );
    assert_eq!(
        value["data"]["components"][0]["components"][0]["disabled"],
        true
    );
    assert!(!fake.called("end_meeting"));
}

#[test]
fn share_posts_the_servers_template_publicly_without_pinging_anyone() {
    let fake = Fake::new();
    fake.add_meeting("0_party", "@everyone **free** pizza", GUILD, OWNER, true);
    let value = reply(respond(&button("v1:share:0_party"), &fake));
    assert_eq!(value["type"], 4);
    assert_eq!(value["data"].get("flags"), None, "a share is public");
    assert_eq!(
        content(&value),
        format!(
            "<@{OWNER}> invites you to **@\u{200B}everyone \\*\\*free\\*\\* pizza** (Interactive Meeting Room): the Join button below"
        )
    );
    assert_eq!(value["data"]["allowed_mentions"], json!({"parse": []}));
    assert_eq!(custom_ids(&value["data"]), ["v1:join:0_party"]);
    assert!(
        !value.to_string().contains("ks="),
        "join links are never public"
    );
    assert!(!fake.called("join_url"));
}

#[test]
fn share_may_ping_everyone_only_when_the_server_allows_it() {
    let fake = Fake::new();
    {
        let mut config = fake.config.borrow_mut();
        config.notifications.allow_everyone_mentions = true;
        config.notifications.meeting_share.template =
            "@everyone {{title}} by {{owner}} ({{meeting_id}}) {{start_time}} in {{guild}}".into();
    }
    let value = reply(respond(&button("v1:share:0_weekly"), &fake));
    assert_eq!(
        content(&value),
        "@everyone Weekly sync by Ada L. (0\\_weekly) <t:1700000000:F> in this server"
    );
    assert_eq!(
        value["data"]["allowed_mentions"],
        json!({"parse": ["everyone"]})
    );
}

#[test]
fn forged_or_unknown_buttons_get_a_friendly_ephemeral_reply() {
    let fake = Fake::new();
    for custom_id in [
        "v2:join:0_weekly",
        "v1:nuke:0_weekly",
        "v1:join:../x",
        "",
        "v1:join:0_weekly:extra",
    ] {
        let value = reply(respond(&button(custom_id), &fake));
        assert_eq!(value["data"]["flags"], 64, "{custom_id}");
        assert_eq!(content(&value), Rejection::UnknownComponent.to_string());
    }
    assert!(fake.calls().is_empty(), "forged buttons reach no service");
}

#[test]
fn an_unknown_command_and_a_modal_get_a_friendly_ephemeral_reply() {
    let fake = Fake::new();
    let value = reply(respond(&command("kaltura-party", json!([])), &fake));
    assert_eq!(content(&value), Rejection::UnknownCommand.to_string());
    assert_eq!(value["data"]["flags"], 64);
    let modal = interaction_from(
        5,
        json!({"custom_id": "x", "components": []}),
        OWNER,
        &[],
        PLAIN,
        9,
    );
    let value = reply(respond(&modal, &fake));
    assert_eq!(content(&value), Rejection::UnknownModal.to_string());
}

#[test]
fn a_bad_option_is_answered_in_words() {
    let fake = Fake::new();
    let options = json!([
        {"name": "type", "type": 3, "value": "rave"},
        {"name": "title", "type": 3, "value": "x"}
    ]);
    let value = reply(respond(&command("kaltura-start", options), &fake));
    assert_eq!(
        content(&value),
        "Pick a meeting type: webinar, meeting or classroom."
    );
}

#[test]
fn an_interaction_outside_a_server_is_refused() {
    let payload = json!({
        "type": 2, "id": "9", "application_id": APP, "token": TOKEN,
        "user": {"id": OWNER, "username": "ada"},
        "data": {"id": "5", "name": "kaltura-list", "type": 1}
    });
    let interaction = Interaction::from_slice(payload.to_string().as_bytes()).unwrap();
    let fake = Fake::new();
    let value = reply(respond(&interaction, &fake));
    assert_eq!(content(&value), "Kaltura commands work in servers only.");
    assert!(fake.calls().is_empty());
}

#[test]
fn meeting_autocomplete_lists_this_servers_active_meetings_matching_the_input() {
    let fake = Fake::new();
    fake.add_meeting("0_elsewhere", "Weekly elsewhere", OTHER_GUILD, OWNER, true);
    for i in 0..40 {
        fake.add_meeting(
            &format!("0_w{i}"),
            &format!("Weekly {i}"),
            GUILD,
            OWNER,
            true,
        );
    }
    fake.add_meeting("0_physics", "Physics", GUILD, OWNER, true);
    let options = json!([{"name": "meeting", "type": 3, "value": "WEEK", "focused": true}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-join", options, PLAIN),
        &fake,
    ));
    assert_eq!(value["type"], 8);
    let choices = value["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 25);
    assert_eq!(
        choices[0],
        json!({"name": "Weekly sync · Interactive Meeting Room", "value": "0_weekly"})
    );
    assert!(choices
        .iter()
        .all(|c| c["value"] != "0_elsewhere" && c["value"] != "0_physics"));
}

#[test]
fn autocomplete_for_a_member_without_permission_suggests_nothing() {
    let fake = Fake::new();
    fake.config.borrow_mut().commands.end.enabled = false;
    let options = json!([{"name": "meeting", "type": 3, "value": "", "focused": true}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-end", options, PLAIN),
        &fake,
    ));
    assert_eq!(value, json!({"type": 8, "data": {"choices": []}}));
    assert!(!fake.called("list_meetings"));
}

#[test]
fn a_failing_autocomplete_suggests_nothing_and_reports_the_error() {
    let fake = Fake::new();
    fake.fail("list_meetings", ServiceError::Storage("kv down".into()));
    let options = json!([{"name": "meeting", "type": 3, "value": "", "focused": true}]);
    let outcome = respond(&autocomplete_as("kaltura-join", options, PLAIN), &fake);
    assert_eq!(outcome.report().unwrap().detail, "storage: kv down");
    assert_eq!(reply(outcome), json!({"type": 8, "data": {"choices": []}}));
}

#[test]
fn config_key_autocomplete_offers_server_settings_only() {
    let fake = Fake::new();
    let options = json!([{"name": "set", "type": 1, "options": [
        {"name": "key", "type": 3, "value": "role", "focused": true}]}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-config", options.clone(), MANAGER),
        &fake,
    ));
    let values: Vec<&str> = value["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert!(values.contains(&"roles.default_role"), "{values:?}");
    let all = json!([{"name": "set", "type": 1, "options": [
        {"name": "key", "type": 3, "value": "privileges", "focused": true}]}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-config", all, MANAGER),
        &fake,
    ));
    assert_eq!(
        value["data"]["choices"],
        json!([]),
        "deployment-only keys are not offered"
    );
    let denied = reply(respond(
        &autocomplete_as("kaltura-config", options, PLAIN),
        &fake,
    ));
    assert_eq!(denied["data"]["choices"], json!([]));
}

fn config_command(sub: &str, options: Value, permissions: &str) -> Interaction {
    command_as(
        "kaltura-config",
        json!([{"name": sub, "type": 1, "options": options}]),
        MEMBER,
        &[],
        permissions,
    )
}

#[test]
fn kaltura_config_needs_manage_server_by_default() {
    let fake = Fake::new();
    let value = reply(respond(&config_command("view", json!([]), PLAIN), &fake));
    assert_eq!(
        content(&value),
        "You need these Discord permissions: MANAGE_GUILD."
    );
    let value = reply(respond(
        &config_command(
            "reset",
            json!([{"name": "section", "type": 3, "value": "roles"}]),
            PLAIN,
        ),
        &fake,
    ));
    assert!(content(&value).starts_with("You need"));
    assert!(!fake.called("config_reset"));
}

#[test]
fn kaltura_config_view_shows_readable_fields_not_json() {
    let fake = Fake::new();
    fake.config
        .borrow_mut()
        .roles
        .mapping
        .insert(MOD_ROLE.parse().unwrap(), KalturaRole::Moderator);
    let options = json!([{"name": "section", "type": 3, "value": "roles"}]);
    let value = reply(respond(&config_command("view", options, MANAGER), &fake));
    assert_eq!(value["data"]["flags"], 64);
    let embed = &value["data"]["embeds"][0];
    assert_eq!(embed["title"], "Roles settings");
    assert!(embed["fields"].as_array().unwrap().iter().any(|f| f["name"]
        == "Discord roles → moderator"
        && f["value"] == format!("<@&{MOD_ROLE}>")));
    assert!(!embed.to_string().contains("\\\"mapping\\\""));
    let all = reply(respond(&config_command("view", json!([]), ADMIN), &fake));
    assert_eq!(all["data"]["embeds"].as_array().unwrap().len(), 5);
}

#[test]
fn kaltura_config_set_validates_before_writing() {
    let fake = Fake::new();
    let options = json!([
        {"name": "key", "type": 3, "value": "roles.default_role"},
        {"name": "value", "type": 3, "value": "overlord"}
    ]);
    let value = reply(respond(&config_command("set", options, MANAGER), &fake));
    assert!(
        content(&value).starts_with("Nothing was changed. roles.default\\_role: must be one of"),
        "{}",
        content(&value)
    );
    assert!(!fake.called("config_set"));
}

#[test]
fn kaltura_config_set_writes_as_the_member_and_shows_the_section() {
    let fake = Fake::new();
    let options = json!([
        {"name": "key", "type": 3, "value": "roles.default_role"},
        {"name": "value", "type": 3, "value": "moderator"}
    ]);
    let value = reply(respond(&config_command("set", options, MANAGER), &fake));
    assert_eq!(content(&value), "✅ `roles.default_role` is updated.");
    assert!(fake.calls().contains(&format!(
        "config_set {GUILD} roles.default_role=moderator by {MEMBER}"
    )));
    assert!(value["data"]["embeds"][0]["fields"]
        .to_string()
        .contains("moderator"));
}

#[test]
fn a_config_write_rejected_by_the_service_is_explained_and_a_conflict_gets_an_error_id() {
    let fake = Fake::new();
    fake.fail(
        "config_set",
        ServiceError::Invalid("roles.mapping: at most 100 entries".into()),
    );
    let options = json!([
        {"name": "key", "type": 3, "value": "features.activity"},
        {"name": "value", "type": 3, "value": "on"}
    ]);
    let value = reply(respond(
        &config_command("set", options.clone(), MANAGER),
        &fake,
    ));
    assert_eq!(
        content(&value),
        "Nothing was changed. roles.mapping: at most 100 entries"
    );
    let fake = Fake::new();
    fake.fail("config_set", ServiceError::Conflict("version 3".into()));
    let outcome = respond(&config_command("set", options, MANAGER), &fake);
    let report = outcome.report().unwrap().clone();
    assert!(content(&reply(outcome)).contains(&format!("error ID `{}`", report.error_id)));
}

#[test]
fn kaltura_config_reset_resets_one_section_as_the_member() {
    let fake = Fake::new();
    let options = json!([{"name": "section", "type": 3, "value": "notifications"}]);
    let value = reply(respond(&config_command("reset", options, ADMIN), &fake));
    assert_eq!(
        content(&value),
        "✅ The notifications settings are back to their defaults."
    );
    assert!(fake
        .calls()
        .contains(&format!("config_reset {GUILD} notifications by {MEMBER}")));
}

#[test]
fn an_unreadable_configuration_is_a_friendly_error_with_an_id() {
    let fake = Fake::new();
    *fake.config_error.borrow_mut() = Some(ServiceError::Storage("kv unavailable".into()));
    let outcome = respond(&command("kaltura-list", json!([])), &fake);
    let report = outcome.report().unwrap().clone();
    assert_eq!(report.action, "/kaltura-list");
    let value = reply(outcome);
    assert_eq!(
        content(&value),
        format!(
            "Something went wrong on our side. (error ID `{}`)",
            report.error_id
        )
    );
    assert_eq!(value["data"]["flags"], 64);
    assert!(report
        .to_string()
        .contains(&format!("error_id={}", report.error_id)));
}

#[test]
fn error_ids_are_short_stable_and_differ_between_interactions() {
    let a = ErrorId::for_interaction(Id::new(900_000_000_000_000_001).unwrap());
    let b = ErrorId::for_interaction(Id::new(900_000_000_000_000_002).unwrap());
    assert_eq!(a.as_str().len(), 8);
    assert!(a
        .as_str()
        .bytes()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    assert_ne!(a, b);
    assert_eq!(
        a,
        ErrorId::for_interaction(Id::new(900_000_000_000_000_001).unwrap())
    );
}

#[test]
fn every_command_name_is_dispatched() {
    // One interaction per configurable command reaches the services (no "unknown").
    let fake = Fake::new();
    let cases = [
        (CommandName::Start, start_options()),
        (CommandName::Join, meeting_option("0_weekly")),
        (CommandName::List, json!([])),
        (CommandName::End, meeting_option("0_weekly")),
        (CommandName::Config, json!([{"name": "view", "type": 1}])),
    ];
    for (name, options) in cases {
        let outcome = respond(
            &command_as(name.as_str(), options, OWNER, &[], ADMIN),
            &fake,
        );
        let text = json_of(outcome.response()).to_string();
        assert!(!text.contains("know that"), "{name}: {text}");
    }
}
