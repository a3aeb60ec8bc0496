use common::{KeyValue, StoreError, Variables};
use spin_sdk::http::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
use spin_sdk::key_value::{Error as KvError, Store};

/// The `default` key-value store, the only one this app uses.
pub struct SpinKeyValue(std::rc::Rc<Store>);

thread_local! {
    /// The `default` store once opened: a handle, holding no data (see `ports.rs`'s
    /// bucket: opening is a host call each port would repeat).
    static DEFAULT_STORE: std::cell::OnceCell<std::rc::Rc<Store>> =
        const { std::cell::OnceCell::new() };
}

impl SpinKeyValue {
    /// Opens the `default` store (the instance's handle, opened on first use; an error
    /// is not kept).
    ///
    /// # Errors
    /// `AccessDenied` when the component (or, for a library component, the component
    /// that imports it) does not list `default` in `key_value_stores`.
    pub fn open_default() -> Result<Self, StoreError> {
        DEFAULT_STORE.with(|cell| {
            if let Some(store) = cell.get() {
                return Ok(Self(std::rc::Rc::clone(store)));
            }
            let store = std::rc::Rc::new(Store::open_default().map_err(map_kv_error)?);
            let _already = cell.set(std::rc::Rc::clone(&store));
            Ok(Self(store))
        })
    }
}

fn map_kv_error(err: KvError) -> StoreError {
    match err {
        KvError::AccessDenied => StoreError::AccessDenied,
        KvError::NoSuchStore => StoreError::NoSuchStore,
        KvError::StoreTableFull => StoreError::Other("store table full".into()),
        KvError::Other(message) => StoreError::Other(message),
    }
}

impl KeyValue for SpinKeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key).map_err(map_kv_error)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0.set(key, value).map_err(map_kv_error)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).map_err(map_kv_error)
    }
}

/// A key-value port that fails every call, for when the store cannot be opened: the
/// caller still answers (e.g. readiness reports the store as failing).
pub struct UnavailableKeyValue(pub StoreError);

impl KeyValue for UnavailableKeyValue {
    fn get(&self, _key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Err(self.0.clone())
    }

    fn set(&self, _key: &str, _value: &[u8]) -> Result<(), StoreError> {
        Err(self.0.clone())
    }

    fn delete(&self, _key: &str) -> Result<(), StoreError> {
        Err(self.0.clone())
    }
}

/// Opens the default store, or a port that reports why it could not be opened.
pub fn key_value() -> Box<dyn KeyValue> {
    match SpinKeyValue::open_default() {
        Ok(store) => Box::new(store),
        Err(err) => Box::new(UnavailableKeyValue(err)),
    }
}

/// Spin variables; an undefined or empty variable reads as unset.
pub struct SpinVariables;

impl Variables for SpinVariables {
    fn get(&self, name: &str) -> Option<String> {
        spin_sdk::variables::get(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
    }
}

/// Why an outbound request failed. Carries the reason, never the request's contents.
#[derive(Debug)]
pub struct OutboundError(pub String);

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sends a request through Spin's outbound HTTP (refused by the host unless its origin
/// is in the component's `allowed_outbound_hosts`).
///
/// # Errors
/// The host's error code (e.g. `HttpRequestDenied`) or a body transfer error.
pub async fn send(
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, OutboundError> {
    let path = request.uri().path().to_owned();
    let answer = spin_sdk::http::send::<_, http::Response<Vec<u8>>>(request)
        .await
        .map_err(|err| OutboundError(describe_send_error(&err)));
    record_call(&path, &answer);
    answer
}

/// Writes the `upstream_call` metric event of an outbound call.
fn record_call(path: &str, answer: &Result<http::Response<Vec<u8>>, OutboundError>) {
    common::telemetry::upstream_call(path, answer.as_ref().ok().map(|r| r.status().as_u16()));
}

/// Sends a request and waits for the answer, for code that is not async (the exports of
/// a library component).
///
/// # Errors
/// As [`send`].
pub fn send_blocking(
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, OutboundError> {
    spin_sdk::http::run(send(request))
}

fn describe_send_error(err: &spin_sdk::http::SendError) -> String {
    match err {
        spin_sdk::http::SendError::Http(code) => format!("outbound request failed: {code:?}"),
        spin_sdk::http::SendError::Io(_) => "outbound request body transfer failed".into(),
        spin_sdk::http::SendError::RequestConversion(_) => "outbound request was invalid".into(),
        spin_sdk::http::SendError::ResponseConversion(_) => {
            "outbound response could not be read".into()
        }
    }
}

/// An incoming request read whole: method, path with query, headers and body.
pub struct ReadRequest {
    /// The request method, upper case.
    pub method: String,
    /// The path with the query string, as received.
    pub path_with_query: String,
    /// Headers with lower-case names, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The raw body bytes.
    pub body: Vec<u8>,
}

impl ReadRequest {
    /// The headers as an [`http::HeaderMap`]; invalid names or values are skipped.
    pub fn header_map(&self) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_bytes(value),
            ) {
                map.append(name, value);
            }
        }
        map
    }

