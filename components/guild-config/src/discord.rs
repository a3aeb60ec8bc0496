//! Discord IDs and permission bits as people type them in settings: mentions
//! (`<@&id>`, `<@id>`, `<#id>`) and lists of permission names (`MANAGE_GUILD |
//! MANAGE_EVENTS`). The IDs, the bits and the flags' names are `discord-api`'s
//! ([`discord_api::id`], [`Permissions`]), with its one parse rule; this module only
//! reads the forms people type.

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
        bits |= Permissions::from_name(name).ok_or(Rule::NotPermissionBits)?;
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
}
