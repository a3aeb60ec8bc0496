//! Dispatch tested with an in-memory [`Fake`] of the three ports (`config`, `identity`'s
//! members, `kaltura`): every command and button, permission denials, forged input, the
//! deferred path and error IDs. The fake applies the services' rules in their simplest
//! form, so the tests show what the bot asks and what it does with each answer.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use contracts::config::{
    AuditEntry, Command, DeploymentSettings, GuildSettings, Message, Section, SettingKey,
    SettingLine, UpdateResult,
};
use contracts::identity::{KalturaIdentity, UserRecord};
use contracts::{KalturaRole, Member, ServiceStatus};
use discord_api::Id;
use serde_json::{json, Value};

use super::*;

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

/// The meeting every fake starts with.
const WEEKLY: u64 = 1001;
/// The meeting the fake creates.
const NEW: u64 = 2001;

/// The compiled default of the share card, as `config` fills it in.
const DEFAULT_SHARE: &str = "{{owner}} invites you to **{{title}}** ({{type}}): {{url}}";

fn id(text: &str) -> u64 {
    text.parse().unwrap()
}

/// A role as the fake's call records write it: `viewer`, `moderator`, `admin`.
fn name(role: KalturaRole) -> &'static str {
    match role {
        KalturaRole::Viewer => "viewer",
        KalturaRole::Moderator => "moderator",
        KalturaRole::Admin => "admin",
    }
}

/// The services, in memory, recording every call.
struct Fake {
    /// Commands `config` refuses, unless the member has the role, with its reason.
    denied: RefCell<Vec<(Command, Option<u64>, String)>>,
    /// `config`'s failure for every call, if any.
    config_error: RefCell<Option<Error>>,
    /// Discord role → Kaltura role (`roles.mapping`).
    mapping: RefCell<BTreeMap<u64, KalturaRole>>,
    /// The server's share card template and whether it may ping `@everyone`.
    share_template: RefCell<String>,
    allow_everyone: Cell<bool>,
    /// The server's overrides, set through `/kaltura-config set`.
    settings: RefCell<BTreeMap<String, String>>,
    circuit_open: Cell<bool>,
    meetings: RefCell<Vec<Meeting>>,
    failing: RefCell<Vec<(&'static str, Error)>>,
    calls: RefCell<Vec<String>>,
    subscriptions: RefCell<Vec<contracts::events::Subscription>>,
    /// `features.activity` of the server.
    activity: Cell<bool>,
    /// The server's followed categories.
    categories: RefCell<Vec<u32>>,
    /// Kaltura's media library (every entry is within every scope).
    media: RefCell<Vec<contracts::kaltura::MediaEntry>>,
    /// The videos voice channels asked for: (guild, channel, entry, by).
    requested: RefCell<Vec<(u64, u64, String, u64)>>,
}

/// The compiled default of the video share card.
const VIDEO_SHARE: &str = "{{shared_by}} shared the video **{{title}}** ({{duration}}): {{url}}";

impl Fake {
    fn new() -> Self {
        let fake = Self {
            denied: RefCell::new(Vec::new()),
            config_error: RefCell::new(None),
            mapping: RefCell::new(BTreeMap::new()),
            share_template: RefCell::new(DEFAULT_SHARE.to_owned()),
            allow_everyone: Cell::new(false),
            settings: RefCell::new(BTreeMap::new()),
            circuit_open: Cell::new(false),
            meetings: RefCell::new(Vec::new()),
            failing: RefCell::new(Vec::new()),
            calls: RefCell::new(Vec::new()),
            subscriptions: RefCell::new(Vec::new()),
            activity: Cell::new(true),
            categories: RefCell::new(vec![7]),
            media: RefCell::new(vec![contracts::kaltura::MediaEntry {
                id: "0_intro01".into(),
                name: "Intro lecture".into(),
                description: Some("The *first* one".into()),
                duration_seconds: Some(125),
                thumbnail_url: Some("https://cdn.test/thumb/0_intro01".into()),
                created_at: Some(1_700_000_000),
                ready: true,
            }]),
            requested: RefCell::new(Vec::new()),
        };
        fake.add_meeting(WEEKLY, "Weekly sync", GUILD, OWNER, true);
        fake
    }

    fn services(&self) -> &Self {
        self
    }

    fn add_meeting(&self, id: u64, title: &str, guild: &str, owner: &str, active: bool) {
        self.meetings.borrow_mut().push(Meeting {
            id,
            kind: MeetingKind::Meeting,
            title: title.into(),
            guild_id: self::id(guild),
            channel_id: self::id(CHANNEL),
            owner_id: self::id(owner),
            created_at: 1_700_000_000,
            start_time: None,
            end_time: None,
            ended_at: (!active).then_some(1_700_000_500),
        });
    }

    fn map_role(&self, role: &str, to: KalturaRole) {
        self.mapping.borrow_mut().insert(id(role), to);
    }

    fn deny(&self, command: Command, unless_role: Option<&str>, reason: &str) {
        self.denied
            .borrow_mut()
            .push((command, unless_role.map(id), reason.to_owned()));
    }

    fn fail(&self, method: &'static str, err: Error) {
        self.failing.borrow_mut().push((method, err));
    }

    fn check(&self, method: &'static str, call: String) -> Result<(), Error> {
        self.calls.borrow_mut().push(call);
        self.failure(method).map_or(Ok(()), Err)
    }

    fn failure(&self, method: &str) -> Option<Error> {
        self.failing
            .borrow()
            .iter()
            .find(|(m, _)| *m == method)
            .map(|(_, err)| err.clone())
    }

    fn config_check(&self, call: String) -> Result<(), Error> {
        self.calls.borrow_mut().push(call);
        self.config_error.borrow().clone().map_or(Ok(()), Err)
    }

    fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }

    fn called(&self, prefix: &str) -> bool {
        self.calls.borrow().iter().any(|c| c.starts_with(prefix))
    }

    fn meeting(&self, id: u64) -> Option<Meeting> {
        self.meetings.borrow().iter().find(|m| m.id == id).cloned()
    }

    /// `kaltura`'s rule, in its simplest form: the owner or a moderator.
    fn manages(meeting: &Meeting, user: Option<u64>, role: KalturaRole) -> bool {
        user == Some(meeting.owner_id) || role >= KalturaRole::Moderator
    }
}

impl contracts::Config for Fake {
    fn status(&self) -> ServiceStatus {
        unreachable!("the bot never asks")
    }

    fn get(&self, guild_id: u64) -> Result<GuildSettings, Error> {
        self.config_check(format!("get {guild_id}"))?;
        Ok(GuildSettings {
            version: 0,
            deployment_version: 0,
            features: contracts::config::Features {
                activity: self.activity.get(),
                embed_player: true,
                recording_notices: true,
            },
            kaltura: contracts::config::KalturaSettings {
                join_privileges: String::new(),
                host_privileges: String::new(),
                view_privileges: String::new(),
                player_uiconf_id: None,
                category_ids: self.categories.borrow().clone(),
            },
            document_json: "{}".into(),
            overrides_json: "{}".into(),
        })
    }

    fn check_permission(&self, command: Command, member: &Member) -> Result<Access, Error> {
        self.config_check(format!(
            "check_permission {} {}",
            command.as_str(),
            member.user_id
        ))?;
        let denied = self.denied.borrow();
        let refusal = denied.iter().find(|(c, unless, _)| {
            *c == command && !unless.is_some_and(|role| member.role_ids.contains(&role))
        });
        Ok(refusal.map_or(Access::Allowed, |(_, _, reason)| {
            Access::Denied(reason.clone())
        }))
    }

    /// The rule's simplest form: the `ADMINISTRATOR` bit, else the highest mapped role.
    fn role_for(&self, member: &Member) -> Result<KalturaRole, Error> {
        self.config_check(format!("role_for {}", member.user_id))?;
        if member.permissions & 8 != 0 {
            return Ok(KalturaRole::Admin);
        }
        let mapping = self.mapping.borrow();
        Ok(member
            .role_ids
            .iter()
            .filter_map(|role| mapping.get(role).copied())
            .max()
            .unwrap_or(KalturaRole::Viewer))
    }

    fn render_message(
        &self,
        guild_id: u64,
        kind: MessageKind,
        values: &[(String, String)],
    ) -> Result<Option<Message>, Error> {
        assert!(
            matches!(kind, MessageKind::MeetingShare | MessageKind::VideoShare),
            "the bot renders shares"
        );
        self.config_check(format!("render_message {guild_id} share"))?;
        let template = if kind == MessageKind::VideoShare {
            VIDEO_SHARE.to_owned()
        } else {
            self.share_template.borrow().clone()
        };
        let content = values.iter().fold(template, |text, (name, value)| {
            text.replace(&format!("{{{{{name}}}}}"), value)
        });
        Ok(Some(Message {
            channel_id: None,
            content,
            allow_everyone_mentions: self.allow_everyone.get(),
        }))
    }

