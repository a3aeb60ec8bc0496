//! Secrets that never print themselves.
//!
//! Each token type's `Debug` and `Display` print `[redacted]`; the value is reached
//! only through `expose_secret()`, at the one place that puts it on the wire. Values
//! are checked on construction to be non-empty visible ASCII (surrounding whitespace,
//! e.g. a trailing newline from an environment variable, is trimmed), so they always
//! fit in an HTTP header or URL path.

use std::fmt;

/// Why a string is not a usable token. Never contains the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Empty after trimming surrounding whitespace.
    #[error("the token is empty")]
    Empty,
    /// A character other than visible ASCII.
    #[error("the token contains a character that is not visible ASCII")]
    InvalidCharacter,
}

fn check(value: &str) -> Result<String, TokenError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(TokenError::Empty);
    }
    if !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(TokenError::InvalidCharacter);
    }
    Ok(trimmed.to_owned())
}

macro_rules! secret {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps a token.
            ///
            /// # Errors
            /// [`TokenError`] if it is empty or not visible ASCII.
            pub fn new(value: &str) -> Result<Self, TokenError> {
                check(value).map(Self)
            }

            /// The secret value, for the one place that puts it on the wire.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

/// Serde support for tokens that travel in JSON payloads.
macro_rules! wire_secret {
    ($name:ident) => {
        /// Writes the secret value: this is the wire format, so only serialize it
        /// where Discord (or a fake of it) is the reader.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw =
                    <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                Self::new(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

secret! {
    /// A bot token, sent as `Authorization: Bot <token>`.
    BotToken
}
secret! {
    /// An interaction's continuation token (valid 15 minutes), used in webhook paths.
    InteractionToken
}
secret! {
    /// An OAuth2 access token, sent as `Authorization: Bearer <token>`.
    AccessToken
}
secret! {
    /// An OAuth2 refresh token.
    RefreshToken
}
secret! {
    /// An OAuth2 client secret, sent with the client ID as HTTP Basic credentials.
    ClientSecret
}
secret! {
    /// A webhook's token, used in its execute path.
    WebhookToken
}

wire_secret!(InteractionToken);
wire_secret!(AccessToken);
wire_secret!(RefreshToken);
wire_secret!(WebhookToken);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_prints_as_redacted() {
        let token = BotToken::new("MTIz.abc.def").unwrap();
        assert_eq!(format!("{token}"), "[redacted]");
        assert_eq!(format!("{token:?}"), "[redacted]");
        assert_eq!(token.expose_secret(), "MTIz.abc.def");
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        let token = ClientSecret::new("  s3cret\n").unwrap();
        assert_eq!(token.expose_secret(), "s3cret");
    }

    #[test]
    fn empty_or_unprintable_tokens_are_rejected() {
        assert_eq!(BotToken::new(" \n"), Err(TokenError::Empty));
        assert_eq!(BotToken::new("a b"), Err(TokenError::InvalidCharacter));
        assert_eq!(BotToken::new("a\u{7f}"), Err(TokenError::InvalidCharacter));
        assert_eq!(BotToken::new("tökén"), Err(TokenError::InvalidCharacter));
    }

    #[test]
    fn a_wire_token_round_trips_through_json_and_stays_redacted_in_debug() {
        let token: InteractionToken = serde_json::from_str("\"aW50ZXJhY3Rpb24\"").unwrap();
        assert_eq!(format!("{token:?}"), "[redacted]");
        assert_eq!(
            serde_json::to_string(&token).unwrap(),
            "\"aW50ZXJhY3Rpb24\""
        );
        let err = serde_json::from_str::<InteractionToken>("\"has space\"").unwrap_err();
        assert!(!err.to_string().contains("has space"));
    }
}
