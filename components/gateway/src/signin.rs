//! Sign-in with Discord (`POST /api/v1/auth/discord`), refresh and revoke.
//!
//! Nobody gets a token without proving who they are, and nothing a client says about
//! itself is believed:
//! 1. the OAuth2 authorization code is exchanged with Discord (the application's client
//!    ID and secret) — a made-up code fails here (401);
//! 2. `GET /users/@me` with the user's Discord token says who the user is;
//! 3. with the bot token, Discord's own records of that user on the server named in
//!    the request — the guild member (404 if not a member: 403 here), the guild (its
//!    owner) and its roles — give the member's role IDs and base permissions
//!    ([`membership::lookup`]). Roles or permissions in the request body are never read;
//! 4. `config` (`role-for`) decides the member's Kaltura role from the server's role
//!    mapping; `identity` records the member and their Kaltura user with that role
//!    (`resolve-member`), and issues the token (`issue`) with the scopes the role grants
//!    (`scopes-for-role`).
//!
//! The Discord user token is used for step 2 only: never stored, logged or returned.
//!
//! # Refresh re-checks the member
//! A role is not kept for a session's 12 hours: every refresh asks Discord again.
//! `identity` names the refresh token's user and server (`session-of`, which checks
//! the token without using it up); steps 3 and 4 run again for them; and `identity`
//! issues the new pair (`refresh`) with the role and scopes the member has now — a
//! demoted admin's next pair carries the new role's scopes only. A user Discord no
//! longer lists as a member (or a server the bot left) ends the session: it is
//! revoked, and the answer is `401`. When Discord cannot say (no answer, `429`, `5xx`),
//! nothing is issued: `503 membership_unverified`, with `Retry-After` when Discord gave
//! one, and the refresh token stays usable. Access tokens already issued keep their
//! scopes until they expire (`gateway_token_ttl_seconds`, at most an hour), so a role
//! change reaches a session within one access-token lifetime.

use crate::auth::scope_names;
use crate::backend::Backend;
use crate::discord::{self, OAuthApp};
use crate::keys;
use crate::membership::{self, Presence};
use crate::reply::{id_field, Body, Outcome, Problem, Response};
use common::ApiError;
use contracts::identity::{Subject, TokenPair};
use contracts::{Error, KalturaRole, Member, Snowflake};
use discord_api::id::{GuildId, GuildMarker, UserId};
use discord_api::model::User;
use discord_api::rest::{self, TokenResponse};
use serde_json::json;

/// The variable with the access tokens' lifetime in seconds (60 to 3600).
pub const TOKEN_TTL_SETTING: &str = "gateway_token_ttl_seconds";
/// The access tokens' lifetime when the variable is unset.
pub const DEFAULT_TOKEN_TTL: u32 = 900;

/// The longest authorization code accepted.
const MAX_CODE: usize = 512;
/// The longest redirect URI accepted.
const MAX_REDIRECT: usize = 2048;

fn token_ttl(setting: Option<String>) -> Result<u32, Problem> {
    match setting {
        None => Ok(DEFAULT_TOKEN_TTL),
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|ttl| (60..=3600).contains(ttl))
            .ok_or_else(|| ApiError::not_configured(&[TOKEN_TTL_SETTING.to_owned()]).into()),
    }
}

fn tokens_json(pair: &TokenPair, now: u64) -> serde_json::Value {
    json!({
        "access_token": pair.access,
        "refresh_token": pair.refresh,
        "token_type": "Bearer",
        "expires_at": pair.expires_at,
        "expires_in": pair.expires_at.saturating_sub(now),
        "refresh_expires_at": pair.refresh_expires_at,
    })
}

struct SignIn<'a> {
    code: &'a str,
    guild: GuildId,
    redirect_uri: Option<&'a str>,
}

fn read_sign_in(body: &Body) -> Result<SignIn<'_>, Problem> {
    let code = body.str("code")?;
    if code.len() > MAX_CODE || !code.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Problem::invalid(
            "`code` must be the authorization code Discord gave (visible ASCII, at most 512 characters)",
        ));
    }
    let guild = id_field::<GuildMarker>(body, "guild_id")?;
    let redirect_uri = body.opt_str("redirect_uri")?;
    if let Some(uri) = redirect_uri {
        let scheme_ok = uri.starts_with("https://") || uri.starts_with("http://");
        if !scheme_ok || uri.len() > MAX_REDIRECT || !uri.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Problem::invalid(
                "`redirect_uri` must be the http(s) URL the authorization used",
            ));
        }
    }
    Ok(SignIn {
        code,
        guild,
        redirect_uri,
    })
}

