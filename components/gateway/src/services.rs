//! The library services as the gateway uses them: one small port per WIT interface
//! (`identity`, `config`, `kaltura`), with Rust types that mirror the WIT records. The
//! Spin adapter implements the ports over the WIT imports; tests implement them with
//! in-memory fakes.

use common::ApiError;
use serde::Serialize;

/// Why a service call failed; mirrors the WIT `error` variant case by case. Messages
/// are safe to show to an operator (never a secret, a token or a KS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceError {
    /// A deployment setting is missing; carries the Spin variable's name.
    NotConfigured(String),
    /// The input was rejected; says which field and which rule.
    Invalid(String),
    /// The thing asked for does not exist.
    NotFound(String),
    /// The caller is not allowed to do this.
    Forbidden(String),
    /// Kaltura (or Discord) is unreachable, failing or refused by policy.
    Unavailable(String),
    /// A write lost a compare-and-set race.
    Conflict(String),
    /// The key-value store failed.
    Storage(String),
    /// Anything else.
    Other(String),
}

impl ServiceError {
    /// The HTTP error this failure is answered with. `storage` and `other` get a fixed
    /// message (the caller logs the detail with the request id); the others carry the
    /// service's message, which the WIT contract makes safe to show.
    pub fn to_api(&self) -> ApiError {
        match self {
            Self::NotConfigured(name) => ApiError::new(
                503,
                "not_configured",
                format!("this deployment is missing a required setting: {name}"),
            ),
            Self::Invalid(why) => ApiError::new(400, "invalid", why.clone()),
            Self::NotFound(why) => ApiError::not_found(why.clone()),
            Self::Forbidden(why) => ApiError::new(403, "forbidden", why.clone()),
            Self::Unavailable(why) => ApiError::new(503, "unavailable", why.clone()),
            Self::Conflict(why) => ApiError::new(409, "conflict", why.clone()),
            Self::Storage(_) => ApiError::new(
                503,
                "storage_unavailable",
                "the key-value store failed; try again",
            ),
            Self::Other(_) => ApiError::internal("an internal error occurred"),
        }
    }

    /// The detail worth logging (never a secret: the WIT contract forbids them).
    pub fn detail(&self) -> String {
        match self {
            Self::NotConfigured(m) => format!("not-configured: {m}"),
            Self::Invalid(m) => format!("invalid: {m}"),
            Self::NotFound(m) => format!("not-found: {m}"),
            Self::Forbidden(m) => format!("forbidden: {m}"),
            Self::Unavailable(m) => format!("unavailable: {m}"),
            Self::Conflict(m) => format!("conflict: {m}"),
            Self::Storage(m) => format!("storage: {m}"),
            Self::Other(m) => format!("other: {m}"),
        }
    }
}

/// A member's Kaltura role on a server, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Joins and watches.
    Viewer,
    /// Starts, ends and moderates meetings.
    Moderator,
    /// Everything a moderator can, plus administration of the integration.
    Admin,
}

impl Role {
    /// The name in JSON: `viewer`, `moderator`, `admin`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }
}

/// What a token or an API key allows (see `wit/identity.wit`, "Scopes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// `meetings:read`: list and get meetings, get join links.
    MeetingsRead,
    /// `meetings:write`: create and end meetings.
    MeetingsWrite,
    /// `config:read`: read the server's settings.
    ConfigRead,
    /// `config:write`: change or reset the server's settings.
    ConfigWrite,
    /// `audit:read`: read the server's audit log.
    AuditRead,
    /// `keys:manage`: create, list and revoke the server's API keys.
    KeysManage,
}

impl Scope {
    /// Every scope, in the WIT order.
    pub const ALL: [Scope; 6] = [
        Self::MeetingsRead,
        Self::MeetingsWrite,
        Self::ConfigRead,
        Self::ConfigWrite,
        Self::AuditRead,
        Self::KeysManage,
    ];

