use common::{KeyValue, StoreError, Variables};
use spin_sdk::http::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
use spin_sdk::key_value::{Error as KvError, Store};

/// The `default` key-value store, the only one this app uses.
pub struct SpinKeyValue(Store);

impl SpinKeyValue {
    /// Opens the `default` store.
    ///
    /// # Errors
    /// `AccessDenied` when the component (or, for a library component, the component
    /// that imports it) does not list `default` in `key_value_stores`.
    pub fn open_default() -> Result<Self, StoreError> {
        Store::open_default().map(Self).map_err(map_kv_error)
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
    spin_sdk::http::send::<_, http::Response<Vec<u8>>>(request)
        .await
        .map_err(|err| OutboundError(describe_send_error(&err)))
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

    /// The first value of header `name` (lower case) as text, if present and UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
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

/// Reads the request with a body of at most `limit` bytes. A `content-length` above the
/// limit is refused before reading anything.
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
    let declared = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ReadError::TooLarge);
    }
    let body = read_body(request, limit)?;
    Ok(ReadRequest {
        method,
        path_with_query,
        headers,
        body,
    })
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
    {
        let stream = body.stream().map_err(|()| ReadError::Broken)?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    if bytes.len() + chunk.len() > limit {
                        return Err(ReadError::TooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(_) => return Err(ReadError::Broken),
            }
        }
    }
    drop(IncomingBody::finish(body));
    Ok(bytes)
}

/// Sends a response: the whole body, with `content-length`, is written BEFORE the
/// response is handed to Spin. Spin's server does not set TCP_NODELAY; sending headers
/// first and the body later costs a Nagle + delayed-ACK stall on every request.
pub fn respond(out: ResponseOutparam, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let mut list: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
        .collect();
    list.push(("content-length".into(), body.len().to_string().into_bytes()));
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

/// Sends a JSON response.
pub fn respond_json(out: ResponseOutparam, status: u16, body: &[u8], extra: &[(&str, &str)]) {
    let mut headers = vec![("content-type", "application/json")];
    headers.extend_from_slice(extra);
    respond(out, status, &headers, body);
}

/// Sends an [`common::ApiError`] as `{"error":{"code","message"}}`.
pub fn respond_error(out: ResponseOutparam, error: &common::ApiError, extra: &[(&str, &str)]) {
    respond_json(out, error.status, &error.to_json(), extra);
}

/// `n` random bytes from the host (`wasi:random`), as lower-case hex.
pub fn random_hex(n: u64) -> String {
    wasi::random::random::get_random_bytes(n)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
