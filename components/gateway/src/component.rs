//! The Spin adapter: reads the request, runs [`api::handle`] with the library services
//! as imported (`contracts::Imported`), the `default` key-value store (through
//! `wasi:keyvalue`, whose `atomics` count the rate limits: `increment`) and Spin's
//! outbound HTTP as its backend, and writes the response.
//!
//! Two builds of the same adapter: WASIp3 (`wasi:http@0.3.0`; Spin 4 reuses its
//! instances) by default, WASIp2 (`wasi:http@0.2.0`, spin-sdk 5.2; Spin 3.x) with the
//! `wasip2` feature. Only the entry point and the outbound call's timeout differ;
//! nothing is kept in the instance.

use crate::api;
use crate::backend::Backend;
use contracts::Imported;
use spin_adapter::{SpinVariables, WasiCasStore};
use std::time::Duration;

/// Requests to the gateway carry small JSON documents; anything larger is refused.
const BODY_LIMIT: usize = 64 * 1024;

/// The variable with how long a call to Discord may take, in milliseconds (100 to
/// 60000), before the request gives up on it.
const DISCORD_TIMEOUT_SETTING: &str = "gateway_discord_timeout_ms";
/// The timeout when the variable is unset.
const DEFAULT_DISCORD_TIMEOUT: Duration = Duration::from_secs(10);

/// The backend of one request (one instance).
struct WitBackend {
    /// The `default` store, through `wasi:keyvalue` for its atomic increment.
    store: WasiCasStore,
    /// This request's id (the `x-request-id` header and every log line).
    request_id: String,
}

impl WitBackend {
    fn discord_timeout(&self) -> Duration {
        let Some(raw) = self.setting(DISCORD_TIMEOUT_SETTING) else {
            return DEFAULT_DISCORD_TIMEOUT;
        };
        match raw.trim().parse::<u64>() {
            Ok(ms) if (100..=60_000).contains(&ms) => Duration::from_millis(ms),
            _ => {
                self.log(&format!(
                    "{DISCORD_TIMEOUT_SETTING} must be 100 to 60000; using {} ms",
                    DEFAULT_DISCORD_TIMEOUT.as_millis()
                ));
                DEFAULT_DISCORD_TIMEOUT
            }
        }
    }
}

/// A future that is ready once the monotonic clock passes a deadline; it registers
/// its pollable with the executor spin-sdk 5.2 runs the handler on (WASIp2 only).
#[cfg(feature = "wasip2")]
struct Deadline {
    at: u64,
    _registration: Option<spin_executor::CancelOnDropToken>,
}

#[cfg(feature = "wasip2")]
impl Deadline {
    fn after(duration: Duration) -> Self {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        Self {
            at: wasi::clocks::monotonic_clock::now().saturating_add(nanos),
            _registration: None,
        }
    }
}

#[cfg(feature = "wasip2")]
impl std::future::Future for Deadline {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if wasi::clocks::monotonic_clock::now() >= self.at {
            return std::task::Poll::Ready(());
        }
        let pollable = wasi::clocks::monotonic_clock::subscribe_instant(self.at);
        let token = spin_executor::push_waker_and_get_token(pollable, cx.waker().clone());
        self._registration = Some(token.into());
        std::task::Poll::Pending
    }
}

impl Backend for WitBackend {
    type Rates = WasiCasStore;

    fn config(&self) -> &dyn contracts::Config {
        &Imported
    }

    fn members(&self) -> &dyn contracts::Members {
        &Imported
    }

    fn tokens(&self) -> &dyn contracts::Tokens {
        &Imported
    }

    fn api_keys(&self) -> &dyn contracts::ApiKeys {
        &Imported
    }

    fn kaltura(&self) -> &dyn contracts::Kaltura {
        &Imported
    }

    fn events(&self) -> &dyn contracts::Events {
        &Imported
    }

    fn watch(&self) -> &dyn contracts::Watch {
        &Imported
    }

    fn setting(&self, name: &str) -> Option<String> {
        common::Variables::get(&SpinVariables, name)
    }

    fn request_id(&self) -> String {
        self.request_id.clone()
    }

    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn now_ms(&self) -> u64 {
        common::ports::unix_millis(std::time::SystemTime::now())
    }

    async fn wait(&self, duration: Duration) {
        wait_for(duration).await;
    }

