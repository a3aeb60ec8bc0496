//! The WASIp3 probe: a spin-sdk 7 `#[http_service]` whose answers show what the host
//! did with its instance. Each answer is `name=value` lines:
//!
//! - `GET /probe/count`: `instance` (a random number drawn once per instance with
//!   `wasi:random@0.3.0`) and `served` (requests this instance has started, this one
//!   included) — reuse shows as one `instance` with `served` climbing;
//! - `GET /probe/wait?ms=N`: waits N ms (`wasi:clocks@0.3.0`) and adds `peak`, the most
//!   requests this instance had in flight at once while this one ran;
//! - `POST /probe/background?key=K&ms=N`: answers 202 at once, then after N ms sets `K`
//!   to `done` in the `default` store (`spin:key-value@3.0.0`) — work after the response;
//! - `GET /probe/tally`: the composed library's call count and its `greeting` variable;
//! - `GET /probe/variable`: the `greeting` variable (`spin:variables@3.0.0`);
//! - `GET /probe/fetch?url=U`: the status of a GET of U (`wasi:http@0.3.0` client), or
//!   the error code;
//! - `GET /probe/headers`: the request's headers, one `name=value` line each, in order;
//! - `GET /probe/log`: writes a line to stderr (a log record under OpenTelemetry);
//! - `GET /probe/trap`: panics (the instance traps).

#![allow(unsafe_code)]

use spin_sdk::http::{IntoResponse, Request, StatusCode};
use spin_sdk::http_service;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

spin_sdk::wit_bindgen::generate!({
    world: "probe:app/app",
    path: "wit",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
    generate_all,
});

/// Requests this instance has started.
static SERVED: AtomicU64 = AtomicU64::new(0);
/// Requests of `/probe/wait` in flight on this instance now, and at most so far.
static IN_FLIGHT: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);
/// This instance's random number.
static INSTANCE: OnceLock<u64> = OnceLock::new();

fn instance() -> u64 {
    *INSTANCE.get_or_init(spin_sdk::wasip3::random::random::get_random_u64)
}

/// The value of query parameter `name`.
fn param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

async fn wait_ms(ms: u64) {
    spin_sdk::wasip3::clocks::monotonic_clock::wait_for(ms * 1_000_000).await;
}

#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    let served = SERVED.fetch_add(1, Ordering::SeqCst) + 1;
    let query = request.uri().query().unwrap_or("").to_owned();
    let ms = param(&query, "ms")
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0);
    let mut body = format!("instance={}\nserved={served}\n", instance());
    let status = match request.uri().path() {
        "/probe/count" => StatusCode::OK,
        "/probe/wait" => {
            let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
            PEAK.fetch_max(now, Ordering::SeqCst);
            wait_ms(ms).await;
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
            let _ = writeln!(body, "peak={}", PEAK.load(Ordering::SeqCst));
            StatusCode::OK
        }
        "/probe/background" => {
            let key = param(&query, "key").unwrap_or_else(|| "background".to_owned());
            spin_sdk::wasip3::spawn(async move {
                wait_ms(ms).await;
                if let Ok(store) = spin_sdk::key_value::Store::open_default().await {
                    let _ = store.set(&key, b"done").await;
                }
            });
            StatusCode::ACCEPTED
        }
        "/probe/tally" => {
            let next = probe::tally::tally::next();
            let greeting = probe::tally::tally::greeting();
            let _ = writeln!(body, "tally={next}\ngreeting={greeting:?}");
            StatusCode::OK
        }
        "/probe/variable" => {
            let greeting = spin_sdk::variables::get("greeting").await;
            let _ = writeln!(body, "variable={greeting:?}");
            StatusCode::OK
        }
        "/probe/fetch" => {
            let url = param(&query, "url").unwrap_or_default();
            match spin_sdk::http::get(url).await {
                Ok(response) => {
                    let _ = writeln!(body, "fetched={}", response.status().as_u16());
                }
                Err(code) => {
                    let _ = writeln!(body, "fetch-error={code:?}");
                }
            }
            StatusCode::OK
        }
        "/probe/headers" => {
            for (name, value) in request.headers() {
                let _ = writeln!(body, "{name}={}", value.to_str().unwrap_or("<not UTF-8>"));
            }
            StatusCode::OK
        }
        "/probe/log" => {
            eprintln!("probe: a line on stderr");
            StatusCode::OK
        }
        "/probe/trap" => panic!("the probe traps on request"),
        _ => StatusCode::NOT_FOUND,
    };
    (status, body)
}
