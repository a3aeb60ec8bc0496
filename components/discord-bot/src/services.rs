//! What the bot needs from the library services (`config`, `identity`, `kaltura`),
//! as one port: [`Services`]. The Spin adapter implements it over the WIT imports;
//! tests implement it with an in-memory fake.
//!
//! The bot orchestrates (API composition): it reads a server's configuration from
//! `config` once per interaction, decides permissions itself
//! ([`guild_config::permission_check`], from the interaction's `member.roles` and
//! `member.permissions` only), hands the member and the server's role mapping (the
//! `roles` section of that configuration) to `identity`, and the resulting
//! [`KalturaUser`] to `kaltura`.
//!
//! # One source of truth for roles
//! The data is the `roles` section of the configuration `config` returns; the rule is
//! [`guild_config::role_for`], the one implementation that `config`'s `role-for` and
//! `identity`'s `resolve-member` also run. The Kaltura identity a follow-up acts with
//! is `identity`'s answer; the bot evaluates the rule itself only where it must decide
//! at once without a write ([`Caller::may_manage`]: may this member share or end a
//! meeting), on the same data.

use discord_api::id::{ChannelId, GuildId, UserId};
use discord_api::model::Envelope;
use guild_config::{Access, CommandName, GuildConfig, KalturaRole, RolesConfig, Section};

use crate::meeting::{KalturaUser, Meeting, MeetingId, NewMeeting, Part};

/// Why a service call failed; mirrors the WIT `error` variant case by case. Messages
/// are safe to show to an operator (never a secret, token or KS), not necessarily to
/// a member: dispatch shows members its own words and an error ID instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// A deployment setting is missing; carries the Spin variable's name.
    #[error("not configured: {0}")]
    NotConfigured(String),
    /// The input was rejected; says which field and which rule (safe to show).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller is not allowed to do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Kaltura (or Discord) is unreachable, failing or refused by policy.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A write lost a compare-and-set race.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The key-value store failed.
    #[error("storage: {0}")]
    Storage(String),
    /// Anything else.
    #[error("other: {0}")]
    Other(String),
}

impl ServiceError {
    /// The WIT case name: `not-configured`, `invalid`, ...
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured(_) => "not-configured",
            Self::Invalid(_) => "invalid",
            Self::NotFound(_) => "not-found",
            Self::Forbidden(_) => "forbidden",
            Self::Unavailable(_) => "unavailable",
            Self::Conflict(_) => "conflict",
            Self::Storage(_) => "storage",
            Self::Other(_) => "other",
        }
    }
}

/// The member behind an interaction, taken from the verified payload only: the
/// server, `member.user`, `member.roles` and `member.permissions`. Nothing a client
/// can choose (options, `custom_id`s) ever feeds into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The server the interaction came from.
    pub guild_id: GuildId,
    /// The channel it came from.
    pub channel_id: Option<ChannelId>,
    /// The member's Discord user ID.
    pub user_id: UserId,
    /// The member's name to show (nickname, global name or username).
    pub display_name: String,
    /// The user's unique username (`member.user.username`).
    pub username: String,
    /// The user's display name (`member.user.global_name`), if set.
    pub global_name: Option<String>,
    /// The member's nickname on this server (`member.nick`), if set.
    pub nick: Option<String>,
    /// The member's role IDs, as the configuration model types them.
    pub roles: Vec<guild_config::RoleId>,
    /// The member's permissions in the channel, including overwrites.
    pub permissions: guild_config::Permissions,
    config_user_id: guild_config::UserId,
}

/// Why an interaction has no [`Caller`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    /// Not sent from a server (no `guild_id` or no `member`).
    #[error("the interaction was not sent from a server")]
    NotInGuild,
    /// `member.user` is missing or its ID is not a real snowflake.
    #[error("the interaction's member has no usable user ID")]
    NoUser,
}

impl Caller {
    /// The caller of a verified interaction.
    ///
    /// # Errors
    /// [`CallerError::NotInGuild`] outside servers; [`CallerError::NoUser`] if the
    /// member has no usable user ID.
    pub fn from_envelope(envelope: &Envelope) -> Result<Self, CallerError> {
        let (Some(guild_id), Some(member)) = (envelope.guild_id, envelope.member.as_ref()) else {
            return Err(CallerError::NotInGuild);
        };
        let user = member.user.as_ref().ok_or(CallerError::NoUser)?;
        let config_user_id = guild_config::UserId::new(user.id.get()).ok_or(CallerError::NoUser)?;
        // Role IDs that are not 17-20 digit snowflakes cannot appear in a
        // configuration, so dropping them changes no decision.
        let roles = member
            .roles
            .iter()
            .filter_map(|role| guild_config::RoleId::new(role.get()))
            .collect();
        let permissions =
            guild_config::Permissions(member.permissions.map_or(0, discord_api::Permissions::bits));
        Ok(Self {
            guild_id,
            channel_id: envelope.channel_id,
            user_id: user.id,
            display_name: envelope
                .display_name()
                .unwrap_or(user.username.as_str())
                .to_owned(),
            username: user.username.clone(),
            global_name: user.global_name.clone(),
            nick: member.nick.clone(),
            roles,
            permissions,
            config_user_id,
        })
    }

