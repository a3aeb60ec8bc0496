//! Fakes for the unit tests: the `config` and `kaltura` services in memory (the
//! contracts' ports, in their simplest form), and a Discord that answers from a script
//! and records every request (the clock and the store are `common`'s `FakeClock` and
//! `MemoryCasStore`).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use common::Transport;
use contracts::config::{
    Access, AuditEntry, Command, DeploymentSettings, Event, Features, GuildSettings,
    KalturaSettings, Message, MessageKind, Section, SettingKey, SettingLine, UpdateResult,
};
use contracts::kaltura::{
    Meeting, MeetingFilter, MeetingKind, MeetingRequest, Participant, Requester,
};
use contracts::{Actor, Error, KalturaRole, Member, ServiceStatus};
use serde_json::Value;

/// One server's settings, as far as notifications go.
#[derive(Default, Clone)]
struct Server {
    categories: Vec<u32>,
    channels: BTreeMap<&'static str, u64>,
    off: Vec<Event>,
    allow_everyone: bool,
}

/// Meetings and server settings in memory. Each event renders as
/// `<event>: {{title}} {{url}}`.
#[derive(Default)]
pub struct FakeServices {
    meetings: BTreeMap<u64, Meeting>,
    servers: BTreeMap<u64, Server>,
    failing: Option<Error>,
    /// How many service calls were made.
    pub lookups: Cell<usize>,
}

fn snowflake(text: &str) -> u64 {
    text.parse().unwrap()
}

impl FakeServices {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn meeting(mut self, id: u64, guild: &str, channel: &str) -> Self {
        self.meetings.insert(
            id,
            Meeting {
                id,
                kind: MeetingKind::Webinar,
                title: "Weekly @everyone sync".into(),
                guild_id: snowflake(guild),
                channel_id: snowflake(channel),
                owner_id: 623_456_789_012_345_678,
                created_at: 1_700_000_000,
                start_time: None,
                end_time: None,
                ended_at: None,
            },
        );
        self
    }

    /// A server that follows `categories`, with the player 4321.
    pub fn guild(mut self, id: &str, categories: &[u32]) -> Self {
        self.server(id).categories = categories.to_vec();
        self
    }

    /// The server posts `event` in `channel`.
    pub fn channel(mut self, guild: &str, event: Event, channel: &str) -> Self {
        self.server(guild)
            .channels
            .insert(event.as_str(), snowflake(channel));
        self
    }

    /// The server turned `event` off.
    pub fn off(mut self, guild: &str, event: Event) -> Self {
        self.server(guild).off.push(event);
        self
    }

    /// The server lets its templates ping `@everyone`.
    pub fn allow_everyone(mut self, guild: &str) -> Self {
        self.server(guild).allow_everyone = true;
        self
    }

    /// Every call fails with `err`.
    pub fn failing(mut self, err: Error) -> Self {
        self.failing = Some(err);
        self
    }

    fn server(&mut self, id: &str) -> &mut Server {
        self.servers.entry(snowflake(id)).or_default()
    }

    fn check(&self) -> Result<(), Error> {
        self.lookups.set(self.lookups.get() + 1);
        self.failing.clone().map_or(Ok(()), Err)
    }
}

impl contracts::Config for FakeServices {
    fn status(&self) -> ServiceStatus {
        unreachable!()
    }

    fn get(&self, guild_id: u64) -> Result<GuildSettings, Error> {
        self.check()?;
        let server = self.servers.get(&guild_id);
        Ok(GuildSettings {
            version: 0,
            deployment_version: 0,
            features: Features {
                activity: false,
                embed_player: false,
                recording_notices: true,
            },
            kaltura: KalturaSettings {
                join_privileges: String::new(),
                host_privileges: String::new(),
                view_privileges: String::new(),
                player_uiconf_id: server.map(|_| 4321),
                category_ids: server.map(|s| s.categories.clone()).unwrap_or_default(),
            },
            document_json: "{}".into(),
            overrides_json: "{}".into(),
        })
    }

    fn check_permission(&self, _: Command, _: &Member) -> Result<Access, Error> {
        unreachable!("notifications check no member")
    }

    fn role_for(&self, _: &Member) -> Result<KalturaRole, Error> {
        unreachable!("notifications check no member")
    }

