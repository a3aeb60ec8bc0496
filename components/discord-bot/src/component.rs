//! The Spin adapter: reads the request within the size limit, hands it to the endpoint
//! and writes the reply.

use spin_adapter::{ReadError, SpinVariables};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
async fn handle(request: IncomingRequest, out: ResponseOutparam) {
    let request = match spin_adapter::read_request(request, crate::endpoint::BODY_LIMIT) {
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
    let headers = request.header_map();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let reply = crate::endpoint::handle(
        &request.method,
        &headers,
        &request.body,
        &SpinVariables,
        now,
    );
    spin_adapter::respond_json(out, reply.status, &reply.body, &[]);
}
