//! `/api/v1/guilds/{guild_id}/subscriptions`: a server's event subscriptions, through
//! the `events` service; `POST /api/v1/deployment/events/pump` for schedulers; and
//! [`publish`], how the gateway reports the events it causes (a meeting created or
//! joined through the API). The route layer has already refused every credential for
//! another server; these handlers act on the credential's own server.
//!
//! A subscription's secret (`whsec_…`) is in the creation answer only; no other answer
//! or log line carries it.

use crate::auth::{actor_json, Caller};
use crate::backend::Backend;
use crate::guild::limit;
use crate::reply::{Body, Outcome, Problem, Response};
use common::ApiError;
use contracts::events::{
    Delivery, DeliveryState, Event, EventType, NewSubscription, Subscription, SubscriptionState,
};
use contracts::{Error, Snowflake};
use serde_json::{json, Value};

/// How many deliveries the log answers by default, and at most.
pub const DEFAULT_DELIVERIES: u32 = 20;
/// The most deliveries one answer lists.
pub const MAX_DELIVERIES: u32 = 100;
/// The most attempts one explicit pump makes.
pub const MAX_PUMP: u32 = 50;
/// The attempts made after each answer of the gateway.
pub const PUMP_AFTER_RESPONSE: u32 = 5;

fn state_name(state: SubscriptionState) -> &'static str {
    match state {
        SubscriptionState::Active => "active",
        SubscriptionState::Paused => "paused",
    }
}

/// A subscription as the API shows it (never its secret).
pub fn subscription_json(sub: &Subscription) -> Value {
    json!({
        "id": sub.id,
        "guild_id": sub.guild_id.to_string(),
        "url": sub.url,
        "event_types": sub.event_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "description": sub.description,
        "state": state_name(sub.state),
        "paused_reason": sub.paused_reason,
        "paused_at": sub.paused_at,
        "created_at": sub.created_at,
        "created_by": actor_json(&sub.created_by),
        "consecutive_failures": sub.consecutive_failures,
        "pending": sub.pending,
    })
}

fn delivery_json(delivery: &Delivery) -> Value {
    json!({
        "id": delivery.id,
        "event_type": delivery.event_type.as_str(),
        "created_at_ms": delivery.created_at_ms,
        "state": match delivery.state {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        },
        "attempts": delivery.attempts.iter().map(|a| json!({
            "at_ms": a.at_ms,
            "status": a.status,
            "error": a.error,
            "duration_ms": a.duration_ms,
        })).collect::<Vec<_>>(),
        "next_attempt_at_ms": delivery.next_attempt_at_ms,
    })
}

fn not_found(err: Error, id: &str) -> Problem {
    match err {
        Error::NotFound(_) => {
            ApiError::not_found(format!("this server has no subscription {id}")).into()
        }
        other => Problem::from(other),
    }
}

/// `GET …/subscriptions`.
///
/// # Errors
/// `503` when the store fails.
pub fn list<B: Backend>(backend: &B, caller: &Caller) -> Outcome {
    let subs = backend
        .events()
        .list(caller.guild_id)
        .map_err(Problem::from)?;
    Ok(Response::json(
        200,
        &json!({ "subscriptions": subs.iter().map(subscription_json).collect::<Vec<_>>() }),
    ))
}

