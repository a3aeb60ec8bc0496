//! Verifying Discord's request signatures.
//!
//! Every interaction POST carries `X-Signature-Ed25519` (hex) and
//! `X-Signature-Timestamp`; the signed message is the timestamp's bytes followed by the
//! raw body's bytes, and the key is the application's hex "Public Key". A request that
//! fails must get `401` before its body is parsed: Discord probes endpoints with
//! invalid signatures and removes those that accept them
//! (<https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers>).
//!
//! Discord documents no freshness window; [`check_timestamp`] is an optional local
//! replay guard whose clock value the caller passes in.

use std::str::FromStr;
use std::time::Duration;

use ed25519_dalek::{Signature, VerifyingKey};
use http::{HeaderMap, StatusCode};

/// The header carrying the hex Ed25519 signature.
pub const SIGNATURE_HEADER: &str = "x-signature-ed25519";
/// The header carrying the signed timestamp (decimal Unix seconds).
pub const TIMESTAMP_HEADER: &str = "x-signature-timestamp";

/// Why a request's signature was not accepted. Never contains the body, a header
/// value or the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// The signature is not 128 hex characters (64 bytes).
    #[error("the signature is not 64 bytes of hex")]
    MalformedSignature,
    /// The signature does not verify for this timestamp, body and key.
    #[error("the signature does not match")]
    BadSignature,
    /// The public key is not 64 hex characters encoding a valid Ed25519 point.
    #[error("the public key is not a valid 32-byte hex Ed25519 key")]
    MalformedKey,
    /// The timestamp is not decimal Unix seconds.
    #[error("the signature timestamp is not decimal Unix seconds")]
    MalformedTimestamp,
    /// The timestamp is further from the caller's clock than the allowed window.
    #[error("the signature timestamp is outside the allowed window")]
    StaleTimestamp,
}

impl SignatureError {
    /// The HTTP status to answer with: always `401 Unauthorized`, as Discord requires.
    pub const fn status(self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }
}

/// An application's Ed25519 public key, parsed from its 64-character hex form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl FromStr for PublicKey {
    type Err = SignatureError;

    /// Parses 64 hex characters (surrounding whitespace ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0_u8; 32];
        hex::decode_to_slice(s.trim(), &mut bytes).map_err(|_| SignatureError::MalformedKey)?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| SignatureError::MalformedKey)
    }
}

impl PublicKey {
    /// Verifies `signature_hex` over `timestamp ‖ body` with strict Ed25519
    /// (`verify_strict`: no small-order keys, canonical signatures only).
    ///
    /// # Errors
    /// [`SignatureError::MalformedSignature`] if the signature is not 128 hex
    /// characters; [`SignatureError::BadSignature`] if it does not verify.
    pub fn verify(
        &self,
        timestamp: &[u8],
        body: &[u8],
        signature_hex: &[u8],
    ) -> Result<(), SignatureError> {
        let mut bytes = [0_u8; 64];
        hex::decode_to_slice(signature_hex, &mut bytes)
            .map_err(|_| SignatureError::MalformedSignature)?;
        let signature = Signature::from_bytes(&bytes);
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp);
        message.extend_from_slice(body);
        self.0
            .verify_strict(&message, &signature)
            .map_err(|_| SignatureError::BadSignature)
    }

    /// Verifies a request from its headers ([`SIGNATURE_HEADER`],
    /// [`TIMESTAMP_HEADER`]) and raw body.
    ///
    /// # Errors
    /// [`SignatureError::MissingHeader`] if either header is absent, otherwise as
    /// [`PublicKey::verify`].
    pub fn verify_headers(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
        let signature = headers
            .get(SIGNATURE_HEADER)
            .ok_or(SignatureError::MissingHeader(SIGNATURE_HEADER))?;
        let timestamp = headers
            .get(TIMESTAMP_HEADER)
            .ok_or(SignatureError::MissingHeader(TIMESTAMP_HEADER))?;
        self.verify(timestamp.as_bytes(), body, signature.as_bytes())
    }
}

/// Checks that a signature timestamp (decimal Unix seconds) is within `max_age` of
/// `now_unix_secs`, in either direction. Call it after the signature verified, so the
/// timestamp is Discord's.
///
/// # Errors
/// [`SignatureError::MalformedTimestamp`] if it is not decimal digits;
/// [`SignatureError::StaleTimestamp`] if it is older or further in the future than
/// `max_age`.
pub fn check_timestamp(
    timestamp: &str,
    now_unix_secs: u64,
    max_age: Duration,
) -> Result<(), SignatureError> {
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::MalformedTimestamp);
    }
    let signed: u64 = timestamp
        .parse()
        .map_err(|_| SignatureError::MalformedTimestamp)?;
    if signed.abs_diff(now_unix_secs) > max_age.as_secs() {
        return Err(SignatureError::StaleTimestamp);
    }
    Ok(())
}

