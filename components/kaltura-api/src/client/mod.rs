//! A sans-I/O Kaltura API_v3 client.
//!
//! [`Client`] turns a typed [`Call`] (or a [`MultiRequest`]) into an
//! `http::Request<Vec<u8>>`: `POST {service_url}/api_v3/service/{service}/action/{action}`
//! with `Content-Type: application/json` (exactly — Kaltura falls back to form parsing for
//! anything else) and a JSON body holding `format: 1`, `ks`, `clientTag` and the call's
//! parameters. [`Call::parse_response`] / [`MultiResponse`] turn the
//! `http::Response<Vec<u8>>` back into typed values or an [`ApiError`]; Kaltura reports
//! errors as a `KalturaAPIException` object inside an HTTP 200, and inside the result
//! array of a multirequest.
//!
//! Sending is the caller's job (an outbound-HTTP port), so every call is testable from
//! recorded JSON. Request builders for the services this app uses are in [`calls`], the
//! response types in [`model`], and join / player URLs in [`urls`].

pub mod calls;
mod error;
pub mod model;
pub mod urls;

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::encoding::redact_tokens;
use crate::types::Ks;

pub use error::ApiError;

/// Kaltura's SaaS service URL, the default.
pub const DEFAULT_SERVICE_URL: &str = "https://www.kaltura.com";

/// The `clientTag` sent with every call: `kaltura-discord:<crate version>`.
pub const CLIENT_TAG: &str = concat!("kaltura-discord:", env!("CARGO_PKG_VERSION"));

/// `format=1`: JSON responses.
const FORMAT_JSON: i64 = 1;

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// One API_v3 action with its parameters; `T` is the type its response parses into.
pub struct Call<T> {
    service: &'static str,
    action: &'static str,
    params: Map<String, Value>,
    _response: PhantomData<fn() -> T>,
}

impl<T> Clone for Call<T> {
    fn clone(&self) -> Self {
        Self {
            service: self.service,
            action: self.action,
            params: self.params.clone(),
            _response: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("service", &self.service)
            .field("action", &self.action)
            .field("params", &self.params)
            .finish()
    }
}

impl<T: DeserializeOwned> Call<T> {
    /// A call of `service.action` with no parameters. Plugin services are written as the
    /// clients do (`schedule_scheduleresource`).
    pub fn new(service: &'static str, action: &'static str) -> Self {
        Self {
            service,
            action,
            params: Map::new(),
            _response: PhantomData,
        }
    }

    /// Adds (or replaces) a parameter.
    pub fn param(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }

    /// Adds a parameter when `value` is `Some`.
    pub fn param_opt(self, name: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(v) => self.param(name, v),
            None => self,
        }
    }

    /// The service name.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// The action name.
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// The parameters.
    pub fn params(&self) -> &Map<String, Value> {
        &self.params
    }

    /// Parses the HTTP response of this call.
    ///
    /// # Errors
    /// [`ApiError::Unavailable`] for HTTP 5xx/429/408 or a non-JSON body, a typed error for
    /// a `KalturaAPIException`, [`ApiError::InvalidResponse`] when the JSON does not fit `T`.
    pub fn parse_response(&self, response: &http::Response<Vec<u8>>) -> Result<T, ApiError> {
        let value = response_json(response)?;
        value_to_result(value)
    }
}

/// Deserialises a result value, mapping an exception object to its error.
fn value_to_result<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    if error::is_exception(&value) {
        return Err(error::from_exception(&value));
    }
    serde_json::from_value(value).map_err(|e| {
        // serde's message can quote values; keep only its category.
        ApiError::InvalidResponse(format!("{:?} error in the response JSON", e.classify()))
    })
}

