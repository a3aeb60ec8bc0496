//! The OpenAPI 3.1 document of `/api/v1`, built from the route table so that every
//! route is documented and nothing undocumented is routed. Each route's request body,
//! parameters and responses (with their JSON Schemas) are described here; the
//! end-to-end suite checks every documented route's real responses against them.

use crate::api_keys::{MAX_DAYS, MAX_DAYS_SETTING, REQUIRE_EXPIRY_SETTING};
use crate::auth::Guard;
use crate::auth::ADMIN_TOKEN_SETTING;
use crate::guild::{
    DEFAULT_AUDIT_LIMIT, DEFAULT_NOTIFICATION_AUDIT_LIMIT, MAX_AUDIT_LIMIT,
    MAX_NOTIFICATION_AUDIT_LIMIT,
};
use crate::routes::{Deployment, Endpoint, Public, Route, Server};
use crate::subscriptions::{DEFAULT_DELIVERIES, MAX_DELIVERIES, MAX_PUMP};
use crate::upstream::INTERVAL_SETTING;
use contracts::config::Section;
use contracts::events::EventType;
use contracts::identity::{ApiKeyInfo, Scope};
use contracts::kaltura::MeetingKind;
use contracts::KalturaRole;
use notify_log::AuditOutcome;
use serde_json::{json, Map, Value};

