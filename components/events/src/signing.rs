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

/// The prefix of a wrapped key in the store.
const WRAPPED: &str = "w1:";

/// The pad that wraps subscription `id`'s key: HMAC-SHA256(wrap secret, "events/v1
/// signing key " ‖ id), 32 bytes, different for every subscription (ids are unique and
/// a subscription's key never changes), so XOR with it is a one-time pad.
fn pad(wrap_secret: &[u8], id: &str) -> Vec<u8> {
    match <Hmac<Sha256> as Mac>::new_from_slice(wrap_secret) {
        Ok(mut mac) => {
            mac.update(b"events/v1 signing key ");
            mac.update(id.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => vec![0; KEY_LEN],
    }
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// The key as the store keeps it: wrapped with the deployment's wrap secret
/// (`events_key_wrap_secret`), so that the store alone never holds a usable key.
pub fn wrap_key(wrap_secret: &[u8], id: &str, key: &[u8]) -> String {
    format!(
        "{WRAPPED}{}",
        STANDARD.encode(xor(key, &pad(wrap_secret, id)))
    )
}

/// The key from its stored form.
///
/// # Errors
/// When the stored form is damaged (the message never contains it).
pub fn unwrap_key(wrap_secret: &[u8], id: &str, stored: &str) -> Result<Vec<u8>, String> {
    let damaged = || "the subscription's stored signing key is damaged".to_owned();
    let wrapped = stored.strip_prefix(WRAPPED).ok_or_else(damaged)?;
    match STANDARD.decode(wrapped) {
        Ok(bytes) if bytes.len() == KEY_LEN => Ok(xor(&bytes, &pad(wrap_secret, id))),
        _ => Err(damaged()),
    }
}

/// The key from a secret as the subscriber got it (`whsec_…`), for tests and tools.
///
/// # Errors
/// When it is not `whsec_` and base64 of [`KEY_LEN`] bytes.
pub fn key_of_secret(secret: &str) -> Result<Vec<u8>, String> {
    match secret
        .strip_prefix(SECRET_PREFIX)
        .map(|b64| STANDARD.decode(b64))
    {
        Some(Ok(key)) if key.len() == KEY_LEN => Ok(key),
        _ => Err("not a whsec_ secret".into()),
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
    fn a_secret_is_whsec_and_the_base64_key() {
        let key = [7u8; KEY_LEN];
        let secret = secret_text(&key);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(key_of_secret(&secret).unwrap(), key);
    }

    #[test]
    fn a_wrapped_key_unwraps_only_with_the_same_secret_and_id_and_never_shows_the_key() {
        let key = [7u8; KEY_LEN];
        let stored = wrap_key(b"deployment wrap secret of 32+ chars", "sub_1", &key);
        assert!(!stored.contains(&STANDARD.encode(key)));
        assert_eq!(
            unwrap_key(b"deployment wrap secret of 32+ chars", "sub_1", &stored).unwrap(),
            key
        );
        assert_ne!(
            unwrap_key(b"another wrap secret, also 32+ chars", "sub_1", &stored).unwrap(),
            key
        );
        assert_ne!(
            wrap_key(b"deployment wrap secret of 32+ chars", "sub_2", &key),
            stored,
            "each subscription has its own pad"
        );
        assert!(unwrap_key(b"x", "sub_1", "c2hvcnQ=").is_err());
    }
}