/// `POST …/subscriptions` with `{url, event_types, description?}`: the answer carries
/// the secret, once.
///
/// # Errors
/// `400` naming the field and rule.
pub fn create<B: Backend>(backend: &B, caller: &Caller, body: &[u8]) -> Outcome {
    let body = Body::parse(body, false)?;
    let url = body.str("url")?.to_owned();
    let event_types = body
        .strings("event_types")?
        .into_iter()
        .map(|name| {
            EventType::parse(name).ok_or_else(|| {
                let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                Problem::invalid(format!(
                    "`event_types` items must be one of {}",
                    names.join(", ")
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let description = body.opt_str("description")?.unwrap_or_default().to_owned();
    let created = backend
        .events()
        .create(
            caller.guild_id,
            &NewSubscription {
                url,
                event_types,
                description,
            },
            &caller.actor(),
        )
        .map_err(Problem::from)?;
    let mut answer = subscription_json(&created.subscription);
    answer["secret"] = Value::from(created.secret);
    Ok(Response::json(201, &answer)
        .with(
            "location",
            format!(
                "/api/v1/guilds/{}/subscriptions/{}",
                caller.guild_id, created.subscription.id
            ),
        )
        .private())
}

/// `GET …/subscriptions/{subscription_id}`.
///
/// # Errors
/// `404`.
pub fn get<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Outcome {
    let sub = backend
        .events()
        .get(caller.guild_id, id)
        .map_err(|err| not_found(err, id))?;
    Ok(Response::json(200, &subscription_json(&sub)))
}

/// `DELETE …/subscriptions/{subscription_id}`: its pending deliveries are dropped.
///
/// # Errors
/// `404`.
pub fn delete<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Outcome {
    backend
        .events()
        .delete(caller.guild_id, id)
        .map_err(|err| not_found(err, id))?;
    Ok(Response::no_content())
}

/// `POST …/subscriptions/{subscription_id}/pause` or `/resume`.
///
/// # Errors
/// `404`.
pub fn set_paused<B: Backend>(backend: &B, caller: &Caller, id: &str, paused: bool) -> Outcome {
    let sub = backend
        .events()
        .set_paused(caller.guild_id, id, paused, &caller.actor())
        .map_err(|err| not_found(err, id))?;
    Ok(Response::json(200, &subscription_json(&sub)))
}

/// `GET …/subscriptions/{subscription_id}/deliveries?limit=N`: pending first, then the
/// finished ones, newest first.
///
/// # Errors
/// `400` for a bad limit; `404`.
pub fn deliveries<B: Backend>(backend: &B, caller: &Caller, id: &str, query: &str) -> Outcome {
    let limit = limit(query, DEFAULT_DELIVERIES, MAX_DELIVERIES)?;
    let deliveries = backend
        .events()
        .deliveries(caller.guild_id, id, limit)
        .map_err(|err| not_found(err, id))?;
    Ok(Response::json(
        200,
        &json!({ "deliveries": deliveries.iter().map(delivery_json).collect::<Vec<_>>() }),
    ))
}

/// `POST /api/v1/deployment/events/pump?limit=N`: sends what is due now (for a
/// scheduler: a Kubernetes CronJob, a cron trigger).
///
/// # Errors
/// `400` for a bad limit; `503` when the store fails.
pub fn pump<B: Backend>(backend: &B, query: &str) -> Outcome {
    let limit = limit(query, MAX_PUMP, MAX_PUMP)?;
    let report = backend.events().pump(limit).map_err(Problem::from)?;
    Ok(Response::json(
        200,
        &json!({
            "attempted": report.attempted,
            "delivered": report.delivered,
            "retrying": report.retrying,
            "gave_up": report.gave_up,
        }),
    ))
}

/// Whether the answer to a request for `path_with_query` is followed by a pump: every
/// route's but liveness and the document, which touch nothing (and are what probes and
/// crawlers call most).
pub fn pumps_after(path_with_query: &str) -> bool {
    let path = path_with_query
        .split_once('?')
        .map_or(path_with_query, |(path, _)| path)
        .trim_end_matches('/');
    !matches!(path, "/api/v1/health" | "/api/v1/openapi.json")
}

/// Reports an event the gateway caused. Never fails the request: an event that cannot
/// be recorded is logged (type and server, never its data) and lost.
pub fn publish<B: Backend>(backend: &B, guild_id: Snowflake, event_type: EventType, data: Value) {
    let event = Event {
        event_type,
        guild_id,
        data_json: data.to_string(),
    };
    if let Err(err) = backend.events().publish(&event) {
        backend.log(&format!(
            "event {event_type} for server {guild_id} not recorded: {}: {}",
            err.kind().name(),
            err.message()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_but_liveness_and_the_document_is_followed_by_a_pump() {
        assert!(!pumps_after("/api/v1/health"));
        assert!(!pumps_after("/api/v1/health/"));
        assert!(!pumps_after("/api/v1/openapi.json?x=1"));
        assert!(pumps_after("/api/v1/ready"));
        assert!(pumps_after("/api/v1/meetings"));
    }
}
