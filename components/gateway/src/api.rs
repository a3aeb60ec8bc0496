//! The `/api/v1` router and handlers, host-free: a request comes in as values, the
//! services are reached through [`Backend`], and a response goes out as values.

use common::{ApiError, ServiceStatus};
use serde_json::json;

/// Everything the handlers need from the outside world.
pub trait Backend {
    /// The gateway's own readiness (its settings and a key-value round trip).
    fn gateway_status(&self) -> ServiceStatus;
    /// The readiness each library service reports through its WIT import.
    fn service_statuses(&self) -> Vec<ServiceStatus>;
    /// Pings Kaltura through the `kaltura` service.
    ///
    /// # Errors
    /// A message safe to show, when Kaltura is unreachable or refused.
    fn kaltura_ping(&self) -> Result<(), String>;
}

/// A response as values: status, extra headers and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Headers besides `content-type: application/json`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl Response {
    fn json(status: u16, value: &serde_json::Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: value.to_string().into_bytes(),
        }
    }

    fn error(error: &ApiError) -> Self {
        Self {
            status: error.status,
            headers: Vec::new(),
            body: error.to_json(),
        }
    }
}

/// The routes, each with the one method it answers.
const ROUTES: &[(&str, &str)] = &[("GET", "/api/v1/health"), ("GET", "/api/v1/ready")];

/// Answers one request. `path_with_query` is the request target as received.
pub fn handle(method: &str, path_with_query: &str, backend: &dyn Backend) -> Response {
    let (path, query) = match path_with_query.split_once('?') {
        Some((path, query)) => (path, query),
        None => (path_with_query, ""),
    };
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let Some((allowed, _)) = ROUTES.iter().find(|(_, route)| *route == path) else {
        return Response::error(&ApiError::not_found(format!(
            "no route {method} {path}; see /api/v1/health"
        )));
    };
    if method != *allowed && !(method == "HEAD" && *allowed == "GET") {
        let mut response = Response::error(&ApiError::method_not_allowed(allowed));
        response.headers.push(("allow", (*allowed).to_owned()));
        return response;
    }
    match path {
        "/api/v1/health" => health(),
        _ => ready(backend, wants_upstream(query)),
    }
}

fn wants_upstream(query: &str) -> bool {
    query
        .split('&')
        .any(|pair| pair == "upstream=true" || pair == "upstream=1")
}

/// Liveness: answers without touching storage, settings or upstreams.
fn health() -> Response {
    Response::json(
        200,
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "components": crate::COMPONENTS,
        }),
    )
}

/// Readiness: every service's settings and key-value round trip; with
/// `?upstream=true`, also a real call to Kaltura.
fn ready(backend: &dyn Backend, upstream: bool) -> Response {
    let mut statuses = vec![backend.gateway_status()];
    statuses.extend(backend.service_statuses());
    let missing: Vec<String> = statuses
        .iter()
        .flat_map(|s| s.missing_settings.iter().cloned())
        .collect();
    let failing_stores: Vec<&str> = statuses
        .iter()
        .filter(|s| !s.key_value_ok)
        .map(|s| s.name.as_str())
        .collect();
    let upstream_result = upstream.then(|| backend.kaltura_ping());

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

    let mut body = json!({
        "ready": problems.is_empty(),
        "version": env!("CARGO_PKG_VERSION"),
        "services": statuses,
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

    struct Fake {
        missing: Vec<String>,
        store_ok: bool,
        ping: Result<(), String>,
    }

    impl Default for Fake {
        fn default() -> Self {
            Self {
                missing: Vec::new(),
                store_ok: true,
                ping: Ok(()),
            }
        }
    }

    fn status(name: &str, missing: Vec<String>, store_ok: bool) -> ServiceStatus {
        ServiceStatus {
            name: name.into(),
            version: "0.1.0".into(),
            missing_settings: missing,
            key_value_ok: store_ok,
        }
    }

    impl Backend for Fake {
        fn gateway_status(&self) -> ServiceStatus {
            status("gateway", self.missing.clone(), self.store_ok)
        }
        fn service_statuses(&self) -> Vec<ServiceStatus> {
            vec![status("kaltura", Vec::new(), true)]
        }
        fn kaltura_ping(&self) -> Result<(), String> {
            self.ping.clone()
        }
    }

    fn body(response: &Response) -> serde_json::Value {
        serde_json::from_slice(&response.body).unwrap()
    }

    #[test]
    fn health_lists_every_component() {
        let response = handle("GET", "/api/v1/health", &Fake::default());
        assert_eq!(response.status, 200);
        assert_eq!(body(&response)["components"].as_array().unwrap().len(), 6);
    }

    #[test]
    fn ready_is_200_when_everything_is_configured() {
        let response = handle("GET", "/api/v1/ready", &Fake::default());
        assert_eq!(response.status, 200);
        assert_eq!(body(&response)["ready"], true);
    }

    #[test]
    fn ready_names_each_missing_setting_with_503() {
        let fake = Fake {
            missing: vec!["discord_public_key".into()],
            ..Fake::default()
        };
        let response = handle("GET", "/api/v1/ready", &fake);
        assert_eq!(response.status, 503);
        let message = body(&response)["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("discord_public_key"), "{message}");
    }

    #[test]
    fn a_failing_store_makes_ready_503() {
        let fake = Fake {
            store_ok: false,
            ..Fake::default()
        };
        assert_eq!(handle("GET", "/api/v1/ready", &fake).status, 503);
    }

    #[test]
    fn upstream_is_checked_only_when_asked() {
        let fake = Fake {
            ping: Err("refused".into()),
            ..Fake::default()
        };
        assert_eq!(handle("GET", "/api/v1/ready", &fake).status, 200);
        let response = handle("GET", "/api/v1/ready?upstream=true", &fake);
        assert_eq!(response.status, 503);
        assert_eq!(body(&response)["upstream"]["kaltura"], "failing");
    }

    #[test]
    fn an_unknown_route_is_a_json_404() {
        let response = handle("GET", "/api/v2/health", &Fake::default());
        assert_eq!(response.status, 404);
        assert_eq!(body(&response)["error"]["code"], "not_found");
    }

    #[test]
    fn a_wrong_method_is_a_405_naming_the_allowed_one() {
        let response = handle("POST", "/api/v1/health", &Fake::default());
        assert_eq!(response.status, 405);
        assert!(response.headers.contains(&("allow", "GET".to_owned())));
    }

    #[test]
    fn a_trailing_slash_reaches_the_same_route() {
        assert_eq!(
            handle("GET", "/api/v1/health/", &Fake::default()).status,
            200
        );
    }
}
