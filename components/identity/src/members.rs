//! A Discord member becomes a Kaltura identity: the Kaltura user ID scheme and the
//! display name. The member's role is not decided here: the caller brings the one the
//! `config` service's `role-for` gave.
//!
//! The member's data must come from Discord (a verified interaction payload, or
//! Discord's API called with the bot token): this module believes what it is given.

use common::Variables;
use contracts::identity::KalturaIdentity;
use contracts::{KalturaRole, Member};
use discord_api::id::{GuildMarker, UserMarker};

use crate::error::{Error, Result};
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

/// The prefix of new Kaltura user IDs: [`PREFIX_VARIABLE`], or [`DEFAULT_PREFIX`].
///
/// # Errors
/// `not-configured` when the variable is set but not 1 to 32 ASCII letters, digits,
/// `_`, `-`, `.` or `@`.
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
        Err(Error::NotConfigured(PREFIX_VARIABLE.into()))
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

/// The Kaltura identity of `member` acting with `role`, recording the user (first and
/// last seen, servers) in the key-value store.
///
/// # Errors
/// `invalid` for a zero `member.guild-id` or `member.user-id`; `not-configured` for an
/// unusable prefix variable (only needed for a user seen for the first time); `storage`
/// when the store fails; `other` when the user's stored record cannot be read.
pub fn resolve(env: &Env<'_>, member: &Member, role: KalturaRole) -> Result<KalturaIdentity> {
    let guild = ids::snowflake::<GuildMarker>("member.guild-id", member.guild_id)?;
    let user = ids::snowflake::<UserMarker>("member.user-id", member.user_id)?;
    let kaltura_user_id = users::touch(env, user, guild, || {
        user_id_prefix(env.vars).map(|prefix| default_kaltura_user_id(&prefix, user.get()))
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

    const GUILD: u64 = 111_111_111_111_111_111;
    const USER: u64 = 222_222_222_222_222_222;
    const ROLE: u64 = 333_333_333_333_333_333;

    fn member() -> Member {
        Member {
            guild_id: GUILD,
            user_id: USER,
            username: "alice".into(),
            global_name: Some("Alice".into()),
            nick: None,
            role_ids: vec![ROLE],
            permissions: 8,
        }
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
                Err(Error::NotConfigured(PREFIX_VARIABLE.into()))
            );
        }
    }

    #[test]
    fn the_display_name_prefers_nick_then_global_name_then_username() {
        let mut m = member();
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
        let identity = resolve(&fx.env(), &member(), KalturaRole::Moderator).unwrap();
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
        let again = resolve(&fx.env(), &member(), KalturaRole::Viewer).unwrap();
        assert_eq!(again.kaltura_user_id, "discord-222222222222222222");
        assert_eq!(again.role, KalturaRole::Viewer);
    }

    #[test]
    fn the_role_is_the_callers_whatever_the_members_roles_and_permissions() {
        // The ADMINISTRATOR bit (8) and a role ID no longer decide anything here: the
        // one role rule is the config service's `role-for`.
        let fx = Fixture::new();
        for role in KalturaRole::ALL {
            assert_eq!(resolve(&fx.env(), &member(), *role).unwrap().role, *role);
        }
    }

    #[test]
    fn a_bad_prefix_only_matters_for_users_not_seen_yet() {
        let mut fx = Fixture::new();
        resolve(&fx.env(), &member(), KalturaRole::Viewer).unwrap();
        fx.vars = MemoryVariables::from_pairs(&[(PREFIX_VARIABLE, "bad prefix")]);
        resolve(&fx.env(), &member(), KalturaRole::Viewer).unwrap();
        let stranger = Member {
            user_id: 666_666_666_666_666_666,
            ..member()
        };
        assert_eq!(
            resolve(&fx.env(), &stranger, KalturaRole::Viewer),
            Err(Error::NotConfigured(PREFIX_VARIABLE.into()))
        );
    }

    #[test]
    fn a_member_with_a_zero_id_is_invalid_and_leaves_the_store_untouched() {
        let fx = Fixture::new();
        for (bad, field) in [
            (
                Member {
                    guild_id: 0,
                    ..member()
                },
                "member.guild-id",
            ),
            (
                Member {
                    user_id: 0,
                    ..member()
                },
                "member.user-id",
            ),
        ] {
            assert!(matches!(
                resolve(&fx.env(), &bad, KalturaRole::Viewer),
                Err(Error::Invalid(m)) if m.starts_with(field)
            ));
        }
        assert!(fx.kv.keys().is_empty());
    }
}
