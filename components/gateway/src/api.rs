//! The `/api/v1` front: matches the route table, applies CORS, deprecation headers and
//! a request id to every response, and dispatches to the handlers. Host-free: a request
//! comes in as values, the services are reached through [`Backend`], and a response
//! goes out as values.

use crate::cors::Cors;
use crate::router::{self, Access, Match, Route};
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
    /// A setting's value, `None` when unset or empty.
    fn setting(&self, name: &str) -> Option<String>;
    /// A fresh request id.
    fn request_id(&self) -> String;
}

/// A request as values.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// The method, upper case.
    pub method: &'a str,
    /// The request target: path and query.
    pub path_with_query: &'a str,
    /// The `Origin` header, if any.
    pub origin: Option<&'a str>,
}

/// A response as values: status, extra headers and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Headers besides `content-type: application/json`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body (empty for `204`).
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

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every route of `/api/v1`.
pub const ROUTES: &[Route] = &[
    Route {
        name: "health",
        method: "GET",
        path: "/api/v1/health",
        access: Access::Public,
        deprecated: None,
        summary: "Liveness: the version and the components, touching nothing.",
    },
    Route {
        name: "ready",
        method: "GET",
        path: "/api/v1/ready",
        access: Access::Public,
        deprecated: None,
        summary: "Readiness: every service's settings and key-value store; `?upstream=true` also pings Kaltura.",
    },
    Route {
        name: "openapi",
        method: "GET",
        path: "/api/v1/openapi.json",
        access: Access::Public,
        deprecated: None,
        summary: "This API's OpenAPI 3.1 document.",
    },
];

/// Answers one request.
pub fn handle(request: &Request<'_>, backend: &dyn Backend) -> Response {
    let request_id = backend.request_id();
    let cors = Cors::from_setting(backend.setting("cors_allowed_origins").as_deref());
    let mut response = route(request, backend, &cors);
    response.headers.extend(cors.headers(request.origin));
    response.headers.push(("x-request-id", request_id));
    response
}

fn route(request: &Request<'_>, backend: &dyn Backend, cors: &Cors) -> Response {
    let (path, query) = request
        .path_with_query
        .split_once('?')
        .unwrap_or((request.path_with_query, ""));
    if request.method == "OPTIONS" {
        return match cors.preflight(request.origin) {
            Some(headers) => Response {
                status: 204,
                headers,
                body: Vec::new(),
            },
            None => Response::error(&ApiError::new(
                403,
                "forbidden",
                "cross-origin requests from this origin are not allowed",
            )),
        };
    }
    match router::find(ROUTES, request.method, path) {
        Match::NotFound => Response::error(&ApiError::not_found(format!(
            "no route {} {path}; see /api/v1/openapi.json",
            request.method
        ))),
        Match::WrongMethod(methods) => {
            let allowed = methods.join(", ");
            let mut response = Response::error(&ApiError::method_not_allowed(&allowed));
            response.headers.push(("allow", allowed));
            response
        }
        Match::Found(route, _params) => {
            let mut response = match route.name {
                "health" => health(),
                "ready" => ready(backend, wants_upstream(query)),
                _ => Response::json(200, &crate::openapi::document(ROUTES)),
            };
            if let Some(deprecation) = route.deprecated {
                response.headers.push(("deprecation", deprecation.since.to_owned()));
                response.headers.push(("sunset", deprecation.sunset.to_owned()));
                response.headers.push((
                    "link",
                    format!("<{}>; rel=\"successor-version\"", deprecation.successor),
                ));
            }
            response
        }
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
        cors: Option<String>,
    }

    impl Default for Fake {
        fn default() -> Self {
            Self {
                missing: Vec::new(),
                store_ok: true,
                ping: Ok(()),
                cors: None,
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
        fn setting(&self, name: &str) -> Option<String> {
            (name == "cors_allowed_origins").then(|| self.cors.clone()).flatten()
        }
        fn request_id(&self) -> String {
            "req-1".into()
        }
    }

    fn get(path: &str, backend: &dyn Backend) -> Response {
        handle(
            &Request {
                method: "GET",
                path_with_query: path,
                origin: None,
            },
            backend,
        )
    }

    fn body(response: &Response) -> serde_json::Value {
        serde_json::from_slice(&response.body).unwrap()
    }

    #[test]
    fn health_lists_every_component() {
        let response = get("/api/v1/health", &Fake::default());
        assert_eq!(response.status, 200);
        assert_eq!(body(&response)["components"].as_array().unwrap().len(), 6);
    }

    #[test]
    fn every_response_carries_a_request_id() {
        for path in ["/api/v1/health", "/api/v1/nope"] {
            assert_eq!(get(path, &Fake::default()).header("x-request-id"), Some("req-1"));
        }
    }

    #[test]
    fn ready_is_200_when_everything_is_configured() {
        let response = get("/api/v1/ready", &Fake::default());
        assert_eq!(response.status, 200);
        assert_eq!(body(&response)["ready"], true);
    }

    #[test]
    fn ready_names_each_missing_setting_with_503() {
        let fake = Fake {
            missing: vec!["discord_public_key".into()],
            ..Fake::default()
        };
        let response = get("/api/v1/ready", &fake);
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
        assert_eq!(get("/api/v1/ready", &fake).status, 503);
    }

    #[test]
    fn upstream_is_checked_only_when_asked() {
        let fake = Fake {
            ping: Err("refused".into()),
            ..Fake::default()
        };
        assert_eq!(get("/api/v1/ready", &fake).status, 200);
        let response = get("/api/v1/ready?upstream=true", &fake);
        assert_eq!(response.status, 503);
        assert_eq!(body(&response)["upstream"]["kaltura"], "failing");
    }

    #[test]
    fn an_unknown_route_is_a_json_404() {
        let response = get("/api/v2/health", &Fake::default());
        assert_eq!(response.status, 404);
        assert_eq!(body(&response)["error"]["code"], "not_found");
    }

    #[test]
    fn a_wrong_method_is_a_405_naming_the_allowed_one() {
        let response = handle(
            &Request {
                method: "POST",
                path_with_query: "/api/v1/health",
                origin: None,
            },
            &Fake::default(),
        );
        assert_eq!(response.status, 405);
        assert_eq!(response.header("allow"), Some("GET"));
    }

    #[test]
    fn a_trailing_slash_reaches_the_same_route() {
        assert_eq!(get("/api/v1/health/", &Fake::default()).status, 200);
    }

    #[test]
    fn a_preflight_is_answered_only_for_a_configured_origin() {
        let preflight = |fake: &Fake| {
            handle(
                &Request {
                    method: "OPTIONS",
                    path_with_query: "/api/v1/health",
                    origin: Some("https://app.example"),
                },
                fake,
            )
        };
        assert_eq!(preflight(&Fake::default()).status, 403);
        let fake = Fake {
            cors: Some("https://app.example".into()),
            ..Fake::default()
        };
        let response = preflight(&fake);
        assert_eq!(response.status, 204);
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("https://app.example")
        );
    }

    #[test]
    fn the_openapi_document_lists_every_route() {
        let document = body(&get("/api/v1/openapi.json", &Fake::default()));
        assert_eq!(document["openapi"], "3.1.0");
        for route in ROUTES {
            let operation = &document["paths"][route.path][route.method.to_ascii_lowercase()];
            assert_eq!(operation["operationId"], route.name, "{}", route.path);
        }
    }
}
