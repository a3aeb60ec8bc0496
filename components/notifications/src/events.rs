//! Kaltura notifications → product events, host-free and pure.
//!
//! | product event | from | Kaltura template to enable |
//! |---|---|---|
//! | `entry_ready` | an entry whose status became READY (2) | `HTTP_ENTRY_STATUS_CHANGED`, or `HTTP_ENTRY_STATUS_EQUALS` with `trigger_status` 2 |
//! | `recording_ready` | the same, when the entry belongs to a meeting started from Discord (`kd_meeting_id`), or is a live recording (`sourceType` 34 RECORDED_LIVE / 36 KALTURA_RECORDED_LIVE) | the same templates |
//! | `meeting_start`, `meeting_end` | only a notification that says so: a template parameter `kd_event` | a custom HTTP template (Kaltura ships none for these) |
//!
//! Every other notification maps to [`Mapped::Ignored`] with the reason: an entry in any
//! other status, an entry template that fires on every change (`HTTP_ENTRY_CHANGED`:
//! a READY status there is not a transition), other object types. Nothing is invented:
//! the product cannot tell from a generic change that a meeting started or ended, nor
//! which meeting a recording came from, unless the notification carries it.
//!
//! Hints the signed body may carry (template user or content parameters, so
//! template-fields payloads only; a JSON API-object payload carries the object alone,
//! whose `tags` may name servers). Nothing outside the signed body is read:
//!
//! | field | meaning |
//! |---|---|
//! | `kd_event` | the product event: `meeting_start`, `meeting_end`, `recording_ready` or `entry_ready`; overrides the inference above |
//! | `kd_guild_id` | the Discord server(s) to consider, comma-separated snowflakes |
//! | `kd_meeting_id` | the meeting (Kaltura schedule resource id) the event belongs to |
//! | `kd_category_ids` | the entry's category ids, comma-separated (JSON payloads have `categoriesIds`) |
//!
//! Also read: `tags` with `kd-guild:<id>` items (rooms made by this app carry them); for
//! a `KalturaLocationScheduleResource`/`KalturaScheduleResource` object, its id is the
//! meeting id; `userId`/`creatorId` (owner), `duration`, `sourceType`, `categoriesIds`.

use contracts::config::Event;
use contracts::kaltura::MeetingId;
use discord_api::id::GuildId;
use kaltura_api::webhook::{EventObjectType, Notification};

/// Entry status READY.
pub const STATUS_READY: &str = "2";
/// `sourceType` values of live recordings: RECORDED_LIVE, KALTURA_RECORDED_LIVE.
pub const RECORDING_SOURCE_TYPES: &[&str] = &["34", "36"];
/// Shipped templates that fire on any change of an entry, so READY there is no transition.
pub const ANY_CHANGE_TEMPLATES: &[&str] = &["HTTP_ENTRY_CHANGED"];
/// At most this many Discord servers are considered for one event.
pub const MAX_GUILDS: usize = 10;

/// What happened on Kaltura's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happening {
    /// A meeting or live event started (declared by `kd_event`).
    MeetingStarted,
    /// A meeting or live event ended (declared by `kd_event`).
    MeetingEnded,
    /// An entry became READY.
    EntryReady,
}

/// A notification as the product understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KalturaEvent {
    /// What happened.
    pub happening: Happening,
    /// The product event the template declared (`kd_event`), if it did.
    pub declared: Option<Event>,
    /// The Kaltura object's id (entry or schedule resource).
    pub object_id: Option<String>,
    /// The entry id, when the object is an entry.
    pub entry_id: Option<String>,
    /// The object's name (Kaltura text: escape before showing).
    pub title: Option<String>,
    /// The Kaltura owner (user id; Kaltura text).
    pub owner: Option<String>,
    /// The meeting it belongs to, when the notification says (in the decimal form the
    /// `kaltura` service writes its ids in, [`contracts::meeting::parse_id`]).
    pub meeting_id: Option<MeetingId>,
    /// The entry's categories; `None` when the payload does not say.
    pub category_ids: Option<Vec<u32>>,
    /// Discord servers named in the signed body (snowflakes by the one rule,
    /// deduplicated).
    pub guild_ids: Vec<GuildId>,
    /// Whether the entry is a live recording.
    pub recording: bool,
    /// The entry's duration in seconds.
    pub duration_secs: Option<u64>,
}

/// The outcome of mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped {
    /// An event to route.
    Event(KalturaEvent),
    /// Nothing to post; the reason is answered to Kaltura and logged.
    Ignored(String),
}

fn field<'a>(n: &'a Notification, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|name| n.fields.get(*name))
        .map(|v| v.trim())
}

/// Parses a product event name (`meeting_start`, ...), ignoring case and surrounding
/// whitespace.
pub fn parse_event(name: &str) -> Option<Event> {
    Event::parse(&name.trim().to_ascii_lowercase())
}

fn snowflake(s: &str) -> Option<GuildId> {
    s.parse().ok()
}

fn push_unique(list: &mut Vec<GuildId>, id: GuildId) {
    if !list.contains(&id) && list.len() < MAX_GUILDS {
        list.push(id);
    }
}

