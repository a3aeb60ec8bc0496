//! Which Discord server a channel belongs to, asked of Discord when a server sets a
//! channel, so that no server can make the bot post into another server's channel.
//!
//! [`Channels`] is the port; [`DiscordChannels`] asks Discord (`GET /channels/{id}` with
//! the bot token) through the importer's outbound HTTP and variables — a library
//! component has none of its own (`dependencies_inherit_configuration`): the bot token
//! `discord_bot_token`, Discord's origin `discord_base_url`, and how long to wait,
//! [`TIMEOUT_SETTING`]. Host-free: the transport and the variables are `common`'s ports.
//!
//! The bot token goes only into the request's `Authorization` header; no error carries
//! it, nor Discord's answer.

use std::time::Duration;

use common::{Transport, Variables};
use contracts::Error;
use discord_api::id::{ChannelId, GuildId};
use discord_api::model::Channel;
use discord_api::rest::{self, ApiError, Client};
use discord_api::token::BotToken;

/// The Spin variable holding the bot token.
pub const TOKEN_SETTING: &str = "discord_bot_token";
/// The Spin variable holding Discord's origin (blank: `https://discord.com`).
pub const BASE_URL_SETTING: &str = "discord_base_url";
/// The Spin variable saying how long to wait for Discord's answer, in milliseconds.
pub const TIMEOUT_SETTING: &str = "config_discord_timeout_ms";
/// The wait when [`TIMEOUT_SETTING`] is unset or unusable: short enough that a
/// `/kaltura-config set` is still answered within Discord's 3 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(2000);
/// The longest wait [`TIMEOUT_SETTING`] may ask for.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(10);

/// The project URL in Discord's required `User-Agent: DiscordBot (<url>, <version>)`.
const PROJECT_URL: &str = "https://github.com/kaltura-discord/kaltura-discord";

/// What Discord says about a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A channel of this server.
    Guild(GuildId),
    /// A channel of no server (a direct message or group DM).
    NoGuild,
    /// Discord answered 404 or 403: the channel does not exist, or the bot cannot see it
    /// (and so could not post there either).
    Invisible,
}

/// Asks which server a channel belongs to.
pub trait Channels {
    /// The owner of `channel`.
    ///
    /// # Errors
    /// `not-configured` naming the missing setting; `unavailable` when Discord cannot be
    /// asked or does not answer usefully (the same call may succeed later).
    fn owner(&self, channel: ChannelId) -> Result<Owner, Error>;
}

/// [`Channels`] over Discord's REST API.
pub struct DiscordChannels<V, T> {
    vars: V,
    transport: T,
}

impl<V: Variables, T: Transport> DiscordChannels<V, T> {
    /// Asks Discord through `transport`, with the settings in `vars`.
    pub fn new(vars: V, transport: T) -> Self {
        Self { vars, transport }
    }

    /// How long to wait: [`TIMEOUT_SETTING`] in milliseconds (1 to [`MAX_TIMEOUT`]),
    /// else [`DEFAULT_TIMEOUT`].
    fn timeout(&self) -> Duration {
        self.vars
            .get(TIMEOUT_SETTING)
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map_or(DEFAULT_TIMEOUT, |ms| {
                Duration::from_millis(ms).min(MAX_TIMEOUT)
            })
    }

    fn request(&self, channel: ChannelId) -> Result<http::Request<Vec<u8>>, Error> {
        let token = self
            .vars
            .get(TOKEN_SETTING)
            .and_then(|token| BotToken::new(&token).ok())
            .ok_or_else(|| Error::NotConfigured(TOKEN_SETTING.to_owned()))?;
        let client = rest::base_url(self.vars.get(BASE_URL_SETTING).as_deref())
            .and_then(|base| Client::new(&base, PROJECT_URL, env!("CARGO_PKG_VERSION")))
            .map_err(|_| Error::NotConfigured(BASE_URL_SETTING.to_owned()))?;
        client.get_channel(&token, channel).map_err(|err| {
            Error::other(format!("the request to Discord could not be built: {err}"))
        })
    }
}

