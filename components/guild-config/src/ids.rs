//! Typed identifiers and the small closed sets of the model: Discord IDs, permission
//! bits, Kaltura roles, command names, sections and layers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Rule;

/// The smallest number with 17 decimal digits; every `u64` from here on has 17 to 20.
const MIN_SNOWFLAKE: u64 = 10_000_000_000_000_000;

/// Reads a Discord snowflake: 17 to 20 decimal digits, no sign, no leading zero, fits a `u64`.
pub(crate) fn parse_snowflake(s: &str) -> Result<u64, Rule> {
    let shaped = (17..=20).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_digit())
        && !s.starts_with('0');
    if !shaped {
        return Err(Rule::NotASnowflake);
    }
    s.parse().map_err(|_| Rule::NotASnowflake)
}

macro_rules! snowflake_id {
    ($(#[$meta:meta])* $name:ident, mention: $fmt:literal, prefixes: [$($prefix:literal),+]) => {
        $(#[$meta])*
        ///
        /// Serialized as a decimal string, as Discord does; parsing enforces 17 to 20 digits.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(u64);

        impl $name {
            /// Wraps a numeric ID; `None` unless it has 17 to 20 decimal digits.
            pub fn new(id: u64) -> Option<Self> {
                (id >= MIN_SNOWFLAKE).then_some(Self(id))
            }

            /// The numeric ID.
            pub fn get(self) -> u64 {
                self.0
            }

            /// Discord markup that renders as a mention of this ID.
            pub fn mention(self) -> String {
                format!($fmt, self.0)
            }

            /// Reads an ID typed by a person: the bare decimal ID or its mention markup.
            ///
            /// # Errors
            /// [`Rule::NotASnowflake`] if it is neither.
            pub fn parse_lenient(s: &str) -> Result<Self, Rule> {
                let s = s.trim();
                if let Some(inner) = s.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
                    $(
                        if let Some(id) = inner.strip_prefix($prefix) {
                            return id.parse();
                        }
                    )+
                    return Err(Rule::NotASnowflake);
                }
                s.parse()
            }
        }

        impl FromStr for $name {
            type Err = Rule;

            fn from_str(s: &str) -> Result<Self, Rule> {
                parse_snowflake(s).map(Self)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Rule;

            fn try_from(s: String) -> Result<Self, Rule> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

snowflake_id!(
    /// A Discord role ID. People may type it as `<@&id>`.
    RoleId,
    mention: "<@&{}>",
    prefixes: ["@&"]
);
snowflake_id!(
    /// A Discord user ID. People may type it as `<@id>` or `<@!id>`.
    UserId,
    mention: "<@{}>",
    prefixes: ["@!", "@"]
);
snowflake_id!(
    /// A Discord channel ID. People may type it as `<#id>`.
    ChannelId,
    mention: "<#{}>",
    prefixes: ["#"]
);

/// Discord permission names and bits (`topics/permissions` in Discord's docs); used to
/// read names typed by people and to render bitsets.
const PERMISSION_NAMES: &[(&str, u64)] = &[
    ("CREATE_INSTANT_INVITE", 1 << 0),
    ("KICK_MEMBERS", 1 << 1),
    ("BAN_MEMBERS", 1 << 2),
    ("ADMINISTRATOR", 1 << 3),
    ("MANAGE_CHANNELS", 1 << 4),
    ("MANAGE_GUILD", 1 << 5),
    ("ADD_REACTIONS", 1 << 6),
    ("VIEW_AUDIT_LOG", 1 << 7),
    ("PRIORITY_SPEAKER", 1 << 8),
    ("STREAM", 1 << 9),
    ("VIEW_CHANNEL", 1 << 10),
    ("SEND_MESSAGES", 1 << 11),
    ("SEND_TTS_MESSAGES", 1 << 12),
    ("MANAGE_MESSAGES", 1 << 13),
    ("EMBED_LINKS", 1 << 14),
    ("ATTACH_FILES", 1 << 15),
    ("READ_MESSAGE_HISTORY", 1 << 16),
    ("MENTION_EVERYONE", 1 << 17),
    ("USE_EXTERNAL_EMOJIS", 1 << 18),
    ("VIEW_GUILD_INSIGHTS", 1 << 19),
    ("CONNECT", 1 << 20),
    ("SPEAK", 1 << 21),
    ("MUTE_MEMBERS", 1 << 22),
    ("DEAFEN_MEMBERS", 1 << 23),
    ("MOVE_MEMBERS", 1 << 24),
    ("USE_VAD", 1 << 25),
    ("CHANGE_NICKNAME", 1 << 26),
    ("MANAGE_NICKNAMES", 1 << 27),
    ("MANAGE_ROLES", 1 << 28),
    ("MANAGE_WEBHOOKS", 1 << 29),
    ("MANAGE_GUILD_EXPRESSIONS", 1 << 30),
    ("USE_APPLICATION_COMMANDS", 1 << 31),
    ("REQUEST_TO_SPEAK", 1 << 32),
    ("MANAGE_EVENTS", 1 << 33),
    ("MANAGE_THREADS", 1 << 34),
    ("CREATE_PUBLIC_THREADS", 1 << 35),
    ("CREATE_PRIVATE_THREADS", 1 << 36),
    ("USE_EXTERNAL_STICKERS", 1 << 37),
    ("SEND_MESSAGES_IN_THREADS", 1 << 38),
    ("USE_EMBEDDED_ACTIVITIES", 1 << 39),
    ("MODERATE_MEMBERS", 1 << 40),
    ("CREATE_EVENTS", 1 << 44),
];

/// A Discord permission bitset (`member.permissions`, a command's required bits).
///
/// Serialized as a decimal string, as Discord sends permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Permissions(pub u64);

impl Permissions {
    /// No bits.
    pub const NONE: Permissions = Permissions(0);
    /// `ADMINISTRATOR` (`1 << 3`): all permissions; maps to the Kaltura admin role.
    pub const ADMINISTRATOR: Permissions = Permissions(1 << 3);
    /// `MANAGE_GUILD` (`1 << 5`), "Manage Server": required for `/kaltura-config` by default.
    pub const MANAGE_GUILD: Permissions = Permissions(1 << 5);

    /// Whether every bit of `other` is set in `self`.
    pub fn contains(self, other: Permissions) -> bool {
        self.0 & other.0 == other.0
    }

    /// The bits of `self` that `held` lacks.
    pub fn missing_from(self, held: Permissions) -> Permissions {
        Permissions(self.0 & !held.0)
    }

    /// The names of the set bits (`MANAGE_GUILD`); unnamed bits as `1<<n`.
    pub fn names(self) -> Vec<String> {
        (0..64)
            .filter(|bit| self.0 & (1u64 << bit) != 0)
            .map(|bit| {
                PERMISSION_NAMES
                    .iter()
                    .find(|(_, value)| *value == 1u64 << bit)
                    .map_or_else(|| format!("1<<{bit}"), |(name, _)| (*name).to_string())
            })
            .collect()
    }

    /// Reads bits typed by a person: a decimal number, or permission names separated by
    /// `|`, `,` or spaces (`MANAGE_GUILD | MANAGE_EVENTS`, case-insensitive).
    ///
    /// # Errors
    /// [`Rule::NotPermissionBits`] on a name Discord does not define.
    pub fn parse_lenient(s: &str) -> Result<Self, Rule> {
        let s = s.trim();
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse();
        }
        let mut bits = 0;
        for name in s
            .split(|c: char| c == '|' || c == ',' || c.is_whitespace())
            .filter(|n| !n.is_empty())
        {
            let (_, value) = PERMISSION_NAMES
                .iter()
                .find(|(known, _)| known.eq_ignore_ascii_case(name))
                .ok_or(Rule::NotPermissionBits)?;
            bits |= value;
        }
        Ok(Permissions(bits))
    }
}

impl FromStr for Permissions {
    type Err = Rule;

    /// Reads the decimal string form Discord uses.
    fn from_str(s: &str) -> Result<Self, Rule> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Rule::NotPermissionBits);
        }
        s.parse()
            .map(Permissions)
            .map_err(|_| Rule::NotPermissionBits)
    }
}

impl TryFrom<String> for Permissions {
    type Error = Rule;

    fn try_from(s: String) -> Result<Self, Rule> {
        s.parse()
    }
}

impl From<Permissions> for String {
    fn from(p: Permissions) -> String {
        p.0.to_string()
    }
}

/// The role a Discord member gets in Kaltura. Ordered: `Viewer < Moderator < Admin`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum KalturaRole {
    /// Joins and watches.
    #[default]
    Viewer,
    /// Starts and ends meetings, moderates them.
    Moderator,
    /// Everything a moderator can, plus administration of the integration.
    Admin,
}