    /// The scope's name on the wire, e.g. `meetings:read`.
    pub fn name(self) -> &'static str {
        match self {
            Self::MeetingsRead => "meetings:read",
            Self::MeetingsWrite => "meetings:write",
            Self::ConfigRead => "config:read",
            Self::ConfigWrite => "config:write",
            Self::AuditRead => "audit:read",
            Self::KeysManage => "keys:manage",
        }
    }

    /// The scope named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.name() == name)
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// What a verified access token says (WIT `claims`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// The Discord user ID.
    pub user_id: String,
    /// The server the token is valid on.
    pub guild_id: String,
    /// The member's Kaltura role there.
    pub role: Role,
    /// What the token allows.
    pub scopes: Vec<Scope>,
    /// When it expires, in Unix seconds.
    pub expires_at: u64,
    /// The token's ID, for logs.
    pub token_id: String,
    /// The session's ID, for logs and rate limits.
    pub session_id: String,
}

/// What a verified API key says (WIT `api-key-claims`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaims {
    /// The key's ID.
    pub id: String,
    /// The server it is valid on.
    pub guild_id: String,
    /// What it allows.
    pub scopes: Vec<Scope>,
    /// Its label.
    pub label: String,
}

/// A Discord member as Discord reported it (WIT `member`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFacts {
    /// The server.
    pub guild_id: String,
    /// The member's user ID.
    pub user_id: String,
    /// The unique username.
    pub username: String,
    /// The display name chosen by the user.
    pub global_name: Option<String>,
    /// The member's nickname on this server.
    pub nick: Option<String>,
    /// The member's role IDs.
    pub role_ids: Vec<String>,
    /// The member's permission bits on the server.
    pub permissions: u64,
}

/// A server's role mapping (WIT `role-mapping`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    /// Discord role IDs given a Kaltura role.
    pub roles: Vec<(String, Role)>,
    /// Discord user IDs given a Kaltura role; they win over everything else.
    pub user_overrides: Vec<(String, Role)>,
    /// The role of a member no other rule applies to.
    pub default_role: Role,
}

/// A member's identity in Kaltura (WIT `kaltura-identity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KalturaIdentity {
    /// The Kaltura user ID.
    pub kaltura_user_id: String,
    /// The name to show.
    pub display_name: String,
    /// The role the member acts with.
    pub role: Role,
}

/// Who a token is issued to (WIT `subject`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The Discord user ID.
    pub user_id: String,
    /// The server the token is valid on.
    pub guild_id: String,
    /// The member's role there.
    pub role: Role,
    /// What the token allows.
    pub scopes: Vec<Scope>,
}

/// The tokens of a session (WIT `token-pair`).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// The access token.
    pub access: String,
    /// The refresh token.
    pub refresh: String,
    /// When the access token expires, in Unix seconds.
    pub expires_at: u64,
    /// When the session ends, in Unix seconds.
    pub refresh_expires_at: u64,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("access", &"[redacted]")
            .field("refresh", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish()
    }
}

/// Who did something (WIT `actor`, in both `identity` and `config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A Discord member, by user ID.
    DiscordUser(String),
    /// An API client, by its key's ID.
    ApiKey(String),
}

impl Actor {
    /// `{"type":"discord_user"|"api_key","id":..}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::DiscordUser(id) => serde_json::json!({ "type": "discord_user", "id": id }),
            Self::ApiKey(id) => serde_json::json!({ "type": "api_key", "id": id }),
        }
    }
}

/// An API key as listed (WIT `api-key-info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// The key's ID.
    pub id: String,
    /// The server it is valid on.
    pub guild_id: String,
    /// What it allows.
    pub scopes: Vec<Scope>,
    /// What it is for.
    pub label: String,
    /// Who created it.
    pub created_by: Actor,
    /// When, in Unix seconds.
    pub created_at: u64,
}

