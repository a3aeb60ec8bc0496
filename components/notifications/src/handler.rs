//! One Kaltura notification, end to end and host-free: verify → parse → map → route →
//! claim (dedupe) → render → check the channel is the server's ([`crate::ownership`]) →
//! deliver → record → answer.
//!
//! | answer | when |
//! |---|---|
//! | 401 | missing, wrong-algorithm or non-matching `X-KALTURA-SIGNATURE`: nothing is parsed, nothing is posted |
//! | 400, 405, 413 | a payload in no format Kaltura sends, another method, a body over the limit |
//! | 200 `ignored` | not an event this service posts (the reason is in the body) |
//! | 200 `not_routed` | no server takes it (no channel, turned off, no server named) |
//! | 200 `duplicate` | this event was handled before |
//! | 200 `done` | every message is delivered or undeliverable for good (403/404, or a channel of another server) |
//! | 503 | a message may still be delivered later (Discord 5xx or rate limit beyond the budget, no answer, 401), another copy is in progress, a service or the store failed, or a setting is missing: Kaltura redelivers |
//!
//! Kaltura counts only 200/204 as delivered and retries anything else, so a 200 is only
//! ever answered when nothing is left to do.

use common::cas::CasStore;
use common::{ApiError, Clock, Transport, Variables};
use discord_api::rest::{self, Client};
use discord_api::token::BotToken;
use notify_log::{AuditEntry, AuditOutcome};
use serde_json::{json, Value};

use crate::dedupe::{self, Claim, EventId, Mark, SeenState};
use crate::delivery::{self, Outcome, Policy, Report};
use crate::events::{self, Mapped};
use crate::ownership;
use crate::render;
use crate::routing::{self, Delivery, Route, Services};

/// The project URL in Discord's required `User-Agent: DiscordBot (<url>, <version>)`.
pub const PROJECT_URL: &str = "https://github.com/kaltura-discord/kaltura-discord";

/// The settings a delivery needs, besides the admin secret the receiver checks.
/// (`discord_base_url` may be blank: [`rest::base_url`] reads it.)
pub const DELIVERY_SETTINGS: &[&str] = &["discord_bot_token"];

/// Everything the handler runs against.
pub struct Env<'a, S: CasStore, P: Services> {
    /// Deployment settings.
    pub vars: &'a dyn Variables,
    /// The key-value store (`notify/v1/...`).
    pub store: &'a S,
    /// Outbound HTTP to Discord.
    pub transport: &'a dyn Transport,
    /// Time.
    pub clock: &'a dyn Clock,
    /// The `kaltura` and `config` services.
    pub services: &'a P,
    /// The `events` service: the servers' subscribers.
    pub events: &'a dyn contracts::Events,
    /// Retry limits.
    pub policy: Policy,
}

/// The request as the adapter read it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The method.
    pub method: &'a str,
    /// The path with its query. Nothing on it routes an event (it is not signed); a
    /// `guild` parameter, which once did, is only named in the answer when the event
    /// goes nowhere.
    pub path_with_query: &'a str,
    /// `X-KALTURA-SIGNATURE`.
    pub signature: Option<&'a str>,
    /// `X-KALTURA-HASH-ALGO`.
    pub hash_algo: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
}

/// The answer, and one line for the log (ids, counts and reasons; no secret, no
/// Kaltura text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Vec<u8>,
    /// The log line.
    pub log: String,
}

impl Reply {
    fn json(status: u16, body: &Value, log: String) -> Self {
        Self {
            status,
            body: serde_json::to_vec(body).unwrap_or_default(),
            log,
        }
    }

    fn error(error: &ApiError, id: Option<&EventId>) -> Self {
        let event = id.map_or("-", EventId::as_str);
        Self {
            status: error.status,
            body: error.to_json(),
            log: format!("notifications: {event}: {error}"),
        }
    }
}

fn discord_client(vars: &dyn Variables) -> Result<(Client, BotToken), ApiError> {
    let missing = common::settings::missing(vars, DELIVERY_SETTINGS);
    if !missing.is_empty() {
        return Err(ApiError::not_configured(&missing));
    }
    let unusable = |name: &str| {
        ApiError::new(
            503,
            "not_configured",
            format!("setting {name} is not usable"),
        )
    };
    let token = vars
        .get("discord_bot_token")
        .and_then(|t| BotToken::new(&t).ok())
        .ok_or_else(|| unusable("discord_bot_token"))?;
    let client = rest::base_url(vars.get("discord_base_url").as_deref())
        .and_then(|base| Client::new(&base, PROJECT_URL, env!("CARGO_PKG_VERSION")))
        .map_err(|_| unusable("discord_base_url"))?;
    Ok((client, token))
}