impl KalturaRole {
    /// All roles, lowest first.
    pub const ALL: [KalturaRole; 3] = [
        KalturaRole::Viewer,
        KalturaRole::Moderator,
        KalturaRole::Admin,
    ];

    /// The stored name: `viewer`, `moderator` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            KalturaRole::Viewer => "viewer",
            KalturaRole::Moderator => "moderator",
            KalturaRole::Admin => "admin",
        }
    }

    /// Reads a role typed by a person, ignoring case and surrounding spaces.
    ///
    /// # Errors
    /// [`Rule::UnknownRole`] if it is not a role name.
    pub fn parse_lenient(s: &str) -> Result<Self, Rule> {
        s.trim().to_ascii_lowercase().parse()
    }
}

impl FromStr for KalturaRole {
    type Err = Rule;

    /// Reads the exact stored name.
    fn from_str(s: &str) -> Result<Self, Rule> {
        KalturaRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(Rule::UnknownRole)
    }
}

impl fmt::Display for KalturaRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The bot's slash commands, each configurable under `commands.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CommandName {
    /// `/kaltura-start`: start a meeting.
    #[serde(rename = "kaltura-start")]
    Start,
    /// `/kaltura-join`: join a meeting.
    #[serde(rename = "kaltura-join")]
    Join,
    /// `/kaltura-list`: list meetings.
    #[serde(rename = "kaltura-list")]
    List,
    /// `/kaltura-end`: end a meeting.
    #[serde(rename = "kaltura-end")]
    End,
    /// `/kaltura-config`: view and change this server's settings.
    #[serde(rename = "kaltura-config")]
    Config,
}

