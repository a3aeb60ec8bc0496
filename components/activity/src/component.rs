//! The Spin adapter: answers with [`crate::serve`] and the `kaltura_cdn_url` variable,
//! through `spin-adapter`'s one entry ([`spin_adapter::export_http_component!`]):
//! WASIp3 (`wasi:http@0.3.0`) by default, WASIp2 (`wasi:http@0.2.0`) with the `wasip2`
//! feature. Nothing is kept between requests.

use spin_adapter::SpinVariables;

/// Requests for the page carry no body worth reading.
const BODY_LIMIT: usize = 1024;

/// The route's template, for the request metric.
const ROUTE: &str = "/activity/...";

/// The Activity page as Spin serves it.
pub struct Activity;

impl spin_adapter::HttpComponent for Activity {
    const NAME: &'static str = "activity";
    const BODY_LIMIT: usize = BODY_LIMIT;
    const UNREAD_ROUTE: &'static str = ROUTE;

    async fn answer(
        request: spin_adapter::ReadRequest,
        request_id: String,
    ) -> spin_adapter::Answer {
        let cdn = common::Variables::get(&SpinVariables, "kaltura_cdn_url");
        let response = crate::serve(
            &request.method,
            &request.path_with_query,
            request.header("if-none-match"),
            cdn.as_deref(),
        );
        common::telemetry::http_request(ROUTE, response.status);
        let mut headers = response.headers;
        headers.push(("x-request-id", request_id));
        spin_adapter::Answer {
            status: response.status,
            headers,
            body: response.body,
            after: None,
        }
    }
}

spin_adapter::export_http_component!(crate::component::Activity);
