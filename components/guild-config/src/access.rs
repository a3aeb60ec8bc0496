//! Decisions callers ask the service for: may this member use this command, and which
//! Kaltura role does this member get.

use std::fmt;

use contracts::config::{Access, Command};
use contracts::KalturaRole;
use discord_api::id::{RoleId, UserId};
use discord_api::Permissions;

use crate::discord::Mention;
use crate::model::GuildConfig;

/// Why [`permission_check`] denied a command.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DenyReason {
    /// `commands.enabled` is off.
    CommandsDisabled,
    /// `commands.<name>.enabled` is off.
    CommandDisabled(Command),
    /// The member lacks these required permission bits.
    MissingPermissions(Permissions),
    /// The member has none of the command's allowed roles.
    MissingRole(Vec<RoleId>),
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::CommandsDisabled => {
                f.write_str("Kaltura commands are turned off on this server.")
            }
            DenyReason::CommandDisabled(command) => {
                write!(f, "/{} is turned off on this server.", command.as_str())
            }
            DenyReason::MissingPermissions(missing) => write!(
                f,
                "You need these Discord permissions: {}.",
                missing.names().join(", ")
            ),
            DenyReason::MissingRole(roles) => {
                let mentions: Vec<String> = roles.iter().map(|r| r.mention()).collect();
                write!(f, "You need one of these roles: {}.", mentions.join(", "))
            }
        }
    }
}

/// Decides whether a member may use `command`, given the member's role IDs and
/// permission bits (`member.roles`, `member.permissions` of the interaction); a denial
/// carries its reason, written for an ephemeral Discord reply.
///
/// In order: members with `ADMINISTRATOR` may always use `/kaltura-config` (so a
/// server cannot lock itself out); every other command needs `commands.enabled` and
/// its own `enabled`; administrators then pass (`ADMINISTRATOR` implies every
/// permission, [`Permissions::allows`]); others need all of the command's
/// `required_permissions` and, if `allowed_roles` is not empty, one of those roles.
pub fn permission_check(
    config: &GuildConfig,
    command: Command,
    member_role_ids: &[RoleId],
    member_permissions: Permissions,
) -> Access {
    match deny_reason(config, command, member_role_ids, member_permissions) {
        None => Access::Allowed,
        Some(reason) => Access::Denied(reason.to_string()),
    }
}

fn deny_reason(
    config: &GuildConfig,
    command: Command,
    member_role_ids: &[RoleId],
    member_permissions: Permissions,
) -> Option<DenyReason> {
    let is_admin = member_permissions.contains(Permissions::ADMINISTRATOR);
    if is_admin && command == Command::KalturaConfig {
        return None;
    }
    if !config.commands.enabled {
        return Some(DenyReason::CommandsDisabled);
    }
    let settings = config.commands.get(command);
    if !settings.enabled {
        return Some(DenyReason::CommandDisabled(command));
    }
    let required = settings.required_permissions;
    if !member_permissions.allows(required) {
        return Some(DenyReason::MissingPermissions(
            required.difference(member_permissions),
        ));
    }
    let has_role = is_admin
        || settings.allowed_roles.is_empty()
        || settings
            .allowed_roles
            .iter()
            .any(|r| member_role_ids.contains(r));
    if !has_role {
        return Some(DenyReason::MissingRole(settings.allowed_roles.clone()));
    }
    None
}

