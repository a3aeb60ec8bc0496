//! Reading the interface's inputs into checked values ("parse, don't validate"): the
//! server ID, the member, the actor and the patch. Every rejection is
//! [`ServiceError::Invalid`] naming the field.

use std::fmt;
use std::str::FromStr;

use guild_config::{Actor, ApiKeyId, Permissions, RoleId, Rule, UserId};
use serde_json::Value;

use crate::error::ServiceError;

/// A Discord server ("guild") ID: a decimal snowflake of 17 to 20 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuildId(u64);

impl GuildId {
    /// Reads the `guild-id` argument.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming `guild-id` if it is not a Discord ID.
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        s.parse()
            .map_err(|rule: Rule| ServiceError::Invalid(format!("guild-id: {rule}")))
    }

    /// The numeric ID.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl FromStr for GuildId {
    type Err = Rule;

    /// Reads a bare decimal ID. Every Discord ID follows the same rule, so this is
    /// [`UserId`]'s parser.
    fn from_str(s: &str) -> Result<Self, Rule> {
        s.parse::<UserId>().map(|id| GuildId(id.get()))
    }
}

impl fmt::Display for GuildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A Discord member as an interaction reports it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member's user ID.
    pub user_id: UserId,
    /// The IDs of the member's roles.
    pub role_ids: Vec<RoleId>,
    /// The member's permission bits.
    pub permissions: Permissions,
}

impl Member {
    /// Reads the `member` argument.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming `member.user-id` or `member.role-ids[i]` if an
    /// ID is malformed.
    pub fn parse(
        user_id: &str,
        role_ids: &[String],
        permissions: u64,
    ) -> Result<Self, ServiceError> {
        let user_id = user_id
            .parse()
            .map_err(|rule: Rule| ServiceError::Invalid(format!("member.user-id: {rule}")))?;
        let role_ids = role_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                id.parse().map_err(|rule: Rule| {
                    ServiceError::Invalid(format!("member.role-ids[{i}]: {rule}"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Member {
            user_id,
            role_ids,
            permissions: Permissions(permissions),
        })
    }
}

/// Reads the actor `discord-user(id)`.
///
/// # Errors
/// [`ServiceError::Invalid`] naming `actor` if the ID is malformed.
pub fn discord_user(id: &str) -> Result<Actor, ServiceError> {
    id.parse()
        .map(Actor::DiscordUser)
        .map_err(|rule: Rule| ServiceError::Invalid(format!("actor: {rule}")))
}

/// Reads the actor `api-key(id)`.
///
/// # Errors
/// [`ServiceError::Invalid`] naming `actor` if the key ID is malformed.
pub fn api_key(id: &str) -> Result<Actor, ServiceError> {
    ApiKeyId::new(id)
        .map(Actor::ApiKey)
        .map_err(ServiceError::from)
}

/// Reads `patch-json`: a JSON merge patch, which must be an object.
///
/// # Errors
/// [`ServiceError::Invalid`] naming `patch-json` if it is not JSON or not an object.
/// The message gives the position of a syntax error, never the text.
pub fn patch(json: &str) -> Result<Value, ServiceError> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| ServiceError::Invalid(format!("patch-json: not valid JSON ({e})")))?;
    if !value.is_object() {
        return Err(ServiceError::Invalid(
            "patch-json: must be a JSON object (a merge patch of the settings)".into(),
        ));
    }
    Ok(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_guild_id_is_a_discord_snowflake() {
        assert_eq!(
            GuildId::parse("123456789012345678").unwrap().get(),
            123_456_789_012_345_678
        );
        for bad in [
            "",
            "42",
            "abc",
            "0123456789012345678",
            "<#123456789012345678>",
        ] {
            let err = GuildId::parse(bad).unwrap_err();
            assert!(
                matches!(&err, ServiceError::Invalid(m) if m.starts_with("guild-id: must be a Discord ID")),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn a_malformed_role_id_of_a_member_is_named_by_its_position() {
        let roles = vec!["223456789012345678".to_string(), "x".to_string()];
        let err = Member::parse("123456789012345678", &roles, 0).unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(m) if m.starts_with("member.role-ids[1]:")));
        let err = Member::parse("1", &[], 0).unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(m) if m.starts_with("member.user-id:")));
    }

    #[test]
    fn actors_are_checked() {
        assert!(discord_user("123456789012345678").is_ok());
        assert!(
            matches!(discord_user("me"), Err(ServiceError::Invalid(m)) if m.starts_with("actor:"))
        );
        assert!(api_key("ops-key:1").is_ok());
        assert!(
            matches!(api_key("has space"), Err(ServiceError::Invalid(m)) if m.starts_with("actor:"))
        );
    }

    #[test]
    fn a_patch_must_be_a_json_object_and_its_text_is_never_echoed() {
        assert!(patch(r#"{"features":{"activity":true}}"#).is_ok());
        let err = patch("{\"secret-value\": ").unwrap_err();
        assert!(
            matches!(&err, ServiceError::Invalid(m) if m.starts_with("patch-json: not valid JSON"))
        );
        assert!(!err.to_string().contains("secret-value"));
        assert!(matches!(patch("[1]"), Err(ServiceError::Invalid(m)) if m.contains("JSON object")));
    }
}
