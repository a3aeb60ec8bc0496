//! Load with `wrk`: the pre-built requests it cycles through (`bench/requests.lua`), the
//! run itself, and the summary that script prints.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

/// One raw HTTP/1.1 request, as wrk sends it.
pub fn raw_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    request.into_bytes()
}

/// Writes `requests` in the framing `bench/requests.lua` reads: `<length>\n<bytes>`.
pub fn write_requests(path: &Path, requests: impl IntoIterator<Item = Vec<u8>>) -> Result<usize> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let mut count = 0;
    for request in requests {
        writeln!(out, "{}", request.len())?;
        out.write_all(&request)?;
        count += 1;
    }
    out.flush()?;
    Ok(count)
}

/// The load of one run.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// `-t`.
    pub threads: u32,
    /// `-c`.
    pub connections: u32,
    /// `-d`, seconds.
    pub seconds: u32,
}

/// What `bench/requests.lua` reports at the end of a run.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Summary {
    /// Responses received.
    pub requests: u64,
    /// How long the run took, µs.
    pub duration_us: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Latency percentiles and maximum, µs.
    pub p50_us: u64,
    /// 90th percentile, µs.
    pub p90_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Slowest, µs.
    pub max_us: u64,
    /// Socket errors and non-2xx/3xx answers.
    pub errors: Errors,
    /// How often a thread ran out of pre-built requests and started again.
    pub wraps: u64,
}

/// wrk's error counts.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Errors {
    /// Connections that could not be made.
    pub connect: u64,
    /// Read errors.
    pub read: u64,
    /// Write errors.
    pub write: u64,
    /// Answers that were not 2xx or 3xx.
    pub status: u64,
    /// Requests that timed out.
    pub timeout: u64,
}

impl Summary {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        if self.duration_us == 0 {
            return 0.0;
        }
        self.requests as f64 * 1e6 / self.duration_us as f64
    }

    /// Every error of any kind.
    pub fn error_count(&self) -> u64 {
        let e = &self.errors;
        e.connect + e.read + e.write + e.status + e.timeout
    }
}

/// Finds the script's `BENCH-RESULT` line in wrk's output.
pub fn parse_summary(output: &str) -> Result<Summary> {
    let line = output
        .lines()
        .find_map(|l| l.strip_prefix("BENCH-RESULT "))
        .context("wrk printed no BENCH-RESULT line")?;
    serde_json::from_str(line).with_context(|| format!("unreadable BENCH-RESULT {line:?}"))
}

/// Runs wrk against `url` with the requests in `requests`; its full output is kept in `log`.
pub async fn run(load: Load, url: &str, requests: &Path, log: &Path) -> Result<Summary> {
    let script = e2e::repo_root().join("bench/requests.lua");
    let output = tokio::process::Command::new("wrk")
        .arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.seconds))
        .arg("--latency")
        .arg("-s")
        .arg(&script)
        .arg(url)
        .arg("--")
        .arg(requests)
        .arg(load.threads.to_string())
        .output()
        .await
        .context("running wrk (Debian package wrk; bench/run installs it)")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(log, &text).with_context(|| format!("writing {}", log.display()))?;
    if !output.status.success() {
        bail!("wrk failed ({}): {text}", output.status);
    }
    parse_summary(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_post_has_host_headers_length_and_body() {
        let addr: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let raw = raw_request(addr, "POST", "/x", &[("a", "b")], "{}");
        assert_eq!(
            String::from_utf8(raw).unwrap(),
            "POST /x HTTP/1.1\r\nHost: 127.0.0.1:3000\r\na: b\r\nContent-Length: 2\r\n\r\n{}"
        );
        let get = raw_request(addr, "GET", "/y", &[], "");
        assert!(!String::from_utf8(get).unwrap().contains("Content-Length"));
    }

    #[test]
    fn requests_are_framed_by_their_byte_length() {
        let path = std::env::temp_dir().join(format!("spin-bench-frames-{}", std::process::id()));
        let n = write_requests(&path, [b"ab\ncd".to_vec(), "é".as_bytes().to_vec()]).unwrap();
        assert_eq!(n, 2);
        assert_eq!(std::fs::read(&path).unwrap(), "5\nab\ncd2\né".as_bytes());
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn the_summary_is_found_among_wrks_own_output() {
        let output = "Running 10s test\n  Latency 5ms\nBENCH-RESULT {\"requests\":28920,\"duration_us\":10000000,\"bytes\":1,\
            \"p50_us\":5100,\"p90_us\":9000,\"p99_us\":16300,\"max_us\":40000,\"errors\":{\"connect\":0,\"read\":0,\
            \"write\":0,\"status\":3,\"timeout\":1},\"wraps\":0}\nRequests/sec: 2892\n";
        let summary = parse_summary(output).unwrap();
        assert_eq!(summary.requests, 28_920);
        assert!((summary.rate() - 2892.0).abs() < 0.01);
        assert_eq!((summary.p50_us, summary.p99_us), (5_100, 16_300));
        assert_eq!(summary.error_count(), 4);
    }

    #[test]
    fn output_without_a_summary_is_an_error() {
        assert!(parse_summary("Running 10s test\n").is_err());
        assert!(parse_summary("BENCH-RESULT {not json}").is_err());
    }
}
