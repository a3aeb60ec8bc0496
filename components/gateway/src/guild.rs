//! `/api/v1/guilds/{guild_id}/...`: a server's settings, audit log and notification
//! audit log (its API keys are [`crate::api_keys`]'). The
//! route layer has already refused every credential for another server
//! ([`crate::auth::authorize`]); these handlers act on the credential's own server.
//!
//! The pieces every configuration route shares (the version as `ETag`, the expected
//! version of a write, the answer to a write, audit pages) are here too; the
//! deployment-wide routes ([`crate::deployment`]) use them as they are.

use crate::auth::{actor_json, Caller};
use crate::backend::Backend;
use crate::reply::{Body, Outcome, Problem, Response};
use common::ApiError;
use contracts::config::{AuditEntry, GuildSettings, Section, UpdateResult};
use contracts::Error;
use serde_json::{json, Value};

/// How many audit entries a page has when the query names no `limit`.
pub const DEFAULT_AUDIT_LIMIT: u32 = 50;
/// The most audit entries a page may have (the service keeps the last 200).
pub const MAX_AUDIT_LIMIT: u32 = 200;
/// How many notification audit entries a page has when the query names no `limit`.
pub const DEFAULT_NOTIFICATION_AUDIT_LIMIT: u32 = 50;
/// The most notification audit entries a page may have: all the log keeps.
pub const MAX_NOTIFICATION_AUDIT_LIMIT: u32 = notify_log::KEEP as u32;

/// A stored JSON text as a value (a string if it is not JSON).
pub(crate) fn json_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A document's version as an `ETag`.
pub(crate) fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// A server's settings as the API shows them (schema `GuildConfig`): the documents the
/// service serves, passed through.
fn config_json(guild_id: u64, settings: &GuildSettings) -> Value {
    json!({
        "guild_id": guild_id.to_string(),
        "version": settings.version,
        "deployment_version": settings.deployment_version,
        "config": json_text(&settings.document_json),
        "overrides": json_text(&settings.overrides_json),
    })
}

/// `GET /api/v1/guilds/{guild_id}/config`, with the version as `ETag`.
///
/// # Errors
/// `503` when the store fails.
pub fn get_config<B: Backend>(backend: &B, caller: &Caller) -> Outcome {
    let settings = backend
        .config()
        .get(caller.guild_id)
        .map_err(Problem::from)?;
    Ok(
        Response::json(200, &config_json(caller.guild_id, &settings))
            .with("etag", etag(settings.version)),
    )
}

/// The version a write is based on: `If-Match: "<version>"` or the body's
/// `expected_version`; both, if given, must agree.
fn expected_version(if_match: Option<&str>, body: &Body) -> Result<u64, Problem> {
    let header = match if_match.map(str::trim) {
        None | Some("") => None,
        Some(raw) => {
            let tag = raw.strip_prefix("W/").unwrap_or(raw).trim_matches('"');
            Some(tag.parse::<u64>().map_err(|_| {
                Problem::invalid(
                    "If-Match must be the configuration's version as ETag gives it, e.g. \"3\"",
                )
            })?)
        }
    };
    match (header, body.opt_u64("expected_version")?) {
        (Some(a), Some(b)) if a != b => Err(Problem::invalid(
            "If-Match and `expected_version` name different versions",
        )),
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(ApiError::new(
            428,
            "precondition_required",
            "say which version the change is based on: If-Match: \"<version>\" or `expected_version`",
        )
        .into()),
    }
}

/// A configuration write as a request states it: `{"patch": {...}}` (a JSON merge
/// patch of an override document) and the version it is based on.
pub(crate) struct Write {
    /// The patch, as JSON text.
    pub patch: String,
    /// The version the patch is based on.
    pub expected_version: u64,
}

impl Write {
    /// Reads the body and `If-Match`.
    ///
    /// # Errors
    /// `400` for a body that is not `{"patch": {...}}` or versions that disagree;
    /// `428` without a version.
    pub(crate) fn parse(if_match: Option<&str>, body: &[u8]) -> Result<Self, Problem> {
        let body = Body::parse(body, false)?;
        let patch = match body.value("patch") {
            Some(patch @ Value::Object(_)) => patch.to_string(),
            _ => {
                return Err(Problem::invalid(
                    "`patch` must be a JSON object (a JSON merge patch)",
                ))
            }
        };
        let expected_version = expected_version(if_match, &body)?;
        Ok(Self {
            patch,
            expected_version,
        })
    }

