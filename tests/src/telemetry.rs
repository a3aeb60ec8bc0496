//! The test host's imitation of Spin's OpenTelemetry export (`OTEL_EXPORTER_OTLP_ENDPOINT`
//! set; Spin's `crates/telemetry`, `trigger-http`, `factor-key-value`,
//! `factor-outbound-http`, `factor-variables`), small but with Spin's names and
//! parentage, so that tests/e2e/telemetry.rs asserts the same trace on both hosts:
//!
//! - `<METHOD> <route>` (server): one request, from arrival to response; a child of the
//!   caller's span when the request has a W3C `traceparent` (Spin extracts it);
//! - `execute_wasm_component <id>` under it, until the instance finishes (after the
//!   response, if it works on);
//! - under that, one span per host call: `wasi_key_value.*`, `wasi_key_value_cas.*`,
//!   `spin_key_value.*` (Spin's names for the atomics and the Spin key-value API),
//!   `spin_variables.get`, and each outbound request (client), named by its method.
//!
//! A reused WASIp3 instance is not a request's: its execute span ends with the
//! response, and its host calls' spans and log records belong to no request (see
//! [`InstanceTrace::Detached`]); `spin:key-value@3.0.0` calls have no span (Spin 4.1
//! instruments its 2.0.0 functions only).
//!
//! Each write of an instance to stderr or stdout is a log record with a `component_id`
//! attribute, as Spin's `handle_app_log`. Everything of a request is exported once the
//! request and its instance are both done, as OTLP/HTTP protobuf (what Spin sends).
//! Library components are in-process (no span of their own), as on Spin.

use crate::otlp_proto as pb;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWrite;

/// OTLP span kinds.
const INTERNAL: i32 = 1;
const SERVER: i32 = 2;
const CLIENT: i32 = 3;

/// Where a running app exports to.
#[derive(Debug)]
pub(crate) struct Exporter {
    addr: SocketAddr,
    host: String,
}

impl Exporter {
    /// An exporter to `endpoint` (`http://127.0.0.1:<port>`: the tests' collector).
    ///
    /// # Errors
    /// When the endpoint is not `http://` followed by an IP address and port.
    pub(crate) fn new(endpoint: &str) -> anyhow::Result<Self> {
        let host = endpoint
            .strip_prefix("http://")
            .map(|h| h.trim_end_matches('/'))
            .ok_or_else(|| anyhow::anyhow!("OTLP endpoint must be http://<ip>:<port>"))?;
        Ok(Self {
            addr: host.parse()?,
            host: host.to_owned(),
        })
    }

    /// POSTs `body` to `path`; failures are dropped, as an exporter's are.
    fn post(&self, path: &str, body: &[u8]) {
        let Ok(mut stream) = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-protobuf\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.host,
            body.len()
        );
        if stream.write_all(head.as_bytes()).is_ok() && stream.write_all(body).is_ok() {
            let _ = stream.read_to_end(&mut Vec::new());
        }
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A random-enough id (the standard library's per-process random hasher keys, a counter).
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u64(now_ns());
    hasher.finish()
}

/// A span id.
pub(crate) type SpanId = [u8; 8];

/// The spans and log records of one request, exported when the last holder drops it.
pub(crate) struct RequestTrace {
    exporter: Arc<Exporter>,
    trace_id: [u8; 16],
    spans: Mutex<Vec<pb::Span>>,
    logs: Mutex<Vec<pb::LogRecord>>,
}

impl RequestTrace {
    /// A trace for one request: the caller's (`traceparent`) or a new one. Returns the
    /// caller's span id too, the parent of the request span.
    pub(crate) fn begin(
        exporter: Arc<Exporter>,
        traceparent: Option<&str>,
    ) -> (Arc<Self>, Vec<u8>) {
        let caller = traceparent.and_then(parse_traceparent);
        let (trace_id, parent) = match caller {
            Some((trace_id, parent)) => (trace_id, parent.to_vec()),
            None => {
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&random_u64().to_be_bytes());
                id[8..].copy_from_slice(&random_u64().to_be_bytes());
                (id, Vec::new())
            }
        };
        let trace = Arc::new(Self {
            exporter,
            trace_id,
            spans: Mutex::new(Vec::new()),
            logs: Mutex::new(Vec::new()),
        });
        (trace, parent)
    }

    /// Starts span `name` of `kind` under `parent` (empty: a root).
    fn start(self: &Arc<Self>, name: &str, kind: i32, parent: &[u8]) -> OpenSpan {
        OpenSpan {
            trace: self.clone(),
            span: pb::Span {
                trace_id: self.trace_id.to_vec(),
                span_id: random_u64().to_be_bytes().to_vec(),
                parent_span_id: parent.to_vec(),
                name: name.to_owned(),
                kind,
                start_time_unix_nano: now_ns(),
                end_time_unix_nano: 0,
                attributes: Vec::new(),
            },
        }
    }

