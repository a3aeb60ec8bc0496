//! The typed configuration of one Discord server and its compiled-in defaults.
//!
//! Every field's doc names its default. [`defaults_json`] returns the same defaults as
//! the JSON document that the layers are merged onto.

use std::collections::BTreeMap;

use contracts::config::{Command, Event, Features, Message, MessageKind};
use contracts::KalturaRole;
use discord_api::id::{ChannelId, RoleId, UserId};
use discord_api::response::limits;
use discord_api::Permissions;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ConfigError;
use crate::template::render_template;

/// Default `notifications.events.meeting_start.template`.
pub const DEFAULT_MEETING_START_TEMPLATE: &str =
    "📢 **{{title}}** ({{type}}) has started. Join: {{url}}";
/// Default `notifications.events.meeting_end.template`.
pub const DEFAULT_MEETING_END_TEMPLATE: &str =
    "**{{title}}** ({{type}}) has ended after {{duration}}.";
/// Default `notifications.events.recording_ready.template`.
pub const DEFAULT_RECORDING_READY_TEMPLATE: &str =
    "🎬 The recording of **{{title}}** is ready: {{url}}";
/// Default `notifications.events.entry_ready.template`.
pub const DEFAULT_ENTRY_READY_TEMPLATE: &str = "🎞️ New video **{{title}}** is ready: {{url}}";
/// Default `notifications.meeting_share.template`.
pub const DEFAULT_MEETING_SHARE_TEMPLATE: &str =
    "{{shared_by}} invites you to **{{title}}** ({{type}}): {{url}}";

/// Default `notifications.video_share.template`.
pub const DEFAULT_VIDEO_SHARE_TEMPLATE: &str =
    "{{shared_by}} shared the video **{{title}}** ({{duration}}): {{url}}";

/// Default `kaltura.privileges.join`: a meeting attendee (Kaltura's viewer role).
pub const DEFAULT_JOIN_PRIVILEGES: &str = "role:viewerRole,userContextualRole:3";
/// Default `kaltura.privileges.host`: a meeting host or moderator (Kaltura's admin role in the room).
pub const DEFAULT_HOST_PRIVILEGES: &str = "role:adminRole,userContextualRole:0";
/// Default `kaltura.privileges.view`: playback only.
pub const DEFAULT_VIEW_PRIVILEGES: &str = "setrole:PLAYBACK_BASE_ROLE";

/// Default `features`: no Activity, an embedded player, recording notices.
pub const DEFAULT_FEATURES: Features = Features {
    activity: false,
    embed_player: true,
    recording_notices: true,
};

/// The resolved configuration of one Discord server: compiled defaults, then the
/// deployment-wide overrides, then the server's own overrides (see [`crate::merge`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuildConfig {
    /// Which slash commands work and who may use them.
    pub commands: CommandsConfig,
    /// Discord roles and users → Kaltura roles.
    pub roles: RolesConfig,
    /// Which Kaltura events are posted where, and how they read.
    pub notifications: NotificationsConfig,
    /// Optional behaviour switches; default [`DEFAULT_FEATURES`]. The document's section
    /// is the contract's record, field for field.
    pub features: Features,
    /// Kaltura session privileges, player and followed categories.
    pub kaltura: KalturaConfig,
}

impl Default for GuildConfig {
    fn default() -> Self {
        GuildConfig {
            commands: CommandsConfig::default(),
            roles: RolesConfig::default(),
            notifications: NotificationsConfig::default(),
            features: DEFAULT_FEATURES,
            kaltura: KalturaConfig::default(),
        }
    }
}

/// The `commands` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommandsConfig {
    /// Master switch for every command; default `true`. Administrators can always use
    /// `/kaltura-config`, so a server cannot lock itself out.
    pub enabled: bool,
    /// `/kaltura-start`; default enabled, any role, no permission bits.
    #[serde(rename = "kaltura-start")]
    pub start: CommandConfig,
    /// `/kaltura-join`; default enabled, any role, no permission bits.
    #[serde(rename = "kaltura-join")]
    pub join: CommandConfig,
    /// `/kaltura-list`; default enabled, any role, no permission bits.
    #[serde(rename = "kaltura-list")]
    pub list: CommandConfig,
    /// `/kaltura-end`; default enabled, any role, no permission bits.
    #[serde(rename = "kaltura-end")]
    pub end: CommandConfig,
    /// `/kaltura-config`; default enabled, any role, requires `MANAGE_GUILD` (32).
    #[serde(rename = "kaltura-config")]
    pub config: CommandConfig,
    /// `/kaltura-video`; default enabled, any role, no permission bits.
    #[serde(rename = "kaltura-video")]
    pub video: CommandConfig,
}

