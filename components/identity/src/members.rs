//! A Discord member becomes a Kaltura identity: the Kaltura user ID scheme, the display
//! name and the role rules.
//!
//! The member's data must come from Discord (a verified interaction payload, or
//! Discord's API called with the bot token): this module believes what it is given.
//! The role rules are the `config` service's ([`guild_config::role_for`]), applied to the
//! mapping the caller read from it.

use std::collections::BTreeMap;
use std::str::FromStr;

use common::Variables;
use guild_config::{GuildConfig, KalturaRole, RoleId, RolesConfig, UserId};

use crate::error::{IdentityError, Result};
use crate::ids;
use crate::ports::Env;
use crate::users;

/// The variable holding the prefix of Kaltura user IDs.
pub const PREFIX_VARIABLE: &str = "kaltura_user_id_prefix";

/// The prefix of Kaltura user IDs when [`PREFIX_VARIABLE`] is unset.
pub const DEFAULT_PREFIX: &str = "discord-";

/// The longest prefix accepted.
pub const MAX_PREFIX_CHARS: usize = 32;

/// The longest display name kept, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// The most role IDs a member may have (Discord allows 250 roles per server).
pub const MAX_MEMBER_ROLES: usize = 250;

/// The most entries in each list of a [`RoleMapping`] (the `config` service's limits).
pub const MAX_MAPPING_ENTRIES: usize = 100;

/// A Discord member, as Discord reports it (WIT `member`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The Discord server ID.
    pub guild_id: String,
    /// The member's user ID.
    pub user_id: String,
    /// The user's unique username.
    pub username: String,
    /// The user's display name, if set.
    pub global_name: Option<String>,
    /// The member's nickname on this server, if set.
    pub nick: Option<String>,
    /// The IDs of the member's roles.
    pub role_ids: Vec<String>,
    /// The permission bits as a decimal string.
    pub permissions: String,
}

/// A Discord role given a Kaltura role (WIT `role-grant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    /// The Discord role ID.
    pub role_id: String,
    /// The Kaltura role.
    pub role: KalturaRole,
}

/// A Discord user given a Kaltura role explicitly (WIT `user-grant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGrant {
    /// The Discord user ID.
    pub user_id: String,
    /// The Kaltura role.
    pub role: KalturaRole,
}

/// A server's role mapping, from the `config` service (WIT `role-mapping`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleMapping {
    /// Discord roles mapped to Kaltura roles.
    pub roles: Vec<RoleGrant>,
    /// Per-user overrides; they win over everything else.
    pub user_overrides: Vec<UserGrant>,
    /// The role of a member no other rule applies to.
    pub default_role: KalturaRole,
}

impl From<&RolesConfig> for RoleMapping {
    /// The mapping as the `config` service stores it (`roles` section).
    fn from(roles: &RolesConfig) -> Self {
        Self {
            roles: roles
                .mapping
                .iter()
                .map(|(id, role)| RoleGrant {
                    role_id: id.to_string(),
                    role: *role,
                })
                .collect(),
            user_overrides: roles
                .user_overrides
                .iter()
                .map(|(id, role)| UserGrant {
                    user_id: id.to_string(),
                    role: *role,
                })
                .collect(),
            default_role: roles.default_role,
        }
    }
}

/// A member's identity in Kaltura (WIT `kaltura-identity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KalturaIdentity {
    /// The Kaltura user ID.
    pub kaltura_user_id: String,
    /// The name to show.
    pub display_name: String,
    /// The role on this server.
    pub role: KalturaRole,
}

/// The prefix of new Kaltura user IDs: [`PREFIX_VARIABLE`], or [`DEFAULT_PREFIX`].
///
/// # Errors
/// [`IdentityError::NotConfigured`] when the variable is set but not 1 to 32 ASCII
/// letters, digits, `_`, `-`, `.` or `@`.
pub fn user_id_prefix(vars: &dyn Variables) -> Result<String> {
    let Some(prefix) = vars.get(PREFIX_VARIABLE) else {
        return Ok(DEFAULT_PREFIX.to_owned());
    };
    let prefix = prefix.trim();
    let valid = prefix.len() <= MAX_PREFIX_CHARS
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@'));
    if valid && !prefix.is_empty() {
        Ok(prefix.to_owned())
    } else {
        Err(IdentityError::NotConfigured(PREFIX_VARIABLE))
    }
}

/// The Kaltura user ID a Discord user gets when first seen: `<prefix><user-id>`, e.g.
/// `discord-123456789012345678`.
pub fn default_kaltura_user_id(prefix: &str, discord_user_id: u64) -> String {
    format!("{prefix}{discord_user_id}")
}

