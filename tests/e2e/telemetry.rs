//! Telemetry end to end: the app exports to an OTLP/HTTP JSON collector the test starts
//! ([`e2e::otlp::Collector`]) — on real Spin (`SPIN_BIN`) through its own OpenTelemetry
//! support, on the test host through its imitation of it ([`e2e::telemetry`]). A
//! `/kaltura-join` and a Kaltura webhook must arrive as Spin's spans with Spin's
//! parentage, and the components' log lines as log records: one JSON object each,
//! whose metric events count (as the collector config's `count` connector counts them,
//! deploy/kubernetes/base/otel-collector-config.yaml) to the requests and calls made.

use crate::support::{configured, discord_signature, now, KALTURA_ADMIN_SECRET};
use e2e::otlp::{render_tree, Collector, LogRecord, Span};
use e2e::{Client, FakeResponse, Recorded, TestApp};
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::BTreeMap;
use std::time::Duration;

const APP: &str = "1100000000000000001";
const GUILD: &str = "300000000000000001";
const CHANNEL: &str = "400000000000000001";
const OWNER: &str = "200000000000000001";
const GUEST: &str = "200000000000000002";
/// Interaction tokens start with this; no log record may contain it.
const TOKEN_MARK: &str = "itok-secret";

/// OTLP span kinds.
const SERVER: i64 = 2;
const CLIENT: i64 = 3;

/// A W3C `traceparent` whose trace id the test knows, so that it can pick its request's
/// trace out of everything exported (Spin continues a caller's trace, as it should).
fn traceparent(n: u8) -> (String, String, String) {
    let trace_id = format!(
        "{:032x}",
        0x0af7_6519_16cd_43dd_8448_eb21_1c80_3100u128 + u128::from(n)
    );
    let parent_id = format!("b7ad6b71692033{n:02x}");
    (format!("00-{trace_id}-{parent_id}-01"), trace_id, parent_id)
}

/// Sends a signed interaction; returns the answer and its `x-request-id`.
async fn interact(
    client: &mut Client,
    n: u64,
    kind: u8,
    data: Value,
    member: &str,
    trace: Option<&str>,
) -> (Value, String) {
    let payload = json!({
        "type": kind,
        "id": (900_000_000_000_000_000 + n).to_string(),
        "application_id": APP,
        "token": format!("{TOKEN_MARK}-{n}"),
        "version": 1,
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "member": {"user": {"id": member, "username": "m", "global_name": "M"},
                   "roles": [], "permissions": "2147485696"},
        "data": data
    })
    .to_string();
    let timestamp = now();
    let signature = discord_signature(&timestamp, &payload);
    let mut headers = vec![
        ("content-type", "application/json"),
        ("x-signature-ed25519", signature.as_str()),
        ("x-signature-timestamp", timestamp.as_str()),
    ];
    if let Some(trace) = trace {
        headers.push(("traceparent", trace));
    }
    let response = client
        .send("POST", "/discord/interactions", &headers, payload)
        .await
        .unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let request_id = response
        .header("x-request-id")
        .expect("every answer names its request id")
        .to_owned();
    (response.json().unwrap(), request_id)
}

/// A Kaltura that creates room 1001, and a Discord that accepts every edit of an
/// original response, every channel lookup (the channel is the server's) and every post.
fn fakes(discord: &e2e::FakeServer, kaltura: &e2e::FakeServer) {
    kaltura.respond_with(|request: &Recorded| {
        if request.path == "/api_v3/service/schedule_scheduleresource/action/add" {
            let body = request.json().unwrap_or(Value::Null);
            FakeResponse::json(
                200,
                &json!({"id": 1001, "partnerId": 1234567,
                        "name": body["scheduleResource"]["name"],
                        "tags": body["scheduleResource"]["tags"], "status": 2,
                        "createdAt": 1_700_000_000, "objectType": "KalturaLocationScheduleResource"}),
            )
        } else {
            FakeResponse::json(
                200,
                &json!({"code": "SERVICE_DOES_NOT_EXISTS", "message": "none",
                        "objectType": "KalturaAPIException", "args": {}}),
            )
        }
    });
    discord.respond_with(|request: &Recorded| {
        if request.method == "PATCH" && request.path.ends_with("/messages/@original") {
            let mut message = request.json().unwrap_or_else(|_| json!({}));
            message["id"] = json!("600000000000000001");
            message["channel_id"] = json!(CHANNEL);
            FakeResponse::json(200, &message)
        } else if request.method == "GET" && request.path.starts_with("/api/v10/channels/") {
            FakeResponse::json(200, &json!({"id": CHANNEL, "guild_id": GUILD, "type": 0}))
        } else if request.method == "POST" && request.path.ends_with("/messages") {
            FakeResponse::json(
                200,
                &json!({"id": "923456789012345678", "channel_id": CHANNEL}),
            )
        } else {
            FakeResponse::json(404, &json!({"message": "404: Not Found", "code": 0}))
        }
    });
}

