//! The parts of a guild needed to compute a member's permissions outside an
//! interaction (sign-in through OAuth2): the owner and the roles' permission bits.
//!
//! Spec: <https://discord.com/developers/docs/topics/permissions#permission-overwrites>
//! ("Computing base permissions").

use serde::{Deserialize, Serialize};

use crate::id::{GuildId, RoleId, UserId};
use crate::permissions::Permissions;

use super::Member;

/// `GET /guilds/{guild}`, the fields used here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guild {
    /// The guild's id (also the id of its `@everyone` role).
    pub id: GuildId,
    /// The owner, who has every permission.
    pub owner_id: UserId,
}

/// A role from `GET /guilds/{guild}/roles`, the fields used here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The role's id.
    pub id: RoleId,
    /// The role's permission bits.
    pub permissions: Permissions,
}

/// A member's base permissions in a guild, as Discord computes them: the owner has
/// all; otherwise `@everyone`'s bits OR each of the member's roles'; ADMINISTRATOR
/// grants all. Channel overwrites are not applied (the API acts guild-wide).
pub fn base_permissions(
    guild: &Guild,
    roles: &[Role],
    member: &Member,
    user: UserId,
) -> Permissions {
    if guild.owner_id == user {
        return Permissions::from_bits(u64::MAX);
    }
    let everyone: RoleId = guild.id.cast();
    let mut bits = Permissions::from_bits(0);
    for role in roles {
        if role.id == everyone || member.roles.contains(&role.id) {
            bits |= role.permissions;
        }
    }
    if bits.contains(Permissions::ADMINISTRATOR) {
        return Permissions::from_bits(u64::MAX);
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: u64, bits: u64) -> Role {
        Role {
            id: RoleId::new(id).unwrap(),
            permissions: Permissions::from_bits(bits),
        }
    }

    fn setup() -> (Guild, Vec<Role>) {
        let guild = Guild {
            id: GuildId::new(100).unwrap(),
            owner_id: UserId::new(1).unwrap(),
        };
        (guild, vec![role(100, 2048), role(200, 32), role(300, 8)])
    }

    fn member(roles: &[u64]) -> Member {
        Member {
            user: None,
            nick: None,
            roles: roles.iter().map(|r| RoleId::new(*r).unwrap()).collect(),
            permissions: None,
            joined_at: None,
        }
    }

    #[test]
    fn everyone_and_the_members_roles_are_combined() {
        let (guild, roles) = setup();
        let bits = base_permissions(&guild, &roles, &member(&[200]), UserId::new(5).unwrap());
        assert_eq!(bits.bits(), 2048 | 32);
    }

    #[test]
    fn roles_the_member_lacks_do_not_count() {
        let (guild, roles) = setup();
        let bits = base_permissions(&guild, &roles, &member(&[]), UserId::new(5).unwrap());
        assert_eq!(bits.bits(), 2048);
    }

    #[test]
    fn administrator_and_ownership_grant_everything() {
        let (guild, roles) = setup();
        let admin = base_permissions(&guild, &roles, &member(&[300]), UserId::new(5).unwrap());
        assert!(admin.contains(Permissions::MANAGE_GUILD));
        let owner = base_permissions(&guild, &roles, &member(&[]), UserId::new(1).unwrap());
        assert!(owner.contains(Permissions::ADMINISTRATOR));
    }
}
