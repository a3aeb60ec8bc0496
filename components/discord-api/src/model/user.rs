//! Users and guild members as they appear in interactions and REST responses.

use serde::{Deserialize, Serialize};

use crate::id::{RoleId, UserId};
use crate::permissions::Permissions;

/// A Discord user (partial: the fields this app reads)
/// (<https://discord.com/developers/docs/resources/user#user-object>).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's ID.
    pub id: UserId,
    /// The unique username.
    pub username: String,
    /// The display name chosen by the user, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_name: Option<String>,
    /// Legacy discriminator (`"0"` for migrated users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discriminator: Option<String>,
    /// Avatar hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Whether the user is a bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<bool>,
}

impl User {
    /// The name to show: `global_name`, else `username`.
    pub fn display_name(&self) -> &str {
        self.global_name
            .as_deref()
            .filter(|name| !name.is_empty())
            .unwrap_or(&self.username)
    }
}

/// A guild member (partial) (<https://discord.com/developers/docs/resources/guild#guild-member-object>).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The user; present in interactions and in Get Guild Member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// The member's nickname in this guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    /// The member's role IDs.
    #[serde(default)]
    pub roles: Vec<RoleId>,
    /// Total permissions in the interaction's channel, including overwrites; only in
    /// interactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// When the user joined the guild (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<String>,
}

impl Member {
    /// The name to show: the guild nickname, else the user's display name.
    pub fn display_name(&self) -> Option<&str> {
        self.nick
            .as_deref()
            .filter(|nick| !nick.is_empty())
            .or_else(|| self.user.as_ref().map(User::display_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(global_name: Option<&str>) -> User {
        User {
            id: UserId::new(1).unwrap(),
            username: "ada".into(),
            global_name: global_name.map(Into::into),
            discriminator: None,
            avatar: None,
            bot: None,
        }
    }

    #[test]
    fn the_display_name_prefers_nick_then_global_name_then_username() {
        let mut member = Member {
            user: Some(user(Some("Ada L."))),
            nick: Some("Countess".into()),
            roles: vec![],
            permissions: None,
            joined_at: None,
        };
        assert_eq!(member.display_name(), Some("Countess"));
        member.nick = None;
        assert_eq!(member.display_name(), Some("Ada L."));
        member.user = Some(user(None));
        assert_eq!(member.display_name(), Some("ada"));
    }

    #[test]
    fn a_null_nick_and_global_name_parse_as_absent() {
        let json = r#"{"user":{"id":"5","username":"u","global_name":null,"discriminator":"0","avatar":null},
                       "nick":null,"roles":["7","8"],"joined_at":"2024-01-01T00:00:00+00:00","deaf":false}"#;
        let member: Member = serde_json::from_str(json).unwrap();
        assert_eq!(member.display_name(), Some("u"));
        assert_eq!(member.roles.len(), 2);
        assert_eq!(member.permissions, None);
    }
}