/// The spans of trace `trace_id`.
fn trace(spans: &[Span], trace_id: &str) -> Vec<Span> {
    spans
        .iter()
        .filter(|s| s.trace_id == trace_id)
        .cloned()
        .collect()
}

fn only<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<&Span> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one `{name}` span in {}",
        render_tree(spans)
    );
    found[0]
}

/// Asserts Spin's shape of one request's trace: the request span (server, named
/// `<METHOD> <route>`, child of the caller's span), `execute_wasm_component <id>` under
/// it, and under that the host calls: key-value operations, variables, and each
/// outbound request (client, named by its method). Returns the execute span's children.
fn assert_request_trace(
    spans: &[Span],
    caller_span: &str,
    route: &str,
    component: &str,
    outbound: &[&str],
) -> Vec<Span> {
    let tree = render_tree(spans);
    let request = only(spans, &format!("POST {route}"));
    assert_eq!(request.kind, SERVER, "{tree}");
    assert_eq!(
        request.parent_span_id, caller_span,
        "continues the caller's trace: {tree}"
    );
    assert_eq!(
        request.attributes.get("http.route").map(String::as_str),
        Some(route)
    );
    assert_eq!(
        request
            .attributes
            .get("http.response.status_code")
            .map(String::as_str),
        Some("200")
    );
    let execute = only(spans, &format!("execute_wasm_component {component}"));
    assert_eq!(execute.parent_span_id, request.span_id, "{tree}");
    if reused_instances() {
        // Spin 4.1 traces the host calls of a reused (WASIp3) instance on their own,
        // outside the request's trace: only the request and execute spans are its.
        return Vec::new();
    }
    let calls: Vec<Span> = spans
        .iter()
        .filter(|s| s.parent_span_id == execute.span_id)
        .cloned()
        .collect();
    assert!(
        calls.iter().any(|s| s.name.starts_with("wasi_key_value")),
        "key-value operations are visible: {tree}"
    );
    assert!(
        calls.iter().any(|s| s.name == "spin_variables.get"),
        "variable reads are visible: {tree}"
    );
    for method in outbound {
        let call = calls
            .iter()
            .find(|s| s.name == *method && s.kind == CLIENT)
            .unwrap_or_else(|| panic!("an outbound {method} under the component: {tree}"));
        assert!(call.attributes.contains_key("url.full"), "{tree}");
        assert_eq!(
            call.attributes
                .get("http.response.status_code")
                .map(String::as_str),
            Some("200"),
            "{tree}"
        );
    }
    assert!(
        spans
            .iter()
            .all(|s| s.span_id == request.span_id || s.start_ns >= request.start_ns),
        "nothing starts before the request: {tree}"
    );
    calls
}

/// The log records of `component` as JSON objects; every one must be one.
fn lines(records: &[LogRecord], component: &str) -> Vec<Value> {
    records
        .iter()
        .filter(|r| r.attributes.get("component_id").map(String::as_str) == Some(component))
        .filter(|r| !r.body.trim().is_empty())
        .map(|r| {
            assert!(!r.body.contains(TOKEN_MARK), "a token was logged");
            assert!(
                !r.body.contains(KALTURA_ADMIN_SECRET),
                "a secret was logged"
            );
            serde_json::from_str::<Value>(r.body.trim())
                .unwrap_or_else(|e| panic!("not one JSON object ({e}): {:?}", r.body))
        })
        .collect()
}

