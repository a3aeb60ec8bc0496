//! Discord permission bitsets.
//!
//! Permissions are "a variable-length integer serialized into a string"
//! (<https://discord.com/developers/docs/topics/permissions>). Flags currently go up to
//! `1 << 52`, so a `u64` holds them all; bits above 63 that Discord may add later are
//! dropped when parsing rather than failing the payload.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign};
use std::str::FromStr;

/// A set of Discord permission flags.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Permissions(u64);

/// Why a string is not a permission bitset. Never contains the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("permissions must be a decimal integer string")]
pub struct PermissionsError;

/// Every permission flag Discord documents, by its name in Discord's documentation
/// (<https://discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags>).
pub const NAMED: &[(&str, Permissions)] = &[
    ("CREATE_INSTANT_INVITE", Permissions(1 << 0)),
    ("KICK_MEMBERS", Permissions(1 << 1)),
    ("BAN_MEMBERS", Permissions(1 << 2)),
    ("ADMINISTRATOR", Permissions(1 << 3)),
    ("MANAGE_CHANNELS", Permissions(1 << 4)),
    ("MANAGE_GUILD", Permissions(1 << 5)),
    ("ADD_REACTIONS", Permissions(1 << 6)),
    ("VIEW_AUDIT_LOG", Permissions(1 << 7)),
    ("PRIORITY_SPEAKER", Permissions(1 << 8)),
    ("STREAM", Permissions(1 << 9)),
    ("VIEW_CHANNEL", Permissions(1 << 10)),
    ("SEND_MESSAGES", Permissions(1 << 11)),
    ("SEND_TTS_MESSAGES", Permissions(1 << 12)),
    ("MANAGE_MESSAGES", Permissions(1 << 13)),
    ("EMBED_LINKS", Permissions(1 << 14)),
    ("ATTACH_FILES", Permissions(1 << 15)),
    ("READ_MESSAGE_HISTORY", Permissions(1 << 16)),
    ("MENTION_EVERYONE", Permissions(1 << 17)),
    ("USE_EXTERNAL_EMOJIS", Permissions(1 << 18)),
    ("VIEW_GUILD_INSIGHTS", Permissions(1 << 19)),
    ("CONNECT", Permissions(1 << 20)),
    ("SPEAK", Permissions(1 << 21)),
    ("MUTE_MEMBERS", Permissions(1 << 22)),
    ("DEAFEN_MEMBERS", Permissions(1 << 23)),
    ("MOVE_MEMBERS", Permissions(1 << 24)),
    ("USE_VAD", Permissions(1 << 25)),
    ("CHANGE_NICKNAME", Permissions(1 << 26)),
    ("MANAGE_NICKNAMES", Permissions(1 << 27)),
    ("MANAGE_ROLES", Permissions(1 << 28)),
    ("MANAGE_WEBHOOKS", Permissions(1 << 29)),
    ("MANAGE_GUILD_EXPRESSIONS", Permissions(1 << 30)),
    ("USE_APPLICATION_COMMANDS", Permissions(1 << 31)),
    ("REQUEST_TO_SPEAK", Permissions(1 << 32)),
    ("MANAGE_EVENTS", Permissions(1 << 33)),
    ("MANAGE_THREADS", Permissions(1 << 34)),
    ("CREATE_PUBLIC_THREADS", Permissions(1 << 35)),
    ("CREATE_PRIVATE_THREADS", Permissions(1 << 36)),
    ("USE_EXTERNAL_STICKERS", Permissions(1 << 37)),
    ("SEND_MESSAGES_IN_THREADS", Permissions(1 << 38)),
    ("USE_EMBEDDED_ACTIVITIES", Permissions(1 << 39)),
    ("MODERATE_MEMBERS", Permissions(1 << 40)),
    ("CREATE_EVENTS", Permissions(1 << 44)),
];

impl Permissions {
    /// No permission.
    pub const NONE: Self = Self(0);
    /// `CREATE_INSTANT_INVITE` (`1 << 0`).
    pub const CREATE_INSTANT_INVITE: Self = Self(1 << 0);
    /// `KICK_MEMBERS` (`1 << 1`).
    pub const KICK_MEMBERS: Self = Self(1 << 1);
    /// `BAN_MEMBERS` (`1 << 2`).
    pub const BAN_MEMBERS: Self = Self(1 << 2);
    /// `ADMINISTRATOR` (`1 << 3` = 8): every permission, bypassing channel overwrites.
    pub const ADMINISTRATOR: Self = Self(1 << 3);
    /// `MANAGE_CHANNELS` (`1 << 4` = 16).
    pub const MANAGE_CHANNELS: Self = Self(1 << 4);
    /// `MANAGE_GUILD` (`1 << 5` = 32).
    pub const MANAGE_GUILD: Self = Self(1 << 5);
    /// `VIEW_CHANNEL` (`1 << 10`).
    pub const VIEW_CHANNEL: Self = Self(1 << 10);
    /// `SEND_MESSAGES` (`1 << 11` = 2048).
    pub const SEND_MESSAGES: Self = Self(1 << 11);
    /// `MANAGE_MESSAGES` (`1 << 13` = 8192).
    pub const MANAGE_MESSAGES: Self = Self(1 << 13);
    /// `EMBED_LINKS` (`1 << 14`).
    pub const EMBED_LINKS: Self = Self(1 << 14);
    /// `MENTION_EVERYONE` (`1 << 17`).
    pub const MENTION_EVERYONE: Self = Self(1 << 17);
    /// `CONNECT` (`1 << 20`): join voice channels.
    pub const CONNECT: Self = Self(1 << 20);
    /// `MANAGE_ROLES` (`1 << 28`).
    pub const MANAGE_ROLES: Self = Self(1 << 28);
    /// `MANAGE_WEBHOOKS` (`1 << 29` = 536870912).
    pub const MANAGE_WEBHOOKS: Self = Self(1 << 29);
    /// `USE_APPLICATION_COMMANDS` (`1 << 31`).
    pub const USE_APPLICATION_COMMANDS: Self = Self(1 << 31);
    /// `MANAGE_EVENTS` (`1 << 33`).
    pub const MANAGE_EVENTS: Self = Self(1 << 33);
    /// `CREATE_EVENTS` (`1 << 44`).
    pub const CREATE_EVENTS: Self = Self(1 << 44);

