//! Validated identifiers and redacted secrets ("parse, don't validate").
//!
//! Every value that ends up inside a KS, a privilege string or an API call is one of these
//! newtypes, so a malformed or hostile value is rejected once, at the edge. Secrets
//! ([`AdminSecret`], [`AppTokenSecret`]) and sessions ([`Ks`]) never print their content:
//! their `Debug` shows `[redacted]` and they have no `Display`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a value was rejected. Never contains the rejected value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The value is empty (or only whitespace, or nothing was left after sanitising).
    #[error("{what} must not be empty")]
    Empty {
        /// What was being validated.
        what: &'static str,
    },
    /// The value is longer than allowed.
    #[error("{what} must be at most {max} characters")]
    TooLong {
        /// What was being validated.
        what: &'static str,
        /// The maximum length in characters.
        max: usize,
    },
    /// The value contains a character outside the allowed set.
    #[error("{what} contains a character that is not allowed")]
    ForbiddenCharacter {
        /// What was being validated.
        what: &'static str,
    },
    /// A number is outside its allowed range.
    #[error("{what} is out of range")]
    OutOfRange {
        /// What was being validated.
        what: &'static str,
    },
}

/// Checks length and charset of an identifier-like string.
pub(crate) fn check_token(
    what: &'static str,
    value: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::Empty { what });
    }
    if value.chars().count() > max {
        return Err(ValidationError::TooLong { what, max });
    }
    if !value.chars().all(allowed) {
        return Err(ValidationError::ForbiddenCharacter { what });
    }
    Ok(())
}

/// A Kaltura partner (account) id: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct PartnerId(u32);

impl PartnerId {
    /// Makes a partner id.
    ///
    /// # Errors
    /// [`ValidationError::OutOfRange`] unless `1 <= id <= u32::MAX`.
    pub fn new(id: i64) -> Result<Self, ValidationError> {
        u32::try_from(id)
            .ok()
            .filter(|v| *v > 0)
            .map(Self)
            .ok_or(ValidationError::OutOfRange { what: "partner id" })
    }

    /// The numeric value.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for PartnerId {
    type Error = ValidationError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<PartnerId> for i64 {
    fn from(value: PartnerId) -> Self {
        i64::from(value.0)
    }
}

impl std::str::FromStr for PartnerId {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::OutOfRange { what: "partner id" });
        }
        let n: i64 = s
            .parse()
            .map_err(|_| ValidationError::OutOfRange { what: "partner id" })?;
        Self::new(n)
    }
}

impl fmt::Display for PartnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Characters allowed in a Kaltura user id made by this app: ASCII letters, digits and
/// `_ . @ + -`. None of them has a meaning in a KS (`; , : | & = /`).
fn is_user_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '+' | '-')
}

/// A Kaltura user id (`puser_id`), 1–100 characters of `[A-Za-z0-9_.@+-]`.
///
/// Kaltura itself accepts more, but every id this app makes (from Discord ids) fits, and
/// the narrow set guarantees a user id can never break out of its KS field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KalturaUserId(String);

impl KalturaUserId {
    /// Maximum length, from Kaltura's `kuser.puser_id` column.
    pub const MAX_LEN: usize = 100;

