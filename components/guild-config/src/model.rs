//! The typed configuration of one Discord server and its compiled-in defaults.
//!
//! Every field's doc names its default. [`defaults_json`] returns the same defaults as
//! the JSON document that the layers are merged onto.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ConfigError;
use crate::ids::{ChannelId, CommandName, KalturaRole, Permissions, RoleId, UserId};
use crate::template::{EventKind, TemplateKind};

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

/// Default `kaltura.privileges.join`: a meeting attendee (Kaltura's viewer role).
pub const DEFAULT_JOIN_PRIVILEGES: &str = "role:viewerRole,userContextualRole:3";
/// Default `kaltura.privileges.host`: a meeting host or moderator (Kaltura's admin role in the room).
pub const DEFAULT_HOST_PRIVILEGES: &str = "role:adminRole,userContextualRole:0";
/// Default `kaltura.privileges.view`: playback only.
pub const DEFAULT_VIEW_PRIVILEGES: &str = "setrole:PLAYBACK_BASE_ROLE";

/// The resolved configuration of one Discord server: compiled defaults, then the
/// deployment-wide overrides, then the server's own overrides (see [`crate::merge`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuildConfig {
    /// Which slash commands work and who may use them.
    pub commands: CommandsConfig,
    /// Discord roles and users → Kaltura roles.
    pub roles: RolesConfig,
    /// Which Kaltura events are posted where, and how they read.
    pub notifications: NotificationsConfig,
    /// Optional behaviour switches.
    pub features: FeaturesConfig,
    /// Kaltura session privileges, player and followed categories.
    pub kaltura: KalturaConfig,
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
        }
    }
}

impl CommandsConfig {
    /// The settings of one command.
    pub fn get(&self, name: CommandName) -> &CommandConfig {
        match name {
            CommandName::Start => &self.start,
            CommandName::Join => &self.join,
            CommandName::List => &self.list,
            CommandName::End => &self.end,
            CommandName::Config => &self.config,
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
        }
    }
}

/// `notifications.events`: one entry per [`EventKind`].
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
    pub fn get(&self, kind: EventKind) -> &EventConfig {
        match kind {
            EventKind::MeetingStart => &self.meeting_start,
            EventKind::MeetingEnd => &self.meeting_end,
            EventKind::RecordingReady => &self.recording_ready,
            EventKind::EntryReady => &self.entry_ready,
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

/// The `features` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeaturesConfig {
    /// Open meetings inside Discord as an embedded Activity; default `false` (needs the
    /// Discord application set up for Activities).
    pub activity: bool,
    /// Share Kaltura videos as an embedded player link; default `true`.
    pub embed_player: bool,
    /// Post `recording_ready` notices; default `true`.
    pub recording_notices: bool,
}

impl Default for FeaturesConfig {
    fn default() -> Self {
        FeaturesConfig {
            activity: false,
            embed_player: true,
            recording_notices: true,
        }
    }
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

/// Where and how to post one event, from [`GuildConfig::notification_target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationTarget<'a> {
    /// The channel to post in.
    pub channel_id: ChannelId,
    /// The template to render (see [`crate::render_template`]).
    pub template: &'a str,
    /// Whether `@everyone`/`@here` may ping (`allowed_mentions.parse` includes `everyone`).
    pub allow_everyone_mentions: bool,
}

impl GuildConfig {
    /// Compiled defaults ← `deployment` ← `guild`: [`crate::merge`] onto [`defaults_json`].
    ///
    /// # Errors
    /// As [`crate::merge`].
    pub fn resolve(deployment: &Value, guild: &Value) -> Result<GuildConfig, ConfigError> {
        crate::layers::merge(&defaults_json(), deployment, guild)
    }

    /// The template for `kind`.
    pub fn template(&self, kind: TemplateKind) -> &str {
        let events = &self.notifications.events;
        match kind {
            TemplateKind::MeetingStart => &events.meeting_start.template,
            TemplateKind::MeetingEnd => &events.meeting_end.template,
            TemplateKind::RecordingReady => &events.recording_ready.template,
            TemplateKind::EntryReady => &events.entry_ready.template,
            TemplateKind::MeetingShare => &self.notifications.meeting_share.template,
        }
    }

    /// Where to post `event`, or `None` when it is not posted: notifications off, the
    /// event off, no channel set, or (for `recording_ready`) `features.recording_notices` off.
    pub fn notification_target(&self, event: EventKind) -> Option<NotificationTarget<'_>> {
        let settings = self.notifications.events.get(event);
        let suppressed = event == EventKind::RecordingReady && !self.features.recording_notices;
        if !self.notifications.enabled || !settings.enabled || suppressed {
            return None;
        }
        Some(NotificationTarget {
            channel_id: settings.channel_id?,
            template: &settings.template,
            allow_everyone_mentions: self.notifications.allow_everyone_mentions,
        })
    }
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
    use crate::template::check_template;
    use serde_json::json;

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
    fn the_defaults_carry_no_partner_specific_values() {
        let d = GuildConfig::default();
        assert_eq!(d.kaltura.player_uiconf_id, None);
        assert!(d.kaltura.category_ids.is_empty());
        assert!(d.roles.mapping.is_empty() && d.roles.user_overrides.is_empty());
        for kind in EventKind::ALL {
            assert_eq!(d.notifications.events.get(kind).channel_id, None);
        }
        let json = defaults_json();
        assert_eq!(json["kaltura"]["player_uiconf_id"], Value::Null);
    }

    #[test]
    fn the_default_templates_use_only_their_events_variables() {
        let d = GuildConfig::default();
        for kind in TemplateKind::ALL {
            assert_eq!(check_template(kind, d.template(kind)), Ok(()), "{kind:?}");
        }
    }

    #[test]
    fn only_kaltura_config_requires_a_permission_by_default() {
        let d = GuildConfig::default();
        for name in CommandName::ALL {
            let expected = if name == CommandName::Config {
                Permissions::MANAGE_GUILD
            } else {
                Permissions::NONE
            };
            assert_eq!(d.commands.get(name).required_permissions, expected);
        }
    }

    #[test]
    fn a_notification_needs_a_channel_and_every_switch_on() {
        let mut c = GuildConfig::default();
        assert_eq!(c.notification_target(EventKind::MeetingStart), None);
        let channel = ChannelId::new(123_456_789_012_345_678).unwrap();
        c.notifications.events.meeting_start.channel_id = Some(channel);
        let target = c.notification_target(EventKind::MeetingStart).unwrap();
        assert_eq!(target.channel_id, channel);
        assert_eq!(target.template, DEFAULT_MEETING_START_TEMPLATE);
        assert!(!target.allow_everyone_mentions);
        c.notifications.events.meeting_start.enabled = false;
        assert_eq!(c.notification_target(EventKind::MeetingStart), None);
        c.notifications.events.meeting_start.enabled = true;
        c.notifications.enabled = false;
        assert_eq!(c.notification_target(EventKind::MeetingStart), None);
    }

    #[test]
    fn recording_notices_off_suppresses_recording_ready_posts() {
        let mut c = GuildConfig::default();
        let channel = ChannelId::new(123_456_789_012_345_678);
        c.notifications.events.recording_ready.channel_id = channel;
        assert!(c.notification_target(EventKind::RecordingReady).is_some());
        c.features.recording_notices = false;
        assert_eq!(c.notification_target(EventKind::RecordingReady), None);
    }
}
