//! Fakes for the unit tests: a directory of meetings and server settings, and a Discord
//! that answers from a script and records every request (the clock and the store are
//! `common`'s `FakeClock` and `MemoryCasStore`).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use common::Transport;
use guild_config::EventKind;
use serde_json::Value;

use crate::routing::{Directory, GuildView, LookupError, MeetingInfo, Target};

/// Meetings, server settings and targets in memory.
#[derive(Default)]
pub struct FakeDirectory {
    meetings: BTreeMap<String, MeetingInfo>,
    guilds: BTreeMap<String, GuildView>,
    targets: BTreeMap<(String, &'static str), Target>,
    failing: Option<LookupError>,
    /// How many lookups were made.
    pub lookups: Cell<usize>,
}

impl FakeDirectory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn meeting(mut self, id: &str, guild: &str, channel: &str) -> Self {
        self.meetings.insert(
            id.to_owned(),
            MeetingInfo {
                id: id.to_owned(),
                kind_label: "Webinar".into(),
                title: "Weekly @everyone sync".into(),
                guild_id: guild.to_owned(),
                channel_id: channel.to_owned(),
                owner_id: "623456789012345678".into(),
                created_at: 1_700_000_000,
                start_time: None,
                ended_at: None,
            },
        );
        self
    }

    pub fn guild(mut self, id: &str, config: Value, categories: &[u32]) -> Self {
        self.guilds.insert(
            id.to_owned(),
            GuildView {
                category_ids: categories.to_vec(),
                player_uiconf_id: Some(4321),
                config,
            },
        );
        self
    }

    pub fn target(mut self, guild: &str, event: EventKind, channel: &str) -> Self {
        self.targets.insert(
            (guild.to_owned(), event.as_str()),
            Target {
                channel_id: channel.to_owned(),
                template: crate::routing::default_template(event).to_owned(),
                allow_everyone: false,
            },
        );
        self
    }

    pub fn failing(mut self, err: LookupError) -> Self {
        self.failing = Some(err);
        self
    }

    fn check(&self) -> Result<(), LookupError> {
        self.lookups.set(self.lookups.get() + 1);
        self.failing.clone().map_or(Ok(()), Err)
    }
}

impl Directory for FakeDirectory {
    fn meeting(&self, id: &str) -> Result<Option<MeetingInfo>, LookupError> {
        self.check()?;
        Ok(self.meetings.get(id).cloned())
    }

    fn guild(&self, guild_id: &str) -> Result<GuildView, LookupError> {
        self.check()?;
        Ok(self.guilds.get(guild_id).cloned().unwrap_or(GuildView {
            category_ids: Vec::new(),
            player_uiconf_id: None,
            config: Value::Object(serde_json::Map::new()),
        }))
    }

    fn target(&self, guild_id: &str, event: EventKind) -> Result<Option<Target>, LookupError> {
        self.check()?;
        Ok(self
            .targets
            .get(&(guild_id.to_owned(), event.as_str()))
            .cloned())
    }

    fn player_url(&self, entry_id: &str, uiconf_id: Option<u32>) -> Option<String> {
        uiconf_id.map(|u| {
            format!("https://cdnapisec.kaltura.com/p/1234567/embedPlaykitJs/uiconf_id/{u}?iframeembed=true&entry_id={entry_id}")
        })
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
#[derive(Default)]
pub struct FakeDiscord {
    script: RefCell<VecDeque<Result<(u16, String), String>>>,
    pub sent: RefCell<Vec<Sent>>,
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
        self.sent.borrow_mut().push(Sent {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body,
            timeout,
        });
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