/// `POST /api/v1/auth/discord`.
///
/// # Errors
/// `400` for a malformed body; `401 invalid_grant` when Discord does not accept the
/// code; `403 not_a_member` when the user is not a member of the server (or the bot is
/// not in it); `503` for missing settings; `502`/`503` when Discord fails.
pub async fn discord<B: Backend>(backend: &B, body: &[u8]) -> Outcome {
    sign_in(backend, body, false).await
}

/// `POST /api/v1/auth/discord/activity`: as [`discord`] for the Embedded App SDK's
/// code (no redirect URI), and the answer adds `discord_access_token`, the member's own
/// Discord token for the SDK's `authenticate` (scope `identify`; never stored, logged
/// or kept beyond this answer).
///
/// # Errors
/// As [`discord`]; `400` for a `redirect_uri` (the Activity's flow has none).
pub async fn activity<B: Backend>(backend: &B, body: &[u8]) -> Outcome {
    sign_in(backend, body, true).await
}

async fn sign_in<B: Backend>(backend: &B, body: &[u8], activity: bool) -> Outcome {
    let body = Body::parse(body, false)?;
    let input = read_sign_in(&body)?;
    if activity && input.redirect_uri.is_some() {
        return Err(Problem::invalid(
            "`redirect_uri` is not part of an Activity's sign-in (use /api/v1/auth/discord)",
        ));
    }
    let ttl = token_ttl(backend.setting(TOKEN_TTL_SETTING))?;
    let (bot, app) = discord::settings(|name| backend.setting(name), true)?;
    let app: OAuthApp = app.ok_or_else(|| ApiError::internal("OAuth2 settings were not read"))?;

    // 1. The code, exchanged by this application: proves Discord issued it to us.
    let response = discord::send(
        backend,
        discord::exchange_code(&bot.client, &app, input.code, input.redirect_uri),
    )
    .await?;
    let tokens: TokenResponse = rest::decode(response).map_err(|err| match err {
        rest::ApiError::ClientError { status, .. } if status == http::StatusCode::BAD_REQUEST => {
            Problem::from(ApiError::new(
                401,
                "invalid_grant",
                "Discord did not accept the authorization code (invalid, expired, already used, or another redirect_uri)",
            ))
        }
        rest::ApiError::Unauthorized => Problem::from(ApiError::new(
            502,
            "discord_refused",
            "Discord refused this application's client credentials",
        ))
        .logged("check discord_application_id and discord_client_secret"),
        other => discord::upstream("the code exchange", &other),
    })?;

    // 2. Who the user is, with their own token.
    let response =
        discord::send(backend, bot.client.get_current_user(&tokens.access_token)).await?;
    let user: User = rest::decode(response).map_err(|err| match err {
        rest::ApiError::Unauthorized | rest::ApiError::Forbidden => Problem::from(ApiError::new(
            401,
            "invalid_grant",
            "Discord did not accept the authorization for /users/@me (the `identify` scope is needed)",
        )),
        other => discord::upstream("/users/@me", &other),
    })?;
    let discord_access_token = activity.then(|| tokens.access_token.expose_secret().to_owned());
    drop(tokens);

    // 3. The member, the guild and its roles, as Discord records them, with the bot token.
    let member = match membership::lookup(backend, &bot, input.guild, user.id, Some(&user)).await? {
        Presence::Member(member) => member,
        Presence::NotAMember => {
            return Err(not_a_member(
                "you are not a member of this Discord server (or the bot is not in it)",
            ))
        }
        Presence::BotNotInServer => {
            return Err(not_a_member("the bot is not in this Discord server"))
        }
    };

    // 4. The role (config), the identity and the token (identity).
    let (role, display_name, kaltura_user_id) = current_role(backend, &member)?;
    let scopes = backend.tokens().scopes_for_role(role);
    let pair = backend
        .tokens()
        .issue(
            &Subject {
                user_id: member.user_id,
                guild_id: member.guild_id,
                role,
                scopes: scopes.clone(),
            },
            ttl,
        )
        .map_err(Problem::from)?;
    remember_profile(
        backend,
        member.guild_id,
        member.user_id,
        &display_name,
        &kaltura_user_id,
    );

    let mut body = session_json(&pair, backend.now(), member.guild_id, role, &scopes);
    body["user"] = json!({
        "id": member.user_id.to_string(),
        "username": user.username,
        "global_name": user.global_name,
        "display_name": display_name,
        "kaltura_user_id": kaltura_user_id,
    });
    if let Some(token) = discord_access_token {
        body["discord_access_token"] = json!(token);
    }
    Ok(Response::json(200, &body).private())
}

