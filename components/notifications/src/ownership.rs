//! Before each post, Discord must confirm that the channel belongs to the server the
//! message is for (`GET /channels/{id}` → `guild_id`): a server's settings could name
//! another server's channel (chosen before `config` checked channels, or set behind its
//! back), and the bot can post in every server it is in.
//!
//! | Discord says | outcome |
//! |---|---|
//! | the channel is this server's | post |
//! | another server's, or no server's (a DM) | undeliverable: refused for good, audited, not retried |
//! | 403, 404 | undeliverable, as for a post (the bot cannot see the channel) |
//! | 429, 5xx, no answer, 401, an unreadable answer | retried as any Discord failure ([`crate::delivery`]), then retry later |

use common::{Clock, Transport};
use discord_api::model::Channel;
use discord_api::rest::Client;
use discord_api::token::BotToken;
use notify_log::Attempt;

use crate::delivery::{self, Outcome, Policy};
use crate::routing::Delivery;

/// What a successful lookup is recorded as in the audit log's attempts.
pub const CHECKED: &str = "channel lookup: this server's channel";

/// Whether `delivery`'s channel is its server's: `Ok` to post, or the outcome of the
/// delivery; with every try of the lookup (for the audit log).
pub fn check(
    transport: &dyn Transport,
    clock: &dyn Clock,
    policy: &Policy,
    deadline_ms: u64,
    (client, token): (&Client, &BotToken),
    delivery: &Delivery,
) -> (Result<(), Outcome>, Vec<Attempt>) {
    let request = match client.get_channel(token, delivery.channel_id) {
        Ok(request) => request,
        Err(err) => return (Err(Outcome::Undeliverable(err.to_string())), Vec::new()),
    };
    let (answer, mut attempts) =
        delivery::send(transport, clock, &request, deadline_ms, policy, CHECKED);
    let body = match answer {
        Ok(body) => body,
        Err(outcome) => return (Err(outcome), attempts),
    };
    let verdict = match serde_json::from_slice::<Channel>(&body) {
        Ok(found) if found.guild_id == Some(delivery.guild_id) => Ok(()),
        Ok(found) => {
            let owner = found
                .guild_id
                .map_or_else(|| "no server".to_owned(), |guild| format!("server {guild}"));
            Err(Outcome::Undeliverable(format!(
                "channel {} belongs to {owner}, not to server {}: not posted",
                delivery.channel_id, delivery.guild_id
            )))
        }
        Err(_) => Err(Outcome::RetryLater(
            "Discord's answer about the channel is not the JSON expected".to_owned(),
        )),
    };
    if let (Err(Outcome::Undeliverable(why) | Outcome::RetryLater(why)), Some(last)) =
        (&verdict, attempts.last_mut())
    {
        last.result = format!("channel lookup: {why}");
    }
    (verdict, attempts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeDiscord;
    use common::FakeClock;
    use contracts::config::{Event, Message};

    const GUILD: u64 = 123_456_789_012_345_678;
    const CHANNEL: u64 = 223_456_789_012_345_678;

    fn delivery() -> Delivery {
        Delivery {
            guild_id: GUILD.try_into().unwrap(),
            channel_id: CHANNEL.try_into().unwrap(),
            event: Event::EntryReady,
            message: Message {
                content: "x".into(),
                channel_id: Some(CHANNEL),
                allow_everyone_mentions: false,
            },
            meeting: None,
        }
    }

    fn run(discord: &FakeDiscord) -> (Result<(), Outcome>, Vec<Attempt>) {
        let client = Client::new("https://discord.test", "https://x.test", "1").unwrap();
        let token = BotToken::new("token").unwrap();
        let clock = FakeClock::at_secs(1000);
        let deadline = clock.now_millis() + 10_000;
        check(
            discord,
            &clock,
            &Policy::default(),
            deadline,
            (&client, &token),
            &delivery(),
        )
    }

    #[test]
    fn this_servers_channel_is_posted_to_after_one_lookup() {
        let discord = FakeDiscord::new().owning(&CHANNEL.to_string(), &GUILD.to_string());
        let (verdict, attempts) = run(&discord);
        assert_eq!(verdict, Ok(()));
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].result, CHECKED);
        let lookups = discord.lookups.borrow();
        assert_eq!(lookups[0].method, "GET");
        assert_eq!(
            lookups[0].uri,
            format!("https://discord.test/api/v10/channels/{CHANNEL}")
        );
        assert_eq!(lookups[0].header("authorization"), Some("Bot token"));
        assert_eq!(discord.count(), 0, "nothing posted");
    }

    #[test]
    fn another_servers_channel_or_a_dm_is_undeliverable() {
        for (owner, says) in [
            ("423456789012345678", "belongs to server 423456789012345678"),
            ("", "belongs to no server"),
        ] {
            let discord = FakeDiscord::new().owning(&CHANNEL.to_string(), owner);
            let (verdict, attempts) = run(&discord);
            let Err(Outcome::Undeliverable(why)) = verdict else {
                panic!("{verdict:?}")
            };
            assert!(why.contains(says), "{why}");
            assert!(attempts[0].result.contains(says));
        }
    }

    #[test]
    fn a_lookup_failure_is_handled_as_any_discord_failure() {
        let hidden = FakeDiscord::new().then_lookup(404, r#"{"message":"Unknown Channel"}"#);
        assert!(matches!(run(&hidden).0, Err(Outcome::Undeliverable(_))));
        let down = FakeDiscord::new()
            .then_lookup(500, "")
            .owning(&CHANNEL.to_string(), &GUILD.to_string());
        let (verdict, attempts) = run(&down);
        assert_eq!(verdict, Ok(()), "a 5xx is retried");
        assert_eq!(attempts.len(), 2);
        let garbled = FakeDiscord::new().then_lookup(200, "not json");
        assert!(matches!(run(&garbled).0, Err(Outcome::RetryLater(_))));
    }
}