fn clean_name(name: &str) -> String {
    let kept: String = name.chars().filter(|c| !c.is_control()).collect();
    kept.trim().chars().take(MAX_DISPLAY_NAME_CHARS).collect()
}

/// The name to show for `member`: the nickname, else the global name, else the
/// username, each without control characters, trimmed and cut to 100 characters;
/// `fallback` when all are empty.
pub fn display_name(member: &Member, fallback: &str) -> String {
    [
        member.nick.as_deref(),
        member.global_name.as_deref(),
        Some(member.username.as_str()),
    ]
    .into_iter()
    .flatten()
    .map(clean_name)
    .find(|name| !name.is_empty())
    .unwrap_or_else(|| fallback.to_owned())
}

fn parse_id<T: FromStr>(field: &str, value: &str) -> Result<T> {
    ids::snowflake(field, value)?;
    value
        .parse()
        .map_err(|_| IdentityError::invalid(field, "must be a Discord ID of 17 to 20 digits"))
}

fn check_count(field: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(IdentityError::invalid(
            field,
            format!("at most {max} entries, got {len}"),
        ));
    }
    Ok(())
}

fn roles_config(mapping: &RoleMapping) -> Result<RolesConfig> {
    check_count("mapping.roles", mapping.roles.len(), MAX_MAPPING_ENTRIES)?;
    check_count(
        "mapping.user-overrides",
        mapping.user_overrides.len(),
        MAX_MAPPING_ENTRIES,
    )?;
    let mut roles = BTreeMap::new();
    for grant in &mapping.roles {
        let id: RoleId = parse_id("mapping.roles.role-id", &grant.role_id)?;
        if roles.insert(id, grant.role).is_some() {
            return Err(IdentityError::invalid(
                "mapping.roles",
                format!("role {id} appears twice"),
            ));
        }
    }
    let mut users = BTreeMap::new();
    for grant in &mapping.user_overrides {
        let id: UserId = parse_id("mapping.user-overrides.user-id", &grant.user_id)?;
        if users.insert(id, grant.role).is_some() {
            return Err(IdentityError::invalid(
                "mapping.user-overrides",
                format!("user {id} appears twice"),
            ));
        }
    }
    Ok(RolesConfig {
        mapping: roles,
        default_role: mapping.default_role,
        user_overrides: users,
    })
}

/// The Kaltura role of `member` under `mapping`: the member's user override; else
/// `admin` with the `ADMINISTRATOR` permission; else the highest role mapped from the
/// member's roles; else the default role.
///
/// # Errors
/// [`IdentityError::Invalid`] for a malformed ID, permission string or mapping
/// (the message names the field).
pub fn role_of(member: &Member, mapping: &RoleMapping) -> Result<KalturaRole> {
    let user: UserId = parse_id("member.user-id", &member.user_id)?;
    check_count("member.role-ids", member.role_ids.len(), MAX_MEMBER_ROLES)?;
    let role_ids = member
        .role_ids
        .iter()
        .map(|id| parse_id::<RoleId>("member.role-ids", id))
        .collect::<Result<Vec<_>>>()?;
    // Discord's own parser: a decimal string; bits above 63 (future flags) are dropped.
    let permissions = discord_api::Permissions::from_str(&member.permissions)
        .map_err(|err| IdentityError::invalid("member.permissions", err))?;
    let config = GuildConfig {
        roles: roles_config(mapping)?,
        ..GuildConfig::default()
    };
    Ok(guild_config::role_for(
        &config,
        user,
        &role_ids,
        guild_config::Permissions(permissions.bits()),
    ))
}

