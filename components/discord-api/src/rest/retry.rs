//! Discord's retry rule, once: after a failed call, whether to try again and after how
//! long. Every component that calls Discord decides with [`RetryPolicy::next_try`]; only
//! the numbers (how many tries, how long a wait is acceptable) are its own.
//!
//! | failure | wait before the next try |
//! |---|---|
//! | `429` | what Discord asked for (`retry_after`, see [`super::classify`]) |
//! | `5xx`, or no answer at all | [`RetryPolicy::backoff`]: `first_backoff`, doubled each try, at most `max_backoff` |
//! | anything else | none: retrying cannot help ([`GiveUp::Refused`]) |
//!
//! The try is not repeated when the tries are used up ([`GiveUp::OutOfAttempts`]) or the
//! wait is longer than the caller accepts ([`GiveUp::WaitTooLong`]); both carry the wait,
//! so a caller that cannot wait can tell its own client when to come back
//! ([`retry_after_secs`] for a `Retry-After` header).
//!
//! Spec: <https://discord.com/developers/docs/topics/rate-limits>.

use std::time::Duration;

use super::ApiError;

/// A failed try, as the retry rule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure<'a> {
    /// Discord answered with an error ([`super::classify`]).
    Answered(&'a ApiError),
    /// Discord did not answer: the connection failed or timed out. A caller that does
    /// not retry unanswered tries never asks about them.
    NoAnswer,
}

/// What to do after a failed try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextTry {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Do not try again now.
    GiveUp(GiveUp),
}

/// Why a failed try is not repeated now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GiveUp {
    /// Discord refused the request itself (a `4xx` other than `429`, or a body that is
    /// not the JSON expected): the same request will fail again.
    Refused,
    /// Every try is used; the same request may succeed after `wait`.
    OutOfAttempts {
        /// The wait Discord asked for, or the backoff.
        wait: Duration,
    },
    /// The wait is longer than the caller accepts; the same request may succeed after it.
    WaitTooLong {
        /// The wait Discord asked for, or the backoff.
        wait: Duration,
    },
}

impl GiveUp {
    /// When the same request may succeed, if it may at all.
    pub fn wait(self) -> Option<Duration> {
        match self {
            Self::Refused => None,
            Self::OutOfAttempts { wait } | Self::WaitTooLong { wait } => Some(wait),
        }
    }
}

/// How one caller retries its Discord calls: the numbers of the one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first one included; `1` never retries.
    pub max_attempts: u32,
    /// The longest wait accepted before a retry.
    pub max_wait: Duration,
    /// The wait after the first `5xx` or unanswered try; doubled after each further one.
    pub first_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// Never retry: for a caller that answers its own client at once and passes the wait
    /// on (the gateway's `503` with `Retry-After`).
    pub const NO_RETRY: Self = Self {
        max_attempts: 1,
        max_wait: Duration::ZERO,
        first_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(1),
    };

    /// The same policy accepting waits of at most `max_wait` (e.g. what is left of a
    /// time budget).
    #[must_use]
    pub fn with_max_wait(self, max_wait: Duration) -> Self {
        Self { max_wait, ..self }
    }

    /// The wait after failed try number `attempt` (1-based) for a `5xx` or no answer.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// Whether and when to repeat try number `attempt` (1-based) that failed with
    /// `failure`.
    pub fn next_try(&self, failure: Failure<'_>, attempt: u32) -> NextTry {
        let wait = match failure {
            Failure::Answered(ApiError::RateLimited { retry_after, .. }) => *retry_after,
            Failure::Answered(ApiError::ServerError(_)) | Failure::NoAnswer => {
                self.backoff(attempt)
            }
            Failure::Answered(_) => return NextTry::GiveUp(GiveUp::Refused),
        };
        if attempt >= self.max_attempts {
            NextTry::GiveUp(GiveUp::OutOfAttempts { wait })
        } else if wait > self.max_wait {
            NextTry::GiveUp(GiveUp::WaitTooLong { wait })
        } else {
            NextTry::RetryAfter(wait)
        }
    }
}

/// A wait as a `Retry-After` header's whole seconds: rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        max_wait: Duration::from_secs(2),
        first_backoff: Duration::from_millis(250),
        max_backoff: Duration::from_millis(800),
    };

    fn limited(ms: u64) -> ApiError {
        ApiError::RateLimited {
            retry_after: Duration::from_millis(ms),
            global: false,
        }
    }

    #[test]
    fn a_429_is_retried_after_the_wait_discord_asked_for() {
        assert_eq!(
            POLICY.next_try(Failure::Answered(&limited(1500)), 1),
            NextTry::RetryAfter(Duration::from_millis(1500))
        );
    }

    #[test]
    fn server_errors_and_silence_back_off_exponentially_up_to_the_cap() {
        let failing = ApiError::ServerError(StatusCode::BAD_GATEWAY);
        let waits: Vec<Duration> = (1..=4).map(|n| POLICY.backoff(n)).collect();
        assert_eq!(waits, [250, 500, 800, 800].map(Duration::from_millis));
        assert_eq!(
            POLICY.next_try(Failure::Answered(&failing), 2),
            NextTry::RetryAfter(Duration::from_millis(500))
        );
        assert_eq!(
            POLICY.next_try(Failure::NoAnswer, 1),
            NextTry::RetryAfter(Duration::from_millis(250))
        );
    }

    #[test]
    fn a_refusal_is_never_retried() {
        for refused in [
            ApiError::Forbidden,
            ApiError::NotFound,
            ApiError::Unauthorized,
            ApiError::Decode,
        ] {
            assert_eq!(
                POLICY.next_try(Failure::Answered(&refused), 1),
                NextTry::GiveUp(GiveUp::Refused),
                "{refused}"
            );
        }
    }

    #[test]
    fn the_last_try_gives_up_with_the_wait_for_a_later_one() {
        let last = POLICY.next_try(Failure::Answered(&limited(300)), 3);
        assert_eq!(
            last,
            NextTry::GiveUp(GiveUp::OutOfAttempts {
                wait: Duration::from_millis(300)
            })
        );
        let NextTry::GiveUp(give_up) =
            RetryPolicy::NO_RETRY.next_try(Failure::Answered(&limited(1500)), 1)
        else {
            panic!("never retries");
        };
        assert_eq!(give_up.wait().map(retry_after_secs), Some(2));
    }

    #[test]
    fn a_wait_longer_than_accepted_gives_up_and_says_how_long() {
        assert_eq!(
            POLICY.next_try(Failure::Answered(&limited(60_000)), 1),
            NextTry::GiveUp(GiveUp::WaitTooLong {
                wait: Duration::from_secs(60)
            })
        );
        let budget = POLICY.with_max_wait(Duration::from_millis(100));
        assert!(matches!(
            budget.next_try(Failure::NoAnswer, 1),
            NextTry::GiveUp(GiveUp::WaitTooLong { .. })
        ));
    }

    #[test]
    fn retry_after_seconds_round_up_and_are_at_least_one() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
