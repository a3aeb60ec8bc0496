//! `/api/v1/guilds/{guild_id}/api-keys`: a server's API keys, through `identity`'s
//! `api-keys`. The route layer has already refused every credential for another server
//! ([`crate::auth::authorize`]); these handlers act on the credential's own server.
//!
//! # Expiry
//! A key may be created with an expiry: `expires_at` (Unix seconds) or `ttl_seconds`,
//! at most `gateway_api_key_max_days` days ahead (default and most: 365); with
//! `gateway_api_key_require_expiry` set to `true`, a key without one is refused.
//! Identity refuses the key from then on (`401`); it stays listed, `expired: true`,
//! until it is revoked.
//!
//! # Creators
//! The listing says who created each key and whether that creator is still a member of
//! the server: the gateway asks Discord (the guild member, with the bot token) once per
//! creator, at listing time ([`membership::check`]). `creator_membership` is `member`,
//! `left`, `unknown` when Discord could not say (no answer, `403`, `429`, `5xx`, no bot
//! token configured: the listing still answers `200`), or `not_applicable` for a key
//! created with another API key or by the deployment administrator.

use crate::auth::{actor_json, scope_names, Caller};
use crate::backend::Backend;
use crate::discord;
use crate::membership::{self, Membership};
use crate::reply::{Body, Outcome, Problem, Response};
use common::ApiError;
use contracts::identity::{ApiKeyInfo, Scope};
use contracts::{Actor, Error, Snowflake};
use discord_api::id::{GuildId, UserId};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The variable with the longest lifetime, in days, a new key may be given (1 to 365).
pub const MAX_DAYS_SETTING: &str = "gateway_api_key_max_days";
/// The variable that, set to `true`, refuses new keys without an expiry.
pub const REQUIRE_EXPIRY_SETTING: &str = "gateway_api_key_require_expiry";

/// The most days a key may live: identity's bound, 365.
pub const MAX_DAYS: u64 = ApiKeyInfo::MAX_LIFETIME_SECONDS / 86_400;

/// The deployment's rules for a new key's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// The longest lifetime, in days.
    pub max_days: u64,
    /// Whether a key must have an expiry.
    pub required: bool,
}

impl ExpiryPolicy {
    /// The policy from the two settings' values (unset or empty: 365 days, optional).
    ///
    /// # Errors
    /// `503 not_configured` naming each setting that is set but not usable.
    pub fn from_settings(
        max_days: Option<String>,
        required: Option<String>,
    ) -> Result<Self, Problem> {
        let mut broken = Vec::new();
        let max_days = match max_days.as_deref().map(str::trim) {
            None | Some("") => MAX_DAYS,
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|days| (1..=MAX_DAYS).contains(days))
                .unwrap_or_else(|| {
                    broken.push(MAX_DAYS_SETTING.to_owned());
                    MAX_DAYS
                }),
        };
        let required = match required.as_deref().map(str::trim) {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                broken.push(REQUIRE_EXPIRY_SETTING.to_owned());
                false
            }
        };
        if broken.is_empty() {
            Ok(Self { max_days, required })
        } else {
            Err(ApiError::not_configured(&broken).into())
        }
    }

    /// The expiry a request body asks for (`expires_at` or `ttl_seconds`), checked
    /// against this policy at `now`.
    ///
    /// # Errors
    /// `400` naming the field and the rule.
    pub fn expiry(self, body: &Body, now: u64) -> Result<Option<u64>, Problem> {
        let longest = self.max_days * 86_400;
        let rule = format!(
            "an API key may live at most {} days on this deployment",
            self.max_days
        );
        let expires_at = match (body.opt_u64("expires_at")?, body.opt_u64("ttl_seconds")?) {
            (Some(_), Some(_)) => {
                return Err(Problem::invalid(
                    "give `expires_at` or `ttl_seconds`, not both",
                ))
            }
            (Some(at), None) if at <= now => {
                return Err(Problem::invalid(
                    "`expires_at` must be in the future (Unix seconds)",
                ))
            }
            (Some(at), None) if at - now > longest => {
                return Err(Problem::invalid(format!("`expires_at`: {rule}")))
            }
            (None, Some(ttl)) if ttl == 0 || ttl > longest => {
                return Err(Problem::invalid(format!(
                    "`ttl_seconds` must be 1 to {longest}: {rule}"
                )))
            }
            (Some(at), None) => Some(at),
            (None, Some(ttl)) => Some(now.saturating_add(ttl)),
            (None, None) => None,
        };
        if expires_at.is_none() && self.required {
            return Err(Problem::invalid(format!(
                "this deployment requires API keys to expire: give `expires_at` or `ttl_seconds` ({rule})"
            )));
        }
        Ok(expires_at)
    }
}

