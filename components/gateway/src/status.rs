//! Liveness (`/api/v1/health`) and readiness (`/api/v1/ready`): the gateway's own
//! settings and store, and each library service's `status` through its contract.

use crate::backend::Backend;
use crate::reply::{Problem, Response};
use crate::upstream::Checked;
use contracts::ServiceStatus;
use serde_json::{json, Value};

/// Liveness: answers without touching storage, settings or upstreams.
pub fn health() -> Response {
    Response::json(
        200,
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "components": crate::COMPONENTS,
        }),
    )
}

/// Whether the query asks for the deep check: `upstream=true`; `upstream=false` or no
/// `upstream` does not.
///
/// # Errors
/// `400` naming `upstream` for any other value, or when it is given twice.
pub fn wants_upstream(query: &str) -> Result<bool, Problem> {
    let mut values = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "upstream")
        .map(|(_, value)| value);
    let wanted = match values.next().as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(Problem::invalid("`upstream` must be true or false")),
    };
    if values.next().is_some() {
        return Err(Problem::invalid("`upstream` may be given once"));
    }
    Ok(wanted)
}

/// The gateway's own readiness: its settings ([`crate::REQUIRED_SETTINGS`]) and a
/// write, read and delete of [`crate::keys::READY_PROBE`].
fn own_status<B: Backend>(backend: &B) -> ServiceStatus {
    ServiceStatus {
        name: "gateway".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        missing_settings: crate::REQUIRED_SETTINGS
            .iter()
            .filter(|name| backend.setting(name).is_none())
            .map(|name| (*name).to_owned())
            .collect(),
        key_value_ok: common::status::key_value_round_trip(
            backend.store(),
            crate::keys::READY_PROBE,
        ),
    }
}

/// A service's status as the API shows it (schema `ServiceStatus`).
fn status_json(status: &ServiceStatus) -> Value {
    json!({
        "name": status.name,
        "version": status.version,
        "missing_settings": status.missing_settings,
        "key_value_ok": status.key_value_ok,
    })
}

/// The deep check's part of a readiness answer: what was found, and whether the caller
/// may see why Kaltura fails (an operator: [`crate::api`] decides).
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Kaltura's state ([`crate::upstream::check`]).
    pub kaltura: Checked,
    /// Whether the answer may say why.
    pub detail: bool,
}

/// Readiness: every service's settings and key-value round trip; with `upstream`, also
/// Kaltura's state, with the reason it fails only for an operator.
pub fn ready<B: Backend>(backend: &B, upstream: Option<Upstream>) -> Response {
    let statuses = [
        own_status(backend),
        backend.config().status(),
        backend.members().status(),
        backend.kaltura().status(),
        backend.events().status(),
    ];
    let missing: Vec<&str> = statuses
        .iter()
        .flat_map(|s| s.missing_settings.iter().map(String::as_str))
        .collect();
    let failing_stores: Vec<&str> = statuses
        .iter()
        .filter(|s| !s.key_value_ok)
        .map(|s| s.name.as_str())
        .collect();

    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("missing settings: {}", missing.join(", ")));
    }
    if !failing_stores.is_empty() {
        problems.push(format!(
            "key-value store failing for: {}",
            failing_stores.join(", ")
        ));
    }
    if let Some(upstream) = &upstream {
        let why = upstream
            .kaltura
            .detail
            .as_deref()
            .filter(|_| upstream.detail);
        match (upstream.kaltura.ok, why) {
            (Some(true), _) => {}
            (Some(false), Some(why)) => problems.push(format!("Kaltura unreachable: {why}")),
            (Some(false), None) => problems.push("Kaltura unreachable".to_owned()),
            (None, Some(why)) => problems.push(format!("Kaltura not checked: {why}")),
            (None, None) => problems.push("Kaltura not checked yet; ask again".to_owned()),
        }
    }

    let services: Vec<Value> = statuses.iter().map(status_json).collect();
    let mut body = json!({
        "ready": problems.is_empty(),
        "version": env!("CARGO_PKG_VERSION"),
        "services": services,
    });
    if let Some(upstream) = upstream {
        let mut part = json!({ "kaltura": upstream.kaltura.state() });
        if let Some(at) = upstream.kaltura.at {
            part["checked_at"] = json!(at);
        }
        if let Some(detail) = upstream.kaltura.detail.filter(|_| upstream.detail) {
            part["detail"] = json!(detail);
        }
        body["upstream"] = part;
    }
    if problems.is_empty() {
        Response::json(200, &body)
    } else {
        body["error"] = json!({ "code": "not_ready", "message": problems.join("; ") });
        Response::json(503, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deep_check_is_asked_for_with_upstream_true_only() {
        assert!(wants_upstream("upstream=true").unwrap());
        assert!(wants_upstream("a=b&upstream=true").unwrap());
        assert!(!wants_upstream("upstream=false").unwrap());
        assert!(!wants_upstream("").unwrap());
        for bad in ["upstream=1", "upstream=null", "upstream=", "upstream=TRUE"] {
            let refused = wants_upstream(bad).unwrap_err();
            assert_eq!(refused.error.status, 400, "{bad}");
            assert!(refused.error.message.contains("`upstream`"), "{bad}");
        }
        assert_eq!(
            wants_upstream("upstream=true&upstream=true")
                .unwrap_err()
                .error
                .status,
            400
        );
    }
}