/// Handles one notification.
pub fn handle<S: CasStore, P: Services>(request: &Incoming<'_>, env: &Env<'_, S, P>) -> Reply {
    let deadline = env
        .clock
        .now_millis()
        .saturating_add(u64::try_from(env.policy.budget.as_millis()).unwrap_or(u64::MAX));
    let notification = match crate::receiver::receive(
        request.method,
        request.signature,
        request.hash_algo,
        request.body,
        env.vars,
    ) {
        Ok(notification) => notification,
        Err(error) => return Reply::error(&error, None),
    };
    let id = EventId::new(notification.job_id.as_deref(), request.body);
    let event = match events::map(&notification) {
        Mapped::Event(event) => event,
        Mapped::Ignored(reason) => {
            return Reply::json(
                200,
                &json!({"status": "ignored", "event_id": id.as_str(), "reason": reason}),
                format!("notifications: {id}: ignored: {reason}"),
            )
        }
    };
    let deliveries = match routing::route(&event, env.services, env.clock.now_secs()) {
        Ok(Route::Deliver(deliveries)) => deliveries,
        Ok(Route::NotRouted(mut reason)) => {
            if names_guild_on_url(request.path_with_query) {
                reason.push_str(UNSIGNED_GUILD);
            }
            return Reply::json(
                200,
                &json!({"status": "not_routed", "event_id": id.as_str(), "reason": reason}),
                format!("notifications: {id}: not routed: {reason}"),
            );
        }
        Err(err) => {
            let error = ApiError::new(
                503,
                "unavailable",
                format!("a service needed to route the event failed: {err}"),
            );
            return Reply::error(&error, Some(&id));
        }
    };
    let (client, token) = match discord_client(env.vars) {
        Ok(pair) => pair,
        Err(error) => return Reply::error(&error, Some(&id)),
    };
    let key = crate::keys::seen(&id);
    let mut record = match dedupe::claim(env.store, &key, &id, env.clock.now_secs()) {
        Ok(Claim::Claimed(record)) => record,
        Ok(Claim::Duplicate(_)) => {
            return Reply::json(
                200,
                &json!({"status": "duplicate", "event_id": id.as_str()}),
                format!("notifications: {id}: duplicate dropped"),
            )
        }
        Ok(Claim::Busy) => {
            let error = ApiError::new(
                503,
                "in_progress",
                "another copy of this event is being delivered right now; try again later",
            );
            return Reply::error(&error, Some(&id));
        }
        Err(err) => {
            let error = ApiError::new(503, "storage", format!("the dedupe record failed: {err}"));
            return Reply::error(&error, Some(&id));
        }
    };

    let mut results = Vec::new();
    let mut notes = Vec::new();
    let mut later = 0usize;
    if record.deliveries.is_empty() {
        for (guild_id, event_type, data) in crate::subscribers::events(&id, &event, &deliveries) {
            let published = env.events.publish(&contracts::events::Event {
                event_type,
                guild_id,
                data_json: data.to_string(),
            });
            if let Err(err) = published {
                notes.push(format!(
                    "{event_type} for server {guild_id} not published: {}",
                    err.kind().name()
                ));
            }
        }
    }
    for delivery in &deliveries {
        let dkey = delivery.key();
        if let Some(mark) = record.deliveries.get(&dkey) {
            results.push(json!({
                "guild_id": delivery.guild_id.to_string(),
                "channel_id": delivery.channel_id.to_string(),
                "outcome": match mark { Mark::Delivered => "delivered", Mark::Undeliverable => "undeliverable" },
                "earlier": true,
            }));
            continue;
        }
        let report = deliver_one(env, &client, &token, &id, delivery, deadline);
        let (outcome, mark, detail, message_id) = match &report.outcome {
            Outcome::Delivered { message_id } => (
                AuditOutcome::Delivered,
                Some(Mark::Delivered),
                None,
                message_id.clone(),
            ),
            Outcome::Undeliverable(why) => (
                AuditOutcome::Undeliverable,
                Some(Mark::Undeliverable),
                Some(why.clone()),
                None,
            ),
            Outcome::RetryLater(why) => {
                later += 1;
                (AuditOutcome::RetryLater, None, Some(why.clone()), None)
            }
        };
        common::telemetry::event(
            "webhook_delivery",
            &[(
                "outcome",
                serde_json::to_value(outcome).unwrap_or(Value::Null),
            )],
        );
        if let Some(mark) = mark {
            record.deliveries.insert(dkey, mark);
            record.updated_at = env.clock.now_secs();
            if let Err(err) = dedupe::save(env.store, &key, &record) {
                notes.push(format!("saving progress failed: {err}"));
            }
        }
        let entry = AuditEntry {
            at: env.clock.now_secs(),
            event_id: id.to_string(),
            event: delivery.event.as_str().to_owned(),
            kaltura_id: delivery
                .meeting
                .as_ref()
                .map(|m| m.id.to_string())
                .or_else(|| event.object_id.clone()),
            channel_id: delivery.channel_id.to_string(),
            attempts: report.attempts,
            outcome,
            detail: detail.clone(),
            message_id: message_id.clone(),
        };
        if let Err(err) = notify_log::append(env.store, &delivery.guild_id.to_string(), &entry) {
            notes.push(format!(
                "audit of server {} failed: {err}",
                delivery.guild_id
            ));
        }
        let mut result = json!({
            "guild_id": delivery.guild_id.to_string(),
            "channel_id": delivery.channel_id.to_string(),
            "outcome": serde_json::to_value(outcome).unwrap_or(Value::Null),
        });
        if let Some(id) = message_id {
            result["message_id"] = Value::String(id);
        }
        if let Some(detail) = detail {
            result["detail"] = Value::String(detail);
        }
        results.push(result);
    }

    record.state = if later > 0 {
        SeenState::Pending
    } else {
        SeenState::Done
    };
    record.updated_at = env.clock.now_secs();
    if let Err(err) = dedupe::save(env.store, &key, &record) {
        notes.push(format!("saving the outcome failed: {err}"));
    }
    let kind = deliveries.first().map_or("-", |d| d.event.as_str());
    let delivered = results
        .iter()
        .filter(|r| r["outcome"] == "delivered")
        .count();
    let mut log = format!(
        "notifications: {id}: {kind}: {delivered} delivered, {} undeliverable, {later} to retry",
        results.len() - delivered - later
    );
    for note in notes {
        log.push_str("; ");
        log.push_str(&note);
    }
    if later > 0 {
        let body = json!({
            "error": {
                "code": "delivery_pending",
                "message": format!("{later} of {} messages may still be delivered; redeliver later", results.len()),
            },
            "event_id": id.as_str(),
            "event": kind,
            "deliveries": results,
        });
        Reply::json(503, &body, log)
    } else {
        let body = json!({"status": "done", "event_id": id.as_str(), "event": kind, "deliveries": results});
        Reply::json(200, &body, log)
    }
}

