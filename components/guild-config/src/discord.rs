//! Discord IDs and permission bits as people type and read them in settings: mentions
//! (`<@&id>`, `<@id>`, `<#id>`) and permission names (`MANAGE_GUILD`). The IDs and the
//! bits themselves are `discord-api`'s ([`discord_api::id`], [`Permissions`]), with its
//! one parse rule; this module only adds the words around them.

use discord_api::id::{ChannelId, Id, RoleId, UserId};
use discord_api::Permissions;

use crate::error::Rule;

/// Reads a bare Discord ID by `discord-api`'s rule (decimal digits, fits 64 bits, not
/// zero).
///
/// # Errors
/// [`Rule::NotASnowflake`] for anything else.
pub(crate) fn parse_id<M>(s: &str) -> Result<Id<M>, Rule> {
    s.parse().map_err(|_| Rule::NotASnowflake)
}

/// An ID kind people mention in Discord: how it renders, and reading it back as typed.
pub(crate) trait Mention: Sized {
    /// Discord markup that renders as a mention of this ID.
    fn mention(self) -> String;

    /// Reads an ID typed by a person: the bare decimal ID or its mention markup.
    ///
    /// # Errors
    /// [`Rule::NotASnowflake`] if it is neither (a mention of another kind included).
    fn parse_typed(s: &str) -> Result<Self, Rule>;
}

/// Reads `s` as a bare ID, or as `<{prefix}id>` for one of `prefixes`.
fn parse_mention<M>(s: &str, prefixes: &[&str]) -> Result<Id<M>, Rule> {
    let s = s.trim();
    let Some(inner) = s.strip_prefix('<').and_then(|r| r.strip_suffix('>')) else {
        return parse_id(s);
    };
    prefixes
        .iter()
        .find_map(|prefix| inner.strip_prefix(prefix))
        .map_or(Err(Rule::NotASnowflake), parse_id)
}

impl Mention for RoleId {
    fn mention(self) -> String {
        format!("<@&{self}>")
    }

    fn parse_typed(s: &str) -> Result<Self, Rule> {
        parse_mention(s, &["@&"])
    }
}

impl Mention for UserId {
    fn mention(self) -> String {
        format!("<@{self}>")
    }

    fn parse_typed(s: &str) -> Result<Self, Rule> {
        parse_mention(s, &["@!", "@"])
    }
}

impl Mention for ChannelId {
    fn mention(self) -> String {
        format!("<#{self}>")
    }

    fn parse_typed(s: &str) -> Result<Self, Rule> {
        parse_mention(s, &["#"])
    }
}

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

/// The names of the set bits (`MANAGE_GUILD`); unnamed bits as `1<<n`.
pub(crate) fn permission_names(permissions: Permissions) -> Vec<String> {
    let bits = permissions.bits();
    (0..64)
        .filter(|bit| bits & (1u64 << bit) != 0)
        .map(|bit| {
            PERMISSION_NAMES
                .iter()
                .find(|(_, value)| *value == 1u64 << bit)
                .map_or_else(|| format!("1<<{bit}"), |(name, _)| (*name).to_string())
        })
        .collect()
}

/// Reads permission bits as stored: `discord-api`'s decimal form.
///
/// # Errors
/// [`Rule::NotPermissionBits`] if it is not a decimal number.
pub(crate) fn parse_permissions(s: &str) -> Result<Permissions, Rule> {
    s.parse().map_err(|_| Rule::NotPermissionBits)
}

/// Reads permission bits typed by a person: a decimal number, or permission names
/// separated by `|`, `,` or spaces (`MANAGE_GUILD | MANAGE_EVENTS`, case-insensitive).
///
/// # Errors
/// [`Rule::NotPermissionBits`] on a name Discord does not define.
pub(crate) fn parse_permissions_typed(s: &str) -> Result<Permissions, Rule> {
    let s = s.trim();
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return parse_permissions(s);
    }
    let mut bits = Permissions::NONE;
    for name in s
        .split(|c: char| c == '|' || c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
    {
        let (_, value) = PERMISSION_NAMES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .ok_or(Rule::NotPermissionBits)?;
        bits |= Permissions::from_bits(*value);
    }
    Ok(bits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_read_by_discord_apis_one_rule() {
        assert_eq!(
            parse_id::<RoleId>("12345678901234567").map(Id::get),
            Ok(12_345_678_901_234_567)
        );
        for bad in ["", "+1", " 1", "1a", "0", "18446744073709551616"] {
            assert_eq!(parse_id::<UserId>(bad), Err(Rule::NotASnowflake), "{bad:?}");
        }
    }

    /// guild-config used to accept 17 to 20 digits only; discord-api accepts any
    /// non-zero decimal that fits 64 bits. The one rule is discord-api's.
    #[test]
    fn ids_shorter_than_17_digits_are_discord_ids_too() {
        assert_eq!(parse_id::<ChannelId>("42").map(Id::get), Ok(42));
        assert_eq!(
            parse_id::<ChannelId>("1234567890123456").map(Id::get),
            Ok(1_234_567_890_123_456)
        );
        assert_eq!(
            parse_id::<ChannelId>("18446744073709551615").map(Id::get),
            Ok(u64::MAX)
        );
        // Leading zeros, refused before, are digits like any other.
        assert_eq!(parse_id::<ChannelId>("007").map(Id::get), Ok(7));
    }

    #[test]
    fn typed_mentions_are_read_for_the_matching_kind_only() {
        let role = RoleId::parse_typed("<@&123456789012345678>").unwrap();
        assert_eq!(role.mention(), "<@&123456789012345678>");
        assert!(RoleId::parse_typed("<#123456789012345678>").is_err());
        assert!(UserId::parse_typed("<@!123456789012345678>").is_ok());
        assert!(UserId::parse_typed("<@&123456789012345678>").is_err());
        assert_eq!(
            ChannelId::parse_typed(" <#123456789012345678> ")
                .unwrap()
                .mention(),
            "<#123456789012345678>"
        );
        assert_eq!(UserId::parse_typed("42").unwrap().mention(), "<@42>");
        assert!(ChannelId::parse_typed("<#0>").is_err());
    }

    #[test]
    fn permissions_are_read_from_decimal_or_names() {
        assert_eq!(parse_permissions_typed("32"), Ok(Permissions::MANAGE_GUILD));
        assert_eq!(
            parse_permissions_typed("manage_guild | MANAGE_EVENTS"),
            Ok(Permissions::MANAGE_GUILD | Permissions::MANAGE_EVENTS)
        );
        assert_eq!(
            parse_permissions_typed("MANAGE_EVERYTHING"),
            Err(Rule::NotPermissionBits)
        );
        assert_eq!(parse_permissions("0x20"), Err(Rule::NotPermissionBits));
        assert_eq!(parse_permissions(""), Err(Rule::NotPermissionBits));
    }

    /// guild-config used to refuse bits beyond 64; discord-api keeps the low 64 bits of
    /// any decimal (flags Discord may add later). The one rule is discord-api's.
    #[test]
    fn permission_bits_beyond_64_are_dropped_not_refused() {
        // 2^70 + 32: a future flag plus MANAGE_GUILD.
        assert_eq!(
            parse_permissions("1180591620717411303456"),
            Ok(Permissions::MANAGE_GUILD)
        );
    }

    #[test]
    fn permission_names_render_known_and_unknown_bits() {
        assert_eq!(
            permission_names(Permissions::from_bits(8 | 32 | (1 << 60))),
            ["ADMINISTRATOR", "MANAGE_GUILD", "1<<60"]
        );
    }
}
