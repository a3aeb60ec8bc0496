//! The Spin adapter: reads the request, calls the router with the WIT-imported services
//! as its backend, and writes the response.

wit_bindgen::generate!({ world: "gateway", path: "../../wit" });

use crate::api::{self, Backend};
use common::ServiceStatus;
use kaltura_discord::services::{config, identity, kaltura, types};
use spin_adapter::{ReadError, SpinVariables};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

/// Requests to the gateway carry small JSON documents; anything larger is refused.
const BODY_LIMIT: usize = 64 * 1024;

struct WitBackend;

fn from_wit(status: types::ServiceStatus) -> ServiceStatus {
    ServiceStatus {
        name: status.name,
        version: status.version,
        missing_settings: status.missing_settings,
        key_value_ok: status.key_value_ok,
    }
}

impl Backend for WitBackend {
    fn gateway_status(&self) -> ServiceStatus {
        ServiceStatus::check(
            "gateway",
            env!("CARGO_PKG_VERSION"),
            crate::REQUIRED_SETTINGS,
            &SpinVariables,
            spin_adapter::key_value().as_ref(),
            crate::keys::READY_PROBE,
        )
    }

    fn service_statuses(&self) -> Vec<ServiceStatus> {
        vec![
            from_wit(config::status()),
            from_wit(identity::status()),
            from_wit(kaltura::status()),
        ]
    }

    fn kaltura_ping(&self) -> Result<(), String> {
        kaltura::ping().map_err(|err| match err {
            types::Error::NotConfigured(name) => format!("setting {name} is not set"),
            types::Error::Unavailable(why)
            | types::Error::Invalid(why)
            | types::Error::Other(why) => why,
            other => format!("{other:?}"),
        })
    }

    fn setting(&self, name: &str) -> Option<String> {
        common::Variables::get(&SpinVariables, name)
    }

    fn request_id(&self) -> String {
        spin_adapter::random_hex(8)
    }
}

#[spin_sdk::http_component]
async fn handle(request: IncomingRequest, out: ResponseOutparam) {
    let request = match spin_adapter::read_request(request, BODY_LIMIT) {
        Ok(request) => request,
        Err(ReadError::TooLarge) => {
            let error = common::ApiError::new(413, "payload_too_large", "the body is too large");
            return spin_adapter::respond_error(out, &error, &[]);
        }
        Err(ReadError::Broken) => {
            let error = common::ApiError::new(400, "bad_request", "the body could not be read");
            return spin_adapter::respond_error(out, &error, &[]);
        }
    };
    let response = api::handle(
        &api::Request {
            method: &request.method,
            path_with_query: &request.path_with_query,
            origin: request.header("origin"),
        },
        &WitBackend,
    );
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
}