/// [`check_timestamp`] on the [`TIMESTAMP_HEADER`] of a request.
///
/// # Errors
/// [`SignatureError::MissingHeader`] if it is absent, otherwise as [`check_timestamp`].
pub fn check_timestamp_header(
    headers: &HeaderMap,
    now_unix_secs: u64,
    max_age: Duration,
) -> Result<(), SignatureError> {
    let value = headers
        .get(TIMESTAMP_HEADER)
        .ok_or(SignatureError::MissingHeader(TIMESTAMP_HEADER))?;
    let value = value
        .to_str()
        .map_err(|_| SignatureError::MalformedTimestamp)?;
    check_timestamp(value, now_unix_secs, max_age)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Fixture {
        public_key_hex: String,
        valid: Case,
        must_reject_with_401: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Case {
        timestamp: String,
        body: String,
        signature_hex: Option<String>,
    }

    fn fixture() -> Fixture {
        serde_json::from_str(include_str!(
            "../../../tests/fixtures/discord-signature.json"
        ))
        .unwrap()
    }

    fn headers(case: &Case) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            TIMESTAMP_HEADER,
            HeaderValue::from_str(&case.timestamp).unwrap(),
        );
        if let Some(sig) = &case.signature_hex {
            map.insert(SIGNATURE_HEADER, HeaderValue::from_str(sig).unwrap());
        }
        map
    }

    #[test]
    fn the_fixture_request_verifies() {
        let f = fixture();
        let key: PublicKey = f.public_key_hex.parse().unwrap();
        let ok = key.verify_headers(&headers(&f.valid), f.valid.body.as_bytes());
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn every_must_reject_case_of_the_fixture_is_rejected() {
        let f = fixture();
        let key: PublicKey = f.public_key_hex.parse().unwrap();
        assert!(!f.must_reject_with_401.is_empty());
        for case in &f.must_reject_with_401 {
            let result = key.verify_headers(&headers(case), case.body.as_bytes());
            let err = result.unwrap_err();
            assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
        }
    }

    #[test]
    fn a_tampered_body_is_rejected() {
        let f = fixture();
        let key: PublicKey = f.public_key_hex.parse().unwrap();
        let sig = f.valid.signature_hex.unwrap();
        let result = key.verify(
            f.valid.timestamp.as_bytes(),
            b"{\"type\":2}",
            sig.as_bytes(),
        );
        assert_eq!(result, Err(SignatureError::BadSignature));
    }

    #[test]
    fn a_missing_signature_header_is_named() {
        let f = fixture();
        let key: PublicKey = f.public_key_hex.parse().unwrap();
        let mut map = headers(&f.valid);
        map.remove(SIGNATURE_HEADER);
        assert_eq!(
            key.verify_headers(&map, f.valid.body.as_bytes()),
            Err(SignatureError::MissingHeader(SIGNATURE_HEADER))
        );
        let mut map = headers(&f.valid);
        map.remove(TIMESTAMP_HEADER);
        assert_eq!(
            key.verify_headers(&map, f.valid.body.as_bytes()),
            Err(SignatureError::MissingHeader(TIMESTAMP_HEADER))
        );
    }

    #[test]
    fn truncated_odd_length_and_non_hex_signatures_are_malformed() {
        let f = fixture();
        let key: PublicKey = f.public_key_hex.parse().unwrap();
        let sig = f.valid.signature_hex.unwrap();
        let ts = f.valid.timestamp.as_bytes();
        let body = f.valid.body.as_bytes();
        for bad in [&sig[..126], &sig[..127], "zz", "", &format!("{sig}00")] {
            assert_eq!(
                key.verify(ts, body, bad.as_bytes()),
                Err(SignatureError::MalformedSignature),
                "length {}",
                bad.len()
            );
        }
    }

    #[test]
    fn a_flipped_signature_bit_is_rejected() {
        let f = fixture();
        let key: PublicKey = f.public_key_hex.parse().unwrap();
        let mut sig = f.valid.signature_hex.unwrap().into_bytes();
        sig[0] = if sig[0] == b'1' { b'0' } else { b'1' };
        assert_eq!(
            key.verify(f.valid.timestamp.as_bytes(), f.valid.body.as_bytes(), &sig),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn the_wrong_key_is_rejected() {
        let f = fixture();
        // RFC 8032 test 2's public key.
        let other: PublicKey = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
            .parse()
            .unwrap();
        let sig = f.valid.signature_hex.unwrap();
        assert_eq!(
            other.verify(
                f.valid.timestamp.as_bytes(),
                f.valid.body.as_bytes(),
                sig.as_bytes()
            ),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn malformed_keys_are_rejected() {
        let good = fixture().public_key_hex;
        for bad in [
            &good[..62],
            &good[..63],
            "",
            &format!("{good}00"),
            &good.replace('d', "x"),
        ] {
            assert_eq!(bad.parse::<PublicKey>(), Err(SignatureError::MalformedKey));
        }
    }

    #[test]
    fn a_timestamp_inside_the_window_passes_in_both_directions() {
        let window = Duration::from_secs(300);
        assert_eq!(check_timestamp("1700000000", 1_700_000_000, window), Ok(()));
        assert_eq!(check_timestamp("1700000000", 1_700_000_300, window), Ok(()));
        assert_eq!(check_timestamp("1700000300", 1_700_000_000, window), Ok(()));
    }

    #[test]
    fn a_timestamp_outside_the_window_is_rejected() {
        let window = Duration::from_secs(300);
        assert_eq!(
            check_timestamp("1700000000", 1_700_000_301, window),
            Err(SignatureError::StaleTimestamp)
        );
        assert_eq!(
            check_timestamp("1700000301", 1_700_000_000, window),
            Err(SignatureError::StaleTimestamp)
        );
    }

    #[test]
    fn a_malformed_timestamp_is_rejected() {
        let window = Duration::from_secs(300);
        for bad in ["", "-1", "17e8", " 1700000000", "99999999999999999999999"] {
            assert_eq!(
                check_timestamp(bad, 1_700_000_000, window),
                Err(SignatureError::MalformedTimestamp),
                "{bad:?}"
            );
        }
        assert_eq!(
            check_timestamp_header(&HeaderMap::new(), 0, window),
            Err(SignatureError::MissingHeader(TIMESTAMP_HEADER))
        );
    }
}