/// Said when an event goes nowhere and its URL has a `guild` parameter.
pub const UNSIGNED_GUILD: &str = "; the URL's ?guild= is not read (the signature does not cover the URL): name the server in the signed body (a kd_guild_id parameter, or a kd-guild:<id> tag on the entry)";

/// Whether the notification URL has a `guild` query parameter.
fn names_guild_on_url(path_with_query: &str) -> bool {
    path_with_query.split_once('?').is_some_and(|(_, query)| {
        form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "guild")
    })
}

fn deliver_one<S: CasStore, P: Services>(
    env: &Env<'_, S, P>,
    client: &Client,
    token: &BotToken,
    id: &EventId,
    delivery: &Delivery,
    deadline: u64,
) -> Report {
    let (owned, mut attempts) = ownership::check(
        env.transport,
        env.clock,
        &env.policy,
        deadline,
        (client, token),
        delivery,
    );
    if let Err(outcome) = owned {
        return Report { outcome, attempts };
    }
    let body = render::body(delivery);
    let nonce = render::nonce(id, &delivery.key());
    let report = match render::request(client, token, delivery.channel_id, &body, &nonce) {
        Ok(request) => delivery::deliver(env.transport, env.clock, &request, deadline, &env.policy),
        Err(err) => Report {
            outcome: Outcome::Undeliverable(err.to_string()),
            attempts: Vec::new(),
        },
    };
    attempts.extend(report.attempts);
    Report {
        outcome: report.outcome,
        attempts,
    }
}

#[cfg(test)]
mod tests;