    /// The request span (server kind).
    pub(crate) fn request_span(
        self: &Arc<Self>,
        method: &str,
        route: &str,
        path: &str,
        parent: &[u8],
    ) -> OpenSpan {
        let mut span = self.start(&format!("{method} {route}"), SERVER, parent);
        span.set("http.request.method", pb::AnyValue::string(method));
        span.set("http.route", pb::AnyValue::string(route));
        span.set("url.path", pb::AnyValue::string(path));
        span
    }

    /// The component's execution span, under the request span.
    pub(crate) fn execute_span(self: &Arc<Self>, component: &str, request: &OpenSpan) -> OpenSpan {
        self.start(
            &format!("execute_wasm_component {component}"),
            INTERNAL,
            &request.span.span_id,
        )
    }

    /// Adds one write of an instance as a log record.
    fn log(&self, component: &str, bytes: &[u8]) {
        if let Ok(mut logs) = self.logs.lock() {
            logs.push(pb::LogRecord {
                time_unix_nano: now_ns(),
                body: Some(pb::AnyValue::string(String::from_utf8_lossy(bytes))),
                attributes: vec![pb::KeyValue::new(
                    "component_id",
                    pb::AnyValue::string(component),
                )],
            });
        }
    }
}

impl Drop for RequestTrace {
    fn drop(&mut self) {
        use prost::Message;
        let resource = Some(pb::Resource {
            attributes: vec![pb::KeyValue::new(
                "service.name",
                pb::AnyValue::string("kaltura-discord"),
            )],
        });
        let spans = self
            .spans
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default();
        let logs = self
            .logs
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default();
        let traces = pb::ExportTraceServiceRequest {
            resource_spans: vec![pb::ResourceSpans {
                resource: resource.clone(),
                scope_spans: vec![pb::ScopeSpans { spans }],
            }],
        };
        let records = pb::ExportLogsServiceRequest {
            resource_logs: vec![pb::ResourceLogs {
                resource,
                scope_logs: vec![pb::ScopeLogs { log_records: logs }],
            }],
        };
        let exporter = self.exporter.clone();
        // Exported off the runtime's threads (a blocking POST, as a batch exporter's).
        std::thread::spawn(move || {
            exporter.post("/v1/traces", &traces.encode_to_vec());
            exporter.post("/v1/logs", &records.encode_to_vec());
        });
    }
}

/// `00-<trace id>-<parent id>-<flags>`.
fn parse_traceparent(header: &str) -> Option<([u8; 16], [u8; 8])> {
    let mut parts = header.trim().split('-');
    let (version, trace, parent) = (parts.next()?, parts.next()?, parts.next()?);
    if version != "00" {
        return None;
    }
    let trace: [u8; 16] = hex::decode(trace).ok()?.try_into().ok()?;
    let parent: [u8; 8] = hex::decode(parent).ok()?.try_into().ok()?;
    Some((trace, parent))
}

/// A span not yet ended.
pub(crate) struct OpenSpan {
    trace: Arc<RequestTrace>,
    span: pb::Span,
}

impl OpenSpan {
    /// Sets an attribute.
    pub(crate) fn set(&mut self, key: &str, value: pb::AnyValue) {
        self.span.attributes.retain(|kv| kv.key != key);
        self.span.attributes.push(pb::KeyValue::new(key, value));
    }

    /// Its id, the parent of the spans under it.
    pub(crate) fn id(&self) -> SpanId {
        self.span.span_id.clone().try_into().unwrap_or_default()
    }

    /// Ends it now.
    pub(crate) fn end(mut self) {
        self.span.end_time_unix_nano = now_ns();
        if let Ok(mut spans) = self.trace.spans.lock() {
            spans.push(self.span.clone());
        }
    }
}

/// What an instance carries when the app exports telemetry.
#[derive(Clone)]
pub(crate) enum InstanceTrace {
    /// A WASIp2 instance, made for one request: its trace and the execute span's id,
    /// the parent of its host calls; its output is that request's log records.
    Request {
        /// The request's trace.
        trace: Arc<RequestTrace>,
        /// The execute span's id.
        execute: SpanId,
    },
    /// A reused WASIp3 instance, serving many requests: as on Spin 4.1 *(checked with
    /// `spin up`)*, its host calls' spans have no parent — each is the root of a trace
    /// of its own — and each output write is a log record outside any request's trace.
    Detached(Arc<Exporter>),
}