    /// The set with exactly these bits.
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether every flag of `other` is set (exact check, no `ADMINISTRATOR` rule).
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the holder may act as if it had every flag of `required`: either it has
    /// them all, or it has `ADMINISTRATOR`, which implies every permission.
    pub const fn allows(self, required: Self) -> bool {
        self.contains(Self::ADMINISTRATOR) || self.contains(required)
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags of `self` that `other` lacks, e.g. the required permissions a member is
    /// missing: `required.difference(held)`.
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// The flag named `name` in Discord's documentation ([`NAMED`]), ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Self> {
        NAMED
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, flag)| *flag)
    }

    /// The names of the set flags, lowest first; a flag without a name as `1<<n`.
    pub fn names(self) -> Vec<String> {
        (0..64)
            .map(|bit| Self(1u64 << bit))
            .filter(|flag| self.contains(*flag))
            .map(|flag| {
                NAMED.iter().find(|(_, known)| *known == flag).map_or_else(
                    || format!("1<<{}", flag.0.trailing_zeros()),
                    |(name, _)| (*name).to_owned(),
                )
            })
            .collect()
    }
}

impl BitOr for Permissions {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for Permissions {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Permissions {
    type Output = Self;
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Permissions({:#x})", self.0)
    }
}

/// Displays the decimal wire form.
impl fmt::Display for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Parses the decimal wire form; bits above 63 are dropped.
impl FromStr for Permissions {
    type Err = PermissionsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PermissionsError);
        }
        let wide: u128 = s.parse().map_err(|_| PermissionsError)?;
        // Keeping the low 64 bits keeps every flag this crate knows exactly.
        Ok(Self((wide & u128::from(u64::MAX)) as u64))
    }
}

impl serde::Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Permissions {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Permissions;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a permission bitset as a decimal string")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Permissions(v))
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_bits_have_their_documented_values() {
        assert_eq!(Permissions::ADMINISTRATOR.bits(), 8);
        assert_eq!(Permissions::MANAGE_CHANNELS.bits(), 16);
        assert_eq!(Permissions::MANAGE_GUILD.bits(), 32);
        assert_eq!(Permissions::SEND_MESSAGES.bits(), 2048);
        assert_eq!(Permissions::MANAGE_MESSAGES.bits(), 8192);
        assert_eq!(Permissions::MANAGE_WEBHOOKS.bits(), 536_870_912);
        assert_eq!(Permissions::MANAGE_EVENTS.bits(), 1 << 33);
        assert_eq!(Permissions::CREATE_EVENTS.bits(), 1 << 44);
    }

    #[test]
    fn a_permission_string_parses_into_its_flags() {
        let p: Permissions = serde_json::from_str("\"2147483688\"").unwrap();
        assert!(p.contains(Permissions::MANAGE_GUILD));
        assert!(p.contains(Permissions::ADMINISTRATOR));
        assert!(p.contains(Permissions::USE_APPLICATION_COMMANDS));
        assert!(!p.contains(Permissions::SEND_MESSAGES));
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"2147483688\"");
    }

    #[test]
    fn administrator_allows_everything_but_contains_only_itself() {
        let admin = Permissions::ADMINISTRATOR;
        assert!(admin.allows(Permissions::MANAGE_EVENTS | Permissions::MANAGE_GUILD));
        assert!(!admin.contains(Permissions::MANAGE_GUILD));
        let member = Permissions::SEND_MESSAGES;
        assert!(!member.allows(Permissions::MANAGE_GUILD));
        assert!(member.allows(Permissions::NONE));
    }

    #[test]
    fn named_flags_match_their_constants_and_names_round_trip() {
        assert_eq!(
            Permissions::from_name("manage_guild"),
            Some(Permissions::MANAGE_GUILD)
        );
        assert_eq!(Permissions::from_name("MANAGE_EVERYTHING"), None);
        for (name, flag) in NAMED {
            assert_eq!(flag.bits().count_ones(), 1, "{name}");
            assert_eq!(flag.names(), [*name]);
        }
        assert_eq!(
            Permissions::from_bits(8 | 32 | (1 << 60)).names(),
            ["ADMINISTRATOR", "MANAGE_GUILD", "1<<60"]
        );
    }

    #[test]
    fn the_difference_is_what_the_holder_lacks() {
        let required = Permissions::MANAGE_GUILD | Permissions::SEND_MESSAGES;
        assert_eq!(
            required.difference(Permissions::SEND_MESSAGES),
            Permissions::MANAGE_GUILD
        );
        assert!(required.difference(required).is_empty());
    }

    #[test]
    fn bits_beyond_64_are_dropped_not_fatal() {
        // 2^70 + 32: a future flag plus MANAGE_GUILD.
        let p: Permissions = "1180591620717411303456".parse().unwrap();
        assert_eq!(p, Permissions::MANAGE_GUILD);
    }

    #[test]
    fn malformed_permission_strings_are_rejected() {
        for bad in [
            "",
            "-1",
            "0x20",
            "1.5",
            " 8",
            "340282366920938463463374607431768211456",
        ] {
            assert_eq!(bad.parse::<Permissions>(), Err(PermissionsError), "{bad:?}");
        }
    }
}