    fn render_message(
        &self,
        guild_id: u64,
        kind: MessageKind,
        values: &[(String, String)],
    ) -> Result<Option<Message>, Error> {
        self.check()?;
        let MessageKind::Event(event) = kind else {
            unreachable!("notifications post events only");
        };
        let server = self.servers.get(&guild_id).cloned().unwrap_or_default();
        if server.off.contains(&event) {
            return Ok(None);
        }
        let template = format!("{}: {{{{title}}}} {{{{url}}}}", event.as_str());
        let content = values.iter().fold(template, |text, (name, value)| {
            text.replace(&format!("{{{{{name}}}}}"), value)
        });
        Ok(Some(Message {
            channel_id: server.channels.get(event.as_str()).copied(),
            content,
            allow_everyone_mentions: server.allow_everyone,
        }))
    }

    fn render_section(&self, _: u64, _: Section) -> Result<Vec<SettingLine>, Error> {
        unreachable!()
    }

    fn settable_keys(&self) -> Vec<SettingKey> {
        unreachable!()
    }

    fn update(&self, _: u64, _: &str, _: u64, _: &Actor) -> Result<UpdateResult, Error> {
        unreachable!()
    }

    fn set(
        &self,
        _: u64,
        _: &str,
        _: &str,
        _: Option<u64>,
        _: bool,
        _: &Actor,
    ) -> Result<UpdateResult, Error> {
        unreachable!()
    }

    fn reset(&self, _: u64, _: Option<Section>, _: &Actor) -> Result<UpdateResult, Error> {
        unreachable!()
    }

    fn audit_log(&self, _: u64, _: u32) -> Result<Vec<AuditEntry>, Error> {
        unreachable!()
    }

    fn get_deployment(&self) -> Result<DeploymentSettings, Error> {
        unreachable!()
    }

    fn update_deployment(&self, _: &str, _: u64, _: &Actor) -> Result<UpdateResult, Error> {
        unreachable!()
    }

    fn deployment_audit_log(&self, _: u32) -> Result<Vec<AuditEntry>, Error> {
        unreachable!()
    }
}

impl contracts::Kaltura for FakeServices {
    fn status(&self) -> ServiceStatus {
        unreachable!()
    }

    fn ping(&self) -> Result<(), Error> {
        unreachable!()
    }

    fn circuit_open(&self) -> bool {
        unreachable!()
    }

    fn create_meeting(&self, _: &MeetingRequest) -> Result<Meeting, Error> {
        unreachable!()
    }

    fn get_meeting(&self, id: u64) -> Result<Option<Meeting>, Error> {
        self.check()?;
        Ok(self.meetings.get(&id).cloned())
    }

    fn list_meetings(&self, _: MeetingFilter) -> Result<Vec<Meeting>, Error> {
        unreachable!()
    }

    fn may_manage(&self, _: u64, _: Requester) -> Result<bool, Error> {
        unreachable!()
    }

    fn end_meeting(&self, _: u64, _: Requester) -> Result<(), Error> {
        unreachable!()
    }

    fn join_url(&self, _: u64, _: &Participant) -> Result<String, Error> {
        unreachable!()
    }

    fn player_embed_url(&self, entry_id: &str, uiconf_id: Option<u32>) -> Result<String, Error> {
        let uiconf =
            uiconf_id.ok_or_else(|| Error::NotConfigured("kaltura_player_uiconf_id".into()))?;
        Ok(format!(
            "https://cdnapisec.kaltura.com/p/1234567/embedPlaykitJs/uiconf_id/{uiconf}?iframeembed=true&entry_id={entry_id}"
        ))
    }
}

/// A request the fake Discord received.
#[derive(Debug, Clone)]
pub struct Sent {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout: Duration,
}

impl Sent {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Discord answering from a script; once the script is used up, `201`-style success.
/// Channel lookups (`GET /channels/{id}`) are apart: answered from their own script,
/// then from the channels it knows ([`FakeDiscord::owning`]), else 404; recorded in
/// `lookups`, not in `sent`.
#[derive(Default)]
pub struct FakeDiscord {
    script: RefCell<VecDeque<Result<(u16, String), String>>>,
    lookup_script: RefCell<VecDeque<(u16, String)>>,
    owners: BTreeMap<String, String>,
    pub sent: RefCell<Vec<Sent>>,
    pub lookups: RefCell<Vec<Sent>>,
}

impl FakeDiscord {
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers the next request with `status` and `body`.
    pub fn then(self, status: u16, body: &str) -> Self {
        self.script
            .borrow_mut()
            .push_back(Ok((status, body.to_owned())));
        self
    }

