//! Structured logs and metric events: every line a component writes to stderr is one
//! JSON object, so that a log pipeline (Spin exports each stderr line as an
//! OpenTelemetry log record; the collector parses it) can read and count it.
//!
//! Two kinds of line:
//! - a log line: `{"level", "component", "request_id", "msg"}` plus `error_id` (and
//!   the bot's `action`) when a failure has one;
//! - a metric event: `{"event", "component", "request_id", ...labels}`, one per
//!   request answered (`http_request`), outbound call (`upstream_call`), Kaltura
//!   circuit admission (`kaltura_circuit`), webhook delivery (`webhook_delivery`) and
//!   rate-limit refusal (`rate_limited`). The collector's `count` connector turns them
//!   into counters (deploy/kubernetes/base/otel-collector-config.yaml).
//!
//! The component name and the request id live in a per-thread context, so any code of
//! the component (and the host-free crates it calls) can log without passing them
//! around. A WASIp2 instance serves one request ([`begin_request`] once); a reused
//! WASIp3 instance runs several requests' tasks at once on its one thread, so each
//! request's future runs [`in_context`]: its labels are put in place whenever it is
//! polled and taken out when it yields. A composed library component is a separate
//! instance: it names itself with [`set_component`] and has no request id (Spin's
//! trace has the request; the library's calls are in-process, with no span of their
//! own).
//!
//! Never put a secret into a line: callers pass ids, labels and messages that are
//! already safe to log (the components' existing rule for their log text).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use serde_json::{Map, Value};

/// The severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Normal operation worth a line (a request summary, a notice).
    Info,
    /// Something an operator should look at, the request still served.
    Warn,
    /// A failure (it usually has an error id).
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// What every line of a request names: its component and request id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels {
    component: Option<String>,
    request_id: Option<String>,
}

impl Labels {
    /// The labels of one request of `component`.
    pub fn request(component: &str, request_id: &str) -> Self {
        Self {
            component: Some(component.to_owned()),
            request_id: Some(request_id.to_owned()),
        }
    }
}

#[derive(Default)]
struct Context {
    labels: Labels,
    capture: Option<Vec<String>>,
}

thread_local! {
    static CONTEXT: RefCell<Context> = RefCell::new(Context::default());
}

/// Starts a request's context: every later line of this thread names `component` and
/// carries `request_id`.
pub fn begin_request(component: &str, request_id: &str) {
    CONTEXT.with(|c| c.borrow_mut().labels = Labels::request(component, request_id));
}

/// Names the component of later lines, keeping any request id (library components,
/// which serve calls rather than requests).
pub fn set_component(component: &str) {
    CONTEXT.with(|c| c.borrow_mut().labels.component = Some(component.to_owned()));
}

/// The current request's id, if a request was begun on this thread.
pub fn request_id() -> Option<String> {
    CONTEXT.with(|c| c.borrow().labels.request_id.clone())
}

/// The labels in place now (for work a request hands to a task of its own).
pub fn current_labels() -> Labels {
    CONTEXT.with(|c| c.borrow().labels.clone())
}

/// Runs `future` with `labels` on every line it writes, however its polls interleave
/// with other futures' on this thread (the requests a reused WASIp3 instance runs at
/// once): each poll puts its labels in place and restores the previous ones after.
pub fn in_context<F: Future>(labels: Labels, future: F) -> InContext<F> {
    InContext {
        labels,
        future: Box::pin(future),
    }
}

/// The future of [`in_context`].
pub struct InContext<F> {
    labels: Labels,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for InContext<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let swap = |labels: &mut Labels| {
            CONTEXT.with(|c| std::mem::swap(&mut c.borrow_mut().labels, labels));
        };
        swap(&mut this.labels);
        let polled = this.future.as_mut().poll(cx);
        swap(&mut this.labels);
        polled
    }
}

/// Runs `f` with this thread's lines collected instead of written, and returns them
/// (for tests of what code logs).
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let previous = CONTEXT.with(|c| c.borrow_mut().capture.replace(Vec::new()));
    let result = f();
    let lines = CONTEXT.with(|c| {
        let mut c = c.borrow_mut();
        std::mem::replace(&mut c.capture, previous).unwrap_or_default()
    });
    (result, lines)
}