fn not_a_member(message: &str) -> Problem {
    Problem::from(ApiError::new(403, "not_a_member", message))
}

/// The member's Kaltura role as `config` decides it from what Discord said, and their
/// identity as `identity` records it with that role: `(role, display name, Kaltura
/// user ID)`.
fn current_role<B: Backend>(
    backend: &B,
    member: &Member,
) -> Result<(KalturaRole, String, String), Problem> {
    let role = backend.config().role_for(member).map_err(Problem::from)?;
    let identity = backend
        .members()
        .resolve_member(member, role)
        .map_err(Problem::from)?;
    Ok((role, identity.display_name, identity.kaltura_user_id))
}

/// A token pair and the grant it carries, as sign-in and refresh answer.
fn session_json(
    pair: &TokenPair,
    now: u64,
    guild_id: Snowflake,
    role: KalturaRole,
    scopes: &[contracts::identity::Scope],
) -> serde_json::Value {
    let mut body = tokens_json(pair, now);
    body["guild_id"] = json!(guild_id.to_string());
    body["role"] = json!(role.as_str());
    body["scopes"] = json!(scope_names(scopes));
    body
}

/// Keeps the member's display name and Kaltura user ID for their join links (the
/// access token carries neither). A failure is logged: joining then falls back to the
/// Kaltura user ID as the name.
fn remember_profile<B: Backend>(
    backend: &B,
    guild_id: Snowflake,
    user_id: Snowflake,
    display_name: &str,
    kaltura_user_id: &str,
) {
    let record = json!({
        "v": 1,
        "display_name": display_name,
        "kaltura_user_id": kaltura_user_id,
        "updated_at": backend.now(),
    });
    let key = keys::member_profile(guild_id, user_id);
    if let Err(err) = backend.store().set(&key, record.to_string().as_bytes()) {
        backend.log(&format!("member profile not saved: {err}"));
    }
}

/// The refusal of a refresh token (or of its session) by identity: `401`.
fn refused_token(err: Error) -> Problem {
    match err {
        Error::Invalid(why) | Error::Forbidden(why) => {
            Problem::invalid_token(format!("the refresh token was refused: {why}"))
        }
        other => Problem::from(other),
    }
}

/// Discord could not say who the member is now: nothing is issued (`503`), with
/// Discord's `Retry-After` when it gave one; the refresh token was not used.
fn unverified(problem: Problem) -> Problem {
    let mut refusal = Problem::from(ApiError::new(
        503,
        "membership_unverified",
        format!(
            "Discord could not confirm your membership and roles on this server ({}); no new tokens were issued and the refresh token still works: try again later",
            problem.error.message.trim_end_matches('.')
        ),
    ));
    refusal.headers = problem
        .headers
        .into_iter()
        .filter(|(name, _)| *name == "retry-after")
        .collect();
    refusal.log = problem.log;
    refusal
}

