//! The Spin adapter: reads the request within the size limit, verifies and parses it
//! through the receiver, and answers.

use spin_adapter::{ReadError, SpinVariables};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
async fn handle(request: IncomingRequest, out: ResponseOutparam) {
    let request = match spin_adapter::read_request(request, crate::receiver::BODY_LIMIT) {
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
    let received = crate::receiver::receive(
        &request.method,
        request.header("x-kaltura-signature"),
        request.header("x-kaltura-hash-algo"),
        &request.body,
        &SpinVariables,
    );
    match received {
        Err(error) => spin_adapter::respond_error(out, &error, &[]),
        Ok(notification) => {
            let error = common::ApiError::new(
                501,
                "not_implemented",
                format!(
                    "notification verified ({:?}) but routing to Discord is not built yet",
                    notification.event_type
                ),
            );
            spin_adapter::respond_error(out, &error, &[]);
        }
    }
}
