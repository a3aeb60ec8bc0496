//! Who is calling, and may they: the `Authorization: Bearer` credential (an access
//! token from sign-in, or a server's API key) verified through `identity` (`tokens`'
//! `verify`, `api-keys`' `verify`), then the route's [`Guard`]: the scope and the server
//! in its path, checked by `identity`'s `authorize` against what was verified.
//!
//! A credential is for one Discord server. A route with `{guild_id}` in its path is
//! refused (403) to a credential for any other server, whatever its scopes; resources
//! found by their own ID (meetings) are checked against the credential's server by
//! their handlers, which answer 404 for another server's.
//!
//! The deployment's administrator is not a member of any server: they present the
//! `gateway_admin_token` secret ([`AdminToken`]), which opens the deployment routes
//! ([`crate::routes::Endpoint::Deployment`]) and nothing else. Server credentials are refused (403)
//! there, and the administrator's token is refused (403) on every server route.

use crate::reply::{Problem, Response};
use common::ApiError;
use contracts::identity::{ApiKeyClaims, Claims, Scope};
use contracts::{Actor, ApiKeys, Error, KalturaRole, Snowflake, Tokens};
use discord_api::id::GuildId;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The secret Spin variable with the deployment administrator's token.
pub const ADMIN_TOKEN_SETTING: &str = "gateway_admin_token";

/// The fewest characters an administrator token may have (e.g. `openssl rand -hex 32`
/// gives 64); a shorter one is treated as not configured.
pub const ADMIN_TOKEN_MIN_CHARS: usize = 32;

/// Who the deployment administrator is in audit records: `api-key("deployment-admin")`.
/// The WIT `actor` has no case for an operator, and this ID can never be a server's
/// API key (their IDs are 16 hexadecimal digits). The token itself is never recorded.
pub const ADMIN_ACTOR_ID: &str = "deployment-admin";

/// What a server route's credential is.
const SERVER_CREDENTIAL: &str = "access token or API key";
/// What a deployment route's credential is.
const ADMIN_CREDENTIAL: &str = "deployment administrator token";

/// The deployment administrator's token, as configured. Only its SHA-256 digest is
/// kept, and a presented token is compared digest to digest in constant time, so
/// neither its contents nor its length show in the time an answer takes.
pub struct AdminToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken([redacted])")
    }
}

impl AdminToken {
    /// The token from the `gateway_admin_token` setting's value.
    ///
    /// # Errors
    /// `503 not_configured` naming the setting (never its value) when it is unset,
    /// empty or shorter than [`ADMIN_TOKEN_MIN_CHARS`].
    pub fn from_setting(value: Option<&str>) -> Result<Self, Problem> {
        match value {
            None | Some("") => Err(ApiError::not_configured(&[ADMIN_TOKEN_SETTING.to_owned()]).into()),
            Some(token) if token.chars().count() < ADMIN_TOKEN_MIN_CHARS => Err(ApiError::new(
                503,
                "not_configured",
                format!(
                    "the setting {ADMIN_TOKEN_SETTING} is too short: it needs at least {ADMIN_TOKEN_MIN_CHARS} characters"
                ),
            )
            .into()),
            Some(token) => Ok(Self {
                digest: Sha256::digest(token.as_bytes()).into(),
            }),
        }
    }

    /// Whether `presented` is the administrator's token (constant time).
    pub fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(digest.ct_eq(&self.digest))
    }

    /// Who the administrator is in audit records ([`ADMIN_ACTOR_ID`]).
    pub fn actor() -> Actor {
        Actor::ApiKey(ADMIN_ACTOR_ID.to_owned())
    }
}

/// Who may call a server's route, besides a valid credential of that server. A route
/// with a `{guild_id}` in its path is also refused (403) to a credential for another
/// server: identity's `authorize` checks the server with the scope, so such a route
/// always names a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guard {
    /// Any valid access token or API key.
    Authenticated,
    /// A valid access token or API key carrying this scope.
    Scope(Scope),
    /// A signed-in member's access token (not an API key) carrying this scope.
    Member(Scope),
}

