//! Where a product event goes, host-free: the lookups are behind [`Directory`] (the
//! `kaltura` and `config` services in Spin, fakes in tests).
//!
//! 1. **Meetings started from Discord** remember their server and channel: when the
//!    event names a meeting (`kd_meeting_id`, or a schedule resource's id) that
//!    `kaltura.get-meeting` knows, it goes to that meeting's channel — if the server has
//!    not turned that event (or notifications, or recording notices) off. A READY entry
//!    of a meeting is `recording_ready`.
//! 2. **Every other event** goes to the channel each candidate server configured for its
//!    event type (`config.notification-target`), or nowhere. The candidates are the
//!    servers the signed body names (`kd_guild_id`, `kd-guild:<id>` tags); only when the
//!    body names none, the `guild` query parameters of the notification URL
//!    (`/webhooks/kaltura?guild=<id>`), which the signature does not cover (see the crate
//!    docs). An entry that became READY goes to a server only if it is in one of the
//!    categories the server follows (`kaltura.category_ids`) — unless the template
//!    declared the event itself with `kd_event`. It is `recording_ready` for a live
//!    recording, `entry_ready` otherwise.
//!
//! No candidate, no channel, or the server turned it off: [`Route::NotRouted`], which
//! is answered 200 (there is nothing Kaltura could usefully redeliver).

use guild_config::EventKind;
use serde_json::Value;

use crate::events::{Happening, KalturaEvent, MAX_GUILDS};

/// A meeting as the `kaltura` service keeps it (WIT `meeting`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingInfo {
    /// The meeting id (Kaltura schedule resource id).
    pub id: String,
    /// The kind, as shown: Webinar, Interactive Meeting Room, Virtual Classroom.
    pub kind_label: String,
    /// The cleaned title (still escaped before showing).
    pub title: String,
    /// The Discord server.
    pub guild_id: String,
    /// The Discord channel it was launched in.
    pub channel_id: String,
    /// The Discord user who created it.
    pub owner_id: String,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// Scheduled start, Unix seconds.
    pub start_time: Option<u64>,
    /// When it was ended, Unix seconds.
    pub ended_at: Option<u64>,
}

/// Where and how to post an event on a server (WIT `target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The channel.
    pub channel_id: String,
    /// The message template.
    pub template: String,
    /// Whether `@everyone`/`@here` may ping.
    pub allow_everyone: bool,
}

/// How a server posts one event, whatever the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    /// The message template.
    pub template: String,
    /// Whether `@everyone`/`@here` may ping.
    pub allow_everyone: bool,
}

/// What routing needs of a server's merged settings (from `config.get`).
#[derive(Debug, Clone, PartialEq)]
pub struct GuildView {
    /// Categories whose new videos the server follows.
    pub category_ids: Vec<u32>,
    /// The server's player, for video links.
    pub player_uiconf_id: Option<u32>,
    /// The merged settings document (`config-json`).
    pub config: Value,
}

impl GuildView {
    /// How `event` is posted on this server if it is posted at all, ignoring which
    /// channel is set: `None` when notifications, the event, or (for `recording_ready`)
    /// recording notices are off. Reads the documented keys leniently, so a newer
    /// settings document with more keys still reads; a missing key has its default.
    pub fn posting(&self, event: EventKind) -> Option<Posting> {
        let notifications = &self.config["notifications"];
        let settings = &notifications["events"][event.as_str()];
        let on = |v: &Value| v.as_bool().unwrap_or(true);
        let suppressed = event == EventKind::RecordingReady
            && !on(&self.config["features"]["recording_notices"]);
        if !on(&notifications["enabled"]) || !on(&settings["enabled"]) || suppressed {
            return None;
        }
        let template = settings["template"]
            .as_str()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| default_template(event));
        Some(Posting {
            template: template.to_owned(),
            allow_everyone: notifications["allow_everyone_mentions"]
                .as_bool()
                .unwrap_or(false),
        })
    }
}

/// The compiled default template of `event`.
pub fn default_template(event: EventKind) -> &'static str {
    match event {
        EventKind::MeetingStart => guild_config::DEFAULT_MEETING_START_TEMPLATE,
        EventKind::MeetingEnd => guild_config::DEFAULT_MEETING_END_TEMPLATE,
        EventKind::RecordingReady => guild_config::DEFAULT_RECORDING_READY_TEMPLATE,
        EventKind::EntryReady => guild_config::DEFAULT_ENTRY_READY_TEMPLATE,
    }
}

/// Why a lookup failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The service or its store failed; the same lookup may succeed later (answer 5xx).
    #[error("{0}")]
    Unavailable(String),
    /// The input was refused (a malformed id): skip it.
    #[error("{0}")]
    Invalid(String),
}