/// The Kaltura role of a member: an explicit `roles.user_overrides` entry wins; else
/// the `ADMINISTRATOR` bit gives admin; else the highest role mapped from the
/// member's roles in `roles.mapping`; else `roles.default_role`.
pub fn role_for(
    config: &GuildConfig,
    user_id: UserId,
    role_ids: &[RoleId],
    permissions: Permissions,
) -> KalturaRole {
    let roles = &config.roles;
    if let Some(role) = roles.user_overrides.get(&user_id) {
        return *role;
    }
    if permissions.contains(Permissions::ADMINISTRATOR) {
        return KalturaRole::Admin;
    }
    role_ids
        .iter()
        .filter_map(|id| roles.mapping.get(id))
        .max()
        .copied()
        .unwrap_or(roles.default_role)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn role(n: u64) -> RoleId {
        RoleId::new(100_000_000_000_000_000 + n).unwrap()
    }

    fn user(n: u64) -> UserId {
        UserId::new(200_000_000_000_000_000 + n).unwrap()
    }

    fn denied(reason: DenyReason) -> Access {
        Access::Denied(reason.to_string())
    }

    const MEMBER: Permissions = Permissions::SEND_MESSAGES;

    #[test]
    fn by_default_every_member_may_use_the_meeting_commands() {
        let c = GuildConfig::default();
        for name in [
            Command::KalturaStart,
            Command::KalturaJoin,
            Command::KalturaList,
            Command::KalturaEnd,
        ] {
            assert_eq!(permission_check(&c, name, &[], MEMBER), Access::Allowed);
        }
    }

    #[test]
    fn by_default_kaltura_config_needs_manage_server() {
        let c = GuildConfig::default();
        assert_eq!(
            permission_check(&c, Command::KalturaConfig, &[], MEMBER),
            denied(DenyReason::MissingPermissions(Permissions::MANAGE_GUILD))
        );
        assert_eq!(
            permission_check(
                &c,
                Command::KalturaConfig,
                &[],
                MEMBER | Permissions::MANAGE_GUILD
            ),
            Access::Allowed
        );
    }

    #[test]
    fn all_commands_off_denies_every_command() {
        let mut c = GuildConfig::default();
        c.commands.enabled = false;
        assert_eq!(
            permission_check(&c, Command::KalturaJoin, &[], MEMBER),
            denied(DenyReason::CommandsDisabled)
        );
        assert_eq!(
            permission_check(&c, Command::KalturaStart, &[], Permissions::ADMINISTRATOR),
            denied(DenyReason::CommandsDisabled)
        );
    }

    #[test]
    fn a_disabled_command_is_denied_even_to_members_with_an_allowed_role() {
        let mut c = GuildConfig::default();
        c.commands.end.enabled = false;
        c.commands.end.allowed_roles = vec![role(1)];
        assert_eq!(
            permission_check(&c, Command::KalturaEnd, &[role(1)], MEMBER),
            denied(DenyReason::CommandDisabled(Command::KalturaEnd))
        );
    }

    #[test]
    fn a_command_limited_to_roles_needs_one_of_them() {
        let mut c = GuildConfig::default();
        c.commands.start.allowed_roles = vec![role(1), role(2)];
        assert_eq!(
            permission_check(&c, Command::KalturaStart, &[role(3)], MEMBER),
            denied(DenyReason::MissingRole(vec![role(1), role(2)]))
        );
        assert_eq!(
            permission_check(&c, Command::KalturaStart, &[role(3), role(2)], MEMBER),
            Access::Allowed
        );
    }

    #[test]
    fn every_required_permission_bit_must_be_held_and_the_missing_ones_are_named() {
        let mut c = GuildConfig::default();
        c.commands.end.required_permissions =
            Permissions::MANAGE_GUILD | Permissions::MANAGE_EVENTS;
        let refused = permission_check(&c, Command::KalturaEnd, &[], Permissions::MANAGE_GUILD);
        assert_eq!(
            refused,
            denied(DenyReason::MissingPermissions(Permissions::MANAGE_EVENTS))
        );
        assert_eq!(
            refused,
            Access::Denied("You need these Discord permissions: MANAGE_EVENTS.".into())
        );
    }

    #[test]
    fn administrators_pass_role_and_permission_limits() {
        let mut c = GuildConfig::default();
        c.commands.start.allowed_roles = vec![role(1)];
        c.commands.start.required_permissions = Permissions::MANAGE_EVENTS;
        assert_eq!(
            permission_check(&c, Command::KalturaStart, &[], Permissions::ADMINISTRATOR),
            Access::Allowed
        );
    }

    #[test]
    fn administrators_can_always_reach_kaltura_config_so_a_server_cannot_lock_itself_out() {
        let mut c = GuildConfig::default();
        c.commands.enabled = false;
        c.commands.config.enabled = false;
        c.commands.config.allowed_roles = vec![role(9)];
        assert_eq!(
            permission_check(&c, Command::KalturaConfig, &[], Permissions::ADMINISTRATOR),
            Access::Allowed
        );
        assert_eq!(
            permission_check(
                &c,
                Command::KalturaConfig,
                &[role(9)],
                Permissions::MANAGE_GUILD
            ),
            denied(DenyReason::CommandsDisabled)
        );
    }

    #[test]
    fn denial_reasons_read_as_sentences_with_mentions() {
        assert_eq!(
            DenyReason::MissingRole(vec![role(1)]).to_string(),
            "You need one of these roles: <@&100000000000000001>."
        );
        assert_eq!(
            DenyReason::CommandDisabled(Command::KalturaStart).to_string(),
            "/kaltura-start is turned off on this server."
        );
    }

    #[test]
    fn an_explicit_user_override_wins_over_everything() {
        let mut c = GuildConfig::default();
        c.roles.mapping.insert(role(1), KalturaRole::Admin);
        c.roles.user_overrides.insert(user(1), KalturaRole::Viewer);
        assert_eq!(
            role_for(&c, user(1), &[role(1)], Permissions::ADMINISTRATOR),
            KalturaRole::Viewer
        );
    }

    #[test]
    fn the_administrator_bit_gives_admin() {
        let mut c = GuildConfig::default();
        c.roles.mapping.insert(role(1), KalturaRole::Viewer);
        assert_eq!(
            role_for(
                &c,
                user(1),
                &[role(1)],
                Permissions::ADMINISTRATOR | Permissions::MANAGE_GUILD
            ),
            KalturaRole::Admin
        );
    }

    #[test]
    fn the_highest_mapped_role_wins() {
        let mut c = GuildConfig::default();
        c.roles.mapping.insert(role(1), KalturaRole::Moderator);
        c.roles.mapping.insert(role(2), KalturaRole::Viewer);
        c.roles.mapping.insert(role(3), KalturaRole::Admin);
        assert_eq!(
            role_for(&c, user(1), &[role(2), role(1)], MEMBER),
            KalturaRole::Moderator
        );
        assert_eq!(
            role_for(&c, user(1), &[role(2), role(3), role(1)], MEMBER),
            KalturaRole::Admin
        );
    }

    #[test]
    fn a_mapped_role_may_be_lower_than_the_default() {
        let mut c = GuildConfig::default();
        c.roles.default_role = KalturaRole::Moderator;
        c.roles.mapping.insert(role(1), KalturaRole::Viewer);
        assert_eq!(
            role_for(&c, user(1), &[role(1)], MEMBER),
            KalturaRole::Viewer
        );
    }

    #[test]
    fn without_a_mapping_the_default_role_applies() {
        let mut c = GuildConfig::default();
        assert_eq!(
            role_for(&c, user(1), &[role(5)], MEMBER),
            KalturaRole::Viewer
        );
        c.roles.default_role = KalturaRole::Moderator;
        assert_eq!(role_for(&c, user(1), &[], MEMBER), KalturaRole::Moderator);
    }
}
