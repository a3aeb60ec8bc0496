//! The webhook receiver, host-free: method, settings, signature and payload checks in
//! that order. Nothing is parsed before the signature verifies; a rejected request has
//! no side effect.

use common::{ApiError, Variables};
use kaltura_api::webhook::{self, Notification, WebhookError};
use kaltura_api::AdminSecret;

/// The largest notification body accepted; Kaltura's are a few kilobytes.
pub const BODY_LIMIT: usize = 512 * 1024;

/// The settings every request needs.
pub const REQUIRED_SETTINGS: &[&str] = &["kaltura_admin_secret"];

/// A verified, parsed notification, or the error to answer with.
///
/// # Errors
/// 405 for other methods, 503 when the admin secret is not set, 401 for a missing or
/// wrong signature, 400 for a payload in no format Kaltura sends.
pub fn receive(
    method: &str,
    signature: Option<&str>,
    hash_algo: Option<&str>,
    body: &[u8],
    vars: &dyn Variables,
) -> Result<Notification, ApiError> {
    if method != "POST" {
        return Err(ApiError::method_not_allowed("POST"));
    }
    let missing = common::settings::missing(vars, REQUIRED_SETTINGS);
    if !missing.is_empty() {
        return Err(ApiError::not_configured(&missing));
    }
    let secret = vars
        .get("kaltura_admin_secret")
        .and_then(|s| AdminSecret::new(s).ok())
        .ok_or_else(|| {
            ApiError::new(
                503,
                "not_configured",
                "setting kaltura_admin_secret is not usable",
            )
        })?;
    webhook::verify_signature(&secret, body, signature, hash_algo).map_err(|err| match err {
        WebhookError::UnknownHashAlgorithm => ApiError::new(
            401,
            "invalid_signature",
            "X-KALTURA-HASH-ALGO must be sha1, sha256 or sha512",
        ),
        other => ApiError::new(401, "invalid_signature", other.to_string()),
    })?;
    webhook::parse_notification(body)
        .map_err(|err| ApiError::new(400, "bad_request", err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::MemoryVariables;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/kaltura-webhook.json");

    fn fixture() -> serde_json::Value {
        serde_json::from_str(FIXTURE).unwrap()
    }

    fn vars() -> MemoryVariables {
        let secret = fixture()["admin_secret"].as_str().unwrap().to_owned();
        MemoryVariables::from_pairs(&[("kaltura_admin_secret", &secret)])
    }

    fn body() -> Vec<u8> {
        fixture()["body"].as_str().unwrap().as_bytes().to_vec()
    }

    #[test]
    fn the_fixture_signatures_are_accepted_for_each_algorithm() {
        let f = fixture();
        let sha1 = f["signature_sha1"].as_str();
        let sha256 = f["signature_sha256"].as_str();
        assert!(receive("POST", sha1, None, &body(), &vars()).is_ok());
        assert!(receive("POST", sha1, Some("sha1"), &body(), &vars()).is_ok());
        assert!(receive("POST", sha256, Some("sha256"), &body(), &vars()).is_ok());
    }

    #[test]
    fn forged_unsigned_wrong_algorithm_and_tampered_are_401() {
        let f = fixture();
        let sha1 = f["signature_sha1"].as_str();
        let sha256 = f["signature_sha256"].as_str();
        let mut tampered = body();
        tampered[5] ^= 1;
        for (why, signature, algo, body) in [
            ("unsigned", None, None, body()),
            ("wrong algorithm", sha1, Some("sha256"), body()),
            ("unknown algorithm", sha256, Some("md5"), body()),
            ("tampered", sha1, None, tampered),
            ("not hex", Some("zz"), None, body()),
        ] {
            let err = receive("POST", signature, algo, &body, &vars()).unwrap_err();
            assert_eq!(err.status, 401, "{why}");
        }
    }

    #[test]
    fn a_missing_secret_is_503_naming_it() {
        let err = receive("POST", None, None, &body(), &MemoryVariables::default()).unwrap_err();
        assert_eq!(err.status, 503);
        assert!(err.message.contains("kaltura_admin_secret"));
    }

    #[test]
    fn other_methods_are_405() {
        assert_eq!(
            receive("GET", None, None, b"", &vars()).unwrap_err().status,
            405
        );
    }
}
