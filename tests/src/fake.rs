//! Fake upstream servers (Discord, Kaltura) on 127.0.0.1: they record every request
//! exactly as received (bodies de-chunked: spin-sdk sends chunked bodies) and answer
//! with whatever the test scripted, in the real services' wire formats.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

/// A request a fake server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method.
    pub method: String,
    /// The path with its query string.
    pub path: String,
    /// Headers, names lower case.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    ///
    /// # Errors
    /// When the body is not JSON.
    pub fn json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
    }
}

/// What a fake answers.
#[derive(Debug, Clone)]
pub struct FakeResponse {
    /// The status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How long to wait before answering (to drive timeouts).
    pub delay: Duration,
}

impl FakeResponse {
    /// A JSON answer.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    /// A plain-text answer.
    pub fn text(status: u16, text: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: text.as_bytes().to_vec(),
            delay: Duration::ZERO,
        }
    }

    /// The same answer after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Responder = dyn Fn(&Recorded) -> FakeResponse + Send + Sync;

struct Inner {
    received: Mutex<Vec<Recorded>>,
    responder: Mutex<Arc<Responder>>,
}

/// A fake HTTP server. Dropping it stops it.
pub struct FakeServer {
    addr: SocketAddr,
    inner: Arc<Inner>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FakeServer {
    /// Starts a server that answers with `responder`.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start(
        responder: impl Fn(&Recorded) -> FakeResponse + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            received: Mutex::new(Vec::new()),
            responder: Mutex::new(Arc::new(responder)),
        });
        let accept = tokio::spawn(accept_loop(listener, inner.clone()));
        Ok(Self {
            addr,
            inner,
            accept,
        })
    }

    /// A fake Kaltura: `system.ping` answers `true`; any other action answers a
    /// `KalturaAPIException` inside a 200, as Kaltura does, until the test scripts more.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn kaltura() -> std::io::Result<Self> {
        Self::start(|request| {
            if request
                .path
                .starts_with("/api_v3/service/system/action/ping")
            {
                FakeResponse::json(200, &serde_json::json!(true))
            } else {
                FakeResponse::json(
                    200,
                    &serde_json::json!({
                        "code": "SERVICE_DOES_NOT_EXISTS",
                        "message": "fake Kaltura has no answer scripted for this action",
                        "objectType": "KalturaAPIException",
                        "args": {}
                    }),
                )
            }
        })
        .await
    }

    /// A fake Discord REST API (`/api/v10`): answers 404 with Discord's error body
    /// until the test scripts more.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn discord() -> std::io::Result<Self> {
        Self::start(|_| {
            FakeResponse::json(
                404,
                &serde_json::json!({"message": "404: Not Found", "code": 0}),
            )
        })
        .await
    }

    /// Replaces how the server answers.
    pub fn respond_with(
        &self,
        responder: impl Fn(&Recorded) -> FakeResponse + Send + Sync + 'static,
    ) {
        if let Ok(mut current) = self.inner.responder.lock() {
            *current = Arc::new(responder);
        }
    }

    /// `http://127.0.0.1:<port>`, the value for a base-URL variable.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Recorded> {
        self.inner
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

async fn accept_loop(listener: TcpListener, inner: Arc<Inner>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let inner = inner.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let inner = inner.clone();
                async move { Ok::<_, Infallible>(answer(request, &inner).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    request: hyper::Request<hyper::body::Incoming>,
    inner: &Inner,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes().to_vec())
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        body,
    };
    let responder = inner.responder.lock().map(|r| r.clone()).ok();
    if let Ok(mut received) = inner.received.lock() {
        received.push(recorded.clone());
    }
    let scripted = match responder {
        Some(responder) => responder(&recorded),
        None => FakeResponse::text(500, "fake server lock poisoned"),
    };
    if !scripted.delay.is_zero() {
        tokio::time::sleep(scripted.delay).await;
    }
    let mut response = hyper::Response::new(Full::new(Bytes::from(scripted.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(scripted.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in scripted.headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
