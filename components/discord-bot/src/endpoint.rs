//! The interactions endpoint, host-free: method, settings, signature, replay window and
//! JSON checks in that order — nothing is parsed before the signature verifies, and no
//! rejected request has a side effect.

use common::{ApiError, Variables};
use discord_api::signature::{self, PublicKey, SignatureError};
use std::time::Duration;

/// The largest interaction body accepted; Discord's payloads are far smaller.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The replay window used when `interaction_max_age_seconds` is unset or invalid.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// The settings every request needs.
pub const REQUIRED_SETTINGS: &[&str] = &["discord_public_key"];

/// What to answer: a status and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl Reply {
    fn error(error: &ApiError) -> Self {
        Self {
            status: error.status,
            body: error.to_json(),
        }
    }

    fn json(value: &serde_json::Value) -> Self {
        Self {
            status: 200,
            body: value.to_string().into_bytes(),
        }
    }
}

/// Answers one request to the endpoint. `now_unix_secs` is the current time.
pub fn handle(
    method: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    vars: &dyn Variables,
    now_unix_secs: u64,
) -> Reply {
    if method != "POST" {
        return Reply::error(&ApiError::method_not_allowed("POST"));
    }
    let missing = common::settings::missing(vars, REQUIRED_SETTINGS);
    if !missing.is_empty() {
        return Reply::error(&ApiError::not_configured(&missing));
    }
    let Some(Ok(key)) = vars
        .get("discord_public_key")
        .map(|hex| hex.parse::<PublicKey>())
    else {
        return Reply::error(&ApiError::new(
            503,
            "not_configured",
            "setting discord_public_key is not a 64-character hex Ed25519 public key",
        ));
    };
    if let Err(err) = key.verify_headers(headers, body) {
        return unauthorized(err);
    }
    let max_age = vars
        .get("interaction_max_age_seconds")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_MAX_AGE, Duration::from_secs);
    if let Err(err) = signature::check_timestamp_header(headers, now_unix_secs, max_age) {
        return unauthorized(err);
    }
    let Ok(interaction) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Reply::error(&ApiError::new(400, "bad_request", "the body is not JSON"));
    };
    match interaction.get("type").and_then(serde_json::Value::as_u64) {
        Some(1) => Reply::json(&serde_json::json!({ "type": 1 })),
        Some(_) => Reply::json(&serde_json::json!({
            "type": 4,
            "data": {
                "content": "Kaltura commands are not available on this deployment yet.",
                "flags": 64,
                "allowed_mentions": { "parse": [] }
            }
        })),
        None => Reply::error(&ApiError::new(
            400,
            "bad_request",
            "the body is not a Discord interaction (no numeric `type`)",
        )),
    }
}

fn unauthorized(err: SignatureError) -> Reply {
    Reply::error(&ApiError::new(
        401,
        "invalid_signature",
        format!("request signature rejected: {err}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::MemoryVariables;
    use ed25519_dalek::{Signer, SigningKey};

    const FIXTURE: &str = include_str!("../../../tests/fixtures/discord-signature.json");

    fn fixture() -> serde_json::Value {
        serde_json::from_str(FIXTURE).unwrap()
    }

    fn vars() -> MemoryVariables {
        let public = fixture()["public_key_hex"].as_str().unwrap().to_owned();
        MemoryVariables::from_pairs(&[("discord_public_key", &public)])
    }

    fn headers(signature: Option<&str>, timestamp: &str) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        if let Some(signature) = signature {
            map.insert("x-signature-ed25519", signature.parse().unwrap());
        }
        map.insert("x-signature-timestamp", timestamp.parse().unwrap());
        map
    }

    fn signed(body: &str, timestamp: &str) -> http::HeaderMap {
        let seed: [u8; 32] = hex::decode(fixture()["secret_seed_hex"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let key = SigningKey::from_bytes(&seed);
        let signature = key.sign(format!("{timestamp}{body}").as_bytes());
        headers(Some(&hex::encode(signature.to_bytes())), timestamp)
    }

    #[test]
    fn the_shared_vector_is_a_pong() {
        let valid = &fixture()["valid"];
        let reply = handle(
            "POST",
            &headers(valid["signature_hex"].as_str(), valid["timestamp"].as_str().unwrap()),
            valid["body"].as_str().unwrap().as_bytes(),
            &vars(),
            1_700_000_010,
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, br#"{"type":1}"#);
    }

    #[test]
    fn every_forged_vector_is_401() {
        for case in fixture()["must_reject_with_401"].as_array().unwrap() {
            let reply = handle(
                "POST",
                &headers(case["signature_hex"].as_str(), case["timestamp"].as_str().unwrap()),
                case["body"].as_str().unwrap().as_bytes(),
                &vars(),
                1_700_000_010,
            );
            assert_eq!(reply.status, 401, "{}", case["why"]);
        }
    }

    #[test]
    fn a_replayed_request_outside_the_window_is_401() {
        let valid = &fixture()["valid"];
        let reply = handle(
            "POST",
            &headers(valid["signature_hex"].as_str(), valid["timestamp"].as_str().unwrap()),
            valid["body"].as_str().unwrap().as_bytes(),
            &vars(),
            1_700_000_000 + 301,
        );
        assert_eq!(reply.status, 401);
    }

    #[test]
    fn a_missing_public_key_is_503_naming_it() {
        let reply = handle("POST", &http::HeaderMap::new(), b"{}", &MemoryVariables::default(), 0);
        assert_eq!(reply.status, 503);
        assert!(String::from_utf8(reply.body).unwrap().contains("discord_public_key"));
    }

    #[test]
    fn other_methods_are_405() {
        assert_eq!(handle("GET", &http::HeaderMap::new(), b"", &vars(), 0).status, 405);
    }

    #[test]
    fn a_signed_body_that_is_not_json_is_400() {
        let reply = handle("POST", &signed("not json", "1700000000"), b"not json", &vars(), 1_700_000_000);
        assert_eq!(reply.status, 400);
    }
}
