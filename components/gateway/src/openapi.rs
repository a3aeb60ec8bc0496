//! The OpenAPI 3.1 document of `/api/v1`, built from the route table so that every
//! route is documented and nothing undocumented is routed.

use crate::router::{Access, Route};
use serde_json::{json, Map, Value};

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
            "description": "Kaltura meetings for Discord servers. Every error is {\"error\":{\"code\",\"message\"}}; every response carries x-request-id."
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "responses": {
                "Error": {
                    "description": "An error.",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                }
            },
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An access token from /api/v1/auth/discord, or an API key." }
            }
        }
    })
}

fn operation(route: &Route) -> Value {
    let mut op = json!({
        "operationId": route.name,
        "summary": route.summary,
        "parameters": parameters(route.path),
        "responses": responses(route),
    });
    if let Access::Scope(scope) = route.access {
        op["security"] = json!([{ "bearer": [] }]);
        op["x-required-scope"] = json!(scope);
    }
    if route.deprecated.is_some() {
        op["deprecated"] = json!(true);
    }
    op
}

fn parameters(path: &str) -> Value {
    let mut list: Vec<Value> = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if path == "/api/v1/ready" {
        list.push(json!({
            "name": "upstream", "in": "query", "required": false,
            "description": "Also ping Kaltura.", "schema": { "type": "boolean" }
        }));
    }
    Value::Array(list)
}

fn responses(route: &Route) -> Value {
    let error = json!({ "$ref": "#/components/responses/Error" });
    let ok = |schema: &str| {
        json!({
            "description": "OK",
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        })
    };
    let mut map = Map::new();
    match route.name {
        "health" => {
            map.insert("200".into(), ok("Health"));
        }
        "ready" => {
            map.insert("200".into(), ok("Ready"));
            map.insert("503".into(), ok("Ready"));
        }
        "openapi" => {
            map.insert(
                "200".into(),
                json!({ "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } }),
            );
        }
        _ => {}
    }
    if let Access::Scope(_) = route.access {
        map.insert("401".into(), error.clone());
        map.insert("403".into(), error.clone());
        map.insert("429".into(), error.clone());
    }
    map.insert("default".into(), error);
    Value::Object(map)
}

fn schemas() -> Value {
    json!({
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": { "code": { "type": "string" }, "message": { "type": "string" } }
                }
            }
        },
        "Health": {
            "type": "object",
            "required": ["status", "version", "components"],
            "properties": {
                "status": { "const": "ok" },
                "version": { "type": "string" },
                "components": { "type": "array", "items": { "type": "string" } }
            }
        },
        "ServiceStatus": {
            "type": "object",
            "required": ["name", "version", "missing_settings", "key_value_ok"],
            "properties": {
                "name": { "type": "string" },
                "version": { "type": "string" },
                "missing_settings": { "type": "array", "items": { "type": "string" } },
                "key_value_ok": { "type": "boolean" }
            }
        },
        "Ready": {
            "type": "object",
            "required": ["ready", "version", "services"],
            "properties": {
                "ready": { "type": "boolean" },
                "version": { "type": "string" },
                "services": { "type": "array", "items": { "$ref": "#/components/schemas/ServiceStatus" } },
                "upstream": {
                    "type": "object",
                    "properties": { "kaltura": { "enum": ["ok", "failing"] } }
                },
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": { "code": { "type": "string" }, "message": { "type": "string" } }
                }
            }
        }
    })
}