/// `POST /api/v1/auth/refresh` with `{"refresh_token": ...}`: the member is re-checked
/// with Discord (see the module docs) and the new pair carries their role and scopes
/// now, answered with the grant (`guild_id`, `role`, `scopes`).
///
/// # Errors
/// `400` without a refresh token; `401 invalid_token` for a malformed, forged,
/// expired, used or revoked one, and when Discord no longer lists the user as a member
/// of the server (the session is then revoked); `503 membership_unverified` (with
/// `Retry-After` when Discord gave one) when Discord cannot say; `503` for missing
/// settings.
pub async fn refresh<B: Backend>(backend: &B, body: &[u8]) -> Outcome {
    let body = Body::parse(body, false)?;
    let token = body.str("refresh_token")?;
    let session = backend.tokens().session_of(token).map_err(refused_token)?;
    let (guild, user) = match (GuildId::new(session.guild_id), UserId::new(session.user_id)) {
        (Some(guild), Some(user)) => (guild, user),
        _ => return Err(ApiError::internal("identity named a zero ID").into()),
    };
    let (bot, _) = discord::settings(|name| backend.setting(name), false)?;
    let member = match membership::lookup(backend, &bot, guild, user, None)
        .await
        .map_err(unverified)?
    {
        Presence::Member(member) => member,
        gone @ (Presence::NotAMember | Presence::BotNotInServer) => {
            backend.tokens().revoke(token).map_err(refused_token)?;
            let why = if gone == Presence::NotAMember {
                "Discord no longer lists you as a member of this server"
            } else {
                "the bot is no longer in this Discord server"
            };
            return Err(Problem::invalid_token(format!(
                "{why}: the session has ended; sign in again"
            ))
            .logged(format!(
                "session {} of user {user} on server {guild} revoked at refresh: {why}",
                session.session_id
            )));
        }
    };
    let (role, display_name, kaltura_user_id) = current_role(backend, &member)?;
    let scopes = backend.tokens().scopes_for_role(role);
    let current = Subject {
        user_id: member.user_id,
        guild_id: member.guild_id,
        role,
        scopes: scopes.clone(),
    };
    let pair = backend
        .tokens()
        .refresh(token, &current)
        .map_err(refused_token)?;
    remember_profile(
        backend,
        member.guild_id,
        member.user_id,
        &display_name,
        &kaltura_user_id,
    );
    let body = session_json(&pair, backend.now(), member.guild_id, role, &scopes);
    Ok(Response::json(200, &body).private())
}

/// `POST /api/v1/auth/revoke` with `{"token": ...}` (access or refresh): ends the
/// whole session. Having the token is the authorization to revoke it.
///
/// # Errors
/// `400` without a token; `401 invalid_token` for a malformed or forged one.
pub fn revoke<B: Backend>(backend: &B, body: &[u8]) -> Outcome {
    let body = Body::parse(body, false)?;
    let token = body.str("token")?;
    backend.tokens().revoke(token).map_err(|err| match err {
        Error::Invalid(why) | Error::Forbidden(why) => {
            Problem::invalid_token(format!("the token was refused: {why}"))
        }
        other => Problem::from(other),
    })?;
    Ok(Response::no_content())
}

/// The profile kept at sign-in, if any: `(display name, Kaltura user ID)`.
pub fn profile<B: Backend>(
    backend: &B,
    guild_id: Snowflake,
    user_id: Snowflake,
) -> Option<(String, String)> {
    let bytes = backend
        .store()
        .get(&keys::member_profile(guild_id, user_id))
        .ok()??;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    if value["v"] != 1 {
        return None;
    }
    Some((
        value["display_name"].as_str()?.to_owned(),
        value["kaltura_user_id"].as_str()?.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_lifetime_has_a_default_and_bounds() {
        assert_eq!(token_ttl(None).unwrap(), 900);
        assert_eq!(token_ttl(Some("60".into())).unwrap(), 60);
        assert_eq!(token_ttl(Some("59".into())).unwrap_err().error.status, 503);
        assert_eq!(
            token_ttl(Some("soon".into())).unwrap_err().error.status,
            503
        );
    }

    #[test]
    fn sign_in_input_is_checked_field_by_field() {
        let ok = Body::parse(
            br#"{"code":"abc","guild_id":"100000000000000001","roles":["999999999999999999"]}"#,
            false,
        )
        .unwrap();
        assert!(
            read_sign_in(&ok).is_ok(),
            "extra fields are ignored, never read"
        );
        for bad in [
            r#"{"guild_id":"100000000000000001"}"#,
            r#"{"code":"a b","guild_id":"100000000000000001"}"#,
            r#"{"code":"abc","guild_id":"0"}"#,
            r#"{"code":"abc","guild_id":"12a"}"#,
            r#"{"code":"abc","guild_id":"100000000000000001","redirect_uri":"javascript:x"}"#,
        ] {
            let body = Body::parse(bad.as_bytes(), false).unwrap();
            assert_eq!(
                read_sign_in(&body).err().unwrap().error.status,
                400,
                "{bad}"
            );
        }
    }
}