impl Default for CommandsConfig {
    fn default() -> Self {
        CommandsConfig {
            enabled: true,
            start: CommandConfig::open(),
            join: CommandConfig::open(),
            list: CommandConfig::open(),
            end: CommandConfig::open(),
            config: CommandConfig {
                required_permissions: Permissions::MANAGE_GUILD,
                ..CommandConfig::open()
            },
            video: CommandConfig::open(),
        }
    }
}

impl CommandsConfig {
    /// The settings of one command.
    pub fn get(&self, command: Command) -> &CommandConfig {
        match command {
            Command::KalturaStart => &self.start,
            Command::KalturaJoin => &self.join,
            Command::KalturaList => &self.list,
            Command::KalturaEnd => &self.end,
            Command::KalturaConfig => &self.config,
            Command::KalturaVideo => &self.video,
        }
    }
}

/// One command's settings, under `commands.<command-name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// Whether the command can be used.
    pub enabled: bool,
    /// Roles allowed to use it; empty means any role. At most
    /// [`crate::MAX_ALLOWED_ROLES`].
    pub allowed_roles: Vec<RoleId>,
    /// Discord permission bits a member must hold (all of them), as a decimal string.
    pub required_permissions: Permissions,
}

impl CommandConfig {
    /// Enabled, any role, no permission bits.
    fn open() -> Self {
        CommandConfig {
            enabled: true,
            allowed_roles: Vec::new(),
            required_permissions: Permissions::NONE,
        }
    }
}

/// The `roles` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RolesConfig {
    /// Discord role ID → Kaltura role; default empty. At most [`crate::MAX_ROLE_MAPPINGS`].
    pub mapping: BTreeMap<RoleId, KalturaRole>,
    /// The Kaltura role of a member no mapping applies to; default `viewer`.
    pub default_role: KalturaRole,
    /// Discord user ID → Kaltura role, winning over everything else; default empty.
    /// At most [`crate::MAX_USER_OVERRIDES`].
    pub user_overrides: BTreeMap<UserId, KalturaRole>,
}

impl Default for RolesConfig {
    fn default() -> Self {
        RolesConfig {
            mapping: BTreeMap::new(),
            default_role: KalturaRole::Viewer,
            user_overrides: BTreeMap::new(),
        }
    }
}

/// The `notifications` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Master switch for posting Kaltura events; default `true` (nothing is posted until
    /// an event has a channel).
    pub enabled: bool,
    /// Whether `@everyone`/`@here` in a template may ping; default `false`. Consumers
    /// send `allowed_mentions` accordingly.
    pub allow_everyone_mentions: bool,
    /// Per event: switch, channel, template.
    pub events: EventsConfig,
    /// The message posted when a member shares a meeting in a channel.
    pub meeting_share: ShareConfig,
    /// The message posted when a member shares a video in a channel.
    pub video_share: ShareConfig,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        NotificationsConfig {
            enabled: true,
            allow_everyone_mentions: false,
            events: EventsConfig::default(),
            meeting_share: ShareConfig {
                template: DEFAULT_MEETING_SHARE_TEMPLATE.to_string(),
            },
            video_share: ShareConfig {
                template: DEFAULT_VIDEO_SHARE_TEMPLATE.to_string(),
            },
        }
    }
}

/// `notifications.events`: one entry per [`Event`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsConfig {
    /// Default enabled, no channel, [`DEFAULT_MEETING_START_TEMPLATE`].
    pub meeting_start: EventConfig,
    /// Default enabled, no channel, [`DEFAULT_MEETING_END_TEMPLATE`].
    pub meeting_end: EventConfig,
    /// Default enabled, no channel, [`DEFAULT_RECORDING_READY_TEMPLATE`].
    pub recording_ready: EventConfig,
    /// Default enabled, no channel, [`DEFAULT_ENTRY_READY_TEMPLATE`].
    pub entry_ready: EventConfig,
}