/// Discord server ids in a comma (or space) separated list; anything else is skipped.
pub fn guild_list(text: &str) -> Vec<GuildId> {
    let mut out = Vec::new();
    for id in text
        .split([',', ' ', ';'])
        .filter_map(|s| snowflake(s.trim()))
    {
        push_unique(&mut out, id);
    }
    out
}

fn guild_hints(n: &Notification) -> Vec<GuildId> {
    let mut out = field(n, &["kd_guild_id"])
        .map(guild_list)
        .unwrap_or_default();
    if let Some(tags) = field(n, &["tags", "entry_tags"]) {
        for tag in tags.split(',') {
            if let Some(id) = tag
                .trim()
                .strip_prefix("kd-guild:")
                .and_then(|s| snowflake(s.trim()))
            {
                push_unique(&mut out, id);
            }
        }
    }
    out
}

fn categories(n: &Notification) -> Option<Vec<u32>> {
    field(n, &["kd_category_ids", "categoriesIds", "categories_ids"]).map(|text| {
        text.split(',')
            .filter_map(|s| s.trim().parse::<u32>().ok())
            .collect()
    })
}

fn meeting_id(n: &Notification) -> Option<MeetingId> {
    let digits = contracts::meeting::parse_id;
    if let Some(id) = field(n, &["kd_meeting_id"]).and_then(digits) {
        return Some(id);
    }
    let is_resource = n
        .object
        .object_type
        .as_deref()
        .is_some_and(|t| t.ends_with("ScheduleResource"));
    if is_resource {
        return n.object.id.as_deref().and_then(|s| digits(s.trim()));
    }
    None
}