    /// Whether the server's configuration lets this member use `command`.
    pub fn access(&self, config: &GuildConfig, command: CommandName) -> Access {
        guild_config::permission_check(config, command, &self.roles, self.permissions)
    }

    /// The member's Kaltura role under the server's role mapping
    /// ([`guild_config::role_for`], as `identity` applies it).
    pub fn kaltura_role(&self, config: &GuildConfig) -> KalturaRole {
        guild_config::role_for(config, self.config_user_id, &self.roles, self.permissions)
    }

    /// Whether this member may manage (share, end) `meeting`: its owner, or a member
    /// whose Kaltura role is moderator or admin.
    pub fn may_manage(&self, config: &GuildConfig, meeting: &Meeting) -> bool {
        meeting.owner_id == self.user_id || self.kaltura_role(config) >= KalturaRole::Moderator
    }
}

/// The library services, as the bot uses them. Each method's doc says whether it may
/// wait on Kaltura; dispatch defers (answers within Discord's 3 seconds first) around
/// every call that may, and calls the others while Discord waits.
pub trait Services {
    /// The server's resolved configuration (compiled defaults, deployment overrides,
    /// server overrides) from the `config` service. Fast: key-value only.
    ///
    /// # Errors
    /// [`ServiceError::Storage`] or [`ServiceError::Other`].
    fn guild_config(&self, guild: GuildId) -> Result<GuildConfig, ServiceError>;

    /// Whether Kaltura's circuit breaker is open (Kaltura failed recently and calls are
    /// being refused). Fast: no network. When it is, the bot answers "Kaltura is
    /// unavailable" at once instead of deferring into a timeout.
    fn kaltura_circuit_open(&self) -> bool;

    /// The member's Kaltura user and the role they act with under the server's role
    /// mapping `roles` (the configuration's `roles` section), from the `identity`
    /// service, which also records the user. Called only in follow-ups.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`], [`ServiceError::NotConfigured`],
    /// [`ServiceError::Storage`], ...
    fn kaltura_user(
        &self,
        caller: &Caller,
        roles: &RolesConfig,
    ) -> Result<KalturaUser, ServiceError>;

    /// Creates a meeting in Kaltura and records which server and channel it belongs
    /// to. Waits on Kaltura.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`], [`ServiceError::Invalid`], ...
    fn create_meeting(&self, meeting: &NewMeeting) -> Result<Meeting, ServiceError>;

    /// The recorded meeting with this ID, `Ok(None)` if there is none. Fast: key-value
    /// only. The bot checks itself that it belongs to the caller's server.
    ///
    /// # Errors
    /// [`ServiceError::Storage`].
    fn get_meeting(&self, guild: GuildId, id: &MeetingId) -> Result<Option<Meeting>, ServiceError>;

    /// This server's active meetings, newest first. Fast: key-value only (it also
    /// serves autocomplete, which cannot be deferred).
    ///
    /// # Errors
    /// [`ServiceError::Storage`].
    fn list_meetings(&self, guild: GuildId) -> Result<Vec<Meeting>, ServiceError>;

    /// Ends a meeting in Kaltura and marks it inactive; `by` is the member ending it.
    /// Waits on Kaltura.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] if it is gone, [`ServiceError::Unavailable`], ...
    fn end_meeting(
        &self,
        guild: GuildId,
        id: &MeetingId,
        by: &KalturaUser,
    ) -> Result<(), ServiceError>;

    /// The member's own join URL for `meeting`, carrying their own short-lived,
    /// least-privilege KS, taking part as `part` (dispatch decides: host for the owner
    /// and moderators). Never shown publicly, never logged. May wait on Kaltura.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`], [`ServiceError::NotConfigured`], ...
    fn join_url(
        &self,
        meeting: &Meeting,
        user: &KalturaUser,
        part: Part,
    ) -> Result<String, ServiceError>;

    /// Sets one setting of the server from text typed in Discord (see
    /// [`guild_config::set_patch_from_str`]), audited as done by `actor`; returns the
    /// new configuration. Fast: key-value only.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] (its message is shown to the member),
    /// [`ServiceError::Conflict`], [`ServiceError::Storage`].
    fn config_set(
        &self,
        guild: GuildId,
        key: &str,
        value: &str,
        actor: UserId,
    ) -> Result<GuildConfig, ServiceError>;

    /// Removes the server's overrides of one section, audited as done by `actor`;
    /// returns the new configuration. Fast: key-value only.
    ///
    /// # Errors
    /// [`ServiceError::Conflict`], [`ServiceError::Storage`].
    fn config_reset(
        &self,
        guild: GuildId,
        section: Section,
        actor: UserId,
    ) -> Result<GuildConfig, ServiceError>;
}