impl Guard {
    /// The scope the route needs, if any.
    pub fn scope(self) -> Option<Scope> {
        match self {
            Self::Scope(scope) | Self::Member(scope) => Some(scope),
            Self::Authenticated => None,
        }
    }
}

/// Who the credential belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A member who signed in with Discord (an access token).
    Member {
        /// The Discord user ID.
        user_id: Snowflake,
        /// The member's Kaltura role on the server.
        role: KalturaRole,
        /// The session the token belongs to.
        session_id: String,
        /// When the token expires.
        expires_at: u64,
    },
    /// An automation (an API key).
    Key {
        /// The key's ID.
        id: String,
        /// The key's label.
        label: String,
        /// When the key stops working, if it has an expiry.
        expires_at: Option<u64>,
    },
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The only server the credential is valid on.
    pub guild_id: Snowflake,
    /// What the credential allows there.
    pub scopes: Vec<Scope>,
    /// Who it belongs to.
    pub principal: Principal,
}

impl Caller {
    /// The caller of a verified access token.
    pub fn member(claims: Claims) -> Self {
        Self {
            guild_id: claims.guild_id,
            scopes: claims.scopes,
            principal: Principal::Member {
                user_id: claims.user_id,
                role: claims.role,
                session_id: claims.session_id,
                expires_at: claims.expires_at,
            },
        }
    }

    /// The caller of a verified API key.
    pub fn key(claims: ApiKeyClaims) -> Self {
        Self {
            guild_id: claims.guild_id,
            scopes: claims.scopes,
            principal: Principal::Key {
                id: claims.id,
                label: claims.label,
                expires_at: claims.expires_at,
            },
        }
    }

    /// Whether the credential allows `scope` on its own server, as identity's
    /// `authorize` decides.
    ///
    /// # Errors
    /// When identity fails otherwise than by refusing.
    pub fn holds(&self, tokens: &dyn Tokens, scope: Scope) -> Result<bool, Problem> {
        match tokens.authorize(self.guild_id, &self.scopes, self.guild_id, scope) {
            Ok(()) => Ok(true),
            Err(Error::Forbidden(_)) => Ok(false),
            Err(other) => Err(Problem::from(other)),
        }
    }

    /// The member's user ID, `None` for an API key.
    pub fn user_id(&self) -> Option<Snowflake> {
        match &self.principal {
            Principal::Member { user_id, .. } => Some(*user_id),
            Principal::Key { .. } => None,
        }
    }

    /// Who the caller is in audit records.
    pub fn actor(&self) -> Actor {
        match &self.principal {
            Principal::Member { user_id, .. } => Actor::DiscordUser(*user_id),
            Principal::Key { id, .. } => Actor::ApiKey(id.clone()),
        }
    }

    /// What the per-token rate limit counts: the session (so refreshing does not
    /// reset it) or the API key.
    pub fn rate_subject(&self) -> (&'static str, &str) {
        match &self.principal {
            Principal::Member { session_id, .. } => ("session", session_id),
            Principal::Key { id, .. } => ("key", id),
        }
    }
}

/// The credential in an `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// An access token (`kd1.…`).
    AccessToken(&'a str),
    /// An API key (`kdk_…`).
    ApiKey(&'a str),
}

impl<'a> Credential<'a> {
    /// The credential as presented.
    pub fn value(self) -> &'a str {
        match self {
            Self::AccessToken(value) | Self::ApiKey(value) => value,
        }
    }

    fn classify(value: &'a str) -> Self {
        if value.starts_with("kdk_") {
            Self::ApiKey(value)
        } else {
            Self::AccessToken(value)
        }
    }
}

