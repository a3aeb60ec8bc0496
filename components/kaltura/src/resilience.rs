//! Every call to Kaltura goes through [`Upstream::call`]: the shared circuit breaker
//! first, then the transport with a timeout, then — for idempotent reads only — retries
//! with exponential backoff and full jitter while Kaltura is unavailable.
//!
//! Only unavailability counts against the breaker and is retried: a transport failure
//! (refused, timed out), HTTP 5xx/429/408, a body that is not JSON, or an internal
//! server error reported in a 200. An answer such as "not found" or "forbidden" proves
//! Kaltura is up: it closes the circuit and is returned at once.

use std::time::Duration;

use kaltura_api::client::ApiError as KalturaError;

use crate::breaker::{self, Admission, Breaker};
use crate::error::{from_kaltura, storage, Error};
use crate::ports::Env;

/// Whether a call may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Sent once: creates, updates, deletes, and health probes.
    Never,
    /// Repeated while Kaltura is unavailable: reads, and session starts (they change
    /// nothing on Kaltura).
    Idempotent,
}

/// How often and how patiently reads are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The backoff ceiling before the second attempt; it doubles for each further one.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The backoff ceiling after `failed_attempts` failures:
    /// `min(max_delay, base_delay * 2^(failed_attempts - 1))`.
    pub fn ceiling(&self, failed_attempts: u32) -> Duration {
        let exponent = failed_attempts.saturating_sub(1).min(20);
        self.base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay)
    }

    /// The wait after `failed_attempts` failures ("full jitter"): a random duration
    /// between zero and [`Self::ceiling`], so replicas that failed together do not retry
    /// together.
    pub fn backoff(&self, failed_attempts: u32, random: &dyn common::Random) -> Duration {
        let ceiling_ms =
            u64::try_from(self.ceiling(failed_attempts).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(random.up_to(ceiling_ms))
    }
}

/// The way to Kaltura: breaker, timeout and retry policy over the environment's ports.
pub struct Upstream<'a> {
    env: Env<'a>,
    timeout: Duration,
    retry: RetryPolicy,
    breaker: breaker::Policy,
}

/// The error of a call refused by an open circuit.
pub fn circuit_open(retry_after_secs: u64) -> Error {
    Error::Unavailable(format!(
        "Kaltura is unavailable (circuit open after repeated failures; next try in {retry_after_secs} s)"
    ))
}

/// Writes the `kaltura_circuit` metric event: the breaker's state for this attempt
/// (`closed`, `half_open` for a trial, `open` when refused). Counted, the open ones
/// show that Kaltura's circuit is open (deploy/observability/alerts.yml).
fn record_admission(admission: Admission) {
    let state = match admission {
        Admission::Closed => "closed",
        Admission::Trial => "half_open",
        Admission::Open { .. } => "open",
    };
    common::telemetry::event("kaltura_circuit", &[("state", state.into())]);
}

