//! Posting one message with Discord's rules, host-free: honour `429` `retry_after`,
//! retry `5xx` and unanswered requests with exponential backoff, all inside the time
//! budget of the Kaltura request (Kaltura waits for our answer; a late answer is a
//! failed delivery to it and comes back as a redelivery).
//!
//! | Discord answers | what happens | delivery outcome |
//! |---|---|---|
//! | 2xx | done | delivered |
//! | 429 | wait `retry_after` and try again, if that fits the budget | else retry later |
//! | 5xx, no answer | wait 250 ms, 500 ms, 1 s, 2 s … and try again (at most five tries) | else retry later |
//! | 403, 404 | not retried: the bot may not post there, or the channel is gone | undeliverable |
//! | 401 | not retried in this request: the bot token is wrong (a deployment fix) | retry later |
//! | other 4xx | not retried: the message itself was refused | undeliverable |
//!
//! Whether and when to try again is Discord's rule, written once in `discord-api`
//! ([`RetryPolicy::next_try`]); [`Policy`] holds this service's numbers. "Retry later"
//! makes the receiver answer 5xx, so Kaltura redelivers.

use std::time::Duration;

use common::{Clock, Transport};
use discord_api::rest::{classify, ApiError, Failure, GiveUp, NextTry, RetryPolicy};
use notify_log::Attempt;

/// Limits of the retries within one Kaltura request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long one Kaltura request may spend delivering, in all.
    pub budget: Duration,
    /// The timeout of one try.
    pub attempt_timeout: Duration,
    /// No try starts with less time than this left.
    pub min_attempt: Duration,
    /// Discord's retry rule with this service's numbers: how many tries, and the backoff
    /// after a `5xx` or no answer. The wait accepted is what is left of the budget (its
    /// `max_wait` is replaced before each decision).
    pub retry: RetryPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            budget: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(4),
            min_attempt: Duration::from_millis(500),
            retry: RetryPolicy {
                max_attempts: 5,
                max_wait: Duration::from_secs(10),
                first_backoff: Duration::from_millis(250),
                max_backoff: Duration::from_secs(2),
            },
        }
    }
}

/// How a message's delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Discord created the message (its id, when the answer had one).
    Delivered {
        /// The message id.
        message_id: Option<String>,
    },
    /// Refused for good; retrying cannot help.
    Undeliverable(String),
    /// Not delivered now; it may succeed when Kaltura redelivers.
    RetryLater(String),
}

/// The outcome and every try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// How it ended.
    pub outcome: Outcome,
    /// Every try, in order.
    pub attempts: Vec<Attempt>,
}

/// What a retryable failure was, for the audit log.
fn why(failure: Failure<'_>, no_answer: &str) -> String {
    match failure {
        Failure::NoAnswer => format!("no answer from Discord ({no_answer})"),
        Failure::Answered(ApiError::RateLimited {
            retry_after,
            global,
        }) => format!(
            "rate limited{}; retry after {} ms",
            if *global { " (global)" } else { "" },
            retry_after.as_millis()
        ),
        Failure::Answered(ApiError::ServerError(code)) => format!("Discord answered {code}"),
        Failure::Answered(other) => other.to_string(),
    }
}

/// What a refusal means for this message.
fn refused(err: &ApiError) -> Outcome {
    match err {
        ApiError::Forbidden => Outcome::Undeliverable(
            "Discord answered 403: the bot may not post in this channel (it needs View Channel and Send Messages)".into(),
        ),
        ApiError::NotFound => Outcome::Undeliverable(
            "Discord answered 404: the channel does not exist, or the bot cannot see it".into(),
        ),
        ApiError::Unauthorized => Outcome::RetryLater(
            "Discord answered 401: the bot token (discord_bot_token) was refused".into(),
        ),
        other => Outcome::Undeliverable(other.to_string()),
    }
}

fn copy(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Sends `request` until it is delivered, refused for good, or the tries or the time
/// (until `deadline_ms`, Unix milliseconds) run out; each retry decided by Discord's
/// rule ([`RetryPolicy::next_try`]).
pub fn deliver(
    transport: &dyn Transport,
    clock: &dyn Clock,
    request: &http::Request<Vec<u8>>,
    deadline_ms: u64,
    policy: &Policy,
) -> Report {
    let (answer, attempts) = send(transport, clock, request, deadline_ms, policy, "delivered");
    let outcome = match answer {
        Ok(body) => Outcome::Delivered {
            message_id: serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_owned)),
        },
        Err(outcome) => outcome,
    };
    Report { outcome, attempts }
}

