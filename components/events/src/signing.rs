//! Standard Webhooks signing (<https://www.standardwebhooks.com/>, "Signature scheme"):
//! a delivery carries `webhook-id` (the same on every attempt), `webhook-timestamp`
//! (Unix seconds of this attempt) and `webhook-signature: v1,<base64 of
//! HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`. The key is 32 random bytes; the
//! subscriber gets it once as `whsec_<base64 key>`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The length of a signing key.
pub const KEY_LEN: usize = 32;

/// The prefix of a secret as the subscriber receives it.
pub const SECRET_PREFIX: &str = "whsec_";

/// The secret shown to the subscriber once: `whsec_` and the base64 of the key.
pub fn secret_text(key: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key in the store's form (base64), and back.
pub fn encode_key(key: &[u8]) -> String {
    STANDARD.encode(key)
}

/// The key from its stored form.
///
/// # Errors
/// When the stored form is not base64 of [`KEY_LEN`] bytes (a damaged record; the
/// message never contains it).
pub fn decode_key(stored: &str) -> Result<Vec<u8>, String> {
    match STANDARD.decode(stored) {
        Ok(key) if key.len() == KEY_LEN => Ok(key),
        _ => Err("the subscription's stored signing key is damaged".into()),
    }
}

/// `v1,<base64 signature>` of `body` for `id` at `timestamp`.
pub fn sign(key: &[u8], id: &str, timestamp: u64, body: &[u8]) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The three `webhook-*` headers of one attempt.
pub fn headers(key: &[u8], id: &str, timestamp: u64, body: &[u8]) -> [(&'static str, String); 3] {
    [
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", sign(key, id, timestamp, body)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries' tests
    /// (`standard-webhooks/libraries`, `python/tests`: `test_sign_function`).
    #[test]
    fn the_reference_implementations_vector_is_reproduced() {
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_is_whsec_and_the_base64_key_and_decodes_back() {
        let key = [7u8; KEY_LEN];
        let secret = secret_text(&key);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(decode_key(&encode_key(&key)).unwrap(), key);
        assert!(decode_key("c2hvcnQ=").is_err());
    }
}
