//! Classifying Discord's HTTP responses.
//!
//! Spec: <https://discord.com/developers/docs/topics/rate-limits> (429 body and
//! headers), <https://discord.com/developers/docs/topics/opcodes-and-status-codes#json>
//! (error `code` and `message`).

use std::time::Duration;

use http::{Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The longest Discord error message kept, in chars.
const MAX_MESSAGE: usize = 200;
/// The wait assumed when a 429 says nothing usable about it.
const DEFAULT_RETRY: Duration = Duration::from_secs(1);

/// A failed Discord call. Carries Discord's own error code and message at most —
/// never a token, a request or a response body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// `429`: wait `retry_after` before retrying; `global` if the bot's global limit
    /// was hit rather than this route's.
    #[error("rate limited by Discord; retry after {retry_after:?}{}", if *.global { " (global limit)" } else { "" })]
    RateLimited {
        /// How long to wait.
        retry_after: Duration,
        /// Whether the global limit was hit.
        global: bool,
    },
    /// `404`: the resource (channel, message, webhook, interaction token) is gone; a
    /// webhook that answers 404 must not be used again.
    #[error("Discord answered 404 Not Found")]
    NotFound,
    /// `403`: the bot lacks access or a permission.
    #[error("Discord answered 403 Forbidden")]
    Forbidden,
    /// `401`: the token is missing or invalid.
    #[error("Discord answered 401 Unauthorized")]
    Unauthorized,
    /// `5xx`: Discord's fault; retry later.
    #[error("Discord answered {0}")]
    ServerError(StatusCode),
    /// Any other non-success status, with Discord's JSON error `code` and `message`
    /// when it sent them.
    #[error("Discord answered {status}{}", detail(*.code, .message.as_deref()))]
    ClientError {
        /// The HTTP status.
        status: StatusCode,
        /// Discord's JSON error code (e.g. 50035 Invalid Form Body).
        code: Option<u64>,
        /// Discord's error message (at most 200 chars).
        message: Option<String>,
    },
    /// A success response whose body is not the JSON expected.
    #[error("Discord's response body is not the expected JSON")]
    Decode,
}

fn detail(code: Option<u64>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!(" (code {code}: {message})"),
        (Some(code), None) => format!(" (code {code})"),
        (None, Some(message)) => format!(" ({message})"),
        (None, None) => String::new(),
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<u64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    retry_after: Option<f64>,
    #[serde(default)]
    global: Option<bool>,
}

fn seconds(value: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(value).ok()
}

fn header_seconds<B>(response: &Response<B>, name: &str) -> Option<Duration> {
    response
        .headers()
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(seconds)
}

/// Sorts a Discord response into its body (any `2xx`) or an [`ApiError`].
///
/// For `429` the wait comes from the JSON `retry_after` (float seconds), else the
/// `Retry-After` header, else `X-RateLimit-Reset-After`, else one second; `global`
/// from the JSON or the `X-RateLimit-Global` header.
///
/// # Errors
/// The [`ApiError`] matching a non-success status.
pub fn classify(response: Response<Vec<u8>>) -> Result<Vec<u8>, ApiError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response.into_body());
    }
    let body: Option<ErrorBody> = serde_json::from_slice(response.body()).ok();
    match status {
        StatusCode::TOO_MANY_REQUESTS => {
            let retry_after = body
                .as_ref()
                .and_then(|b| b.retry_after)
                .and_then(seconds)
                .or_else(|| header_seconds(&response, "retry-after"))
                .or_else(|| header_seconds(&response, "x-ratelimit-reset-after"))
                .unwrap_or(DEFAULT_RETRY);
            let global_header = response
                .headers()
                .get("x-ratelimit-global")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
            let global = body
                .as_ref()
                .and_then(|b| b.global)
                .unwrap_or(global_header);
            Err(ApiError::RateLimited {
                retry_after,
                global,
            })
        }
        StatusCode::NOT_FOUND => Err(ApiError::NotFound),
        StatusCode::FORBIDDEN => Err(ApiError::Forbidden),
        StatusCode::UNAUTHORIZED => Err(ApiError::Unauthorized),
        s if s.is_server_error() => Err(ApiError::ServerError(s)),
        _ => {
            let (code, message) = body.map_or((None, None), |b| (b.code, b.message));
            let message = message.map(|m| crate::response::limits::truncated(m, MAX_MESSAGE));
            Err(ApiError::ClientError {
                status,
                code,
                message,
            })
        }
    }
}

