//! Sending what is due, from any replica, at any time.
//!
//! One pass reads the due index and takes the subscriptions whose time has come,
//! earliest first. For each, the first pending delivery of its queue — only the first:
//! deliveries to one subscription are FIFO, a later event waits while an earlier one is
//! retried — is **claimed** (a lease of the attempt's timeout plus a margin, written to
//! the queue with compare-and-swap: a pump on another replica leaves it alone), sent,
//! and its outcome **recorded** (delivered or given up: out of the queue into the log;
//! failed: its next time from the schedule). The subscription's failure count follows;
//! a delivery that gives up pauses the subscription with the reason. Finally the due
//! index gets the queue's new first time.
//!
//! A pump that dies after sending and before recording leaves the lease to expire: the
//! delivery is sent again, with the same `webhook-id` (at least once; receivers
//! deduplicate by it).

use std::time::Duration;

use contracts::events::PumpReport;
use contracts::Error;

use crate::service::Service;
use crate::settings::Settings;
use crate::store::{self, Attempt, Due, Item, Items, Stored, Subscriptions};
use crate::{destination, signing};

/// Added to the attempt's timeout for the lease.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// At most this many attempts per pass, whatever the caller asks.
pub const MAX_PER_PASS: u32 = 50;

/// Who is calling, for the receiver's logs.
const USER_AGENT: &str = "kaltura-discord-events/0.1";

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// One pass: see the module docs.
///
/// # Errors
/// `storage` when the due index cannot be read; a subscription whose documents fail is
/// skipped (and logged) so that the others are still served.
pub fn run(service: &Service<'_>, max_attempts: u32) -> Result<PumpReport, Error> {
    let mut report = PumpReport {
        attempted: 0,
        delivered: 0,
        retrying: 0,
        gave_up: 0,
    };
    let budget = max_attempts.min(MAX_PER_PASS);
    if budget == 0 {
        return Ok(report);
    }
    let env = service.env;
    let now_ms = env.clock.now_millis();
    let due: Due = store::read(env.kv, store::DUE_KEY, "due index")?;
    let mut ready: Vec<(u64, String, u64)> = due
        .subscriptions
        .iter()
        .filter(|(_, entry)| entry.at_ms <= now_ms)
        .map(|(id, entry)| (entry.at_ms, id.clone(), entry.guild_id))
        .collect();
    ready.sort();
    let settings = service.settings();
    for (_, id, guild_id) in ready {
        if report.attempted >= budget {
            break;
        }
        if let Err(err) = one(service, &settings, guild_id, &id, &mut report) {
            (env.log)(&format!("subscription {id}: pump failed: {err:?}"));
        }
    }
    Ok(report)
}

/// Serves one subscription: at most one attempt.
fn one(
    service: &Service<'_>,
    settings: &Settings,
    guild_id: u64,
    id: &str,
    report: &mut PumpReport,
) -> Result<(), Error> {
    let env = service.env;
    let subs: Subscriptions =
        store::read(env.kv, &store::subscriptions_key(guild_id), "subscriptions")?;
    let Some(sub) = subs.subscriptions.into_iter().find(|s| s.id == id) else {
        // Deleted: nothing will ever be due.
        return store::set_due(env.kv, id, guild_id, None);
    };
    if sub.paused {
        // Resuming marks it due again.
        return store::set_due(env.kv, id, guild_id, None);
    }
    let now_ms = env.clock.now_millis();
    let lease = millis(settings.timeout + LEASE_MARGIN);
    let claimed = store::change(
        env.kv,
        &store::queue_key(id),
        "queue",
        |queue: &mut Items| {
            let Some(head) = queue.items.first_mut() else {
                return Ok((false, Err(None)));
            };
            if head.next_at_ms > now_ms || head.lease_until_ms > now_ms {
                return Ok((false, Err(Some(head.next_at_ms.max(head.lease_until_ms)))));
            }
            head.lease_until_ms = now_ms.saturating_add(lease);
            Ok((true, Ok(head.clone())))
        },
    )?;
    let item = match claimed {
        Ok(item) => item,
        Err(next) => return reschedule(service, guild_id, id, next),
    };
    report.attempted += 1;
    let attempt = send(service, settings, &sub, &item);
    let succeeded = attempt.succeeded();
    let retries = settings.schedule.len();
    let finished = store::change(
        env.kv,
        &store::queue_key(id),
        "queue",
        |queue: &mut Items| {
            let Some(position) = queue.items.iter().position(|i| i.id == item.id) else {
                // Deleted meanwhile (the subscription was removed).
                return Ok((false, None));
            };
            let Some(current) = queue.items.get_mut(position) else {
                return Ok((false, None));
            };
            current.attempts.push(attempt.clone());
            current.lease_until_ms = 0;
            let failures = current.attempts.len();
            if succeeded || failures > retries {
                let mut done = queue.items.remove(position);
                done.outcome = Some(if succeeded { "delivered" } else { "failed" }.into());
                return Ok((true, Some(done)));
            }
            let wait = settings
                .schedule
                .get(failures.saturating_sub(1))
                .copied()
                .unwrap_or_default();
            current.next_at_ms = attempt.at_ms.saturating_add(millis(wait));
            Ok((true, None))
        },
    )?;
    let gave_up = finished
        .as_ref()
        .is_some_and(|done| !succeeded && done.outcome.is_some());
    if succeeded {
        report.delivered += 1;
    } else if gave_up {
        report.gave_up += 1;
    } else {
        report.retrying += 1;
    }
    if let Some(done) = finished {
        store::change(
            env.kv,
            &store::log_key(id),
            "delivery log",
            |log: &mut Items| {
                log.items.push(done.clone());
                let excess = log.items.len().saturating_sub(store::MAX_LOG);
                log.items.drain(..excess);
                Ok((true, ()))
            },
        )?;
    }
    record_on_subscription(service, guild_id, id, &item, &attempt, gave_up, retries)?;
    let next = next_time(service, id)?;
    reschedule(service, guild_id, id, next)
}