    /// The service's refusal as an answer: `409` when the version was stale.
    pub(crate) fn refused(&self, err: Error) -> Problem {
        match err {
            Error::Conflict(_) => Problem::from(ApiError::new(
                409,
                "conflict",
                format!(
                    "the configuration is no longer at version {}; GET it again and retry",
                    self.expected_version
                ),
            )),
            other => Problem::from(other),
        }
    }
}

/// The answer to an accepted write: the new version (also as `ETag`) and the keys
/// that changed.
pub(crate) fn written(result: &UpdateResult) -> Response {
    Response::json(
        200,
        &json!({ "version": result.version, "changed_keys": result.changed_keys }),
    )
    .with("etag", etag(result.version))
}

/// `PATCH /api/v1/guilds/{guild_id}/config` with `{"patch": {...}}` (a JSON merge
/// patch of the server's overrides) and the version it is based on.
///
/// # Errors
/// `428` without a version; `409` when it is stale; `400` for a patch that breaks a
/// rule (the message names the key).
pub fn update_config<B: Backend>(
    backend: &B,
    caller: &Caller,
    if_match: Option<&str>,
    body: &[u8],
) -> Outcome {
    let write = Write::parse(if_match, body)?;
    let result = backend
        .config()
        .update(
            caller.guild_id,
            &write.patch,
            write.expected_version,
            &caller.actor(),
        )
        .map_err(|err| write.refused(err))?;
    Ok(written(&result))
}

/// `POST /api/v1/guilds/{guild_id}/config/reset`, optionally `{"section": "roles"}`.
///
/// # Errors
/// `400` for an unknown section.
pub fn reset_config<B: Backend>(backend: &B, caller: &Caller, body: &[u8]) -> Outcome {
    let body = Body::parse(body, true)?;
    let section = match body.opt_str("section")? {
        None => None,
        Some(name) => Some(Section::parse(name).ok_or_else(|| {
            let names: Vec<&str> = Section::ALL.iter().map(|s| s.as_str()).collect();
            Problem::invalid(format!("`section` must be one of {}", names.join(", ")))
        })?),
    };
    let result = backend
        .config()
        .reset(caller.guild_id, section, &caller.actor())
        .map_err(Problem::from)?;
    Ok(written(&result))
}

fn audit_json(entry: &AuditEntry) -> Value {
    let changes: Vec<Value> = entry
        .changes
        .iter()
        .map(|change| {
            json!({
                "key": change.key,
                "old_value": change.old_value.as_deref().map(json_text),
                "new_value": change.new_value.as_deref().map(json_text),
            })
        })
        .collect();
    json!({
        "at": entry.at,
        "actor": actor_json(&entry.actor),
        "version": entry.version,
        "changes": changes,
    })
}

/// The `limit` of a configuration audit log's query string.
///
/// # Errors
/// `400` unless it is 1 to [`MAX_AUDIT_LIMIT`].
pub(crate) fn audit_limit(query: &str) -> Result<u32, Problem> {
    limit(query, DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT)
}

/// The `limit` of a query string: `default` when absent.
///
/// # Errors
/// `400` unless it is 1 to `max`.
pub(crate) fn limit(query: &str, default: u32, max: u32) -> Result<u32, Problem> {
    let raw = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "limit")
        .map(|(_, value)| value.into_owned());
    match raw {
        None => Ok(default),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| Problem::invalid(format!("`limit` must be 1 to {max}"))),
    }
}

/// `GET /api/v1/guilds/{guild_id}/audit-log?limit=N`: the newest changes first.
///
/// # Errors
/// `400` for a bad limit.
pub fn audit_log<B: Backend>(backend: &B, caller: &Caller, query: &str) -> Outcome {
    let limit = audit_limit(query)?;
    let entries = backend
        .config()
        .audit_log(caller.guild_id, limit)
        .map_err(Problem::from)?;
    Ok(audit_page(&entries))
}

