//! The one entry of every HTTP component, for both builds: read the request within the
//! component's limit, answer it, send the answer (length set, whole body at once), then
//! run the work after it — each request in its own log context (`common::telemetry`),
//! which matters when a reused WASIp3 instance runs several requests at once.
//!
//! A component implements [`HttpComponent`] and names it in [`export_http_component!`];
//! its `wasip2` feature picks the WASIp2 entry (`wasi:http@0.2.0`, spin-sdk 5.2) over
//! the WASIp3 one (`wasi:http@0.3.0`).

use std::future::Future;

use common::telemetry;

use crate::{random_hex, ReadRequest};

/// An HTTP component as Spin serves it.
pub trait HttpComponent {
    /// The component's name on its log lines and metric events.
    const NAME: &'static str;
    /// The largest request body it reads (`413` above it).
    const BODY_LIMIT: usize;
    /// The `route` label of the `http_request` event when the body could not be read.
    const UNREAD_ROUTE: &'static str;

    /// The answer to one request, read whole; `request_id` is the one every log line
    /// of the request carries (the component puts it in its `x-request-id` header).
    fn answer(request: ReadRequest, request_id: String) -> impl Future<Output = Answer>;
}

/// A response as values, and the work to run once it is sent.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Every header besides `content-length` (set from the body).
    pub headers: Vec<(&'static str, String)>,
    /// The whole body.
    pub body: Vec<u8>,
    /// Work after the response is complete (a deferred reply, event deliveries); Spin
    /// keeps the instance until it ends.
    pub after: Option<Box<dyn FnOnce()>>,
}

impl Answer {
    /// A JSON answer (`content-type: application/json` unless the body is empty) with
    /// `headers` besides.
    pub fn json(status: u16, body: Vec<u8>, headers: Vec<(&'static str, String)>) -> Self {
        let mut all = Vec::with_capacity(headers.len() + 1);
        if !body.is_empty() {
            all.push(("content-type", "application/json".to_owned()));
        }
        all.extend(headers);
        Self {
            status,
            headers: all,
            body,
            after: None,
        }
    }

    /// This answer, then `work` once it is sent.
    #[must_use]
    pub fn then(mut self, work: impl FnOnce() + 'static) -> Self {
        self.after = Some(Box::new(work));
        self
    }

    /// The header list as the response helpers take it.
    pub(crate) fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect()
    }
}

/// Reads and answers one request of `C` in its own log context: the read error's
/// answer (counted under [`HttpComponent::UNREAD_ROUTE`]) or `C`'s.
pub(crate) async fn answer_request<C: HttpComponent>(
    read: impl Future<Output = Result<ReadRequest, crate::ReadError>>,
    request_id: String,
) -> Answer {
    match read.await {
        Ok(request) => C::answer(request, request_id).await,
        Err(err) => {
            let error = err.api_error();
            telemetry::http_request(C::UNREAD_ROUTE, error.status);
            Answer::json(
                error.status,
                error.to_json(),
                vec![("x-request-id", request_id)],
            )
        }
    }
}

/// A new request id and the log labels of one request of `C`.
pub(crate) fn new_request<C: HttpComponent>() -> (String, telemetry::Labels) {
    let request_id = random_hex(8);
    let labels = telemetry::Labels::request(C::NAME, &request_id);
    (request_id, labels)
}

/// The WASIp2 entry (`wasi:http@0.2.0`): one request per instance; the work after the
/// answer runs before the handler returns.
pub async fn serve_p2<C: HttpComponent>(
    request: spin_sdk::http::IncomingRequest,
    out: spin_sdk::http::ResponseOutparam,
) {
    let (request_id, labels) = new_request::<C>();
    telemetry::in_context(labels, async move {
        let read = async { crate::read_request(request, C::BODY_LIMIT) };
        let answer = answer_request::<C>(read, request_id).await;
        crate::respond(out, answer.status, &answer.header_refs(), &answer.body);
        if let Some(work) = answer.after {
            work();
        }
    })
    .await;
}

/// Exports `$component` (an [`HttpComponent`]) as the component's HTTP handler: the
/// WASIp3 one, or the WASIp2 one with the calling crate's `wasip2` feature.
#[macro_export]
macro_rules! export_http_component {
    ($component:ty) => {
        /// The WASIp2 entry point (`wasi:http@0.2.0`).
        #[cfg(feature = "wasip2")]
        #[spin_sdk::http_component]
        async fn handle(
            request: spin_sdk::http::IncomingRequest,
            out: spin_sdk::http::ResponseOutparam,
        ) {
            $crate::serve_p2::<$component>(request, out).await;
        }

        /// The WASIp3 entry point (`wasi:http@0.3.0`).
        #[cfg(not(feature = "wasip2"))]
        struct WasiHttpEntry;

        #[cfg(not(feature = "wasip2"))]
        wasip3::http::service::export!(WasiHttpEntry);

        #[cfg(not(feature = "wasip2"))]
        impl wasip3::exports::http::handler::Guest for WasiHttpEntry {
            async fn handle(
                request: $crate::p3::IncomingRequest,
            ) -> Result<$crate::p3::OutgoingResponse, $crate::p3::HandlerError> {
                Ok($crate::p3::serve::<$component>(request).await)
            }
        }
    };
}