    /// The first value of header `name` (lower case) as text, if present and UTF-8. For
    /// headers a client sends; never for the `spin-*` headers (see [`Self::spin_header`]).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The value Spin set for its header `name` (`spin-client-addr`, `spin-full-url`, …):
    /// the **last** one. Spin keeps whatever headers the client sent, including its own
    /// `spin-*` ones, and appends its values after them (`crates/trigger-http`,
    /// `prepare_request_headers`), so an earlier value is the client's and can be
    /// anything. `None` when the last value is not UTF-8 (never an earlier one).
    pub fn spin_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// Every value of header `name` (lower case), in the order received, for headers a
    /// list may be split across (`x-forwarded-for`). Bytes that are not UTF-8 become
    /// U+FFFD, so a value keeps its place and the rest of it is still read.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .collect()
    }
}

/// Why a request could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The body is larger than the limit (declared or actual).
    TooLarge,
    /// The body stream failed.
    Broken,
}

impl ReadError {
    /// The answer to give: `413` over the limit, `400` when the body could not be read.
    pub fn api_error(&self) -> common::ApiError {
        match self {
            Self::TooLarge => {
                common::ApiError::new(413, "payload_too_large", "the body is too large")
            }
            Self::Broken => common::ApiError::new(400, "bad_request", "the body could not be read"),
        }
    }
}

/// Bodies over the limit but under this size are read and discarded before the `413`,
/// so the client is not cut off mid-upload and reliably sees the answer; larger ones
/// are refused at once.
pub(crate) const DRAIN_LIMIT: usize = 1024 * 1024;

/// Reads the request with a body of at most `limit` bytes (`TooLarge` above it). A
/// declared `content-length` above [`DRAIN_LIMIT`] is refused before reading anything.
///
/// # Errors
/// `TooLarge` over the limit, `Broken` when the stream fails.
pub fn read_request(request: IncomingRequest, limit: usize) -> Result<ReadRequest, ReadError> {
    let method = method_name(&request.method());
    let path_with_query = request.path_with_query().unwrap_or_else(|| "/".into());
    let headers: Vec<(String, Vec<u8>)> = request
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    refuse_declared_over_drain_limit(&headers)?;
    let body = read_body(request, limit)?;
    Ok(ReadRequest {
        method,
        path_with_query,
        headers,
        body,
    })
}

/// `TooLarge` when the request declares a `content-length` above [`DRAIN_LIMIT`]: it is
/// refused before anything is read.
pub(crate) fn refuse_declared_over_drain_limit(
    headers: &[(String, Vec<u8>)],
) -> Result<(), ReadError> {
    let declared = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse::<usize>().ok());
    if declared.is_some_and(|len| len > DRAIN_LIMIT) {
        return Err(ReadError::TooLarge);
    }
    Ok(())
}

/// The response's header list: `headers` and the body's `content-length`.
pub(crate) fn header_list(headers: &[(&str, &str)], body_len: usize) -> Vec<(String, Vec<u8>)> {
    let mut list: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
        .collect();
    list.push(("content-length".into(), body_len.to_string().into_bytes()));
    list
}