/// A page of audit entries, newest first: `{"entries": [...]}`.
pub(crate) fn audit_page(entries: &[AuditEntry]) -> Response {
    let entries: Vec<Value> = entries.iter().map(audit_json).collect();
    Response::json(200, &json!({ "entries": entries }))
}

/// `GET /api/v1/guilds/{guild_id}/notifications/audit-log?limit=N`: the notifications
/// service's delivery audit log of the server, newest first, as that service stores it
/// (`notify_log::AuditEntry`: ids, statuses and Discord's error text, never a secret).
/// Read with the service's own reader, [`notify_log::read`]; the gateway never writes
/// it.
///
/// # Errors
/// `400` for a bad limit; `503` when the store fails; `500` when the stored log is
/// unreadable.
pub fn notification_audit_log<B: Backend>(backend: &B, caller: &Caller, query: &str) -> Outcome {
    let limit = limit(
        query,
        DEFAULT_NOTIFICATION_AUDIT_LIMIT,
        MAX_NOTIFICATION_AUDIT_LIMIT,
    )?;
    let limit = usize::try_from(limit).unwrap_or(notify_log::KEEP);
    let guild = caller.guild_id.to_string();
    let entries = notify_log::read(backend.store(), &guild, limit).map_err(|err| match err {
        notify_log::AuditReadError::InvalidGuild => Problem::invalid(err.to_string()),
        notify_log::AuditReadError::Store(store) => {
            Problem::from(Error::Storage(store.to_string()))
        }
        notify_log::AuditReadError::Unreadable => Problem::from(Error::Other(format!(
            "the notification audit log of server {guild} is unreadable"
        ))),
    })?;
    let entries = serde_json::to_value(&entries).map_err(|_| {
        Problem::from(Error::Other(
            "cannot encode the notification audit log".into(),
        ))
    })?;
    Ok(Response::json(200, &json!({ "entries": entries })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Body {
        Body::parse(text.as_bytes(), true).unwrap()
    }

    #[test]
    fn the_expected_version_comes_from_if_match_or_the_body() {
        assert_eq!(expected_version(Some("\"3\""), &body("")).unwrap(), 3);
        assert_eq!(expected_version(Some("W/\"4\""), &body("")).unwrap(), 4);
        assert_eq!(
            expected_version(None, &body(r#"{"expected_version":5}"#)).unwrap(),
            5
        );
        assert_eq!(
            expected_version(Some("\"5\""), &body(r#"{"expected_version":5}"#)).unwrap(),
            5
        );
        assert_eq!(
            expected_version(Some("\"6\""), &body(r#"{"expected_version":5}"#))
                .unwrap_err()
                .error
                .status,
            400
        );
        assert_eq!(
            expected_version(None, &body("")).unwrap_err().error.status,
            428
        );
        assert_eq!(
            expected_version(Some("*"), &body(""))
                .unwrap_err()
                .error
                .status,
            400
        );
    }

    #[test]
    fn the_audit_limit_is_bounded() {
        assert_eq!(audit_limit("").unwrap(), DEFAULT_AUDIT_LIMIT);
        assert_eq!(audit_limit("limit=7").unwrap(), 7);
        assert!(audit_limit("limit=0").is_err());
        assert!(audit_limit("limit=201").is_err());
        assert!(audit_limit("limit=x").is_err());
    }

    #[test]
    fn the_notification_audit_limit_is_bounded_by_what_the_log_keeps() {
        let limit = |q| {
            limit(
                q,
                DEFAULT_NOTIFICATION_AUDIT_LIMIT,
                MAX_NOTIFICATION_AUDIT_LIMIT,
            )
        };
        assert_eq!(limit("").unwrap(), DEFAULT_NOTIFICATION_AUDIT_LIMIT);
        assert_eq!(limit("limit=100").unwrap(), 100);
        assert_eq!(MAX_NOTIFICATION_AUDIT_LIMIT as usize, notify_log::KEEP);
        let refused = limit("limit=101").unwrap_err();
        assert_eq!(refused.error.message, "`limit` must be 1 to 100");
        assert!(limit("limit=0").is_err());
    }
}
