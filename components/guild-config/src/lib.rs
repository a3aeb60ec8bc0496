//! The per-Discord-server ("guild") configuration model of the Configuration Service.
//!
//! Host-free: no I/O, no clock, no Spin; every function is pure. The `config`
//! component stores and loads documents; this crate says what they mean.
//!
//! # Layers
//! A server's [`GuildConfig`] is the compiled defaults ([`defaults_json`]), then the
//! deployment-wide overrides, then the server's own overrides, each layer a sparse
//! JSON object holding only changed keys and deep merged onto the one below as a
//! JSON merge patch (RFC 7396): see [`merge`]. `null` in an override means "use the
//! layer below"; lists are replaced whole.
//!
//! # Keys and compiled defaults
//! | key | takes | default |
//! |---|---|---|
//! | `commands.enabled` | bool | `true` |
//! | `commands.<kaltura-start\|kaltura-join\|kaltura-list\|kaltura-end\|kaltura-config\|kaltura-video>.enabled` | bool | `true` |
//! | `commands.<name>.allowed_roles` | role IDs (≤ 25; empty = any role) | `[]` |
//! | `commands.<name>.required_permissions` | permission bits, decimal string | `"0"`; `"32"` (`MANAGE_GUILD`) for `kaltura-config` |
//! | `roles.mapping.<role_id>` | `viewer`/`moderator`/`admin` (≤ 100 entries) | none |
//! | `roles.default_role` | role | `viewer` |
//! | `roles.user_overrides.<user_id>` | role (≤ 100 entries) | none |
//! | `notifications.enabled` | bool | `true` |
//! | `notifications.allow_everyone_mentions` | bool | `false` |
//! | `notifications.events.<meeting_start\|meeting_end\|recording_ready\|entry_ready>.enabled` | bool | `true` |
//! | `notifications.events.<event>.channel_id` | channel ID or `null` | `null` (not posted) |
//! | `notifications.events.<event>.template` | template (≤ 2000 chars) | see [`DEFAULT_MEETING_START_TEMPLATE`] and siblings |
//! | `notifications.meeting_share.template` | template | [`DEFAULT_MEETING_SHARE_TEMPLATE`] |
//! | `notifications.video_share.template` | template | [`DEFAULT_VIDEO_SHARE_TEMPLATE`] |
//! | `features.activity` | bool | `false` |
//! | `features.embed_player` | bool | `true` |
//! | `features.recording_notices` | bool | `true` |
//! | `kaltura.privileges.<join\|host\|view>` | KS privileges, **deployment-only** | [`DEFAULT_JOIN_PRIVILEGES`], [`DEFAULT_HOST_PRIVILEGES`], [`DEFAULT_VIEW_PRIVILEGES`] |
//! | `kaltura.player_uiconf_id` | Kaltura ID or `null` | `null` (deployment setting applies) |
//! | `kaltura.category_ids` | Kaltura IDs (≤ 50) | `[]` |
//!
//! Discord IDs are stored as decimal strings and read by `discord-api`'s one rule
//! ([`discord_api::id`]: decimal digits, fits 64 bits, not zero); permission bits are
//! [`discord_api::Permissions`]. Template variables per message are listed in
//! [`template`]. [`settable_keys`] lists every key with what it takes and does.
//!
//! # Contract types
//! This crate is the Configuration Service's internals: it works on the contract's own
//! types (`contracts`: [`KalturaRole`](contracts::KalturaRole), `Section`, `Command`,
//! `Event`, `MessageKind`, `Features`, `Actor`, `Access`, `Message`, `SettingLine`,
//! `SettingKey`, `AuditEntry`) and defines none of them again. What it keeps of its own
//! is what differs from the contract: the settings document's model ([`GuildConfig`]),
//! and the stored documents ([`StoredOverrides`], [`StoredAuditEntry`], whose values are
//! JSON where the contract carries JSON text).
//!
//! # Writes
//! Every change is a merge patch: [`set_patch`] (JSON, for the API),
//! [`set_patch_from_str`] (text typed in Discord), [`unset_patch`], [`reset_patch`],
//! [`reset_all_patch`], or a patch sent as is. [`apply_update`] validates it against
//! the schema, checks the expected version (compare-and-set), and returns the new
//! [`StoredOverrides`] with a [`StoredAuditEntry`], or [`Update::Unchanged`] when the
//! write would change nothing (no version, no audit entry); a rejected write changes
//! nothing.
//!
//! ```
//! use contracts::{Actor, KalturaRole};
//! use discord_api::Permissions;
//! use guild_config::{apply_update, set_patch_from_str, GuildConfig, Layer};
//! use serde_json::json;
//!
//! let actor = Actor::DiscordUser(987_654_321_098_765_432);
//! let patch = set_patch_from_str("roles.mapping.123456789012345678", "moderator")?;
//! let update = apply_update(Layer::Guild, None, 0, &patch, actor, 1_700_000_000)?;
//! let (stored, audit) = update.changed().ok_or("the patch changes something")?;
//! assert_eq!(stored.version, 1);
//! assert_eq!(audit.keys(), ["roles.mapping.123456789012345678"]);
//!
//! let config = GuildConfig::resolve(&json!({}), &stored.doc)?;
//! let member_roles = ["123456789012345678".parse()?];
//! let role = guild_config::role_for(
//!     &config,
//!     "111111111111111111".parse()?,
//!     &member_roles,
//!     Permissions::NONE,
//! );
//! assert_eq!(role, KalturaRole::Moderator);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod access;
mod discord;
mod error;
mod layers;
mod model;
mod render;
mod schema;
pub mod template;
mod update;

pub use access::{permission_check, role_for};
pub use error::{ConfigError, Rule};
pub use layers::{merge, merge_patch};
pub use model::{
    defaults_json, CommandConfig, CommandsConfig, EventConfig, EventsConfig, GuildConfig,
    KalturaConfig, NotificationsConfig, PrivilegesConfig, RolesConfig, ShareConfig,
    DEFAULT_ENTRY_READY_TEMPLATE, DEFAULT_FEATURES, DEFAULT_HOST_PRIVILEGES,
    DEFAULT_JOIN_PRIVILEGES, DEFAULT_MEETING_END_TEMPLATE, DEFAULT_MEETING_SHARE_TEMPLATE,
    DEFAULT_MEETING_START_TEMPLATE, DEFAULT_RECORDING_READY_TEMPLATE, DEFAULT_VIEW_PRIVILEGES,
};
pub use render::render_readable;
pub use schema::{
    channel_settings, settable_keys, validate_overrides, Layer, MAX_ALLOWED_ROLES,
    MAX_CATEGORY_IDS, MAX_PRIVILEGES_CHARS, MAX_ROLE_MAPPINGS, MAX_USER_OVERRIDES,
};
pub use template::{
    check_template, render_template, template_name, variables, MAX_TEMPLATE_CHARS, MESSAGE_KINDS,
};
pub use update::{
    apply_update, check_actor, diff, reset_all_patch, reset_patch, set_patch, set_patch_from_str,
    unset_patch, StoredAuditEntry, StoredChange, StoredOverrides, Update, REDACTED, SCHEMA_VERSION,
};