    fn render_section(&self, guild_id: u64, section: Section) -> Result<Vec<SettingLine>, Error> {
        self.config_check(format!("render_section {guild_id} {}", section.as_str()))?;
        let prefix = format!("{}.", section.as_str());
        let mapping = self.mapping.borrow();
        let mut lines: Vec<SettingLine> = self
            .settings
            .borrow()
            .iter()
            .filter(|(key, _)| key.starts_with(&prefix))
            .map(|(key, value)| SettingLine {
                name: key.clone(),
                value: value.clone(),
            })
            .collect();
        if section == Section::Roles {
            lines.extend(mapping.iter().map(|(role, to)| SettingLine {
                name: format!("Discord roles → {}", name(*to)),
                value: format!("<@&{role}>"),
            }));
        }
        Ok(lines)
    }

    fn settable_keys(&self) -> Vec<SettingKey> {
        self.calls.borrow_mut().push("settable_keys".into());
        [
            ("commands.kaltura-join.enabled", "on or off"),
            ("features.activity", "on or off"),
            ("roles.default_role", "viewer, moderator or admin"),
            ("roles.mapping.<role_id>", "viewer, moderator or admin"),
        ]
        .into_iter()
        .map(|(key, expects)| SettingKey {
            key: key.into(),
            expects: expects.into(),
            doc: String::new(),
        })
        .collect()
    }

    fn update(&self, _: u64, _: &str, _: u64, _: &Actor) -> Result<UpdateResult, Error> {
        unreachable!("the bot sets one key at a time")
    }

    /// Reads `roles.default_role` as `config` does; any other key takes anything.
    fn set(
        &self,
        guild_id: u64,
        key: &str,
        value_text: &str,
        expected_version: Option<u64>,
        dry_run: bool,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        let Actor::DiscordUser(user) = actor else {
            panic!("the bot acts as a member: {actor:?}");
        };
        assert_eq!(expected_version, None);
        let method = if dry_run { "set dry-run" } else { "set" };
        self.config_check(format!("{method} {guild_id} {key}={value_text} by {user}"))?;
        if let Some(err) = self.failure(method) {
            return Err(err);
        }
        if key == "roles.default_role" && !["viewer", "moderator", "admin"].contains(&value_text) {
            return Err(Error::invalid(
                "roles.default_role: must be one of viewer, moderator, admin",
            ));
        }
        if !dry_run {
            self.settings
                .borrow_mut()
                .insert(key.to_owned(), value_text.to_owned());
        }
        Ok(UpdateResult {
            version: 1,
            changed_keys: vec![key.to_owned()],
        })
    }

    fn reset(
        &self,
        guild_id: u64,
        section: Option<Section>,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        let section = section.map_or("everything", Section::as_str);
        let Actor::DiscordUser(user) = actor else {
            panic!("the bot acts as a member: {actor:?}");
        };
        self.config_check(format!("reset {guild_id} {section} by {user}"))?;
        self.settings
            .borrow_mut()
            .retain(|key, _| !key.starts_with(section));
        Ok(UpdateResult {
            version: 2,
            changed_keys: Vec::new(),
        })
    }

    fn audit_log(&self, _: u64, _: u32) -> Result<Vec<AuditEntry>, Error> {
        unreachable!("the bot shows no audit log")
    }

    fn get_deployment(&self) -> Result<DeploymentSettings, Error> {
        unreachable!("the bot never touches deployment settings")
    }

    fn update_deployment(&self, _: &str, _: u64, _: &Actor) -> Result<UpdateResult, Error> {
        unreachable!("the bot never touches deployment settings")
    }

    fn deployment_audit_log(&self, _: u32) -> Result<Vec<AuditEntry>, Error> {
        unreachable!("the bot never touches deployment settings")
    }
}

/// The `events` service: the server's subscriptions in a list; publishing is the
/// adapter's (after a follow-up), so it is never called here.
impl contracts::Watch for Fake {
    fn status(&self) -> ServiceStatus {
        unreachable!()
    }
    fn request_video(&self, guild: u64, channel: u64, entry: &str, by: u64) -> Result<(), Error> {
        self.check(
            "request_video",
            format!("request_video {guild} {channel} {entry} {by}"),
        )?;
        self.requested
            .borrow_mut()
            .push((guild, channel, entry.to_owned(), by));
        Ok(())
    }
    fn join(
        &self,
        _: &str,
        _: u64,
        _: Option<u64>,
        _: Option<&str>,
        _: &contracts::watch::Viewer,
    ) -> Result<contracts::watch::RoomState, Error> {
        unreachable!("the bot joins no room")
    }
    fn observe(&self, _: &str, _: u64) -> Result<contracts::watch::RoomState, Error> {
        unreachable!()
    }
    fn state(&self, _: &str, _: u64) -> Result<contracts::watch::RoomState, Error> {
        unreachable!("the bot joins no room")
    }
    fn control(
        &self,
        _: &str,
        _: u64,
        _: contracts::watch::ControlAction,
        _: u64,
    ) -> Result<contracts::watch::RoomState, Error> {
        unreachable!("the bot joins no room")
    }
    fn hand_over(&self, _: &str, _: u64, _: u64) -> Result<contracts::watch::RoomState, Error> {
        unreachable!("the bot joins no room")
    }
    fn leave(&self, _: &str, _: u64) -> Result<contracts::watch::RoomState, Error> {
        unreachable!("the bot joins no room")
    }
}

impl contracts::Events for Fake {
    fn status(&self) -> ServiceStatus {
        unreachable!()
    }
    fn publish(&self, _: &contracts::events::Event) -> Result<u32, Error> {
        unreachable!("the adapter publishes, not dispatch")
    }
    fn pump(&self, _: u32) -> Result<contracts::events::PumpReport, Error> {
        unreachable!()
    }
    fn create(
        &self,
        _: u64,
        _: &contracts::events::NewSubscription,
        _: &contracts::Actor,
    ) -> Result<contracts::events::CreatedSubscription, Error> {
        unreachable!("subscriptions are created through the API")
    }
    fn list(&self, guild_id: u64) -> Result<Vec<contracts::events::Subscription>, Error> {
        self.calls
            .borrow_mut()
            .push(format!("events.list {guild_id}"));
        Ok(self
            .subscriptions
            .borrow()
            .iter()
            .filter(|s| s.guild_id == guild_id)
            .cloned()
            .collect())
    }
    fn get(&self, _: u64, _: &str) -> Result<contracts::events::Subscription, Error> {
        unreachable!()
    }
    fn delete(&self, _: u64, _: &str) -> Result<(), Error> {
        unreachable!()
    }
    fn set_paused(
        &self,
        guild_id: u64,
        id: &str,
        paused: bool,
        actor: &contracts::Actor,
    ) -> Result<contracts::events::Subscription, Error> {
        self.calls.borrow_mut().push(format!(
            "events.set_paused {guild_id} {id} {paused} {actor:?}"
        ));
        let mut subs = self.subscriptions.borrow_mut();
        let sub = subs
            .iter_mut()
            .find(|s| s.guild_id == guild_id && s.id == id)
            .ok_or_else(|| Error::NotFound(id.into()))?;
        sub.state = if paused {
            contracts::events::SubscriptionState::Paused
        } else {
            contracts::events::SubscriptionState::Active
        };
        sub.paused_reason = paused.then(|| "paused by user".to_owned());
        Ok(sub.clone())
    }
    fn deliveries(
        &self,
        _: u64,
        _: &str,
        _: u32,
    ) -> Result<Vec<contracts::events::Delivery>, Error> {
        unreachable!()
    }
}

impl contracts::Members for Fake {
    fn status(&self) -> ServiceStatus {
        unreachable!("the bot never asks")
    }

    fn resolve_member(&self, member: &Member, role: KalturaRole) -> Result<KalturaIdentity, Error> {
        self.check(
            "resolve_member",
            format!("resolve_member {} {}", member.user_id, name(role)),
        )?;
        Ok(KalturaIdentity {
            kaltura_user_id: format!("discord-{}", member.user_id),
            display_name: member
                .nick
                .clone()
                .or_else(|| member.global_name.clone())
                .unwrap_or_else(|| member.username.clone()),
            role,
        })
    }

    fn get_user(&self, _: u64) -> Result<Option<UserRecord>, Error> {
        unreachable!("the bot never reads user records")
    }
}

impl contracts::Kaltura for Fake {
    fn status(&self) -> ServiceStatus {
        unreachable!("the bot never asks")
    }

    fn ping(&self) -> Result<(), Error> {
        unreachable!("the bot never pings")
    }

    fn circuit_open(&self) -> bool {
        self.circuit_open.get()
    }

    fn create_meeting(&self, request: &MeetingRequest) -> Result<Meeting, Error> {
        self.check(
            "create_meeting",
            format!(
                "create_meeting {} {} {} {} {}",
                request.guild_id,
                request.channel_id,
                request.owner_id,
                request.kind.as_str(),
                request.title
            ),
        )?;
        let created = Meeting {
            id: NEW,
            kind: request.kind,
            title: request.title.clone(),
            guild_id: request.guild_id,
            channel_id: request.channel_id,
            owner_id: request.owner_id,
            created_at: 1_700_000_000,
            start_time: None,
            end_time: None,
            ended_at: None,
        };
        self.meetings.borrow_mut().push(created.clone());
        Ok(created)
    }

