//! The markdown the run prints: a table a closing note can paste, the ratio to the Node
//! peer, the targets, and what the numbers were measured on (so noisy numbers
//! are recognisable as such).

use crate::options::Scenario;
use crate::scenarios::Measured;
use std::fmt::Write;

/// `2892.4` → `2,892`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Microseconds as milliseconds with sensible precision.
pub fn millis(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// KiB as MiB.
pub fn mebibytes(kib: u64) -> String {
    if kib == 0 {
        return "—".into();
    }
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn ratio(ours: f64, theirs: f64) -> String {
    if theirs <= 0.0 {
        return "—".into();
    }
    format!("{:.2}×", ours / theirs)
}

/// The results table, then the ratio and targets.
pub fn table(results: &[Measured]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| | req/s | p50 | p99 | peak RSS | checked |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
    for m in results {
        let flag = if m.problems.is_empty() { "" } else { " ⚠" };
        let _ = writeln!(
            out,
            "| {}{flag} | {} | {} | {} | {} | {} |",
            m.scenario.label(),
            thousands(m.summary.rate()),
            millis(m.summary.p50_us),
            millis(m.summary.p99_us),
            mebibytes(m.peak_rss_kib),
            m.checked,
        );
    }
    let find = |s: Scenario| results.iter().find(|m| m.scenario == s);
    if let (Some(ours), Some(node)) = (find(Scenario::Ping), find(Scenario::NodePing)) {
        let _ = writeln!(
            out,
            "| **ours ÷ Node peer, signed PING** | {} | {} | {} | {} | |",
            ratio(ours.summary.rate(), node.summary.rate()),
            ratio(ours.summary.p50_us as f64, node.summary.p50_us as f64),
            ratio(ours.summary.p99_us as f64, node.summary.p99_us as f64),
            ratio(ours.peak_rss_kib as f64, node.peak_rss_kib as f64),
        );
    }
    let targets = targets(results);
    if !targets.is_empty() {
        let _ = writeln!(out, "\n| issue 13 target | measured | met |\n|---|---|---|");
        for (target, measured, met) in targets {
            let met = match met {
                Some(true) => "yes",
                Some(false) => "no",
                None => "not judged (⚠)",
            };
            let _ = writeln!(out, "| {target} | {measured} | {met} |");
        }
    }
    for m in results {
        for problem in &m.problems {
            let _ = writeln!(out, "\n⚠ {}: {problem}", m.scenario.label());
        }
    }
    out
}

/// The targets that this run's results can judge: (target, measured, met);
/// `met` is `None` when a result it rests on has problems.
fn targets(results: &[Measured]) -> Vec<(String, String, Option<bool>)> {
    let find = |s: Scenario| results.iter().find(|m| m.scenario == s);
    let judged =
        |met: bool, on: &[&Measured]| on.iter().all(|m| m.problems.is_empty()).then_some(met);
    let mut targets = Vec::new();
    if let (Some(ours), Some(node)) = (find(Scenario::Ping), find(Scenario::NodePing)) {
        let rate = ours.summary.rate() / node.summary.rate().max(f64::MIN_POSITIVE);
        targets.push((
            "signed PING ≥ 1.5× Node's req/s".into(),
            format!("{rate:.2}×"),
            judged(rate >= 1.5, &[ours, node]),
        ));
        let p99 = ours.summary.p99_us as f64 / (node.summary.p99_us as f64).max(1.0);
        targets.push((
            "signed PING p99 ≤ 0.5× Node's".into(),
            format!("{p99:.2}×"),
            judged(p99 <= 0.5, &[ours, node]),
        ));
        let all: Vec<&Measured> = results.iter().collect();
        let peak = results
            .iter()
            .filter(|m| m.scenario != Scenario::NodePing)
            .map(|m| m.peak_rss_kib)
            .max()
            .unwrap_or(0);
        targets.push((
            "peak RSS of Spin's tree ≤ Node's".into(),
            format!("{} vs {}", mebibytes(peak), mebibytes(node.peak_rss_kib)),
            judged(peak <= node.peak_rss_kib, &all),
        ));
    }
    if let Some(join) = find(Scenario::Join) {
        targets.push((
            "`/kaltura-join` ≥ 3,000 req/s, p99 ≤ 20 ms".into(),
            format!(
                "{} req/s, {}",
                thousands(join.summary.rate()),
                millis(join.summary.p99_us)
            ),
            judged(
                join.summary.rate() >= 3000.0 && join.summary.p99_us <= 20_000,
                &[join],
            ),
        ));
    }
    if let Some(webhook) = find(Scenario::Webhook) {
        targets.push((
            "webhook → Discord post p99 ≤ 10 ms".into(),
            millis(webhook.summary.p99_us),
            judged(webhook.summary.p99_us <= 10_000, &[webhook]),
        ));
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrk::{Errors, Summary};

    fn measured(scenario: Scenario, rate: u64, p99_us: u64, rss_kib: u64) -> Measured {
        Measured {
            scenario,
            summary: Summary {
                requests: rate * 10,
                duration_us: 10_000_000,
                bytes: 0,
                p50_us: p99_us / 3,
                p90_us: p99_us / 2,
                p99_us,
                max_us: p99_us * 2,
                errors: Errors {
                    connect: 0,
                    read: 0,
                    write: 0,
                    status: 0,
                    timeout: 0,
                },
                wraps: 0,
            },
            peak_rss_kib: rss_kib,
            checked: "checked".into(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn numbers_are_printed_as_people_read_them() {
        assert_eq!(thousands(2892.4), "2,892");
        assert_eq!(thousands(874.0), "874");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(millis(5_100), "5.10 ms");
        assert_eq!(millis(16_300), "16.3 ms");
        assert_eq!(mebibytes(250_880), "245 MiB");
        assert_eq!(mebibytes(0), "—");
    }

    #[test]
    fn the_ping_ratio_divides_ours_by_the_node_peers() {
        let table = table(&[
            measured(Scenario::Ping, 3000, 16_000, 200 * 1024),
            measured(Scenario::NodePing, 6000, 8_000, 100 * 1024),
        ]);
        assert!(
            table.contains("| **ours ÷ Node peer, signed PING** | 0.50× | 2.00× | 2.00× | 2.00× |"),
            "{table}"
        );
        assert!(
            table.contains("| signed PING ≥ 1.5× Node's req/s | 0.50× | no |"),
            "{table}"
        );
    }

    #[test]
    fn targets_are_met_only_when_every_part_is() {
        let table = table(&[
            measured(Scenario::Join, 3500, 19_000, 1),
            measured(Scenario::Webhook, 5000, 11_000, 1),
        ]);
        assert!(
            table.contains(
                "| `/kaltura-join` ≥ 3,000 req/s, p99 ≤ 20 ms | 3,500 req/s, 19.0 ms | yes |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| webhook → Discord post p99 ≤ 10 ms | 11.0 ms | no |"),
            "{table}"
        );
        assert!(!table.contains("ours ÷ Node"), "no ratio without the peer");
    }

    #[test]
    fn a_run_with_problems_is_flagged_in_its_row_and_explained_below() {
        let mut ping = measured(Scenario::Ping, 1, 1, 1);
        ping.problems.push("wrk errors".into());
        let table = table(&[ping]);
        assert!(table.contains("| this app, signed PING ⚠ |"), "{table}");
        assert!(
            table.contains("⚠ this app, signed PING: wrk errors"),
            "{table}"
        );
        let mut webhook = measured(Scenario::Webhook, 1, 0, 1);
        webhook.problems.push("timeouts".into());
        let table = super::table(&[webhook]);
        assert!(
            table.contains("| webhook → Discord post p99 ≤ 10 ms | 0.00 ms | not judged (⚠) |"),
            "a p99 of nothing meets no target: {table}"
        );
    }
}
