//! `/api/v1/deployment/...`: the deployment-wide overrides (the layer between the
//! compiled defaults and each server's own overrides) and their audit log, for the
//! deployment's administrator. The route layer has already checked the administrator's
//! token ([`crate::auth::authenticate_admin`]); these handlers act on the one
//! deployment document through the `config` service, with the same versioning,
//! compare-and-set and answers as a server's settings ([`crate::guild`]).

use crate::backend::Backend;
use crate::guild::{audit_limit, audit_page, etag, json_text, written, Write};
use crate::reply::{Outcome, Problem, Response};
use contracts::Actor;
use serde_json::json;

/// `GET /api/v1/deployment/config`: `{"version", "overrides"}`, the version as `ETag`.
///
/// # Errors
/// `503` when the store fails.
pub fn get_config<B: Backend>(backend: &B) -> Outcome {
    let settings = backend.config().get_deployment().map_err(Problem::from)?;
    Ok(Response::json(
        200,
        &json!({
            "version": settings.version,
            "overrides": json_text(&settings.overrides_json),
        }),
    )
    .with("etag", etag(settings.version)))
}

/// `PATCH /api/v1/deployment/config` with `{"patch": {...}}` (a JSON merge patch of
/// the deployment-wide overrides) and the version it is based on (`If-Match` or
/// `expected_version`), recorded as done by `actor`.
///
/// # Errors
/// `428` without a version; `409` when it is stale; `400` for a patch that breaks a
/// rule (the message names the key and the rule).
pub fn update_config<B: Backend>(
    backend: &B,
    actor: &Actor,
    if_match: Option<&str>,
    body: &[u8],
) -> Outcome {
    let write = Write::parse(if_match, body)?;
    let result = backend
        .config()
        .update_deployment(&write.patch, write.expected_version, actor)
        .map_err(|err| write.refused(err))?;
    Ok(written(&result))
}

/// `GET /api/v1/deployment/audit-log?limit=N`: the newest changes first.
///
/// # Errors
/// `400` for a bad limit.
pub fn audit_log<B: Backend>(backend: &B, query: &str) -> Outcome {
    let limit = audit_limit(query)?;
    let entries = backend
        .config()
        .deployment_audit_log(limit)
        .map_err(Problem::from)?;
    Ok(audit_page(&entries))
}