/// Counts metric events as the collector's `count` connector does: those whose
/// `event` is `event`, by the values of `keys` (missing ones as `unknown`).
fn count(lines: &[Value], event: &str, keys: &[&str]) -> BTreeMap<Vec<String>, usize> {
    let mut counts = BTreeMap::new();
    for line in lines.iter().filter(|l| l["event"] == event) {
        let labels = keys
            .iter()
            .map(|k| match &line[*k] {
                Value::String(s) => s.clone(),
                Value::Null => "unknown".to_owned(),
                other => other.to_string(),
            })
            .collect();
        *counts.entry(labels).or_insert(0) += 1;
    }
    counts
}

fn labels(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

async fn start(collector: &Collector) -> (TestApp, e2e::FakeServer, e2e::FakeServer) {
    let (builder, discord, kaltura) = configured().await;
    fakes(&discord, &kaltura);
    let app = builder
        .otlp_endpoint(collector.endpoint())
        .start()
        .await
        .unwrap();
    (app, discord, kaltura)
}

#[tokio::test]
async fn a_kaltura_join_arrives_as_spins_trace_and_its_log_lines_count_as_metric_events() {
    let collector = Collector::start().unwrap();
    let (app, discord, _kaltura) = start(&collector).await;
    let mut client = Client::new(app.addr());

    let start_options = json!([
        {"name": "type", "type": 3, "value": "meeting"},
        {"name": "title", "type": 3, "value": "Standup"}
    ]);
    let start = json!({"id": "700000000000000001", "name": "kaltura-start", "type": 1, "options": start_options});
    let (deferral, _) = interact(&mut client, 1, 2, start, OWNER, None).await;
    assert_eq!(deferral["type"], 5);
    app.idle(Duration::from_secs(20)).await.unwrap();

    let (header, trace_id, caller) = traceparent(1);
    let join = json!({"id": "700000000000000001", "name": "kaltura-join", "type": 1,
                      "options": [{"name": "meeting", "type": 3, "value": "1001"}]});
    let (deferral, join_request_id) = interact(&mut client, 2, 2, join, GUEST, Some(&header)).await;
    assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
    app.idle(Duration::from_secs(20)).await.unwrap();
    let patches = discord
        .received()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert_eq!(patches, 2, "both deferred replies were delivered");

    // Spin ends the request span when it has the response, and the execute span's
    // children (the deferred PATCH) after; wait for the PATCH and every join event.
    collector
        .wait_for(Duration::from_secs(20), |spans, logs| {
            let joined = trace(spans, &trace_id);
            // A reused instance's host calls (the PATCH) are not in the request's trace.
            (reused_instances() || joined.iter().any(|s| s.name == "PATCH"))
                && joined.iter().any(|s| s.name.starts_with("POST "))
                && lines(logs, "discord-bot")
                    .iter()
                    .filter(|l| l["event"] == "upstream_call")
                    .count()
                    >= 3
        })
        .await
        .unwrap();
    let joined = trace(&collector.spans(), &trace_id);
    println!(
        "/kaltura-join trace ({}):\n{}",
        if app.is_real_spin() {
            "real Spin"
        } else {
            "test host"
        },
        render_tree(&joined)
    );
    assert_request_trace(
        &joined,
        &caller,
        "/discord/interactions",
        "discord-bot",
        &["PATCH"],
    );
    assert!(
        !joined.iter().any(|s| s.name.contains("kaltura-discord:")),
        "composed library calls are in-process: no span of their own"
    );

    let bot = lines(&collector.logs(), "discord-bot");
    assert_eq!(
        count(&bot, "http_request", &["component", "route", "status"]),
        BTreeMap::from([(labels(&["discord-bot", "/discord/interactions", "200"]), 2)])
    );
    let calls = count(&bot, "upstream_call", &["upstream", "outcome"]);
    assert_eq!(
        calls.get(&labels(&["discord", "ok"])),
        Some(&2),
        "{calls:?}"
    );
    assert!(calls.contains_key(&labels(&["kaltura", "ok"])), "{calls:?}");
    let circuit = count(&bot, "kaltura_circuit", &["component", "state"]);
    assert!(
        circuit.contains_key(&labels(&["kaltura", "closed"])),
        "{circuit:?}"
    );
    let join_events: Vec<&Value> = bot
        .iter()
        .filter(|l| l["request_id"] == join_request_id.as_str())
        .collect();
    assert!(
        join_events.iter().any(|l| l["event"] == "http_request")
            && join_events.iter().any(|l| l["event"] == "upstream_call"),
        "the join's lines carry its x-request-id: {join_events:?}"
    );
}

#[tokio::test]
async fn a_kaltura_webhook_arrives_as_spins_trace_with_its_delivery_counted() {
    let collector = Collector::start().unwrap();
    let (app, discord, _kaltura) = start(&collector).await;
    let stored = json!({
        "schema": 1, "version": 1, "updated_at": 1_700_000_000u64,
        "updated_by": {"discord_user": OWNER},
        "doc": {"notifications": {"events": {"entry_ready": {"channel_id": CHANNEL}}},
                "kaltura": {"category_ids": [12]}},
    });
    app.seed(
        &format!("config/v1/guild/{GUILD}"),
        stored.to_string().as_bytes(),
    );
    let body = json!({
        "objectType": "KalturaHttpNotification", "eventType": "3", "eventObjectType": "1",
        "eventNotificationJobId": "7001", "templateId": 123,
        "templateName": "Entry Status Changed", "templateSystemName": "HTTP_ENTRY_STATUS_CHANGED",
        "object": {"objectType": "KalturaMediaEntry", "id": "0_abc123", "name": "Lecture",
                   "status": 2, "userId": "ana@example.org", "duration": 61,
                   "categoriesIds": "12", "tags": format!("lecture, kd-guild:{GUILD}")}
    })
    .to_string();
    let signature = hex::encode(sha2::Sha256::digest(
        [KALTURA_ADMIN_SECRET.as_bytes(), body.as_bytes()].concat(),
    ));
    let (header, trace_id, caller) = traceparent(2);
    let response = Client::new(app.addr())
        .send(
            "POST",
            "/webhooks/kaltura",
            &[
                ("content-type", "application/json"),
                ("x-kaltura-signature", &signature),
                ("x-kaltura-hash-algo", "sha256"),
                ("traceparent", &header),
            ],
            body,
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json().unwrap()["deliveries"][0]["outcome"],
        "delivered"
    );
    assert!(response.header("x-request-id").is_some());
    assert_eq!(
        discord
            .received()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        1
    );

    collector
        .wait_for(Duration::from_secs(20), |spans, logs| {
            trace(spans, &trace_id)
                .iter()
                .any(|s| s.name == "POST /webhooks/kaltura")
                && lines(logs, "notifications")
                    .iter()
                    .any(|l| l["event"] == "http_request")
        })
        .await
        .unwrap();
    let spans = trace(&collector.spans(), &trace_id);
    println!("webhook trace:\n{}", render_tree(&spans));
    assert_request_trace(
        &spans,
        &caller,
        "/webhooks/kaltura",
        "notifications",
        &["GET", "POST"],
    );

    let notify = lines(&collector.logs(), "notifications");
    assert_eq!(
        count(&notify, "webhook_delivery", &["outcome"]),
        BTreeMap::from([(labels(&["delivered"]), 1)])
    );
    assert_eq!(
        count(&notify, "http_request", &["component", "route", "status"]),
        BTreeMap::from([(labels(&["notifications", "/webhooks/kaltura", "200"]), 1)])
    );
    assert_eq!(
        count(&notify, "upstream_call", &["upstream", "outcome"]),
        BTreeMap::from([(labels(&["discord", "ok"]), 2)]),
        "the channel lookup and the post"
    );
    assert!(
        notify
            .iter()
            .any(|l| l["level"] == "info" && l["msg"].is_string()),
        "the summary line is JSON too: {notify:?}"
    );
}

#[tokio::test]
async fn the_gateway_traces_readiness_under_its_wildcard_route_and_counts_rate_limit_refusals() {
    let collector = Collector::start().unwrap();
    let (builder, discord, kaltura) = configured().await;
    fakes(&discord, &kaltura);
    let app = builder
        .variable("gateway_rate_limit_per_address", "2")
        .otlp_endpoint(collector.endpoint())
        .start()
        .await
        .unwrap();
    let mut client = Client::new(app.addr());
    let (header, trace_id, caller) = traceparent(3);
    let ready = client
        .send(
            "GET",
            "/api/v1/ready",
            &[("traceparent", header.as_str())],
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(ready.status, 200, "{}", ready.text());
    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(client.get("/api/v1/ready").await.unwrap().status);
    }
    assert_eq!(
        statuses,
        [200, 429],
        "the third request of the window is refused"
    );

    collector
        .wait_for(Duration::from_secs(20), |spans, logs| {
            trace(spans, &trace_id)
                .iter()
                .any(|s| s.name == "GET /api/v1/...")
                && lines(logs, "gateway")
                    .iter()
                    .filter(|l| l["event"] == "http_request")
                    .count()
                    == 3
        })
        .await
        .unwrap();
    let spans = trace(&collector.spans(), &trace_id);
    let request = only(&spans, "GET /api/v1/...");
    assert_eq!(request.kind, SERVER);
    assert_eq!(request.parent_span_id, caller);
    let execute = only(&spans, "execute_wasm_component gateway");
    assert_eq!(
        execute.parent_span_id,
        request.span_id,
        "{}",
        render_tree(&spans)
    );

    let gateway = lines(&collector.logs(), "gateway");
    assert_eq!(
        count(&gateway, "http_request", &["route", "status"]),
        BTreeMap::from([
            (labels(&["/api/v1/ready", "200"]), 2),
            (labels(&["/api/v1/ready", "429"]), 1)
        ])
    );
    assert_eq!(
        count(&gateway, "rate_limited", &["component", "scope"]),
        BTreeMap::from([(labels(&["gateway", "addr"]), 1)])
    );
}

/// Whether the HTTP components are the WASIp3 build, whose instances Spin 4 (and the
/// test host, as Spin) reuses: the trace then has only the request and execute spans.
fn reused_instances() -> bool {
    let bot = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/wasm32-wasip2/release/discord_bot.wasm");
    std::fs::read(bot).is_ok_and(|bytes| {
        bytes
            .windows(b"wasi:http/handler@0.3".len())
            .any(|w| w == b"wasi:http/handler@0.3")
    })
}

/// Sends `POST path` with `body` on a connection of its own, the body a moment after
/// the head, so the handler waits on it (and a reused instance runs others meanwhile);
/// returns the status line and the `x-request-id` of the answer.
async fn post_slowly(addr: std::net::SocketAddr, path: &str, body: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let request_id = answer
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-request-id: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (status, request_id)
}

/// Spin 4 runs up to 16 requests at once in one reused WASIp3 instance, interleaved at
/// their awaits: each request's log lines still carry its own request id. Eight
/// requests wait on their bodies together in one instance; each answer's
/// `x-request-id` names exactly one `http_request` event, and every event's id is one
/// of the answers'.
#[tokio::test]
async fn requests_running_at_once_in_one_instance_each_log_their_own_request_id() {
    let (builder, _discord, _kaltura) = configured().await;
    let app = builder
        .instance_reuse(e2e::InstanceReuse {
            max_count: 1000,
            max_concurrent: 16,
            idle_timeout: Duration::from_secs(1),
        })
        .start()
        .await
        .unwrap();
    let addr = app.addr();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        requests.spawn(post_slowly(
            addr,
            "/api/v1/auth/refresh",
            r#"{"refresh_token":"not-a-token"}"#,
        ));
    }
    let answers = requests.join_all().await;
    app.idle(Duration::from_secs(20)).await.unwrap();
    let logs = app.logs();
    let events: Vec<Value> = logs
        .lines()
        .filter_map(|l| l.find('{').map(|at| &l[at..]))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["event"] == "http_request" && l["component"] == "gateway")
        .collect();
    let ids: Vec<&str> = answers.iter().map(|(_, id)| id.as_str()).collect();
    for (status, id) in &answers {
        assert!(status.contains(" 401 "), "{status}");
        let named = events.iter().filter(|e| e["request_id"] == *id).count();
        assert_eq!(
            named, 1,
            "request {id}: one event with its id in {events:?}"
        );
    }
    assert!(
        events
            .iter()
            .all(|e| ids.contains(&e["request_id"].as_str().unwrap_or_default())),
        "{events:?}"
    );
}
