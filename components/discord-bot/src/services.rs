//! What the bot needs from the library services, as the contracts' ports
//! ([`contracts::Config`], [`contracts::Members`], [`contracts::Kaltura`]): the Spin
//! adapter passes [`contracts::Imported`], tests an in-memory fake.
//!
//! The ports are used through generics, never as `dyn` objects: a vtable would refer
//! to every function of a port, and every one would become an import of the component;
//! called statically, the component imports only the functions it calls.
//!
//! The bot applies no rule of its own to a member: it asks. `config` says whether the
//! member may use a command (`check-permission`) and which Kaltura role they have
//! (`role-for`), and renders the server's messages; `identity` maps the member to their
//! Kaltura user (`resolve-member`, with that role); `kaltura` says who may share or end
//! a meeting (`may-manage`) and who hosts it (`join-url`).

use contracts::{Config, Events, Kaltura, Member, Members, Watch};
use discord_api::id::{ChannelId, GuildId, UserId};
use discord_api::model::Envelope;

/// The library services the bot calls. Anything that implements the three ports is
/// all of them at once ([`contracts::Imported`], a test fake); a test can also mix
/// implementations by implementing this trait.
pub trait Services {
    /// Settings, permissions, roles and the servers' messages.
    fn config(&self) -> &impl Config;
    /// Members as Kaltura users.
    fn members(&self) -> &impl Members;
    /// Meetings.
    fn kaltura(&self) -> &impl Kaltura;
    /// The server's event subscriptions (`/kaltura-config events`).
    fn events(&self) -> &impl Events;
    /// The videos voice channels asked to watch together.
    fn watch(&self) -> &impl Watch;
}

impl<T: Config + Members + Kaltura + Events + Watch> Services for T {
    fn config(&self) -> &impl Config {
        self
    }
    fn members(&self) -> &impl Members {
        self
    }
    fn kaltura(&self) -> &impl Kaltura {
        self
    }
    fn events(&self) -> &impl Events {
        self
    }
    fn watch(&self) -> &impl Watch {
        self
    }
}

/// The member behind an interaction, taken from the verified payload only: the
/// server, `member.user`, `member.nick`, `member.roles` and `member.permissions`.
/// Nothing a client can choose (options, `custom_id`s) ever feeds into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The server the interaction came from.
    pub guild_id: GuildId,
    /// The channel it came from.
    pub channel_id: Option<ChannelId>,
    /// Whether that channel is a voice or stage channel (`channel.type` 2 or 13).
    pub in_voice_channel: bool,
    /// The member's Discord user ID.
    pub user_id: UserId,
    /// The member's name to show (nickname, global name or username).
    pub display_name: String,
    /// The member as the services take them.
    pub member: Member,
}

/// Why an interaction has no [`Caller`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    /// Not sent from a server (no `guild_id` or no `member`).
    #[error("the interaction was not sent from a server")]
    NotInGuild,
    /// `member.user` is missing.
    #[error("the interaction's member has no user")]
    NoUser,
}

impl Caller {
    /// The caller of a verified interaction.
    ///
    /// # Errors
    /// [`CallerError::NotInGuild`] outside servers; [`CallerError::NoUser`] if the
    /// member has no user.
    pub fn from_envelope(envelope: &Envelope) -> Result<Self, CallerError> {
        let (Some(guild_id), Some(member)) = (envelope.guild_id, envelope.member.as_ref()) else {
            return Err(CallerError::NotInGuild);
        };
        let user = member.user.as_ref().ok_or(CallerError::NoUser)?;
        Ok(Self {
            guild_id,
            channel_id: envelope.channel_id,
            in_voice_channel: envelope.from_voice_channel(),
            user_id: user.id,
            display_name: envelope
                .display_name()
                .unwrap_or(user.username.as_str())
                .to_owned(),
            member: Member {
                guild_id: guild_id.into(),
                user_id: user.id.into(),
                username: user.username.clone(),
                global_name: user.global_name.clone(),
                nick: member.nick.clone(),
                role_ids: member.roles.iter().map(|role| role.get()).collect(),
                permissions: member.permissions.map_or(0, discord_api::Permissions::bits),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(member: serde_json::Value) -> Envelope {
        let payload = json!({
            "type": 2, "id": "9", "application_id": "1", "token": "t", "version": 1,
            "guild_id": "300000000000000001", "channel_id": "400000000000000001",
            "member": member,
            "data": {"id": "5", "name": "kaltura-list", "type": 1}
        });
        match discord_api::Interaction::from_slice(payload.to_string().as_bytes()).unwrap() {
            discord_api::Interaction::Command(command) => command.envelope,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_member_is_taken_from_the_payload_as_discord_sent_it() {
        let caller = Caller::from_envelope(&envelope(json!({
            "user": {"id": "200000000000000001", "username": "ada", "global_name": "Ada L."},
            "nick": "Countess",
            "roles": ["100000000000000009", "42"],
            "permissions": "2147485728"
        })))
        .unwrap();
        assert_eq!(caller.display_name, "Countess");
        assert_eq!(
            caller.member,
            Member {
                guild_id: 300_000_000_000_000_001,
                user_id: 200_000_000_000_000_001,
                username: "ada".into(),
                global_name: Some("Ada L.".into()),
                nick: Some("Countess".into()),
                // One snowflake rule: a short role ID is an ID like any other (a copy of
                // the rule once dropped IDs that were not 17 to 20 digits).
                role_ids: vec![100_000_000_000_000_009, 42],
                permissions: 2_147_485_728,
            }
        );
    }

    #[test]
    fn a_member_without_a_user_is_no_caller() {
        assert_eq!(
            Caller::from_envelope(&envelope(json!({"roles": [], "permissions": "0"}))),
            Err(CallerError::NoUser)
        );
    }
}
