//! The one error shape every HTTP endpoint answers with: `{"error":{"code","message"}}`.

use serde::Serialize;

/// An error answered to an HTTP client, with the status it maps to.
///
/// `code` is a stable machine-readable word (`not_found`, `not_configured`, ...);
/// `message` is for people. Neither may carry a secret or echo a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// A stable, machine-readable error code.
    pub code: &'static str,
    /// A human-readable explanation, safe to show to the caller.
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An error with any status and code.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 404: no route or no such resource.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    /// 405: the route exists but not for this method.
    pub fn method_not_allowed(allowed: &str) -> Self {
        Self::new(
            405,
            "method_not_allowed",
            format!("this route accepts {allowed} only"),
        )
    }

    /// 503: a deployment setting this endpoint needs is not set; names every missing one.
    pub fn not_configured(missing: &[String]) -> Self {
        Self::new(
            503,
            "not_configured",
            format!(
                "this deployment is missing required settings: {}",
                missing.join(", ")
            ),
        )
    }

    /// 500: something failed inside; the message must already be safe to show.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal", message)
    }

    /// The JSON body `{"error":{"code":..,"message":..}}`.
    pub fn to_json(&self) -> Vec<u8> {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        };
        // Serializing two strings cannot fail; fall back to a fixed body if it ever does.
        serde_json::to_vec(&body)
            .unwrap_or_else(|_| br#"{"error":{"code":"internal","message":"error"}}"#.to_vec())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_the_documented_shape() {
        let err = ApiError::not_found("no route GET /api/v1/nope");
        let value: serde_json::Value = serde_json::from_slice(&err.to_json()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"error":{"code":"not_found","message":"no route GET /api/v1/nope"}})
        );
    }

    #[test]
    fn not_configured_names_every_missing_setting() {
        let err = ApiError::not_configured(&["a_b".into(), "c_d".into()]);
        assert_eq!(err.status, 503);
        assert!(err.message.contains("a_b, c_d"));
    }

    #[test]
    fn messages_with_quotes_stay_valid_json() {
        let err = ApiError::internal("a \"quoted\" word");
        let value: serde_json::Value = serde_json::from_slice(&err.to_json()).unwrap();
        assert_eq!(value["error"]["message"], "a \"quoted\" word");
    }
}