    /// `GET /channels/{channel}` says it belongs to `guild` (`""`: to no server).
    pub fn owning(mut self, channel: &str, guild: &str) -> Self {
        self.owners.insert(channel.to_owned(), guild.to_owned());
        self
    }

    /// Answers the next channel lookup with `status` and `body`.
    pub fn then_lookup(self, status: u16, body: &str) -> Self {
        self.lookup_script
            .borrow_mut()
            .push_back((status, body.to_owned()));
        self
    }

    /// Fails the next request without an answer.
    pub fn then_fail(self, why: &str) -> Self {
        self.script.borrow_mut().push_back(Err(why.to_owned()));
        self
    }

    pub fn count(&self) -> usize {
        self.sent.borrow().len()
    }
}

impl Transport for FakeDiscord {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, String> {
        let (parts, body) = request.into_parts();
        let n = self.sent.borrow().len();
        let sent = Sent {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body,
            timeout,
        };
        let lookup = parts.method == http::Method::GET
            && parts.uri.path().contains("/channels/")
            && !parts.uri.path().ends_with("/messages");
        if lookup {
            self.lookups.borrow_mut().push(sent);
            let channel = parts.uri.path().rsplit('/').next().unwrap_or_default();
            let scripted = self.lookup_script.borrow_mut().pop_front();
            let (status, body) = scripted.unwrap_or_else(|| match self.owners.get(channel) {
                Some(guild) if guild.is_empty() => {
                    (200, format!(r#"{{"id":"{channel}","type":1}}"#))
                }
                Some(guild) => (
                    200,
                    format!(r#"{{"id":"{channel}","guild_id":"{guild}","type":0}}"#),
                ),
                None => (
                    404,
                    r#"{"message":"Unknown Channel","code":10003}"#.to_owned(),
                ),
            });
            return Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(body.into_bytes())
                .unwrap());
        }
        self.sent.borrow_mut().push(sent);
        let next = self.script.borrow_mut().pop_front();
        let (status, body) = match next {
            Some(Ok(answer)) => answer,
            Some(Err(why)) => return Err(why),
            None => (200, format!(r#"{{"id":"9{n:017}","channel_id":"1"}}"#)),
        };
        Ok(http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.into_bytes())
            .unwrap())
    }
}

/// The `events` service: records what is published; nothing else is called here.
#[derive(Default)]
pub struct FakeEvents {
    pub published: std::cell::RefCell<Vec<contracts::events::Event>>,
}

fn not_here() -> Error {
    Error::Other("not called by the notifications service".into())
}

impl contracts::Events for FakeEvents {
    fn status(&self) -> contracts::ServiceStatus {
        contracts::ServiceStatus {
            name: "events".into(),
            version: "test".into(),
            missing_settings: Vec::new(),
            key_value_ok: true,
        }
    }
    fn publish(&self, event: &contracts::events::Event) -> Result<u32, Error> {
        self.published.borrow_mut().push(event.clone());
        Ok(1)
    }
    fn pump(&self, _max_attempts: u32) -> Result<contracts::events::PumpReport, Error> {
        Err(not_here())
    }
    fn create(
        &self,
        _guild_id: u64,
        _request: &contracts::events::NewSubscription,
        _created_by: &contracts::Actor,
    ) -> Result<contracts::events::CreatedSubscription, Error> {
        Err(not_here())
    }
    fn list(&self, _guild_id: u64) -> Result<Vec<contracts::events::Subscription>, Error> {
        Err(not_here())
    }
    fn get(&self, _guild_id: u64, _id: &str) -> Result<contracts::events::Subscription, Error> {
        Err(not_here())
    }
    fn delete(&self, _guild_id: u64, _id: &str) -> Result<(), Error> {
        Err(not_here())
    }
    fn set_paused(
        &self,
        _guild_id: u64,
        _id: &str,
        _paused: bool,
        _actor: &contracts::Actor,
    ) -> Result<contracts::events::Subscription, Error> {
        Err(not_here())
    }
    fn deliveries(
        &self,
        _guild_id: u64,
        _id: &str,
        _limit: u32,
    ) -> Result<Vec<contracts::events::Delivery>, Error> {
        Err(not_here())
    }
}