/// The Kaltura identity of `member`, recording the user (first and last seen, servers)
/// in the key-value store.
///
/// # Errors
/// As [`role_of`], and [`IdentityError::Invalid`] for a malformed `member.guild-id`;
/// [`IdentityError::NotConfigured`] for an unusable prefix variable (only needed for a
/// user seen for the first time); [`IdentityError::Storage`] when the store fails;
/// [`IdentityError::Other`] when the user's stored record cannot be read.
pub fn resolve(env: &Env<'_>, member: &Member, mapping: &RoleMapping) -> Result<KalturaIdentity> {
    let guild_id = ids::snowflake("member.guild-id", &member.guild_id)?;
    let user_id = ids::snowflake("member.user-id", &member.user_id)?;
    let role = role_of(member, mapping)?;
    let kaltura_user_id = users::touch(env, user_id, guild_id, || {
        user_id_prefix(env.vars).map(|prefix| default_kaltura_user_id(&prefix, user_id))
    })?;
    Ok(KalturaIdentity {
        display_name: display_name(member, &kaltura_user_id),
        kaltura_user_id,
        role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;
    use common::MemoryVariables;

    const GUILD: &str = "111111111111111111";
    const USER: &str = "222222222222222222";
    const MOD_ROLE: &str = "333333333333333333";
    const ADMIN_ROLE: &str = "444444444444444444";
    const OTHER_ROLE: &str = "555555555555555555";

    fn member(role_ids: &[&str], permissions: &str) -> Member {
        Member {
            guild_id: GUILD.into(),
            user_id: USER.into(),
            username: "alice".into(),
            global_name: Some("Alice".into()),
            nick: None,
            role_ids: role_ids.iter().map(|r| (*r).to_owned()).collect(),
            permissions: permissions.into(),
        }
    }

    fn mapping() -> RoleMapping {
        RoleMapping {
            roles: vec![
                RoleGrant {
                    role_id: MOD_ROLE.into(),
                    role: KalturaRole::Moderator,
                },
                RoleGrant {
                    role_id: ADMIN_ROLE.into(),
                    role: KalturaRole::Admin,
                },
            ],
            user_overrides: vec![],
            default_role: KalturaRole::Viewer,
        }
    }

    #[test]
    fn a_member_without_mapped_roles_gets_the_default_role() {
        assert_eq!(
            role_of(&member(&[OTHER_ROLE], "2048"), &mapping()).unwrap(),
            KalturaRole::Viewer
        );
        let mut m = mapping();
        m.default_role = KalturaRole::Moderator;
        assert_eq!(
            role_of(&member(&[], "0"), &m).unwrap(),
            KalturaRole::Moderator
        );
    }

    #[test]
    fn the_highest_role_mapped_from_the_members_role_ids_wins() {
        assert_eq!(
            role_of(&member(&[OTHER_ROLE, MOD_ROLE], "0"), &mapping()).unwrap(),
            KalturaRole::Moderator
        );
        assert_eq!(
            role_of(&member(&[MOD_ROLE, ADMIN_ROLE], "0"), &mapping()).unwrap(),
            KalturaRole::Admin
        );
    }

    #[test]
    fn the_administrator_permission_gives_admin_without_any_mapped_role() {
        // 8 = ADMINISTRATOR; 2147483688 = ADMINISTRATOR | MANAGE_GUILD | USE_APPLICATION_COMMANDS.
        for bits in ["8", "2147483688"] {
            assert_eq!(
                role_of(&member(&[], bits), &mapping()).unwrap(),
                KalturaRole::Admin
            );
        }
        // MANAGE_GUILD alone is not ADMINISTRATOR.
        assert_eq!(
            role_of(&member(&[], "32"), &mapping()).unwrap(),
            KalturaRole::Viewer
        );
    }

    #[test]
    fn an_explicit_user_override_wins_over_roles_and_administrator() {
        let mut m = mapping();
        m.user_overrides.push(UserGrant {
            user_id: USER.into(),
            role: KalturaRole::Viewer,
        });
        assert_eq!(
            role_of(&member(&[ADMIN_ROLE], "8"), &m).unwrap(),
            KalturaRole::Viewer
        );
    }

    #[test]
    fn future_permission_bits_beyond_64_are_ignored() {
        // 2^70 + 8: a future flag plus ADMINISTRATOR.
        assert_eq!(
            role_of(&member(&[], "1180591620717411303432"), &mapping()).unwrap(),
            KalturaRole::Admin
        );
    }

    #[test]
    fn malformed_members_and_mappings_are_invalid_naming_the_field() {
        let cases: Vec<(Member, RoleMapping, &str)> = vec![
            (member(&["12"], "0"), mapping(), "member.role-ids"),
            (member(&[], "0x8"), mapping(), "member.permissions"),
            (member(&[], ""), mapping(), "member.permissions"),
            (
                Member {
                    user_id: "alice".into(),
                    ..member(&[], "0")
                },
                mapping(),
                "member.user-id",
            ),
            (
                member(&[], "0"),
                RoleMapping {
                    roles: vec![RoleGrant {
                        role_id: "moderators".into(),
                        role: KalturaRole::Moderator,
                    }],
                    ..mapping()
                },
                "mapping.roles.role-id",
            ),
            (
                member(&[], "0"),
                RoleMapping {
                    roles: vec![mapping().roles[0].clone(), mapping().roles[0].clone()],
                    ..mapping()
                },
                "mapping.roles",
            ),
        ];
        for (m, map, field) in cases {
            let err = role_of(&m, &map).unwrap_err();
            assert!(
                matches!(&err, IdentityError::Invalid(msg) if msg.starts_with(field)),
                "{field}: {err:?}"
            );
        }
    }

    #[test]
    fn the_mapping_reads_the_config_services_roles_section() {
        let roles: RolesConfig = serde_json::from_value(serde_json::json!({
            "mapping": { MOD_ROLE: "moderator" },
            "default_role": "viewer",
            "user_overrides": { USER: "admin" }
        }))
        .unwrap();
        let m = RoleMapping::from(&roles);
        assert_eq!(m.roles[0].role_id, MOD_ROLE);
        assert_eq!(role_of(&member(&[], "0"), &m).unwrap(), KalturaRole::Admin);
    }

    #[test]
    fn the_default_kaltura_user_id_is_the_prefix_and_the_snowflake() {
        let vars = MemoryVariables::default();
        let prefix = user_id_prefix(&vars).unwrap();
        assert_eq!(
            default_kaltura_user_id(&prefix, 222_222_222_222_222_222),
            "discord-222222222222222222"
        );
        let vars = MemoryVariables::from_pairs(&[(PREFIX_VARIABLE, "acme_discord.")]);
        assert_eq!(user_id_prefix(&vars).unwrap(), "acme_discord.");
    }

    #[test]
    fn an_unusable_prefix_is_reported_as_not_configured() {
        for bad in ["has space", "a/b", &"x".repeat(33), "é"] {
            let vars = MemoryVariables::from_pairs(&[(PREFIX_VARIABLE, bad)]);
            assert_eq!(
                user_id_prefix(&vars),
                Err(IdentityError::NotConfigured(PREFIX_VARIABLE))
            );
        }
    }

    #[test]
    fn the_display_name_prefers_nick_then_global_name_then_username() {
        let mut m = member(&[], "0");
        m.nick = Some(" \u{7}Ally\n ".into());
        assert_eq!(display_name(&m, "fb"), "Ally");
        m.nick = Some("   ".into());
        assert_eq!(display_name(&m, "fb"), "Alice");
        m.global_name = None;
        assert_eq!(display_name(&m, "fb"), "alice");
        m.username = String::new();
        assert_eq!(display_name(&m, "fb"), "fb");
        m.nick = Some("n".repeat(150));
        assert_eq!(
            display_name(&m, "fb").chars().count(),
            MAX_DISPLAY_NAME_CHARS
        );
    }

    #[test]
    fn resolving_a_member_records_the_user_and_keeps_the_kaltura_id_stable() {
        let fx = Fixture::new();
        let identity = resolve(&fx.env(), &member(&[MOD_ROLE], "0"), &mapping()).unwrap();
        assert_eq!(
            identity,
            KalturaIdentity {
                kaltura_user_id: "discord-222222222222222222".into(),
                display_name: "Alice".into(),
                role: KalturaRole::Moderator,
            }
        );
        // A prefix set later does not move users already seen.
        let mut fx = fx;
        fx.vars = MemoryVariables::from_pairs(&[(PREFIX_VARIABLE, "kd-")]);
        let again = resolve(&fx.env(), &member(&[], "0"), &mapping()).unwrap();
        assert_eq!(again.kaltura_user_id, "discord-222222222222222222");
        assert_eq!(again.role, KalturaRole::Viewer);
    }

    #[test]
    fn a_bad_prefix_only_matters_for_users_not_seen_yet() {
        let mut fx = Fixture::new();
        resolve(&fx.env(), &member(&[], "0"), &mapping()).unwrap();
        fx.vars = MemoryVariables::from_pairs(&[(PREFIX_VARIABLE, "bad prefix")]);
        resolve(&fx.env(), &member(&[], "0"), &mapping()).unwrap();
        let stranger = Member {
            user_id: "666666666666666666".into(),
            ..member(&[], "0")
        };
        assert_eq!(
            resolve(&fx.env(), &stranger, &mapping()),
            Err(IdentityError::NotConfigured(PREFIX_VARIABLE))
        );
    }

    #[test]
    fn a_malformed_member_leaves_the_store_untouched() {
        let fx = Fixture::new();
        let bad = Member {
            guild_id: "guild".into(),
            ..member(&[], "0")
        };
        assert!(matches!(
            resolve(&fx.env(), &bad, &mapping()),
            Err(IdentityError::Invalid(_))
        ));
        assert!(fx.kv.keys().is_empty());
    }
}