/// The value of `Authorization: Bearer <value>` (the scheme is case-insensitive);
/// `wanted` names the credential in the errors.
fn bearer<'h>(header: Option<&'h str>, wanted: &str) -> Result<&'h str, Problem> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            Problem::unauthenticated(format!(
                "this route needs `Authorization: Bearer <{wanted}>`"
            ))
        })?;
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    let value = value.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || value.is_empty() {
        return Err(Problem::unauthenticated(format!(
            "the Authorization header must be `Bearer <{wanted}>`"
        )));
    }
    Ok(value)
}

/// Reads `Authorization: Bearer <credential>` (the scheme is case-insensitive).
///
/// # Errors
/// `401` with a `Bearer` challenge when the header is missing or not a bearer
/// credential.
pub fn credential(header: Option<&str>) -> Result<Credential<'_>, Problem> {
    bearer(header, SERVER_CREDENTIAL).map(Credential::classify)
}

/// Refuses the deployment administrator's token on a server's route: it is not a
/// server credential. `admin` is `None` when the deployment has no (valid)
/// administrator token.
///
/// # Errors
/// `403` when `credential` is the administrator's token.
pub fn refuse_admin_token(
    admin: Option<&AdminToken>,
    credential: Credential<'_>,
) -> Result<(), Problem> {
    match admin {
        Some(admin) if admin.matches(credential.value()) => Err(Problem::forbidden(
            "the deployment administrator's token is not a server credential: it opens \
             /api/v1/deployment/... only; use a member's access token or a server's API key",
        )),
        _ => Ok(()),
    }
}

/// Checks that the caller of a deployment route is the deployment's administrator,
/// and returns who to record them as ([`AdminToken::actor`]).
///
/// A credential that is not the administrator's token is verified as a server
/// credential only to answer precisely: a valid one is refused with 403 (server
/// credentials never reach the deployment routes), anything else with 401.
///
/// # Errors
/// `401` (with a challenge) without a bearer credential or with one that is neither;
/// `403` for a valid access token or API key; `503` when `identity` cannot tell
/// (not configured, store failing).
pub fn authenticate_admin(
    identity: Verifiers<'_>,
    admin: &AdminToken,
    header: Option<&str>,
) -> Result<Actor, Problem> {
    let presented = bearer(header, ADMIN_CREDENTIAL)?;
    if admin.matches(presented) {
        return Ok(AdminToken::actor());
    }
    match authenticate(identity, Credential::classify(presented)) {
        Ok(_) => Err(Problem::forbidden(
            "server credentials (access tokens, API keys) cannot use the deployment routes; \
             they need the deployment administrator's token",
        )),
        Err(problem) if problem.error.status == 401 => Err(Problem::invalid_token(
            "this is not the deployment administrator's token",
        )),
        Err(other) => Err(other),
    }
}

/// The two halves of identity that verify a server's credentials.
#[derive(Clone, Copy)]
pub struct Verifiers<'a> {
    /// Access tokens (`kd1.…`).
    pub tokens: &'a dyn Tokens,
    /// API keys (`kdk_…`).
    pub api_keys: &'a dyn ApiKeys,
}

/// Verifies the credential through identity.
///
/// # Errors
/// `401 invalid_token` (with a challenge) for a malformed, forged, expired or revoked
/// credential; `503` when identity is not configured or its store fails.
pub fn authenticate(
    identity: Verifiers<'_>,
    credential: Credential<'_>,
) -> Result<Caller, Problem> {
    let refused = |what: &str, err: Error| match err {
        Error::Invalid(why) | Error::Forbidden(why) => {
            Problem::invalid_token(format!("the {what} was refused: {why}"))
        }
        other => Problem::from(other),
    };
    match credential {
        Credential::AccessToken(token) => identity
            .tokens
            .verify(token)
            .map(Caller::member)
            .map_err(|err| refused("access token", err)),
        Credential::ApiKey(key) => identity
            .api_keys
            .verify(key)
            .map(Caller::key)
            .map_err(|err| refused("API key", err)),
    }
}