/// A new API key (WIT `created-key`).
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedKey {
    /// The whole key, shown to its creator this once.
    pub secret_shown_once: String,
    /// The key as listed.
    pub info: ApiKeyInfo,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("secret_shown_once", &"[redacted]")
            .field("info", &self.info)
            .finish()
    }
}

/// A member as `config` reads it (WIT `member-info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    /// The member's user ID.
    pub user_id: String,
    /// The member's role IDs.
    pub role_ids: Vec<String>,
    /// The member's permission bits.
    pub permissions: u64,
}

/// A top-level section of a server's settings (WIT `section`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `commands`.
    Commands,
    /// `roles`.
    Roles,
    /// `notifications`.
    Notifications,
    /// `features`.
    Features,
    /// `kaltura`.
    Kaltura,
}

impl Section {
    /// Every section, as named on the wire.
    pub const NAMES: [&'static str; 5] =
        ["commands", "roles", "notifications", "features", "kaltura"];

    /// The section named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "commands" => Some(Self::Commands),
            "roles" => Some(Self::Roles),
            "notifications" => Some(Self::Notifications),
            "features" => Some(Self::Features),
            "kaltura" => Some(Self::Kaltura),
            _ => None,
        }
    }
}

/// A server's merged settings (the parts of WIT `guild-config-view` the API shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigView {
    /// The version of the server's override document.
    pub version: u64,
    /// The version of the deployment-wide document merged in.
    pub deployment_version: u64,
    /// The merged settings, a JSON object.
    pub config_json: String,
    /// The server's own overrides, a sparse JSON object.
    pub overrides_json: String,
}

/// The deployment-wide overrides (WIT `deployment-view`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentView {
    /// The document's version, 0 when it has none.
    pub version: u64,
    /// The overrides, a sparse JSON object (`{}` when there are none).
    pub overrides_json: String,
}

/// The result of an accepted write (WIT `update-result`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateResult {
    /// The document's new version.
    pub version: u64,
    /// The dotted keys whose override changed.
    pub changed_keys: Vec<String>,
}

/// One changed key in an audit entry (WIT `change`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The dotted key.
    pub key: String,
    /// The override before, as JSON text.
    pub old_value: Option<String>,
    /// The override after, as JSON text.
    pub new_value: Option<String>,
}

/// The record of one accepted write (WIT `audit-entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When, in Unix seconds.
    pub at: u64,
    /// Who.
    pub actor: Actor,
    /// The version the write produced.
    pub version: u64,
    /// What changed.
    pub changes: Vec<Change>,
}

/// The three kinds of meeting (WIT `meeting-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingKind {
    /// A webinar.
    Webinar,
    /// An interactive meeting room.
    Meeting,
    /// A virtual classroom.
    Classroom,
}

impl MeetingKind {
    /// Every kind, as named on the wire.
    pub const NAMES: [&'static str; 3] = ["webinar", "meeting", "classroom"];

    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Webinar => "webinar",
            Self::Meeting => "meeting",
            Self::Classroom => "classroom",
        }
    }

    /// The kind named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "webinar" => Some(Self::Webinar),
            "meeting" => Some(Self::Meeting),
            "classroom" => Some(Self::Classroom),
            _ => None,
        }
    }
}

/// What to create (WIT `meeting-request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    /// The kind of room.
    pub kind: MeetingKind,
    /// The title.
    pub title: String,
    /// An optional description.
    pub description: Option<String>,
    /// The server it belongs to.
    pub guild_id: String,
    /// The channel its events are posted in.
    pub channel_id: String,
    /// The Discord user who owns it.
    pub owner_id: String,
    /// When it starts (Unix seconds); `None` for a room open now.
    pub start_time: Option<u64>,
    /// How long a scheduled meeting lasts, in minutes.
    pub duration_minutes: Option<u32>,
}