    fn get_meeting(&self, id: u64) -> Result<Option<Meeting>, Error> {
        self.check("get_meeting", format!("get_meeting {id}"))?;
        Ok(self.meeting(id))
    }

    fn list_meetings(&self, filter: MeetingFilter) -> Result<Vec<Meeting>, Error> {
        let MeetingFilter::Guild(guild) = filter else {
            panic!("the bot lists a server's meetings");
        };
        self.check("list_meetings", format!("list_meetings {guild}"))?;
        // Deliberately sloppy: returns every server's meetings, ended ones too, so
        // that the bot's own filtering is tested.
        Ok(self.meetings.borrow().clone())
    }

    fn may_manage(&self, id: u64, requester: Requester) -> Result<bool, Error> {
        self.check(
            "may_manage",
            format!(
                "may_manage {id} {:?} {}",
                requester.user_id,
                name(requester.role)
            ),
        )?;
        let meeting = self
            .meeting(id)
            .ok_or_else(|| Error::not_found("meeting"))?;
        Ok(Self::manages(&meeting, requester.user_id, requester.role))
    }

    fn end_meeting(&self, id: u64, requester: Requester) -> Result<(), Error> {
        self.check(
            "end_meeting",
            format!(
                "end_meeting {id} {:?} {}",
                requester.user_id,
                name(requester.role)
            ),
        )?;
        let mut meetings = self.meetings.borrow_mut();
        let meeting = meetings
            .iter_mut()
            .find(|m| m.id == id)
            .ok_or_else(|| Error::not_found("meeting"))?;
        if !Self::manages(meeting, requester.user_id, requester.role) {
            return Err(Error::forbidden("not yours"));
        }
        meeting.ended_at = Some(1_700_000_900);
        Ok(())
    }

    fn join_url(&self, meeting_id: u64, participant: &Participant) -> Result<String, Error> {
        let meeting = self
            .meeting(meeting_id)
            .ok_or_else(|| Error::not_found("meeting"))?;
        let part = if Self::manages(&meeting, Some(participant.user_id), participant.role) {
            "host"
        } else {
            "attendee"
        };
        self.check(
            "join_url",
            format!(
                "join_url {meeting_id} {} {} {part}",
                participant.kaltura_user_id,
                name(participant.role)
            ),
        )?;
        Ok(format!(
            "https://kaf.example/launch?ks=KS-for-{}-{meeting_id}",
            participant.kaltura_user_id
        ))
    }

    fn search_media(
        &self,
        query: &str,
        page: u32,
        scope: &contracts::kaltura::MediaScope,
    ) -> Result<contracts::kaltura::MediaPage, Error> {
        self.check(
            "search_media",
            format!(
                "search_media {query} {page} {:?} {:?}",
                scope.category_ids, scope.kaltura_user_id
            ),
        )?;
        let entries: Vec<_> = self
            .media
            .borrow()
            .iter()
            .filter(|e| e.name.to_lowercase().contains(&query.to_lowercase()))
            .cloned()
            .collect();
        Ok(contracts::kaltura::MediaPage {
            total: entries.len() as u64,
            entries,
            next_page: None,
        })
    }

    fn get_media(
        &self,
        entry_id: &str,
        scope: &contracts::kaltura::MediaScope,
    ) -> Result<Option<contracts::kaltura::MediaEntry>, Error> {
        self.check(
            "get_media",
            format!("get_media {entry_id} {:?}", scope.kaltura_user_id),
        )?;
        Ok(self
            .media
            .borrow()
            .iter()
            .find(|e| e.id == entry_id)
            .cloned())
    }

    fn playback_session(
        &self,
        _: &str,
        _: &contracts::kaltura::MediaScope,
    ) -> Result<contracts::kaltura::PlayerSession, Error> {
        unreachable!("members get no playback session from the bot")
    }

    fn player_embed_url(&self, _: &str, _: Option<u32>) -> Result<String, Error> {
        unreachable!("no video commands yet")
    }
}

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

fn meeting_option(id: u64) -> Value {
    json!([{"name": "meeting", "type": 3, "value": id.to_string()}])
}

#[test]
fn a_ping_is_answered_with_a_pong() {
    assert_eq!(
        reply(respond(&Interaction::Ping, Fake::new().services())),
        json!({"type": 1})
    );
}

#[test]
fn kaltura_start_defers_ephemerally_then_creates_the_meeting_and_shows_its_panel() {
    let fake = Fake::new();
    let (deferral, job) = deferred(respond(
        &command("kaltura-start", start_options()),
        fake.services(),
    ));
    assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
    assert!(
        !fake.called("create_meeting") && !fake.called("resolve_member"),
        "nothing waits on a service that may be slow before the deferral"
    );

    let finished = job.run(fake.services());
    assert_eq!(finished.report, None);
    assert!(fake
        .calls()
        .contains(&format!("resolve_member {OWNER} viewer")));
    assert!(fake.calls().contains(&format!(
        "create_meeting {GUILD} {CHANNEL} {OWNER} webinar Town hall"
    )));
    let body = body(&finished);
    assert_eq!(body.get("flags"), None, "an edit carries no flags");
    assert_eq!(body["embeds"][0]["title"], "Town hall");
    assert_eq!(body["embeds"][0]["description"], "Q3 \\*results\\*");
    let fields = body["embeds"][0]["fields"].to_string();
    assert!(
        fields.contains("Webinar")
            && fields.contains(&format!("<@{OWNER}>"))
            && fields.contains("`2001`")
            && fields.contains("<t:1700000000:R>")
    );
    assert_eq!(
        custom_ids(&body),
        ["v1:join:2001", "v1:share:2001", "v1:end:2001"]
    );
    let event = finished.event.clone().unwrap();
    assert_eq!(
        event.event_type,
        contracts::events::EventType::MeetingCreated
    );
    let data: Value = serde_json::from_str(&event.data_json).unwrap();
    assert_eq!(data["meeting_id"], "2001");
    assert_eq!(data["source"], "discord");
    assert_eq!(data["owner_user_id"], OWNER.to_string());
}

