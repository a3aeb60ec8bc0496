//! The Spin adapter: reads the request within the size limit, fills the ports from Spin
//! (`spin-adapter`'s `wasi:keyvalue` store `default` with its atomics, outbound HTTP with
//! timeouts and clock; the composed `config` and `kaltura` services as
//! [`contracts::Imported`]) and answers what the host-free [`crate::handler`] decided,
//! with one log line on stderr.

use contracts::Imported;
use spin_adapter::{HostTransport, SpinVariables, SystemClock};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

use crate::handler::{self, Env, Incoming};

/// The route of this component's trigger (spin.toml), the `route` of its metric events.
const ROUTE: &str = "/webhooks/kaltura";

#[spin_sdk::http_component]
async fn handle(request: IncomingRequest, out: ResponseOutparam) {
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
    spin_adapter::respond_json(out, reply.status, &reply.body, &id_header);
    // After the answer: due event deliveries (Spin keeps the instance until this ends).
    if let Err(err) = contracts::Events::pump(&Imported, PUMP_AFTER_RESPONSE) {
        common::telemetry::log(
            common::telemetry::Level::Warn,
            &format!("events pump: {}: {}", err.kind().name(), err.message()),
        );
    }
}

/// The event deliveries attempted after each answer.
const PUMP_AFTER_RESPONSE: u32 = 5;
