//! The gateway's signing key: an Ed25519 seed of 64 hex digits in the secret variable
//! `gateway_signing_key`, with `ed25519-dalek` (the crate the bot verifies Discord with).
//! Its public half can be derived and published; the seed never leaves this module.

use common::Variables;
use ed25519_dalek::SigningKey;

use crate::error::{Error, Result};

/// The secret variable holding the seed.
pub const SIGNING_KEY_VARIABLE: &str = "gateway_signing_key";

/// Reads the signing key.
///
/// # Errors
/// `not-configured("gateway_signing_key")` when it is unset, empty or
/// not 64 hex digits (the message never carries the value).
pub fn load(vars: &dyn Variables) -> Result<SigningKey> {
    let not_configured = || Error::NotConfigured(SIGNING_KEY_VARIABLE.into());
    let value = vars.get(SIGNING_KEY_VARIABLE).ok_or_else(not_configured)?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(value.trim(), &mut seed).map_err(|_| not_configured())?;
    let key = SigningKey::from_bytes(&seed);
    // `SigningKey` wipes its own copy on drop; wipe this one too.
    seed.fill(0);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::MemoryVariables;

    #[test]
    fn the_rfc8032_seed_gives_its_public_key() {
        let vars = MemoryVariables::from_pairs(&[(
            SIGNING_KEY_VARIABLE,
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n",
        )]);
        let key = load(&vars).unwrap();
        assert_eq!(
            hex::encode(key.verifying_key().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
    }

    #[test]
    fn a_missing_or_malformed_key_is_not_configured_without_echoing_it() {
        for vars in [
            MemoryVariables::default(),
            MemoryVariables::from_pairs(&[(SIGNING_KEY_VARIABLE, "abcd")]),
            MemoryVariables::from_pairs(&[(SIGNING_KEY_VARIABLE, &"zz".repeat(32))]),
            MemoryVariables::from_pairs(&[(SIGNING_KEY_VARIABLE, &"ab".repeat(33))]),
        ] {
            let err = load(&vars).unwrap_err();
            assert_eq!(err, Error::NotConfigured(SIGNING_KEY_VARIABLE.into()));
            assert!(!err.to_string().contains("zz"));
        }
    }
}
