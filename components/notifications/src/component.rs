//! The Spin adapter: reads the request within the size limit, fills the ports from Spin
//! (`spin-adapter`'s `wasi:keyvalue` store `default` with its atomics, outbound HTTP with
//! timeouts and clock; the composed `config` and `kaltura` services as
//! [`contracts::Imported`]) and answers what the host-free [`crate::handler`] decided,
//! with one log line on stderr.
//!
//! Two builds of the same adapter: WASIp3 (`wasi:http@0.3.0`; Spin 4 reuses its
//! instances) by default, WASIp2 (`wasi:http@0.2.0`, spin-sdk 5.2; Spin 3.x) with the
//! `wasip2` feature. Only the entry point differs; nothing is kept in the instance.

use contracts::Imported;
use spin_adapter::{HostTransport, SpinVariables, SystemClock};

use crate::handler::{self, Env, Incoming};

/// The route of this component's trigger (spin.toml), the `route` of its metric events.
const ROUTE: &str = "/webhooks/kaltura";

/// The answer to one read request (logged and counted).
fn answer(request: &spin_adapter::ReadRequest) -> handler::Reply {
    let store = spin_adapter::cas_store();
    let env = Env {
        vars: &SpinVariables,
        store: &store,
        transport: &HostTransport,
        clock: &SystemClock,
        services: &Imported,
        events: &Imported,
        policy: crate::delivery::Policy::default(),
    };
    let reply = handler::handle(
        &Incoming {
            method: &request.method,
            path_with_query: &request.path_with_query,
            signature: request.header("x-kaltura-signature"),
            hash_algo: request.header("x-kaltura-hash-algo"),
            body: &request.body,
        },
        &env,
    );
    let level = if reply.status >= 500 {
        common::telemetry::Level::Error
    } else {
        common::telemetry::Level::Info
    };
    common::telemetry::log(level, &reply.log);
    common::telemetry::http_request(ROUTE, reply.status);
    reply
}

/// After the answer: due event deliveries (Spin keeps the instance until this ends).
fn after_answer() {
    if let Err(err) = contracts::Events::pump(&Imported, PUMP_AFTER_RESPONSE) {
        common::telemetry::log(
            common::telemetry::Level::Warn,
            &format!("events pump: {}: {}", err.kind().name(), err.message()),
        );
    }
}

/// The event deliveries attempted after each answer.
const PUMP_AFTER_RESPONSE: u32 = 5;

/// The WASIp2 entry point (`wasi:http@0.2.0`).
#[cfg(feature = "wasip2")]
#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest, out: spin_sdk::http::ResponseOutparam) {
    let request_id = spin_adapter::begin_request("notifications");
    let id_header = [("x-request-id", request_id.as_str())];
    let request = match spin_adapter::read_request(request, crate::receiver::BODY_LIMIT) {
        Ok(request) => request,
        Err(err) => {
            let error = err.api_error();
            common::telemetry::http_request(ROUTE, error.status);
            return spin_adapter::respond_error(out, &error, &id_header);
        }
    };
    let reply = answer(&request);
    spin_adapter::respond_json(out, reply.status, &reply.body, &id_header);
    after_answer();
}

/// The WASIp3 entry point (`wasi:http@0.3.0`); the work after the answer runs in a task
/// of this request that Spin runs to its end.
#[cfg(not(feature = "wasip2"))]
mod entry_p3 {
    use spin_adapter::p3;

    struct Component;

    wasip3::http::service::export!(Component);

    impl wasip3::exports::http::handler::Guest for Component {
        async fn handle(
            request: p3::IncomingRequest,
        ) -> Result<p3::OutgoingResponse, p3::HandlerError> {
            let request_id = spin_adapter::begin_request("notifications");
            let id_header = [("x-request-id", request_id.as_str())];
            let request = match p3::read_request(request, crate::receiver::BODY_LIMIT).await {
                Ok(request) => request,
                Err(err) => {
                    let error = err.api_error();
                    common::telemetry::http_request(super::ROUTE, error.status);
                    return Ok(p3::respond_error(&error, &id_header));
                }
            };
            let reply = super::answer(&request);
            let response =
                p3::respond_json_then(reply.status, reply.body, &id_header, super::after_answer);
            p3::body_ready().await;
            Ok(response)
        }
    }
}
