//! The gateway's access and refresh tokens.
//!
//! # Format
//! `kd1.<claims>.<signature>`: `<claims>` is base64url without padding of a JSON object;
//! `<signature>` is base64url without padding of the 64-byte Ed25519 signature, by the
//! key in `gateway_signing_key` ([`crate::signing`]), of the ASCII text `kd1.<claims>`
//! (so the version is signed too). The signature is checked before the claims are read.
//!
//! | claim | meaning |
//! |---|---|
//! | `typ` | `access` or `refresh` |
//! | `sub` | Discord user ID |
//! | `guild` | Discord server ID the token is valid on |
//! | `role` | `viewer`, `moderator` or `admin` |
//! | `scopes` | scope names ([`crate::scopes`]) |
//! | `iat`, `exp` | issued at, expires at (Unix seconds) |
//! | `jti` | token ID: 128 random bits, base64url |
//! | `sid` | session ID: 128 random bits, base64url |
//! | `sexp` | when the session ends (Unix seconds) |
//! | `gen` | refresh tokens: the refresh generation, 0 at sign-in |
//! | `ttl` | refresh tokens: the lifetime of the access tokens it buys |
//!
//! # Sessions, rotation and revocation
//! [`issue`] starts a session of at most [`SESSION_SECONDS`]; nothing is stored. The
//! session gets a record, `identity/v1/session/<sid>` = `{v, generation, revoked,
//! expires_at}`, only when it is refreshed or revoked. [`refresh`] accepts a refresh
//! token only if its `gen` is the session's current generation, then moves the
//! generation on, so each refresh token works once; a token of an older generation
//! means it was copied, and revokes the session. [`revoke`] marks the session revoked;
//! [`verify`] refuses every token of a revoked session. Session records are deleted
//! by the expiry sweep ([`crate::expiry`]) once the session is over.
//!
//! # The member, re-checked on refresh
//! A session's role is the caller's to re-establish at each refresh: [`session_of`]
//! reads a refresh token's session (its user and server) with every check [`refresh`]
//! makes but without using the token up, the caller asks Discord and `config` who the
//! member is now, and [`refresh`] signs the new pair with *that* subject's role and
//! scopes (`check_subject`'s rule, the same as [`issue`]'s), after checking it names
//! the token's user and server. A refused subject leaves the token unused.
//!
//! The session record is changed through `common::cas` (`ports::update`): of
//! two refreshes racing with the same token on two replicas, one moves the generation
//! on and the other then finds its token used, and revokes the session.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use contracts::identity::{Claims, Scope, SessionInfo, Subject, TokenPair};
use contracts::KalturaRole;
use discord_api::id::{GuildId, GuildMarker, UserId, UserMarker};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Error, Result};
use crate::expiry;
use crate::ids;
use crate::keys;
use crate::ports::{self, Env};
use crate::scopes;
use crate::signing;
use common::KeyValue;

/// The version prefix of every token.
pub const VERSION_PREFIX: &str = "kd1.";

/// The shortest access token lifetime accepted, in seconds.
pub const MIN_TTL_SECONDS: u32 = 60;

/// The longest access token lifetime accepted, in seconds.
pub const MAX_TTL_SECONDS: u32 = 3600;

/// How long a session (and so its refresh tokens) lasts from sign-in, in seconds.
pub const SESSION_SECONDS: u64 = 12 * 3600;

/// How far in the future `iat` may be (clocks of replicas differ), in seconds.
pub const CLOCK_SKEW_SECONDS: u64 = 60;

/// The longest token read; anything longer is malformed.
pub const MAX_TOKEN_CHARS: usize = 4096;

const SESSION_SCHEMA_VERSION: u32 = 1;
const RANDOM_ID_BYTES: usize = 16;
/// The length of a base64url-encoded 16-byte random ID.
const RANDOM_ID_CHARS: usize = 22;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum TokenType {
    Access,
    Refresh,
}

/// The JSON claims of a token, in the documented order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Wire {
    typ: TokenType,
    sub: String,
    guild: String,
    role: KalturaRole,
    scopes: Vec<String>,
    iat: u64,
    exp: u64,
    jti: String,
    sid: String,
    sexp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gen: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Session {
    v: u32,
    generation: u64,
    revoked: bool,
    expires_at: u64,
}

fn malformed() -> Error {
    Error::invalid("token: not a well-formed kd1 token")
}

fn random_id(env: &Env<'_>) -> String {
    URL_SAFE_NO_PAD.encode(env.random_array::<RANDOM_ID_BYTES>())
}