/// Checks the status and parses the body of a Kaltura response as JSON (empty → `null`).
fn response_json(response: &http::Response<Vec<u8>>) -> Result<Value, ApiError> {
    let status = response.status();
    let code = status.as_u16();
    if status.is_server_error() || code == 429 || code == 408 {
        return Err(ApiError::Unavailable {
            status: Some(code),
            detail: format!("HTTP {code}"),
        });
    }
    if !status.is_success() {
        return Err(ApiError::Other {
            code: format!("HTTP_{code}"),
            message: format!("unexpected HTTP status {code}"),
        });
    }
    let body = response.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|_| ApiError::Unavailable {
        status: Some(code),
        detail: "response body is not JSON".to_owned(),
    })
}

/// A reference to an earlier result in a multirequest: `{N:result}` or
/// `{N:result:attr:subattr}`. Use it as a parameter value of a later call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRef(String);

impl ResultRef {
    /// The reference text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<ResultRef> for Value {
    fn from(value: ResultRef) -> Self {
        Value::String(value.0)
    }
}

/// The position of a call inside a [`MultiRequest`], typed by its response.
pub struct Slot<T> {
    index: usize,
    _response: PhantomData<fn() -> T>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Slot<T> {}

impl<T> fmt::Debug for Slot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slot({})", self.index)
    }
}

impl<T> Slot<T> {
    /// The 1-based position.
    pub fn index(&self) -> usize {
        self.index
    }

    /// `{N:result}`: the whole result of this call.
    pub fn result(&self) -> ResultRef {
        ResultRef(format!("{{{}:result}}", self.index))
    }

    /// `{N:result:a:b}`: an attribute path of the result, e.g. `attr(&["id"])`.
    /// Attribute names are Kaltura property names (`[A-Za-z0-9_]`); others are dropped.
    pub fn attr(&self, path: &[&str]) -> ResultRef {
        let mut s = format!("{{{}:result", self.index);
        for p in path.iter().filter(|p| is_name(p)) {
            s.push(':');
            s.push_str(p);
        }
        s.push('}');
        ResultRef(s)
    }
}

#[derive(Debug, Clone)]
struct QueuedCall {
    service: &'static str,
    action: &'static str,
    params: Map<String, Value>,
}

/// Several calls sent in one request (`/api_v3/service/multirequest`), numbered from 1.
#[derive(Debug, Clone, Default)]
pub struct MultiRequest {
    calls: Vec<QueuedCall>,
}

impl MultiRequest {
    /// An empty multirequest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a call and returns its slot, for [`Slot::attr`] references and
    /// [`MultiResponse::get`].
    pub fn add<T: DeserializeOwned>(&mut self, call: Call<T>) -> Slot<T> {
        self.calls.push(QueuedCall {
            service: call.service,
            action: call.action,
            params: call.params,
        });
        Slot {
            index: self.calls.len(),
            _response: PhantomData,
        }
    }

    /// Number of queued calls.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }
}

/// The parsed result array of a multirequest.
#[derive(Debug, Clone)]
pub struct MultiResponse {
    items: Vec<Value>,
}

impl MultiResponse {
    /// Parses a multirequest response. Per-call failures stay inside and come out of
    /// [`Self::get`]; a failure of the whole request (HTTP, non-JSON, one exception object
    /// instead of an array, e.g. `INVALID_KS`) is returned here.
    ///
    /// # Errors
    /// As [`Call::parse_response`], plus [`ApiError::InvalidResponse`] when the body is not
    /// an array.
    pub fn parse(response: &http::Response<Vec<u8>>) -> Result<Self, ApiError> {
        match response_json(response)? {
            Value::Array(items) => Ok(Self { items }),
            v if error::is_exception(&v) => Err(error::from_exception(&v)),
            _ => Err(ApiError::InvalidResponse(
                "multirequest response is not an array".to_owned(),
            )),
        }
    }

    /// Number of results.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there is no result.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The typed result of one call.
    ///
    /// # Errors
    /// The call's own error (a `KalturaAPIException` at that position),
    /// [`ApiError::InvalidResponse`] if the result is missing or does not fit `T`.
    pub fn get<T: DeserializeOwned>(&self, slot: Slot<T>) -> Result<T, ApiError> {
        let value = self
            .items
            .get(slot.index.wrapping_sub(1))
            .cloned()
            .ok_or_else(|| {
                ApiError::InvalidResponse(format!("no result for call {}", slot.index))
            })?;
        value_to_result(value)
    }
}

