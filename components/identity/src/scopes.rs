//! What an access token or an API key allows, and which Kaltura role grants which.
//!
//! | scope | allows | granted by default to |
//! |---|---|---|
//! | `meetings:read` | list and get meetings, get join links | viewer, moderator, admin |
//! | `meetings:write` | create and end meetings | moderator, admin |
//! | `config:read` | read the server's settings | admin |
//! | `config:write` | change or reset the server's settings | admin |
//! | `audit:read` | read the server's audit log | admin |
//! | `keys:manage` | create, list and revoke the server's API keys | admin |
//!
//! An access token may carry only scopes its role grants ([`for_role`]); an API key
//! carries the scopes the server's admin chose. Either is valid on one server only:
//! [`authorize`] checks both.

use std::fmt;
use std::str::FromStr;

use guild_config::KalturaRole;

use crate::error::{IdentityError, Result};
use crate::ids;

/// One permission of the API, by resource and access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// `meetings:read`: list and get meetings, get join links.
    MeetingsRead,
    /// `meetings:write`: create and end meetings.
    MeetingsWrite,
    /// `config:read`: read the server's settings.
    ConfigRead,
    /// `config:write`: change or reset the server's settings.
    ConfigWrite,
    /// `audit:read`: read the server's audit log.
    AuditRead,
    /// `keys:manage`: create, list and revoke the server's API keys.
    KeysManage,
}

/// A scope name this version does not know. Never contains the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a scope name")]
pub struct UnknownScope;

impl Scope {
    /// Every scope, in declaration order.
    pub const ALL: [Scope; 6] = [
        Scope::MeetingsRead,
        Scope::MeetingsWrite,
        Scope::ConfigRead,
        Scope::ConfigWrite,
        Scope::AuditRead,
        Scope::KeysManage,
    ];

    /// The name used in tokens and API documents, e.g. `meetings:read`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::MeetingsRead => "meetings:read",
            Scope::MeetingsWrite => "meetings:write",
            Scope::ConfigRead => "config:read",
            Scope::ConfigWrite => "config:write",
            Scope::AuditRead => "audit:read",
            Scope::KeysManage => "keys:manage",
        }
    }
}

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, UnknownScope> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or(UnknownScope)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const VIEWER: &[Scope] = &[Scope::MeetingsRead];
const MODERATOR: &[Scope] = &[Scope::MeetingsRead, Scope::MeetingsWrite];

/// The scopes `role` grants: the most an access token for that role may carry.
pub fn for_role(role: KalturaRole) -> &'static [Scope] {
    match role {
        KalturaRole::Viewer => VIEWER,
        KalturaRole::Moderator => MODERATOR,
        KalturaRole::Admin => &Scope::ALL,
    }
}

/// `scopes` sorted in declaration order without repeats.
pub fn normalize(scopes: &[Scope]) -> Vec<Scope> {
    let mut scopes = scopes.to_vec();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

/// Reads scope names from a token or a stored record; names this version does not know
/// are dropped (a newer replica may know more), so a grant can only shrink.
pub fn parse_known(names: &[String]) -> Vec<Scope> {
    let known: Vec<Scope> = names.iter().filter_map(|n| n.parse().ok()).collect();
    normalize(&known)
}

/// The names of `scopes`.
pub fn names(scopes: &[Scope]) -> Vec<String> {
    scopes.iter().map(|s| s.as_str().to_owned()).collect()
}

/// Whether a verified grant — valid on server `granted_guild_id` with `granted_scopes`
/// — allows `needed` on server `guild_id`.
///
/// # Errors
/// [`IdentityError::Forbidden`] when the grant is for another server (checked first,
/// whatever its scopes) or lacks `needed`; [`IdentityError::Invalid`] for a malformed
/// server ID.
pub fn authorize(
    granted_guild_id: &str,
    granted_scopes: &[Scope],
    guild_id: &str,
    needed: Scope,
) -> Result<()> {
    let granted = ids::snowflake("granted-guild-id", granted_guild_id)?;
    let wanted = ids::snowflake("guild-id", guild_id)?;
    if granted != wanted {
        return Err(IdentityError::Forbidden(
            "the credential is valid on another Discord server".into(),
        ));
    }
    if !granted_scopes.contains(&needed) {
        return Err(IdentityError::Forbidden(format!(
            "the credential lacks the scope {needed}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUILD: &str = "111111111111111111";
    const OTHER_GUILD: &str = "222222222222222222";

    #[test]
    fn every_scope_name_round_trips() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert_eq!("meetings:delete".parse::<Scope>(), Err(UnknownScope));
        assert_eq!("MEETINGS:READ".parse::<Scope>(), Err(UnknownScope));
    }

    #[test]
    fn roles_grant_the_documented_scopes_and_each_role_includes_the_one_below() {
        assert_eq!(for_role(KalturaRole::Viewer), [Scope::MeetingsRead]);
        assert_eq!(
            for_role(KalturaRole::Moderator),
            [Scope::MeetingsRead, Scope::MeetingsWrite]
        );
        assert_eq!(for_role(KalturaRole::Admin), Scope::ALL);
        for pair in KalturaRole::ALL.windows(2) {
            for scope in for_role(pair[0]) {
                assert!(for_role(pair[1]).contains(scope));
            }
        }
    }

    #[test]
    fn unknown_scope_names_are_dropped_and_repeats_removed() {
        let names = [
            "keys:manage",
            "future:thing",
            "meetings:read",
            "keys:manage",
        ]
        .map(String::from);
        assert_eq!(
            parse_known(&names),
            [Scope::MeetingsRead, Scope::KeysManage]
        );
    }

    #[test]
    fn a_grant_for_the_server_with_the_scope_is_authorized() {
        authorize(GUILD, &[Scope::MeetingsRead], GUILD, Scope::MeetingsRead).unwrap();
    }

    #[test]
    fn a_grant_for_another_server_is_refused_whatever_its_scopes() {
        let err = authorize(OTHER_GUILD, &Scope::ALL, GUILD, Scope::MeetingsRead).unwrap_err();
        assert!(matches!(err, IdentityError::Forbidden(m) if m.contains("another Discord server")));
    }

    #[test]
    fn a_grant_without_the_scope_is_refused() {
        let err = authorize(GUILD, &[Scope::MeetingsRead], GUILD, Scope::ConfigWrite).unwrap_err();
        assert_eq!(
            err,
            IdentityError::Forbidden("the credential lacks the scope config:write".into())
        );
    }

    #[test]
    fn a_malformed_server_id_is_invalid_not_a_match() {
        assert!(matches!(
            authorize("1", &Scope::ALL, "1", Scope::MeetingsRead),
            Err(IdentityError::Invalid(_))
        ));
    }
}