/// What a route takes and answers, beyond what the route table says.
struct Spec {
    /// The request body's schema and whether the body is required.
    body: Option<(&'static str, bool)>,
    /// Query and header parameters.
    extra_parameters: Vec<Value>,
    /// Status → what the response is.
    responses: Vec<(&'static str, Answer)>,
}

enum Answer {
    /// A JSON body with this schema.
    Schema(&'static str),
    /// A JSON body with this schema and these response headers (component names).
    SchemaWith(&'static str, &'static [(&'static str, &'static str)]),
    /// No body.
    Empty(&'static str),
    /// The error response.
    Error,
}

/// The `If-Match` header of a configuration write.
fn if_match() -> Value {
    json!({
        "name": "If-Match", "in": "header", "required": false,
        "description": "The version the change is based on, as the ETag of GET gives it (or `expected_version` in the body).",
        "schema": { "type": "string" }
    })
}

/// The `limit` query parameter of a configuration audit log.
fn audit_limit() -> Value {
    limit(DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT)
}

/// A `limit` query parameter: how many entries, `default` when absent, at most `max`.
fn limit(default: u32, max: u32) -> Value {
    json!({
        "name": "limit", "in": "query", "required": false,
        "description": format!("How many entries, newest first (default {default})."),
        "schema": { "type": "integer", "minimum": 1, "maximum": max }
    })
}

/// What `endpoint` takes and answers (an exhaustive match: every endpoint has one).
fn spec(endpoint: Endpoint) -> Spec {
    use Answer::{Empty, Error, Schema, SchemaWith};
    let s = |body: Option<(&'static str, bool)>, responses: Vec<(&'static str, Answer)>| Spec {
        body,
        extra_parameters: Vec::new(),
        responses,
    };
    match endpoint {
        Endpoint::Public(Public::Health) => s(None, vec![("200", Schema("Health"))]),
        Endpoint::Public(Public::Ready) => Spec {
            body: None,
            extra_parameters: vec![json!({
                "name": "upstream", "in": "query", "required": false,
                "description": format!(
                    "`true`: also report Kaltura's state. Kaltura is pinged at most once per {INTERVAL_SETTING} seconds for the whole deployment; other requests get the last result. Why it fails is shown only to operators: the deployment administrator's token, or a credential with the audit:read scope."
                ),
                "schema": { "type": "boolean" }
            })],
            responses: vec![
                ("200", Schema("Ready")),
                ("400", Error),
                ("401", Error),
                ("503", Schema("Ready")),
            ],
        },
        Endpoint::Public(Public::OpenApi) => s(None, vec![("200", Schema("OpenApiDocument"))]),
        Endpoint::Public(Public::SignIn) => s(
            Some(("SignInRequest", true)),
            vec![
                ("200", Schema("SignIn")),
                ("400", Error),
                ("401", Error),
                ("403", Error),
                ("502", Error),
                ("503", Error),
            ],
        ),
        Endpoint::Public(Public::Refresh) => s(
            Some(("RefreshRequest", true)),
            vec![
                ("200", Schema("Refreshed")),
                ("400", Error),
                ("401", Error),
                ("503", Error),
            ],
        ),
        Endpoint::Public(Public::Revoke) => s(
            Some(("RevokeRequest", true)),
            vec![("204", Empty("Revoked")), ("400", Error), ("401", Error)],
        ),
        Endpoint::Server(_, Server::Me) => s(None, vec![("200", Schema("Me"))]),
        Endpoint::Server(_, Server::ListMeetings) => s(None, vec![("200", Schema("MeetingList"))]),
        Endpoint::Server(_, Server::CreateMeeting) => s(
            Some(("NewMeeting", true)),
            vec![
                ("201", SchemaWith("Meeting", &[("location", "Location")])),
                ("400", Error),
                ("502", Error),
                ("503", Error),
            ],
        ),
        Endpoint::Server(_, Server::GetMeeting) => {
            s(None, vec![("200", Schema("Meeting")), ("404", Error)])
        }
        Endpoint::Server(_, Server::JoinMeeting) => s(
            None,
            vec![("200", Schema("JoinLink")), ("404", Error), ("409", Error)],
        ),
        Endpoint::Server(_, Server::EndMeeting) => s(
            None,
            vec![("200", Schema("Meeting")), ("404", Error), ("503", Error)],
        ),
        Endpoint::Server(_, Server::GetConfig) => s(
            None,
            vec![("200", SchemaWith("GuildConfig", &[("etag", "ETag")]))],
        ),
        Endpoint::Server(_, Server::UpdateConfig) => Spec {
            body: Some(("ConfigPatch", true)),
            extra_parameters: vec![if_match()],
            responses: vec![
                ("200", SchemaWith("ConfigUpdate", &[("etag", "ETag")])),
                ("400", Error),
                ("409", Error),
                ("428", Error),
            ],
        },
        Endpoint::Server(_, Server::ResetConfig) => s(
            Some(("ConfigReset", false)),
            vec![
                ("200", SchemaWith("ConfigUpdate", &[("etag", "ETag")])),
                ("400", Error),
            ],
        ),
        Endpoint::Server(_, Server::AuditLog) => Spec {
            body: None,
            extra_parameters: vec![audit_limit()],
            responses: vec![("200", Schema("AuditLog")), ("400", Error)],
        },
        Endpoint::Server(_, Server::NotificationAuditLog) => Spec {
            body: None,
            extra_parameters: vec![limit(
                DEFAULT_NOTIFICATION_AUDIT_LIMIT,
                MAX_NOTIFICATION_AUDIT_LIMIT,
            )],
            responses: vec![
                ("200", Schema("NotificationAuditLog")),
                ("400", Error),
                ("503", Error),
            ],
        },
        Endpoint::Server(_, Server::ListApiKeys) => s(None, vec![("200", Schema("ApiKeyList"))]),
        Endpoint::Server(_, Server::CreateApiKey) => s(
            Some(("NewApiKey", true)),
            vec![
                (
                    "201",
                    SchemaWith("CreatedApiKey", &[("location", "Location")]),
                ),
                ("400", Error),
                ("409", Error),
                ("503", Error),
            ],
        ),
        Endpoint::Server(_, Server::RevokeApiKey) => {
            s(None, vec![("204", Empty("Revoked")), ("404", Error)])
        }
        Endpoint::Server(_, Server::ListSubscriptions) => s(
            None,
            vec![("200", Schema("SubscriptionList")), ("503", Error)],
        ),
        Endpoint::Server(_, Server::CreateSubscription) => s(
            Some(("NewSubscription", true)),
            vec![
                (
                    "201",
                    SchemaWith("CreatedSubscription", &[("location", "Location")]),
                ),
                ("400", Error),
                ("503", Error),
            ],
        ),
        Endpoint::Server(
            _,
            Server::GetSubscription | Server::PauseSubscription | Server::ResumeSubscription,
        ) => s(
            None,
            vec![
                ("200", Schema("Subscription")),
                ("404", Error),
                ("503", Error),
            ],
        ),
        Endpoint::Server(_, Server::DeleteSubscription) => s(
            None,
            vec![("204", Empty("Deleted")), ("404", Error), ("503", Error)],
        ),
        Endpoint::Server(_, Server::SubscriptionDeliveries) => Spec {
            body: None,
            extra_parameters: vec![limit(DEFAULT_DELIVERIES, MAX_DELIVERIES)],
            responses: vec![
                ("200", Schema("DeliveryList")),
                ("400", Error),
                ("404", Error),
                ("503", Error),
            ],
        },
        Endpoint::Deployment(Deployment::PumpEvents) => Spec {
            body: None,
            extra_parameters: vec![json!({
                "name": "limit", "in": "query", "required": false,
                "description": format!("The most attempts to make (default and most {MAX_PUMP})."),
                "schema": { "type": "integer", "minimum": 1, "maximum": MAX_PUMP }
            })],
            responses: vec![
                ("200", Schema("PumpReport")),
                ("400", Error),
                ("503", Error),
            ],
        },
        Endpoint::Deployment(Deployment::GetConfig) => s(
            None,
            vec![
                ("200", SchemaWith("DeploymentConfig", &[("etag", "ETag")])),
                ("503", Error),
            ],
        ),
        Endpoint::Deployment(Deployment::UpdateConfig) => Spec {
            body: Some(("ConfigPatch", true)),
            extra_parameters: vec![if_match()],
            responses: vec![
                ("200", SchemaWith("ConfigUpdate", &[("etag", "ETag")])),
                ("400", Error),
                ("409", Error),
                ("428", Error),
                ("503", Error),
            ],
        },
        Endpoint::Deployment(Deployment::AuditLog) => Spec {
            body: None,
            extra_parameters: vec![audit_limit()],
            responses: vec![("200", Schema("AuditLog")), ("400", Error), ("503", Error)],
        },
    }
}

/// The document for `routes`.
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for route in routes {
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        if let Some(item) = entry.as_object_mut() {
            item.insert(route.method.to_ascii_lowercase(), operation(route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "kaltura-discord API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": concat!(
                "Kaltura meetings for Discord servers. Sign in with a Discord OAuth2 authorization code ",
                "(POST /api/v1/auth/discord) to get an access token for one server, or use an API key a ",
                "server admin created; send either as `Authorization: Bearer`. A credential is valid on ",
                "its own server only. The deployment routes (/api/v1/deployment/...) take the deployment ",
                "administrator's token instead, and refuse server credentials. ",
                "Every error is {\"error\":{\"code\",\"message\"}}; every response ",
                "carries x-request-id. Rate limits per token and per client address answer 429 with ",
                "Retry-After. Deprecated routes answer with Deprecation and Sunset headers."
            )
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "webhooks": webhooks(),
        "components": {
            "schemas": schemas(),
            "responses": {
                "Error": {
                    "description": "An error.",
                    "headers": { "x-request-id": { "$ref": "#/components/headers/RequestId" } },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                },
                "Unauthorized": {
                    "description": "No credential, or one that is malformed, forged, expired or revoked.",
                    "headers": {
                        "x-request-id": { "$ref": "#/components/headers/RequestId" },
                        "www-authenticate": { "$ref": "#/components/headers/WwwAuthenticate" }
                    },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                },
                "RateLimited": {
                    "description": "Too many requests from this token or address.",
                    "headers": {
                        "x-request-id": { "$ref": "#/components/headers/RequestId" },
                        "retry-after": { "$ref": "#/components/headers/RetryAfter" }
                    },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                }
            },
            "headers": {
                "RequestId": { "description": "This request's id, for support and logs.", "schema": { "type": "string" } },
                "RetryAfter": { "description": "Seconds to wait before trying again.", "schema": { "type": "integer", "minimum": 1 } },
                "WwwAuthenticate": { "description": "The Bearer challenge (RFC 6750).", "schema": { "type": "string" } },
                "ETag": { "description": "The configuration's version, for If-Match.", "schema": { "type": "string" } },
                "Location": { "description": "Where the created resource is.", "schema": { "type": "string" } }
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token from /api/v1/auth/discord, or an API key (kdk_...)."
                },
                "deploymentAdmin": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": format!("The deployment administrator's token: the secret setting {ADMIN_TOKEN_SETTING}. It opens the deployment routes only; it is not a server credential.")
                }
            }
        }
    })
}

/// The event catalogue as OpenAPI 3.1 `webhooks`: one operation per event type, the
/// request a subscriber receives (its envelope's schema under `components`, with an
/// example), signed per Standard Webhooks.
fn webhooks() -> Value {
    let mut hooks = Map::new();
    for &event_type in EventType::ALL {
        let name = event_catalogue::schema_name(event_type);
        hooks.insert(
            event_type.as_str().to_owned(),
            json!({
                "post": {
                    "operationId": format!("event_{}", event_type.as_str().replace('.', "_")),
                    "summary": event_catalogue::about(event_type),
                    "description": concat!(
                        "Sent to each subscription of the server that chose this type, at least once: ",
                        "retried on the deployment's schedule (events_retry_schedule) with the same ",
                        "webhook-id until the receiver answers 2xx; deliveries to one subscription are ",
                        "in order. Verify webhook-signature (Standard Webhooks: v1, base64 of ",
                        "HMAC-SHA256 over \"{webhook-id}.{webhook-timestamp}.{body}\" with the ",
                        "subscription's secret) and deduplicate by webhook-id."
                    ),
                    "parameters": [
                        { "name": "webhook-id", "in": "header", "required": true, "schema": { "type": "string", "pattern": "^msg_[0-9a-f]{24}$" }, "description": "The delivery's id: the same on every attempt." },
                        { "name": "webhook-timestamp", "in": "header", "required": true, "schema": { "type": "string", "pattern": "^[0-9]+$" }, "description": "When this attempt was signed, Unix seconds." },
                        { "name": "webhook-signature", "in": "header", "required": true, "schema": { "type": "string", "pattern": "^v1,[A-Za-z0-9+/=]+$" }, "description": "v1, then the base64 signature." }
                    ],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } }
                    },
                    "responses": {
                        "2XX": { "description": "Delivered." },
                        "default": { "description": "Not delivered: retried later." }
                    }
                }
            }),
        );
    }
    Value::Object(hooks)
}