impl Default for EventsConfig {
    fn default() -> Self {
        let event = |template: &str| EventConfig {
            enabled: true,
            channel_id: None,
            template: template.to_string(),
        };
        EventsConfig {
            meeting_start: event(DEFAULT_MEETING_START_TEMPLATE),
            meeting_end: event(DEFAULT_MEETING_END_TEMPLATE),
            recording_ready: event(DEFAULT_RECORDING_READY_TEMPLATE),
            entry_ready: event(DEFAULT_ENTRY_READY_TEMPLATE),
        }
    }
}

impl EventsConfig {
    /// The settings of one event.
    pub fn get(&self, event: Event) -> &EventConfig {
        match event {
            Event::MeetingStart => &self.meeting_start,
            Event::MeetingEnd => &self.meeting_end,
            Event::RecordingReady => &self.recording_ready,
            Event::EntryReady => &self.entry_ready,
        }
    }
}

/// One event's settings, under `notifications.events.<event>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventConfig {
    /// Whether this event is posted.
    pub enabled: bool,
    /// The channel it is posted in; `null` (the default) means nowhere.
    pub channel_id: Option<ChannelId>,
    /// The message, with `{{variable}}` placeholders (see [`crate::template`]).
    pub template: String,
}

/// `notifications.meeting_share`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareConfig {
    /// The message, default [`DEFAULT_MEETING_SHARE_TEMPLATE`].
    pub template: String,
}

/// The `kaltura` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KalturaConfig {
    /// Extra KS privileges per purpose (deployment-wide only).
    pub privileges: PrivilegesConfig,
    /// The player (uiconf) for embeds; default `null`: the Kaltura service then uses
    /// its deployment setting. No partner-specific value is compiled in.
    pub player_uiconf_id: Option<u32>,
    /// Kaltura category IDs whose new videos this server follows (`entry_ready`);
    /// default empty. At most [`crate::MAX_CATEGORY_IDS`].
    pub category_ids: Vec<u32>,
}

/// `kaltura.privileges`: privileges the Kaltura service adds to a user's KS for each
/// purpose, on top of the meeting- or entry-specific ones it always sets itself.
/// Comma-separated `name:value` items. Deployment-wide only: a server's admins cannot
/// widen Kaltura access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivilegesConfig {
    /// Joining a meeting as an attendee; default [`DEFAULT_JOIN_PRIVILEGES`].
    pub join: String,
    /// Starting or moderating a meeting; default [`DEFAULT_HOST_PRIVILEGES`].
    pub host: String,
    /// Watching a video; default [`DEFAULT_VIEW_PRIVILEGES`].
    pub view: String,
}

impl Default for PrivilegesConfig {
    fn default() -> Self {
        PrivilegesConfig {
            join: DEFAULT_JOIN_PRIVILEGES.to_string(),
            host: DEFAULT_HOST_PRIVILEGES.to_string(),
            view: DEFAULT_VIEW_PRIVILEGES.to_string(),
        }
    }
}

impl GuildConfig {
    /// Compiled defaults ← `deployment` ← `guild`: [`crate::merge`] onto [`defaults_json`].
    ///
    /// # Errors
    /// As [`crate::merge`].
    pub fn resolve(deployment: &Value, guild: &Value) -> Result<GuildConfig, ConfigError> {
        crate::layers::merge(&defaults_json(), deployment, guild)
    }

    /// The template of the message `kind`.
    pub fn template(&self, kind: MessageKind) -> &str {
        match kind {
            MessageKind::Event(event) => &self.notifications.events.get(event).template,
            MessageKind::MeetingShare => &self.notifications.meeting_share.template,
            MessageKind::VideoShare => &self.notifications.video_share.template,
        }
    }

    /// Whether `event` is posted on this server: notifications, the event and (for
    /// `recording_ready`) `features.recording_notices` are on.
    pub fn posts(&self, event: Event) -> bool {
        let suppressed = event == Event::RecordingReady && !self.features.recording_notices;
        self.notifications.enabled && self.notifications.events.get(event).enabled && !suppressed
    }