/// A line: a JSON object with the context's component and request id first.
fn line(fields: Vec<(&str, Value)>) -> String {
    let mut object = Map::new();
    CONTEXT.with(|c| {
        let c = &c.borrow().labels;
        if let Some(component) = &c.component {
            object.insert("component".into(), Value::String(component.clone()));
        }
        if let Some(id) = &c.request_id {
            object.insert("request_id".into(), Value::String(id.clone()));
        }
    });
    for (key, value) in fields {
        object.insert(key.to_owned(), value);
    }
    Value::Object(object).to_string()
}

fn write(line: String) {
    let captured = CONTEXT.with(|c| match c.borrow_mut().capture.as_mut() {
        Some(lines) => {
            lines.push(line.clone());
            true
        }
        None => false,
    });
    if !captured {
        // One write per line (Spin exports each write to stderr as one log record).
        let _ = std::io::Write::write_all(
            &mut std::io::stderr().lock(),
            format!("{line}\n").as_bytes(),
        );
    }
}

/// Writes a log line with a message.
pub fn log(level: Level, message: &str) {
    write(line(vec![
        ("level", Value::from(level.as_str())),
        ("msg", Value::from(message)),
    ]));
}

/// Writes an error line with the failure's error id (the id the member or client was
/// shown) and extra fields.
pub fn log_error(error_id: &str, message: &str, extra: &[(&str, &str)]) {
    let mut fields = vec![
        ("level", Value::from(Level::Error.as_str())),
        ("error_id", Value::from(error_id)),
        ("msg", Value::from(message)),
    ];
    fields.extend(extra.iter().map(|(k, v)| (*k, Value::from(*v))));
    write(line(fields));
}

/// Writes a metric event: `event` with its labels (the counters' attributes).
pub fn event(event: &str, labels: &[(&str, Value)]) {
    let mut fields = vec![("event", Value::from(event))];
    fields.extend(labels.iter().cloned());
    write(line(fields));
}

/// The `http_request` event of a request answered: its route and status.
pub fn http_request(route: &str, status: u16) {
    event(
        "http_request",
        &[
            ("route", Value::from(route)),
            ("status", Value::from(status)),
        ],
    );
}

/// The `upstream_call` event of one outbound call to `path` (see [`upstream_of`]),
/// with the answer's status or `None` when there was no answer.
pub fn upstream_call(path: &str, status: Option<u16>) {
    let mut labels = vec![
        ("upstream", Value::from(upstream_of(path))),
        ("outcome", Value::from(outcome_of(status))),
    ];
    if let Some(status) = status {
        labels.push(("status", Value::from(status)));
    }
    event("upstream_call", &labels);
}

/// Which service an outbound call goes to, from its path: Kaltura's API is under
/// `/api_v3`, Discord's under `/api/` (the base URLs are settings, the paths are not).
pub fn upstream_of(path: &str) -> &'static str {
    if path.starts_with("/api_v3") {
        "kaltura"
    } else if path.starts_with("/api/") {
        "discord"
    } else {
        "other"
    }
}

