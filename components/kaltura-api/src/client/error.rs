//! Errors of the API_v3 client and the mapping of `KalturaAPIException` codes.

use serde_json::Value;

use crate::encoding::redact_tokens;

/// An API_v3 call failed. `Display` never contains a KS: server messages pass through a
/// redaction that replaces every long base64/hex run with `[redacted]`, and KS errors
/// keep only the code and Kaltura's short reason (`EXPIRED`, `INVALID_STR`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The object does not exist (`*_NOT_FOUND`, `*_ID_NOT_FOUND`, `INVALID_OBJECT_ID`,
    /// `INVALID_ENTRY_ID`).
    #[error("Kaltura object not found ({code}): {message}")]
    NotFound {
        /// Kaltura's error code.
        code: String,
        /// Kaltura's message, redacted.
        message: String,
    },
    /// The KS may not do this (`SERVICE_FORBIDDEN*`, `*_FORBIDDEN`, `PERMISSION_*`,
    /// `ACCESS_DENIED`, `ACTION_BLOCKED`, `USER_BLOCKED`, `INVALID_ACTIONS_LIMIT`, ...).
    #[error("Kaltura refused the call ({code}): {message}")]
    NotPermitted {
        /// Kaltura's error code.
        code: String,
        /// Kaltura's message, redacted.
        message: String,
    },
    /// The KS is missing, invalid or expired (`MISSING_KS`, `INVALID_KS`, `EXPIRED_KS`, ...).
    #[error("Kaltura rejected the KS ({code}{})", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    InvalidKs {
        /// Kaltura's error code.
        code: String,
        /// Kaltura's `ERR_DESC` argument (e.g. `EXPIRED`), when given.
        reason: Option<String>,
    },
    /// Kaltura could not answer: HTTP 5xx/429/408, a body that is not JSON, or an
    /// internal server error reported inside a 200.
    #[error("Kaltura is unavailable: {detail}")]
    Unavailable {
        /// The HTTP status, when the failure came with one.
        status: Option<u16>,
        /// What happened, redacted.
        detail: String,
    },
    /// Any other `KalturaAPIException`, or an unexpected HTTP status.
    #[error("Kaltura error {code}: {message}")]
    Other {
        /// Kaltura's error code (`HTTP_<status>` for an unexpected HTTP status).
        code: String,
        /// Kaltura's message, redacted.
        message: String,
    },
    /// The response is JSON but not the shape the call returns.
    #[error("unexpected Kaltura response: {0}")]
    InvalidResponse(String),
    /// The request could not be built (bad service URL, service or action name).
    #[error("invalid Kaltura request: {0}")]
    InvalidRequest(String),
}

