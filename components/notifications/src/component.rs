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

/// The webhook receiver as Spin serves it ([`spin_adapter::export_http_component!`]).
pub struct Notifications;

impl spin_adapter::HttpComponent for Notifications {
    const NAME: &'static str = "notifications";
    const BODY_LIMIT: usize = crate::receiver::BODY_LIMIT;
    const UNREAD_ROUTE: &'static str = ROUTE;

    async fn answer(
        request: spin_adapter::ReadRequest,
        request_id: String,
    ) -> spin_adapter::Answer {
        let reply = answer(&request);
        spin_adapter::Answer::json(reply.status, reply.body, vec![("x-request-id", request_id)])
            .then(after_answer)
    }
}

spin_adapter::export_http_component!(crate::component::Notifications);
