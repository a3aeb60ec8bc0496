//! A small OpenTelemetry collector for the tests: it receives OTLP over HTTP on
//! `/v1/traces`, `/v1/logs` and `/v1/metrics` (accepted and dropped), protobuf bodies
//! (what Spin sends: it has no http/json exporter) or JSON ones, and keeps the spans and
//! log records, so a test can assert what real Spin and the test host export. It runs
//! on a thread of its own.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use wasmtime_wasi_http::io::TokioIo;

/// One span as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The trace id, hex.
    pub trace_id: String,
    /// The span id, hex.
    pub span_id: String,
    /// The parent span's id, hex; empty for a root span.
    pub parent_span_id: String,
    /// The span's name.
    pub name: String,
    /// OTLP's span kind: 1 internal, 2 server, 3 client.
    pub kind: i64,
    /// Start, Unix nanoseconds.
    pub start_ns: u64,
    /// End, Unix nanoseconds.
    pub end_ns: u64,
    /// String, integer and boolean attributes, as text.
    pub attributes: BTreeMap<String, String>,
}

impl Span {
    /// How long it took.
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.end_ns.saturating_sub(self.start_ns))
    }
}

/// One log record as received: its body and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// The body (a component's stderr write).
    pub body: String,
    /// String, integer and boolean attributes, as text.
    pub attributes: BTreeMap<String, String>,
}

#[derive(Default)]
struct Received {
    spans: Vec<Span>,
    logs: Vec<LogRecord>,
    refused: Vec<String>,
}

/// The running collector. Dropping it stops it.
pub struct Collector {
    addr: SocketAddr,
    received: Arc<Mutex<Received>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Collector {
    /// Starts it on 127.0.0.1 on a port the kernel picks.
    ///
    /// # Errors
    /// When the runtime or the listener cannot be set up.
    pub fn start() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otlp-collector")
            .enable_all()
            .build()
            .context("starting the collector's runtime")?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let received = Arc::new(Mutex::new(Received::default()));
        runtime.spawn(serve(listener, received.clone()));
        Ok(Self {
            addr,
            received,
            runtime: Some(runtime),
        })
    }

    /// The endpoint to export to (`OTEL_EXPORTER_OTLP_ENDPOINT`): `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.received
            .lock()
            .map(|r| r.spans.clone())
            .unwrap_or_default()
    }

    /// Every log record received so far.
    pub fn logs(&self) -> Vec<LogRecord> {
        self.received
            .lock()
            .map(|r| r.logs.clone())
            .unwrap_or_default()
    }

    /// Exports it could not read (e.g. protobuf instead of JSON), with why.
    pub fn refused(&self) -> Vec<String> {
        self.received
            .lock()
            .map(|r| r.refused.clone())
            .unwrap_or_default()
    }

    /// Waits until `ready` holds for what was received, or `timeout` passes.
    ///
    /// # Errors
    /// When `timeout` passes first: the error lists the span names received.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        ready: impl Fn(&[Span], &[LogRecord]) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let (spans, logs) = (self.spans(), self.logs());
            if ready(&spans, &logs) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
                bail!(
                    "the collector did not receive what was expected within {timeout:?}: \
                     spans {names:?}, {} log records, refused {:?}",
                    logs.len(),
                    self.refused()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn serve(listener: TcpListener, received: Arc<Mutex<Received>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let received = received.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let received = received.clone();
                async move { receive(request, &received).await }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn receive(
    request: hyper::Request<hyper::body::Incoming>,
    received: &Mutex<Received>,
) -> Result<hyper::Response<Full<Bytes>>> {
    let path = request.uri().path().to_owned();
    let content_type = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = request.into_body().collect().await?.to_bytes();
    let decoded = decode(&path, &content_type, &body);
    if let Ok(mut r) = received.lock() {
        match decoded {
            Ok((spans, logs)) => {
                r.spans.extend(spans);
                r.logs.extend(logs);
            }
            Err(why) => r.refused.push(format!("{path}: {why}")),
        }
    }
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(b"{}")));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// The spans and log records of one export.
fn decode(path: &str, content_type: &str, body: &[u8]) -> Result<(Vec<Span>, Vec<LogRecord>)> {
    use crate::otlp_proto as pb;
    use prost::Message;
    let json = content_type.starts_with("application/json");
    if !json && !content_type.starts_with("application/x-protobuf") {
        bail!("unsupported content type {content_type:?}");
    }
    match path {
        "/v1/traces" if json => Ok((spans_of(&serde_json::from_slice(body)?), Vec::new())),
        "/v1/logs" if json => Ok((Vec::new(), logs_of(&serde_json::from_slice(body)?))),
        "/v1/traces" => {
            let request = pb::ExportTraceServiceRequest::decode(body)?;
            let spans = request
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .flat_map(|s| &s.spans)
                .map(|s| Span {
                    trace_id: hex::encode(&s.trace_id),
                    span_id: hex::encode(&s.span_id),
                    parent_span_id: hex::encode(&s.parent_span_id),
                    name: s.name.clone(),
                    kind: i64::from(s.kind),
                    start_ns: s.start_time_unix_nano,
                    end_ns: s.end_time_unix_nano,
                    attributes: pb_attributes(&s.attributes),
                })
                .collect();
            Ok((spans, Vec::new()))
        }
        "/v1/logs" => {
            let request = pb::ExportLogsServiceRequest::decode(body)?;
            let logs = request
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .flat_map(|s| &s.log_records)
                .map(|l| LogRecord {
                    body: l.body.as_ref().map(pb::AnyValue::text).unwrap_or_default(),
                    attributes: pb_attributes(&l.attributes),
                })
                .collect();
            Ok((Vec::new(), logs))
        }
        "/v1/metrics" => Ok((Vec::new(), Vec::new())),
        other => bail!("unknown path {other}"),
    }
}

fn pb_attributes(attributes: &[crate::otlp_proto::KeyValue]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|kv| {
            let value = kv.value.as_ref().map(crate::otlp_proto::AnyValue::text);
            (kv.key.clone(), value.unwrap_or_default())
        })
        .collect()
}