impl ApiError {
    /// True when retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// The Kaltura error code, for the variants that carry one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::NotFound { code, .. }
            | Self::NotPermitted { code, .. }
            | Self::InvalidKs { code, .. }
            | Self::Other { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// True when `value` is a serialized `KalturaAPIException`.
pub(crate) fn is_exception(value: &Value) -> bool {
    value.get("objectType").and_then(Value::as_str) == Some("KalturaAPIException")
}

fn is_not_found(code: &str) -> bool {
    code.ends_with("_NOT_FOUND")
        || matches!(
            code,
            "INVALID_OBJECT_ID" | "INVALID_ENTRY_ID" | "INVALID_USER_ID" | "INVALID_WIDGET_ID"
        )
}

fn is_not_permitted(code: &str) -> bool {
    code.contains("FORBIDDEN")
        || code.starts_with("PERMISSION")
        || code.contains("PERMISSION_DENIED")
        || code.contains("ACCESS_DENIED")
        || code.contains("NOT_PERMITTED")
        || matches!(
            code,
            "ACTION_BLOCKED"
                | "USER_BLOCKED"
                | "INVALID_ACTIONS_LIMIT"
                | "INVALID_IP_ADDRESS_RESTRICTION"
                | "INVALID_SET_ROLE"
                | "SERVICE_ACCESS_CONTROL_RESTRICTED"
                | "CANNOT_RETRIEVE_ANOTHER_USER_USING_NON_ADMIN_SESSION"
        )
}

fn is_invalid_ks(code: &str) -> bool {
    matches!(code, "MISSING_KS" | "EXPIRED_KS" | "KS_EXPIRED") || code.starts_with("INVALID_KS")
}

fn is_server_side(code: &str) -> bool {
    matches!(
        code,
        "INTERNAL_SERVERL_ERROR"
            | "INTERNAL_SERVER_ERROR"
            | "INTERNAL_DATABASE_ERROR"
            | "SERVERL_ERROR"
            | "LOCK_TIMED_OUT"
            | "SEARCH_ENGINE_QUERY_FAILED"
    )
}

/// Maps a `KalturaAPIException` object to a typed error.
pub(crate) fn from_exception(value: &Value) -> ApiError {
    let code = value
        .get("code")
        .and_then(Value::as_str)
        .filter(|c| {
            !c.is_empty()
                && c.len() <= 100
                && c.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
        .unwrap_or("UNKNOWN")
        .to_owned();
    let message = redact_tokens(value.get("message").and_then(Value::as_str).unwrap_or(""));
    if is_invalid_ks(&code) {
        let reason = value
            .get("args")
            .and_then(|a| a.get("ERR_DESC"))
            .and_then(Value::as_str)
            .map(redact_tokens);
        ApiError::InvalidKs { code, reason }
    } else if is_not_found(&code) {
        ApiError::NotFound { code, message }
    } else if is_not_permitted(&code) {
        ApiError::NotPermitted { code, message }
    } else if is_server_side(&code) {
        ApiError::Unavailable {
            status: None,
            detail: format!("{code}: {message}"),
        }
    } else {
        ApiError::Other { code, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exception(code: &str) -> ApiError {
        from_exception(&json!({"objectType": "KalturaAPIException", "code": code, "message": "m"}))
    }

    #[test]
    fn not_found_codes_map_to_not_found() {
        for code in [
            "ENTRY_ID_NOT_FOUND",
            "SCHEDULE_RESOURCE_ID_NOT_FOUND",
            "APP_TOKEN_ID_NOT_FOUND",
            "INVALID_OBJECT_ID",
            "UICONF_ID_NOT_FOUND",
        ] {
            assert!(
                matches!(exception(code), ApiError::NotFound { .. }),
                "{code}"
            );
        }
    }

    #[test]
    fn permission_codes_map_to_not_permitted() {
        for code in [
            "SERVICE_FORBIDDEN",
            "SERVICE_FORBIDDEN_CONTENT_BLOCKED",
            "PERMISSION_DENIED_TO_UPDATE_ENTRY",
            "ACCESS_DENIED",
            "ACTION_BLOCKED",
            "INVALID_ACTIONS_LIMIT",
            "PARTNER_ACCESS_FORBIDDEN",
        ] {
            assert!(
                matches!(exception(code), ApiError::NotPermitted { .. }),
                "{code}"
            );
        }
    }

    #[test]
    fn ks_codes_map_to_invalid_ks_with_their_reason_and_without_the_ks() {
        let ks = "djJ8MTIzNDU2N3wdy9oIt6dJ5ZL2PU9tNsQyk8Iv2wn8XR2284JbglCV_Sus60Ju3Rpui9X";
        let err = from_exception(&json!({
            "objectType": "KalturaAPIException",
            "code": "INVALID_KS",
            "message": format!("Invalid KS \"{ks}\", Error \"-5,EXPIRED\""),
            "args": {"KSID": ks, "ERR_CODE": "-5", "ERR_DESC": "EXPIRED"}
        }));
        assert_eq!(
            err,
            ApiError::InvalidKs {
                code: "INVALID_KS".into(),
                reason: Some("EXPIRED".into())
            }
        );
        assert_eq!(
            err.to_string(),
            "Kaltura rejected the KS (INVALID_KS: EXPIRED)"
        );
        assert!(matches!(
            exception("MISSING_KS"),
            ApiError::InvalidKs { reason: None, .. }
        ));
        assert!(matches!(
            exception("EXPIRED_KS"),
            ApiError::InvalidKs { .. }
        ));
    }

    #[test]
    fn other_codes_keep_code_and_redacted_message() {
        let err = from_exception(&json!({
            "objectType": "KalturaAPIException",
            "code": "PROPERTY_VALIDATION_CANNOT_BE_NULL",
            "message": "The property \"name\" cannot be null",
            "args": []
        }));
        assert_eq!(
            err.to_string(),
            "Kaltura error PROPERTY_VALIDATION_CANNOT_BE_NULL: The property \"name\" cannot be null"
        );
        assert_eq!(err.code(), Some("PROPERTY_VALIDATION_CANNOT_BE_NULL"));
        assert!(!err.is_retryable());
    }

    #[test]
    fn a_code_that_is_not_an_upper_case_constant_is_not_echoed() {
        let err = exception("djJ8MTIzNDU2N3wdy9oIt6dJ5ZL2PU9tNsQyk8Iv2wn8XR2284Jbgl");
        assert_eq!(err.code(), Some("UNKNOWN"));
    }

    #[test]
    fn internal_server_errors_are_retryable_unavailability() {
        let err = exception("INTERNAL_DATABASE_ERROR");
        assert!(err.is_retryable());
        assert!(matches!(err, ApiError::Unavailable { status: None, .. }));
    }
}
