//! Rules the WIT states about its types, written once for every side of a contract:
//! what a well-formed [`Actor`] is, the lengths of a meeting's texts, and the longest
//! lifetime of an API key.

use crate::identity::ApiKeyInfo;
use crate::kaltura::MeetingRequest;
use crate::Actor;

impl ApiKeyInfo {
    /// The longest lifetime an API key may be given, in seconds: 365 days
    /// (`api-keys.create`'s `expires-at` is at most this far from now).
    pub const MAX_LIFETIME_SECONDS: u64 = 365 * 86_400;
}

/// The longest API key ID an [`Actor::ApiKey`] carries.
const MAX_ACTOR_KEY_ID_CHARS: usize = 64;

impl Actor {
    /// Whether this is an actor as `common.actor` defines it: a non-zero Discord user ID,
    /// or an API key ID of 1 to 64 letters, digits, `_`, `-`, `.` or `:` (the
    /// deployment's administrator is `api-key("deployment-admin")`).
    pub fn is_well_formed(&self) -> bool {
        match self {
            Self::DiscordUser(id) => *id != 0,
            Self::ApiKey(id) => {
                (1..=MAX_ACTOR_KEY_ID_CHARS).contains(&id.len())
                    && id.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':')
                    })
            }
        }
    }
}

impl MeetingRequest {
    /// The longest title, in characters once control characters are removed and
    /// whitespace is collapsed (`meeting-request.title`).
    pub const MAX_TITLE_CHARS: usize = 100;

    /// The longest description, in characters after the same cleaning
    /// (`meeting-request.description`).
    pub const MAX_DESCRIPTION_CHARS: usize = 1024;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_non_zero_users_or_api_key_ids_of_the_documented_shape() {
        for good in [
            Actor::DiscordUser(1),
            Actor::ApiKey("deployment-admin".into()),
            Actor::ApiKey("0123456789abcdef".into()),
            Actor::ApiKey("a.b:c_d-e".into()),
            Actor::ApiKey("k".repeat(64)),
        ] {
            assert!(good.is_well_formed(), "{good:?}");
        }
        for bad in [
            Actor::DiscordUser(0),
            Actor::ApiKey(String::new()),
            Actor::ApiKey("k".repeat(65)),
            Actor::ApiKey("a b".into()),
            Actor::ApiKey("../x".into()),
            Actor::ApiKey("é".into()),
        ] {
            assert!(!bad.is_well_formed(), "{bad:?}");
        }
    }
}