#[test]
fn the_follow_up_is_a_patch_of_the_original_response() {
    let fake = Fake::new();
    let (_, job) = deferred(respond(
        &command("kaltura-start", start_options()),
        fake.services(),
    ));
    let finished = job.run(fake.services());
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
fn a_rate_limited_patch_is_retried_once_within_two_seconds() {
    use discord_api::rest::{ApiError, Failure, GiveUp, NextTry};
    let limited = |ms| ApiError::RateLimited {
        retry_after: Duration::from_millis(ms),
        global: false,
    };
    assert_eq!(
        PATCH_RETRY.next_try(Failure::Answered(&limited(200)), 1),
        NextTry::RetryAfter(Duration::from_millis(200))
    );
    assert!(matches!(
        PATCH_RETRY.next_try(Failure::Answered(&limited(200)), 2),
        NextTry::GiveUp(GiveUp::OutOfAttempts { .. })
    ));
    assert!(matches!(
        PATCH_RETRY.next_try(Failure::Answered(&limited(2500)), 1),
        NextTry::GiveUp(GiveUp::WaitTooLong { .. })
    ));
    let failing = ApiError::ServerError(http::StatusCode::BAD_GATEWAY);
    assert_eq!(
        PATCH_RETRY.next_try(Failure::Answered(&failing), 1),
        NextTry::RetryAfter(Duration::from_secs(1))
    );
}

#[test]
fn kaltura_start_answers_at_once_when_kalturas_circuit_is_open() {
    let fake = Fake::new();
    fake.circuit_open.set(true);
    let value = reply(respond(
        &command("kaltura-start", start_options()),
        fake.services(),
    ));
    assert_eq!(value["type"], 4);
    assert_eq!(value["data"]["flags"], 64);
    assert_eq!(content(&value), KALTURA_UNAVAILABLE);
}

#[test]
fn a_failed_follow_up_shows_an_error_id_that_is_also_reported() {
    let fake = Fake::new();
    fake.fail(
        "create_meeting",
        Error::Unavailable("kaltura timed out".into()),
    );
    let (_, job) = deferred(respond(
        &command("kaltura-start", start_options()),
        fake.services(),
    ));
    let finished = job.run(fake.services());
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
fn every_service_error_reads_well_to_a_member() {
    let cases = [
        (
            Error::NotConfigured("kaltura_partner_id".into()),
            "The Kaltura integration is not fully set up yet.",
        ),
        (
            Error::not_found("meeting"),
            "That meeting no longer exists.",
        ),
        (
            Error::forbidden("no"),
            "Kaltura did not allow this for your account.",
        ),
        (
            Error::invalid("title: *too* long"),
            "That was not accepted: title: \\*too\\* long",
        ),
        (
            Error::Conflict("v2".into()),
            "Someone changed this at the same moment.",
        ),
        (Error::storage("kv"), "Something went wrong on our side."),
        (Error::other("?"), "Something went wrong on our side."),
    ];
    for (err, shown) in cases {
        let fake = Fake::new();
        let kind = err.kind();
        fake.fail("create_meeting", err);
        let (_, job) = deferred(respond(
            &command("kaltura-start", start_options()),
            fake.services(),
        ));
        let finished = job.run(fake.services());
        let text = body(&finished)["content"].as_str().unwrap().to_owned();
        assert!(text.starts_with(shown), "{kind:?}: {text}");
        let detail = finished.report.unwrap().detail;
        assert!(detail.starts_with(kind.name()), "{detail}");
    }
}

#[test]
fn a_member_without_an_allowed_role_is_denied_in_configs_words() {
    let fake = Fake::new();
    let reason = format!("You need one of these roles: <@&{MOD_ROLE}>.");
    fake.deny(Command::KalturaStart, Some(MOD_ROLE), &reason);
    let value = reply(respond(
        &command("kaltura-start", start_options()),
        fake.services(),
    ));
    assert_eq!(value["data"]["flags"], 64);
    assert_eq!(content(&value), reason, "config's reason, as written");
    assert_eq!(value["data"]["allowed_mentions"], json!({"parse": []}));
    assert_eq!(
        fake.calls(),
        [format!("check_permission kaltura-start {OWNER}")],
        "the member, as the payload says, is all config is asked about"
    );
    let allowed = command_as("kaltura-start", start_options(), OWNER, &[MOD_ROLE], PLAIN);
    assert!(matches!(
        respond(&allowed, fake.services()),
        Outcome::Deferred { .. }
    ));
}

#[test]
fn a_disabled_command_is_denied_and_so_are_its_buttons() {
    let fake = Fake::new();
    fake.deny(
        Command::KalturaJoin,
        None,
        "/kaltura-join is turned off on this server.",
    );
    for interaction in [
        command("kaltura-join", meeting_option(WEEKLY)),
        button("v1:join:1001"),
    ] {
        let value = reply(respond(&interaction, fake.services()));
        assert_eq!(
            content(&value),
            "/kaltura-join is turned off on this server."
        );
    }
    assert!(!fake.called("join_url") && !fake.called("get_meeting"));
}

#[test]
fn every_action_is_checked_against_the_command_it_acts_for() {
    let cases = [
        (button("v1:share:1001"), "kaltura-start"),
        (button("v1:join:1001"), "kaltura-join"),
        (button("v1:end:1001"), "kaltura-end"),
        (button("v1:end-confirm:1001"), "kaltura-end"),
        (button("v1:end-cancel:1001"), "kaltura-end"),
        (command("kaltura-list", json!([])), "kaltura-list"),
        (
            command("kaltura-config", json!([{"name": "view", "type": 1}])),
            "kaltura-config",
        ),
    ];
    for (interaction, command) in cases {
        let fake = Fake::new();
        respond(&interaction, fake.services());
        assert_eq!(
            fake.calls()[0],
            format!("check_permission {command} {OWNER}")
        );
    }
}

#[test]
fn kaltura_join_sends_the_callers_own_link_ephemerally_as_a_link_button() {
    let fake = Fake::new();
    fake.map_role(MOD_ROLE, KalturaRole::Moderator);
    let interaction = command_as(
        "kaltura-join",
        meeting_option(WEEKLY),
        MEMBER,
        &[MOD_ROLE],
        PLAIN,
    );
    let (deferral, job) = deferred(respond(&interaction, fake.services()));
    assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
    let finished = job.run(fake.services());
    assert!(fake
        .calls()
        .contains(&format!("resolve_member {MEMBER} moderator")));
    let body = body(&finished);
    let link = &body["components"][0]["components"][0];
    assert_eq!(link["style"], 5);
    assert_eq!(
        link["url"],
        format!("https://kaf.example/launch?ks=KS-for-discord-{MEMBER}-1001")
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
        &button_as("v1:join:1001", MEMBER, &[], PLAIN),
        fake.services(),
    ));
    assert_eq!(deferral["data"]["flags"], 64);
    let url = body(&job.run(fake.services()))["components"][0]["components"][0]["url"].clone();
    assert_eq!(
        url,
        format!("https://kaf.example/launch?ks=KS-for-discord-{MEMBER}-1001")
    );
    assert!(fake
        .calls()
        .contains(&format!("resolve_member {MEMBER} viewer")));
}

#[test]
fn who_hosts_is_kalturas_decision_from_the_identity_and_role_it_is_given() {
    let fake = Fake::new();
    fake.map_role(MOD_ROLE, KalturaRole::Moderator);
    let cases = [
        (OWNER, &[][..], "viewer host"),
        (MEMBER, &[MOD_ROLE][..], "moderator host"),
        (MEMBER, &[][..], "viewer attendee"),
    ];
    for (user, roles, expected) in cases {
        fake.calls.borrow_mut().clear();
        let (_, job) = deferred(respond(
            &command_as("kaltura-join", meeting_option(WEEKLY), user, roles, PLAIN),
            fake.services(),
        ));
        job.run(fake.services());
        assert!(
            fake.calls()
                .contains(&format!("join_url 1001 discord-{user} {expected}")),
            "{user} {roles:?}: {:?}",
            fake.calls()
        );
    }
}

#[test]
fn roles_come_from_the_member_in_the_payload_only() {
    let fake = Fake::new();
    fake.map_role(MOD_ROLE, KalturaRole::Admin);
    // A role ID sent as an option the command does not have is no shape of it: it is
    // answered as another version of the command and reaches no service.
    let options = json!([
        {"name": "meeting", "type": 3, "value": "1001"},
        {"name": "roles", "type": 3, "value": MOD_ROLE}
    ]);
    let value = reply(respond(
        &command_as("kaltura-join", options, MEMBER, &[], PLAIN),
        fake.services(),
    ));
    assert!(content(&value).contains("has changed"), "{value}");
    assert!(fake.calls().is_empty());
    let (_, job) = deferred(respond(
        &command_as("kaltura-join", meeting_option(WEEKLY), MEMBER, &[], PLAIN),
        fake.services(),
    ));
    job.run(fake.services());
    assert!(fake
        .calls()
        .contains(&format!("resolve_member {MEMBER} viewer")));
    let (_, job) = deferred(respond(
        &command_as("kaltura-join", meeting_option(WEEKLY), MEMBER, &[], ADMIN),
        fake.services(),
    ));
    job.run(fake.services());
    assert!(fake
        .calls()
        .contains(&format!("resolve_member {MEMBER} admin")));
}

#[test]
fn joining_a_meeting_of_another_server_an_ended_or_unknown_one_is_refused() {
    let fake = Fake::new();
    fake.add_meeting(1002, "Theirs", OTHER_GUILD, OWNER, true);
    fake.add_meeting(1003, "Over", GUILD, OWNER, false);
    for id in [1002, 1003, 4242] {
        let value = reply(respond(
            &command("kaltura-join", meeting_option(id)),
            fake.services(),
        ));
        assert_eq!(content(&value), NOT_RUNNING, "{id}");
        assert_eq!(value["data"]["flags"], 64);
    }
    assert!(!fake.called("join_url"));
}

#[test]
fn a_meeting_id_the_service_never_writes_never_reaches_it() {
    let fake = Fake::new();
    for forged in ["0_weekly", "01001", "0"] {
        let options = json!([{"name": "meeting", "type": 3, "value": forged}]);
        let value = reply(respond(&command("kaltura-join", options), fake.services()));
        assert_eq!(
            content(&value),
            "That is not a meeting of this server: pick one from the list."
        );
    }
    assert!(!fake.called("get_meeting"));
}

#[test]
fn kaltura_join_answers_at_once_when_kalturas_circuit_is_open() {
    let fake = Fake::new();
    fake.circuit_open.set(true);
    let value = reply(respond(
        &command("kaltura-join", meeting_option(WEEKLY)),
        fake.services(),
    ));
    assert_eq!(content(&value), KALTURA_UNAVAILABLE);
}

#[test]
fn a_join_url_too_long_for_a_link_button_is_an_error_not_a_panic() {
    /// The fake, but with a join URL too long for a button.
    struct LongUrl(Fake);
    impl contracts::Kaltura for LongUrl {
        fn status(&self) -> ServiceStatus {
            unreachable!()
        }
        fn ping(&self) -> Result<(), Error> {
            unreachable!()
        }
        fn circuit_open(&self) -> bool {
            false
        }
        fn create_meeting(&self, r: &MeetingRequest) -> Result<Meeting, Error> {
            self.0.create_meeting(r)
        }
        fn get_meeting(&self, id: u64) -> Result<Option<Meeting>, Error> {
            self.0.get_meeting(id)
        }
        fn list_meetings(&self, f: MeetingFilter) -> Result<Vec<Meeting>, Error> {
            self.0.list_meetings(f)
        }
        fn may_manage(&self, id: u64, r: Requester) -> Result<bool, Error> {
            self.0.may_manage(id, r)
        }
        fn end_meeting(&self, id: u64, r: Requester) -> Result<(), Error> {
            self.0.end_meeting(id, r)
        }
        fn join_url(&self, _: u64, _: &Participant) -> Result<String, Error> {
            Ok(format!("https://kaf.example/launch?ks={}", "k".repeat(600)))
        }
        fn search_media(
            &self,
            _: &str,
            _: u32,
            _: &contracts::kaltura::MediaScope,
        ) -> Result<contracts::kaltura::MediaPage, Error> {
            unreachable!()
        }
        fn get_media(
            &self,
            _: &str,
            _: &contracts::kaltura::MediaScope,
        ) -> Result<Option<contracts::kaltura::MediaEntry>, Error> {
            unreachable!()
        }
        fn playback_session(
            &self,
            _: &str,
            _: &contracts::kaltura::MediaScope,
        ) -> Result<contracts::kaltura::PlayerSession, Error> {
            unreachable!()
        }
        fn player_embed_url(&self, _: &str, _: Option<u32>) -> Result<String, Error> {
            unreachable!()
        }
    }
    impl Services for LongUrl {
        fn config(&self) -> &impl contracts::Config {
            &self.0
        }
        fn members(&self) -> &impl contracts::Members {
            &self.0
        }
        fn kaltura(&self) -> &impl contracts::Kaltura {
            self
        }
        fn events(&self) -> &impl contracts::Events {
            &self.0
        }
        fn watch(&self) -> &impl contracts::Watch {
            &self.0
        }
    }
    let services = LongUrl(Fake::new());
    let (_, job) = deferred(respond(
        &command("kaltura-join", meeting_option(WEEKLY)),
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
    fake.add_meeting(1002, "Theirs", OTHER_GUILD, OWNER, true);
    fake.add_meeting(1003, "Over", GUILD, OWNER, false);
    fake.add_meeting(1004, "Physics <@&1> @everyone", GUILD, MEMBER, true);
    fake.add_meeting(1004, "Duplicate record", GUILD, MEMBER, true);
    let value = reply(respond(
        &command("kaltura-list", json!([])),
        fake.services(),
    ));
    assert!(fake.calls().contains(&format!("list_meetings {GUILD}")));
    assert_eq!(value["data"]["flags"], 64);
    assert_eq!(custom_ids(&value["data"]), ["v1:join:1001", "v1:join:1004"]);
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
    let value = reply(respond(
        &command("kaltura-list", json!([])),
        fake.services(),
    ));
    assert!(content(&value).contains("/kaltura-start"));
}

#[test]
fn kaltura_end_by_the_owner_asks_for_confirmation() {
    let fake = Fake::new();
    let value = reply(respond(
        &command("kaltura-end", meeting_option(WEEKLY)),
        fake.services(),
    ));
    assert_eq!(value["type"], 4);
    assert_eq!(value["data"]["flags"], 64);
    assert!(content(&value).starts_with("End **Weekly sync**?"));
    assert_eq!(
        custom_ids(&value["data"]),
        ["v1:end-confirm:1001", "v1:end-cancel:1001"]
    );
    assert!(
        !fake.called("end_meeting"),
        "nothing ends before confirmation"
    );
    let value = reply(respond(&button("v1:end:1001"), fake.services()));
    assert!(content(&value).starts_with("End **Weekly sync**?"));
}

#[test]
fn who_may_end_or_share_is_kalturas_decision_with_configs_role() {
    let fake = Fake::new();
    fake.map_role(MOD_ROLE, KalturaRole::Moderator);
    for custom_id in ["v1:end:1001", "v1:end-confirm:1001", "v1:share:1001"] {
        let value = reply(respond(
            &button_as(custom_id, MEMBER, &[], PLAIN),
            fake.services(),
        ));
        assert_eq!(content(&value), NOT_YOURS, "{custom_id}");
    }
    assert!(fake
        .calls()
        .contains(&format!("may_manage 1001 Some({MEMBER}) viewer")));
    let value = reply(respond(
        &command_as("kaltura-end", meeting_option(WEEKLY), MEMBER, &[], PLAIN),
        fake.services(),
    ));
    assert_eq!(content(&value), NOT_YOURS);
    assert!(!fake.called("end_meeting"));
    let moderator = command_as(
        "kaltura-end",
        meeting_option(WEEKLY),
        MEMBER,
        &[MOD_ROLE],
        PLAIN,
    );
    assert!(content(&reply(respond(&moderator, fake.services()))).starts_with("End **"));
    assert!(fake
        .calls()
        .contains(&format!("may_manage 1001 Some({MEMBER}) moderator")));
    let admin = command_as("kaltura-end", meeting_option(WEEKLY), MEMBER, &[], ADMIN);
    assert!(content(&reply(respond(&admin, fake.services()))).starts_with("End **"));
}

#[test]
fn a_failed_role_or_manage_check_is_a_friendly_error_with_an_id() {
    let fake = Fake::new();
    fake.fail("may_manage", Error::storage("kv down"));
    let outcome = respond(&button("v1:end:1001"), fake.services());
    assert_eq!(outcome.report().unwrap().detail, "storage: kv down");
    assert!(content(&reply(outcome)).starts_with("Something went wrong on our side."));
    // A meeting gone between the lookup and the check is simply not running.
    let fake = Fake::new();
    fake.fail("may_manage", Error::not_found("meeting 1001"));
    let value = reply(respond(&button("v1:end:1001"), fake.services()));
    assert_eq!(content(&value), NOT_RUNNING);
}

#[test]
fn confirming_the_end_defers_an_update_then_ends_the_meeting() {
    let fake = Fake::new();
    let (deferral, job) = deferred(respond(&button("v1:end-confirm:1001"), fake.services()));
    assert_eq!(deferral, json!({"type": 6}));
    assert!(!fake.called("end_meeting"));
    let finished = job.run(fake.services());
    assert!(fake
        .calls()
        .contains(&format!("end_meeting 1001 Some({OWNER}) viewer")));
    let body = body(&finished);
    assert_eq!(body["content"], "✅ **Weekly sync** has ended.");
    let buttons = &body["components"][0]["components"];
    assert_eq!(buttons[0]["disabled"], true);
    assert_eq!(buttons[1]["disabled"], true);
    // A second click finds nothing to end.
    let value = reply(respond(&button("v1:end-confirm:1001"), fake.services()));
    assert_eq!(content(&value), NOT_RUNNING);
}

#[test]
fn confirming_the_end_answers_at_once_when_kalturas_circuit_is_open() {
    let fake = Fake::new();
    fake.circuit_open.set(true);
    let value = reply(respond(&button("v1:end-confirm:1001"), fake.services()));
    assert_eq!(content(&value), KALTURA_UNAVAILABLE);
    assert!(!fake.called("end_meeting"));
}

#[test]
fn a_failed_end_keeps_the_confirmation_buttons_for_a_retry() {
    let fake = Fake::new();
    fake.fail("end_meeting", Error::not_found("meeting 1001"));
    let (_, job) = deferred(respond(&button("v1:end-confirm:1001"), fake.services()));
    let finished = job.run(fake.services());
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
    let value = reply(respond(&button("v1:end-cancel:1001"), fake.services()));
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
fn share_posts_the_servers_card_publicly_without_pinging_anyone() {
    let fake = Fake::new();
    fake.add_meeting(1005, "@everyone **free** pizza", GUILD, OWNER, true);
    let value = reply(respond(&button("v1:share:1005"), fake.services()));
    assert!(fake
        .calls()
        .contains(&format!("render_message {GUILD} share")));
    assert_eq!(value["type"], 4);
    assert_eq!(value["data"].get("flags"), None, "a share is public");
    assert_eq!(
        content(&value),
        "Ada L. invites you to **@\u{200B}everyone \\*\\*free\\*\\* pizza** (Interactive Meeting Room): the Join button below",
        "the values are escaped before config fills them in"
    );
    assert_eq!(value["data"]["allowed_mentions"], json!({"parse": []}));
    assert_eq!(custom_ids(&value["data"]), ["v1:join:1005"]);
    assert!(
        !value.to_string().contains("ks="),
        "join links are never public"
    );
    assert!(!fake.called("join_url"));
}

#[test]
fn share_may_ping_everyone_only_when_the_server_allows_it() {
    let fake = Fake::new();
    fake.allow_everyone.set(true);
    *fake.share_template.borrow_mut() =
        "@everyone {{title}} by {{owner}} ({{meeting_id}}) {{start_time}} in {{guild}}, shared by {{shared_by}}".into();
    fake.map_role(MOD_ROLE, KalturaRole::Moderator);
    let value = reply(respond(
        &button_as("v1:share:1001", MEMBER, &[MOD_ROLE], PLAIN),
        fake.services(),
    ));
    assert_eq!(
        content(&value),
        format!("@everyone Weekly sync by <@{OWNER}> (1001) <t:1700000000:F> in this server, shared by <@{MEMBER}>")
    );
    assert_eq!(
        value["data"]["allowed_mentions"],
        json!({"parse": ["everyone"]})
    );
}

#[test]
fn forged_or_unknown_buttons_get_a_friendly_ephemeral_reply() {
    let fake = Fake::new();
    for (custom_id, answer) in [
        ("v2:join:1001", Rejection::NewerButton),
        ("v0:join:1001", Rejection::OldButton),
        ("v1:nuke:1001", Rejection::OldButton),
        ("v1:join:../x", Rejection::UnknownComponent),
        ("v1:join:0_weekly", Rejection::UnknownComponent),
        ("", Rejection::UnknownComponent),
        ("v1:join:1001:extra", Rejection::UnknownComponent),
    ] {
        let value = reply(respond(&button(custom_id), fake.services()));
        assert_eq!(value["data"]["flags"], 64, "{custom_id}");
        assert_eq!(content(&value), answer.to_string(), "{custom_id}");
    }
    assert!(fake.calls().is_empty(), "forged buttons reach no service");
}

#[test]
fn a_command_used_with_another_versions_options_is_answered_and_does_nothing() {
    let fake = Fake::new();
    // A client that still shows /kaltura-start with `kind` instead of `type` (or a
    // newer shape reaching an older replica): nothing is created.
    let value = reply(respond(
        &command(
            "kaltura-start",
            json!([
                {"name": "kind", "type": 3, "value": "webinar"},
                {"name": "title", "type": 3, "value": "Town hall"}
            ]),
        ),
        fake.services(),
    ));
    assert_eq!(value["data"]["flags"], 64);
    assert_eq!(
        content(&value),
        "`/kaltura-start` has changed since your Discord app loaded it (it is version 1 now). \
         Nothing was done: run it again. Discord shows the new version within a minute; \
         restarting Discord (or Ctrl+R) shows it at once."
    );
    assert!(fake.calls().is_empty(), "nothing reaches a service");
    // /kaltura-config v1's subcommands are still answered by v2.
    let value = reply(respond(
        &config_command("view", json!([]), MANAGER),
        fake.services(),
    ));
    assert!(!content(&value).contains("has changed"), "{value}");
}

#[test]
fn a_deprecation_notice_comes_first_in_an_immediate_and_a_deferred_answer() {
    let fake = Fake::new();
    let notice =
        "`/kaltura-list` is deprecated and goes away on 2027-06-30: use `/kaltura-join` instead.";
    let listed = respond(&command("kaltura-list", json!([])), fake.services())
        .with_notice(notice.to_owned());
    let listed = reply(listed);
    assert!(
        content(&listed).starts_with(&format!("{notice}\n")),
        "{listed}"
    );
    let (_, job) = deferred(
        respond(&command("kaltura-start", start_options()), fake.services())
            .with_notice(notice.to_owned()),
    );
    let finished = job.run(fake.services());
    let body = body(&finished);
    assert_eq!(
        body["content"].as_str().unwrap(),
        format!("{notice}\nYour Webinar is ready. Join it, share it with this channel, or end it:")
    );
    assert_eq!(body["embeds"][0]["title"], "Town hall", "the panel follows");
}

#[test]
fn kaltura_config_events_lists_pauses_and_resumes_the_servers_subscriptions() {
    let fake = Fake::new();
    fake.subscriptions
        .borrow_mut()
        .push(contracts::events::Subscription {
            id: "sub_000000000000000000000001".into(),
            guild_id: GUILD.parse().unwrap(),
            url: "https://crm.example/hooks".into(),
            event_types: vec![contracts::events::EventType::MeetingCreated],
            description: "CRM".into(),
            state: contracts::events::SubscriptionState::Paused,
            paused_reason: Some("delivery msg_1 failed 8 times; the last attempt: HTTP 500".into()),
            paused_at: Some(1_700_000_000),
            created_at: 1_700_000_000,
            created_by: contracts::Actor::DiscordUser(1),
            consecutive_failures: 8,
            pending: 2,
        });
    let list = |fake: &Fake| {
        reply(respond(
            &command_as(
                "kaltura-config",
                json!([{"name": "events", "type": 2, "options": [{"name": "list", "type": 1}]}]),
                OWNER,
                &[],
                MANAGER,
            ),
            fake.services(),
        ))
    };
    let listed = list(&fake);
    let text = content(&listed);
    assert!(text.contains("sub_000000000000000000000001"), "{text}");
    assert!(
        text.contains("**paused**: delivery msg\\_1 failed 8 times"),
        "{text}"
    );
    assert!(text.contains("2 pending"), "{text}");
    let resumed = reply(respond(
        &command_as(
            "kaltura-config",
            json!([{"name": "events", "type": 2, "options": [{"name": "resume", "type": 1,
                "options": [{"name": "subscription", "type": 3, "value": "sub_000000000000000000000001"}]}]}]),
            OWNER,
            &[],
            MANAGER,
        ),
        fake.services(),
    ));
    assert!(
        content(&resumed).starts_with("Resumed `sub_000000000000000000000001`"),
        "{resumed}"
    );
    assert!(
        fake.calls().iter().any(|c| c.starts_with(&format!(
        "events.set_paused {GUILD} sub_000000000000000000000001 false Actor::DiscordUser({OWNER})"
    ))),
        "{:?}",
        fake.calls()
    );
    let unknown = reply(respond(
        &command_as(
            "kaltura-config",
            json!([{"name": "events", "type": 2, "options": [{"name": "pause", "type": 1,
                "options": [{"name": "subscription", "type": 3, "value": "sub_nope"}]}]}]),
            OWNER,
            &[],
            MANAGER,
        ),
        fake.services(),
    ));
    assert!(
        content(&unknown).contains("no such subscription"),
        "{unknown}"
    );
}

#[test]
fn an_unknown_command_and_a_modal_get_a_friendly_ephemeral_reply() {
    let fake = Fake::new();
    let value = reply(respond(
        &command("kaltura-party", json!([])),
        fake.services(),
    ));
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
    let value = reply(respond(&modal, fake.services()));
    assert_eq!(content(&value), Rejection::UnknownModal.to_string());
}

#[test]
fn a_bad_option_is_answered_in_words() {
    let fake = Fake::new();
    let options = json!([
        {"name": "type", "type": 3, "value": "rave"},
        {"name": "title", "type": 3, "value": "x"}
    ]);
    let value = reply(respond(&command("kaltura-start", options), fake.services()));
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
    let value = reply(respond(&interaction, fake.services()));
    assert_eq!(content(&value), "Kaltura commands work in servers only.");
    assert!(fake.calls().is_empty());
}

#[test]
fn meeting_autocomplete_lists_this_servers_active_meetings_matching_the_input() {
    let fake = Fake::new();
    fake.add_meeting(1002, "Weekly elsewhere", OTHER_GUILD, OWNER, true);
    for i in 0..40 {
        fake.add_meeting(3000 + i, &format!("Weekly {i}"), GUILD, OWNER, true);
    }
    fake.add_meeting(1006, "Physics", GUILD, OWNER, true);
    let options = json!([{"name": "meeting", "type": 3, "value": "WEEK", "focused": true}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-join", options, PLAIN),
        fake.services(),
    ));
    assert_eq!(value["type"], 8);
    let choices = value["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 25);
    assert_eq!(
        choices[0],
        json!({"name": "Weekly sync · Interactive Meeting Room", "value": "1001"})
    );
    assert!(choices
        .iter()
        .all(|c| c["value"] != "1002" && c["value"] != "1006"));
    let by_id = json!([{"name": "meeting", "type": 3, "value": "100", "focused": true}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-join", by_id, PLAIN),
        fake.services(),
    ));
    let values: Vec<&str> = value["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["1001", "1006"], "an id typed matches too");
}

#[test]
fn autocomplete_for_a_member_without_permission_suggests_nothing() {
    let fake = Fake::new();
    fake.deny(Command::KalturaEnd, None, "off");
    let options = json!([{"name": "meeting", "type": 3, "value": "", "focused": true}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-end", options, PLAIN),
        fake.services(),
    ));
    assert_eq!(value, json!({"type": 8, "data": {"choices": []}}));
    assert!(!fake.called("list_meetings"));
}

#[test]
fn a_failing_autocomplete_suggests_nothing_and_reports_the_error() {
    let fake = Fake::new();
    fake.fail("list_meetings", Error::storage("kv down"));
    let options = json!([{"name": "meeting", "type": 3, "value": "", "focused": true}]);
    let outcome = respond(
        &autocomplete_as("kaltura-join", options, PLAIN),
        fake.services(),
    );
    assert_eq!(outcome.report().unwrap().detail, "storage: kv down");
    assert_eq!(reply(outcome), json!({"type": 8, "data": {"choices": []}}));
}

#[test]
fn config_key_autocomplete_offers_the_keys_config_lists() {
    let fake = Fake::new();
    let options = json!([{"name": "set", "type": 1, "options": [
        {"name": "key", "type": 3, "value": "ROLE", "focused": true}]}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-config", options.clone(), MANAGER),
        fake.services(),
    ));
    assert_eq!(
        value["data"]["choices"],
        json!([
            {"name": "roles.default_role — viewer, moderator or admin", "value": "roles.default_role"},
            {"name": "roles.mapping.<role_id> — viewer, moderator or admin", "value": "roles.mapping.<role_id>"}
        ])
    );
    let nothing = json!([{"name": "set", "type": 1, "options": [
        {"name": "key", "type": 3, "value": "privileges", "focused": true}]}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-config", nothing, MANAGER),
        fake.services(),
    ));
    assert_eq!(value["data"]["choices"], json!([]));
    fake.deny(Command::KalturaConfig, None, "no");
    fake.calls.borrow_mut().clear();
    let denied = reply(respond(
        &autocomplete_as("kaltura-config", options, PLAIN),
        fake.services(),
    ));
    assert_eq!(denied["data"]["choices"], json!([]));
    assert!(!fake.called("settable_keys"));
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
fn a_refused_kaltura_config_changes_nothing() {
    let fake = Fake::new();
    fake.deny(
        Command::KalturaConfig,
        None,
        "You need these Discord permissions: MANAGE_GUILD.",
    );
    let value = reply(respond(
        &config_command("view", json!([]), PLAIN),
        fake.services(),
    ));
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
        fake.services(),
    ));
    assert!(content(&value).starts_with("You need"));
    assert!(!fake.called("reset") && !fake.called("render_section"));
}

#[test]
fn kaltura_config_view_shows_configs_readable_lines() {
    let fake = Fake::new();
    fake.map_role(MOD_ROLE, KalturaRole::Moderator);
    let options = json!([{"name": "section", "type": 3, "value": "roles"}]);
    let value = reply(respond(
        &config_command("view", options, MANAGER),
        fake.services(),
    ));
    assert_eq!(value["data"]["flags"], 64);
    assert_eq!(content(&value), "This server's roles settings:");
    let embed = &value["data"]["embeds"][0];
    assert_eq!(embed["title"], "Roles settings");
    assert_eq!(
        embed["fields"],
        json!([{"name": "Discord roles → moderator", "value": format!("<@&{MOD_ROLE}>")}])
    );
    let all = reply(respond(
        &config_command("view", json!([]), ADMIN),
        fake.services(),
    ));
    let titles: Vec<&str> = all["data"]["embeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Commands settings",
            "Roles settings",
            "Notifications settings",
            "Features settings",
            "Kaltura settings"
        ]
    );
}

#[test]
fn kaltura_config_set_checks_with_a_dry_run_before_writing() {
    let fake = Fake::new();
    let options = json!([
        {"name": "key", "type": 3, "value": "roles.default_role"},
        {"name": "value", "type": 3, "value": "overlord"}
    ]);
    let value = reply(respond(
        &config_command("set", options, MANAGER),
        fake.services(),
    ));
    assert_eq!(
        content(&value),
        "Nothing was changed. roles.default\\_role: must be one of viewer, moderator, admin"
    );
    assert!(fake.called("set dry-run"));
    assert!(
        !fake.called(&format!("set {GUILD}")),
        "no write is attempted"
    );
}

#[test]
fn kaltura_config_set_writes_as_the_member_and_shows_the_section() {
    let fake = Fake::new();
    let options = json!([
        {"name": "key", "type": 3, "value": "roles.default_role"},
        {"name": "value", "type": 3, "value": "moderator"}
    ]);
    let value = reply(respond(
        &config_command("set", options, MANAGER),
        fake.services(),
    ));
    assert_eq!(content(&value), "✅ `roles.default_role` is updated.");
    assert_eq!(
        fake.calls()[1..],
        [
            format!("set dry-run {GUILD} roles.default_role=moderator by {MEMBER}"),
            format!("set {GUILD} roles.default_role=moderator by {MEMBER}"),
            format!("render_section {GUILD} roles"),
        ]
    );
    assert!(value["data"]["embeds"][0]["fields"]
        .to_string()
        .contains("moderator"));
}

#[test]
fn a_channel_discord_could_not_confirm_is_explained_in_configs_words_and_logged() {
    let fake = Fake::new();
    let why = "Discord could not confirm which server channel 1 belongs to (Discord answered 503); try again";
    fake.fail("set dry-run", Error::Unavailable(why.into()));
    let options = json!([
        {"name": "key", "type": 3, "value": "notifications.events.entry_ready.channel_id"},
        {"name": "value", "type": 3, "value": "1"}
    ]);
    let outcome = respond(&config_command("set", options, MANAGER), fake.services());
    let report = outcome.report().unwrap().clone();
    assert_eq!(report.detail, format!("unavailable: {why}"));
    let value = reply(outcome);
    assert_eq!(content(&value), format!("Nothing was changed. {why}"));
    assert_eq!(value["data"]["flags"], 64);
    assert!(
        !fake.called(&format!("set {GUILD}")),
        "no write is attempted"
    );
}

#[test]
fn a_config_write_rejected_by_the_service_is_explained_and_a_conflict_gets_an_error_id() {
    let fake = Fake::new();
    fake.fail("set", Error::invalid("roles.mapping: at most 100 entries"));
    let options = json!([
        {"name": "key", "type": 3, "value": "features.activity"},
        {"name": "value", "type": 3, "value": "on"}
    ]);
    let value = reply(respond(
        &config_command("set", options.clone(), MANAGER),
        fake.services(),
    ));
    assert_eq!(
        content(&value),
        "Nothing was changed. roles.mapping: at most 100 entries"
    );
    let fake = Fake::new();
    fake.fail("set", Error::Conflict("version 3".into()));
    let outcome = respond(&config_command("set", options, MANAGER), fake.services());
    let report = outcome.report().unwrap().clone();
    assert_eq!(report.detail, "conflict: version 3");
    assert!(content(&reply(outcome)).contains(&format!("error ID `{}`", report.error_id)));
}

#[test]
fn a_saved_change_whose_section_cannot_be_shown_is_still_reported_saved() {
    let fake = Fake::new();
    let options = json!([
        {"name": "key", "type": 3, "value": "features.activity"},
        {"name": "value", "type": 3, "value": "on"}
    ]);
    // Only the rendering fails.
    struct RenderFails<'a>(&'a Fake);
    impl contracts::Config for RenderFails<'_> {
        fn status(&self) -> ServiceStatus {
            unreachable!()
        }
        fn get(&self, g: u64) -> Result<GuildSettings, Error> {
            self.0.get(g)
        }
        fn check_permission(&self, c: Command, m: &Member) -> Result<Access, Error> {
            self.0.check_permission(c, m)
        }
        fn role_for(&self, m: &Member) -> Result<KalturaRole, Error> {
            self.0.role_for(m)
        }
        fn render_message(
            &self,
            g: u64,
            k: MessageKind,
            v: &[(String, String)],
        ) -> Result<Option<Message>, Error> {
            self.0.render_message(g, k, v)
        }
        fn render_section(&self, _: u64, _: Section) -> Result<Vec<SettingLine>, Error> {
            Err(Error::storage("kv down"))
        }
        fn settable_keys(&self) -> Vec<SettingKey> {
            self.0.settable_keys()
        }
        fn update(&self, g: u64, p: &str, v: u64, a: &Actor) -> Result<UpdateResult, Error> {
            self.0.update(g, p, v, a)
        }
        fn set(
            &self,
            g: u64,
            k: &str,
            v: &str,
            e: Option<u64>,
            d: bool,
            a: &Actor,
        ) -> Result<UpdateResult, Error> {
            self.0.set(g, k, v, e, d, a)
        }
        fn reset(&self, g: u64, s: Option<Section>, a: &Actor) -> Result<UpdateResult, Error> {
            self.0.reset(g, s, a)
        }
        fn audit_log(&self, g: u64, l: u32) -> Result<Vec<AuditEntry>, Error> {
            self.0.audit_log(g, l)
        }
        fn get_deployment(&self) -> Result<DeploymentSettings, Error> {
            self.0.get_deployment()
        }
        fn update_deployment(&self, p: &str, v: u64, a: &Actor) -> Result<UpdateResult, Error> {
            self.0.update_deployment(p, v, a)
        }
        fn deployment_audit_log(&self, l: u32) -> Result<Vec<AuditEntry>, Error> {
            self.0.deployment_audit_log(l)
        }
    }
    impl Services for RenderFails<'_> {
        fn config(&self) -> &impl contracts::Config {
            self
        }
        fn members(&self) -> &impl contracts::Members {
            self.0
        }
        fn kaltura(&self) -> &impl contracts::Kaltura {
            self.0
        }
        fn events(&self) -> &impl contracts::Events {
            self.0
        }
        fn watch(&self) -> &impl contracts::Watch {
            self.0
        }
    }
    let outcome = respond(
        &config_command("set", options, MANAGER),
        &RenderFails(&fake),
    );
    assert_eq!(outcome.report().unwrap().detail, "storage: kv down");
    let value = reply(outcome);
    assert_eq!(content(&value), "✅ `features.activity` is updated.");
    assert_eq!(value["data"].get("embeds"), None);
    assert_eq!(
        fake.settings
            .borrow()
            .get("features.activity")
            .map(String::as_str),
        Some("on")
    );
}

#[test]
fn kaltura_config_reset_resets_one_section_as_the_member() {
    let fake = Fake::new();
    let options = json!([{"name": "section", "type": 3, "value": "notifications"}]);
    let value = reply(respond(
        &config_command("reset", options, ADMIN),
        fake.services(),
    ));
    assert_eq!(
        content(&value),
        "✅ The notifications settings are back to their defaults."
    );
    assert!(fake
        .calls()
        .contains(&format!("reset {GUILD} notifications by {MEMBER}")));
    assert_eq!(
        value["data"]["embeds"][0]["title"],
        "Notifications settings"
    );
}

#[test]
fn an_unreachable_config_service_is_a_friendly_error_with_an_id() {
    let fake = Fake::new();
    *fake.config_error.borrow_mut() = Some(Error::storage("kv unavailable"));
    let outcome = respond(&command("kaltura-list", json!([])), fake.services());
    let report = outcome.report().unwrap().clone();
    assert_eq!(report.action, "/kaltura-list");
    assert_eq!(report.detail, "storage: kv unavailable");
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
    assert!(!fake.called("list_meetings"));
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
        (Command::KalturaStart, start_options()),
        (Command::KalturaJoin, meeting_option(WEEKLY)),
        (Command::KalturaList, json!([])),
        (Command::KalturaEnd, meeting_option(WEEKLY)),
        (Command::KalturaConfig, json!([{"name": "view", "type": 1}])),
        (
            Command::KalturaVideo,
            json!([{"name": "search", "type": 1, "options": [{"name": "query", "type": 3, "value": "intro"}]}]),
        ),
    ];
    assert_eq!(cases.len(), Command::ALL.len());
    for (name, options) in cases {
        let outcome = respond(
            &command_as(name.as_str(), options, OWNER, &[], ADMIN),
            fake.services(),
        );
        let text = json_of(outcome.response()).to_string();
        assert!(!text.contains("know that"), "{name:?}: {text}");
    }
}