/// The `unavailable` error for a channel Discord could not tell us about.
fn unavailable(channel: ChannelId, why: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!(
        "Discord could not confirm which server channel {channel} belongs to ({why}); try again"
    ))
}

impl<V: Variables, T: Transport> Channels for DiscordChannels<V, T> {
    fn owner(&self, channel: ChannelId) -> Result<Owner, Error> {
        let request = self.request(channel)?;
        let response = self
            .transport
            .send(request, self.timeout())
            .map_err(|why| unavailable(channel, why))?;
        match rest::decode::<Channel>(response) {
            Ok(found) => Ok(found.guild_id.map_or(Owner::NoGuild, Owner::Guild)),
            Err(ApiError::NotFound | ApiError::Forbidden) => Ok(Owner::Invisible),
            Err(ApiError::Unauthorized) => Err(unavailable(
                channel,
                "Discord refused the bot token, discord_bot_token",
            )),
            Err(ApiError::RateLimited { retry_after, .. }) => Err(unavailable(
                channel,
                format!(
                    "rate limited; retry after {} s",
                    rest::retry_after_secs(retry_after)
                ),
            )),
            Err(other) => Err(unavailable(channel, other)),
        }
    }
}

impl<C: Channels + ?Sized> Channels for &C {
    fn owner(&self, channel: ChannelId) -> Result<Owner, Error> {
        (**self).owner(channel)
    }
}

/// A Discord that knows a few channels, for the service's tests: any other channel is
/// [`Owner::Invisible`]; it records every channel asked about.
#[cfg(test)]
pub(crate) struct FakeChannels {
    owners: std::collections::BTreeMap<u64, Owner>,
    failing: Option<Error>,
    asked: std::cell::RefCell<Vec<u64>>,
}