/// An answer's outcome label: `ok` (1xx–3xx), `rate_limited` (429), `client_error`
/// (other 4xx), `server_error` (5xx), or `no_answer` (refused, timed out, unreadable).
pub fn outcome_of(status: Option<u16>) -> &'static str {
    match status {
        None => "no_answer",
        Some(429) => "rate_limited",
        Some(s) if s >= 500 => "server_error",
        Some(s) if s >= 400 => "client_error",
        Some(_) => "ok",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn a_line_carries_the_component_and_request_id_of_the_request_begun() {
        let ((), lines) = capture(|| {
            begin_request("gateway", "abc123");
            log(Level::Info, "hello");
        });
        assert_eq!(lines.len(), 1);
        let line = parse(&lines[0]);
        assert_eq!(line["component"], "gateway");
        assert_eq!(line["request_id"], "abc123");
        assert_eq!(line["level"], "info");
        assert_eq!(line["msg"], "hello");
    }

    #[test]
    fn an_error_line_has_its_error_id_as_a_field() {
        let ((), lines) = capture(|| {
            log_error("E-42", "it failed", &[("action", "/kaltura-join")]);
        });
        let line = parse(&lines[0]);
        assert_eq!(line["error_id"], "E-42");
        assert_eq!(line["action"], "/kaltura-join");
        assert_eq!(line["level"], "error");
    }

    #[test]
    fn a_line_with_quotes_and_newlines_stays_one_json_line() {
        let ((), lines) = capture(|| log(Level::Warn, "a \"b\"\nc"));
        assert!(!lines[0].contains('\n'));
        assert_eq!(parse(&lines[0])["msg"], "a \"b\"\nc");
    }

    #[test]
    fn a_library_names_itself_and_has_no_request_id() {
        let ((), lines) = capture(|| {
            set_component("kaltura");
            event("kaltura_circuit", &[("state", Value::from("open"))]);
        });
        let line = parse(&lines[0]);
        assert_eq!(line["component"], "kaltura");
        assert_eq!(line["event"], "kaltura_circuit");
        assert!(line.get("request_id").is_none());
    }

    #[test]
    fn upstream_calls_are_labelled_by_service_and_outcome() {
        let ((), lines) = capture(|| {
            upstream_call("/api_v3/service/session/action/start", Some(200));
            upstream_call("/api/v10/channels/1/messages", Some(429));
            upstream_call("/api/v10/channels/1/messages", None);
        });
        let lines: Vec<Value> = lines.iter().map(|l| parse(l)).collect();
        assert_eq!(lines[0]["upstream"], "kaltura");
        assert_eq!(lines[0]["outcome"], "ok");
        assert_eq!(lines[1]["upstream"], "discord");
        assert_eq!(lines[1]["outcome"], "rate_limited");
        assert_eq!(lines[1]["status"], 429);
        assert_eq!(lines[2]["outcome"], "no_answer");
        assert!(lines[2].get("status").is_none());
    }

    #[test]
    fn outcomes_follow_the_status_class() {
        assert_eq!(outcome_of(Some(204)), "ok");
        assert_eq!(outcome_of(Some(404)), "client_error");
        assert_eq!(outcome_of(Some(503)), "server_error");
        assert_eq!(upstream_of("/other"), "other");
    }

    /// A future that yields once (as a request waiting on its body does).
    fn yield_once() -> impl Future<Output = ()> {
        let mut yielded = false;
        std::future::poll_fn(move |cx| {
            if yielded {
                Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    }

    #[test]
    fn interleaved_requests_each_log_with_their_own_request_id() {
        let request = |id: &'static str| {
            in_context(Labels::request("gateway", id), async move {
                log(Level::Info, &format!("{id} before"));
                yield_once().await;
                log(Level::Info, &format!("{id} after"));
            })
        };
        let ((), lines) = capture(|| {
            begin_request("gateway", "outer");
            let mut first = std::pin::pin!(request("first"));
            let mut second = std::pin::pin!(request("second"));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            // first starts, second starts, first ends, second ends.
            assert!(first.as_mut().poll(&mut cx).is_pending());
            assert!(second.as_mut().poll(&mut cx).is_pending());
            assert!(first.as_mut().poll(&mut cx).is_ready());
            log(Level::Info, "outer between");
            assert!(second.as_mut().poll(&mut cx).is_ready());
        });
        let ids: Vec<(String, String)> = lines
            .iter()
            .map(|l| {
                let line = parse(l);
                (
                    line["msg"].as_str().unwrap_or_default().to_owned(),
                    line["request_id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let expected = [
            ("first before", "first"),
            ("second before", "second"),
            ("first after", "first"),
            ("outer between", "outer"),
            ("second after", "second"),
        ];
        assert_eq!(
            ids,
            expected.map(|(m, i)| (m.to_owned(), i.to_owned())).to_vec()
        );
    }

    #[test]
    fn the_labels_of_a_request_are_what_work_it_hands_on_gets() {
        let ((), lines) = capture(|| {
            begin_request("discord-bot", "r-1");
            let labels = current_labels();
            begin_request("discord-bot", "r-2");
            let mut work = std::pin::pin!(in_context(labels, async {
                log(Level::Info, "after the answer");
            }));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(work.as_mut().poll(&mut cx).is_ready());
        });
        assert_eq!(parse(&lines[0])["request_id"], "r-1");
    }

    #[test]
    fn captured_lines_are_not_kept_after_the_capture() {
        let ((), first) = capture(|| log(Level::Info, "one"));
        let ((), second) = capture(|| log(Level::Info, "two"));
        assert_eq!(first.len(), 1);
        assert_eq!(second.len(), 1);
    }
}