/// A button click from a channel of `channel_type` (2 voice, 0 text).
fn button_in(custom_id: &str, channel_type: u8) -> Interaction {
    let payload = json!({
        "type": 3, "id": "900000000000000009", "application_id": APP, "token": TOKEN,
        "version": 1, "guild_id": GUILD, "channel_id": CHANNEL,
        "channel": {"id": CHANNEL, "type": channel_type},
        "member": {"user": {"id": MEMBER, "username": "bob"}, "roles": [], "permissions": PLAIN},
        "data": {"custom_id": custom_id, "component_type": 2}
    });
    Interaction::from_slice(payload.to_string().as_bytes()).unwrap()
}

fn links() -> crate::videos::Links {
    crate::videos::Links::from_setting(Some("https://kd.example.com/"))
}

fn search(query: &str, limit: Option<i64>) -> Interaction {
    let mut options = vec![json!({"name": "query", "type": 3, "value": query})];
    if let Some(limit) = limit {
        options.push(json!({"name": "limit", "type": 4, "value": limit}));
    }
    command(
        "kaltura-video",
        json!([{"name": "search", "type": 1, "options": options}]),
    )
}

#[test]
fn a_video_search_is_deferred_and_runs_as_the_member_in_the_servers_categories() {
    let fake = Fake::new();
    let (deferral, job) = deferred(crate::respond_with(
        &search("intro", Some(3)),
        fake.services(),
        &links(),
    ));
    assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
    let finished = job.run(fake.services());
    assert!(finished.report.is_none(), "{:?}", finished.report);
    assert!(
        fake.called(&format!(
            "search_media intro 1 [7] Some(\"discord-{OWNER}\")"
        )),
        "{:?}",
        fake.calls.borrow()
    );
    let value = body(&finished);
    assert_eq!(value["embeds"][0]["title"], "Intro lecture");
    assert_eq!(value["embeds"][0]["fields"][0]["value"], "2m 05s");
    assert_eq!(
        value["embeds"][0]["thumbnail"]["url"],
        "https://cdn.test/thumb/0_intro01"
    );
    let row = &value["components"][0]["components"];
    assert_eq!(
        row[0]["url"],
        format!("https://kd.example.com/activity/?entry=0_intro01&guild={GUILD}&room=c-{CHANNEL}")
    );
    assert_eq!(row[1]["custom_id"], "v1:vshare:0_intro01");
    assert_eq!(row[2]["custom_id"], "v1:vwatch:0_intro01");
    assert_eq!(value["allowed_mentions"], json!({"parse": []}));
}

