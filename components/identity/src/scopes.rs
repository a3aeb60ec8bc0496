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
//! | `events:manage` | manage the server's event subscriptions and read their deliveries | admin |
//!
//! An access token may carry only scopes its role grants ([`for_role`]); an API key
//! carries the scopes the server's admin chose. Either is valid on one server only:
//! [`authorize`] checks both. Scopes and their names (`meetings:read`) are the
//! contract's ([`Scope`], `Scope::as_str`).

use contracts::identity::Scope;
use contracts::KalturaRole;
use discord_api::id::GuildMarker;

use crate::error::{Error, Result};
use crate::ids;

const VIEWER: &[Scope] = &[Scope::MeetingsRead];
const MODERATOR: &[Scope] = &[Scope::MeetingsRead, Scope::MeetingsWrite];

/// The scopes `role` grants: the most an access token for that role may carry.
pub fn for_role(role: KalturaRole) -> &'static [Scope] {
    match role {
        KalturaRole::Viewer => VIEWER,
        KalturaRole::Moderator => MODERATOR,
        KalturaRole::Admin => Scope::ALL,
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
/// `invalid` for a zero server ID; `forbidden` when the grant is for another server
/// (checked first, whatever its scopes) or lacks `needed`.
pub fn authorize(
    granted_guild_id: u64,
    granted_scopes: &[Scope],
    guild_id: u64,
    needed: Scope,
) -> Result<()> {
    let granted = ids::snowflake::<GuildMarker>("granted-guild-id", granted_guild_id)?;
    let wanted = ids::snowflake::<GuildMarker>("guild-id", guild_id)?;
    if granted != wanted {
        return Err(Error::forbidden(
            "the credential is valid on another Discord server",
        ));
    }
    if !granted_scopes.contains(&needed) {
        return Err(Error::forbidden(format!(
            "the credential lacks the scope {needed}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUILD: u64 = 111_111_111_111_111_111;
    const OTHER_GUILD: u64 = 222_222_222_222_222_222;

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
        let err = authorize(OTHER_GUILD, Scope::ALL, GUILD, Scope::MeetingsRead).unwrap_err();
        assert!(matches!(err, Error::Forbidden(m) if m.contains("another Discord server")));
    }

    #[test]
    fn a_grant_without_the_scope_is_refused() {
        let err = authorize(GUILD, &[Scope::MeetingsRead], GUILD, Scope::ConfigWrite).unwrap_err();
        assert_eq!(
            err,
            Error::forbidden("the credential lacks the scope config:write")
        );
    }

    #[test]
    fn a_zero_server_id_is_invalid_not_a_match() {
        assert!(matches!(
            authorize(0, Scope::ALL, 0, Scope::MeetingsRead),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            authorize(GUILD, Scope::ALL, 0, Scope::MeetingsRead),
            Err(Error::Invalid(_))
        ));
    }
}