#[cfg(test)]
impl FakeChannels {
    /// A Discord where `channel` belongs to `guild`.
    pub(crate) fn owning(guild: u64, channel: u64) -> Self {
        let mut owners = std::collections::BTreeMap::new();
        if let Some(guild) = GuildId::new(guild) {
            owners.insert(channel, Owner::Guild(guild));
        }
        Self {
            owners,
            failing: None,
            asked: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// The same Discord, where `channel` also has `owner`.
    pub(crate) fn with(mut self, channel: u64, owner: Owner) -> Self {
        self.owners.insert(channel, owner);
        self
    }

    /// A Discord whose every answer is `error`.
    pub(crate) fn failing(error: Error) -> Self {
        let mut fake = Self::owning(0, 0);
        fake.failing = Some(error);
        fake
    }

    /// The channels asked about, in order.
    pub(crate) fn asked(&self) -> Vec<u64> {
        self.asked.borrow().clone()
    }
}

#[cfg(test)]
impl Channels for FakeChannels {
    fn owner(&self, channel: ChannelId) -> Result<Owner, Error> {
        self.asked.borrow_mut().push(channel.get());
        if let Some(error) = &self.failing {
            return Err(error.clone());
        }
        Ok(self
            .owners
            .get(&channel.get())
            .copied()
            .unwrap_or(Owner::Invisible))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use common::MemoryVariables;
    use contracts::ErrorKind;
    use std::cell::RefCell;

    const TOKEN: &str = "test-bot-token-not-real";
    const CHANNEL: u64 = 323_456_789_012_345_678;
    const GUILD: u64 = 123_456_789_012_345_678;

    /// Answers every request with one scripted answer and records what was sent.
    struct Scripted {
        answer: Result<(u16, &'static str), &'static str>,
        sent: RefCell<Vec<(http::Request<Vec<u8>>, Duration)>>,
    }

    impl Scripted {
        fn new(answer: Result<(u16, &'static str), &'static str>) -> Self {
            Self {
                answer,
                sent: RefCell::new(Vec::new()),
            }
        }
    }

    impl Transport for &Scripted {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            timeout: Duration,
        ) -> Result<http::Response<Vec<u8>>, String> {
            self.sent.borrow_mut().push((request, timeout));
            let (status, body) = self.answer.map_err(str::to_owned)?;
            Ok(http::Response::builder()
                .status(status)
                .body(body.as_bytes().to_vec())
                .unwrap())
        }
    }

    fn vars(extra: &[(&str, &str)]) -> MemoryVariables {
        let mut pairs = vec![
            (TOKEN_SETTING, TOKEN),
            (BASE_URL_SETTING, "http://discord.test"),
        ];
        pairs.extend_from_slice(extra);
        MemoryVariables::from_pairs(&pairs)
    }

    fn channel() -> ChannelId {
        ChannelId::new(CHANNEL).unwrap()
    }

    fn ask(answer: Result<(u16, &'static str), &'static str>) -> Result<Owner, Error> {
        let transport = Scripted::new(answer);
        DiscordChannels::new(vars(&[]), &transport).owner(channel())
    }

    #[test]
    fn discord_is_asked_for_the_channel_as_the_bot_within_the_timeout() {
        let transport = Scripted::new(Ok((
            200,
            r#"{"id":"323456789012345678","guild_id":"123456789012345678","type":0}"#,
        )));
        let owner = DiscordChannels::new(vars(&[]), &transport)
            .owner(channel())
            .unwrap();
        assert_eq!(owner, Owner::Guild(GuildId::new(GUILD).unwrap()));
        let sent = transport.sent.borrow();
        let (request, timeout) = &sent[0];
        assert_eq!(request.method(), http::Method::GET);
        assert_eq!(
            request.uri(),
            "http://discord.test/api/v10/channels/323456789012345678"
        );
        assert_eq!(
            request.headers()["authorization"],
            format!("Bot {TOKEN}").as_str()
        );
        assert_eq!(*timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn the_timeout_is_a_setting_with_a_ceiling() {
        for (setting, expected) in [
            ("500", Duration::from_millis(500)),
            ("999999", MAX_TIMEOUT),
            ("0", DEFAULT_TIMEOUT),
            ("soon", DEFAULT_TIMEOUT),
        ] {
            let transport = Scripted::new(Ok((200, r#"{"id":"1"}"#)));
            DiscordChannels::new(vars(&[(TIMEOUT_SETTING, setting)]), &transport)
                .owner(channel())
                .unwrap();
            assert_eq!(transport.sent.borrow()[0].1, expected, "{setting}");
        }
    }

    #[test]
    fn a_dm_is_no_servers_and_a_hidden_or_missing_channel_is_invisible() {
        assert_eq!(ask(Ok((200, r#"{"id":"1","type":1}"#))), Ok(Owner::NoGuild));
        assert_eq!(
            ask(Ok((404, r#"{"message":"Unknown Channel","code":10003}"#))),
            Ok(Owner::Invisible)
        );
        assert_eq!(
            ask(Ok((403, r#"{"message":"Missing Access","code":50001}"#))),
            Ok(Owner::Invisible)
        );
    }

    #[test]
    fn discord_failing_is_unavailable_and_never_shows_the_token() {
        for answer in [
            Err("connection refused"),
            Ok((500, "")),
            Ok((429, r#"{"retry_after":1.5,"global":false}"#)),
            Ok((401, r#"{"message":"401: Unauthorized"}"#)),
            Ok((200, "not json")),
        ] {
            let err = ask(answer).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unavailable, "{answer:?}");
            assert!(err.message().contains("323456789012345678"), "{err:?}");
            assert!(!err.message().contains(TOKEN));
        }
    }

    #[test]
    fn a_missing_token_or_unusable_base_url_is_not_configured_and_sends_nothing() {
        let transport = Scripted::new(Ok((200, "{}")));
        let none = MemoryVariables::default();
        assert_eq!(
            DiscordChannels::new(none, &transport).owner(channel()),
            Err(Error::NotConfigured(TOKEN_SETTING.into()))
        );
        let bad_base = vars(&[(BASE_URL_SETTING, "ftp://discord.test/x")]);
        assert_eq!(
            DiscordChannels::new(bad_base, &transport).owner(channel()),
            Err(Error::NotConfigured(BASE_URL_SETTING.into()))
        );
        assert!(transport.sent.borrow().is_empty());
    }
}
