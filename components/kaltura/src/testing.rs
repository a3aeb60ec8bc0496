//! Fakes for the unit tests: a Kaltura that answers in its real wire format from a
//! script (JSON in a 200, `KalturaAPIException` in a 200, 5xx, timeouts) and records
//! every request; predictable randomness; and a fixture holding them with `common`'s
//! in-memory store, variables and clock (whose sleeps only move it forward).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::Duration;

use common::cas::MemoryCasStore;
use common::{FakeClock, MemoryVariables, Random, Transport};
use serde_json::Value;

use crate::breaker;
use crate::ports::Env;
use crate::resilience::{RetryPolicy, Upstream};
use crate::service::Service;
use crate::settings::{self, Api};

/// The fake admin secret of the shared fixtures.
pub const ADMIN_SECRET: &str = "0123456789abcdef0123456789abcdef";
/// The fixtures' partner.
pub const PARTNER_ID: &str = "1234567";
/// The fake clock's start: 2023-11-14T22:13:20Z.
pub const NOW_MS: u64 = 1_700_000_000_000;

/// One request the fake Kaltura received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method.
    pub method: String,
    /// The full URI.
    pub uri: String,
    /// The `content-type` header.
    pub content_type: String,
    /// The body as JSON (`null` when it is not JSON).
    pub json: Value,
    /// The timeout the request was sent with.
    pub timeout: Duration,
}

enum Answer {
    Response(u16, String),
    Timeout,
}

/// A scripted Kaltura: answers requests in order; with no answer left it refuses the
/// connection.
#[derive(Default)]
pub struct FakeKaltura {
    answers: RefCell<VecDeque<Answer>>,
    requests: RefCell<Vec<Recorded>>,
}

impl FakeKaltura {
    /// Answers the next request with `body` as JSON in a 200.
    pub fn script_json(&self, body: &str) {
        self.script_status(200, body);
    }

    /// Answers the next request with `status` and `body`.
    pub fn script_status(&self, status: u16, body: &str) {
        self.answers
            .borrow_mut()
            .push_back(Answer::Response(status, body.to_owned()));
    }

    /// Answers the next request with a `KalturaAPIException` inside a 200, as Kaltura does.
    pub fn script_exception(&self, code: &str, message: &str) {
        let body = serde_json::json!({
            "code": code,
            "message": message,
            "objectType": "KalturaAPIException",
            "args": {}
        });
        self.script_json(&body.to_string());
    }

    /// Lets the next request time out.
    pub fn script_timeout(&self) {
        self.answers.borrow_mut().push_back(Answer::Timeout);
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.borrow().clone()
    }

    /// The timeout of every request received.
    pub fn timeouts(&self) -> Vec<Duration> {
        self.requests.borrow().iter().map(|r| r.timeout).collect()
    }

    /// How many scripted answers are still unused.
    pub fn unused(&self) -> usize {
        self.answers.borrow().len()
    }
}

impl Transport for FakeKaltura {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, String> {
        self.requests.borrow_mut().push(Recorded {
            method: request.method().to_string(),
            uri: request.uri().to_string(),
            content_type: request
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            json: serde_json::from_slice(request.body()).unwrap_or(Value::Null),
            timeout,
        });
        match self.answers.borrow_mut().pop_front() {
            Some(Answer::Response(status, body)) => http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(body.into_bytes())
                .map_err(|e| e.to_string()),
            Some(Answer::Timeout) => {
                Err("outbound request failed: timed out (ConnectionReadTimeout)".into())
            }
            None => Err("outbound request failed: ConnectionRefused".into()),
        }
    }
}

/// Predictable "random" bytes.
pub struct SeqRandom {
    byte: Option<u8>,
    next: Cell<u8>,
}

impl SeqRandom {
    /// Bytes 0, 1, 2, ... (the KS fixtures' nonce is 00..0f).
    pub fn counting() -> Self {
        Self {
            byte: None,
            next: Cell::new(0),
        }
    }

    /// Always zero: no jitter.
    pub fn zeros() -> Self {
        Self {
            byte: Some(0),
            next: Cell::new(0),
        }
    }
}

impl Random for SeqRandom {
    fn fill(&self, bytes: &mut [u8]) {
        for b in bytes {
            *b = match self.byte {
                Some(fixed) => fixed,
                None => {
                    let n = self.next.get();
                    self.next.set(n.wrapping_add(1));
                    n
                }
            };
        }
    }
}

/// Ports and settings for one test.
pub struct Fixture {
    /// The store.
    pub kv: MemoryCasStore,
    /// The settings.
    pub vars: MemoryVariables,
    /// The fake Kaltura.
    pub kaltura: FakeKaltura,
    /// The clock.
    pub clock: FakeClock,
    /// The randomness.
    pub random: SeqRandom,
}

impl Fixture {
    /// A deployment with the admin secret.
    pub fn new() -> Self {
        Self::with_kv(MemoryCasStore::default())
    }

    /// The same, over `kv`.
    pub fn with_kv(kv: MemoryCasStore) -> Self {
        Self {
            kv,
            vars: MemoryVariables::from_pairs(&[
                (settings::PARTNER_ID, PARTNER_ID),
                (settings::SERVICE_URL, "https://kaltura.test"),
                (settings::ADMIN_SECRET, ADMIN_SECRET),
            ]),
            kaltura: FakeKaltura::default(),
            clock: FakeClock::at_millis(NOW_MS),
            random: SeqRandom::counting(),
        }
    }

    /// A deployment with the app token of the PROTOCOLS §6 vector (SHA256) instead.
    pub fn app_token() -> Self {
        Self::new()
            .without(settings::ADMIN_SECRET)
            .with(settings::APP_TOKEN_ID, "0_tok")
            .with(settings::APP_TOKEN, "abcdef0123456789abcdef0123456789")
            .with(settings::APP_TOKEN_HASH_TYPE, "SHA256")
    }

    /// Sets a variable.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.vars.0.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Unsets a variable.
    pub fn without(mut self, name: &str) -> Self {
        self.vars.0.remove(name);
        self
    }

    /// The ports.
    pub fn env(&self) -> Env<'_> {
        Env {
            vars: &self.vars,
            kv: &self.kv,
            transport: &self.kaltura,
            clock: &self.clock,
            random: &self.random,
        }
    }

    /// The upstream with default policies.
    pub fn upstream(&self) -> Upstream<'_> {
        Upstream::new(
            self.env(),
            settings::DEFAULT_REQUEST_TIMEOUT,
            RetryPolicy::default(),
            breaker::Policy::default(),
        )
    }

    /// The API settings.
    pub fn api(&self) -> Api {
        match settings::api(&self.vars) {
            Ok(api) => api,
            Err(err) => panic!("fixture settings: {err}"),
        }
    }

    /// The service.
    pub fn service(&self) -> Service<'_> {
        Service::new(self.env())
    }
}
