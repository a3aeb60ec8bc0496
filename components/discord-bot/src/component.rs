//! The Spin adapter: answers each request through [`crate::endpoint::handle_with`] with
//! the library services as [`contracts::Imported`] (composed in by Spin) and
//! `spin-adapter`'s `wasi:keyvalue` store `default` (its atomics: the interaction
//! claims), and finishes deferred replies after the answer is sent.
//!
//! Two builds of the same adapter: WASIp3 (`wasi:http@0.3.0`, the `wasip3` crate spin-sdk 7 is built on; Spin 4 reuses
//! its instances) by default, WASIp2 (`wasi:http@0.2.0`, spin-sdk 5.2; Spin 3.x and
//! platforms without WASIp3) with the `wasip2` feature. Only the entry point differs;
//! each request is handled from what it carries and nothing is kept in the instance.
//!
//! Order of work for one request:
//! 1. read the body (within [`crate::endpoint::BODY_LIMIT`]) and answer at once with
//!    the response helper of `spin-adapter` (length set, whole body ready before the
//!    response is handed to Spin);
//! 2. log the error report, if any (error ID, action, what failed);
//! 3. for a deferred reply, run the follow-up (the calls that wait on Kaltura) and
//!    `PATCH /api/v10/webhooks/{application}/{token}/messages/@original` on Discord,
//!    retried as [`crate::dispatch::PATCH_RETRY`] says. Spin keeps the instance running
//!    after the response until this is done (WASIp3: a task spawned by the request,
//!    which owns the follow-up and drops it when done).
//!
//! Logs carry the error ID and what failed, never the interaction token, a join URL or
//! a KS (the token is only in the PATCH's path, which is never logged).

use std::time::Duration;

use common::Variables;
use contracts::Imported;
use discord_api::rest::{self, Failure, NextTry};
use spin_adapter::SpinVariables;

use crate::dispatch::{FollowUp, PATCH_RETRY};

/// How long the `PATCH` of a deferred reply may take, per attempt: the work after the
/// response is lost if Spin stops, so it is kept short.
const PATCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs a deferred reply's follow-up and delivers its result to Discord, logging what
/// fails with the member's error ID.
fn finish(job: &FollowUp) {
    let finished = job.run(&Imported);
    if let Some(report) = &finished.report {
        log_report(report);
    }
    if let Some(event) = &finished.event {
        if let Err(err) = contracts::Events::publish(&Imported, event) {
            common::telemetry::log(
                common::telemetry::Level::Warn,
                &format!(
                    "event {} for server {} not recorded: {}: {}",
                    event.event_type,
                    event.guild_id,
                    err.kind().name(),
                    err.message()
                ),
            );
        }
    }
    let undelivered = |why: &str| {
        common::telemetry::log_error(
            &job.error_id().to_string(),
            &format!("the deferred reply was not delivered: {why}"),
            &[("action", job.action())],
        );
    };
    let request = rest::base_url(SpinVariables.get("discord_base_url").as_deref())
        .and_then(|base| job.edit_original(&finished.body, &base));
    let request = match request {
        Ok(request) => request,
        Err(err) => return undelivered(&err.to_string()),
    };
    let mut attempt = 1;
    loop {
        let sent = spin_adapter::send_with_timeouts_blocking(
            request.clone(),
            spin_adapter::Timeouts::all(PATCH_TIMEOUT),
        );
        let response = match sent {
            Ok(response) => response,
            Err(err) => return undelivered(&err.to_string()),
        };
        let Err(err) = rest::classify(response) else {
            return;
        };
        match PATCH_RETRY.next_try(Failure::Answered(&err), attempt) {
            NextTry::RetryAfter(wait) => spin_adapter::sleep(wait),
            NextTry::GiveUp(_) => return undelivered(&err.to_string()),
        }
        attempt += 1;
    }
}

/// Logs an error report as one JSON line with its error id and action.
fn log_report(report: &crate::dispatch::ErrorReport) {
    common::telemetry::log_error(
        &report.error_id.to_string(),
        &report.detail,
        &[("action", report.action)],
    );
}

/// The route of this component's trigger (spin.toml), the `route` of its metric events.
const ROUTE: &str = "/discord/interactions";

/// The answer to one read request and what to do after it is sent.
fn answer(request: &spin_adapter::ReadRequest) -> crate::endpoint::Handled {
    let headers = request.header_map();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let store = spin_adapter::cas_store();
    let handled = crate::endpoint::handle_with(
        &request.method,
        &headers,
        &request.body,
        &SpinVariables,
        now,
        &Imported,
        &store,
    );
    common::telemetry::http_request(ROUTE, handled.reply.status);
    handled
}

/// The work after the answer is sent: logs, then a deferred reply's follow-up and the
/// due event deliveries.
fn after_answer(handled: &crate::endpoint::Handled) {
    if let Some(report) = &handled.report {
        log_report(report);
    }
    if let Some(notice) = &handled.notice {
        common::telemetry::log(common::telemetry::Level::Info, notice);
    }
    if let Some(job) = &handled.follow_up {
        finish(job);
        // Due event deliveries, this one's first (after Discord has its answer).
        if let Err(err) = contracts::Events::pump(&Imported, PUMP_AFTER_FOLLOW_UP) {
            common::telemetry::log(
                common::telemetry::Level::Warn,
                &format!("events pump: {}: {}", err.kind().name(), err.message()),
            );
        }
    }
}

/// The event deliveries attempted after a deferred reply is delivered.
const PUMP_AFTER_FOLLOW_UP: u32 = 5;

/// The bot as Spin serves it ([`spin_adapter::export_http_component!`]).
pub struct DiscordBot;

impl spin_adapter::HttpComponent for DiscordBot {
    const NAME: &'static str = "discord-bot";
    const BODY_LIMIT: usize = crate::endpoint::BODY_LIMIT;
    const UNREAD_ROUTE: &'static str = ROUTE;

    async fn answer(
        request: spin_adapter::ReadRequest,
        request_id: String,
    ) -> spin_adapter::Answer {
        let mut handled = answer(&request);
        let body = std::mem::take(&mut handled.reply.body);
        // Answer first: Discord's 3 seconds run until it has the response.
        spin_adapter::Answer::json(
            handled.reply.status,
            body,
            vec![("x-request-id", request_id)],
        )
        .then(move || after_answer(&handled))
    }
}

spin_adapter::export_http_component!(crate::component::DiscordBot);