/// [`classify`], then parses the body as JSON `T` (e.g. [`crate::model::Member`],
/// [`crate::model::User`], [`crate::rest::TokenResponse`]).
///
/// # Errors
/// As [`classify`], or [`ApiError::Decode`] if the body is not a `T`.
pub fn decode<T: DeserializeOwned>(response: Response<Vec<u8>>) -> Result<T, ApiError> {
    let body = classify(response)?;
    serde_json::from_slice(&body).map_err(|_| ApiError::Decode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Member;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response<Vec<u8>> {
        let mut builder = Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(body.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn a_success_yields_its_body() {
        assert_eq!(classify(response(200, &[], "{}")), Ok(b"{}".to_vec()));
        assert_eq!(classify(response(204, &[], "")), Ok(Vec::new()));
    }

    #[test]
    fn a_429_takes_retry_after_from_the_json_body() {
        let r = response(
            429,
            &[("retry-after", "65"), ("x-ratelimit-global", "true")],
            r#"{"message":"You are being rate limited.","retry_after":64.57,"global":false}"#,
        );
        assert_eq!(
            classify(r),
            Err(ApiError::RateLimited {
                retry_after: Duration::from_millis(64_570),
                global: false
            })
        );
    }

    #[test]
    fn a_429_without_json_falls_back_to_the_headers() {
        let r = response(
            429,
            &[("Retry-After", "3"), ("X-RateLimit-Global", "true")],
            "<html>",
        );
        assert_eq!(
            classify(r),
            Err(ApiError::RateLimited {
                retry_after: Duration::from_secs(3),
                global: true
            })
        );
        let r = response(429, &[("x-ratelimit-reset-after", "0.25")], "");
        assert_eq!(
            classify(r),
            Err(ApiError::RateLimited {
                retry_after: Duration::from_millis(250),
                global: false
            })
        );
        let r = response(429, &[], r#"{"retry_after":-1}"#);
        assert_eq!(
            classify(r),
            Err(ApiError::RateLimited {
                retry_after: DEFAULT_RETRY,
                global: false
            })
        );
    }

    #[test]
    fn auth_and_missing_resources_have_their_own_variants() {
        let body = r#"{"message":"Unknown Channel","code":10003}"#;
        assert_eq!(classify(response(404, &[], body)), Err(ApiError::NotFound));
        assert_eq!(classify(response(403, &[], body)), Err(ApiError::Forbidden));
        assert_eq!(
            classify(response(401, &[], body)),
            Err(ApiError::Unauthorized)
        );
        let err = classify(response(502, &[], "bad gateway")).unwrap_err();
        assert_eq!(err, ApiError::ServerError(StatusCode::BAD_GATEWAY));
    }

    #[test]
    fn a_client_error_keeps_discords_code_and_message() {
        let r = response(
            400,
            &[],
            r#"{"code":50035,"errors":{"content":{}},"message":"Invalid Form Body"}"#,
        );
        let err = classify(r).unwrap_err();
        assert_eq!(
            err,
            ApiError::ClientError {
                status: StatusCode::BAD_REQUEST,
                code: Some(50035),
                message: Some("Invalid Form Body".into())
            }
        );
        assert_eq!(
            err.to_string(),
            "Discord answered 400 Bad Request (code 50035: Invalid Form Body)"
        );
        let bare = classify(response(405, &[], "nope")).unwrap_err();
        assert_eq!(bare.to_string(), "Discord answered 405 Method Not Allowed");
    }

    #[test]
    fn decode_parses_a_typed_body_or_reports_decode() {
        let member: Member = decode(response(
            200,
            &[],
            r#"{"user":{"id":"1","username":"a"},"roles":[]}"#,
        ))
        .unwrap();
        assert_eq!(member.display_name(), Some("a"));
        assert_eq!(
            decode::<Member>(response(200, &[], r#"{"roles":5}"#)),
            Err(ApiError::Decode)
        );
        assert_eq!(
            decode::<Member>(response(404, &[], "")),
            Err(ApiError::NotFound)
        );
    }
}
