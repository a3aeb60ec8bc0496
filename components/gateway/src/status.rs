//! Liveness (`/api/v1/health`) and readiness (`/api/v1/ready`): the gateway's own
//! settings and store, and each library service's `status` through its contract.

use crate::backend::Backend;
use crate::reply::Response;
use contracts::{Error, ServiceStatus};
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

/// Whether the query asks for the deep check (`upstream=true` or `upstream=1`).
pub fn wants_upstream(query: &str) -> bool {
    query
        .split('&')
        .any(|pair| pair == "upstream=true" || pair == "upstream=1")
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

/// Why Kaltura's `ping` failed, in words safe to show.
fn ping_failure(err: Error) -> String {
    match err {
        Error::NotConfigured(name) => format!("setting {name} is not set"),
        Error::Unavailable(why) | Error::Invalid(why) | Error::Other(why) => why,
        other => format!("{}: {}", other.kind().name(), other.message()),
    }
}

/// Readiness: every service's settings and key-value round trip; with `upstream`,
/// also a real call to Kaltura.
pub fn ready<B: Backend>(backend: &B, upstream: bool) -> Response {
    let statuses = [
        own_status(backend),
        backend.config().status(),
        backend.members().status(),
        backend.kaltura().status(),
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
    let upstream_result = upstream.then(|| backend.kaltura().ping().map_err(ping_failure));

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
    if let Some(Err(why)) = &upstream_result {
        problems.push(format!("Kaltura unreachable: {why}"));
    }

    let services: Vec<Value> = statuses.iter().map(status_json).collect();
    let mut body = json!({
        "ready": problems.is_empty(),
        "version": env!("CARGO_PKG_VERSION"),
        "services": services,
    });
    if let Some(result) = upstream_result {
        body["upstream"] = json!({ "kaltura": result.map(|()| "ok").unwrap_or("failing") });
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
    fn a_failed_ping_says_why_without_the_error_plumbing() {
        assert_eq!(
            ping_failure(Error::NotConfigured("kaltura_partner_id".into())),
            "setting kaltura_partner_id is not set"
        );
        assert_eq!(
            ping_failure(Error::Unavailable("circuit open".into())),
            "circuit open"
        );
        assert_eq!(ping_failure(Error::Storage("down".into())), "storage: down");
    }

    #[test]
    fn the_deep_check_is_asked_for_with_upstream_true_or_1() {
        assert!(wants_upstream("upstream=true"));
        assert!(wants_upstream("a=b&upstream=1"));
        assert!(!wants_upstream("upstream=false"));
        assert!(!wants_upstream(""));
    }
}
