//! Where a product event goes, and what it says there, host-free: the services are the
//! contracts' ports ([`Services`]: `kaltura` and `config` in Spin, fakes in tests).
//!
//! 1. **Meetings started from Discord** remember their server and channel: when the
//!    event names a meeting (`kd_meeting_id`, or a schedule resource's id) that
//!    `kaltura.get-meeting` knows, it goes to that meeting's channel — if the server
//!    posts that event at all (`config.render-message` renders it; it does not when the
//!    server turned the event, notifications or recording notices off). A READY entry of
//!    a meeting is `recording_ready`.
//! 2. **Every other event** goes to the channel each candidate server chose for it
//!    (`config.render-message` says which), or nowhere. The candidates are the servers
//!    the signed body names (`kd_guild_id`, `kd-guild:<id>` tags), and only those: the
//!    notification's URL is not signed, so nothing on it is read. An entry that became
//!    READY goes to a server only if it is in one of the
//!    categories the server follows (`config.get`'s `kaltura.category-ids`) — unless the
//!    template declared the event itself with `kd_event`. It is `recording_ready` for a
//!    live recording, `entry_ready` otherwise.
//!
//! The message is rendered here, once per server: [`crate::render`] escapes the values,
//! `config` fills them into the server's template. No candidate, no channel, or the
//! server turned it off: [`Route::NotRouted`], which is answered 200 (there is nothing
//! Kaltura could usefully redeliver).

use contracts::config::{Event, GuildSettings, Message, MessageKind};
use contracts::kaltura::Meeting;
use contracts::{Config, Error, ErrorKind, Kaltura};
use discord_api::id::{ChannelId, GuildId};

use crate::events::{Happening, KalturaEvent, MAX_GUILDS};
use crate::render;

/// The library services routing asks. Used through generics, never as `dyn` objects, so
/// that the component imports only the functions it calls.
pub trait Services {
    /// Settings and the servers' messages.
    fn config(&self) -> &impl Config;
    /// Meetings and player links.
    fn kaltura(&self) -> &impl Kaltura;
}