    /// Validates a user id.
    ///
    /// # Errors
    /// [`ValidationError`] when empty, longer than [`Self::MAX_LEN`] or containing a
    /// character outside `[A-Za-z0-9_.@+-]`.
    pub fn new(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        check_token("Kaltura user id", &id, Self::MAX_LEN, is_user_id_char)?;
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KalturaUserId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<KalturaUserId> for String {
    fn from(value: KalturaUserId) -> Self {
        value.0
    }
}

impl fmt::Display for KalturaUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Kaltura entry id such as `0_abc123xy`: 1–32 characters of `[A-Za-z0-9_]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntryId(String);

impl EntryId {
    /// Validates an entry id.
    ///
    /// # Errors
    /// [`ValidationError`] when empty, longer than 32 or not `[A-Za-z0-9_]`.
    pub fn new(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        check_token("entry id", &id, 32, |c| {
            c.is_ascii_alphanumeric() || c == '_'
        })?;
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EntryId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<EntryId> for String {
    fn from(value: EntryId) -> Self {
        value.0
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An application token id (`KalturaAppToken.id`, e.g. `0_abc123`): 1–64 characters of
/// `[A-Za-z0-9_]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppTokenId(String);

impl AppTokenId {
    /// Validates an app token id.
    ///
    /// # Errors
    /// [`ValidationError`] when empty, longer than 64 or not `[A-Za-z0-9_]`.
    pub fn new(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        check_token("app token id", &id, 64, |c| {
            c.is_ascii_alphanumeric() || c == '_'
        })?;
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AppTokenId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<AppTokenId> for String {
    fn from(value: AppTokenId) -> Self {
        value.0
    }
}

/// Cleans user-supplied free text for a JSON field (a meeting name, a search): control
/// characters become spaces, whitespace is collapsed and trimmed; the result must be
/// 1..=`max` characters.
pub(crate) fn clean_text(
    what: &'static str,
    raw: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let replaced: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        return Err(ValidationError::Empty { what });
    }
    if cleaned.chars().count() > max {
        return Err(ValidationError::TooLong { what, max });
    }
    Ok(cleaned)
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(i64);

        impl $name {
            /// Makes the id.
            ///
            /// # Errors
            /// [`ValidationError::OutOfRange`] unless the id is positive.
            pub fn new(id: i64) -> Result<Self, ValidationError> {
                if id > 0 {
                    Ok(Self(id))
                } else {
                    Err(ValidationError::OutOfRange { what: $what })
                }
            }

            /// The numeric value.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = ValidationError;
            fn try_from(value: i64) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

numeric_id!(
    /// A schedule resource id (`KalturaScheduleResource.id`, e.g. a meeting room).
    ResourceId,
    "schedule resource id"
);
numeric_id!(
    /// A schedule event id (`KalturaScheduleEvent.id`).
    EventId,
    "schedule event id"
);
numeric_id!(
    /// A player configuration (uiConf) id, used in player embed URLs.
    UiConfId,
    "uiconf id"
);

/// A partner's admin secret. Signs KS values and webhook bodies; never printed.
#[derive(Clone)]
pub struct AdminSecret(String);

impl AdminSecret {
    /// Wraps an admin secret.
    ///
    /// # Errors
    /// [`ValidationError::Empty`] for an empty secret.
    pub fn new(secret: impl Into<String>) -> Result<Self, ValidationError> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(ValidationError::Empty {
                what: "admin secret",
            });
        }
        Ok(Self(secret))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for AdminSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminSecret([redacted])")
    }
}

/// The secret `token` of a Kaltura application token (appToken). Never printed.
#[derive(Clone)]
pub struct AppTokenSecret(String);

impl AppTokenSecret {
    /// Wraps an app token secret.
    ///
    /// # Errors
    /// [`ValidationError::Empty`] for an empty token.
    pub fn new(token: impl Into<String>) -> Result<Self, ValidationError> {
        let token = token.into();
        if token.is_empty() {
            return Err(ValidationError::Empty { what: "app token" });
        }
        Ok(Self(token))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for AppTokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppTokenSecret([redacted])")
    }
}

/// A Kaltura Session string (KS), v1 or v2. A bearer credential: its `Debug` prints
/// `[redacted]`, it has no `Display`, and only [`Ks::expose`] gives the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Ks(String);

impl Ks {
    /// Longest KS accepted (privileges can make a KS long, but not this long).
    pub const MAX_LEN: usize = 8192;

    /// Wraps a KS received from Kaltura or stored earlier. Only the shape is checked
    /// (1–8192 characters of base64 or base64url); see [`crate::ks::decode`] to verify one.
    ///
    /// # Errors
    /// [`ValidationError`] for an empty, over-long or non-base64 value.
    pub fn new(ks: impl Into<String>) -> Result<Self, ValidationError> {
        let ks = ks.into();
        check_token("KS", &ks, Self::MAX_LEN, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')
        })?;
        Ok(Self(ks))
    }

    /// The KS text, for putting into a request or a URL. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_trusted(ks: String) -> Self {
        Self(ks)
    }
}

impl fmt::Debug for Ks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ks([redacted])")
    }
}

impl<'de> Deserialize<'de> for Ks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        // The error names no value, so a malformed KS is not echoed.
        Ks::new(s).map_err(|_| serde::de::Error::custom("malformed KS"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_ids_must_be_positive() {
        assert!(PartnerId::new(0).is_err());
        assert!(PartnerId::new(-1).is_err());
        assert_eq!(PartnerId::new(1_234_567).map(PartnerId::get), Ok(1_234_567));
        assert!("12a".parse::<PartnerId>().is_err());
        assert!("+12".parse::<PartnerId>().is_err());
        assert_eq!("42".parse::<PartnerId>().map(PartnerId::get), Ok(42));
    }

    #[test]
    fn user_ids_reject_ks_delimiters_and_accept_emails() {
        assert!(KalturaUserId::new("user@example.com").is_ok());
        assert!(KalturaUserId::new("discord-123456789012345678").is_ok());
        for bad in [
            "", "a;b", "a,b", "a:b", "a|b", "a&b", "a=b", "a/b", "a b", "a\nb", "é",
        ] {
            assert!(KalturaUserId::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(KalturaUserId::new("x".repeat(100)).is_ok());
        assert_eq!(
            KalturaUserId::new("x".repeat(101)),
            Err(ValidationError::TooLong {
                what: "Kaltura user id",
                max: 100
            })
        );
    }

    #[test]
    fn entry_and_numeric_ids_are_validated() {
        assert!(EntryId::new("0_abc123xy").is_ok());
        assert!(EntryId::new("0_abc,role:x").is_err());
        assert!(ResourceId::new(0).is_err());
        assert_eq!(EventId::new(7).map(EventId::get), Ok(7));
    }

    #[test]
    fn secrets_and_sessions_never_print_their_content() {
        let secret = AdminSecret::new("0123456789abcdef").ok();
        let token = AppTokenSecret::new("tok-secret-value").ok();
        let ks = Ks::new("djJ8MTIzNDU2N3wdy9oIt6dJ5ZL2PU9t").ok();
        let printed = format!("{secret:?} {token:?} {ks:?}");
        assert!(!printed.contains("0123456789abcdef"));
        assert!(!printed.contains("tok-secret-value"));
        assert!(!printed.contains("djJ8"));
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn a_malformed_ks_is_rejected_without_echoing_it() {
        let err = serde_json::from_str::<Ks>("\"not a ks! secretvalue\"")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("malformed KS"));
        assert!(!err.contains("secretvalue"));
        assert!(Ks::new("").is_err());
    }
}