fn is_random_id(value: &str) -> bool {
    value.len() == RANDOM_ID_CHARS
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn encode(key: &SigningKey, wire: &Wire) -> Result<String> {
    let json =
        serde_json::to_vec(wire).map_err(|_| Error::other("token claims could not be encoded"))?;
    let signed = format!("{VERSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(json));
    let signature = key.sign(signed.as_bytes());
    Ok(format!(
        "{signed}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

/// Checks the shape and signature of `token`, then reads its claims.
fn decode(key: &VerifyingKey, token: &str) -> Result<Wire> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(malformed());
    }
    let body = token.strip_prefix(VERSION_PREFIX).ok_or_else(malformed)?;
    let (payload, signature) = body.split_once('.').ok_or_else(malformed)?;
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(malformed)?;
    let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| malformed())?;
    let signed = &token.as_bytes()[..VERSION_PREFIX.len() + payload.len()];
    key.verify_strict(signed, &Signature::from_bytes(&signature))
        .map_err(|_| Error::forbidden("the token's signature is not valid"))?;
    let wire: Wire = serde_json::from_slice(&json).map_err(|_| malformed())?;
    // Signed by this service, so these hold unless the key leaked; check anyway, the
    // session ID becomes part of a key-value key.
    let sane = ids::parse::<UserMarker>("sub", &wire.sub).is_ok()
        && ids::parse::<GuildMarker>("guild", &wire.guild).is_ok()
        && is_random_id(&wire.jti)
        && is_random_id(&wire.sid)
        && wire.exp <= wire.sexp;
    if !sane {
        return Err(malformed());
    }
    Ok(wire)
}

fn check_window(wire: &Wire, now: u64) -> Result<()> {
    if wire.iat > now.saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(Error::forbidden("the token is not valid yet"));
    }
    if now >= wire.exp {
        return Err(Error::forbidden("the token has expired"));
    }
    Ok(())
}

fn parse_session(bytes: Option<&[u8]>, now: u64) -> Option<Session> {
    let session: Session = serde_json::from_slice(bytes?)
        .ok()
        .filter(|s: &Session| s.v == SESSION_SCHEMA_VERSION)
        // Fail closed: a session whose state cannot be read is treated as revoked.
        .unwrap_or(Session {
            v: SESSION_SCHEMA_VERSION,
            generation: u64::MAX,
            revoked: true,
            expires_at: u64::MAX,
        });
    (session.expires_at > now).then_some(session)
}

fn read_session(kv: &dyn KeyValue, sid: &str, now: u64) -> Result<Option<Session>> {
    Ok(parse_session(
        ports::read(kv, &keys::session(sid))?.as_deref(),
        now,
    ))
}

/// Changes the session record of `wire` atomically: `change` gets the current session
/// (`None` if it has none or it is over) and returns the session to write (`None`:
/// nothing to write) and what to answer. A new record is listed for expiry before it is
/// written, so it cannot be left behind unlisted.
fn update_session<T>(
    env: &Env<'_>,
    wire: &Wire,
    now: u64,
    mut change: impl FnMut(Option<Session>) -> (Option<Session>, T),
) -> Result<T> {
    let key = keys::session(&wire.sid);
    ports::update(env.kv, &key, |current| {
        let session = parse_session(current, now);
        let (next, answer) = change(session);
        let Some(next) = next else {
            return Ok((None, answer));
        };
        if session.is_none() {
            expiry::register(env.kv, &key, next.expires_at)?;
        }
        let bytes = serde_json::to_vec(&next)
            .map_err(|_| Error::other("a session record could not be encoded"))?;
        Ok((Some(bytes), answer))
    })
}

fn revoked() -> Error {
    Error::forbidden("the token's session was revoked")
}

fn reused() -> Error {
    Error::forbidden("the refresh token was already used; its session is now revoked")
}

/// What presenting a refresh token of generation `generation` to its session means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presented {
    /// The session's current refresh token.
    Current,
    /// The session was revoked.
    Revoked,
    /// An older generation's token: it was used already, so it was copied.
    Reused,
}

fn judge(session: Option<Session>, generation: u64) -> Presented {
    match session {
        Some(s) if s.revoked => Presented::Revoked,
        Some(s) if s.generation != generation => Presented::Reused,
        None if generation != 0 => Presented::Reused,
        _ => Presented::Current,
    }
}

/// The session `wire` belongs to, marked revoked (unless it already is).
fn revoke_session(env: &Env<'_>, wire: &Wire, now: u64) -> Result<()> {
    expiry::sweep(env.kv, now)?;
    update_session(env, wire, now, |session| {
        if session.is_some_and(|s| s.revoked) {
            return (None, ());
        }
        let revoked_session = Session {
            v: SESSION_SCHEMA_VERSION,
            generation: session.map_or(0, |s| s.generation),
            revoked: true,
            expires_at: wire.sexp,
        };
        (Some(revoked_session), ())
    })
}

/// The user, the server and the normalized scopes of `subject`, by the one rule for
/// every token issued: non-zero IDs, at least one scope, and only scopes its role
/// grants ([`scopes::for_role`]).
///
/// # Errors
/// `invalid` naming `field` for a zero ID or no scopes; `forbidden` for a scope the
/// role does not grant.
fn check_subject(field: &str, subject: &Subject) -> Result<(UserId, GuildId, Vec<Scope>)> {
    let user = ids::snowflake::<UserMarker>(&format!("{field}.user-id"), subject.user_id)?;
    let guild = ids::snowflake::<GuildMarker>(&format!("{field}.guild-id"), subject.guild_id)?;
    if subject.scopes.is_empty() {
        return Err(invalid(&format!("{field}.scopes"), "must not be empty"));
    }
    let allowed = scopes::for_role(subject.role);
    let requested = scopes::normalize(&subject.scopes);
    if let Some(extra) = requested.iter().find(|s| !allowed.contains(s)) {
        return Err(Error::forbidden(format!(
            "the role {} does not grant the scope {extra}",
            subject.role
        )));
    }
    Ok((user, guild, requested))
}