/// A meeting (WIT `meeting`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// The meeting's ID.
    pub id: String,
    /// The kind of room.
    pub kind: MeetingKind,
    /// The title.
    pub title: String,
    /// The server it belongs to.
    pub guild_id: String,
    /// The channel it was launched in.
    pub channel_id: String,
    /// The Discord user who created it.
    pub owner_id: String,
    /// When it was created.
    pub created_at: u64,
    /// When it is scheduled to start.
    pub start_time: Option<u64>,
    /// When it is scheduled to end.
    pub end_time: Option<u64>,
    /// When it was ended; `None` while it can be joined.
    pub ended_at: Option<u64>,
}

impl Meeting {
    /// The meeting as the API shows it (schema `Meeting`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "kind": self.kind.name(),
            "title": self.title,
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "owner_id": self.owner_id,
            "created_at": self.created_at,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "ended_at": self.ended_at,
            "active": self.ended_at.is_none(),
        })
    }
}

/// How a member takes part in a meeting (WIT `member-role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingRole {
    /// Runs the meeting.
    Host,
    /// Attends it.
    Attendee,
}

impl MeetingRole {
    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::Attendee => "attendee",
        }
    }
}

/// Who is joining (WIT `member-identity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinMember {
    /// The member's Kaltura user ID.
    pub kaltura_user_id: String,
    /// The name shown in the meeting.
    pub display_name: String,
    /// The member's part in the meeting.
    pub role: MeetingRole,
}

/// The `identity` service.
pub trait Identity {
    /// WIT `verify-token`.
    ///
    /// # Errors
    /// `invalid` (not an access token), `forbidden` (forged, expired, revoked),
    /// `not-configured`, `storage`.
    fn verify_token(&self, access: &str) -> Result<AccessClaims, ServiceError>;
    /// WIT `verify-api-key`.
    ///
    /// # Errors
    /// `invalid`, `forbidden`, `storage`, `other`.
    fn verify_api_key(&self, presented: &str) -> Result<KeyClaims, ServiceError>;
    /// WIT `scopes-for-role`.
    fn scopes_for_role(&self, role: Role) -> Vec<Scope>;
    /// WIT `resolve-member`.
    ///
    /// # Errors
    /// `invalid`, `not-configured`, `storage`.
    fn resolve_member(
        &self,
        member: &MemberFacts,
        mapping: &RoleMapping,
    ) -> Result<KalturaIdentity, ServiceError>;
    /// The Kaltura user ID of a Discord user mapped before (WIT `get-user`).
    ///
    /// # Errors
    /// `invalid`, `storage`, `other`.
    fn kaltura_user_id(&self, user_id: &str) -> Result<Option<String>, ServiceError>;
    /// WIT `issue-token`.
    ///
    /// # Errors
    /// `invalid`, `forbidden`, `not-configured`.
    fn issue_token(&self, subject: &Subject, ttl_seconds: u32) -> Result<TokenPair, ServiceError>;
    /// WIT `refresh`.
    ///
    /// # Errors
    /// `invalid`, `forbidden`, `not-configured`, `storage`.
    fn refresh(&self, refresh_token: &str) -> Result<TokenPair, ServiceError>;
    /// WIT `revoke`.
    ///
    /// # Errors
    /// `invalid`, `forbidden`, `not-configured`, `storage`.
    fn revoke(&self, token: &str) -> Result<(), ServiceError>;
    /// WIT `create-api-key`.
    ///
    /// # Errors
    /// `invalid`, `conflict`, `storage`.
    fn create_api_key(
        &self,
        guild_id: &str,
        scopes: &[Scope],
        label: &str,
        created_by: &Actor,
    ) -> Result<CreatedKey, ServiceError>;
    /// WIT `list-api-keys`.
    ///
    /// # Errors
    /// `invalid`, `storage`, `other`.
    fn list_api_keys(&self, guild_id: &str) -> Result<Vec<ApiKeyInfo>, ServiceError>;
    /// WIT `revoke-api-key`.
    ///
    /// # Errors
    /// `invalid`, `not-found`, `storage`.
    fn revoke_api_key(&self, guild_id: &str, id: &str) -> Result<(), ServiceError>;
}

