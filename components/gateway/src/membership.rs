//! What Discord says, now and with the bot token, about a user on a server: the one
//! place the gateway establishes a member. Sign-in and refresh both use [`lookup`]
//! (the guild member, the guild's owner and its roles: the contract's [`Member`] with
//! base permissions, for `config`'s `role-for`); the API key listing uses [`check`]
//! (the guild member alone: still a member or not).
//!
//! Discord's answers are read as they are meant: `404` for the member (Unknown Member)
//! means the user is not a member; `403`/`404` for the guild means the bot is not in
//! it (so nobody can be confirmed as a member there). Anything else that fails — no
//! answer, `429`, `5xx`, an unreadable body, a refused bot token — says nothing about
//! membership and is a [`Problem`] the caller decides about.

use crate::backend::Backend;
use crate::discord::{self, Bot};
use crate::reply::Problem;
use common::ApiError;
use contracts::Member;
use discord_api::id::{GuildId, UserId};
use discord_api::model::{base_permissions, Guild, Member as DiscordMember, Role, User};
use discord_api::rest;

/// Where a user stands on a server, as Discord says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// A member, with their role IDs and base permissions.
    Member(Member),
    /// Discord does not know the user as a member of the server (Unknown Member).
    NotAMember,
    /// The bot is not in the server (Discord answered `403`/`404` for it).
    BotNotInServer,
}

/// The user `user` on `guild`, as Discord records them now. The names of the contract
/// [`Member`] are `names`' when given (sign-in has the user from `/users/@me`), else
/// those of the guild member's `user` object.
///
/// # Errors
/// A [`Problem`] when Discord could not say (see the module docs): `502`
/// `discord_unavailable`, `discord_unexpected` or `discord_refused`, or `503`
/// `discord_rate_limited` with `Retry-After`.
pub async fn lookup<B: Backend>(
    backend: &B,
    bot: &Bot,
    guild: GuildId,
    user: UserId,
    names: Option<&User>,
) -> Result<Presence, Problem> {
    let (member, guild_answer, roles) = futures::join!(
        discord::send(
            backend,
            bot.client.get_guild_member(bot.token(), guild, user)
        ),
        discord::send(backend, bot.client.get_guild(bot.token(), guild)),
        discord::send(backend, bot.client.get_guild_roles(bot.token(), guild)),
    );
    let bot_missing = |err: rest::ApiError, step: &str| match err {
        rest::ApiError::NotFound | rest::ApiError::Forbidden => Ok(Presence::BotNotInServer),
        other => Err(discord::upstream(step, &other)),
    };
    let member: DiscordMember = match rest::decode(member?) {
        Ok(member) => member,
        Err(rest::ApiError::NotFound) => return Ok(Presence::NotAMember),
        Err(other) => return bot_missing(other, "the guild member"),
    };
    let found: Guild = match rest::decode(guild_answer?) {
        Ok(found) => found,
        Err(err) => return bot_missing(err, "the guild"),
    };
    let roles: Vec<Role> = match rest::decode(roles?) {
        Ok(roles) => roles,
        Err(err) => return bot_missing(err, "the guild's roles"),
    };
    if found.id != guild || member.user.as_ref().is_some_and(|u| u.id != user) {
        return Err(unexpected("Discord answered about another guild or user"));
    }
    let names = names
        .or(member.user.as_ref())
        .ok_or_else(|| unexpected("Discord's guild member has no user"))?;
    let permissions = base_permissions(&found, &roles, &member, user);
    Ok(Presence::Member(Member {
        guild_id: guild.get(),
        user_id: user.get(),
        username: names.username.clone(),
        global_name: names.global_name.clone(),
        nick: member.nick.clone(),
        role_ids: member.roles.iter().map(|role| role.get()).collect(),
        permissions: permissions.bits(),
    }))
}

fn unexpected(message: &str) -> Problem {
    Problem::from(ApiError::new(502, "discord_unexpected", message))
}

/// Whether a user is a member of a server, as Discord says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// Discord lists the user as a member.
    Member,
    /// Discord does not (Unknown Member), or the bot is not in the server.
    Left,
    /// Discord could not be asked or did not say (no answer, `429`, `5xx`, ...).
    Unknown,
}

impl Membership {
    /// The name the API shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Left => "left",
            Self::Unknown => "unknown",
        }
    }
}

/// Whether `user` is a member of `guild` now: the guild member alone (`404`: not a
/// member). Any other failure, `403` included (Discord would not say), is
/// [`Membership::Unknown`], logged without a token: the caller shows it as such rather
/// than failing.
pub async fn check<B: Backend>(backend: &B, bot: &Bot, guild: GuildId, user: UserId) -> Membership {
    let request = bot.client.get_guild_member(bot.token(), guild, user);
    let why = match discord::send(backend, request).await {
        Ok(response) => match rest::decode::<DiscordMember>(response) {
            Ok(_) => return Membership::Member,
            Err(rest::ApiError::NotFound) => return Membership::Left,
            Err(other) => other.to_string(),
        },
        Err(problem) => problem.log.unwrap_or(problem.error.message),
    };
    backend.log(&format!(
        "membership of user {user} on server {guild} unknown: {why}"
    ));
    Membership::Unknown
}