/// The subscriptions' schemas and each event type's envelope (from `event-catalogue`).
fn event_schemas(all: &mut Value) {
    let type_names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    let time = json!({ "type": "integer", "minimum": 0 });
    let subscription_properties = json!({
        "id": { "type": "string", "pattern": "^sub_[0-9a-f]{24}$" },
        "guild_id": { "$ref": "#/components/schemas/Snowflake" },
        "url": { "type": "string" },
        "event_types": { "type": "array", "items": { "$ref": "#/components/schemas/EventType" } },
        "description": { "type": "string" },
        "state": { "type": "string", "enum": ["active", "paused"] },
        "paused_reason": { "type": ["string", "null"], "description": "Who paused it, or which delivery gave up and how its last attempt failed." },
        "paused_at": { "type": ["integer", "null"], "minimum": 0 },
        "created_at": time,
        "created_by": { "$ref": "#/components/schemas/Actor" },
        "consecutive_failures": { "type": "integer", "minimum": 0 },
        "pending": { "type": "integer", "minimum": 0, "description": "Deliveries waiting; the first is being tried or retried." }
    });
    let fields = [
        "id",
        "guild_id",
        "url",
        "event_types",
        "description",
        "state",
        "paused_reason",
        "paused_at",
        "created_at",
        "created_by",
        "consecutive_failures",
        "pending",
    ];
    let mut created_properties = subscription_properties.clone();
    created_properties["secret"] = json!({
        "type": "string", "pattern": "^whsec_[A-Za-z0-9+/=]+$",
        "description": "The signing secret (Standard Webhooks): shown in this answer only."
    });
    let mut created_fields = fields.to_vec();
    created_fields.push("secret");
    all["EventType"] = json!({ "type": "string", "enum": type_names });
    all["Subscription"] = object(&fields, subscription_properties);
    all["CreatedSubscription"] = object(&created_fields, created_properties);
    all["SubscriptionList"] = object(
        &["subscriptions"],
        json!({ "subscriptions": { "type": "array", "items": { "$ref": "#/components/schemas/Subscription" } } }),
    );
    all["NewSubscription"] = json!({
        "type": "object",
        "required": ["url", "event_types"],
        "properties": {
            "url": { "type": "string", "minLength": 1, "maxLength": 2000, "description": "An https:// URL (http:// only where the deployment allows it for tests); private, loopback and link-local addresses and localhost are refused unless the deployment allows them." },
            "event_types": { "type": "array", "minItems": 1, "uniqueItems": true, "items": { "$ref": "#/components/schemas/EventType" } },
            "description": { "type": "string", "maxLength": 200, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$" }
        }
    });
    let attempt = object(
        &["at_ms", "status", "error", "duration_ms"],
        json!({
            "at_ms": time,
            "status": { "type": ["integer", "null"], "minimum": 100, "maximum": 599 },
            "error": { "type": ["string", "null"] },
            "duration_ms": { "type": "integer", "minimum": 0 }
        }),
    );
    all["Delivery"] = object(
        &[
            "id",
            "event_type",
            "created_at_ms",
            "state",
            "attempts",
            "next_attempt_at_ms",
        ],
        json!({
            "id": { "type": "string", "description": "The webhook-id." },
            "event_type": { "$ref": "#/components/schemas/EventType" },
            "created_at_ms": time,
            "state": { "type": "string", "enum": ["pending", "delivered", "failed"] },
            "attempts": { "type": "array", "items": attempt },
            "next_attempt_at_ms": { "type": ["integer", "null"], "minimum": 0 }
        }),
    );
    all["DeliveryList"] = object(
        &["deliveries"],
        json!({ "deliveries": { "type": "array", "items": { "$ref": "#/components/schemas/Delivery" } } }),
    );
    all["PumpReport"] = object(
        &["attempted", "delivered", "retrying", "gave_up"],
        json!({
            "attempted": { "type": "integer", "minimum": 0 },
            "delivered": { "type": "integer", "minimum": 0 },
            "retrying": { "type": "integer", "minimum": 0 },
            "gave_up": { "type": "integer", "minimum": 0 }
        }),
    );
    for &event_type in EventType::ALL {
        all[event_catalogue::schema_name(event_type)] = event_catalogue::schema(event_type);
    }
}

fn operation(route: &Route) -> Value {
    let spec = spec(route.endpoint);
    let mut description = route.summary.to_owned();
    match route.endpoint {
        Endpoint::Public(_) => {}
        Endpoint::Server(Guard::Authenticated, _) => {
            description.push_str(" Needs any valid credential.");
        }
        Endpoint::Server(Guard::Scope(scope), _) => {
            description.push_str(&format!(" Needs the {} scope.", scope.as_str()));
        }
        Endpoint::Server(Guard::Member(scope), _) => description.push_str(&format!(
            " Needs a member's access token with the {} scope.",
            scope.as_str()
        )),
        Endpoint::Deployment(_) => description.push_str(&format!(
            " Needs the deployment administrator's token ({ADMIN_TOKEN_SETTING}); server credentials (access tokens, API keys) get 403. 503 when the deployment has no administrator token."
        )),
    }
    if route.path.contains("{guild_id}") {
        description.push_str(" The credential must be for this server (403 otherwise).");
    }
    let mut op = json!({
        "operationId": route.name,
        "summary": route.summary,
        "description": description,
        "tags": [tag(route.path)],
        "parameters": parameters(route.path, spec.extra_parameters),
        "responses": responses(route, &spec.responses),
    });
    if let Some((schema, required)) = spec.body {
        op["requestBody"] = json!({
            "required": required,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        });
    }
    op["security"] = match route.endpoint {
        // A credential is optional there: it only adds detail.
        Endpoint::Public(Public::Ready) => json!([{}, { "bearer": [] }, { "deploymentAdmin": [] }]),
        Endpoint::Public(_) => json!([]),
        Endpoint::Deployment(_) => json!([{ "deploymentAdmin": [] }]),
        Endpoint::Server(_, _) => json!([{ "bearer": [] }]),
    };
    if let Some(scope) = route.endpoint.scope() {
        op["x-required-scope"] = json!(scope.as_str());
    }
    if route.deprecated.is_some() {
        op["deprecated"] = json!(true);
    }
    op
}

fn tag(path: &str) -> &'static str {
    if path.starts_with("/api/v1/auth/") || path == "/api/v1/me" {
        "auth"
    } else if path.starts_with("/api/v1/meetings") {
        "meetings"
    } else if path.contains("/subscriptions") {
        "events"
    } else if path.starts_with("/api/v1/guilds/") {
        "guilds"
    } else if path.starts_with("/api/v1/deployment/") {
        "deployment"
    } else {
        "service"
    }
}