/// Signs an access and a refresh token for a session.
fn sign_pair(
    env: &Env<'_>,
    key: &SigningKey,
    template: &Wire,
    now: u64,
    generation: u64,
) -> Result<TokenPair> {
    let ttl = template.ttl.unwrap_or(MIN_TTL_SECONDS);
    let access = Wire {
        typ: TokenType::Access,
        iat: now,
        exp: now.saturating_add(u64::from(ttl)).min(template.sexp),
        jti: random_id(env),
        gen: None,
        ttl: None,
        ..template.clone()
    };
    let refresh = Wire {
        typ: TokenType::Refresh,
        iat: now,
        exp: template.sexp,
        jti: random_id(env),
        gen: Some(generation),
        ttl: Some(ttl),
        ..template.clone()
    };
    Ok(TokenPair {
        access: encode(key, &access)?,
        refresh: encode(key, &refresh)?,
        expires_at: access.exp,
        refresh_expires_at: refresh.exp,
    })
}

/// Starts a session for `subject`: an access token valid `ttl_seconds` and a refresh
/// token valid [`SESSION_SECONDS`]. Stores nothing.
///
/// # Errors
/// `invalid` for a zero ID, no scopes or a lifetime outside 60..=3600 s; `forbidden`
/// for a scope the role does not grant; `not-configured` when the signing key is
/// unusable.
pub fn issue(env: &Env<'_>, subject: &Subject, ttl_seconds: u32) -> Result<TokenPair> {
    let (user, guild, requested) = check_subject("subject", subject)?;
    if !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&ttl_seconds) {
        return Err(invalid(
            "ttl-seconds",
            format!("must be from {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS}"),
        ));
    }
    let key = signing::load(env.vars)?;
    let now = env.clock.now_secs();
    let session_end = now.saturating_add(SESSION_SECONDS);
    let template = Wire {
        typ: TokenType::Refresh,
        sub: user.to_string(),
        guild: guild.to_string(),
        role: subject.role,
        scopes: scopes::names(&requested),
        iat: now,
        exp: session_end,
        jti: String::new(),
        sid: random_id(env),
        sexp: session_end,
        gen: None,
        ttl: Some(ttl_seconds),
    };
    sign_pair(env, &key, &template, now, 0)
}

/// Checks an access token: signature, time window, session not revoked.
///
/// # Errors
/// `invalid` when it is not a well-formed access token; `forbidden` when forged, signed
/// by another key, expired, not valid yet or revoked; `not-configured`; `storage`.
pub fn verify(env: &Env<'_>, access: &str) -> Result<Claims> {
    let key = signing::load(env.vars)?;
    let wire = decode(&key.verifying_key(), access)?;
    if wire.typ != TokenType::Access {
        return Err(Error::invalid("token: not an access token"));
    }
    let now = env.clock.now_secs();
    check_window(&wire, now)?;
    if read_session(env.kv, &wire.sid, now)?.is_some_and(|s| s.revoked) {
        return Err(revoked());
    }
    let user = ids::parse::<UserMarker>("sub", &wire.sub).map_err(|_| malformed())?;
    let guild = ids::parse::<GuildMarker>("guild", &wire.guild).map_err(|_| malformed())?;
    Ok(Claims {
        scopes: scopes::parse_known(&wire.scopes),
        user_id: user.get(),
        guild_id: guild.get(),
        role: wire.role,
        issued_at: wire.iat,
        expires_at: wire.exp,
        token_id: wire.jti,
        session_id: wire.sid,
    })
}

/// A presented refresh token, checked: signed by this service's key, a refresh token,
/// in its time window. Its session is not read yet.
struct Presentation {
    key: SigningKey,
    wire: Wire,
    generation: u64,
    now: u64,
}

fn present(env: &Env<'_>, refresh_token: &str) -> Result<Presentation> {
    let key = signing::load(env.vars)?;
    let wire = decode(&key.verifying_key(), refresh_token)?;
    let (Some(generation), Some(ttl)) = (wire.gen, wire.ttl) else {
        return Err(Error::invalid("token: not a refresh token"));
    };
    if wire.typ != TokenType::Refresh || !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&ttl) {
        return Err(Error::invalid("token: not a refresh token"));
    }
    let now = env.clock.now_secs();
    check_window(&wire, now)?;
    Ok(Presentation {
        key,
        wire,
        generation,
        now,
    })
}