#[test]
fn a_search_without_a_public_address_says_links_cannot_be_made() {
    let fake = Fake::new();
    let (_, job) = deferred(respond(&search("intro", None), fake.services()));
    let value = body(&job.run(fake.services()));
    assert!(
        value["content"]
            .as_str()
            .unwrap()
            .contains("public_base_url"),
        "{value}"
    );
    let row = &value["components"][0]["components"];
    assert_eq!(row[0]["custom_id"], "v1:vshare:0_intro01", "no Play link");
}

#[test]
fn bad_search_options_are_refused_before_any_call() {
    let fake = Fake::new();
    for bad in [
        search("   ", None),
        search("x", Some(11)),
        search("x", Some(0)),
    ] {
        let value = reply(respond(&bad, fake.services()));
        assert_eq!(value["data"]["flags"], 64);
    }
    assert!(!fake.called("search_media"));
}

#[test]
fn watch_together_in_a_voice_channel_records_the_video_and_launches_the_activity() {
    let fake = Fake::new();
    let value = reply(crate::respond_with(
        &button_in("v1:vwatch:0_intro01", 2),
        fake.services(),
        &links(),
    ));
    assert_eq!(value, json!({"type": 12}));
    assert_eq!(
        *fake.requested.borrow(),
        [(id(GUILD), id(CHANNEL), "0_intro01".to_owned(), id(MEMBER))]
    );
    assert!(fake.called("check_permission kaltura-video"));
}