fn parameters(path: &str, extra: Vec<Value>) -> Value {
    let mut list: Vec<Value> = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = match name {
                "guild_id" => json!({ "$ref": "#/components/schemas/Snowflake" }),
                "meeting_id" => json!({ "type": "string", "pattern": "^[1-9][0-9]{0,19}$" }),
                "key_id" => json!({ "type": "string", "pattern": "^[0-9a-f]{16}$" }),
                "subscription_id" => {
                    json!({ "type": "string", "pattern": "^sub_[0-9a-f]{24}$" })
                }
                _ => json!({ "type": "string" }),
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema })
        })
        .collect();
    list.extend(extra);
    Value::Array(list)
}

fn responses(route: &Route, answers: &[(&'static str, Answer)]) -> Value {
    let request_id = json!({ "x-request-id": { "$ref": "#/components/headers/RequestId" } });
    let mut map = Map::new();
    for (status, answer) in answers {
        let value = match answer {
            Answer::Schema(schema) | Answer::SchemaWith(schema, _) => {
                let mut headers = request_id.clone();
                if let Answer::SchemaWith(_, extra) = answer {
                    for (name, component) in *extra {
                        headers[*name] =
                            json!({ "$ref": format!("#/components/headers/{component}") });
                    }
                }
                json!({
                    "description": if status.starts_with('2') { "OK" } else { "See the body." },
                    "headers": headers,
                    "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
                })
            }
            Answer::Empty(what) => json!({ "description": what, "headers": request_id.clone() }),
            Answer::Error => json!({ "$ref": "#/components/responses/Error" }),
        };
        map.insert((*status).to_owned(), value);
    }
    if route.endpoint.address_limited() {
        map.insert(
            "429".into(),
            json!({ "$ref": "#/components/responses/RateLimited" }),
        );
    }
    if route.endpoint.needs_credential() {
        map.insert(
            "401".into(),
            json!({ "$ref": "#/components/responses/Unauthorized" }),
        );
        map.insert(
            "403".into(),
            json!({ "$ref": "#/components/responses/Error" }),
        );
    }
    map.insert(
        "default".into(),
        json!({ "$ref": "#/components/responses/Error" }),
    );
    Value::Object(map)
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false
    })
}