/// The session of a refresh token, checked as [`refresh`] checks it, without using the
/// token up; a token already used revokes the session, as in [`refresh`].
///
/// # Errors
/// `invalid` when it is not a well-formed refresh token; `forbidden` when forged,
/// expired, not valid yet, already used or revoked; `not-configured`; `storage`.
pub fn session_of(env: &Env<'_>, refresh_token: &str) -> Result<SessionInfo> {
    let Presentation {
        wire,
        generation,
        now,
        ..
    } = present(env, refresh_token)?;
    match judge(read_session(env.kv, &wire.sid, now)?, generation) {
        Presented::Revoked => return Err(revoked()),
        Presented::Reused => {
            revoke_session(env, &wire, now)?;
            return Err(reused());
        }
        Presented::Current => {}
    }
    let user = ids::parse::<UserMarker>("sub", &wire.sub).map_err(|_| malformed())?;
    let guild = ids::parse::<GuildMarker>("guild", &wire.guild).map_err(|_| malformed())?;
    Ok(SessionInfo {
        user_id: user.get(),
        guild_id: guild.get(),
        role: wire.role,
        scopes: scopes::parse_known(&wire.scopes),
        session_id: wire.sid,
        expires_at: wire.sexp,
    })
}

/// Exchanges a refresh token for a new pair for `current`, the member as the caller
/// re-established them just now: the new tokens carry its role and scopes. The token
/// presented stops working, and presenting a used one revokes the session.
///
/// # Errors
/// `invalid` when it is not a well-formed refresh token, or `current` names another
/// user or server or has no scopes; `forbidden` for a scope `current`'s role does not
/// grant, or a token forged, expired, not valid yet, already used or revoked;
/// `not-configured`; `storage`. A refused `current` leaves the token unused.
pub fn refresh(env: &Env<'_>, refresh_token: &str, current: &Subject) -> Result<TokenPair> {
    let Presentation {
        key,
        wire,
        generation,
        now,
    } = present(env, refresh_token)?;
    let (user, guild, granted) = check_subject("current", current)?;
    if user.to_string() != wire.sub || guild.to_string() != wire.guild {
        return Err(invalid(
            "current",
            "must name the refresh token's own user and server",
        ));
    }
    expiry::sweep(env.kv, now)?;
    let next = generation.saturating_add(1);
    let outcome = update_session(env, &wire, now, |session| {
        match judge(session, generation) {
            Presented::Revoked => (None, Err(revoked())),
            Presented::Reused => {
                let revoked_session = Session {
                    v: SESSION_SCHEMA_VERSION,
                    generation: session.map_or(0, |s| s.generation),
                    revoked: true,
                    expires_at: wire.sexp,
                };
                (Some(revoked_session), Err(reused()))
            }
            Presented::Current => {
                let rotated = Session {
                    v: SESSION_SCHEMA_VERSION,
                    generation: next,
                    revoked: false,
                    expires_at: wire.sexp,
                };
                (Some(rotated), Ok(()))
            }
        }
    })?;
    outcome?;
    // The member as they are now: their current role, and only the scopes it grants.
    let template = Wire {
        role: current.role,
        scopes: scopes::names(&granted),
        ..wire
    };
    sign_pair(env, &key, &template, now, next)
}