/// Builds API_v3 requests against one Kaltura service URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    service_url: String,
    client_tag: String,
}

impl Client {
    /// A client for `service_url` (e.g. [`DEFAULT_SERVICE_URL`], or a local fake in tests).
    ///
    /// # Errors
    /// [`ApiError::InvalidRequest`] unless the URL is `http`/`https` with a host and no
    /// query, fragment or credentials.
    pub fn new(service_url: &str) -> Result<Self, ApiError> {
        let bad = |why: &str| ApiError::InvalidRequest(format!("service URL {why}"));
        let url = url::Url::parse(service_url).map_err(|_| bad("is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("must be http or https"));
        }
        if url.host_str().is_none() {
            return Err(bad("has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not contain credentials"));
        }
        Ok(Self {
            service_url: url.as_str().trim_end_matches('/').to_owned(),
            client_tag: CLIENT_TAG.to_owned(),
        })
    }

    /// Replaces the `clientTag` (default [`CLIENT_TAG`]).
    pub fn with_client_tag(mut self, client_tag: impl Into<String>) -> Self {
        self.client_tag = client_tag.into();
        self
    }

    /// The service URL, without a trailing `/`.
    pub fn service_url(&self) -> &str {
        &self.service_url
    }

    /// The `clientTag` sent.
    pub fn client_tag(&self) -> &str {
        &self.client_tag
    }

    fn common_body(&self, ks: Option<&Ks>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("format".into(), Value::from(FORMAT_JSON));
        if let Some(ks) = ks {
            body.insert("ks".into(), Value::from(ks.expose()));
        }
        body.insert("clientTag".into(), Value::from(self.client_tag.as_str()));
        body
    }

    fn post(
        &self,
        url: String,
        body: Map<String, Value>,
    ) -> Result<http::Request<Vec<u8>>, ApiError> {
        let bytes = serde_json::to_vec(&Value::Object(body))
            .map_err(|_| ApiError::InvalidRequest("parameters are not serialisable".into()))?;
        http::Request::builder()
            .method(http::Method::POST)
            .uri(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(bytes)
            .map_err(|e| ApiError::InvalidRequest(redact_tokens(&e.to_string())))
    }

    /// Builds the request for one call, authenticated with `ks` when given.
    ///
    /// # Errors
    /// [`ApiError::InvalidRequest`] for a bad service or action name.
    pub fn request<T: DeserializeOwned>(
        &self,
        call: &Call<T>,
        ks: Option<&Ks>,
    ) -> Result<http::Request<Vec<u8>>, ApiError> {
        if !is_name(call.service) || !is_name(call.action) {
            return Err(ApiError::InvalidRequest(
                "bad service or action name".into(),
            ));
        }
        let mut body = self.common_body(ks);
        for (k, v) in &call.params {
            body.insert(k.clone(), v.clone());
        }
        let url = format!(
            "{}/api_v3/service/{}/action/{}",
            self.service_url, call.service, call.action
        );
        self.post(url, body)
    }

    /// Builds a multirequest: the common `format`, `ks`, `clientTag` at the top, each call
    /// under its 1-based number with its `service` and `action`.
    ///
    /// # Errors
    /// [`ApiError::InvalidRequest`] for an empty multirequest or a bad name.
    pub fn multirequest(
        &self,
        multi: &MultiRequest,
        ks: Option<&Ks>,
    ) -> Result<http::Request<Vec<u8>>, ApiError> {
        if multi.is_empty() {
            return Err(ApiError::InvalidRequest("empty multirequest".into()));
        }
        let mut body = self.common_body(ks);
        for (i, call) in multi.calls.iter().enumerate() {
            if !is_name(call.service) || !is_name(call.action) {
                return Err(ApiError::InvalidRequest(
                    "bad service or action name".into(),
                ));
            }
            let mut sub = Map::new();
            sub.insert("service".into(), Value::from(call.service));
            sub.insert("action".into(), Value::from(call.action));
            for (k, v) in &call.params {
                sub.insert(k.clone(), v.clone());
            }
            body.insert((i + 1).to_string(), Value::Object(sub));
        }
        self.post(
            format!("{}/api_v3/service/multirequest", self.service_url),
            body,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        ok(http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec()))
    }

    fn body_json(req: &http::Request<Vec<u8>>) -> Value {
        ok(serde_json::from_slice(req.body()))
    }

    const KS: &str = "djJ8MTIzNDU2N3wdy9oIt6dJ5ZL2PU9tNsQyk8Iv2wn8XR2284JbglCV_Sus60Ju3Rpui9X=";

    #[test]
    fn a_call_becomes_a_json_post_to_the_service_action_url() {
        let client = ok(Client::new("https://www.kaltura.com/"));
        let ks = ok(Ks::new(KS));
        let call = Call::<Value>::new("media", "get").param("entryId", "0_abc");
        let req = ok(client.request(&call, Some(&ks)));
        assert_eq!(req.method(), http::Method::POST);
        assert_eq!(
            req.uri().to_string(),
            "https://www.kaltura.com/api_v3/service/media/action/get"
        );
        assert_eq!(
            req.headers()
                .get(http::header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(&b"application/json"[..])
        );
        assert_eq!(
            body_json(&req),
            json!({"format": 1, "ks": KS, "clientTag": CLIENT_TAG, "entryId": "0_abc"})
        );
        assert!(CLIENT_TAG.starts_with("kaltura-discord:"));
        let text = String::from_utf8_lossy(req.body()).into_owned();
        assert!(text.starts_with('{') && text.ends_with('}'));
    }

    #[test]
    fn a_call_without_ks_sends_no_ks_field() {
        let client = ok(Client::new("http://127.0.0.1:9000/base"));
        let req = ok(client.request(&calls::system_ping(), None));
        assert_eq!(
            req.uri().to_string(),
            "http://127.0.0.1:9000/base/api_v3/service/system/action/ping"
        );
        assert_eq!(
            body_json(&req),
            json!({"format": 1, "clientTag": CLIENT_TAG})
        );
    }

    #[test]
    fn bad_service_urls_are_rejected() {
        for bad in [
            "ftp://x",
            "not a url",
            "https://www.kaltura.com/?a=b",
            "https://u:p@www.kaltura.com",
        ] {
            assert!(
                matches!(Client::new(bad), Err(ApiError::InvalidRequest(_))),
                "{bad}"
            );
        }
        let c = ok(Client::new("https://www.kaltura.com"));
        let bad = Call::<Value>::new("media/../x", "get");
        assert!(matches!(
            c.request(&bad, None),
            Err(ApiError::InvalidRequest(_))
        ));
    }

    #[test]
    fn a_multirequest_numbers_calls_from_one_and_references_earlier_results() {
        let client = ok(Client::new("https://www.kaltura.com"));
        let ks = ok(Ks::new(KS));
        let mut multi = MultiRequest::new();
        let first = multi.add(Call::<Value>::new("schedule_scheduleresource", "add").param("x", 1));
        let second = multi.add(
            Call::<Value>::new("schedule_scheduleeventresource", "add")
                .param("resourceId", first.attr(&["id"])),
        );
        assert_eq!(first.index(), 1);
        assert_eq!(second.index(), 2);
        assert_eq!(first.result().as_str(), "{1:result}");
        assert_eq!(
            first.attr(&["object", "id"]).as_str(),
            "{1:result:object:id}"
        );
        let req = ok(client.multirequest(&multi, Some(&ks)));
        assert_eq!(
            req.uri().to_string(),
            "https://www.kaltura.com/api_v3/service/multirequest"
        );
        assert_eq!(
            body_json(&req),
            json!({
                "format": 1, "ks": KS, "clientTag": CLIENT_TAG,
                "1": {"service": "schedule_scheduleresource", "action": "add", "x": 1},
                "2": {"service": "schedule_scheduleeventresource", "action": "add",
                      "resourceId": "{1:result:id}"}
            })
        );
        assert!(client.multirequest(&MultiRequest::new(), None).is_err());
    }

    #[test]
    fn an_exception_inside_http_200_is_an_error() {
        let call = calls::system_ping();
        let resp = response(
            200,
            r#"{"code":"SERVICE_FORBIDDEN","message":"The access to service [x] is forbidden","objectType":"KalturaAPIException","args":{"SERVICE":"x"}}"#,
        );
        assert!(matches!(
            call.parse_response(&resp),
            Err(ApiError::NotPermitted { .. })
        ));
        assert_eq!(call.parse_response(&response(200, "true")), Ok(true));
    }

    #[test]
    fn server_errors_and_non_json_bodies_are_unavailable() {
        let call = calls::system_ping();
        assert_eq!(
            call.parse_response(&response(503, "")),
            Err(ApiError::Unavailable {
                status: Some(503),
                detail: "HTTP 503".into()
            })
        );
        assert!(matches!(
            call.parse_response(&response(200, "<html>oops</html>")),
            Err(ApiError::Unavailable {
                status: Some(200),
                ..
            })
        ));
        assert!(matches!(
            call.parse_response(&response(404, "")),
            Err(ApiError::Other { .. })
        ));
    }

    #[test]
    fn json_of_the_wrong_shape_is_an_invalid_response_that_quotes_nothing() {
        let call = Call::<model::MediaEntry>::new("media", "get");
        let err = call.parse_response(&response(200, &format!("{{\"id\": [\"{KS}\"]}}")));
        let shown = format!("{err:?}");
        assert!(matches!(err, Err(ApiError::InvalidResponse(_))));
        assert!(!shown.contains("djJ8"));
    }

    #[test]
    fn an_error_display_never_contains_the_ks_it_echoes() {
        let call = calls::system_ping();
        let body = format!(
            r#"{{"code":"SOME_NEW_ERROR","message":"bad KS [{KS}] here","objectType":"KalturaAPIException"}}"#
        );
        let err = call.parse_response(&response(200, &body)).err();
        let shown = format!(
            "{err:?} {}",
            err.as_ref().map(|e| e.to_string()).unwrap_or_default()
        );
        assert!(!shown.contains(&KS[..24]));
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn multirequest_results_are_typed_per_slot_with_inline_errors() {
        let mut multi = MultiRequest::new();
        let ping = multi.add(calls::system_ping());
        let media = multi.add(Call::<model::MediaEntry>::new("media", "get"));
        let resp = response(
            200,
            r#"[true, {"code":"ENTRY_ID_NOT_FOUND","message":"Entry id \"0_x\" not found","objectType":"KalturaAPIException","args":{"ENTRY_ID":"0_x"}}]"#,
        );
        let parsed = ok(MultiResponse::parse(&resp));
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed.get(ping), Ok(true));
        assert!(matches!(parsed.get(media), Err(ApiError::NotFound { .. })));
        let mut other = MultiRequest::new();
        other.add(calls::system_ping());
        other.add(calls::system_ping());
        let third = other.add(calls::system_ping());
        assert!(matches!(
            parsed.get(third),
            Err(ApiError::InvalidResponse(_))
        ));
    }

    #[test]
    fn a_whole_multirequest_failure_is_returned_by_parse() {
        let resp = response(
            200,
            r#"{"code":"INVALID_KS","message":"Invalid KS","objectType":"KalturaAPIException","args":{"ERR_DESC":"INVALID_STR"}}"#,
        );
        assert!(matches!(
            MultiResponse::parse(&resp),
            Err(ApiError::InvalidKs { .. })
        ));
        assert!(matches!(
            MultiResponse::parse(&response(200, "{}")),
            Err(ApiError::InvalidResponse(_))
        ));
    }

    #[test]
    fn an_empty_body_parses_as_null_for_void_actions() {
        let call = Call::<()>::new("x", "y");
        assert_eq!(call.parse_response(&response(200, "")), Ok(()));
        assert_eq!(call.parse_response(&response(200, "null")), Ok(()));
    }
}
