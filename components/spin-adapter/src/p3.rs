//! Serving `wasi:http@0.3.0` (WASIp3, the `wasip3` crate spin-sdk 7 is built on), whose instances Spin 4 reuses: the
//! request read whole within a limit, the response with its `content-length` and its
//! whole body ready in one piece, and work that goes on after the response.
//!
//! Nothing here keeps anything between requests: each call takes what it needs and
//! returns it.

use wasip3::http::types::{ErrorCode, Fields, Method, Request, Response};
use wasip3::wit_bindgen::StreamResult;
use wasip3::{wit_future, wit_stream};

use crate::serve::{answer_request, new_request, HttpComponent};
use crate::spin::{header_list, refuse_declared_over_drain_limit, DRAIN_LIMIT};
use crate::{ReadError, ReadRequest};

/// The `wasi:http@0.3.0` request type the handler receives.
pub type IncomingRequest = Request;
/// The `wasi:http@0.3.0` response type the handler returns.
pub type OutgoingResponse = Response;
/// Why a handler could not answer at all (Spin then answers 500).
pub type HandlerError = ErrorCode;

/// Serves one request of `C` in its own log context (other requests of the reused
/// instance may run between its awaits): read, answer, respond with the whole body at
/// once, then `C`'s work after the answer in a task of the request.
pub async fn serve<C: HttpComponent>(request: Request) -> Response {
    let (request_id, labels) = new_request::<C>();
    common::telemetry::in_context(labels, async move {
        let read = read_request(request, C::BODY_LIMIT);
        let mut answer = answer_request::<C>(read, request_id).await;
        let body = std::mem::take(&mut answer.body);
        let after = answer.after.take();
        let response = respond_then(answer.status, &answer.header_refs(), body, move || {
            if let Some(work) = after {
                work();
            }
        });
        body_ready().await;
        response
    })
    .await
}

/// Reads the request with a body of at most `limit` bytes (`TooLarge` above it). A
/// declared `content-length` above the drain limit is refused before reading anything;
/// a body over the limit but under it is read and discarded so the client sees the
/// `413`.
///
/// # Errors
/// `TooLarge` over the limit, `Broken` when the body stream fails.
pub async fn read_request(request: Request, limit: usize) -> Result<ReadRequest, ReadError> {
    let method = method_name(request.get_method());
    let path_with_query = request.get_path_with_query().unwrap_or_else(|| "/".into());
    let headers: Vec<(String, Vec<u8>)> = request
        .get_headers()
        .copy_all()
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    refuse_declared_over_drain_limit(&headers)?;
    // Dropped unwritten, the writer tells the host the body was consumed (`ok`).
    let (_consumed, consumed_reader) = wit_future::new(|| Ok(()));
    let (mut stream, trailers) = Request::consume_body(request, consumed_reader);
    let mut body = Vec::new();
    let mut total = 0usize;
    loop {
        let (status, chunk) = stream.read(Vec::with_capacity(64 * 1024)).await;
        match status {
            StreamResult::Complete(_) => {
                total += chunk.len();
                if total > DRAIN_LIMIT {
                    return Err(ReadError::TooLarge);
                }
                if total <= limit {
                    body.extend_from_slice(&chunk);
                }
            }
            StreamResult::Dropped => break,
            StreamResult::Cancelled => return Err(ReadError::Broken),
        }
    }
    drop(stream);
    // The body ended early or broke: the host reports it here.
    if trailers.await.is_err() {
        return Err(ReadError::Broken);
    }
    if total > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(ReadRequest {
        method,
        path_with_query,
        headers,
        body,
    })
}

fn method_name(method: Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.to_ascii_uppercase(),
    }
}

/// A response with `content-length` and the whole body offered in one write (the host
/// takes it as soon as it starts reading the body, so headers and body can leave
/// together: Spin's server does not set `TCP_NODELAY`), then `work` once the whole body
/// is handed to the host and the body is closed: the response is complete before the
/// work starts, even work that blocks the instance (the WASIp2 host calls the ports
/// make). Spin keeps the instance until
/// the work ends (a task the request spawned); the work owns what it needs and drops
/// it when done.
fn respond_then(
    status: u16,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    work: impl FnOnce() + 'static,
) -> Response {
    let list = header_list(headers, body.len());
    // A header we built is invalid: a bug, answer without the extra headers.
    let fields = Fields::from_list(&list).unwrap_or_else(|_| Fields::new());
    let (mut writer, contents) = wit_stream::new::<u8>();
    // Dropped unwritten, the writer ends the body without trailers.
    let (trailers_writer, trailers) = wit_future::new(|| Ok(None));
    let (response, _sent) = Response::new(fields, Some(contents), trailers);
    if response.set_status_code(status).is_err() {
        // Only an out-of-range status fails; 500 is always valid.
        let _ignored = response.set_status_code(500);
    }
    // The task runs between other requests' polls: it keeps this request's log labels.
    let labels = common::telemetry::current_labels();
    wasip3::spawn(common::telemetry::in_context(labels, async move {
        if !body.is_empty() {
            let _unsent = writer.write_all(body).await;
        }
        drop(writer);
        drop(trailers_writer);
        work();
    }));
    response
}

/// Lets the tasks this request spawned run once before the handler returns: the body
/// writer of [`respond_then`] then has the whole body waiting in the stream when Spin
/// gets the response, so Spin can send headers and body in one write.
async fn body_ready() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}