/// The services routing asks.
pub trait Directory {
    /// `kaltura.get-meeting`: a meeting started from Discord, `None` if unknown.
    ///
    /// # Errors
    /// [`LookupError`].
    fn meeting(&self, id: &str) -> Result<Option<MeetingInfo>, LookupError>;

    /// `config.get`: the server's merged settings.
    ///
    /// # Errors
    /// [`LookupError`].
    fn guild(&self, guild_id: &str) -> Result<GuildView, LookupError>;

    /// `config.notification-target`: where the server posts `event`, `None` when nowhere.
    ///
    /// # Errors
    /// [`LookupError`].
    fn target(&self, guild_id: &str, event: EventKind) -> Result<Option<Target>, LookupError>;

    /// `kaltura.player-embed-url`: a playback link for an entry, `None` when it cannot
    /// be made (no player configured, say).
    fn player_url(&self, entry_id: &str, uiconf_id: Option<u32>) -> Option<String>;
}

/// One message to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The server.
    pub guild_id: String,
    /// The channel.
    pub channel_id: String,
    /// The product event.
    pub event: EventKind,
    /// The server's template for it.
    pub template: String,
    /// Whether `@everyone`/`@here` may ping.
    pub allow_everyone: bool,
    /// The meeting, for meetings started from Discord.
    pub meeting: Option<MeetingInfo>,
    /// The server's player, for video links.
    pub player_uiconf_id: Option<u32>,
}

impl Delivery {
    /// The key of this delivery in the dedupe record: `<guild-id>/<channel-id>`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.guild_id, self.channel_id)
    }
}

/// Where an event goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Post these messages.
    Deliver(Vec<Delivery>),
    /// Nowhere; the reason is answered and logged.
    NotRouted(String),
}

fn is_entry_event(event: EventKind) -> bool {
    matches!(event, EventKind::RecordingReady | EventKind::EntryReady)
}

/// The `guild` query parameters of the notification URL (`?guild=1&guild=2` or
/// `?guild=1,2`), validated.
pub fn query_guilds(path_with_query: &str) -> Vec<String> {
    let Some((_, query)) = path_with_query.split_once('?') else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name == "guild" {
            for id in crate::events::guild_list(&value) {
                if !out.contains(&id) && out.len() < MAX_GUILDS {
                    out.push(id);
                }
            }
        }
    }
    out
}

/// Decides where `event` goes.
///
/// # Errors
/// [`LookupError::Unavailable`] when a service failed (nothing was posted; answer 5xx).
pub fn route(
    event: &KalturaEvent,
    url_guilds: &[String],
    dir: &dyn Directory,
) -> Result<Route, LookupError> {
    let mut reasons = Vec::new();
    if let Some(id) = &event.meeting_id {
        match dir.meeting(id) {
            Ok(Some(meeting)) => return route_meeting(event, meeting, dir),
            Ok(None) => reasons.push(format!("meeting {id} was not started from Discord")),
            Err(LookupError::Invalid(why)) => reasons.push(why),
            Err(err) => return Err(err),
        }
    }
    let guilds = if event.guild_ids.is_empty() {
        url_guilds
    } else {
        &event.guild_ids
    };
    if guilds.is_empty() {
        reasons.push(
            "no Discord server is named (kd_guild_id, a kd-guild: tag, or ?guild= on the URL)"
                .into(),
        );
        return Ok(Route::NotRouted(reasons.join("; ")));
    }
    let kind = event.declared.unwrap_or(match event.happening {
        Happening::MeetingStarted => EventKind::MeetingStart,
        Happening::MeetingEnded => EventKind::MeetingEnd,
        Happening::EntryReady if event.recording => EventKind::RecordingReady,
        Happening::EntryReady => EventKind::EntryReady,
    });
    let mut deliveries = Vec::new();
    for guild in guilds.iter().take(MAX_GUILDS) {
        match route_guild(event, kind, guild, dir) {
            Ok(Ok(delivery)) => deliveries.push(delivery),
            Ok(Err(why)) | Err(LookupError::Invalid(why)) => {
                reasons.push(format!("server {guild}: {why}"));
            }
            Err(err) => return Err(err),
        }
    }
    if deliveries.is_empty() {
        Ok(Route::NotRouted(reasons.join("; ")))
    } else {
        Ok(Route::Deliver(deliveries))
    }
}

