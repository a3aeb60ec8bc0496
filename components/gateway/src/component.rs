//! The Spin adapter: reads the request, runs [`api::handle`] with the library services
//! as imported (`contracts::Imported`), the `default` key-value store (through
//! `wasi:keyvalue`, whose `atomics` count the rate limits: `increment`) and Spin's
//! outbound HTTP as its backend, and writes the response.

use crate::api;
use crate::backend::Backend;
use contracts::Imported;
use spin_adapter::{SpinVariables, WasiCasStore};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
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
/// its pollable with the executor spin-sdk runs the handler on.
struct Deadline {
    at: u64,
    _registration: Option<spin_executor::CancelOnDropToken>,
}

impl Deadline {
    fn after(duration: Duration) -> Self {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        Self {
            at: wasi::clocks::monotonic_clock::now().saturating_add(nanos),
            _registration: None,
        }
    }
}

impl Future for Deadline {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if wasi::clocks::monotonic_clock::now() >= self.at {
            return Poll::Ready(());
        }
        let pollable = wasi::clocks::monotonic_clock::subscribe_instant(self.at);
        let token = spin_executor::push_waker_and_get_token(pollable, cx.waker().clone());
        self._registration = Some(token.into());
        Poll::Pending
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

#[spin_sdk::http_component]
async fn handle(request: IncomingRequest, out: ResponseOutparam) {
    let request_id = spin_adapter::begin_request("gateway");
    let request = match spin_adapter::read_request(request, BODY_LIMIT) {
        Ok(request) => request,
        Err(err) => {
            let error = err.api_error();
            common::telemetry::http_request("(body not read)", error.status);
            return spin_adapter::respond_error(out, &error, &[("x-request-id", &request_id)]);
        }
    };
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
    let headers: Vec<(&str, &str)> = response
        .headers
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    if response.body.is_empty() {
        spin_adapter::respond(out, response.status, &headers, &[]);
    } else {
        spin_adapter::respond_json(out, response.status, &response.body, &headers);
    }
    // After the answer: due event deliveries (Spin keeps the instance until this ends),
    // except after liveness and the document, which touch nothing.
    if crate::subscriptions::pumps_after(&request.path_with_query) {
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
