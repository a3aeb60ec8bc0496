//! Responses as values, the [`Problem`] every handler fails with, and reading JSON
//! request bodies field by field (so an error names the field and never echoes what
//! the client sent: bodies carry authorization codes and tokens).

use common::ApiError;
use contracts::Error;
use discord_api::id::Id;
use serde_json::{Map, Value};

/// The realm in every `WWW-Authenticate` challenge.
pub const REALM: &str = "kaltura-discord";

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
    /// A JSON response.
    pub fn json(status: u16, value: &Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: value.to_string().into_bytes(),
        }
    }

    /// `204 No Content`.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// An error response.
    pub fn error(error: &ApiError) -> Self {
        Self {
            status: error.status,
            headers: Vec::new(),
            body: error.to_json(),
        }
    }

    /// The same response with one more header.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// A response that carries a credential: never cached (RFC 6749 §5.1).
    #[must_use]
    pub fn private(self) -> Self {
        self.with("cache-control", "no-store")
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request failed: the error body and any headers that go with it
/// (`WWW-Authenticate`, `Retry-After`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The error answered.
    pub error: ApiError,
    /// Headers that go with it.
    pub headers: Vec<(&'static str, String)>,
    /// What to log beside it (never a secret), when the status alone does not say.
    pub log: Option<String>,
}

impl From<ApiError> for Problem {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            headers: Vec::new(),
            log: None,
        }
    }
}

impl From<Error> for Problem {
    /// A service's failure as an HTTP error: `storage` and `other` get a fixed message
    /// and their detail is logged; the others carry the service's message, which the
    /// WIT contract makes safe to show (`not-configured` names the setting).
    fn from(err: Error) -> Self {
        let error = match &err {
            Error::NotConfigured(name) => ApiError::new(
                503,
                "not_configured",
                format!("this deployment is missing a required setting: {name}"),
            ),
            Error::Invalid(why) => ApiError::new(400, "invalid", why.clone()),
            Error::NotFound(why) => ApiError::not_found(why.clone()),
            Error::Forbidden(why) => ApiError::new(403, "forbidden", why.clone()),
            Error::Unavailable(why) => ApiError::new(503, "unavailable", why.clone()),
            Error::Conflict(why) => ApiError::new(409, "conflict", why.clone()),
            Error::Storage(_) => ApiError::new(
                503,
                "storage_unavailable",
                "the key-value store failed; try again",
            ),
            Error::Other(_) => ApiError::internal("an internal error occurred"),
        };
        let problem = Self::from(error);
        if problem.error.status >= 500 {
            problem.logged(format!("{}: {}", err.kind().name(), err.message()))
        } else {
            problem
        }
    }
}

impl Problem {
    /// `400 invalid`: the request is malformed; `message` says which field and rule.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(400, "invalid", message).into()
    }

    /// `401`: no credential, with the bare `Bearer` challenge (RFC 6750 §3).
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::from(ApiError::new(401, "unauthenticated", message))
            .with("www-authenticate", format!("Bearer realm=\"{REALM}\""))
    }

    /// `401`: a credential that is not accepted (`error="invalid_token"`).
    pub fn invalid_token(message: impl Into<String>) -> Self {
        Self::from(ApiError::new(401, "invalid_token", message)).with(
            "www-authenticate",
            format!("Bearer realm=\"{REALM}\", error=\"invalid_token\""),
        )
    }

    /// `403`: the credential lacks `scope` (`error="insufficient_scope"`).
    pub fn insufficient_scope(scope: &str) -> Self {
        Self::from(ApiError::new(
            403,
            "insufficient_scope",
            format!("this route needs the {scope} scope"),
        ))
        .with(
            "www-authenticate",
            format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""),
        )
    }

    /// `403 forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(403, "forbidden", message).into()
    }

    /// `429`: try again after `secs` seconds.
    pub fn rate_limited(what: &str, secs: u64) -> Self {
        Self::from(ApiError::new(
            429,
            "rate_limited",
            format!("too many requests for this {what}; retry after {secs} s"),
        ))
        .with("retry-after", secs.to_string())
    }

    /// The same problem with one more header.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The same problem with a detail for the log.
    #[must_use]
    pub fn logged(mut self, detail: impl Into<String>) -> Self {
        self.log = Some(detail.into());
        self
    }

    /// The response.
    pub fn into_response(self) -> Response {
        let mut response = Response::error(&self.error);
        response.headers.extend(self.headers);
        response
    }
}

/// What handlers return.
pub type Outcome = Result<Response, Problem>;

/// A JSON object body, read field by field.
#[derive(Debug, Clone, Default)]
pub struct Body(Map<String, Value>);