fn schemas() -> Value {
    let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    let roles: Vec<&str> = KalturaRole::ALL.iter().map(|r| r.as_str()).collect();
    let kinds: Vec<&str> = MeetingKind::ALL.iter().map(|k| k.as_str()).collect();
    let sections: Vec<&str> = Section::ALL.iter().map(|s| s.as_str()).collect();
    let nullable_time = json!({ "type": ["integer", "null"], "minimum": 0 });
    let time = json!({ "type": "integer", "minimum": 0 });
    let error_body = object(
        &["code", "message"],
        json!({ "code": { "type": "string" }, "message": { "type": "string" } }),
    );
    let token_properties = json!({
        "access_token": { "type": "string", "description": "Send as `Authorization: Bearer <access_token>`." },
        "refresh_token": { "type": "string", "description": "For /api/v1/auth/refresh and /api/v1/auth/revoke only." },
        "token_type": { "const": "Bearer" },
        "expires_at": time,
        "expires_in": time,
        "refresh_expires_at": time
    });
    let token_fields = [
        "access_token",
        "refresh_token",
        "token_type",
        "expires_at",
        "expires_in",
        "refresh_expires_at",
    ];
    let mut sign_in_properties = token_properties.clone();
    sign_in_properties["guild_id"] = json!({ "$ref": "#/components/schemas/Snowflake" });
    sign_in_properties["role"] = json!({ "$ref": "#/components/schemas/Role" });
    sign_in_properties["scopes"] =
        json!({ "type": "array", "items": { "$ref": "#/components/schemas/Scope" } });
    let mut refreshed_properties = sign_in_properties.clone();
    refreshed_properties["role"] = json!({
        "$ref": "#/components/schemas/Role",
        "description": "The member's role now: Discord and the server's role mapping were asked again."
    });
    sign_in_properties["user"] = object(
        &[
            "id",
            "username",
            "global_name",
            "display_name",
            "kaltura_user_id",
        ],
        json!({
            "id": { "$ref": "#/components/schemas/Snowflake" },
            "username": { "type": "string" },
            "global_name": { "type": ["string", "null"] },
            "display_name": { "type": "string" },
            "kaltura_user_id": { "type": "string" }
        }),
    );
    let mut refreshed_required = token_fields.to_vec();
    refreshed_required.extend(["guild_id", "role", "scopes"]);
    let mut sign_in_required = refreshed_required.clone();
    sign_in_required.push("user");
    let key_properties = json!({
        "id": { "type": "string", "pattern": "^[0-9a-f]{16}$" },
        "guild_id": { "$ref": "#/components/schemas/Snowflake" },
        "scopes": { "type": "array", "items": { "$ref": "#/components/schemas/Scope" } },
        "label": { "type": "string" },
        "created_by": { "$ref": "#/components/schemas/Actor" },
        "created_at": time,
        "expires_at": {
            "type": ["integer", "null"], "minimum": 0,
            "description": "When the key stops working (Unix seconds); null: it works until revoked."
        },
        "expired": {
            "type": "boolean",
            "description": "Whether the expiry has passed: the key is refused (401), and stays listed until revoked."
        }
    });
    let key_fields = [
        "id",
        "guild_id",
        "scopes",
        "label",
        "created_by",
        "created_at",
        "expires_at",
        "expired",
    ];
    let mut listed_key_properties = key_properties.clone();
    listed_key_properties["creator_membership"] = json!({
        "enum": ["member", "left", "unknown", "not_applicable"],
        "description": "Whether the member who created the key is still a member of the server, as Discord says now: member; left (Discord does not list them); unknown (Discord could not say: no answer, rate limited, failing, or no bot token; the listing still answers); not_applicable (created with an API key or by the deployment administrator)."
    });
    let mut listed_key_fields = key_fields.to_vec();
    listed_key_fields.push("creator_membership");
    let mut created_key_properties = key_properties.clone();
    created_key_properties["key"] = json!({
        "type": "string", "pattern": "^kdk_",
        "description": "The whole key, shown this once: it is not stored and cannot be recovered."
    });
    let mut created_key_required = key_fields.to_vec();
    created_key_required.push("key");

    let notification_attempt = object(
        &["at_ms", "result"],
        json!({
            "at_ms": { "type": "integer", "minimum": 0, "description": "When it was sent (Unix milliseconds)." },
            "status": { "type": "integer", "minimum": 100, "maximum": 599, "description": "Discord's HTTP status; absent when no answer came (timeout, refused connection)." },
            "result": { "type": "string", "description": "What happened, e.g. `rate limited; retry after 50ms`." },
            "wait_ms": { "type": "integer", "minimum": 0, "description": "How long the next try waited after this one, in milliseconds." }
        }),
    );
    let notification_entry = json!({
        "description": "One delivery of one Kaltura event to one channel. Ids, statuses and Discord's error text only: no token, secret or Kaltura text (titles, names).",
        "type": "object",
        "required": ["at", "event_id", "event", "channel_id", "attempts", "outcome"],
        "additionalProperties": false,
        "properties": {
            "at": { "type": "integer", "minimum": 0, "description": "When the delivery ended (Unix seconds)." },
            "event_id": { "type": "string", "description": "The Kaltura event: `job-<eventNotificationJobId>`, or `sha256-<hex>` of a body without a job id." },
            "event": { "type": "string", "description": "The product event: meeting_start, meeting_end, recording_ready or entry_ready." },
            "kaltura_id": { "type": "string", "description": "The Kaltura entry or meeting it is about, when known." },
            "channel_id": { "$ref": "#/components/schemas/Snowflake" },
            "attempts": { "type": "array", "items": { "$ref": "#/components/schemas/NotificationAttempt" }, "description": "Every try, in order." },
            "outcome": { "enum": AuditOutcome::NAMES, "description": "delivered; undeliverable (Discord refused it for good: 403, 404, another 4xx); retry_later (Kaltura was answered 5xx and will redeliver)." },
            "detail": { "type": "string", "description": "Why, when it did not end delivered." },
            "message_id": { "type": "string", "description": "The Discord message, when delivered." }
        }
    });

    // Added apart: one `json!` of every schema would exceed the macro's recursion limit.
    let mut all = json!({
        "Error": object(&["error"], json!({ "error": error_body })),
        "Snowflake": { "type": "string", "pattern": "^[0-9]{1,20}$", "description": "A Discord ID: a non-zero 64-bit number in decimal." },
        "Scope": { "enum": scopes },
        "Role": { "enum": roles },
        "Health": object(&["status", "version", "components"], json!({
            "status": { "const": "ok" },
            "version": { "type": "string" },
            "components": { "type": "array", "items": { "type": "string" } }
        })),
        "ServiceStatus": object(&["name", "version", "missing_settings", "key_value_ok"], json!({
            "name": { "type": "string" },
            "version": { "type": "string" },
            "missing_settings": { "type": "array", "items": { "type": "string" } },
            "key_value_ok": { "type": "boolean" }
        })),
        "Ready": object(&["ready", "version", "services"], json!({
            "ready": { "type": "boolean" },
            "version": { "type": "string" },
            "services": { "type": "array", "items": { "$ref": "#/components/schemas/ServiceStatus" } },
            "upstream": object(&["kaltura"], json!({
                "kaltura": { "enum": ["ok", "failing", "unknown"], "description": "`unknown`: another request is checking and nothing is recorded yet." },
                "checked_at": { "type": "integer", "minimum": 0, "description": "When Kaltura was pinged (Unix seconds)." },
                "detail": { "type": "string", "description": "Why it failed; for operators only." }
            })),
            "error": error_body
        })),
        "OpenApiDocument": {
            "type": "object",
            "required": ["openapi", "info", "paths"],
            "properties": { "openapi": { "const": "3.1.0" } }
        },
        "SignInRequest": {
            "type": "object",
            "required": ["code", "guild_id"],
            "description": "Other fields (roles, permissions, ...) are ignored: roles come from Discord only.",
            "properties": {
                "code": { "type": "string", "minLength": 1, "maxLength": 512, "description": "The OAuth2 authorization code Discord gave the client (scope `identify`)." },
                "guild_id": { "$ref": "#/components/schemas/Snowflake" },
                "redirect_uri": { "type": "string", "maxLength": 2048, "description": "The redirect URI the authorization used; omit for a Discord Activity's flow." }
            }
        },
        "Refreshed": object(&refreshed_required, refreshed_properties),
        "SignIn": object(&sign_in_required, sign_in_properties),
        "RefreshRequest": {
            "type": "object", "required": ["refresh_token"],
            "properties": { "refresh_token": { "type": "string", "minLength": 1 } }
        },
        "RevokeRequest": {
            "type": "object", "required": ["token"],
            "properties": { "token": { "type": "string", "minLength": 1, "description": "An access or refresh token of the session." } }
        },
        "Me": object(&["kind", "guild_id", "scopes"], json!({
            "kind": { "enum": ["member", "api_key"] },
            "guild_id": { "$ref": "#/components/schemas/Snowflake" },
            "scopes": { "type": "array", "items": { "$ref": "#/components/schemas/Scope" } },
            "user_id": { "$ref": "#/components/schemas/Snowflake" },
            "role": { "$ref": "#/components/schemas/Role" },
            "key_id": { "type": "string" },
            "label": { "type": "string" },
            "expires_at": { "type": "integer", "minimum": 0, "description": "When the access token expires; for an API key, when the key does (absent: it works until revoked)." }
        })),
        "MeetingKind": { "enum": kinds },
        "Meeting": object(
            &["id", "kind", "title", "guild_id", "channel_id", "owner_id", "created_at", "start_time", "end_time", "ended_at", "active"],
            json!({
                "id": { "type": "string", "pattern": "^[0-9]+$" },
                "kind": { "$ref": "#/components/schemas/MeetingKind" },
                "title": { "type": "string" },
                "guild_id": { "$ref": "#/components/schemas/Snowflake" },
                "channel_id": { "$ref": "#/components/schemas/Snowflake" },
                "owner_id": { "$ref": "#/components/schemas/Snowflake" },
                "created_at": time,
                "start_time": nullable_time,
                "end_time": nullable_time,
                "ended_at": nullable_time,
                "active": { "type": "boolean" }
            }),
        ),
        "MeetingList": object(&["meetings"], json!({
            "meetings": { "type": "array", "items": { "$ref": "#/components/schemas/Meeting" } }
        })),
        "NewMeeting": {
            "type": "object",
            "required": ["kind", "title", "channel_id"],
            "properties": {
                "kind": { "$ref": "#/components/schemas/MeetingKind" },
                "title": { "type": "string", "minLength": 1, "maxLength": 100, "description": "1 to 100 characters once control characters are removed and whitespace is collapsed (the kaltura service's rule)." },
                "description": { "type": "string", "maxLength": 1024 },
                "channel_id": { "$ref": "#/components/schemas/Snowflake", "description": "A channel of the credential's server, where the meeting's events are posted." },
                "start_time": { "type": "integer", "minimum": 0, "description": "Unix seconds; omit for a room open now." },
                "duration_minutes": { "type": "integer", "minimum": 1, "maximum": 1440 }
            }
        },
        "JoinLink": object(&["meeting_id", "role", "url"], json!({
            "meeting_id": { "type": "string" },
            "role": { "enum": ["host", "attendee"] },
            "url": { "type": "string", "description": "A bearer credential for this member alone: never share or log it." }
        })),
        "GuildConfig": object(&["guild_id", "version", "deployment_version", "config", "overrides"], json!({
            "guild_id": { "$ref": "#/components/schemas/Snowflake" },
            "version": time,
            "deployment_version": time,
            "config": { "type": "object", "description": "The merged settings, every key." },
            "overrides": { "type": "object", "description": "The server's own overrides." }
        })),
        "DeploymentConfig": object(&["version", "overrides"], json!({
            "version": time,
            "overrides": { "type": "object", "description": "The deployment-wide overrides (sparse), `{}` when there are none." }
        })),
        "ConfigPatch": {
            "type": "object",
            "required": ["patch"],
            "properties": {
                "patch": { "type": "object", "description": "A JSON merge patch (RFC 7396) of the overrides (the server's, or the deployment's); null removes one." },
                "expected_version": { "type": "integer", "minimum": 0, "description": "The version the change is based on (or If-Match)." }
            }
        },
        "ConfigReset": {
            "type": "object",
            "properties": { "section": { "enum": sections, "description": "Omit to reset every section." } }
        },
        "ConfigUpdate": object(&["version", "changed_keys"], json!({
            "version": time,
            "changed_keys": { "type": "array", "items": { "type": "string" } }
        })),
        "Actor": object(&["type", "id"], json!({
            "type": { "enum": ["discord_user", "api_key"] },
            "id": { "type": "string", "description": "A Discord user ID, an API key's ID, or `deployment-admin` for the deployment administrator." }
        })),
        "AuditEntry": object(&["at", "actor", "version", "changes"], json!({
            "at": time,
            "actor": { "$ref": "#/components/schemas/Actor" },
            "version": time,
            "changes": {
                "type": "array",
                "items": object(&["key", "old_value", "new_value"], json!({
                    "key": { "type": "string" },
                    "old_value": { "description": "The override before (any JSON), null if none." },
                    "new_value": { "description": "The override after (any JSON), null if removed." }
                }))
            }
        })),
        "AuditLog": object(&["entries"], json!({
            "entries": { "type": "array", "items": { "$ref": "#/components/schemas/AuditEntry" } }
        })),
        "ApiKey": object(&listed_key_fields, listed_key_properties),
        "ApiKeyList": object(&["keys"], json!({
            "keys": { "type": "array", "items": { "$ref": "#/components/schemas/ApiKey" } }
        })),
        "CreatedApiKey": object(&created_key_required, created_key_properties)
    });
    all["NewApiKey"] = json!({
        "type": "object",
        "required": ["label", "scopes"],
        "properties": {
            "label": { "type": "string", "minLength": 1, "maxLength": 100 },
            "scopes": { "type": "array", "minItems": 1, "items": { "$ref": "#/components/schemas/Scope" }, "description": "Only scopes the caller holds." },
            "expires_at": { "type": "integer", "minimum": 1, "description": format!("When the key stops working (Unix seconds): in the future, at most {MAX_DAYS_SETTING} days ahead (default and most: {MAX_DAYS}). Not with ttl_seconds.") },
            "ttl_seconds": { "type": "integer", "minimum": 1, "maximum": ApiKeyInfo::MAX_LIFETIME_SECONDS, "description": format!("How long the key works, in seconds from now, instead of expires_at: at most {MAX_DAYS_SETTING} days. Without either, the key works until revoked, unless {REQUIRE_EXPIRY_SETTING} is true (then 400).") }
        },
        "not": { "required": ["expires_at", "ttl_seconds"] }
    });
    event_schemas(&mut all);
    all["NotificationAttempt"] = notification_attempt;
    all["NotificationAuditEntry"] = notification_entry;
    all["NotificationAuditLog"] = object(
        &["entries"],
        json!({
            "entries": { "type": "array", "items": { "$ref": "#/components/schemas/NotificationAuditEntry" } }
        }),
    );
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::ROUTES;

    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "$ref" {
                        if let Some(s) = v.as_str() {
                            found.push(s.to_owned());
                        }
                    }
                    refs(v, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_route_is_specified_with_a_success_response() {
        let document = document(ROUTES);
        for route in ROUTES {
            let responses =
                &document["paths"][route.path][route.method.to_ascii_lowercase()]["responses"];
            let success = responses
                .as_object()
                .unwrap()
                .keys()
                .any(|status| status.starts_with('2'));
            assert!(success, "{} documents no success", route.name);
        }
    }

    #[test]
    fn every_reference_resolves() {
        let document = document(ROUTES);
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(!found.is_empty());
        for reference in found {
            let pointer = reference.trim_start_matches('#');
            assert!(
                document.pointer(pointer).is_some(),
                "{reference} does not resolve"
            );
        }
    }

    #[test]
    fn credentialed_routes_document_401_403_and_429() {
        let document = document(ROUTES);
        for route in ROUTES.iter().filter(|r| r.endpoint.needs_credential()) {
            let op = &document["paths"][route.path][route.method.to_ascii_lowercase()];
            for status in ["401", "403", "429"] {
                assert!(
                    op["responses"][status].is_object(),
                    "{} {status}",
                    route.name
                );
            }
            let scheme = if matches!(route.endpoint, Endpoint::Deployment(_)) {
                "deploymentAdmin"
            } else {
                "bearer"
            };
            assert_eq!(op["security"], json!([{ scheme: [] }]), "{}", route.name);
        }
    }

    #[test]
    fn refresh_documents_the_grant_and_503_and_keys_their_expiry_and_creator() {
        let document = document(ROUTES);
        let refresh = &document["paths"]["/api/v1/auth/refresh"]["post"]["responses"];
        assert_eq!(
            refresh["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Refreshed"
        );
        assert!(refresh["503"].is_object());
        let schemas = &document["components"]["schemas"];
        for field in ["role", "scopes", "guild_id"] {
            assert!(
                schemas["Refreshed"]["required"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(field)),
                "{field}"
            );
        }
        let listed = schemas["ApiKey"]["required"].as_array().unwrap();
        for field in ["expires_at", "expired", "creator_membership"] {
            assert!(listed.contains(&json!(field)), "{field}");
        }
        assert!(schemas["CreatedApiKey"]["properties"]["creator_membership"].is_null());
        let new_key = &schemas["NewApiKey"];
        assert_eq!(
            new_key["properties"]["ttl_seconds"]["maximum"],
            365 * 86_400
        );
        assert_eq!(
            new_key["not"],
            json!({ "required": ["expires_at", "ttl_seconds"] })
        );
    }

    #[test]
    fn the_deployment_routes_document_the_administrator_token_and_503() {
        let document = document(ROUTES);
        let scheme = &document["components"]["securitySchemes"]["deploymentAdmin"];
        assert_eq!(scheme["scheme"], "bearer");
        assert!(scheme["description"]
            .as_str()
            .unwrap()
            .contains(ADMIN_TOKEN_SETTING));
        let admin_routes: Vec<&Route> = ROUTES
            .iter()
            .filter(|r| matches!(r.endpoint, Endpoint::Deployment(_)))
            .collect();
        assert_eq!(admin_routes.len(), 4);
        for route in admin_routes {
            assert!(route.path.starts_with("/api/v1/deployment/"));
            let op = &document["paths"][route.path][route.method.to_ascii_lowercase()];
            assert!(op["responses"]["503"].is_object(), "{}", route.name);
            assert_eq!(op["tags"], json!(["deployment"]));
        }
    }
}