fn route_meeting(
    event: &KalturaEvent,
    meeting: MeetingInfo,
    dir: &dyn Directory,
) -> Result<Route, LookupError> {
    let kind = event.declared.unwrap_or(match event.happening {
        Happening::MeetingStarted => EventKind::MeetingStart,
        Happening::MeetingEnded => EventKind::MeetingEnd,
        Happening::EntryReady => EventKind::RecordingReady,
    });
    let view = match dir.guild(&meeting.guild_id) {
        Ok(view) => view,
        Err(LookupError::Invalid(why)) => return Ok(Route::NotRouted(why)),
        Err(err) => return Err(err),
    };
    let Some(posting) = view.posting(kind) else {
        return Ok(Route::NotRouted(format!(
            "server {} has {} notifications turned off",
            meeting.guild_id,
            kind.as_str()
        )));
    };
    Ok(Route::Deliver(vec![Delivery {
        guild_id: meeting.guild_id.clone(),
        channel_id: meeting.channel_id.clone(),
        event: kind,
        template: posting.template,
        allow_everyone: posting.allow_everyone,
        player_uiconf_id: view.player_uiconf_id,
        meeting: Some(meeting),
    }]))
}

/// One server's delivery, or why there is none.
fn route_guild(
    event: &KalturaEvent,
    kind: EventKind,
    guild: &str,
    dir: &dyn Directory,
) -> Result<Result<Delivery, String>, LookupError> {
    let mut player_uiconf_id = None;
    if is_entry_event(kind) {
        let view = dir.guild(guild)?;
        player_uiconf_id = view.player_uiconf_id;
        if event.declared.is_none() {
            let Some(categories) = &event.category_ids else {
                return Ok(Err(
                    "the notification does not say which categories the entry is in".into(),
                ));
            };
            if !view.category_ids.iter().any(|c| categories.contains(c)) {
                return Ok(Err("follows none of the entry's categories".into()));
            }
        }
    }
    let Some(target) = dir.target(guild, kind)? else {
        return Ok(Err(format!(
            "posts no {} notifications (no channel set, or turned off)",
            kind.as_str()
        )));
    };
    Ok(Ok(Delivery {
        guild_id: guild.to_owned(),
        channel_id: target.channel_id,
        event: kind,
        template: target.template,
        allow_everyone: target.allow_everyone,
        meeting: None,
        player_uiconf_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeDirectory;
    use serde_json::json;

    const GUILD: &str = "123456789012345678";
    const CHANNEL: &str = "223456789012345678";
    const MEETING_CHANNEL: &str = "323456789012345678";

    fn ready_entry() -> KalturaEvent {
        KalturaEvent {
            happening: Happening::EntryReady,
            declared: None,
            object_id: Some("0_abc123".into()),
            entry_id: Some("0_abc123".into()),
            title: Some("Lecture".into()),
            owner: None,
            meeting_id: None,
            category_ids: Some(vec![12]),
            guild_ids: vec![GUILD.into()],
            recording: false,
            duration_secs: None,
        }
    }

    fn delivered(route: Route) -> Vec<Delivery> {
        match route {
            Route::Deliver(d) => d,
            Route::NotRouted(why) => panic!("not routed: {why}"),
        }
    }

    fn not_routed(route: Route) -> String {
        match route {
            Route::NotRouted(why) => why,
            Route::Deliver(d) => panic!("routed: {d:?}"),
        }
    }

    #[test]
    fn a_ready_entry_in_a_followed_category_goes_to_the_configured_channel() {
        let dir = FakeDirectory::new()
            .guild(GUILD, json!({}), &[12, 99])
            .target(GUILD, EventKind::EntryReady, CHANNEL);
        let d = delivered(route(&ready_entry(), &[], &dir).unwrap());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].channel_id, CHANNEL);
        assert_eq!(d[0].event, EventKind::EntryReady);
        assert_eq!(d[0].key(), format!("{GUILD}/{CHANNEL}"));
    }

    #[test]
    fn an_entry_outside_the_followed_categories_or_without_categories_goes_nowhere() {
        let dir = FakeDirectory::new().guild(GUILD, json!({}), &[7]).target(
            GUILD,
            EventKind::EntryReady,
            CHANNEL,
        );
        assert!(not_routed(route(&ready_entry(), &[], &dir).unwrap()).contains("follows none"));
        let mut unknown = ready_entry();
        unknown.category_ids = None;
        assert!(not_routed(route(&unknown, &[], &dir).unwrap()).contains("categories"));
        let mut declared = unknown.clone();
        declared.declared = Some(EventKind::EntryReady);
        assert_eq!(
            delivered(route(&declared, &[], &dir).unwrap()).len(),
            1,
            "kd_event skips the category check"
        );
    }

    #[test]
    fn a_live_recording_is_recording_ready_and_a_server_without_a_channel_gets_nothing() {
        let mut rec = ready_entry();
        rec.recording = true;
        let dir = FakeDirectory::new().guild(GUILD, json!({}), &[12]);
        let why = not_routed(route(&rec, &[], &dir).unwrap());
        assert!(why.contains("recording_ready"), "{why}");
        let dir = dir.target(GUILD, EventKind::RecordingReady, CHANNEL);
        assert_eq!(
            delivered(route(&rec, &[], &dir).unwrap())[0].event,
            EventKind::RecordingReady
        );
    }

    #[test]
    fn a_meeting_started_from_discord_goes_to_its_own_channel() {
        let mut e = ready_entry();
        e.meeting_id = Some("42".into());
        e.guild_ids.clear();
        e.category_ids = None;
        let dir = FakeDirectory::new()
            .meeting("42", GUILD, MEETING_CHANNEL)
            .guild(GUILD, json!({}), &[]);
        let d = delivered(route(&e, &[], &dir).unwrap());
        assert_eq!(d[0].channel_id, MEETING_CHANNEL);
        assert_eq!(d[0].event, EventKind::RecordingReady);
        assert_eq!(
            d[0].template,
            guild_config::DEFAULT_RECORDING_READY_TEMPLATE
        );
        assert!(d[0].meeting.is_some());
    }

    #[test]
    fn a_server_that_turned_an_event_off_gets_nothing_even_for_its_meetings() {
        let mut e = ready_entry();
        e.meeting_id = Some("42".into());
        for config in [
            json!({"notifications": {"enabled": false}}),
            json!({"notifications": {"events": {"recording_ready": {"enabled": false}}}}),
            json!({"features": {"recording_notices": false}}),
        ] {
            let dir = FakeDirectory::new()
                .meeting("42", GUILD, MEETING_CHANNEL)
                .guild(GUILD, config.clone(), &[]);
            assert!(
                not_routed(route(&e, &[], &dir).unwrap()).contains("turned off"),
                "{config}"
            );
        }
        let custom = json!({"notifications": {"allow_everyone_mentions": true,
            "events": {"recording_ready": {"template": "@everyone {{title}}"}}}});
        let dir = FakeDirectory::new()
            .meeting("42", GUILD, MEETING_CHANNEL)
            .guild(GUILD, custom, &[]);
        let d = delivered(route(&e, &[], &dir).unwrap());
        assert_eq!(d[0].template, "@everyone {{title}}");
        assert!(d[0].allow_everyone);
    }

    #[test]
    fn an_unknown_meeting_falls_back_to_the_named_servers() {
        let mut e = ready_entry();
        e.meeting_id = Some("77".into());
        let dir = FakeDirectory::new().guild(GUILD, json!({}), &[12]).target(
            GUILD,
            EventKind::EntryReady,
            CHANNEL,
        );
        assert_eq!(
            delivered(route(&e, &[], &dir).unwrap())[0].channel_id,
            CHANNEL
        );
    }

    #[test]
    fn url_guilds_count_only_when_the_body_names_none() {
        let other = "423456789012345678".to_owned();
        let dir = FakeDirectory::new()
            .guild(GUILD, json!({}), &[12])
            .target(GUILD, EventKind::EntryReady, CHANNEL)
            .guild(&other, json!({}), &[12])
            .target(&other, EventKind::EntryReady, "523456789012345678");
        let d = delivered(route(&ready_entry(), std::slice::from_ref(&other), &dir).unwrap());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].guild_id, GUILD);
        let mut unnamed = ready_entry();
        unnamed.guild_ids.clear();
        let d = delivered(route(&unnamed, std::slice::from_ref(&other), &dir).unwrap());
        assert_eq!(d[0].guild_id, other);
        assert!(not_routed(route(&unnamed, &[], &dir).unwrap()).contains("no Discord server"));
    }

    #[test]
    fn a_failing_service_is_retryable_and_a_refused_id_is_skipped() {
        let dir = FakeDirectory::new().failing(LookupError::Unavailable("store down".into()));
        assert_eq!(
            route(&ready_entry(), &[], &dir),
            Err(LookupError::Unavailable("store down".into()))
        );
        let dir = FakeDirectory::new().failing(LookupError::Invalid("bad id".into()));
        assert!(not_routed(route(&ready_entry(), &[], &dir).unwrap()).contains("bad id"));
    }

    #[test]
    fn query_guilds_are_read_from_the_url() {
        assert_eq!(
            query_guilds(
                "/webhooks/kaltura?guild=123456789012345678&x=1&guild=223456789012345678%2Cbad"
            ),
            ["123456789012345678", "223456789012345678"]
        );
        assert!(query_guilds("/webhooks/kaltura").is_empty());
    }

    #[test]
    fn posting_reads_defaults_for_missing_keys() {
        let view = GuildView {
            category_ids: vec![],
            player_uiconf_id: None,
            config: json!({}),
        };
        let p = view.posting(EventKind::MeetingStart).unwrap();
        assert_eq!(p.template, guild_config::DEFAULT_MEETING_START_TEMPLATE);
        assert!(!p.allow_everyone);
    }
}