impl Body {
    /// Parses `bytes` as a JSON object; an empty body is an empty object when
    /// `empty_ok`.
    ///
    /// # Errors
    /// `400 invalid` when the body is not a JSON object (without echoing it).
    pub fn parse(bytes: &[u8], empty_ok: bool) -> Result<Self, Problem> {
        if empty_ok && bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(Problem::invalid("the body must be a JSON object")),
            Err(_) => Err(Problem::invalid("the body is not valid JSON")),
        }
    }

    /// The raw value of `field`, `None` when absent. A `null` is a value like any
    /// other: no field of a request body is nullable, so the accessors below refuse it
    /// as the wrong type rather than reading it as absent.
    pub fn value(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }

    /// An optional string field.
    ///
    /// # Errors
    /// `400` when present (even `null`) but not a string.
    pub fn opt_str(&self, field: &str) -> Result<Option<&str>, Problem> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(Problem::invalid(format!("`{field}` must be a string"))),
        }
    }

    /// A required string field.
    ///
    /// # Errors
    /// `400` when absent, empty or not a string.
    pub fn str(&self, field: &str) -> Result<&str, Problem> {
        match self.opt_str(field)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(Problem::invalid(format!("`{field}` is required"))),
        }
    }

    /// An optional non-negative integer field.
    ///
    /// # Errors
    /// `400` when present (even `null`) but not a non-negative integer.
    pub fn opt_u64(&self, field: &str) -> Result<Option<u64>, Problem> {
        match self.value(field) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                Problem::invalid(format!("`{field}` must be a non-negative integer"))
            }),
        }
    }

    /// A required array of strings.
    ///
    /// # Errors
    /// `400` when absent or not an array of strings.
    pub fn strings(&self, field: &str) -> Result<Vec<&str>, Problem> {
        let wrong = || Problem::invalid(format!("`{field}` must be an array of strings"));
        match self.value(field) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().ok_or_else(wrong))
                .collect(),
            Some(_) => Err(wrong()),
            None => Err(Problem::invalid(format!("`{field}` is required"))),
        }
    }
}

/// A required Discord ID field, read with the one snowflake rule (`discord_api::id`:
/// decimal digits that fit 64 bits, not zero).
///
/// # Errors
/// `400` when absent or not a Discord ID.
pub fn id_field<M>(body: &Body, field: &str) -> Result<Id<M>, Problem> {
    body.str(field)?.parse().map_err(|_| {
        Problem::invalid(format!(
            "`{field}` must be a Discord ID (a non-zero decimal number)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field_and_never_echo_the_body() {
        let body = Body::parse(br#"{"code": 12345678, "list": ["a", 1]}"#, false).unwrap();
        let err = body.str("code").unwrap_err();
        assert_eq!(err.error.message, "`code` must be a string");
        assert!(!err.error.message.contains("12345678"));
        assert!(body.strings("list").is_err());
        assert_eq!(
            body.str("missing").unwrap_err().error.message,
            "`missing` is required"
        );
        let broken = Body::parse(b"{\"secret-ish", false).unwrap_err();
        assert!(!broken.error.message.contains("secret"));
    }

    #[test]
    fn a_null_field_is_the_wrong_type_not_an_absent_one() {
        let body = Body::parse(br#"{"a": null, "b": null, "c": null}"#, false).unwrap();
        assert_eq!(
            body.opt_str("a").unwrap_err().error.message,
            "`a` must be a string"
        );
        assert_eq!(
            body.opt_u64("b").unwrap_err().error.message,
            "`b` must be a non-negative integer"
        );
        assert!(body.strings("c").is_err());
        assert_eq!(body.opt_str("absent").unwrap(), None);
    }

    #[test]
    fn an_empty_body_is_an_empty_object_only_when_allowed() {
        assert!(Body::parse(b"", true).is_ok());
        assert!(Body::parse(b"", false).is_err());
        assert!(Body::parse(b"[]", true).is_err());
    }

    #[test]
    fn id_fields_follow_the_one_snowflake_rule() {
        // Pinned (issue 12): the gateway used to want 17 to 20 digits; it now reads IDs
        // as every component does (`discord_api::id`), so a shorter non-zero ID is one.
        let body = Body::parse(
            br#"{"a":"123456789012345678","b":"1234","c":"12345678901234567a","d":"99999999999999999999","e":"0","f":12}"#,
            false,
        )
        .unwrap();
        let id = |field| id_field::<discord_api::id::GuildMarker>(&body, field);
        assert_eq!(id("a").unwrap().get(), 123_456_789_012_345_678);
        assert_eq!(id("b").unwrap().get(), 1234);
        for bad in ["c", "d", "e", "f", "missing"] {
            assert_eq!(id(bad).unwrap_err().error.status, 400, "{bad}");
        }
        assert!(id("c")
            .unwrap_err()
            .error
            .message
            .contains("`c` must be a Discord ID"));
    }

    #[test]
    fn storage_and_other_failures_hide_their_detail_but_log_it() {
        let problem = Problem::from(Error::Other("stored record of user 1 is broken".into()));
        assert_eq!(problem.error.status, 500);
        assert!(!problem.error.message.contains("user 1"));
        assert_eq!(
            problem.log.as_deref(),
            Some("other: stored record of user 1 is broken")
        );
        let problem = Problem::from(Error::Storage("down".into()));
        assert_eq!(problem.error.status, 503);
        assert_eq!(problem.error.code, "storage_unavailable");
        assert_eq!(
            Problem::from(Error::Conflict("stale".into())).error.status,
            409
        );
        let problem = Problem::from(Error::NotConfigured("x".into()));
        assert_eq!(problem.error.status, 503);
        assert!(problem.error.message.contains('x'));
        assert_eq!(Problem::from(Error::Invalid("why".into())).log, None);
    }

    #[test]
    fn challenges_follow_rfc_6750() {
        let p = Problem::unauthenticated("no token");
        assert_eq!(p.error.status, 401);
        assert_eq!(p.headers[0].1, "Bearer realm=\"kaltura-discord\"");
        let p = Problem::insufficient_scope("keys:manage");
        assert_eq!(p.error.status, 403);
        assert!(p.headers[0].1.contains("scope=\"keys:manage\""));
        let r = Problem::rate_limited("token", 7).into_response();
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after"), Some("7"));
    }
}