/// An API key as the API shows it (schemas `ApiKey` and `CreatedApiKey`): never its
/// secret nor its hash.
fn key_json(info: &ApiKeyInfo, now: u64) -> Value {
    json!({
        "id": info.id,
        "guild_id": info.guild_id.to_string(),
        "scopes": scope_names(&info.scopes),
        "label": info.label,
        "created_by": actor_json(&info.created_by),
        "created_at": info.created_at,
        "expires_at": info.expires_at,
        "expired": info.expires_at.is_some_and(|at| now >= at),
    })
}

/// Whether each member who created one of `keys` is still a member of `guild`, asked of
/// Discord at once; everyone is [`Membership::Unknown`] when Discord is not configured.
async fn creators<B: Backend>(
    backend: &B,
    guild: Snowflake,
    keys: &[ApiKeyInfo],
) -> BTreeMap<Snowflake, Membership> {
    let mut users: Vec<Snowflake> = keys
        .iter()
        .filter_map(|key| match key.created_by {
            Actor::DiscordUser(user) => Some(user),
            Actor::ApiKey(_) => None,
        })
        .collect();
    users.sort_unstable();
    users.dedup();
    let unknown = || users.iter().map(|u| (*u, Membership::Unknown)).collect();
    let (Ok((bot, _)), Some(guild)) = (
        discord::settings(|name| backend.setting(name), false),
        GuildId::new(guild),
    ) else {
        return unknown();
    };
    let checks = users
        .iter()
        .filter_map(|user| UserId::new(*user))
        .map(|user| {
            let bot = &bot;
            async move {
                (
                    user.get(),
                    membership::check(backend, bot, guild, user).await,
                )
            }
        });
    futures::future::join_all(checks)
        .await
        .into_iter()
        .collect()
}

/// `GET /api/v1/guilds/{guild_id}/api-keys`: the server's keys, oldest first, each with
/// its expiry and whether its creator is still a member (see the module docs); never a
/// secret nor a hash.
///
/// # Errors
/// `503` when the store fails.
pub async fn list<B: Backend>(backend: &B, caller: &Caller) -> Outcome {
    let keys = backend
        .api_keys()
        .list(caller.guild_id)
        .map_err(Problem::from)?;
    let memberships = creators(backend, caller.guild_id, &keys).await;
    let now = backend.now();
    let keys: Vec<Value> = keys
        .iter()
        .map(|key| {
            let membership = match key.created_by {
                Actor::DiscordUser(user) => memberships
                    .get(&user)
                    .copied()
                    .unwrap_or(Membership::Unknown)
                    .as_str(),
                Actor::ApiKey(_) => "not_applicable",
            };
            let mut value = key_json(key, now);
            value["creator_membership"] = json!(membership);
            value
        })
        .collect();
    Ok(Response::json(200, &json!({ "keys": keys })))
}

