//! One port per service interface, function for function, as the WIT says them. Callers
//! hold a service as `&dyn Config` (or generic over it); [`crate::Imported`] calls the
//! real component through its imports, and tests use in-memory fakes. Each library
//! service implements its port and is exported through it.
//!
//! The docs of each function (what it does, which error cases it raises) are the WIT's,
//! in `wit/deps/`; they are not repeated here.

use crate::common::{Actor, Error, KalturaRole, Member, ServiceStatus, Snowflake};
use crate::config::{
    Access, AuditEntry, Command, DeploymentSettings, GuildSettings, Message, MessageKind, Section,
    SettingKey, SettingLine, UpdateResult,
};
use crate::events::{
    CreatedSubscription, Delivery, Event, NewSubscription, PumpReport, Subscription,
};
use crate::identity::{
    ApiKeyClaims, ApiKeyInfo, Claims, CreatedKey, KalturaIdentity, Scope, SessionInfo, Subject,
    TokenPair, UserRecord,
};
use crate::kaltura::{
    MediaEntry, MediaPage, MediaScope, Meeting, MeetingFilter, MeetingId, MeetingRequest,
    Participant, PlayerSession, Requester,
};
use crate::watch::{ControlAction, RoomState, Viewer};

/// `kaltura-discord:config/config`: settings and the rules that follow from them.
pub trait Config {
    /// `status`.
    fn status(&self) -> ServiceStatus;
    /// `get`.
    fn get(&self, guild_id: Snowflake) -> Result<GuildSettings, Error>;
    /// `check-permission`.
    fn check_permission(&self, command: Command, member: &Member) -> Result<Access, Error>;
    /// `role-for`.
    fn role_for(&self, member: &Member) -> Result<KalturaRole, Error>;
    /// `render-message`.
    fn render_message(
        &self,
        guild_id: Snowflake,
        kind: MessageKind,
        values: &[(String, String)],
    ) -> Result<Option<Message>, Error>;
    /// `render-section`.
    fn render_section(
        &self,
        guild_id: Snowflake,
        section: Section,
    ) -> Result<Vec<SettingLine>, Error>;
    /// `settable-keys`.
    fn settable_keys(&self) -> Vec<SettingKey>;
    /// `update`.
    fn update(
        &self,
        guild_id: Snowflake,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, Error>;
    /// `set`.
    fn set(
        &self,
        guild_id: Snowflake,
        key: &str,
        value_text: &str,
        expected_version: Option<u64>,
        dry_run: bool,
        actor: &Actor,
    ) -> Result<UpdateResult, Error>;
    /// `reset`.
    fn reset(
        &self,
        guild_id: Snowflake,
        section: Option<Section>,
        actor: &Actor,
    ) -> Result<UpdateResult, Error>;
    /// `audit-log`.
    fn audit_log(&self, guild_id: Snowflake, limit: u32) -> Result<Vec<AuditEntry>, Error>;
    /// `get-deployment`.
    fn get_deployment(&self) -> Result<DeploymentSettings, Error>;
    /// `update-deployment`.
    fn update_deployment(
        &self,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, Error>;
    /// `deployment-audit-log`.
    fn deployment_audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, Error>;
}

/// `kaltura-discord:identity/members`: Discord members as Kaltura users.
pub trait Members {
    /// `status` (of the whole identity service).
    fn status(&self) -> ServiceStatus;
    /// `resolve-member`.
    fn resolve_member(&self, member: &Member, role: KalturaRole) -> Result<KalturaIdentity, Error>;
    /// `get-user`.
    fn get_user(&self, user_id: Snowflake) -> Result<Option<UserRecord>, Error>;
}

/// `kaltura-discord:identity/tokens`: the gateway's access tokens.
pub trait Tokens {
    /// `scopes-for-role`.
    fn scopes_for_role(&self, role: KalturaRole) -> Vec<Scope>;
    /// `issue`.
    fn issue(&self, subject: &Subject, ttl_seconds: u32) -> Result<TokenPair, Error>;
    /// `verify`.
    fn verify(&self, access: &str) -> Result<Claims, Error>;
    /// `session-of`.
    fn session_of(&self, refresh_token: &str) -> Result<SessionInfo, Error>;
    /// `refresh`.
    fn refresh(&self, refresh_token: &str, current: &Subject) -> Result<TokenPair, Error>;
    /// `revoke`.
    fn revoke(&self, token: &str) -> Result<(), Error>;
    /// `authorize`.
    fn authorize(
        &self,
        granted_guild_id: Snowflake,
        granted_scopes: &[Scope],
        guild_id: Snowflake,
        needed: Scope,
    ) -> Result<(), Error>;
}

/// `kaltura-discord:identity/api-keys`: the servers' API keys.
pub trait ApiKeys {
    /// `create`.
    fn create(
        &self,
        guild_id: Snowflake,
        scopes: &[Scope],
        label: &str,
        created_by: &Actor,
        expires_at: Option<u64>,
    ) -> Result<CreatedKey, Error>;
    /// `list`.
    fn list(&self, guild_id: Snowflake) -> Result<Vec<ApiKeyInfo>, Error>;
    /// `revoke`.
    fn revoke(&self, guild_id: Snowflake, id: &str) -> Result<(), Error>;
    /// `verify`.
    fn verify(&self, presented: &str) -> Result<ApiKeyClaims, Error>;
}

/// `kaltura-discord:kaltura/kaltura`: meetings and the player on Kaltura.
pub trait Kaltura {
    /// `status`.
    fn status(&self) -> ServiceStatus;
    /// `ping`.
    fn ping(&self) -> Result<(), Error>;
    /// `circuit-open`.
    fn circuit_open(&self) -> bool;
    /// `create-meeting`.
    fn create_meeting(&self, request: &MeetingRequest) -> Result<Meeting, Error>;
    /// `get-meeting`.
    fn get_meeting(&self, id: MeetingId) -> Result<Option<Meeting>, Error>;
    /// `list-meetings`.
    fn list_meetings(&self, filter: MeetingFilter) -> Result<Vec<Meeting>, Error>;
    /// `may-manage`.
    fn may_manage(&self, id: MeetingId, requester: Requester) -> Result<bool, Error>;
    /// `end-meeting`.
    fn end_meeting(&self, id: MeetingId, requester: Requester) -> Result<(), Error>;
    /// `join-url`.
    fn join_url(&self, meeting_id: MeetingId, participant: &Participant) -> Result<String, Error>;
    /// `search-media`.
    fn search_media(&self, query: &str, page: u32, scope: &MediaScope) -> Result<MediaPage, Error>;
    /// `get-media`.
    fn get_media(&self, entry_id: &str, scope: &MediaScope) -> Result<Option<MediaEntry>, Error>;
    /// `playback-session`.
    fn playback_session(&self, entry_id: &str, scope: &MediaScope) -> Result<PlayerSession, Error>;
    /// `player-embed-url`.
    fn player_embed_url(&self, entry_id: &str, uiconf_id: Option<u32>) -> Result<String, Error>;
}

/// `kaltura-discord:events/events`: meeting lifecycle events for subscribers.
pub trait Events {
    /// `status`.
    fn status(&self) -> ServiceStatus;
    /// `publish`.
    fn publish(&self, event: &Event) -> Result<u32, Error>;
    /// `pump`.
    fn pump(&self, max_attempts: u32) -> Result<PumpReport, Error>;
    /// `create`.
    fn create(
        &self,
        guild_id: Snowflake,
        request: &NewSubscription,
        created_by: &Actor,
    ) -> Result<CreatedSubscription, Error>;
    /// `list`.
    fn list(&self, guild_id: Snowflake) -> Result<Vec<Subscription>, Error>;
    /// `get`.
    fn get(&self, guild_id: Snowflake, id: &str) -> Result<Subscription, Error>;
    /// `delete`.
    fn delete(&self, guild_id: Snowflake, id: &str) -> Result<(), Error>;
    /// `set-paused`.
    fn set_paused(
        &self,
        guild_id: Snowflake,
        id: &str,
        paused: bool,
        actor: &Actor,
    ) -> Result<Subscription, Error>;
    /// `deliveries`.
    fn deliveries(&self, guild_id: Snowflake, id: &str, limit: u32)
        -> Result<Vec<Delivery>, Error>;
}

/// `kaltura-discord:watch/watch`: shared watch rooms.
pub trait Watch {
    /// `status`.
    fn status(&self) -> ServiceStatus;
    /// `request-video`.
    fn request_video(
        &self,
        guild_id: Snowflake,
        channel_id: Snowflake,
        entry_id: &str,
        requested_by: Snowflake,
    ) -> Result<(), Error>;
    /// `join`.
    fn join(
        &self,
        room: &str,
        guild_id: Snowflake,
        channel_id: Option<Snowflake>,
        entry_id: Option<&str>,
        viewer: &Viewer,
    ) -> Result<RoomState, Error>;
    /// `state`.
    fn state(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error>;
    /// `observe`.
    fn observe(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error>;
    /// `control`.
    fn control(
        &self,
        room: &str,
        user_id: Snowflake,
        action: ControlAction,
        expected_version: u64,
    ) -> Result<RoomState, Error>;
    /// `hand-over`.
    fn hand_over(
        &self,
        room: &str,
        from_user: Snowflake,
        to_user: Snowflake,
    ) -> Result<RoomState, Error>;
    /// `leave`.
    fn leave(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error>;
}
