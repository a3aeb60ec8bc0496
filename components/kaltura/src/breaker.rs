//! The circuit breaker in front of Kaltura. Its state lives in the key-value store, so
//! every replica and every per-request instance sees the same circuit: after
//! `failure_threshold` consecutive failures it opens and calls fail fast; after
//! `cool_down` one call is let through (half-open) and its outcome closes or re-opens it.
//! Each outcome is recorded with [`common::cas::update`], so failures reported at once by
//! several instances all count.

use common::cas::{self, Change, DynCasStore, UpdateError};
use common::StoreError;
use serde::{Deserialize, Serialize};

/// When the circuit opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// Seconds the circuit stays open before a trial call.
    pub cool_down_secs: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cool_down_secs: 30,
        }
    }
}

/// The stored state (JSON under [`crate::keys::BREAKER`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The schema of this document.
    pub schema: u32,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// When the circuit opened (Unix seconds), if it is open.
    pub opened_at: Option<u64>,
}

/// Whether a call may go to Kaltura now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The circuit is closed: call.
    Closed,
    /// The cool-down has passed: this call is the trial.
    Trial,
    /// The circuit is open: fail fast; a trial is allowed in `retry_after_secs`.
    Open {
        /// Seconds until a trial call is allowed.
        retry_after_secs: u64,
    },
}

impl State {
    /// Decides whether a call may go ahead at `now`.
    pub fn admit(&self, policy: &Policy, now: u64) -> Admission {
        match self.opened_at {
            None => Admission::Closed,
            Some(opened) => {
                let reopen_at = opened.saturating_add(policy.cool_down_secs);
                if now >= reopen_at {
                    Admission::Trial
                } else {
                    Admission::Open {
                        retry_after_secs: reopen_at - now,
                    }
                }
            }
        }
    }

    /// The state after a successful call: closed, no failures.
    pub fn succeeded(&self) -> Self {
        Self {
            schema: 1,
            consecutive_failures: 0,
            opened_at: None,
        }
    }

    /// The state after a failed call at `now`: open once the threshold is reached (a
    /// failed trial re-opens it for a new cool-down).
    pub fn failed(&self, policy: &Policy, now: u64) -> Self {
        let failures = self.consecutive_failures.saturating_add(1);
        Self {
            schema: 1,
            consecutive_failures: failures,
            opened_at: (failures >= policy.failure_threshold).then_some(now),
        }
    }
}

/// The breaker over a key-value store.
pub struct Breaker<'a> {
    kv: &'a dyn DynCasStore,
    policy: Policy,
}

fn decode(bytes: Option<&[u8]>) -> State {
    bytes
        .and_then(|bytes| serde_json::from_slice(bytes).ok())
        .unwrap_or_default()
}

impl<'a> Breaker<'a> {
    /// A breaker with `policy` whose state is in `kv`.
    pub fn new(kv: &'a dyn DynCasStore, policy: Policy) -> Self {
        Self { kv, policy }
    }

    /// The current state; a missing or unreadable document is a closed circuit.
    ///
    /// # Errors
    /// The store failing.
    pub fn state(&self) -> Result<State, StoreError> {
        Ok(decode(cas::read(self.kv, crate::keys::BREAKER)?.as_deref()))
    }

    /// Whether a call may go ahead at `now`.
    ///
    /// # Errors
    /// The store failing.
    pub fn admit(&self, now: u64) -> Result<Admission, StoreError> {
        Ok(self.state()?.admit(&self.policy, now))
    }

    /// Records a call's outcome at `now`. A success on an already closed circuit with
    /// no failures writes nothing.
    ///
    /// # Errors
    /// The store failing.
    pub fn record(&self, success: bool, now: u64) -> Result<(), StoreError> {
        cas::update(self.kv, crate::keys::BREAKER, |current| {
            let state = decode(current);
            let next = if success {
                state.succeeded()
            } else {
                state.failed(&self.policy, now)
            };
            if next == state || (success && state == State::default()) {
                return Ok((Change::Keep, ()));
            }
            let bytes = serde_json::to_vec(&next).map_err(|e| StoreError::Other(e.to_string()))?;
            Ok((Change::Write(bytes), ()))
        })
        .map_err(UpdateError::flatten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::cas::MemoryCasStore;

    const POLICY: Policy = Policy {
        failure_threshold: 3,
        cool_down_secs: 30,
    };

    #[test]
    fn the_circuit_opens_after_the_threshold_of_consecutive_failures() {
        let kv = MemoryCasStore::default();
        let breaker = Breaker::new(&kv, POLICY);
        for _ in 0..2 {
            breaker.record(false, 100).unwrap();
            assert_eq!(breaker.admit(100).unwrap(), Admission::Closed);
        }
        breaker.record(false, 100).unwrap();
        assert_eq!(
            breaker.admit(110).unwrap(),
            Admission::Open {
                retry_after_secs: 20
            }
        );
    }

    #[test]
    fn a_success_resets_the_count() {
        let kv = MemoryCasStore::default();
        let breaker = Breaker::new(&kv, POLICY);
        breaker.record(false, 1).unwrap();
        breaker.record(false, 1).unwrap();
        breaker.record(true, 1).unwrap();
        breaker.record(false, 1).unwrap();
        assert_eq!(breaker.admit(1).unwrap(), Admission::Closed);
    }

    #[test]
    fn after_the_cool_down_one_trial_decides() {
        let kv = MemoryCasStore::default();
        let breaker = Breaker::new(&kv, POLICY);
        for _ in 0..3 {
            breaker.record(false, 100).unwrap();
        }
        assert_eq!(breaker.admit(130).unwrap(), Admission::Trial);
        breaker.record(false, 130).unwrap();
        assert!(matches!(
            breaker.admit(131).unwrap(),
            Admission::Open { .. }
        ));
        assert_eq!(breaker.admit(160).unwrap(), Admission::Trial);
        breaker.record(true, 160).unwrap();
        assert_eq!(breaker.admit(161).unwrap(), Admission::Closed);
    }

    #[test]
    fn a_healthy_circuit_writes_nothing() {
        let kv = MemoryCasStore::default();
        Breaker::new(&kv, POLICY).record(true, 1).unwrap();
        assert!(kv.keys().is_empty());
    }

    #[test]
    fn failures_recorded_at_once_by_two_instances_both_count() {
        let kv = MemoryCasStore::default();
        let breaker = Breaker::new(&kv, POLICY);
        breaker.record(false, 100).unwrap();
        kv.before_next_swap(|other| Breaker::new(other, POLICY).record(false, 100).unwrap());
        breaker.record(false, 100).unwrap();
        assert_eq!(breaker.state().unwrap().consecutive_failures, 3);
        assert!(matches!(
            breaker.admit(101).unwrap(),
            Admission::Open { .. }
        ));
    }

    #[test]
    fn the_state_is_shared_through_the_store() {
        let kv = MemoryCasStore::default();
        for _ in 0..3 {
            Breaker::new(&kv, POLICY).record(false, 100).unwrap();
        }
        assert!(matches!(
            Breaker::new(&kv, POLICY).admit(101).unwrap(),
            Admission::Open { .. }
        ));
    }
}