fn items<'a>(doc: &'a Value, outer: &str, middle: &str, inner: &str) -> Vec<&'a Value> {
    let list = |v: &'a Value, key: &str| v[key].as_array().map(Vec::as_slice).unwrap_or(&[]);
    list(doc, outer)
        .iter()
        .flat_map(|r| list(r, middle))
        .flat_map(|s| list(s, inner))
        .collect()
}

/// An OTLP JSON attribute value as text (string, int, double or bool).
fn value_text(value: &Value) -> String {
    for key in ["stringValue", "intValue", "doubleValue", "boolValue"] {
        match &value[key] {
            Value::String(s) => return s.clone(),
            Value::Null => {}
            other => return other.to_string(),
        }
    }
    value.to_string()
}

fn attributes_of(item: &Value) -> BTreeMap<String, String> {
    item["attributes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter_map(|a| Some((a["key"].as_str()?.to_owned(), value_text(&a["value"]))))
        .collect()
}

/// A nanosecond timestamp: OTLP JSON writes 64-bit integers as strings.
fn nanos(value: &Value) -> u64 {
    match value {
        Value::String(s) => s.parse().unwrap_or(0),
        other => other.as_u64().unwrap_or(0),
    }
}

fn spans_of(doc: &Value) -> Vec<Span> {
    items(doc, "resourceSpans", "scopeSpans", "spans")
        .into_iter()
        .map(|s| Span {
            trace_id: s["traceId"].as_str().unwrap_or_default().to_owned(),
            span_id: s["spanId"].as_str().unwrap_or_default().to_owned(),
            parent_span_id: s["parentSpanId"].as_str().unwrap_or_default().to_owned(),
            name: s["name"].as_str().unwrap_or_default().to_owned(),
            kind: s["kind"].as_i64().unwrap_or(0),
            start_ns: nanos(&s["startTimeUnixNano"]),
            end_ns: nanos(&s["endTimeUnixNano"]),
            attributes: attributes_of(s),
        })
        .collect()
}

fn logs_of(doc: &Value) -> Vec<LogRecord> {
    items(doc, "resourceLogs", "scopeLogs", "logRecords")
        .into_iter()
        .map(|l| LogRecord {
            body: value_text(&l["body"]),
            attributes: attributes_of(l),
        })
        .collect()
}

/// The spans of one trace as an indented tree (name and duration), children in start
/// order: how the closing notes quote a trace.
pub fn render_tree(spans: &[Span]) -> String {
    fn walk(spans: &[Span], parent: &str, depth: usize, out: &mut String) {
        let mut children: Vec<&Span> = spans
            .iter()
            .filter(|s| s.parent_span_id == parent)
            .collect();
        children.sort_by_key(|s| s.start_ns);
        for span in children {
            let ms = span.duration().as_secs_f64() * 1000.0;
            out.push_str(&format!(
                "{}{}  ({ms:.2} ms)\n",
                "  ".repeat(depth),
                span.name
            ));
            walk(spans, &span.span_id, depth + 1, out);
        }
    }
    let ids: std::collections::HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let mut out = String::new();
    let mut roots: Vec<&str> = spans
        .iter()
        .filter(|s| !ids.contains(s.parent_span_id.as_str()))
        .map(|s| s.parent_span_id.as_str())
        .collect();
    roots.sort_unstable();
    roots.dedup();
    for root in roots {
        walk(spans, root, 0, &mut out);
    }
    out
}