/// Revokes the session of `token` (access or refresh, expired or not).
///
/// # Errors
/// `invalid` when it is not a well-formed token; `forbidden` when its signature is not
/// valid; `not-configured`; `storage`.
pub fn revoke(env: &Env<'_>, token: &str) -> Result<()> {
    let key = signing::load(env.vars)?;
    let wire = decode(&key.verifying_key(), token)?;
    let now = env.clock.now_secs();
    if now >= wire.sexp {
        // The session is over: nothing of it works any more.
        return Ok(());
    }
    revoke_session(env, &wire, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fixture, OTHER_SEED, START};
    use common::cas::MemoryCasStore;
    use common::{MemoryVariables, StoreError};
    use contracts::identity::Scope;
    use std::time::Duration;

    const USER: u64 = 222_222_222_222_222_222;
    const GUILD: u64 = 111_111_111_111_111_111;

    fn subject(role: KalturaRole, scopes: &[Scope]) -> Subject {
        Subject {
            user_id: USER,
            guild_id: GUILD,
            role,
            scopes: scopes.to_vec(),
        }
    }

    fn moderator() -> Subject {
        subject(
            KalturaRole::Moderator,
            &[Scope::MeetingsWrite, Scope::MeetingsRead],
        )
    }

    fn claims_json(token: &str) -> serde_json::Value {
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    }

    fn forbidden(result: Result<impl std::fmt::Debug>, why: &str) {
        match result {
            Err(Error::Forbidden(message)) => assert!(message.contains(why), "{message}"),
            other => panic!("expected forbidden ({why}), got {other:?}"),
        }
    }

    fn invalid(result: Result<impl std::fmt::Debug>) {
        assert!(
            matches!(result, Err(Error::Invalid(_))),
            "expected invalid, got {result:?}"
        );
    }

    #[test]
    fn an_issued_access_token_verifies_to_its_subject() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        assert!(pair.access.starts_with("kd1."));
        assert_eq!(pair.expires_at, START + 300);
        assert_eq!(pair.refresh_expires_at, START + SESSION_SECONDS);
        let claims = verify(&fx.env(), &pair.access).unwrap();
        assert_eq!(claims.user_id, USER);
        assert_eq!(claims.guild_id, GUILD);
        assert_eq!(claims.role, KalturaRole::Moderator);
        assert_eq!(claims.scopes, [Scope::MeetingsRead, Scope::MeetingsWrite]);
        assert_eq!((claims.issued_at, claims.expires_at), (START, START + 300));
        assert_eq!(claims.token_id.len(), 22);
        assert_eq!(claims.session_id.len(), 22);
        assert!(fx.kv.keys().is_empty(), "issuing stores nothing");
    }

    #[test]
    fn the_claims_have_the_documented_names() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let access = claims_json(&pair.access);
        let mut names: Vec<&str> = access
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["exp", "guild", "iat", "jti", "role", "scopes", "sexp", "sid", "sub", "typ"]
        );
        assert_eq!(access["typ"], "access");
        assert_eq!(
            access["scopes"],
            serde_json::json!(["meetings:read", "meetings:write"])
        );
        let refresh = claims_json(&pair.refresh);
        assert_eq!(refresh["typ"], "refresh");
        assert_eq!(
            (refresh["gen"].as_u64(), refresh["ttl"].as_u64()),
            (Some(0), Some(300))
        );
        assert_eq!(access["sid"], refresh["sid"]);
        assert_ne!(access["jti"], refresh["jti"]);
    }

    #[test]
    fn the_signature_covers_the_version_prefix_and_claims() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let (signed, signature) = pair.access.rsplit_once('.').unwrap();
        let key = signing::load(&fx.vars).unwrap().verifying_key();
        let signature: [u8; 64] = URL_SAFE_NO_PAD
            .decode(signature)
            .unwrap()
            .try_into()
            .unwrap();
        key.verify_strict(signed.as_bytes(), &Signature::from_bytes(&signature))
            .unwrap();
    }

    #[test]
    fn a_token_with_tampered_claims_is_forbidden() {
        let fx = Fixture::new();
        let pair = issue(
            &fx.env(),
            &subject(KalturaRole::Viewer, &[Scope::MeetingsRead]),
            300,
        )
        .unwrap();
        let mut claims = claims_json(&pair.access);
        claims["role"] = "admin".into();
        claims["scopes"] = serde_json::json!(["keys:manage"]);
        let signature = pair.access.rsplit_once('.').unwrap().1;
        let forged = format!(
            "kd1.{}.{signature}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
        );
        forbidden(verify(&fx.env(), &forged), "signature");
    }

    #[test]
    fn a_token_with_a_tampered_signature_is_forbidden() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let (signed, signature) = pair.access.rsplit_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
        bytes[10] ^= 1;
        let tampered = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes));
        forbidden(verify(&fx.env(), &tampered), "signature");
    }

    #[test]
    fn a_token_signed_with_another_key_is_forbidden() {
        let fx = Fixture::new();
        let mut other = Fixture::new();
        other.vars = MemoryVariables::from_pairs(&[(signing::SIGNING_KEY_VARIABLE, OTHER_SEED)]);
        let pair = issue(&other.env(), &moderator(), 300).unwrap();
        forbidden(verify(&fx.env(), &pair.access), "signature");
        forbidden(refresh(&fx.env(), &pair.refresh, &moderator()), "signature");
        forbidden(revoke(&fx.env(), &pair.refresh), "signature");
    }

    #[test]
    fn an_expired_token_is_forbidden() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        fx.clock.advance(Duration::from_secs(299));
        verify(&fx.env(), &pair.access).unwrap();
        fx.clock.advance(Duration::from_secs(1));
        forbidden(verify(&fx.env(), &pair.access), "expired");
    }

    #[test]
    fn a_token_issued_in_the_future_is_not_valid_yet() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        fx.clock.set_secs(START - CLOCK_SKEW_SECONDS);
        verify(&fx.env(), &pair.access).unwrap();
        fx.clock.set_secs(START - CLOCK_SKEW_SECONDS - 1);
        forbidden(verify(&fx.env(), &pair.access), "not valid yet");
        forbidden(
            refresh(&fx.env(), &pair.refresh, &moderator()),
            "not valid yet",
        );
    }

    #[test]
    fn a_revoked_session_refuses_its_access_and_refresh_tokens() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let other = issue(&fx.env(), &moderator(), 300).unwrap();
        revoke(&fx.env(), &pair.access).unwrap();
        forbidden(verify(&fx.env(), &pair.access), "revoked");
        forbidden(refresh(&fx.env(), &pair.refresh, &moderator()), "revoked");
        // Revoking again succeeds; other sessions are untouched.
        revoke(&fx.env(), &pair.refresh).unwrap();
        verify(&fx.env(), &other.access).unwrap();
    }

    #[test]
    fn refresh_rotates_and_the_used_refresh_token_is_refused() {
        let fx = Fixture::new();
        let first = issue(&fx.env(), &moderator(), 300).unwrap();
        fx.clock.advance(Duration::from_secs(250));
        let second = refresh(&fx.env(), &first.refresh, &moderator()).unwrap();
        assert_eq!(second.expires_at, START + 250 + 300);
        assert_eq!(
            second.refresh_expires_at, first.refresh_expires_at,
            "the session is not extended"
        );
        let claims = verify(&fx.env(), &second.access).unwrap();
        assert_eq!(claims.role, KalturaRole::Moderator);
        assert_eq!(claims.scopes, [Scope::MeetingsRead, Scope::MeetingsWrite]);
        // The access token of before still works until it expires.
        verify(&fx.env(), &first.access).unwrap();

        forbidden(
            refresh(&fx.env(), &first.refresh, &moderator()),
            "already used",
        );
        // Reuse means a copy exists: the whole session is revoked.
        forbidden(verify(&fx.env(), &second.access), "revoked");
        forbidden(refresh(&fx.env(), &second.refresh, &moderator()), "revoked");
    }

    fn admin() -> Subject {
        subject(KalturaRole::Admin, Scope::ALL)
    }

    #[test]
    fn a_refresh_carries_the_role_the_member_has_now_and_only_its_scopes() {
        let fx = Fixture::new();
        let first = issue(&fx.env(), &admin(), 300).unwrap();
        let viewer = subject(KalturaRole::Viewer, &[Scope::MeetingsRead]);
        let second = refresh(&fx.env(), &first.refresh, &viewer).unwrap();
        let claims = verify(&fx.env(), &second.access).unwrap();
        assert_eq!(claims.role, KalturaRole::Viewer);
        assert_eq!(claims.scopes, [Scope::MeetingsRead]);
        assert_eq!(
            claims_json(&second.refresh)["scopes"],
            serde_json::json!(["meetings:read"]),
            "the next refresh starts from the demoted grant too"
        );
        // A promotion reaches the session the same way.
        let third = refresh(&fx.env(), &second.refresh, &admin()).unwrap();
        assert_eq!(verify(&fx.env(), &third.access).unwrap().scopes, Scope::ALL);
    }

    #[test]
    fn a_refresh_for_more_than_the_current_role_grants_is_refused_and_uses_nothing() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &admin(), 300).unwrap();
        let overreach = subject(
            KalturaRole::Viewer,
            &[Scope::MeetingsRead, Scope::KeysManage],
        );
        forbidden(
            refresh(&fx.env(), &pair.refresh, &overreach),
            "does not grant the scope keys:manage",
        );
        invalid(refresh(
            &fx.env(),
            &pair.refresh,
            &subject(KalturaRole::Viewer, &[]),
        ));
        // The token was not used up by the refusals.
        refresh(&fx.env(), &pair.refresh, &moderator()).unwrap();
    }

    #[test]
    fn a_refresh_for_another_user_or_server_is_invalid_and_uses_nothing() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        for other in [
            Subject {
                user_id: USER + 1,
                ..moderator()
            },
            Subject {
                guild_id: GUILD + 1,
                ..moderator()
            },
        ] {
            match refresh(&fx.env(), &pair.refresh, &other) {
                Err(Error::Invalid(m)) => assert!(m.contains("own user and server"), "{m}"),
                other => panic!("expected invalid, got {other:?}"),
            }
        }
        refresh(&fx.env(), &pair.refresh, &moderator()).unwrap();
    }

    #[test]
    fn session_of_names_the_user_and_server_without_using_the_token() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &admin(), 300).unwrap();
        let session = session_of(&fx.env(), &pair.refresh).unwrap();
        assert_eq!(
            session,
            SessionInfo {
                user_id: USER,
                guild_id: GUILD,
                role: KalturaRole::Admin,
                scopes: Scope::ALL.to_vec(),
                session_id: claims_json(&pair.refresh)["sid"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                expires_at: START + SESSION_SECONDS,
            }
        );
        assert!(fx.kv.keys().is_empty(), "reading stores nothing");
        session_of(&fx.env(), &pair.refresh).unwrap();
        refresh(&fx.env(), &pair.refresh, &admin()).unwrap();
    }

    #[test]
    fn session_of_refuses_what_refresh_refuses_and_a_reused_token_revokes_the_session() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        invalid(session_of(&fx.env(), &pair.access));
        invalid(session_of(&fx.env(), "kd1.x.y"));
        let second = refresh(&fx.env(), &pair.refresh, &moderator()).unwrap();
        assert_eq!(
            session_of(&fx.env(), &second.refresh).unwrap().role,
            KalturaRole::Moderator
        );
        forbidden(session_of(&fx.env(), &pair.refresh), "already used");
        forbidden(verify(&fx.env(), &second.access), "revoked");
        forbidden(session_of(&fx.env(), &second.refresh), "revoked");

        let revoked_pair = issue(&fx.env(), &moderator(), 300).unwrap();
        revoke(&fx.env(), &revoked_pair.access).unwrap();
        forbidden(session_of(&fx.env(), &revoked_pair.refresh), "revoked");
        fx.clock.set_secs(START + SESSION_SECONDS);
        let expired = issue(&fx.env(), &moderator(), 300).unwrap();
        fx.clock.set_secs(START + 2 * SESSION_SECONDS);
        forbidden(session_of(&fx.env(), &expired.refresh), "expired");
    }

    #[test]
    fn a_chain_of_refreshes_works_until_the_session_ends() {
        let fx = Fixture::new();
        let mut pair = issue(&fx.env(), &moderator(), 3600).unwrap();
        for _ in 0..11 {
            fx.clock.advance(Duration::from_secs(3600));
            pair = refresh(&fx.env(), &pair.refresh, &moderator()).unwrap();
        }
        assert_eq!(
            pair.expires_at,
            START + SESSION_SECONDS,
            "cut at the session's end"
        );
        fx.clock.set_secs(START + SESSION_SECONDS);
        forbidden(refresh(&fx.env(), &pair.refresh, &moderator()), "expired");
        forbidden(verify(&fx.env(), &pair.access), "expired");
    }

    #[test]
    fn session_records_are_swept_after_the_session_ends() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        revoke(&fx.env(), &pair.access).unwrap();
        assert!(fx
            .kv
            .keys()
            .iter()
            .any(|k| k.starts_with("identity/v1/session/")));
        fx.clock
            .set_secs(START + SESSION_SECONDS + expiry::BUCKET_SECONDS);
        let later = issue(&fx.env(), &moderator(), 300).unwrap();
        revoke(&fx.env(), &later.access).unwrap();
        let later_sid = claims_json(&later.access)["sid"]
            .as_str()
            .unwrap()
            .to_owned();
        let sessions: Vec<String> = fx
            .kv
            .keys()
            .into_iter()
            .filter(|k| k.starts_with("identity/v1/session/"))
            .collect();
        assert!(!sessions.is_empty());
        assert!(
            sessions
                .iter()
                .all(|k| k.starts_with(&keys::session(&later_sid))),
            "only the new session's record (all its keys) is left: {sessions:?}"
        );
    }

    #[test]
    fn an_access_token_is_not_a_refresh_token_and_back() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        invalid(verify(&fx.env(), &pair.refresh));
        invalid(refresh(&fx.env(), &pair.access, &moderator()));
    }

    #[test]
    fn malformed_tokens_are_invalid() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let without_prefix = pair.access.trim_start_matches("kd1.").to_owned();
        let (signed, _) = pair.access.rsplit_once('.').unwrap();
        for bad in [
            String::new(),
            "kd1.".into(),
            "kd1..".into(),
            "Bearer x".into(),
            without_prefix,
            format!("kd2.{}", &pair.access[4..]),
            format!("{signed}.c2hvcnQ"),
            format!("{signed}.!!!"),
            format!("{}.x", pair.access),
            format!("kd1.{}", "a".repeat(MAX_TOKEN_CHARS)),
        ] {
            invalid(verify(&fx.env(), &bad));
            invalid(refresh(&fx.env(), &bad, &moderator()));
            invalid(revoke(&fx.env(), &bad));
        }
    }

    #[test]
    fn signed_claims_that_are_not_ours_are_invalid() {
        let fx = Fixture::new();
        let key = signing::load(&fx.vars).unwrap();
        let good = Wire {
            typ: TokenType::Access,
            sub: USER.to_string(),
            guild: GUILD.to_string(),
            role: KalturaRole::Viewer,
            scopes: vec!["meetings:read".into()],
            iat: START,
            exp: START + 60,
            jti: "A".repeat(22),
            sid: "B".repeat(22),
            sexp: START + 60,
            gen: None,
            ttl: None,
        };
        assert!(verify(&fx.env(), &encode(&key, &good).unwrap()).is_ok());
        for bad in [
            Wire {
                sid: "../../config/v1/guild/1xxxx".into(),
                ..good.clone()
            },
            Wire {
                sub: "0".into(),
                ..good.clone()
            },
            Wire {
                guild: "guild".into(),
                ..good.clone()
            },
            Wire {
                exp: START + 61,
                ..good.clone()
            },
        ] {
            invalid(verify(&fx.env(), &encode(&key, &bad).unwrap()));
        }
    }

    #[test]
    fn unknown_scope_names_in_a_token_are_dropped() {
        let fx = Fixture::new();
        let key = signing::load(&fx.vars).unwrap();
        let wire = Wire {
            typ: TokenType::Access,
            sub: USER.to_string(),
            guild: GUILD.to_string(),
            role: KalturaRole::Viewer,
            scopes: vec!["meetings:read".into(), "everything:all".into()],
            iat: START,
            exp: START + 60,
            jti: "A".repeat(22),
            sid: "B".repeat(22),
            sexp: START + 60,
            gen: None,
            ttl: None,
        };
        let claims = verify(&fx.env(), &encode(&key, &wire).unwrap()).unwrap();
        assert_eq!(claims.scopes, [Scope::MeetingsRead]);
    }

    #[test]
    fn a_role_cannot_be_issued_scopes_it_does_not_grant() {
        let fx = Fixture::new();
        forbidden(
            issue(
                &fx.env(),
                &subject(KalturaRole::Viewer, &[Scope::MeetingsWrite]),
                300,
            ),
            "does not grant the scope meetings:write",
        );
        forbidden(
            issue(
                &fx.env(),
                &subject(KalturaRole::Moderator, &[Scope::KeysManage]),
                300,
            ),
            "keys:manage",
        );
        issue(&fx.env(), &subject(KalturaRole::Admin, Scope::ALL), 300).unwrap();
    }

    #[test]
    fn issuing_rejects_malformed_subjects_and_lifetimes() {
        let fx = Fixture::new();
        invalid(issue(&fx.env(), &subject(KalturaRole::Viewer, &[]), 300));
        invalid(issue(
            &fx.env(),
            &Subject {
                user_id: 0,
                ..moderator()
            },
            300,
        ));
        invalid(issue(
            &fx.env(),
            &Subject {
                guild_id: 0,
                ..moderator()
            },
            300,
        ));
        invalid(issue(&fx.env(), &moderator(), MIN_TTL_SECONDS - 1));
        invalid(issue(&fx.env(), &moderator(), MAX_TTL_SECONDS + 1));
    }

    #[test]
    fn without_a_signing_key_nothing_is_issued_or_accepted() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let mut bare = Fixture::new();
        bare.vars = MemoryVariables::default();
        let not_configured = Error::NotConfigured(signing::SIGNING_KEY_VARIABLE.into());
        assert_eq!(
            issue(&bare.env(), &moderator(), 300).unwrap_err(),
            not_configured
        );
        assert_eq!(
            verify(&bare.env(), &pair.access).unwrap_err(),
            not_configured
        );
        assert_eq!(
            refresh(&bare.env(), &pair.refresh, &moderator()).unwrap_err(),
            not_configured
        );
        assert_eq!(
            revoke(&bare.env(), &pair.access).unwrap_err(),
            not_configured
        );
    }

    #[test]
    fn a_failing_store_refuses_the_token_rather_than_accepting_it() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let failing = MemoryCasStore::default();
        failing.fail_with(Some(StoreError::Other("down".into())));
        let env = Env {
            kv: &failing,
            ..fx.env()
        };
        assert!(matches!(verify(&env, &pair.access), Err(Error::Storage(_))));
        assert!(matches!(
            refresh(&env, &pair.refresh, &moderator()),
            Err(Error::Storage(_))
        ));
    }

    #[test]
    fn an_unreadable_session_record_counts_as_revoked() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let sid = claims_json(&pair.access)["sid"]
            .as_str()
            .unwrap()
            .to_owned();
        common::cas::write(&fx.kv, &keys::session(&sid), b"garbage").unwrap();
        forbidden(verify(&fx.env(), &pair.access), "revoked");
    }

    #[test]
    fn errors_and_stored_values_never_carry_tokens_or_the_key() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let second = refresh(&fx.env(), &pair.refresh, &moderator()).unwrap();
        let reuse = refresh(&fx.env(), &pair.refresh, &moderator())
            .unwrap_err()
            .to_string();
        let tampered = verify(&fx.env(), &format!("{}x", second.access))
            .unwrap_err()
            .to_string();
        let seed = fx.vars.0[signing::SIGNING_KEY_VARIABLE].clone();
        let secrets = [
            &pair.access,
            &pair.refresh,
            &second.access,
            &second.refresh,
            &seed,
        ];
        for secret in secrets {
            let sig = secret.rsplit('.').next().unwrap();
            for text in [&reuse, &tampered] {
                assert!(!text.contains(sig), "{text}");
            }
            for key in fx.kv.keys() {
                let value = fx.kv.get(&key).unwrap().unwrap();
                let value = String::from_utf8_lossy(&value);
                assert!(!value.contains(sig) && !key.contains(sig));
            }
        }
    }

    #[test]
    fn of_two_refreshes_racing_with_one_token_only_one_succeeds() {
        let fx = Fixture::new();
        let pair = issue(&fx.env(), &moderator(), 300).unwrap();
        let second = refresh(&fx.env(), &pair.refresh, &moderator()).unwrap();
        // Another replica rotates the session with the same token between this one's
        // read and write.
        let key = keys::session(&verify(&fx.env(), &second.access).unwrap().session_id);
        let raced = ports::read(&fx.kv, &key).unwrap().unwrap();
        let mut other: Session = serde_json::from_slice(&raced).unwrap();
        other.generation += 1;
        let other = serde_json::to_vec(&other).unwrap();
        fx.kv.before_next_swap(move |other_replica| {
            common::cas::write(other_replica, &key, &other).unwrap();
        });
        assert!(matches!(
            refresh(&fx.env(), &second.refresh, &moderator()),
            Err(Error::Forbidden(m)) if m.contains("already used")
        ));
        assert_eq!(verify(&fx.env(), &second.access), Err(revoked()));
    }
}