fn copy_request(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

impl<'a> Upstream<'a> {
    /// An upstream with the given outbound timeout and policies.
    pub fn new(
        env: Env<'a>,
        timeout: Duration,
        retry: RetryPolicy,
        breaker: breaker::Policy,
    ) -> Self {
        Self {
            env,
            timeout,
            retry,
            breaker,
        }
    }

    /// Whether the circuit is open now (calls would fail at once). A store that cannot
    /// be read counts as closed: the calls themselves will report it.
    pub fn circuit_open(&self) -> bool {
        matches!(
            Breaker::new(self.env.kv, self.breaker).admit(self.env.clock.now_secs()),
            Ok(Admission::Open { .. })
        )
    }

    /// Sends `request` and reads the answer with `parse`, through the breaker, retrying
    /// unavailability when `retry` allows. A trial call of a half-open circuit is never
    /// repeated: its outcome decides the circuit.
    ///
    /// # Errors
    /// `Unavailable` when the circuit is open or the last attempt found Kaltura
    /// unavailable; `Storage` when the breaker's state cannot be read or written; the
    /// mapped Kaltura error otherwise.
    pub fn call<T>(
        &self,
        request: &http::Request<Vec<u8>>,
        retry: Retry,
        parse: impl Fn(&http::Response<Vec<u8>>) -> Result<T, KalturaError>,
    ) -> Result<T, Error> {
        let breaker = Breaker::new(self.env.kv, self.breaker);
        let attempts = match retry {
            Retry::Never => 1,
            Retry::Idempotent => self.retry.max_attempts.max(1),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let admission = breaker.admit(self.env.clock.now_secs()).map_err(storage)?;
            record_admission(admission);
            if let Admission::Open { retry_after_secs } = admission {
                return Err(circuit_open(retry_after_secs));
            }
            let outcome = self
                .env
                .transport
                .send(copy_request(request), self.timeout)
                .map_err(|why| KalturaError::Unavailable {
                    status: None,
                    detail: why,
                })
                .and_then(|response| parse(&response));
            let unavailable = matches!(&outcome, Err(err) if err.is_retryable());
            breaker
                .record(!unavailable, self.env.clock.now_secs())
                .map_err(storage)?;
            match outcome {
                Ok(value) => return Ok(value),
                Err(_) if unavailable && attempt < attempts && admission == Admission::Closed => {
                    self.env
                        .clock
                        .sleep(self.retry.backoff(attempt, self.env.random));
                }
                Err(err) => return Err(from_kaltura(err)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fixture, SeqRandom};
    use common::KeyValue;
    use kaltura_api::client::calls;

    fn ping_request() -> http::Request<Vec<u8>> {
        let client = kaltura_api::Client::new("https://kaltura.test").unwrap();
        client.request(&calls::system_ping(), None).unwrap()
    }

    fn ping(upstream: &Upstream<'_>, retry: Retry) -> Result<bool, Error> {
        let call = calls::system_ping();
        upstream.call(&ping_request(), retry, |r| call.parse_response(r))
    }

    #[test]
    fn a_read_is_retried_while_kaltura_answers_5xx_and_then_succeeds() {
        let fx = Fixture::new();
        fx.kaltura.script_status(503, "down");
        fx.kaltura.script_status(502, "bad gateway");
        fx.kaltura.script_json("true");
        let upstream = fx.upstream();
        assert_eq!(ping(&upstream, Retry::Idempotent), Ok(true));
        assert_eq!(fx.kaltura.requests().len(), 3);
        assert_eq!(fx.clock.sleeps().len(), 2, "one backoff between attempts");
        assert!(
            !upstream.circuit_open(),
            "a success closes the circuit again"
        );
    }

    #[test]
    fn every_attempt_reports_the_circuit_state_and_refusals_report_it_open() {
        let fx = Fixture::new();
        for _ in 0..40 {
            fx.kaltura.script_status(503, "down");
        }
        let upstream = fx.upstream();
        let (_, lines) = common::telemetry::capture(|| {
            for _ in 0..20 {
                let _ = ping(&upstream, Retry::Never);
            }
        });
        let states: Vec<String> = lines
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|l| l["event"] == "kaltura_circuit")
            .map(|l| l["state"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(states.len(), 20, "one event per attempt: {states:?}");
        assert_eq!(states[0], "closed");
        assert_eq!(states.last().map(String::as_str), Some("open"));
    }

    #[test]
    fn a_write_is_sent_once_even_when_kaltura_is_unavailable() {
        let fx = Fixture::new();
        fx.kaltura.script_status(503, "down");
        let upstream = fx.upstream();
        assert!(matches!(
            ping(&upstream, Retry::Never),
            Err(Error::Unavailable(_))
        ));
        assert_eq!(fx.kaltura.requests().len(), 1);
        assert!(fx.clock.sleeps().is_empty());
    }

    #[test]
    fn an_api_exception_in_a_200_is_not_retried_and_keeps_the_circuit_closed() {
        let fx = Fixture::new();
        fx.kaltura
            .script_exception("SERVICE_FORBIDDEN", "forbidden");
        let upstream = fx.upstream();
        assert!(matches!(
            ping(&upstream, Retry::Idempotent),
            Err(Error::Forbidden(_))
        ));
        assert_eq!(fx.kaltura.requests().len(), 1);
        assert!(!upstream.circuit_open());
    }

    #[test]
    fn timeouts_are_retried_and_count_against_the_breaker() {
        let fx = Fixture::new();
        for _ in 0..3 {
            fx.kaltura.script_timeout();
        }
        let upstream = fx.upstream();
        let err = ping(&upstream, Retry::Idempotent).unwrap_err();
        assert!(matches!(&err, Error::Unavailable(m) if m.contains("timed out")));
        assert_eq!(fx.kaltura.requests().len(), 3);
        assert_eq!(
            fx.kaltura.timeouts(),
            vec![Duration::from_millis(8000); 3],
            "every attempt carries the timeout"
        );
        assert!(fx.kv.get(crate::keys::BREAKER).unwrap().is_some());
    }

    #[test]
    fn an_open_circuit_fails_fast_without_sending() {
        let fx = Fixture::new();
        for _ in 0..5 {
            fx.kaltura.script_status(503, "down");
        }
        let upstream = fx.upstream();
        for _ in 0..5 {
            assert!(ping(&upstream, Retry::Never).is_err());
        }
        assert!(upstream.circuit_open());
        let err = ping(&upstream, Retry::Idempotent).unwrap_err();
        assert!(matches!(&err, Error::Unavailable(m) if m.contains("circuit open")));
        assert_eq!(fx.kaltura.requests().len(), 5);
    }

    #[test]
    fn retries_stop_when_the_circuit_opens_midway() {
        let fx = Fixture::new();
        for _ in 0..10 {
            fx.kaltura.script_status(503, "down");
        }
        let upstream = fx.upstream();
        for _ in 0..4 {
            assert!(ping(&upstream, Retry::Never).is_err());
        }
        // The fifth failure opens the circuit: the read is not attempted a second time.
        assert!(ping(&upstream, Retry::Idempotent).is_err());
        assert_eq!(fx.kaltura.requests().len(), 5);
    }

    #[test]
    fn a_half_open_trial_is_tried_once_and_its_success_closes_the_circuit() {
        let fx = Fixture::new();
        for _ in 0..6 {
            fx.kaltura.script_status(503, "down");
        }
        let upstream = fx.upstream();
        for _ in 0..5 {
            assert!(ping(&upstream, Retry::Never).is_err());
        }
        fx.clock.advance(Duration::from_secs(31));
        assert!(
            ping(&upstream, Retry::Idempotent).is_err(),
            "the trial fails"
        );
        assert_eq!(fx.kaltura.requests().len(), 6, "the trial is not retried");
        assert!(upstream.circuit_open());
        fx.clock.advance(Duration::from_secs(31));
        fx.kaltura.script_json("true");
        assert_eq!(ping(&upstream, Retry::Idempotent), Ok(true));
        assert!(!upstream.circuit_open());
    }

    #[test]
    fn backoff_grows_exponentially_with_full_jitter_under_a_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.ceiling(1), Duration::from_millis(200));
        assert_eq!(policy.ceiling(2), Duration::from_millis(400));
        assert_eq!(policy.ceiling(3), Duration::from_millis(800));
        assert_eq!(policy.ceiling(10), Duration::from_secs(2));
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(2));
        let random = SeqRandom::counting();
        for failed in 1..=6 {
            assert!(policy.backoff(failed, &random) <= policy.ceiling(failed));
        }
        assert_eq!(policy.backoff(3, &SeqRandom::zeros()), Duration::ZERO);
    }

    #[test]
    fn a_store_failure_is_reported_instead_of_calling_blind() {
        let fx = Fixture::new();
        fx.kv.fail_with(Some(common::StoreError::AccessDenied));
        let upstream = fx.upstream();
        assert!(matches!(
            ping(&upstream, Retry::Idempotent),
            Err(Error::Storage(_))
        ));
        assert!(fx.kaltura.requests().is_empty());
    }
}