impl CommandName {
    /// Every command, in menu order.
    pub const ALL: [CommandName; 5] = [
        CommandName::Start,
        CommandName::Join,
        CommandName::List,
        CommandName::End,
        CommandName::Config,
    ];

    /// The Discord command name, which is also its key under `commands`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandName::Start => "kaltura-start",
            CommandName::Join => "kaltura-join",
            CommandName::List => "kaltura-list",
            CommandName::End => "kaltura-end",
            CommandName::Config => "kaltura-config",
        }
    }
}

impl FromStr for CommandName {
    type Err = Rule;

    /// Reads `kaltura-start` or `/kaltura-start`.
    fn from_str(s: &str) -> Result<Self, Rule> {
        let s = s.strip_prefix('/').unwrap_or(s);
        CommandName::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Rule::UnknownKey {
                known: CommandName::ALL.iter().map(|c| c.as_str()).collect(),
            })
    }
}

impl fmt::Display for CommandName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.as_str())
    }
}

/// The top-level sections of a configuration document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// `commands`: which slash commands work and who may use them.
    Commands,
    /// `roles`: Discord role and user → Kaltura role.
    Roles,
    /// `notifications`: which Kaltura events are posted where, and how.
    Notifications,
    /// `features`: optional behaviour switches.
    Features,
    /// `kaltura`: KS privileges, player, followed categories.
    Kaltura,
}

impl Section {
    /// Every section, in document order.
    pub const ALL: [Section; 5] = [
        Section::Commands,
        Section::Roles,
        Section::Notifications,
        Section::Features,
        Section::Kaltura,
    ];

    /// The section's key.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Commands => "commands",
            Section::Roles => "roles",
            Section::Notifications => "notifications",
            Section::Features => "features",
            Section::Kaltura => "kaltura",
        }
    }
}

