//! The Spin adapter: reads the request line and `If-None-Match`, answers with
//! [`crate::serve`] and the `kaltura_cdn_url` variable. WASIp3 (`wasi:http@0.3.0`) by
//! default, WASIp2 (`wasi:http@0.2.0`, spin-sdk 5.2) with the `wasip2` feature; nothing
//! is kept between requests.

use spin_adapter::SpinVariables;

/// Requests for the page carry no body worth reading.
const BODY_LIMIT: usize = 1024;

fn answer(request: &spin_adapter::ReadRequest) -> crate::Response {
    let cdn = common::Variables::get(&SpinVariables, "kaltura_cdn_url");
    let response = crate::serve(
        &request.method,
        &request.path_with_query,
        request.header("if-none-match"),
        cdn.as_deref(),
    );
    common::telemetry::http_request("/activity/...", response.status);
    response
}

/// The WASIp2 entry point (`wasi:http@0.2.0`).
#[cfg(feature = "wasip2")]
#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest, out: spin_sdk::http::ResponseOutparam) {
    spin_adapter::begin_request("activity");
    let request = match spin_adapter::read_request(request, BODY_LIMIT) {
        Ok(request) => request,
        Err(err) => return spin_adapter::respond_error(out, &err.api_error(), &[]),
    };
    let response = answer(&request);
    let headers: Vec<(&str, &str)> = response
        .headers
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    spin_adapter::respond(out, response.status, &headers, &response.body);
}

/// The WASIp3 entry point (`wasi:http@0.3.0`).
#[cfg(not(feature = "wasip2"))]
mod entry_p3 {
    use spin_adapter::p3;

    struct Component;

    wasip3::http::service::export!(Component);

    impl wasip3::exports::http::handler::Guest for Component {
        async fn handle(
            request: p3::IncomingRequest,
        ) -> Result<p3::OutgoingResponse, p3::HandlerError> {
            spin_adapter::begin_request("activity");
            let request = match p3::read_request(request, super::BODY_LIMIT).await {
                Ok(request) => request,
                Err(err) => return Ok(p3::respond_error(&err.api_error(), &[])),
            };
            let response = super::answer(&request);
            let headers: Vec<(&str, &str)> = response
                .headers
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .collect();
            let reply = p3::respond(response.status, &headers, response.body);
            p3::body_ready().await;
            Ok(reply)
        }
    }
}