impl<T: Config + Kaltura> Services for T {
    fn config(&self) -> &impl Config {
        self
    }
    fn kaltura(&self) -> &impl Kaltura {
        self
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

impl From<Error> for LookupError {
    /// A refusal of the input is skipped; anything else may pass and is retried.
    fn from(err: Error) -> Self {
        match err.kind() {
            ErrorKind::Invalid | ErrorKind::NotFound | ErrorKind::Forbidden => {
                Self::Invalid(err.message().to_owned())
            }
            ErrorKind::NotConfigured => {
                Self::Unavailable(format!("setting {} is not set", err.message()))
            }
            ErrorKind::Unavailable
            | ErrorKind::Conflict
            | ErrorKind::Storage
            | ErrorKind::Other => Self::Unavailable(err.message().to_owned()),
        }
    }
}

/// One message to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The server.
    pub guild_id: GuildId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The product event.
    pub event: Event,
    /// The server's message, rendered by `config`.
    pub message: Message,
    /// The meeting, for meetings started from Discord.
    pub meeting: Option<Meeting>,
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

/// Whether `event` is about a video (a player link is rendered for it).
pub fn is_entry_event(event: Event) -> bool {
    matches!(event, Event::RecordingReady | Event::EntryReady)
}

/// Decides where `event` goes and renders its message there; `now_secs` is the time
/// (for a start time or a duration the notification does not carry).
///
/// # Errors
/// [`LookupError::Unavailable`] when a service failed (nothing was posted; answer 5xx).
pub fn route(
    event: &KalturaEvent,
    services: &impl Services,
    now_secs: u64,
) -> Result<Route, LookupError> {
    let mut reasons = Vec::new();
    if let Some(id) = event.meeting_id {
        match services
            .kaltura()
            .get_meeting(id)
            .map_err(LookupError::from)
        {
            Ok(Some(meeting)) => return route_meeting(event, meeting, services, now_secs),
            Ok(None) => reasons.push(format!("meeting {id} was not started from Discord")),
            Err(LookupError::Invalid(why)) => reasons.push(why),
            Err(err) => return Err(err),
        }
    }
    let guilds = &event.guild_ids;
    if guilds.is_empty() {
        reasons.push("no Discord server is named (kd_guild_id or a kd-guild: tag)".into());
        return Ok(Route::NotRouted(reasons.join("; ")));
    }
    let kind = event.declared.unwrap_or(match event.happening {
        Happening::MeetingStarted => Event::MeetingStart,
        Happening::MeetingEnded => Event::MeetingEnd,
        Happening::EntryReady if event.recording => Event::RecordingReady,
        Happening::EntryReady => Event::EntryReady,
    });
    let mut deliveries = Vec::new();
    for guild in guilds.iter().take(MAX_GUILDS) {
        match route_guild(event, kind, *guild, services, now_secs) {
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

/// The server's settings when `kind` is a video event (its player and followed
/// categories matter), `None` otherwise.
fn video_settings(
    kind: Event,
    guild: GuildId,
    services: &impl Services,
) -> Result<Option<GuildSettings>, LookupError> {
    if !is_entry_event(kind) {
        return Ok(None);
    }
    Ok(Some(services.config().get(guild.get())?))
}

/// The playback link of the event's entry with the server's player
/// (`kaltura.player-embed-url`), `None` when there is no entry or no link can be made.
fn player_url(
    event: &KalturaEvent,
    settings: Option<&GuildSettings>,
    services: &impl Services,
) -> Option<String> {
    let (entry, settings) = (event.entry_id.as_deref()?, settings?);
    services
        .kaltura()
        .player_embed_url(entry, settings.kaltura.player_uiconf_id)
        .ok()
}

/// The server's message for `kind`, `None` when it does not post it.
fn message(
    services: &impl Services,
    guild: GuildId,
    kind: Event,
    values: &[(String, String)],
) -> Result<Option<Message>, LookupError> {
    Ok(services
        .config()
        .render_message(guild.get(), MessageKind::Event(kind), values)?)
}

fn route_meeting(
    event: &KalturaEvent,
    meeting: Meeting,
    services: &impl Services,
    now_secs: u64,
) -> Result<Route, LookupError> {
    let kind = event.declared.unwrap_or(match event.happening {
        Happening::MeetingStarted => Event::MeetingStart,
        Happening::MeetingEnded => Event::MeetingEnd,
        Happening::EntryReady => Event::RecordingReady,
    });
    let (Ok(guild), Ok(channel)) = (
        GuildId::try_from(meeting.guild_id),
        ChannelId::try_from(meeting.channel_id),
    ) else {
        return Ok(Route::NotRouted(format!(
            "meeting {} has no Discord server or channel",
            meeting.id
        )));
    };
    let settings = match video_settings(kind, guild, services) {
        Ok(settings) => settings,
        Err(LookupError::Invalid(why)) => return Ok(Route::NotRouted(why)),
        Err(err) => return Err(err),
    };
    let player = player_url(event, settings.as_ref(), services);
    let values = render::variables(event, kind, Some(&meeting), now_secs, player.as_deref());
    // The meeting's own channel, whichever channel the server chose for the event.
    match message(services, guild, kind, &values) {
        Ok(Some(message)) => Ok(Route::Deliver(vec![Delivery {
            guild_id: guild,
            channel_id: channel,
            event: kind,
            message,
            meeting: Some(meeting),
        }])),
        Ok(None) => Ok(Route::NotRouted(format!(
            "server {guild} has {} notifications turned off",
            kind.as_str()
        ))),
        Err(LookupError::Invalid(why)) => Ok(Route::NotRouted(why)),
        Err(err) => Err(err),
    }
}

/// One server's delivery, or why there is none.
fn route_guild(
    event: &KalturaEvent,
    kind: Event,
    guild: GuildId,
    services: &impl Services,
    now_secs: u64,
) -> Result<Result<Delivery, String>, LookupError> {
    let settings = video_settings(kind, guild, services)?;
    if let (Some(settings), None) = (&settings, event.declared) {
        let Some(categories) = &event.category_ids else {
            return Ok(Err(
                "the notification does not say which categories the entry is in".into(),
            ));
        };
        let followed = &settings.kaltura.category_ids;
        if !followed.iter().any(|c| categories.contains(c)) {
            return Ok(Err("follows none of the entry's categories".into()));
        }
    }
    let player = player_url(event, settings.as_ref(), services);
    let values = render::variables(event, kind, None, now_secs, player.as_deref());
    let channel = message(services, guild, kind, &values)?.and_then(|message| {
        let channel = ChannelId::try_from(message.channel_id?).ok()?;
        Some((channel, message))
    });
    let Some((channel_id, message)) = channel else {
        return Ok(Err(format!(
            "posts no {} notifications (no channel set, or turned off)",
            kind.as_str()
        )));
    };
    Ok(Ok(Delivery {
        guild_id: guild,
        channel_id,
        event: kind,
        message,
        meeting: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeServices;

    const GUILD: &str = "123456789012345678";
    const CHANNEL: &str = "223456789012345678";
    const MEETING_CHANNEL: &str = "323456789012345678";

    fn id<M>(text: &str) -> discord_api::Id<M> {
        text.parse().unwrap()
    }

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
            guild_ids: vec![id(GUILD)],
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
        let services =
            FakeServices::new()
                .guild(GUILD, &[12, 99])
                .channel(GUILD, Event::EntryReady, CHANNEL);
        let d = delivered(route(&ready_entry(), &services, 0).unwrap());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].channel_id, id(CHANNEL));
        assert_eq!(d[0].event, Event::EntryReady);
        assert_eq!(d[0].key(), format!("{GUILD}/{CHANNEL}"));
        assert_eq!(
            d[0].message.content,
            "entry_ready: Lecture https://cdnapisec.kaltura.com/p/1234567/embedPlaykitJs/uiconf_id/4321?iframeembed=true&entry_id=0_abc123",
            "config renders the values, the player link with the server's player"
        );
    }

    #[test]
    fn an_entry_outside_the_followed_categories_or_without_categories_goes_nowhere() {
        let services =
            FakeServices::new()
                .guild(GUILD, &[7])
                .channel(GUILD, Event::EntryReady, CHANNEL);
        assert!(not_routed(route(&ready_entry(), &services, 0).unwrap()).contains("follows none"));
        let mut unknown = ready_entry();
        unknown.category_ids = None;
        assert!(not_routed(route(&unknown, &services, 0).unwrap()).contains("categories"));
        let mut declared = unknown.clone();
        declared.declared = Some(Event::EntryReady);
        assert_eq!(
            delivered(route(&declared, &services, 0).unwrap()).len(),
            1,
            "kd_event skips the category check"
        );
    }

    #[test]
    fn a_live_recording_is_recording_ready_and_a_server_without_a_channel_gets_nothing() {
        let mut rec = ready_entry();
        rec.recording = true;
        let services = FakeServices::new().guild(GUILD, &[12]);
        let why = not_routed(route(&rec, &services, 0).unwrap());
        assert!(why.contains("recording_ready"), "{why}");
        let services = services.channel(GUILD, Event::RecordingReady, CHANNEL);
        assert_eq!(
            delivered(route(&rec, &services, 0).unwrap())[0].event,
            Event::RecordingReady
        );
    }

    #[test]
    fn a_meeting_started_from_discord_goes_to_its_own_channel() {
        let mut e = ready_entry();
        e.meeting_id = Some(42);
        e.guild_ids.clear();
        e.category_ids = None;
        let services = FakeServices::new()
            .meeting(42, GUILD, MEETING_CHANNEL)
            .guild(GUILD, &[])
            .channel(GUILD, Event::RecordingReady, CHANNEL);
        let d = delivered(route(&e, &services, 0).unwrap());
        assert_eq!(
            d[0].channel_id,
            id(MEETING_CHANNEL),
            "not the server's channel"
        );
        assert_eq!(d[0].event, Event::RecordingReady);
        assert!(d[0].message.content.starts_with("recording_ready: Weekly"));
        assert_eq!(d[0].meeting.as_ref().map(|m| m.id), Some(42));
    }

    #[test]
    fn a_meetings_event_is_posted_even_when_the_server_chose_no_channel_for_it() {
        let mut e = ready_entry();
        e.happening = Happening::MeetingStarted;
        e.declared = Some(Event::MeetingStart);
        e.meeting_id = Some(42);
        let services = FakeServices::new()
            .meeting(42, GUILD, MEETING_CHANNEL)
            .guild(GUILD, &[]);
        let d = delivered(route(&e, &services, 0).unwrap());
        assert_eq!(d[0].channel_id, id(MEETING_CHANNEL));
    }

    #[test]
    fn a_server_that_turned_an_event_off_gets_nothing_even_for_its_meetings() {
        let mut e = ready_entry();
        e.meeting_id = Some(42);
        let services = FakeServices::new()
            .meeting(42, GUILD, MEETING_CHANNEL)
            .guild(GUILD, &[])
            .off(GUILD, Event::RecordingReady);
        assert!(not_routed(route(&e, &services, 0).unwrap()).contains("turned off"));
        let services = FakeServices::new()
            .meeting(42, GUILD, MEETING_CHANNEL)
            .guild(GUILD, &[])
            .allow_everyone(GUILD);
        let d = delivered(route(&e, &services, 0).unwrap());
        assert!(d[0].message.allow_everyone_mentions);
    }

    #[test]
    fn an_unknown_meeting_falls_back_to_the_named_servers() {
        let mut e = ready_entry();
        e.meeting_id = Some(77);
        let services =
            FakeServices::new()
                .guild(GUILD, &[12])
                .channel(GUILD, Event::EntryReady, CHANNEL);
        assert_eq!(
            delivered(route(&e, &services, 0).unwrap())[0].channel_id,
            id(CHANNEL)
        );
    }

    #[test]
    fn an_event_whose_signed_body_names_no_server_goes_nowhere() {
        let services =
            FakeServices::new()
                .guild(GUILD, &[12])
                .channel(GUILD, Event::EntryReady, CHANNEL);
        let mut unnamed = ready_entry();
        unnamed.guild_ids.clear();
        let why = not_routed(route(&unnamed, &services, 0).unwrap());
        assert!(why.contains("no Discord server is named"), "{why}");
    }

    #[test]
    fn a_failing_service_is_retryable_and_a_refused_id_is_skipped() {
        let services = FakeServices::new().failing(Error::storage("store down"));
        assert_eq!(
            route(&ready_entry(), &services, 0),
            Err(LookupError::Unavailable("store down".into()))
        );
        let services = FakeServices::new().failing(Error::invalid("bad id"));
        assert!(not_routed(route(&ready_entry(), &services, 0).unwrap()).contains("bad id"));
    }

    #[test]
    fn service_errors_sort_into_retry_or_skip() {
        let cases = [
            (Error::invalid("a"), true),
            (Error::not_found("a"), true),
            (Error::forbidden("a"), true),
            (Error::NotConfigured("kaltura_partner_id".into()), false),
            (Error::Unavailable("a".into()), false),
            (Error::Conflict("a".into()), false),
            (Error::storage("a"), false),
            (Error::other("a"), false),
        ];
        for (err, skipped) in cases {
            let kind = err.kind();
            let sorted = LookupError::from(err);
            assert_eq!(
                matches!(sorted, LookupError::Invalid(_)),
                skipped,
                "{kind:?}"
            );
        }
    }
}