    fn log(&self, line: &str) {
        common::telemetry::log(common::telemetry::Level::Warn, line);
    }

    fn rates(&self) -> &WasiCasStore {
        &self.store
    }

    fn store(&self) -> &dyn common::KeyValue {
        &self.store
    }

    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, String> {
        let timeout = self.discord_timeout();
        send_within(request, timeout).await
    }
}

/// Waits `duration`: under WASIp2 a timer on spin-sdk 5.2's executor (each request has
/// its own instance, so nothing else waits on it).
#[cfg(feature = "wasip2")]
async fn wait_for(duration: Duration) {
    Deadline::after(duration).await;
}

/// Waits `duration`: under WASIp3 the host's asynchronous timer, so the instance's
/// other requests go on meanwhile.
#[cfg(not(feature = "wasip2"))]
async fn wait_for(duration: Duration) {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    wasip3::clocks::monotonic_clock::wait_for(nanos).await;
}

/// Sends `request` through Spin's outbound HTTP, giving up after `timeout`: under
/// WASIp2 with a timer on spin-sdk 5.2's executor.
#[cfg(feature = "wasip2")]
async fn send_within(
    request: http::Request<Vec<u8>>,
    timeout: Duration,
) -> Result<http::Response<Vec<u8>>, String> {
    {
        let send = std::pin::pin!(spin_adapter::send(request));
        let deadline = std::pin::pin!(Deadline::after(timeout));
        match futures::future::select(send, deadline).await {
            futures::future::Either::Left((result, _)) => result.map_err(|err| err.0),
            futures::future::Either::Right(((), _)) => {
                Err(format!("no answer within {} ms", timeout.as_millis()))
            }
        }
    }
}

/// Sends `request` through Spin's outbound HTTP, giving up after `timeout`: under
/// WASIp3 with the host's wasi-http timeouts (connect, first byte, between bytes), the
/// call blocking this request's task.
#[cfg(not(feature = "wasip2"))]
async fn send_within(
    request: http::Request<Vec<u8>>,
    timeout: Duration,
) -> Result<http::Response<Vec<u8>>, String> {
    let started = std::time::Instant::now();
    spin_adapter::send_with_timeouts_blocking(request, spin_adapter::Timeouts::all(timeout))
        .map_err(|err| {
            if started.elapsed() >= timeout || err.0.contains("timed out") {
                format!("no answer within {} ms", timeout.as_millis())
            } else {
                err.0
            }
        })
}

/// The gateway as Spin serves it ([`spin_adapter::export_http_component!`]).
pub struct Gateway;

impl spin_adapter::HttpComponent for Gateway {
    const NAME: &'static str = "gateway";
    const BODY_LIMIT: usize = BODY_LIMIT;
    const UNREAD_ROUTE: &'static str = "(body not read)";

    async fn answer(
        request: spin_adapter::ReadRequest,
        request_id: String,
    ) -> spin_adapter::Answer {
        let forwarded_for = request.header_values("x-forwarded-for");
        let backend = WitBackend {
            store: spin_adapter::cas_store(),
            request_id,
        };
        let response = api::handle(
            &api::Request {
                method: &request.method,
                path_with_query: &request.path_with_query,
                origin: request.header("origin"),
                authorization: request.header("authorization"),
                if_match: request.header("if-match"),
                // Spin appends its own after any the client sent: the last one is Spin's.
                client_addr: request.spin_header("spin-client-addr"),
                forwarded_for: &forwarded_for,
                body: &request.body,
            },
            &backend,
        )
        .await;
        let path_with_query = request.path_with_query;
        spin_adapter::Answer::json(response.status, response.body, response.headers)
            .then(move || after_answer(&path_with_query))
    }
}

spin_adapter::export_http_component!(crate::component::Gateway);

/// After the answer: due event deliveries (Spin keeps the instance until this ends),
/// except after liveness and the document, which touch nothing.
fn after_answer(path_with_query: &str) {
    if crate::subscriptions::pumps_after(path_with_query) {
        if let Err(err) =
            contracts::Events::pump(&Imported, crate::subscriptions::PUMP_AFTER_RESPONSE)
        {
            common::telemetry::log(
                common::telemetry::Level::Warn,
                &format!("events pump: {}: {}", err.kind().name(), err.message()),
            );
        }
    }
}