impl InstanceTrace {
    /// Starts a host call's span (client kind, as Spin's `otel.kind = "client"`).
    pub(crate) fn call(&self, name: &str) -> OpenSpan {
        match self {
            Self::Request { trace, execute } => trace.start(name, CLIENT, execute),
            Self::Detached(exporter) => {
                RequestTrace::begin(exporter.clone(), None)
                    .0
                    .start(name, CLIENT, &[])
            }
        }
    }

    /// Adds one output write of `component` as a log record.
    fn log(&self, component: &str, bytes: &[u8]) {
        match self {
            Self::Request { trace, .. } => trace.log(component, bytes),
            Self::Detached(exporter) => {
                RequestTrace::begin(exporter.clone(), None)
                    .0
                    .log(component, bytes);
            }
        }
    }
}

/// Ends a host call's span when dropped.
pub(crate) struct CallGuard(Option<OpenSpan>);

impl CallGuard {
    /// A guard for `name` under `instance`, or a no-op without a trace.
    pub(crate) fn new(instance: Option<&InstanceTrace>, name: &str) -> Self {
        Self(instance.map(|i| i.call(name)))
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if let Some(span) = self.0.take() {
            span.end();
        }
    }
}

/// An instance's stdout/stderr when its request is traced: everything goes to the app's
/// log as before, and each write also becomes a log record of the request.
pub(crate) struct TeeOutput {
    pub(crate) inner: wasmtime_wasi::p2::pipe::MemoryOutputPipe,
    pub(crate) trace: InstanceTrace,
    pub(crate) component: String,
}

impl wasmtime_wasi::cli::IsTerminal for TeeOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for TeeOutput {
    fn p2_stream(&self) -> Box<dyn wasmtime_wasi::p2::OutputStream> {
        Box::new(TeeStream {
            inner: self.inner.clone(),
            trace: self.trace.clone(),
            component: self.component.clone(),
        })
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(TeeWriter {
            inner: Box::into_pin(wasmtime_wasi::cli::StdoutStream::async_stream(&self.inner)),
            trace: self.trace.clone(),
            component: self.component.clone(),
        })
    }
}

/// The WASIp2 stream of [`TeeOutput`]: each write is one log record, as each of
/// Spin's `ComponentStdioWriter` writes is.
struct TeeStream {
    inner: wasmtime_wasi::p2::pipe::MemoryOutputPipe,
    trace: InstanceTrace,
    component: String,
}

#[wasmtime_wasi::async_trait]
impl wasmtime_wasi::p2::OutputStream for TeeStream {
    fn write(&mut self, bytes: bytes::Bytes) -> wasmtime_wasi::p2::StreamResult<()> {
        self.trace.log(&self.component, &bytes);
        wasmtime_wasi::p2::OutputStream::write(&mut self.inner, bytes)
    }

    fn flush(&mut self) -> wasmtime_wasi::p2::StreamResult<()> {
        wasmtime_wasi::p2::OutputStream::flush(&mut self.inner)
    }

    fn check_write(&mut self) -> wasmtime_wasi::p2::StreamResult<usize> {
        wasmtime_wasi::p2::OutputStream::check_write(&mut self.inner)
    }
}

#[wasmtime_wasi::async_trait]
impl wasmtime_wasi::p2::Pollable for TeeStream {
    async fn ready(&mut self) {}
}

struct TeeWriter {
    inner: Pin<Box<dyn AsyncWrite + Send + Sync>>,
    trace: InstanceTrace,
    component: String,
}

impl AsyncWrite for TeeWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = self.inner.as_mut().poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &polled {
            self.trace.log(&self.component, &buf[..*n]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.inner.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.inner.as_mut().poll_shutdown(cx)
    }
}

/// Records an outbound request's answer on its span (Spin's attributes).
pub(crate) fn outbound_span(
    instance: Option<&InstanceTrace>,
    method: &str,
    uri: &http::Uri,
) -> Option<OpenSpan> {
    let mut span = instance?.call(method);
    span.set("http.request.method", pb::AnyValue::string(method));
    span.set("url.full", pb::AnyValue::string(uri.to_string()));
    if let Some(host) = uri.host() {
        span.set("server.address", pb::AnyValue::string(host));
    }
    if let Some(port) = uri.port_u16() {
        span.set("server.port", pb::AnyValue::int(i64::from(port)));
    }
    Some(span)
}

/// Sets a span's `http.response.status_code`.
pub(crate) fn set_status(span: &mut OpenSpan, status: u16) {
    span.set(
        "http.response.status_code",
        pb::AnyValue::int(i64::from(status)),
    );
}
