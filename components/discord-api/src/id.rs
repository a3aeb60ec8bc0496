//! Typed snowflake IDs: `Id<GuildMarker>` cannot be passed where an
//! `Id<UserMarker>` is expected.
//!
//! Snowflakes are 64-bit unsigned integers that Discord always writes as JSON strings
//! (<https://discord.com/developers/docs/reference#snowflakes>). They are parsed once,
//! here, as a non-empty run of ASCII decimal digits that fits a `u64` and is not zero:
//! the one snowflake rule of the project (no length rule: Discord documents none).
//!
//! The service contracts carry snowflakes as plain `u64` (WIT `snowflake`); convert at
//! the edge with `u64::from(id)` and `Id::try_from(value)` (zero is refused).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::num::NonZeroU64;
use std::str::FromStr;

/// A Discord snowflake ID tagged with what it identifies.
///
/// Serialized as a JSON string of decimal digits; deserialized from such a string
/// (or, leniently, from a JSON integer).
pub struct Id<M> {
    value: NonZeroU64,
    marker: PhantomData<fn(M) -> M>,
}

/// Marker for application IDs.
pub enum ApplicationMarker {}
/// Marker for channel IDs.
pub enum ChannelMarker {}
/// Marker for application command IDs.
pub enum CommandMarker {}
/// Marker for IDs whose kind depends on context (e.g. a command's `target_id`).
pub enum GenericMarker {}
/// Marker for guild (server) IDs.
pub enum GuildMarker {}
/// Marker for interaction IDs.
pub enum InteractionMarker {}
/// Marker for message IDs.
pub enum MessageMarker {}
/// Marker for role IDs.
pub enum RoleMarker {}
/// Marker for user IDs.
pub enum UserMarker {}
/// Marker for webhook IDs.
pub enum WebhookMarker {}

/// An application's ID (also its OAuth2 client ID).
pub type ApplicationId = Id<ApplicationMarker>;
/// A channel's ID.
pub type ChannelId = Id<ChannelMarker>;
/// An application command's ID.
pub type CommandId = Id<CommandMarker>;
/// A guild's (server's) ID.
pub type GuildId = Id<GuildMarker>;
/// An interaction's ID.
pub type InteractionId = Id<InteractionMarker>;
/// A message's ID.
pub type MessageId = Id<MessageMarker>;
/// A role's ID.
pub type RoleId = Id<RoleMarker>;
/// A user's ID.
pub type UserId = Id<UserMarker>;
/// A webhook's ID.
pub type WebhookId = Id<WebhookMarker>;

/// Why a string is not a snowflake. Never contains the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Empty, or a character other than an ASCII digit.
    #[error("a snowflake ID must be decimal digits")]
    NotDecimal,
    /// More than fits in 64 bits.
    #[error("a snowflake ID must fit in 64 bits")]
    TooLarge,
    /// Zero is not a valid snowflake.
    #[error("a snowflake ID must not be zero")]
    Zero,
}

impl<M> Id<M> {
    /// Makes an ID from its numeric value; `None` for zero.
    pub const fn new(value: u64) -> Option<Self> {
        match NonZeroU64::new(value) {
            Some(value) => Some(Self::from_nonzero(value)),
            None => None,
        }
    }

    /// Makes an ID from a non-zero value.
    pub const fn from_nonzero(value: NonZeroU64) -> Self {
        Self {
            value,
            marker: PhantomData,
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u64 {
        self.value.get()
    }

    /// The same value tagged with another marker, for the few places where Discord
    /// reuses one ID as another kind (e.g. a guild's `@everyone` role has the guild's ID).
    pub const fn cast<N>(self) -> Id<N> {
        Id::from_nonzero(self.value)
    }
}

impl<M> Clone for Id<M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M> Copy for Id<M> {}
impl<M> PartialEq for Id<M> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<M> Eq for Id<M> {}
impl<M> PartialOrd for Id<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Id<M> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}
impl<M> Hash for Id<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}
impl<M> fmt::Debug for Id<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.value)
    }
}
impl<M> fmt::Display for Id<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

