//! `--profile N`: where a request's time goes. Spin exports its spans (the request, the
//! component's execution, and each host call: key-value, variables, outbound HTTP) to
//! an OTLP collector in this process while N requests are sent one at a time; the
//! breakdown is each span name's calls and time per request. One at a time, so every
//! span belongs to one request and nothing queues (what the loaded runs add on top).

use anyhow::{bail, Context, Result};
use e2e::otlp::Span;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::wrk::{Errors, Summary};

/// Sends `requests` one after another on one kept-alive connection and times each
/// answer; the summary is in wrk's terms (so the scenarios' checks apply unchanged).
pub async fn one_at_a_time(addr: SocketAddr, requests: Vec<Vec<u8>>) -> Result<Summary> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut latencies = Vec::with_capacity(requests.len());
    let mut status_errors = 0;
    let started = Instant::now();
    for request in &requests {
        let sent = Instant::now();
        stream.write_all(request).await?;
        let status = read_response(&mut stream).await?;
        latencies.push(sent.elapsed());
        if !(200..400).contains(&status) {
            status_errors += 1;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| -> u64 {
        let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len().max(1)) - 1;
        latencies
            .get(i)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    };
    Ok(Summary {
        requests: requests.len() as u64,
        duration_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        bytes: 0,
        p50_us: at(0.50),
        p90_us: at(0.90),
        p99_us: at(0.99),
        max_us: at(1.0),
        errors: Errors {
            connect: 0,
            read: 0,
            write: 0,
            status: status_errors,
            timeout: 0,
        },
        wraps: 0,
    })
}

/// Reads one HTTP/1.1 response with a `content-length`; returns its status.
async fn read_response(stream: &mut TcpStream) -> Result<u16> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 {
            bail!("the connection closed mid-response");
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status line")?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .context("a response without content-length")?;
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await?;
    Ok(status)
}

/// The spans of a profiled run: those that started within `window` (Unix ns).
pub fn within(spans: &[Span], window: (u64, u64)) -> Vec<Span> {
    spans
        .iter()
        .filter(|s| s.start_ns >= window.0 && s.start_ns <= window.1)
        .cloned()
        .collect()
}

/// The breakdown table: per span name, calls and milliseconds per request, and the
/// mean of one call, slowest total first.
pub fn table(label: &str, requests: u64, spans: &[Span]) -> String {
    let mut by_name: BTreeMap<&str, (u64, Duration)> = BTreeMap::new();
    for span in spans {
        let entry = by_name.entry(span.name.as_str()).or_default();
        entry.0 += 1;
        entry.1 += span.duration();
    }
    let mut rows: Vec<(&str, u64, Duration)> = by_name
        .into_iter()
        .map(|(name, (calls, total))| (name, calls, total))
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.2));
    let per = requests.max(1) as f64;
    let mut out = format!(
        "### Where the time goes: {label} ({requests} requests, one at a time)\n\n\
         | span (Spin's) | calls per request | ms per request | µs per call |\n|---|---:|---:|---:|\n"
    );
    for (name, calls, total) in rows {
        out.push_str(&format!(
            "| {name} | {:.1} | {:.3} | {:.0} |\n",
            calls as f64 / per,
            total.as_secs_f64() * 1e3 / per,
            total.as_secs_f64() * 1e6 / calls.max(1) as f64,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(name: &str, start_ns: u64, micros: u64) -> Span {
        Span {
            trace_id: "t".into(),
            span_id: "s".into(),
            parent_span_id: String::new(),
            name: name.into(),
            kind: 1,
            start_ns,
            end_ns: start_ns + micros * 1000,
            attributes: BTreeMap::new(),
        }
    }

    #[test]
    fn the_breakdown_is_per_request_and_slowest_first() {
        let spans = [
            span("wasi_key_value.get", 10, 100),
            span("wasi_key_value.get", 20, 300),
            span("spin_key_value.swap", 30, 1000),
        ];
        let table = table("x", 2, &spans);
        let rows: Vec<&str> = table
            .lines()
            .filter(|l| l.starts_with("| s") || l.starts_with("| w"))
            .collect();
        assert_eq!(rows[1], "| spin_key_value.swap | 0.5 | 0.500 | 1000 |");
        assert_eq!(rows[2], "| wasi_key_value.get | 1.0 | 0.200 | 200 |");
    }

    #[test]
    fn only_spans_started_within_the_window_count() {
        let spans = [span("a", 5, 1), span("b", 15, 1), span("c", 25, 1)];
        let kept: Vec<String> = within(&spans, (10, 20))
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(kept, ["b"]);
    }
}