/// The failure count, and the pause of a subscription whose delivery gave up.
fn record_on_subscription(
    service: &Service<'_>,
    guild_id: u64,
    id: &str,
    item: &Item,
    attempt: &Attempt,
    gave_up: bool,
    retries: usize,
) -> Result<(), Error> {
    let now = service.env.clock.now_secs();
    store::change(
        service.env.kv,
        &store::subscriptions_key(guild_id),
        "subscriptions",
        |subs: &mut Subscriptions| {
            let Some(sub) = subs.subscriptions.iter_mut().find(|s| s.id == id) else {
                return Ok((false, ()));
            };
            if attempt.succeeded() {
                let write = sub.consecutive_failures != 0;
                sub.consecutive_failures = 0;
                return Ok((write, ()));
            }
            sub.consecutive_failures = sub.consecutive_failures.saturating_add(1);
            if gave_up && !sub.paused {
                sub.paused = true;
                sub.paused_at = Some(now);
                sub.paused_reason = Some(format!(
                    "delivery {} ({}) failed {} times; the last attempt: {}",
                    item.id,
                    item.event_type,
                    retries + 1,
                    describe(attempt)
                ));
            }
            Ok((true, ()))
        },
    )
}

/// How an attempt failed, in words (never a secret: statuses and transport errors).
pub fn describe(attempt: &Attempt) -> String {
    match (attempt.status, &attempt.error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "no answer".into(),
    }
}

/// When the queue's first delivery is next due, `None` when the queue is empty.
fn next_time(service: &Service<'_>, id: &str) -> Result<Option<u64>, Error> {
    let queue: Items = store::read(service.env.kv, &store::queue_key(id), "queue")?;
    Ok(queue
        .items
        .first()
        .map(|head| head.next_at_ms.max(head.lease_until_ms)))
}

/// Sets the subscription's due time. When the queue looked empty the entry is removed,
/// then the queue is read again: a publish that appended meanwhile (and marked the
/// subscription due before this removal) is not lost.
fn reschedule(
    service: &Service<'_>,
    guild_id: u64,
    id: &str,
    next: Option<u64>,
) -> Result<(), Error> {
    store::set_due(service.env.kv, id, guild_id, next)?;
    if next.is_none() {
        if let Some(again) = next_time(service, id)? {
            store::mark_due(service.env.kv, id, guild_id, again)?;
        }
    }
    Ok(())
}

/// One attempt: the destination checked again, the body signed for now, sent.
fn send(service: &Service<'_>, settings: &Settings, sub: &Stored, item: &Item) -> Attempt {
    let env = service.env;
    let started = env.clock.now_millis();
    let failed = |error: String| Attempt {
        at_ms: started,
        status: None,
        error: Some(error),
        duration_ms: 0,
    };
    if let Err(why) = destination::check(&sub.url, settings.allow_http, settings.allow_private) {
        return failed(format!("destination refused: {why}"));
    }
    let Some(wrap_secret) = &settings.wrap_secret else {
        return failed(format!("{} is not set", crate::settings::WRAP_SECRET));
    };
    let key = match signing::unwrap_key(wrap_secret.as_bytes(), &sub.id, &sub.key) {
        Ok(key) => key,
        Err(why) => return failed(why),
    };
    let mut request = http::Request::builder()
        .method("POST")
        .uri(sub.url.as_str())
        .header("content-type", "application/json")
        .header("user-agent", USER_AGENT);
    for (name, value) in signing::headers(&key, &item.id, started / 1000, item.body.as_bytes()) {
        request = request.header(name, value);
    }
    let request = match request.body(item.body.clone().into_bytes()) {
        Ok(request) => request,
        Err(_) => return failed("the destination is not a valid request URI".into()),
    };
    let outcome = env.transport.send(request, settings.timeout);
    let duration_ms =
        u32::try_from(env.clock.now_millis().saturating_sub(started)).unwrap_or(u32::MAX);
    match outcome {
        Ok(response) => Attempt {
            at_ms: started,
            status: Some(response.status().as_u16()),
            error: None,
            duration_ms,
        },
        Err(error) => Attempt {
            at_ms: started,
            status: None,
            error: Some(error.chars().take(200).collect()),
            duration_ms,
        },
    }
}