impl FromStr for Section {
    type Err = Rule;

    /// Reads a section key, ignoring case.
    fn from_str(s: &str) -> Result<Self, Rule> {
        Section::ALL
            .into_iter()
            .find(|sec| sec.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Rule::UnknownKey {
                known: Section::ALL.iter().map(|sec| sec.as_str()).collect(),
            })
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which override document is being validated. Some keys are deployment-only: a
/// server's own overrides may not set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// The deployment-wide overrides (set by the operator).
    Deployment,
    /// One Discord server's overrides (set by its admins through Discord or the API).
    Guild,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_have_17_to_20_digits() {
        assert!("12345678901234567".parse::<RoleId>().is_ok());
        assert!("12345678901234567890".parse::<RoleId>().is_ok());
        assert_eq!(
            "1234567890123456".parse::<RoleId>(),
            Err(Rule::NotASnowflake)
        );
        assert_eq!(
            "123456789012345678901".parse::<RoleId>(),
            Err(Rule::NotASnowflake)
        );
    }

    #[test]
    fn snowflakes_reject_signs_letters_leading_zeros_and_overflow() {
        for bad in [
            "+12345678901234567",
            "1234567890123456x",
            "01234567890123456",
            "99999999999999999999",
            " 12345678901234567",
            "",
        ] {
            assert_eq!(bad.parse::<UserId>(), Err(Rule::NotASnowflake), "{bad}");
        }
    }

    #[test]
    fn ids_serialize_as_decimal_strings() {
        let id: ChannelId = "123456789012345678".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"123456789012345678\""
        );
        assert!(serde_json::from_str::<ChannelId>("123456789012345678").is_err());
        assert!(serde_json::from_str::<ChannelId>("\"42\"").is_err());
    }

    #[test]
    fn typed_mentions_are_read_for_the_matching_kind_only() {
        let role = RoleId::parse_lenient("<@&123456789012345678>").unwrap();
        assert_eq!(role.mention(), "<@&123456789012345678>");
        assert!(RoleId::parse_lenient("<#123456789012345678>").is_err());
        assert!(UserId::parse_lenient("<@!123456789012345678>").is_ok());
        assert!(UserId::parse_lenient("<@&123456789012345678>").is_err());
        assert!(ChannelId::parse_lenient(" <#123456789012345678> ").is_ok());
    }

    #[test]
    fn permissions_are_read_from_decimal_or_names() {
        assert_eq!(Permissions::parse_lenient("32"), Ok(Permissions(32)));
        assert_eq!(
            Permissions::parse_lenient("manage_guild | MANAGE_EVENTS"),
            Ok(Permissions(32 | (1 << 33)))
        );
        assert_eq!(
            Permissions::parse_lenient("MANAGE_EVERYTHING"),
            Err(Rule::NotPermissionBits)
        );
        assert_eq!("0x20".parse::<Permissions>(), Err(Rule::NotPermissionBits));
        assert_eq!("".parse::<Permissions>(), Err(Rule::NotPermissionBits));
    }

    #[test]
    fn permission_names_render_known_and_unknown_bits() {
        assert_eq!(
            Permissions(8 | 32 | (1 << 60)).names(),
            ["ADMINISTRATOR", "MANAGE_GUILD", "1<<60"]
        );
    }

    #[test]
    fn kaltura_roles_are_ordered_viewer_moderator_admin() {
        assert!(KalturaRole::Viewer < KalturaRole::Moderator);
        assert!(KalturaRole::Moderator < KalturaRole::Admin);
        assert_eq!(
            KalturaRole::parse_lenient(" Moderator "),
            Ok(KalturaRole::Moderator)
        );
        assert_eq!("Moderator".parse::<KalturaRole>(), Err(Rule::UnknownRole));
    }

    #[test]
    fn command_names_read_with_or_without_a_slash() {
        assert_eq!("/kaltura-end".parse(), Ok(CommandName::End));
        assert_eq!("kaltura-config".parse(), Ok(CommandName::Config));
        assert!("kaltura-nope".parse::<CommandName>().is_err());
    }
}
