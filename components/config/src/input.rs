//! Reading the contract's inputs into checked values ("parse, don't validate"): Discord
//! IDs (never zero), the member, the actor and the patch. Every rejection is `invalid`
//! naming the field.

use contracts::{Actor, Error, Member, Snowflake};
use discord_api::id::{GuildId, Id, RoleId, UserId};
use discord_api::Permissions;
use guild_config::{check_actor, Rule};
use serde_json::Value;

/// Reads a snowflake argument: the contract carries IDs as numbers, so only zero is
/// not a Discord ID.
fn id<M>(id: Snowflake, field: &str) -> Result<Id<M>, Error> {
    Id::new(id).ok_or_else(|| Error::invalid(format!("{field}: {}", Rule::NotASnowflake)))
}

/// Reads the `guild-id` argument.
///
/// # Errors
/// `invalid` naming `guild-id` for zero.
pub(crate) fn guild(guild_id: Snowflake) -> Result<GuildId, Error> {
    id(guild_id, "guild-id")
}

/// A member as the rules need it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedMember {
    /// The member's server.
    pub guild: GuildId,
    /// The member's user ID.
    pub user: UserId,
    /// The IDs of the member's roles.
    pub roles: Vec<RoleId>,
    /// The member's permission bits.
    pub permissions: Permissions,
}

/// Reads the `member` argument.
///
/// # Errors
/// `invalid` naming `member.guild-id`, `member.user-id` or `member.role-ids[i]` for a
/// zero ID.
pub(crate) fn member(member: &Member) -> Result<CheckedMember, Error> {
    let roles = member
        .role_ids
        .iter()
        .enumerate()
        .map(|(i, role)| id(*role, &format!("member.role-ids[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(CheckedMember {
        guild: id(member.guild_id, "member.guild-id")?,
        user: id(member.user_id, "member.user-id")?,
        roles,
        permissions: Permissions::from_bits(member.permissions),
    })
}

/// Checks the `actor` argument ([`check_actor`]).
///
/// # Errors
/// `invalid` naming `actor`.
pub(crate) fn actor(actor: &Actor) -> Result<(), Error> {
    check_actor(actor).map_err(Error::from)
}

/// Reads `patch-json`: a JSON merge patch, which must be an object.
///
/// # Errors
/// `invalid` naming `patch-json` if it is not JSON or not an object. The message gives
/// the position of a syntax error, never the text.
pub(crate) fn patch(json: &str) -> Result<Value, Error> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| Error::invalid(format!("patch-json: not valid JSON ({e})")))?;
    if !value.is_object() {
        return Err(Error::invalid(
            "patch-json: must be a JSON object (a merge patch of the settings)",
        ));
    }
    Ok(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use contracts::ErrorKind;

    fn member_with(guild_id: u64, user_id: u64, role_ids: Vec<u64>) -> Member {
        Member {
            guild_id,
            user_id,
            username: "ana".into(),
            global_name: None,
            nick: None,
            role_ids,
            permissions: 1 << 5,
        }
    }

    fn invalid_message(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result {
            Err(Error::Invalid(message)) => message,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_guild_id_is_any_non_zero_snowflake() {
        assert_eq!(
            guild(123_456_789_012_345_678).unwrap().get(),
            123_456_789_012_345_678
        );
        assert_eq!(guild(42).unwrap().get(), 42);
        assert!(invalid_message(guild(0)).starts_with("guild-id: must be a Discord ID"));
    }

    #[test]
    fn a_member_is_read_with_its_roles_and_permissions() {
        let checked = member(&member_with(7, 8, vec![9, 10])).unwrap();
        assert_eq!((checked.guild.get(), checked.user.get()), (7, 8));
        assert_eq!(
            checked.roles.iter().map(|r| r.get()).collect::<Vec<_>>(),
            [9, 10]
        );
        assert_eq!(checked.permissions, Permissions::MANAGE_GUILD);
    }

    #[test]
    fn a_zero_id_of_a_member_is_named_by_its_field() {
        let message = invalid_message(member(&member_with(7, 8, vec![9, 0])));
        assert!(message.starts_with("member.role-ids[1]:"), "{message}");
        let message = invalid_message(member(&member_with(7, 0, vec![])));
        assert!(message.starts_with("member.user-id:"), "{message}");
        let message = invalid_message(member(&member_with(0, 8, vec![])));
        assert!(message.starts_with("member.guild-id:"), "{message}");
    }

    #[test]
    fn actors_are_checked() {
        assert!(actor(&Actor::DiscordUser(123_456_789_012_345_678)).is_ok());
        assert!(actor(&Actor::ApiKey("ops-key:1".into())).is_ok());
        for bad in [Actor::DiscordUser(0), Actor::ApiKey("has space".into())] {
            let message = invalid_message(actor(&bad));
            assert!(message.starts_with("actor:"), "{message}");
        }
    }

    #[test]
    fn a_patch_must_be_a_json_object_and_its_text_is_never_echoed() {
        assert!(patch(r#"{"features":{"activity":true}}"#).is_ok());
        let err = patch("{\"secret-value\": ").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid);
        assert!(err.message().starts_with("patch-json: not valid JSON"));
        assert!(!err.message().contains("secret-value"));
        assert!(invalid_message(patch("[1]")).contains("JSON object"));
    }
}