/// Sends `request` with the same rule as [`deliver`] (any request to Discord, e.g. the
/// channel lookup before a post): the body of Discord's `2xx` answer, or how it ended
/// otherwise ([`Outcome::Undeliverable`] or [`Outcome::RetryLater`]), with every try;
/// the successful try is recorded as `done`.
pub fn send(
    transport: &dyn Transport,
    clock: &dyn Clock,
    request: &http::Request<Vec<u8>>,
    deadline_ms: u64,
    policy: &Policy,
    done: &str,
) -> (Result<Vec<u8>, Outcome>, Vec<Attempt>) {
    let mut attempts = Vec::new();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let now = clock.now_millis();
        let remaining = deadline_ms.saturating_sub(now);
        if remaining < millis(policy.min_attempt) {
            let outcome = Outcome::RetryLater("the request's time budget is used up".into());
            return (Err(outcome), attempts);
        }
        let timeout = policy.attempt_timeout.min(Duration::from_millis(remaining));
        let answer = transport.send(copy(request), timeout);
        let status = answer.as_ref().ok().map(|r| r.status().as_u16());
        let (error, no_answer) = match answer.map(classify) {
            Ok(Ok(body)) => {
                attempts.push(Attempt {
                    at_ms: now,
                    status,
                    result: done.to_owned(),
                    wait_ms: None,
                });
                return (Ok(body), attempts);
            }
            Ok(Err(error)) => (Some(error), String::new()),
            Err(why) => (None, why),
        };
        let failure = error.as_ref().map_or(Failure::NoAnswer, Failure::Answered);
        // The wait accepted: what is left of the budget once a try fits after it.
        let left = deadline_ms
            .saturating_sub(clock.now_millis())
            .saturating_sub(millis(policy.min_attempt));
        let retry = policy.retry.with_max_wait(Duration::from_millis(left));
        let why = why(failure, &no_answer);
        let (result, outcome) = match retry.next_try(failure, attempt) {
            NextTry::RetryAfter(wait) => {
                attempts.push(Attempt {
                    at_ms: now,
                    status,
                    result: why,
                    wait_ms: Some(millis(wait)),
                });
                clock.sleep(wait);
                continue;
            }
            // Only an answer is ever refused; no answer is always worth a retry.
            NextTry::GiveUp(GiveUp::Refused) => {
                let outcome = error
                    .as_ref()
                    .map_or_else(|| Outcome::RetryLater(why.clone()), refused);
                let text = match &outcome {
                    Outcome::Undeliverable(text) | Outcome::RetryLater(text) => text.clone(),
                    Outcome::Delivered { .. } => why,
                };
                (text, outcome)
            }
            NextTry::GiveUp(GiveUp::OutOfAttempts { .. }) => {
                let outcome = Outcome::RetryLater(format!("{why}; gave up after {attempt} tries"));
                (why, outcome)
            }
            NextTry::GiveUp(GiveUp::WaitTooLong { .. }) => {
                let outcome = Outcome::RetryLater(format!(
                    "{why}; that wait does not fit the request's time budget"
                ));
                (why, outcome)
            }
        };
        attempts.push(Attempt {
            at_ms: now,
            status,
            result,
            wait_ms: None,
        });
        return (Err(outcome), attempts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeDiscord;
    use common::FakeClock;

    fn request() -> http::Request<Vec<u8>> {
        http::Request::builder()
            .method("POST")
            .uri("https://discord.test/api/v10/channels/1/messages")
            .body(b"{}".to_vec())
            .unwrap()
    }

    fn run(discord: &FakeDiscord, clock: &FakeClock) -> Report {
        let deadline = clock.now_millis() + 10_000;
        deliver(discord, clock, &request(), deadline, &Policy::default())
    }

    #[test]
    fn a_2xx_is_delivered_at_once_with_the_message_id() {
        let discord = FakeDiscord::new().then(200, r#"{"id":"555"}"#);
        let clock = FakeClock::at_secs(1000);
        let r = run(&discord, &clock);
        assert_eq!(
            r.outcome,
            Outcome::Delivered {
                message_id: Some("555".into())
            }
        );
        assert_eq!(r.attempts.len(), 1);
        assert_eq!(discord.count(), 1);
    }

    #[test]
    fn a_429_waits_retry_after_then_delivers() {
        let discord = FakeDiscord::new()
            .then(
                429,
                r#"{"message":"You are being rate limited.","retry_after":0.3,"global":false}"#,
            )
            .then(200, r#"{"id":"1"}"#);
        let clock = FakeClock::at_secs(1000);
        let r = run(&discord, &clock);
        assert!(matches!(r.outcome, Outcome::Delivered { .. }));
        assert_eq!(clock.sleeps(), [Duration::from_millis(300)]);
        assert_eq!(r.attempts[0].status, Some(429));
        assert_eq!(r.attempts[0].wait_ms, Some(300));
    }

    #[test]
    fn a_429_longer_than_the_budget_is_retry_later_without_waiting() {
        let discord = FakeDiscord::new().then(429, r#"{"retry_after":60,"global":true}"#);
        let clock = FakeClock::at_secs(1000);
        let r = run(&discord, &clock);
        assert!(matches!(&r.outcome, Outcome::RetryLater(why) if why.contains("budget")));
        assert!(clock.sleeps().is_empty());
        assert_eq!(discord.count(), 1);
    }

    #[test]
    fn server_errors_and_silence_back_off_exponentially_then_give_up() {
        let discord = FakeDiscord::new()
            .then(500, "")
            .then(502, "")
            .then_fail("timed out")
            .then(503, "")
            .then(500, "");
        let clock = FakeClock::at_secs(1000);
        let r = run(&discord, &clock);
        assert!(matches!(&r.outcome, Outcome::RetryLater(why) if why.contains("gave up after 5")));
        assert_eq!(
            clock.sleeps(),
            [250, 500, 1000, 2000].map(Duration::from_millis)
        );
        assert_eq!(r.attempts[2].status, None);
    }

    #[test]
    fn a_5xx_then_success_is_one_delivery() {
        let discord = FakeDiscord::new().then(500, "").then(200, r#"{"id":"2"}"#);
        let clock = FakeClock::at_secs(1000);
        assert!(matches!(
            run(&discord, &clock).outcome,
            Outcome::Delivered { .. }
        ));
        assert_eq!(discord.count(), 2);
    }

    #[test]
    fn forbidden_and_not_found_are_undeliverable_and_not_retried() {
        for status in [403, 404] {
            let discord =
                FakeDiscord::new().then(status, r#"{"message":"Missing Access","code":50001}"#);
            let clock = FakeClock::at_secs(1000);
            let r = run(&discord, &clock);
            assert!(matches!(r.outcome, Outcome::Undeliverable(_)), "{status}");
            assert_eq!(discord.count(), 1);
        }
        let discord =
            FakeDiscord::new().then(400, r#"{"message":"Invalid Form Body","code":50035}"#);
        let clock = FakeClock::at_secs(1000);
        assert!(
            matches!(&run(&discord, &clock).outcome, Outcome::Undeliverable(why) if why.contains("50035"))
        );
    }

    #[test]
    fn a_refused_token_is_retry_later_at_once() {
        let discord = FakeDiscord::new().then(401, "{}");
        let clock = FakeClock::at_secs(1000);
        let r = run(&discord, &clock);
        assert!(matches!(&r.outcome, Outcome::RetryLater(why) if why.contains("401")));
        assert_eq!(discord.count(), 1);
    }

    #[test]
    fn no_try_starts_after_the_deadline() {
        let discord = FakeDiscord::new();
        let clock = FakeClock::at_secs(1000);
        let r = deliver(
            &discord,
            &clock,
            &request(),
            clock.now_millis() + 100,
            &Policy::default(),
        );
        assert!(matches!(r.outcome, Outcome::RetryLater(_)));
        assert_eq!(discord.count(), 0);
    }

    #[test]
    fn each_try_gets_at_most_the_time_that_is_left() {
        let discord = FakeDiscord::new();
        let clock = FakeClock::at_secs(1000);
        deliver(
            &discord,
            &clock,
            &request(),
            clock.now_millis() + 1500,
            &Policy::default(),
        );
        assert_eq!(
            discord.sent.borrow()[0].timeout,
            Duration::from_millis(1500)
        );
    }
}