#[test]
fn watch_together_elsewhere_gives_the_link_and_says_why() {
    let fake = Fake::new();
    let value = reply(crate::respond_with(
        &button_in("v1:vwatch:0_intro01", 0),
        fake.services(),
        &links(),
    ));
    assert_eq!(value["type"], 4);
    assert_eq!(value["data"]["flags"], 64);
    assert!(content(&value).contains("not one"), "{value}");
    assert!(value["data"]["components"][0]["components"][0]["url"]
        .as_str()
        .unwrap()
        .contains("entry=0_intro01"));
    fake.activity.set(false);
    let value = reply(crate::respond_with(
        &button_in("v1:vwatch:0_intro01", 2),
        fake.services(),
        &links(),
    ));
    assert!(
        content(&value).contains("Activities are turned off"),
        "{value}"
    );
    assert!(fake.requested.borrow().is_empty());
}

#[test]
fn a_shared_video_is_a_public_card_through_the_servers_template_that_pings_nobody() {
    let fake = Fake::new();
    let (deferral, job) = deferred(crate::respond_with(
        &button("v1:vshare:0_intro01"),
        fake.services(),
        &links(),
    ));
    assert_eq!(deferral, json!({"type": 5}), "public");
    let value = body(&job.run(fake.services()));
    assert!(value["content"].as_str().unwrap().starts_with(&format!("<@{OWNER}> shared the video **Intro lecture** (2m 05s): https://kd.example.com/activity/")), "{value}");
    assert_eq!(value["allowed_mentions"], json!({"parse": []}));
    let missing = deferred(crate::respond_with(
        &button("v1:vshare:0_nothere"),
        fake.services(),
        &links(),
    ))
    .1;
    assert!(body(&missing.run(fake.services()))["content"]
        .as_str()
        .unwrap()
        .contains("not available"));
}

#[test]
fn a_forged_video_button_or_a_member_without_permission_does_nothing() {
    let fake = Fake::new();
    let value = reply(respond(&button("v1:vwatch:0_a,role:x"), fake.services()));
    assert_eq!(value["data"]["flags"], 64);
    fake.deny(Command::KalturaVideo, None, "Videos are off here.");
    let value = reply(respond(
        &button_in("v1:vwatch:0_intro01", 2),
        fake.services(),
    ));
    assert_eq!(content(&value), "Videos are off here.");
    assert!(fake.requested.borrow().is_empty());
}

#[test]
fn video_titles_are_suggested_while_typing() {
    let fake = Fake::new();
    let typed = json!([{"name": "search", "type": 1, "options": [{"name": "query", "type": 3, "value": "intr", "focused": true}]}]);
    let value = reply(respond(
        &autocomplete_as("kaltura-video", typed, PLAIN),
        fake.services(),
    ));
    assert_eq!(
        value,
        json!({"type": 8, "data": {"choices": [{"name": "Intro lecture", "value": "Intro lecture"}]}})
    );
    assert!(fake.called("search_media intr 1 [7] None"));
}