    /// The server's message of kind `kind` with `values` filled into its template
    /// ([`render_template`]), cut to Discord's content limit; `None` for an event the
    /// server does not post ([`GuildConfig::posts`]). An event goes to the channel the
    /// server chose for it, if any (`channel_id` `None` otherwise: the caller posts it
    /// where it belongs on its own, such as a meeting's own channel, or nowhere). A
    /// meeting share is always rendered, without a channel: it goes where it was asked
    /// for.
    pub fn message(&self, kind: MessageKind, values: &[(String, String)]) -> Option<Message> {
        let channel_id = match kind {
            MessageKind::Event(event) if !self.posts(event) => return None,
            MessageKind::Event(event) => self.notifications.events.get(event).channel_id,
            MessageKind::MeetingShare | MessageKind::VideoShare => None,
        };
        Some(Message {
            channel_id: channel_id.map(ChannelId::get),
            content: cut(
                render_template(self.template(kind), values),
                limits::CONTENT,
            ),
            allow_everyone_mentions: self.notifications.allow_everyone_mentions,
        })
    }
}

/// `text` if it has at most `max` characters, else its first `max - 1` and `…` (so a
/// reader sees it was cut), as Discord's own limits are applied.
pub(crate) fn cut(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    if max == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The compiled defaults as the JSON document the layers are merged onto: every key
/// of the schema, unset optional values as `null`.
pub fn defaults_json() -> Value {
    // Serializing these plain structs (string map keys) cannot fail. Were it ever to,
    // an empty document still resolves to the same defaults: every section and field
    // falls back to `Default` when deserialized.
    serde_json::to_value(GuildConfig::default())
        .unwrap_or_else(|_| Value::Object(serde_json::Map::new()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::template::{check_template, MESSAGE_KINDS};
    use serde_json::json;

    const MEETING_START: MessageKind = MessageKind::Event(Event::MeetingStart);
    const CHANNEL: u64 = 123_456_789_012_345_678;

    fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn the_defaults_document_round_trips_to_the_typed_defaults() {
        let back: GuildConfig = serde_json::from_value(defaults_json()).unwrap();
        assert_eq!(back, GuildConfig::default());
    }

    #[test]
    fn an_empty_document_deserializes_to_the_defaults() {
        let config: GuildConfig = serde_json::from_value(json!({})).unwrap();
        assert_eq!(config, GuildConfig::default());
    }

    #[test]
    fn the_defaults_document_keeps_its_stored_shape() {
        let json = defaults_json();
        assert_eq!(
            json["features"],
            json!({"activity": false, "embed_player": true, "recording_notices": true})
        );
        assert_eq!(json["roles"]["default_role"], json!("viewer"));
        assert_eq!(
            json["commands"]["kaltura-config"]["required_permissions"],
            json!("32")
        );
        assert_eq!(
            json["notifications"]["events"]["meeting_start"]["channel_id"],
            Value::Null
        );
    }

    #[test]
    fn ids_and_roles_are_read_from_their_stored_strings() {
        let config: GuildConfig = serde_json::from_value(json!({
            "roles": {"mapping": {"223456789012345678": "admin"}, "user_overrides": {"42": "moderator"}},
            "notifications": {"events": {"meeting_start": {"enabled": true, "channel_id": "323456789012345678", "template": "x"}}}
        }))
        .unwrap();
        let role = RoleId::new(223_456_789_012_345_678).unwrap();
        assert_eq!(config.roles.mapping.get(&role), Some(&KalturaRole::Admin));
        let user = UserId::new(42).unwrap();
        assert_eq!(
            config.roles.user_overrides.get(&user),
            Some(&KalturaRole::Moderator)
        );
        assert_eq!(
            config
                .notifications
                .events
                .meeting_start
                .channel_id
                .map(ChannelId::get),
            Some(323_456_789_012_345_678)
        );
        let back = serde_json::to_value(&config).unwrap();
        assert_eq!(
            back["roles"]["mapping"],
            json!({"223456789012345678": "admin"})
        );
    }

    #[test]
    fn the_defaults_carry_no_partner_specific_values() {
        let d = GuildConfig::default();
        assert_eq!(d.kaltura.player_uiconf_id, None);
        assert!(d.kaltura.category_ids.is_empty());
        assert!(d.roles.mapping.is_empty() && d.roles.user_overrides.is_empty());
        for &event in Event::ALL {
            assert_eq!(d.notifications.events.get(event).channel_id, None);
        }
        let json = defaults_json();
        assert_eq!(json["kaltura"]["player_uiconf_id"], Value::Null);
    }

    #[test]
    fn the_default_templates_use_only_their_events_variables() {
        let d = GuildConfig::default();
        for kind in MESSAGE_KINDS {
            assert_eq!(check_template(kind, d.template(kind)), Ok(()), "{kind:?}");
        }
    }

    #[test]
    fn only_kaltura_config_requires_a_permission_by_default() {
        let d = GuildConfig::default();
        for &command in Command::ALL {
            let expected = if command == Command::KalturaConfig {
                Permissions::MANAGE_GUILD
            } else {
                Permissions::NONE
            };
            assert_eq!(d.commands.get(command).required_permissions, expected);
        }
    }

    #[test]
    fn an_event_is_posted_with_every_switch_on_in_the_chosen_channel_or_none() {
        let mut c = GuildConfig::default();
        let message = c.message(MEETING_START, &[]).unwrap();
        assert_eq!(message.channel_id, None, "no channel chosen");
        assert!(!message.allow_everyone_mentions);
        c.notifications.events.meeting_start.channel_id = ChannelId::new(CHANNEL);
        let message = c.message(MEETING_START, &[]).unwrap();
        assert_eq!(message.channel_id, Some(CHANNEL));
        c.notifications.events.meeting_start.enabled = false;
        assert_eq!(c.message(MEETING_START, &[]), None);
        c.notifications.events.meeting_start.enabled = true;
        c.notifications.enabled = false;
        assert_eq!(c.message(MEETING_START, &[]), None);
    }

    #[test]
    fn recording_notices_off_suppresses_recording_ready_posts() {
        let kind = MessageKind::Event(Event::RecordingReady);
        let mut c = GuildConfig::default();
        c.notifications.events.recording_ready.channel_id = ChannelId::new(CHANNEL);
        assert!(c.message(kind, &[]).is_some());
        c.features.recording_notices = false;
        assert_eq!(c.message(kind, &[]), None);
    }

    #[test]
    fn a_message_is_the_template_with_the_values_filled_in() {
        let mut c = GuildConfig::default();
        c.notifications.events.meeting_start.channel_id = ChannelId::new(CHANNEL);
        c.notifications.allow_everyone_mentions = true;
        let message = c
            .message(
                MEETING_START,
                &values(&[
                    ("title", "Weekly"),
                    ("type", "Webinar"),
                    ("url", "the button"),
                    ("unused", "x"),
                ]),
            )
            .unwrap();
        assert_eq!(
            message.content,
            "📢 **Weekly** (Webinar) has started. Join: the button"
        );
        assert!(message.allow_everyone_mentions);
    }

    #[test]
    fn a_meeting_share_is_always_rendered_and_has_no_channel() {
        let mut c = GuildConfig::default();
        c.notifications.enabled = false;
        let message = c
            .message(
                MessageKind::MeetingShare,
                &values(&[
                    ("shared_by", "<@1>"),
                    ("title", "T"),
                    ("type", "Webinar"),
                    ("url", "u"),
                ]),
            )
            .unwrap();
        assert_eq!(message.channel_id, None);
        assert_eq!(message.content, "<@1> invites you to **T** (Webinar): u");
        assert!(!message.allow_everyone_mentions);
    }

    #[test]
    fn a_message_is_cut_to_2000_characters() {
        let c = GuildConfig::default();
        let long = "é".repeat(3000);
        let message = c
            .message(MessageKind::MeetingShare, &values(&[("title", &long)]))
            .unwrap();
        assert_eq!(message.content.chars().count(), 2000);
        assert!(message.content.ends_with('…'));
    }

    #[test]
    fn cutting_keeps_short_text_and_marks_cut_text() {
        assert_eq!(cut("abc".into(), 3), "abc");
        assert_eq!(cut("abcdef".into(), 4), "abc…");
        assert_eq!(cut("abc".into(), 0), "");
    }
}