/// The refusal of a credential on a route of another server.
fn another_server() -> Problem {
    Problem::forbidden("this credential is for another Discord server")
}

/// Whether `caller` passes `guard` on a route with path parameters `params`. The server
/// and the scope are identity's decision (`authorize`); a `{guild_id}` that is not a
/// Discord ID is no server the credential is for.
///
/// # Errors
/// `403` when a `{guild_id}` in the path is not the credential's server (whatever the
/// scopes), when an API key calls a members-only route, or when the credential lacks
/// the route's scope; `503` and the like when identity fails.
pub fn authorize(
    tokens: &dyn Tokens,
    guard: Guard,
    params: &[(&'static str, String)],
    caller: &Caller,
) -> Result<(), Problem> {
    let server = match params.iter().find(|(name, _)| *name == "guild_id") {
        None => caller.guild_id,
        Some((_, raw)) => raw.parse::<GuildId>().map_err(|_| another_server())?.get(),
    };
    if let Guard::Member(_) = guard {
        if caller.user_id().is_none() {
            return Err(Problem::forbidden(
                "this route is for signed-in members only, not API keys",
            ));
        }
    }
    let Some(needed) = guard.scope() else {
        return Ok(());
    };
    match tokens.authorize(caller.guild_id, &caller.scopes, server, needed) {
        Ok(()) => Ok(()),
        Err(Error::Forbidden(_)) if server != caller.guild_id => Err(another_server()),
        Err(Error::Forbidden(_)) => Err(Problem::insufficient_scope(needed.as_str())),
        Err(other) => Err(Problem::from(other)),
    }
}

/// An actor as the API shows it: `{"type": "discord_user" | "api_key", "id": "..."}`.
pub fn actor_json(actor: &Actor) -> serde_json::Value {
    match actor {
        Actor::DiscordUser(id) => json!({ "type": "discord_user", "id": id.to_string() }),
        Actor::ApiKey(id) => json!({ "type": "api_key", "id": id }),
    }
}

/// Scopes as the API names them.
pub fn scope_names(scopes: &[Scope]) -> Vec<&'static str> {
    scopes.iter().map(|scope| scope.as_str()).collect()
}

/// `GET /api/v1/me`: who the credential belongs to.
pub fn me(caller: &Caller) -> Response {
    let mut body = json!({
        "guild_id": caller.guild_id.to_string(),
        "scopes": scope_names(&caller.scopes),
    });
    match &caller.principal {
        Principal::Member {
            user_id,
            role,
            expires_at,
            ..
        } => {
            body["kind"] = json!("member");
            body["user_id"] = json!(user_id.to_string());
            body["role"] = json!(role.as_str());
            body["expires_at"] = json!(expires_at);
        }
        Principal::Key {
            id,
            label,
            expires_at,
        } => {
            body["kind"] = json!("api_key");
            body["key_id"] = json!(id);
            body["label"] = json!(label);
            if let Some(at) = expires_at {
                body["expires_at"] = json!(at);
            }
        }
    }
    Response::json(200, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeIdentity;

    const GUILD: Snowflake = 100_000_000_000_000_001;
    const OTHER: Snowflake = 200_000_000_000_000_002;

    fn member(scopes: &[Scope]) -> Caller {
        Caller {
            guild_id: GUILD,
            scopes: scopes.to_vec(),
            principal: Principal::Member {
                user_id: 300_000_000_000_000_003,
                role: KalturaRole::Admin,
                session_id: "s1".into(),
                expires_at: 1,
            },
        }
    }

    fn key(scopes: &[Scope]) -> Caller {
        Caller {
            guild_id: GUILD,
            scopes: scopes.to_vec(),
            principal: Principal::Key {
                id: "0123456789abcdef".into(),
                label: "bot".into(),
                expires_at: None,
            },
        }
    }

    fn guild(id: impl ToString) -> Vec<(&'static str, String)> {
        vec![("guild_id", id.to_string())]
    }

    #[test]
    fn a_missing_or_non_bearer_header_is_a_401_with_a_challenge() {
        for header in [None, Some(""), Some("Basic abc"), Some("Bearer ")] {
            let problem = credential(header).unwrap_err();
            assert_eq!(problem.error.status, 401, "{header:?}");
            assert_eq!(problem.headers[0].0, "www-authenticate");
        }
    }

    #[test]
    fn api_keys_and_access_tokens_are_told_apart_by_their_prefix() {
        assert_eq!(
            credential(Some("bearer kdk_0123_abc")).unwrap(),
            Credential::ApiKey("kdk_0123_abc")
        );
        assert_eq!(
            credential(Some("Bearer  kd1.a.b ")).unwrap(),
            Credential::AccessToken("kd1.a.b")
        );
    }

    #[test]
    fn an_admin_of_one_server_is_refused_on_another_whatever_the_scopes() {
        let identity = FakeIdentity::default();
        let admin = member(Scope::ALL);
        let guard = Guard::Scope(Scope::ConfigWrite);
        let problem = authorize(&identity, guard, &guild(OTHER), &admin).unwrap_err();
        assert_eq!(problem.error.status, 403);
        assert_eq!(problem.error.code, "forbidden");
        assert!(problem.error.message.contains("another Discord server"));
        assert!(authorize(&identity, guard, &guild(GUILD), &admin).is_ok());
        let api_key = key(Scope::ALL);
        let problem = authorize(
            &identity,
            Guard::Scope(Scope::KeysManage),
            &guild(OTHER),
            &api_key,
        )
        .unwrap_err();
        assert_eq!(problem.error.status, 403);
        assert_eq!(
            identity.authorized.borrow().last(),
            Some(&(GUILD, OTHER, Scope::KeysManage)),
            "identity decided"
        );
    }

    #[test]
    fn a_path_server_that_is_not_a_discord_id_is_another_server() {
        let identity = FakeIdentity::default();
        let admin = member(Scope::ALL);
        for raw in ["0", "abc", "99999999999999999999", ""] {
            let problem = authorize(
                &identity,
                Guard::Scope(Scope::ConfigRead),
                &guild(raw),
                &admin,
            )
            .unwrap_err();
            assert_eq!(problem.error.status, 403, "{raw:?}");
        }
        assert!(
            identity.authorized.borrow().is_empty(),
            "no server to ask about"
        );
    }

    #[test]
    fn a_path_server_is_read_with_the_one_snowflake_rule() {
        // Pinned (issue 12): the path's server is parsed as every Discord ID is
        // (`discord_api::id`: decimal digits, fits 64 bits, not zero), so leading zeros
        // name the same server; the gateway used to compare the text.
        let identity = FakeIdentity::default();
        let admin = member(Scope::ALL);
        let padded = guild(format!("0{GUILD}"));
        assert!(authorize(&identity, Guard::Scope(Scope::ConfigRead), &padded, &admin).is_ok());
    }

    #[test]
    fn a_missing_scope_is_a_403_naming_it() {
        let identity = FakeIdentity::default();
        let viewer = member(&[Scope::MeetingsRead]);
        let problem =
            authorize(&identity, Guard::Scope(Scope::MeetingsWrite), &[], &viewer).unwrap_err();
        assert_eq!(problem.error.status, 403);
        assert_eq!(problem.error.code, "insufficient_scope");
        assert!(problem.error.message.contains("meetings:write"));
        assert!(authorize(&identity, Guard::Scope(Scope::MeetingsRead), &[], &viewer).is_ok());
        assert!(authorize(&identity, Guard::Authenticated, &[], &viewer).is_ok());
    }

    #[test]
    fn members_only_routes_refuse_api_keys() {
        let identity = FakeIdentity::default();
        let automation = key(&[Scope::MeetingsRead]);
        let guard = Guard::Member(Scope::MeetingsRead);
        let problem = authorize(&identity, guard, &[], &automation).unwrap_err();
        assert_eq!(problem.error.status, 403);
        assert!(authorize(&identity, guard, &[], &member(&[Scope::MeetingsRead])).is_ok());
    }

    #[test]
    fn a_failing_identity_is_not_a_refusal() {
        let identity = FakeIdentity::default();
        identity.fail_authorize(Error::Storage("down".into()));
        let problem = authorize(
            &identity,
            Guard::Scope(Scope::MeetingsRead),
            &[],
            &member(Scope::ALL),
        )
        .unwrap_err();
        assert_eq!(problem.error.status, 503);
        assert!(member(Scope::ALL)
            .holds(&identity, Scope::MeetingsRead)
            .is_err());
    }

    #[test]
    fn a_credential_holds_only_its_scopes() {
        let identity = FakeIdentity::default();
        let viewer = key(&[Scope::MeetingsRead]);
        assert!(viewer.holds(&identity, Scope::MeetingsRead).unwrap());
        assert!(!viewer.holds(&identity, Scope::MeetingsWrite).unwrap());
    }

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn an_unset_empty_or_short_admin_token_is_not_configured() {
        for value in [None, Some(""), Some("0123456789abcdef")] {
            let problem = AdminToken::from_setting(value).unwrap_err();
            assert_eq!(problem.error.status, 503, "{value:?}");
            assert_eq!(problem.error.code, "not_configured");
            assert!(problem.error.message.contains(ADMIN_TOKEN_SETTING));
            assert!(!problem.error.message.contains("0123456789abcdef"));
        }
        assert!(AdminToken::from_setting(Some(TOKEN)).is_ok());
    }

    #[test]
    fn the_admin_token_matches_itself_only_and_never_prints() {
        let admin = AdminToken::from_setting(Some(TOKEN)).unwrap();
        assert!(admin.matches(TOKEN));
        for other in [
            "",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdeF",
            &format!("{TOKEN}0"),
        ] {
            assert!(!admin.matches(other), "{other}");
        }
        assert!(!format!("{admin:?}").contains("0123"));
        assert_eq!(AdminToken::actor(), Actor::ApiKey(ADMIN_ACTOR_ID.into()));
    }

    #[test]
    fn the_admin_token_is_refused_as_a_server_credential() {
        let admin = AdminToken::from_setting(Some(TOKEN)).unwrap();
        let header = format!("Bearer {TOKEN}");
        let presented = credential(Some(&header)).unwrap();
        let problem = refuse_admin_token(Some(&admin), presented).unwrap_err();
        assert_eq!(problem.error.status, 403);
        assert!(!problem.error.message.contains(TOKEN));
        assert!(refuse_admin_token(None, presented).is_ok());
        let other = credential(Some("Bearer kd1.a.b")).unwrap();
        assert!(refuse_admin_token(Some(&admin), other).is_ok());
    }

    #[test]
    fn rate_limits_count_sessions_and_keys() {
        assert_eq!(member(&[]).rate_subject(), ("session", "s1"));
        assert_eq!(key(&[]).rate_subject(), ("key", "0123456789abcdef"));
        assert_eq!(key(&[]).actor(), Actor::ApiKey("0123456789abcdef".into()));
        assert_eq!(
            member(&[]).actor(),
            Actor::DiscordUser(300_000_000_000_000_003)
        );
    }

    #[test]
    fn actors_are_shown_with_their_ids_as_text() {
        assert_eq!(
            actor_json(&Actor::DiscordUser(300_000_000_000_000_003)),
            json!({"type": "discord_user", "id": "300000000000000003"})
        );
        assert_eq!(
            actor_json(&AdminToken::actor()),
            json!({"type": "api_key", "id": ADMIN_ACTOR_ID})
        );
    }
}