/// `POST /api/v1/guilds/{guild_id}/api-keys` with `{"label", "scopes"}` and optionally
/// `expires_at` or `ttl_seconds`: the key is in the answer this once. A caller can only
/// grant scopes it holds itself (identity's `authorize` decides).
///
/// # Errors
/// `400` for an unknown scope, a bad label or expiry; `403` for a scope the caller
/// lacks; `409` when the server already has the most keys allowed; `503` for an
/// unusable expiry setting.
pub fn create<B: Backend>(backend: &B, caller: &Caller, body: &[u8]) -> Outcome {
    let policy = ExpiryPolicy::from_settings(
        backend.setting(MAX_DAYS_SETTING),
        backend.setting(REQUIRE_EXPIRY_SETTING),
    )?;
    let body = Body::parse(body, false)?;
    let label = body.str("label")?;
    let now = backend.now();
    let expires_at = policy.expiry(&body, now)?;
    let mut scopes = Vec::new();
    for name in body.strings("scopes")? {
        let scope = Scope::parse(name).ok_or_else(|| {
            Problem::invalid(format!(
                "unknown scope; scopes are {}",
                scope_names(Scope::ALL).join(", ")
            ))
        })?;
        if !caller.holds(backend.tokens(), scope)? {
            return Err(Problem::forbidden(format!(
                "you cannot grant {}: your credential does not hold it",
                scope.as_str()
            )));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(Problem::invalid("`scopes` must name at least one scope"));
    }
    let created = backend
        .api_keys()
        .create(caller.guild_id, &scopes, label, &caller.actor(), expires_at)
        .map_err(Problem::from)?;
    let mut value = key_json(&created.info, now);
    value["key"] = json!(created.secret_shown_once);
    Ok(Response::json(201, &value)
        .with(
            "location",
            format!(
                "/api/v1/guilds/{}/api-keys/{}",
                caller.guild_id, created.info.id
            ),
        )
        .private())
}

/// `DELETE /api/v1/guilds/{guild_id}/api-keys/{key_id}`.
///
/// # Errors
/// `404` when the server has no such key.
pub fn revoke<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Outcome {
    backend
        .api_keys()
        .revoke(caller.guild_id, id)
        .map_err(|err| match err {
            Error::Invalid(_) | Error::NotFound(_) => Problem::from(ApiError::not_found(format!(
                "this server has no API key {id}"
            ))),
            other => Problem::from(other),
        })?;
    Ok(Response::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;
    const DAY: u64 = 86_400;

    fn body(text: &str) -> Body {
        Body::parse(text.as_bytes(), false).unwrap()
    }

    fn policy(max_days: u64, required: bool) -> ExpiryPolicy {
        ExpiryPolicy { max_days, required }
    }

    #[test]
    fn the_policy_defaults_to_a_year_and_optional_and_names_a_broken_setting() {
        assert_eq!(
            ExpiryPolicy::from_settings(None, None).unwrap(),
            policy(365, false)
        );
        assert_eq!(
            ExpiryPolicy::from_settings(Some(" 30 ".into()), Some("true".into())).unwrap(),
            policy(30, true)
        );
        for (days, required, named) in [
            ("0", "false", MAX_DAYS_SETTING),
            ("366", "false", MAX_DAYS_SETTING),
            ("a week", "false", MAX_DAYS_SETTING),
            ("30", "yes", REQUIRE_EXPIRY_SETTING),
        ] {
            let problem =
                ExpiryPolicy::from_settings(Some(days.into()), Some(required.into())).unwrap_err();
            assert_eq!(problem.error.status, 503);
            assert!(problem.error.message.contains(named), "{days} {required}");
        }
    }

    #[test]
    fn an_expiry_is_expires_at_or_a_ttl_within_the_policy() {
        let year = policy(365, false);
        assert_eq!(year.expiry(&body("{}"), NOW).unwrap(), None);
        assert_eq!(
            year.expiry(&body(r#"{"ttl_seconds":3600}"#), NOW).unwrap(),
            Some(NOW + 3600)
        );
        let at = NOW + 365 * DAY;
        assert_eq!(
            year.expiry(&body(&format!(r#"{{"expires_at":{at}}}"#)), NOW)
                .unwrap(),
            Some(at)
        );
        let month = policy(30, true);
        assert_eq!(
            month
                .expiry(&body(r#"{"ttl_seconds":2592000}"#), NOW)
                .unwrap(),
            Some(NOW + 30 * DAY)
        );
        for bad in [
            format!(r#"{{"expires_at":{NOW}}}"#),
            format!(r#"{{"expires_at":{}}}"#, NOW + 30 * DAY + 1),
            r#"{"ttl_seconds":0}"#.to_owned(),
            r#"{"ttl_seconds":2592001}"#.to_owned(),
            r#"{"ttl_seconds":-5}"#.to_owned(),
            r#"{"ttl_seconds":"1h"}"#.to_owned(),
            format!(r#"{{"expires_at":{},"ttl_seconds":60}}"#, NOW + 60),
            "{}".to_owned(),
        ] {
            let problem = month.expiry(&body(&bad), NOW).unwrap_err();
            assert_eq!(problem.error.status, 400, "{bad}");
        }
    }

    #[test]
    fn a_key_is_shown_with_its_expiry_and_whether_it_has_passed() {
        let info = ApiKeyInfo {
            id: "0123456789abcdef".into(),
            guild_id: 100_000_000_000_000_001,
            scopes: vec![Scope::MeetingsRead],
            label: "ci".into(),
            created_by: Actor::DiscordUser(300_000_000_000_000_003),
            created_at: NOW,
            expires_at: Some(NOW + 60),
        };
        let shown = key_json(&info, NOW + 59);
        assert_eq!(
            (shown["expires_at"].clone(), shown["expired"].clone()),
            (json!(NOW + 60), json!(false))
        );
        assert_eq!(key_json(&info, NOW + 60)["expired"], true);
        let forever = ApiKeyInfo {
            expires_at: None,
            ..info
        };
        let shown = key_json(&forever, u64::MAX);
        assert_eq!(
            (shown["expires_at"].clone(), shown["expired"].clone()),
            (Value::Null, json!(false))
        );
    }
}
