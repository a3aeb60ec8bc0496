//! Which mentions in a message may notify anyone.
//!
//! Spec: <https://discord.com/developers/docs/resources/message#allowed-mentions-object>.
//! `parse` and an explicit list of the same kind are mutually exclusive; the
//! constructors here keep them so. Channel messages parse everything by default, so
//! this crate always sends an explicit value.

use serde::Serialize;

use super::limits;
use crate::id::{RoleId, UserId};

/// A kind of mention Discord may parse from the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MentionKind {
    /// `<@&id>` role mentions.
    Roles,
    /// `<@id>` user mentions.
    Users,
    /// `@everyone` and `@here`.
    Everyone,
}

/// An `allowed_mentions` object. Start from [`AllowedMentions::none`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[must_use = "builders do nothing unless used"]
pub struct AllowedMentions {
    parse: Vec<MentionKind>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    users: Vec<UserId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<RoleId>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    replied_user: bool,
}

impl Default for AllowedMentions {
    fn default() -> Self {
        Self::none()
    }
}

impl AllowedMentions {
    /// Notifies nobody: `{"parse":[]}`.
    pub fn none() -> Self {
        Self {
            parse: Vec::new(),
            users: Vec::new(),
            roles: Vec::new(),
            replied_user: false,
        }
    }

    /// Notifies exactly these users (at most 100 are kept), and stops parsing user
    /// mentions.
    pub fn users(mut self, users: impl IntoIterator<Item = UserId>) -> Self {
        self.parse.retain(|k| *k != MentionKind::Users);
        self.users = dedup_capped(users);
        self
    }

    /// Notifies exactly these roles (at most 100 are kept), and stops parsing role
    /// mentions.
    pub fn roles(mut self, roles: impl IntoIterator<Item = RoleId>) -> Self {
        self.parse.retain(|k| *k != MentionKind::Roles);
        self.roles = dedup_capped(roles);
        self
    }

    /// Notifies any user mentioned in the content, dropping an explicit user list.
    pub fn parse_users(self) -> Self {
        self.parse(MentionKind::Users)
    }

    /// Notifies any role mentioned in the content, dropping an explicit role list.
    pub fn parse_roles(self) -> Self {
        self.parse(MentionKind::Roles)
    }

    /// Lets `@everyone` and `@here` notify (still subject to the sender's
    /// `MENTION_EVERYONE` permission). Never use it with untrusted content.
    pub fn parse_everyone(self) -> Self {
        self.parse(MentionKind::Everyone)
    }

    fn parse(mut self, kind: MentionKind) -> Self {
        match kind {
            MentionKind::Users => self.users.clear(),
            MentionKind::Roles => self.roles.clear(),
            MentionKind::Everyone => {}
        }
        if !self.parse.contains(&kind) {
            self.parse.push(kind);
        }
        self
    }

    /// Whether a reply notifies the author of the message replied to.
    pub fn replied_user(mut self, notify: bool) -> Self {
        self.replied_user = notify;
        self
    }
}

fn dedup_capped<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if out.len() == limits::MENTION_IDS {
            break;
        }
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Id;
    use serde_json::json;

    fn json(m: &AllowedMentions) -> serde_json::Value {
        serde_json::to_value(m).unwrap()
    }

    #[test]
    fn none_suppresses_every_mention() {
        assert_eq!(json(&AllowedMentions::none()), json!({"parse": []}));
    }

    #[test]
    fn explicit_lists_are_written_as_ids() {
        let m = AllowedMentions::none()
            .users([
                Id::new(1).unwrap(),
                Id::new(1).unwrap(),
                Id::new(2).unwrap(),
            ])
            .roles([Id::new(3).unwrap()]);
        assert_eq!(
            json(&m),
            json!({"parse": [], "users": ["1", "2"], "roles": ["3"]})
        );
    }

    #[test]
    fn parse_and_a_list_of_the_same_kind_never_coexist() {
        let m = AllowedMentions::none()
            .users([Id::new(1).unwrap()])
            .parse_users();
        assert_eq!(json(&m), json!({"parse": ["users"]}));
        let m = AllowedMentions::none()
            .parse_roles()
            .parse_roles()
            .roles([Id::new(9).unwrap()])
            .parse_everyone();
        assert_eq!(json(&m), json!({"parse": ["everyone"], "roles": ["9"]}));
    }

    #[test]
    fn at_most_100_ids_are_kept() {
        let m = AllowedMentions::none().users((1..=150).filter_map(Id::new));
        assert_eq!(m.users.len(), limits::MENTION_IDS);
    }
}