fn is_entry(n: &Notification) -> bool {
    n.object
        .object_type
        .as_deref()
        .is_some_and(|t| t.ends_with("Entry"))
        || matches!(
            n.event_object_type,
            Some(EventObjectType::Entry | EventObjectType::LiveStream)
        )
        || n.fields.contains_key("entry_id")
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Maps a verified, parsed notification to a product event, or says why there is none.
pub fn map(n: &Notification) -> Mapped {
    let entry = is_entry(n);
    let declared = match field(n, &["kd_event"]) {
        None | Some("") => None,
        Some(name) => match parse_event(name) {
            Some(event) => Some(event),
            None => {
                return Mapped::Ignored(format!(
                "kd_event `{}` is not meeting_start, meeting_end, recording_ready or entry_ready",
                clip(name, 40)
            ))
            }
        },
    };
    let happening = match declared {
        Some(Event::MeetingStart) => Happening::MeetingStarted,
        Some(Event::MeetingEnd) => Happening::MeetingEnded,
        Some(Event::RecordingReady | Event::EntryReady) => Happening::EntryReady,
        None => {
            if !entry {
                return Mapped::Ignored(format!(
                    "not an event this service posts (object {}, event type {:?}); see the crate docs for the templates to enable",
                    clip(n.object.object_type.as_deref().unwrap_or("unknown"), 60),
                    n.event_type
                ));
            }
            if let Some(name) = n.template_system_name.as_deref() {
                if ANY_CHANGE_TEMPLATES
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(name.trim()))
                {
                    return Mapped::Ignored(format!(
                        "template {} fires on every change, not on status transitions; enable HTTP_ENTRY_STATUS_CHANGED instead",
                        clip(name, 60)
                    ));
                }
            }
            match n.object.status.as_deref().map(str::trim) {
                Some(STATUS_READY) => Happening::EntryReady,
                Some(other) => {
                    return Mapped::Ignored(format!(
                        "entry status {} is not READY (2)",
                        clip(other, 10)
                    ))
                }
                None => return Mapped::Ignored("the notification carries no entry status".into()),
            }
        }
    };
    let object_id = n
        .object
        .id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    Mapped::Event(KalturaEvent {
        happening,
        declared,
        object_id: object_id.map(str::to_owned),
        entry_id: if entry {
            object_id.map(str::to_owned)
        } else {
            None
        },
        title: n.object.name.clone().filter(|s| !s.trim().is_empty()),
        owner: field(n, &["userId", "creatorId", "entry_user_id", "user_id"])
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        meeting_id: meeting_id(n),
        category_ids: categories(n),
        guild_ids: guild_hints(n),
        recording: field(n, &["sourceType", "entry_source_type"])
            .is_some_and(|s| RECORDING_SOURCE_TYPES.contains(&s)),
        duration_secs: field(n, &["duration", "entry_duration"]).and_then(|s| s.parse().ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaltura_api::webhook::parse_notification;

    fn guilds(ids: &[&str]) -> Vec<GuildId> {
        ids.iter().map(|id| id.parse().unwrap()).collect()
    }

    fn mapped(body: &str) -> Mapped {
        map(&parse_notification(body.as_bytes()).unwrap())
    }

    fn event(body: &str) -> KalturaEvent {
        match mapped(body) {
            Mapped::Event(e) => e,
            Mapped::Ignored(why) => panic!("ignored: {why}"),
        }
    }

    fn ignored(body: &str) -> String {
        match mapped(body) {
            Mapped::Ignored(why) => why,
            Mapped::Event(e) => panic!("mapped: {e:?}"),
        }
    }

    const READY_JSON: &str = r#"{"objectType":"KalturaHttpNotification","eventType":"3","eventObjectType":"1","eventNotificationJobId":"98765","templateSystemName":"HTTP_ENTRY_STATUS_CHANGED","object":{"objectType":"KalturaMediaEntry","id":"0_abc123","name":"Lecture 1","status":2,"userId":"ana@example.org","duration":3900,"categoriesIds":"12,34","tags":"kd-guild:123456789012345678, other","sourceType":"1"}}"#;

    #[test]
    fn an_entry_that_became_ready_is_entry_ready_with_its_details() {
        let e = event(READY_JSON);
        assert_eq!(e.happening, Happening::EntryReady);
        assert_eq!(e.declared, None);
        assert_eq!(e.entry_id.as_deref(), Some("0_abc123"));
        assert_eq!(e.title.as_deref(), Some("Lecture 1"));
        assert_eq!(e.owner.as_deref(), Some("ana@example.org"));
        assert_eq!(e.duration_secs, Some(3900));
        assert_eq!(e.category_ids, Some(vec![12, 34]));
        assert_eq!(e.guild_ids, guilds(&["123456789012345678"]));
        assert!(!e.recording);
        assert_eq!(e.meeting_id, None);
    }

    #[test]
    fn the_shipped_fields_template_maps_without_hints() {
        let e =
            event("entry_id=0_abc123&entry_name=Lecture%201&entry_status=2&entry_reference_id=");
        assert_eq!(e.happening, Happening::EntryReady);
        assert_eq!(e.category_ids, None, "the fields template does not say");
        assert!(e.guild_ids.is_empty());
    }

    #[test]
    fn template_parameters_declare_the_event_the_server_and_the_meeting() {
        let e = event("kd_event=meeting_start&kd_guild_id=123456789012345678%2C223456789012345678%2Cnope&kd_meeting_id=42&object_id=1_live");
        assert_eq!(e.happening, Happening::MeetingStarted);
        assert_eq!(e.declared, Some(Event::MeetingStart));
        assert_eq!(
            e.guild_ids,
            guilds(&["123456789012345678", "223456789012345678"])
        );
        assert_eq!(e.meeting_id, Some(42));
        let e = event("kd_event=recording_ready&entry_id=0_rec&kd_category_ids=7");
        assert_eq!(e.happening, Happening::EntryReady);
        assert_eq!(e.declared, Some(Event::RecordingReady));
        assert_eq!(e.category_ids, Some(vec![7]));
    }

    #[test]
    fn server_and_meeting_ids_follow_the_one_rule_of_each() {
        // Snowflakes: discord-api's rule (decimal, fits 64 bits, not zero); a copy of
        // the rule once refused IDs that were not 17 to 20 digits.
        let e = event("kd_event=entry_ready&kd_guild_id=1234,0,x&entry_id=0_x");
        assert_eq!(e.guild_ids, guilds(&["1234"]));
        // Meeting ids: the decimal form the kaltura service writes; a copy of the rule
        // once took any 1 to 19 digits, leading zeros included.
        assert_eq!(
            event("kd_event=meeting_start&kd_meeting_id=042").meeting_id,
            None
        );
        assert_eq!(
            event("kd_event=meeting_start&kd_meeting_id=42").meeting_id,
            Some(42)
        );
    }

    #[test]
    fn event_names_are_read_leniently() {
        assert_eq!(parse_event(" Meeting_Start "), Some(Event::MeetingStart));
        assert_eq!(parse_event("meeting-start"), None);
    }

    #[test]
    fn a_live_recording_is_marked_as_one() {
        let e = event(&READY_JSON.replace(r#""sourceType":"1""#, r#""sourceType":"36""#));
        assert!(e.recording);
    }

    #[test]
    fn a_schedule_resource_id_is_the_meeting_id() {
        let e = event("kd_event=meeting_end&object_type=KalturaLocationScheduleResource&object_id=42&tags=vcprovider%3Anewrow%2Ckd-guild%3A123456789012345678");
        assert_eq!(e.happening, Happening::MeetingEnded);
        assert_eq!(e.meeting_id, Some(42));
        assert_eq!(e.entry_id, None);
        assert_eq!(e.guild_ids, guilds(&["123456789012345678"]));
    }

    #[test]
    fn other_statuses_every_change_templates_and_other_objects_are_ignored_with_a_reason() {
        assert!(
            ignored(&READY_JSON.replace(r#""status":2"#, r#""status":1"#)).contains("status 1")
        );
        assert!(
            ignored(&READY_JSON.replace("HTTP_ENTRY_STATUS_CHANGED", "HTTP_ENTRY_CHANGED"))
                .contains("every change")
        );
        assert!(ignored("entry_id=0_x&entry_name=x").contains("no entry status"));
        assert!(ignored(r#"{"eventType":"2","eventObjectType":"8","object":{"objectType":"KalturaUser","id":"ana"}}"#)
            .contains("not an event"));
        assert!(ignored("kd_event=party&entry_id=0_x").contains("kd_event `party`"));
    }
}