/// The `config` service.
pub trait Config {
    /// WIT `role-for`.
    ///
    /// # Errors
    /// `invalid`, `storage`, `other`.
    fn role_for(&self, guild_id: &str, member: &MemberInfo) -> Result<Role, ServiceError>;
    /// WIT `get`.
    ///
    /// # Errors
    /// `invalid`, `storage`, `other`.
    fn get(&self, guild_id: &str) -> Result<ConfigView, ServiceError>;
    /// WIT `update`.
    ///
    /// # Errors
    /// `invalid`, `conflict`, `storage`, `other`.
    fn update(
        &self,
        guild_id: &str,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, ServiceError>;
    /// WIT `reset`.
    ///
    /// # Errors
    /// As `update`.
    fn reset(
        &self,
        guild_id: &str,
        section: Option<Section>,
        actor: &Actor,
    ) -> Result<UpdateResult, ServiceError>;
    /// WIT `audit-log`.
    ///
    /// # Errors
    /// `invalid`, `storage`, `other`.
    fn audit_log(&self, guild_id: &str, limit: u32) -> Result<Vec<AuditEntry>, ServiceError>;
    /// WIT `get-deployment`. Shown to the deployment's administrator only.
    ///
    /// # Errors
    /// `storage`, `other`.
    fn get_deployment(&self) -> Result<DeploymentView, ServiceError>;
    /// WIT `update-deployment`. The caller must have established that `actor` is the
    /// deployment's administrator.
    ///
    /// # Errors
    /// As `update`.
    fn update_deployment(
        &self,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, ServiceError>;
    /// WIT `deployment-audit-log`.
    ///
    /// # Errors
    /// `storage`, `other`.
    fn deployment_audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, ServiceError>;
}

/// The `kaltura` service.
pub trait Kaltura {
    /// WIT `circuit-open`.
    fn circuit_open(&self) -> bool;
    /// WIT `create-meeting`.
    ///
    /// # Errors
    /// `invalid`, `not-configured`, `unavailable`, `forbidden`, `storage`, `other`.
    fn create_meeting(&self, request: &NewMeeting) -> Result<Meeting, ServiceError>;
    /// WIT `get-meeting`.
    ///
    /// # Errors
    /// `storage`.
    fn get_meeting(&self, id: &str) -> Result<Option<Meeting>, ServiceError>;
    /// WIT `list-meetings` for one server.
    ///
    /// # Errors
    /// `invalid`, `storage`.
    fn list_meetings(&self, guild_id: &str) -> Result<Vec<Meeting>, ServiceError>;
    /// WIT `end-meeting`.
    ///
    /// # Errors
    /// `not-found`, `not-configured`, `unavailable`, `forbidden`, `other`, `storage`.
    fn end_meeting(&self, id: &str) -> Result<(), ServiceError>;
    /// WIT `join-url`.
    ///
    /// # Errors
    /// `not-found`, `invalid`, `not-configured`, `unavailable`, `forbidden`.
    fn join_url(&self, meeting_id: &str, member: &JoinMember) -> Result<String, ServiceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.name()), Some(scope));
        }
        assert_eq!(Scope::parse("admin"), None);
    }

    #[test]
    fn storage_and_other_failures_hide_their_detail() {
        let err = ServiceError::Other("stored record of user 1 is broken".into()).to_api();
        assert_eq!(err.status, 500);
        assert!(!err.message.contains("user 1"));
        assert_eq!(ServiceError::Conflict("stale".into()).to_api().status, 409);
        assert_eq!(ServiceError::NotConfigured("x".into()).to_api().status, 503);
    }

    #[test]
    fn secrets_do_not_print() {
        let pair = TokenPair {
            access: "kd1.secret".into(),
            refresh: "kd1.other".into(),
            expires_at: 1,
            refresh_expires_at: 2,
        };
        assert!(!format!("{pair:?}").contains("kd1."));
    }
}