/// An ID as the service contracts carry it (WIT `snowflake`).
impl<M> From<Id<M>> for u64 {
    fn from(id: Id<M>) -> Self {
        id.get()
    }
}

/// A contract `snowflake` as a typed ID; zero is not an ID.
impl<M> TryFrom<u64> for Id<M> {
    type Error = IdError;

    fn try_from(value: u64) -> Result<Self, Self::Error> {
        Self::new(value).ok_or(IdError::Zero)
    }
}

impl<M> FromStr for Id<M> {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::NotDecimal);
        }
        let value: u64 = s.parse().map_err(|_| IdError::TooLarge)?;
        Self::new(value).ok_or(IdError::Zero)
    }
}

impl<M> serde::Serialize for Id<M> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.value)
    }
}

impl<'de, M> serde::Deserialize<'de> for Id<M> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<M>(PhantomData<fn(M) -> M>);

        impl<M> serde::de::Visitor<'_> for Visitor<M> {
            type Value = Id<M>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a snowflake ID as a string of decimal digits")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Id::new(v).ok_or_else(|| E::custom(IdError::Zero))
            }
        }

        deserializer.deserialize_any(Visitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_round_trips_as_a_json_string() {
        let id: GuildId = serde_json::from_str("\"613425648685547541\"").unwrap();
        assert_eq!(id.get(), 613_425_648_685_547_541);
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"613425648685547541\""
        );
    }

    #[test]
    fn the_largest_u64_is_accepted() {
        let id: UserId = "18446744073709551615".parse().unwrap();
        assert_eq!(id.get(), u64::MAX);
    }

    #[test]
    fn malformed_ids_are_rejected() {
        assert_eq!("".parse::<UserId>(), Err(IdError::NotDecimal));
        assert_eq!("+1".parse::<UserId>(), Err(IdError::NotDecimal));
        assert_eq!("-1".parse::<UserId>(), Err(IdError::NotDecimal));
        assert_eq!(" 1".parse::<UserId>(), Err(IdError::NotDecimal));
        assert_eq!("1a".parse::<UserId>(), Err(IdError::NotDecimal));
        assert_eq!(
            "18446744073709551616".parse::<UserId>(),
            Err(IdError::TooLarge)
        );
        assert_eq!("0".parse::<UserId>(), Err(IdError::Zero));
    }

    #[test]
    fn a_json_integer_is_accepted_leniently_but_not_a_float_or_bool() {
        let id: UserId = serde_json::from_str("42").unwrap();
        assert_eq!(id.get(), 42);
        assert!(serde_json::from_str::<UserId>("4.2").is_err());
        assert!(serde_json::from_str::<UserId>("true").is_err());
        assert!(serde_json::from_str::<UserId>("0").is_err());
    }

    #[test]
    fn the_parse_error_does_not_echo_the_input() {
        let err = serde_json::from_str::<UserId>("\"secret-ish-value\"").unwrap_err();
        assert!(!err.to_string().contains("secret-ish-value"));
    }

    #[test]
    fn an_id_converts_to_and_from_a_contract_snowflake() {
        let guild: GuildId = "613425648685547541".parse().unwrap();
        let value = u64::from(guild);
        assert_eq!(value, 613_425_648_685_547_541);
        assert_eq!(GuildId::try_from(value), Ok(guild));
        assert_eq!(UserId::try_from(0), Err(IdError::Zero));
    }

    #[test]
    fn short_ids_follow_the_one_rule_and_are_accepted() {
        // Copies of the rule once required 17 to 20 digits; the one rule has no length.
        assert_eq!("42".parse::<RoleId>().map(Id::get), Ok(42));
        assert_eq!(
            "00000000000000000042".parse::<RoleId>().map(Id::get),
            Ok(42)
        );
    }

    #[test]
    fn ids_of_different_kinds_compare_by_value_after_a_cast() {
        let guild = GuildId::new(7).unwrap();
        let role: RoleId = guild.cast();
        assert_eq!(role.get(), 7);
        assert_eq!(format!("{role} {role:?}"), "7 Id(7)");
    }
}