fn method_name(method: &spin_sdk::http::Method) -> String {
    use spin_sdk::http::Method;
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

fn read_body(request: IncomingRequest, limit: usize) -> Result<Vec<u8>, ReadError> {
    use spin_sdk::wit::wasi::http0_2_0::types::IncomingBody;
    let body = request.consume().map_err(|()| ReadError::Broken)?;
    let mut bytes = Vec::new();
    let mut total = 0usize;
    {
        let stream = body.stream().map_err(|()| ReadError::Broken)?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    total += chunk.len();
                    if total > DRAIN_LIMIT {
                        return Err(ReadError::TooLarge);
                    }
                    if total <= limit {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(_) => return Err(ReadError::Broken),
            }
        }
    }
    drop(IncomingBody::finish(body));
    if total > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// Sends a response: the whole body, with `content-length`, is written BEFORE the
/// response is handed to Spin. Spin's server does not set TCP_NODELAY; sending headers
/// first and the body later costs a Nagle + delayed-ACK stall on every request.
pub fn respond(out: ResponseOutparam, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let list = header_list(headers, body.len());
    let fields = match Fields::from_list(&list) {
        Ok(fields) => fields,
        // A header we built is invalid: a bug, answer without the extra headers.
        Err(_) => Fields::new(),
    };
    let response = OutgoingResponse::new(fields);
    if response.set_status_code(status).is_err() {
        // Only an out-of-range status fails; 500 is always valid.
        let _ignored = response.set_status_code(500);
    }
    if let Ok(outgoing) = response.body() {
        write_all(&outgoing, body);
        // Finishing can only fail on a length mismatch, which write_all prevents.
        let _finished = OutgoingBody::finish(outgoing, None);
    }
    out.set(response);
}

fn write_all(body: &OutgoingBody, bytes: &[u8]) {
    let Ok(stream) = body.write() else { return };
    let mut rest = bytes;
    while !rest.is_empty() {
        let permit = match stream.check_write() {
            Ok(0) => {
                stream.subscribe().block();
                continue;
            }
            Ok(n) => usize::try_from(n).unwrap_or(usize::MAX).min(rest.len()),
            Err(_) => return,
        };
        if stream.write(&rest[..permit]).is_err() {
            return;
        }
        rest = &rest[permit..];
    }
    let _flushed = stream.flush();
}

/// `n` random bytes from the host ([`random_bytes`]), as lower-case hex.
pub fn random_hex(n: u64) -> String {
    random_bytes(usize::try_from(n).unwrap_or(usize::MAX))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Timeouts of one outbound request, passed to the host as wasi-http `request-options`.
/// `None` leaves the host's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// How long to wait for the connection.
    pub connect: Option<std::time::Duration>,
    /// How long to wait for the response to begin.
    pub first_byte: Option<std::time::Duration>,
    /// How long to wait between chunks of the response body.
    pub between_bytes: Option<std::time::Duration>,
}

impl Timeouts {
    /// The same timeout for connecting, the first byte and between bytes.
    pub fn all(timeout: std::time::Duration) -> Self {
        Self {
            connect: Some(timeout),
            first_byte: Some(timeout),
            between_bytes: Some(timeout),
        }
    }
}

/// The largest response body [`send_with_timeouts_blocking`] reads.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

fn nanos(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn describe_error_code(code: &wasi::http::types::ErrorCode) -> String {
    use wasi::http::types::ErrorCode;
    match code {
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout => {
            format!("outbound request failed: timed out ({code:?})")
        }
        other => format!("outbound request failed: {other:?}"),
    }
}

/// Sends a request through Spin's outbound HTTP with `timeouts` (wasi-http request
/// options) and waits for the whole response, for code that is not async. The request
/// has its `content-length`, and its body is handed to the host before the request
/// starts, so headers and body leave in one write: neither Spin's client nor most
/// servers set `TCP_NODELAY`, and a body sent after the headers waits for the server's
/// delayed ACK (up to 40 ms on Linux; measured: a Discord post took 29 ms instead of
/// under 1). A host that does not support a timeout option sends without it.
///
/// # Errors
/// The host's error code (`HttpRequestDenied` outside `allowed_outbound_hosts`, a
/// timeout, a refused connection), a body transfer failure, or a response body over
/// [`MAX_RESPONSE_BYTES`]. Never the request's contents.
pub fn send_with_timeouts_blocking(
    request: http::Request<Vec<u8>>,
    timeouts: Timeouts,
) -> Result<http::Response<Vec<u8>>, OutboundError> {
    let path = request.uri().path().to_owned();
    let answer = send_with_timeouts_unrecorded(request, timeouts);
    record_call(&path, &answer);
    answer
}

fn send_with_timeouts_unrecorded(
    request: http::Request<Vec<u8>>,
    timeouts: Timeouts,
) -> Result<http::Response<Vec<u8>>, OutboundError> {
    use wasi::http::types::{
        Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
    };
    let invalid = |what: &str| OutboundError(format!("outbound request was invalid: {what}"));
    let (parts, body) = request.into_parts();
    let mut headers: Vec<(String, Vec<u8>)> = parts
        .headers
        .iter()
        .filter(|(name, _)| *name != http::header::CONTENT_LENGTH)
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let has_body = !body.is_empty() || !matches!(parts.method.as_str(), "GET" | "HEAD");
    if has_body {
        headers.push(("content-length".into(), body.len().to_string().into_bytes()));
    }
    let fields = Fields::from_list(&headers).map_err(|_| invalid("a header"))?;
    let outgoing = OutgoingRequest::new(fields);
    let method = match parts.method.as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        "OPTIONS" => Method::Options,
        other => Method::Other(other.to_owned()),
    };
    outgoing
        .set_method(&method)
        .map_err(|()| invalid("the method"))?;
    let scheme = match parts.uri.scheme_str() {
        Some("https") => Scheme::Https,
        Some("http") => Scheme::Http,
        _ => return Err(invalid("the scheme")),
    };
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| invalid("the scheme"))?;
    outgoing
        .set_authority(parts.uri.authority().map(http::uri::Authority::as_str))
        .map_err(|()| invalid("the host"))?;
    outgoing
        .set_path_with_query(
            parts
                .uri
                .path_and_query()
                .map(http::uri::PathAndQuery::as_str),
        )
        .map_err(|()| invalid("the path"))?;

    let options = RequestOptions::new();
    // Each setter fails only when the host does not support that option; the request
    // then goes out with the host's default for it.
    let _unsupported_options_keep_host_defaults = (
        options.set_connect_timeout(timeouts.connect.map(nanos)),
        options.set_first_byte_timeout(timeouts.first_byte.map(nanos)),
        options.set_between_bytes_timeout(timeouts.between_bytes.map(nanos)),
    );

    let transfer_failed = || OutboundError("outbound request body transfer failed".into());
    let outgoing_body = outgoing.body().map_err(|()| invalid("the body"))?;
    let stream = outgoing_body.write().map_err(|()| transfer_failed())?;
    // What the host takes at once (its buffer: a megabyte in Spin) goes before the
    // request starts; the rest, if any, is streamed after.
    let early = match stream.check_write() {
        Ok(permit) => usize::try_from(permit)
            .unwrap_or(usize::MAX)
            .min(body.len()),
        Err(_) => return Err(transfer_failed()),
    };
    if early > 0 {
        stream
            .write(&body[..early])
            .map_err(|_| transfer_failed())?;
    }
    let rest = &body[early..];
    let (stream, outgoing_body) = if rest.is_empty() {
        drop(stream);
        OutgoingBody::finish(outgoing_body, None)
            .map_err(|code| OutboundError(describe_error_code(&code)))?;
        (None, None)
    } else {
        (Some(stream), Some(outgoing_body))
    };
    let future = wasi::http::outgoing_handler::handle(outgoing, Some(options))
        .map_err(|code| OutboundError(describe_error_code(&code)))?;
    if let (Some(stream), Some(outgoing_body)) = (stream, outgoing_body) {
        for chunk in rest.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| transfer_failed())?;
        }
        drop(stream);
        OutgoingBody::finish(outgoing_body, None)
            .map_err(|code| OutboundError(describe_error_code(&code)))?;
    }

    let incoming = loop {
        match future.get() {
            Some(result) => break result,
            None => future.subscribe().block(),
        }
    };
    let response = incoming
        .map_err(|()| OutboundError("outbound response was already taken".into()))?
        .map_err(|code| OutboundError(describe_error_code(&code)))?;

    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers().entries() {
        builder = builder.header(name, value);
    }
    let incoming_body = response
        .consume()
        .map_err(|()| OutboundError("outbound response could not be read".into()))?;
    let mut bytes = Vec::new();
    {
        let stream = incoming_body
            .stream()
            .map_err(|()| OutboundError("outbound response could not be read".into()))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(OutboundError("outbound response is too large".into()));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(wasi::io::streams::StreamError::LastOperationFailed(_)) => {
                    return Err(OutboundError(
                        "outbound response body failed (timed out or cut off)".into(),
                    ))
                }
            }
        }
    }
    drop(IncomingBody::finish(incoming_body));
    builder
        .body(bytes)
        .map_err(|_| OutboundError("outbound response could not be read".into()))
}

/// Blocks the calling instance for `duration` (wasi monotonic clock).
pub fn sleep(duration: std::time::Duration) {
    wasi::clocks::monotonic_clock::subscribe_duration(nanos(duration)).block();
}

/// `len` cryptographically secure random bytes from the host (wasi random).
pub fn random_bytes(len: usize) -> Vec<u8> {
    wasi::random::random::get_random_bytes(u64::try_from(len).unwrap_or(u64::MAX))
}
