//! Posting one message with Discord's rules, host-free: honour `429` `retry_after`,
//! retry `5xx` and unanswered requests with exponential backoff, all inside the time
//! budget of the Kaltura request (Kaltura waits for our answer; a late answer is a
//! failed delivery to it and comes back as a redelivery).
//!
//! | Discord answers | what happens | delivery outcome |
//! |---|---|---|
//! | 2xx | done | delivered |
//! | 429 | wait `retry_after` and try again, if that fits the budget | else retry later |
//! | 5xx, no answer | wait 250 ms, 500 ms, 1 s, 2 s … and try again (at most [`Policy::max_attempts`] tries) | else retry later |
//! | 403, 404 | not retried: the bot may not post there, or the channel is gone | undeliverable |
//! | 401 | not retried in this request: the bot token is wrong (a deployment fix) | retry later |
//! | other 4xx | not retried: the message itself was refused | undeliverable |
//!
//! "Retry later" makes the receiver answer 5xx, so Kaltura redelivers.

use std::time::Duration;

use common::{Clock, Transport};
use discord_api::rest::{classify, ApiError};
use notify_log::Attempt;

/// Limits of the retries within one Kaltura request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long one Kaltura request may spend delivering, in all.
    pub budget: Duration,
    /// How many tries per message at most.
    pub max_attempts: u32,
    /// The timeout of one try.
    pub attempt_timeout: Duration,
    /// The first backoff after a 5xx or no answer; doubled for each further try.
    pub first_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// No try starts with less time than this left.
    pub min_attempt: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            budget: Duration::from_secs(10),
            max_attempts: 5,
            attempt_timeout: Duration::from_secs(4),
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(2),
            min_attempt: Duration::from_millis(500),
        }
    }
}

impl Policy {
    /// The wait after failed try number `attempt` (1-based) for a 5xx or no answer.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
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

/// What one answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No more tries.
    Final(Outcome),
    /// Try again after `wait`.
    Retry {
        /// How long to wait.
        wait: Duration,
        /// What went wrong.
        why: String,
    },
}

/// Judges the answer to try number `attempt` (1-based); also returns the status.
pub fn judge(
    answer: Result<http::Response<Vec<u8>>, String>,
    attempt: u32,
    policy: &Policy,
) -> (Verdict, Option<u16>) {
    let response = match answer {
        Ok(response) => response,
        Err(why) => {
            return (
                Verdict::Retry {
                    wait: policy.backoff(attempt),
                    why: format!("no answer from Discord ({why})"),
                },
                None,
            )
        }
    };
    let status = response.status().as_u16();
    let verdict = match classify(response) {
        Ok(body) => Verdict::Final(Outcome::Delivered {
            message_id: serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_owned)),
        }),
        Err(ApiError::RateLimited {
            retry_after,
            global,
        }) => Verdict::Retry {
            wait: retry_after,
            why: format!(
                "rate limited{}; retry after {} ms",
                if global { " (global)" } else { "" },
                retry_after.as_millis()
            ),
        },
        Err(ApiError::ServerError(code)) => Verdict::Retry {
            wait: policy.backoff(attempt),
            why: format!("Discord answered {code}"),
        },
        Err(ApiError::Forbidden) => Verdict::Final(Outcome::Undeliverable(
            "Discord answered 403: the bot may not post in this channel (it needs View Channel and Send Messages)".into(),
        )),
        Err(ApiError::NotFound) => Verdict::Final(Outcome::Undeliverable(
            "Discord answered 404: the channel does not exist, or the bot cannot see it".into(),
        )),
        Err(ApiError::Unauthorized) => Verdict::Final(Outcome::RetryLater(
            "Discord answered 401: the bot token (discord_bot_token) was refused".into(),
        )),
        Err(other) => Verdict::Final(Outcome::Undeliverable(other.to_string())),
    };
    (verdict, Some(status))
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
/// (until `deadline_ms`, Unix milliseconds) run out.
pub fn deliver(
    transport: &dyn Transport,
    clock: &dyn Clock,
    request: &http::Request<Vec<u8>>,
    deadline_ms: u64,
    policy: &Policy,
) -> Report {
    let mut attempts = Vec::new();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let now = clock.now_millis();
        let remaining = deadline_ms.saturating_sub(now);
        if remaining < millis(policy.min_attempt) {
            return Report {
                outcome: Outcome::RetryLater("the request's time budget is used up".into()),
                attempts,
            };
        }
        let timeout = policy.attempt_timeout.min(Duration::from_millis(remaining));
        let (verdict, status) = judge(transport.send(copy(request), timeout), attempt, policy);
        match verdict {
            Verdict::Final(outcome) => {
                let result = match &outcome {
                    Outcome::Delivered { .. } => "delivered".to_owned(),
                    Outcome::Undeliverable(why) | Outcome::RetryLater(why) => why.clone(),
                };
                attempts.push(Attempt {
                    at_ms: now,
                    status,
                    result,
                    wait_ms: None,
                });
                return Report { outcome, attempts };
            }
            Verdict::Retry { wait, why } => {
                let give_up = if attempt >= policy.max_attempts {
                    Some(format!("{why}; gave up after {attempt} tries"))
                } else if clock
                    .now_millis()
                    .saturating_add(millis(wait))
                    .saturating_add(millis(policy.min_attempt))
                    > deadline_ms
                {
                    Some(format!(
                        "{why}; that wait does not fit the request's time budget"
                    ))
                } else {
                    None
                };
                attempts.push(Attempt {
                    at_ms: now,
                    status,
                    result: why,
                    wait_ms: give_up.is_none().then(|| millis(wait)),
                });
                if let Some(reason) = give_up {
                    return Report {
                        outcome: Outcome::RetryLater(reason),
                        attempts,
                    };
                }
                clock.sleep(wait);
            }
        }
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
