//! WASIp3 HTTP components (`wasi:http/handler@0.3.0`, spin-sdk 7) as Spin 4 serves
//! them, with the probe app `tests/p3-probe` (built by `tests/run`): instances reused
//! up to the reuse count, several requests at once in one instance, work spawned after
//! the response run to completion, a p2-style library composed into a p3 component,
//! and the p3 host interfaces. The same tests run against `spin up` with `SPIN_BIN`.

use e2e::{FakeResponse, FakeServer, InstanceReuse, TestApp};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The probe app with these reuse settings.
async fn probe(reuse: InstanceReuse) -> TestApp {
    e2e::app_at(e2e::repo_root().join("tests/p3-probe/spin.toml"))
        .instance_reuse(reuse)
        .start()
        .await
        .unwrap()
}

/// The probe's `name=value` lines.
fn fields(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// `GET path` on a connection of its own: the probe's fields, after checking the status.
async fn get(app: &TestApp, path: &str) -> BTreeMap<String, String> {
    let response = e2e::Client::new(app.addr()).get(path).await.unwrap();
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    fields(&response.text())
}

/// `(instance, served)` of one `GET /probe/count`.
async fn count(app: &TestApp) -> (String, u64) {
    let answer = get(app, "/probe/count").await;
    (
        answer["instance"].clone(),
        answer["served"].parse().unwrap(),
    )
}

#[tokio::test]
async fn a_wasip3_instance_serves_one_request_after_another_up_to_its_reuse_count() {
    let app = probe(InstanceReuse {
        max_count: 3,
        ..InstanceReuse::default()
    })
    .await;
    let mut seen = Vec::new();
    for _ in 0..7 {
        seen.push(count(&app).await);
    }
    let served: Vec<u64> = seen.iter().map(|(_, served)| *served).collect();
    assert_eq!(served, [1, 2, 3, 1, 2, 3, 1], "{seen:?}");
    let instances: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
    assert!(
        instances[0..3].iter().all(|id| *id == instances[0]),
        "{seen:?}"
    );
    assert!(
        instances[3..6].iter().all(|id| *id == instances[3]),
        "{seen:?}"
    );
    assert!(
        instances[0] != instances[3] && instances[3] != instances[6],
        "{seen:?}"
    );
}

#[tokio::test]
async fn by_default_a_wasip3_instance_is_reused_for_many_requests() {
    let app = probe(InstanceReuse::default()).await;
    let mut seen = Vec::new();
    for _ in 0..20 {
        seen.push(count(&app).await);
    }
    let served: Vec<u64> = seen.iter().map(|(_, served)| *served).collect();
    assert_eq!(served, (1..=20).collect::<Vec<_>>(), "{seen:?}");
}

/// The `peak` and `instance` of each of `n` requests of `ms` ms sent at once.
async fn at_once(app: &TestApp, n: usize, ms: u64) -> Vec<(String, u64)> {
    let path = format!("/probe/wait?ms={ms}");
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (addr, path) = (app.addr(), path.clone());
            tokio::spawn(async move { e2e::Client::new(addr).get(&path).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
        let answer = fields(&response.text());
        answers.push((answer["instance"].clone(), answer["peak"].parse().unwrap()));
    }
    answers
}

#[tokio::test]
async fn a_wasip3_instance_handles_several_requests_at_once() {
    let app = probe(InstanceReuse::default()).await;
    let (warm, _) = count(&app).await;
    let answers = at_once(&app, 4, 500).await;
    assert!(
        answers.iter().any(|(_, peak)| *peak >= 2),
        "no instance had two requests at once: {answers:?}"
    );
    assert!(answers.iter().any(|(id, _)| *id == warm), "{answers:?}");
}

#[tokio::test]
async fn the_concurrent_reuse_count_caps_the_requests_one_instance_handles_at_once() {
    let app = probe(InstanceReuse {
        max_concurrent: 1,
        ..InstanceReuse::default()
    })
    .await;
    count(&app).await;
    let answers = at_once(&app, 4, 300).await;
    assert!(answers.iter().all(|(_, peak)| *peak == 1), "{answers:?}");
    let instances: std::collections::BTreeSet<&String> = answers.iter().map(|(id, _)| id).collect();
    assert!(instances.len() >= 2, "{answers:?}");
}

#[tokio::test]
async fn work_a_wasip3_handler_spawns_runs_to_completion_after_its_response() {
    let app = probe(InstanceReuse::default()).await;
    let started = Instant::now();
    let response = e2e::Client::new(app.addr())
        .send("POST", "/probe/background?key=after&ms=400", &[], "")
        .await
        .unwrap();
    assert_eq!(response.status, 202, "{}", response.text());
    assert!(started.elapsed() < Duration::from_millis(400));
    assert_eq!(app.store().get("after"), None);
    // The app is idle only once the spawned work is done.
    app.idle(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        app.store().get("after").map(Vec::as_slice),
        Some(&b"done"[..]),
        "{}",
        app.logs()
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn a_p2_style_library_composed_into_a_wasip3_component_lives_as_long_as_its_instance() {
    let app = probe(InstanceReuse {
        max_count: 2,
        ..InstanceReuse::default()
    })
    .await;
    let mut tallies = Vec::new();
    for _ in 0..4 {
        let answer = get(&app, "/probe/tally").await;
        assert_eq!(answer["greeting"], "Ok(\"hello\")", "{answer:?}");
        tallies.push(answer["tally"].clone());
    }
    assert_eq!(tallies, ["1", "2", "1", "2"]);
}

#[tokio::test]
async fn a_wasip3_component_reads_its_variables_through_spin_variables_3() {
    let app = e2e::app_at(e2e::repo_root().join("tests/p3-probe/spin.toml"))
        .variable("greeting", "bonjour")
        .start()
        .await
        .unwrap();
    let answer = get(&app, "/probe/variable").await;
    assert_eq!(answer["variable"], "Ok(\"bonjour\")");
    let tally = get(&app, "/probe/tally").await;
    assert_eq!(tally["greeting"], "Ok(\"bonjour\")");
}

#[tokio::test]
async fn a_wasip3_component_sends_requests_to_allowed_hosts_only() {
    let fake = FakeServer::start(|_| FakeResponse::json(201, &serde_json::json!({})))
        .await
        .unwrap();
    let app = probe(InstanceReuse::default()).await;
    let allowed = get(&app, &format!("/probe/fetch?url={}/x", fake.url())).await;
    assert_eq!(
        allowed.get("fetched").map(String::as_str),
        Some("201"),
        "{allowed:?}"
    );
    let denied = get(&app, "/probe/fetch?url=http://localhost:9/x").await;
    assert_eq!(
        denied.get("fetch-error").map(String::as_str),
        Some("ErrorCode::HttpRequestDenied"),
        "{denied:?}"
    );
}

#[tokio::test]
async fn a_wasip3_component_sees_the_clients_headers_then_spins() {
    let app = probe(InstanceReuse::default()).await;
    let response = e2e::Client::new(app.addr())
        .send(
            "GET",
            "/probe/headers?q=1",
            &[
                ("x-mine", "1"),
                ("spin-client-addr", "9.9.9.9:1"),
                ("connection", "keep-alive"),
            ],
            "",
        )
        .await
        .unwrap();
    let port = app.addr().port().to_string();
    let mut seen: Vec<String> = response
        .text()
        .lines()
        .filter(|line| !line.starts_with("instance=") && !line.starts_with("served="))
        .map(|line| line.replace(&port, "PORT"))
        .collect();
    // The client's address (an ephemeral port of its own).
    let client = seen
        .iter()
        .position(|l| l.starts_with("spin-client-addr=127.0.0.1:"));
    seen[client.unwrap()] = "spin-client-addr=127.0.0.1".to_owned();
    // Spin 4.1 (Wasmtime 47) passes `host` on; Wasmtime 48 strips it (the test host).
    if app.is_real_spin() {
        assert_eq!(seen.remove(0), "host=127.0.0.1:PORT");
    }
    assert_eq!(
        seen,
        [
            "x-mine=1",
            "spin-client-addr=9.9.9.9:1",
            "spin-client-addr=127.0.0.1",
            "spin-path-info=/headers",
            "spin-full-url=http://127.0.0.1:PORT/probe/headers?q=1",
            "spin-matched-route=/probe/...",
            "spin-base-path=/",
            "spin-raw-component-route=/probe/...",
            "spin-component-route=/probe",
        ]
    );
}

#[tokio::test]
async fn a_wasip3_instance_that_traps_fails_its_request_and_the_next_gets_a_fresh_one() {
    let app = probe(InstanceReuse::default()).await;
    let (before, _) = count(&app).await;
    let trapped = e2e::Client::new(app.addr())
        .get("/probe/trap")
        .await
        .unwrap();
    assert_eq!((trapped.status, trapped.text()), (500, String::new()));
    let (after, served) = count(&app).await;
    assert_ne!(before, after);
    assert_eq!(served, 1);
}

/// A W3C `traceparent` under trace `n` of this test, and that trace's id.
fn traceparent(n: u8) -> (String, String) {
    let trace_id = format!("0af7651916cd43dd8448eb211c8032{n:02x}");
    (format!("00-{trace_id}-b7ad6b7169203331-01"), trace_id)
}

#[tokio::test]
async fn a_wasip3_requests_trace_ends_with_its_response_and_its_host_calls_trace_on_their_own() {
    let collector = e2e::otlp::Collector::start().unwrap();
    let fake = FakeServer::start(|_| FakeResponse::json(200, &serde_json::json!({})))
        .await
        .unwrap();
    let app = e2e::app_at(e2e::repo_root().join("tests/p3-probe/spin.toml"))
        .otlp_endpoint(collector.endpoint())
        .start()
        .await
        .unwrap();
    let fetch = format!("/probe/fetch?url={}/x", fake.url());
    let mut traces = Vec::new();
    for (n, path) in ["/probe/variable", fetch.as_str(), "/probe/log"]
        .into_iter()
        .enumerate()
    {
        let (header, trace_id) = traceparent(u8::try_from(n).unwrap());
        let response = e2e::Client::new(app.addr())
            .send("GET", path, &[("traceparent", header.as_str())], "")
            .await
            .unwrap();
        assert_eq!(response.status, 200, "{path}");
        traces.push(trace_id);
    }
    collector
        .wait_for(Duration::from_secs(20), |spans, logs| {
            let requests = spans.iter().filter(|s| s.name == "GET /probe/...").count();
            let calls = spans
                .iter()
                .filter(|s| s.name == "spin_variables.get" || s.name == "GET")
                .count();
            requests == 3 && calls == 2 && !logs.is_empty()
        })
        .await
        .unwrap();
    let spans = collector.spans();
    for trace_id in &traces {
        let mut names: Vec<&str> = spans
            .iter()
            .filter(|s| &s.trace_id == trace_id)
            .map(|s| s.name.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["GET /probe/...", "execute_wasm_component probe"],
            "{}",
            e2e::otlp::render_tree(&spans)
        );
    }
    for name in ["spin_variables.get", "GET"] {
        let call = spans.iter().find(|s| s.name == name).unwrap();
        assert_eq!(call.parent_span_id, "", "{name} has a parent");
        assert!(
            !traces.contains(&call.trace_id),
            "{name} is in a request's trace"
        );
    }
    let logs = collector.logs();
    let record = logs
        .iter()
        .find(|r| r.body == "probe: a line on stderr\n")
        .unwrap();
    assert_eq!(record.attributes["component_id"], "probe");
}
