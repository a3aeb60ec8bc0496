//! `/kaltura-config events` (version 2 of `/kaltura-config`): the server's event
//! subscriptions as the `events` service keeps them — listed with why any is paused,
//! paused and resumed by the member (recorded as the actor). Creating one takes the
//! API (`POST /api/v1/guilds/{guild_id}/subscriptions`): its secret is shown once and
//! has no place in a Discord message.

use contracts::events::{Subscription, SubscriptionState};
use contracts::{Actor, Error, Events as _};
use discord_api::markdown::escape;

use super::{Ctx, Outcome};
use crate::render::notice;
use crate::services::Services;

/// One subscription as a line of the list.
fn line(sub: &Subscription) -> String {
    let types: Vec<&str> = sub.event_types.iter().map(|t| t.as_str()).collect();
    let state = match (sub.state, &sub.paused_reason) {
        (SubscriptionState::Active, _) => "active".to_owned(),
        (SubscriptionState::Paused, Some(reason)) => format!("**paused**: {}", escape(reason)),
        (SubscriptionState::Paused, None) => "**paused**".to_owned(),
    };
    format!(
        "`{}` → {} ({}) — {state}; {} pending",
        sub.id,
        escape(&sub.url),
        types.join(", "),
        sub.pending
    )
}

impl<S: Services> Ctx<'_, S> {
    /// `/kaltura-config events list`.
    pub(super) fn events_list(&self) -> Outcome {
        match self.services.events().list(self.guild()) {
            Ok(subs) if subs.is_empty() => Outcome::message(notice(
                "This server has no event subscriptions. An admin creates them with the API: `POST /api/v1/guilds/{guild_id}/subscriptions`.",
            )),
            Ok(subs) => {
                let lines: Vec<String> = subs.iter().map(line).collect();
                Outcome::message(notice(format!(
                    "This server's event subscriptions:\n{}",
                    lines.join("\n")
                )))
            }
            Err(err) => self.failed(err.into()),
        }
    }

    /// `/kaltura-config events pause|resume subscription`.
    pub(super) fn events_pause(&self, id: &str, paused: bool) -> Outcome {
        let actor = Actor::DiscordUser(self.caller.member.user_id);
        match self
            .services
            .events()
            .set_paused(self.guild(), id, paused, &actor)
        {
            Ok(sub) => Outcome::message(notice(format!(
                "{} `{}`.\n{}",
                if paused { "Paused" } else { "Resumed" },
                sub.id,
                line(&sub)
            ))),
            Err(Error::NotFound(_)) => Outcome::message(notice(
                "This server has no such subscription: see `/kaltura-config events list`.",
            )),
            Err(err) => self.failed(err.into()),
        }
    }
}
