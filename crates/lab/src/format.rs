//! Text forms of a report: Markdown and CSV, and the number formats they share with HTML.

use std::fmt::Write;

use serde::Serialize;

use crate::compare::{Comparison, Verdict};
use crate::report::{Measurement, Report};
use crate::targets::{Check, Status};

/// What a report is shown with besides its own measurements.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// The comparison with a baseline, if one was given.
    pub comparison: Option<&'a Comparison>,
    /// The baseline's name.
    pub baseline_name: Option<&'a str>,
    /// The baseline itself, for the HTML report's intervals and distributions.
    pub baseline: Option<&'a Report>,
    /// Target checks, if targets were given.
    pub checks: Option<&'a [Check]>,
}

/// A time in nanoseconds with a readable unit: `312 ns`, `9.67 µs`, `1.25 s`.
pub fn duration(ns: f64) -> String {
    let (value, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    format!("{} {unit}", significant(value))
}

/// A rate with an SI prefix: `1.52 G steps/s`.
pub fn rate(per_second: f64, unit: &str) -> String {
    let (value, prefix) = if per_second >= 1e9 {
        (per_second / 1e9, "G ")
    } else if per_second >= 1e6 {
        (per_second / 1e6, "M ")
    } else if per_second >= 1e3 {
        (per_second / 1e3, "k ")
    } else {
        (per_second, "")
    };
    format!("{} {prefix}{unit}/s", significant(value))
}

/// A value in base units, shown in `unit` terms where that helps (bytes as KiB/MiB).
pub fn quantity(value: f64, unit: &str) -> String {
    match unit {
        "ns" => duration(value),
        "bytes" if value >= 1024.0 * 1024.0 => format!("{} MiB", significant(value / 1048576.0)),
        "bytes" if value >= 1024.0 => format!("{} KiB", significant(value / 1024.0)),
        "%" => format!("{}%", significant(value)),
        "/s" => rate(value, "units"),
        "x" => format!("{}x", significant(value)),
        _ => format!("{} {unit}", significant(value)),
    }
}

/// Three or four significant digits, no exponent.
fn significant(v: f64) -> String {
    let digits = if v.abs() >= 1000.0 {
        0
    } else if v.abs() >= 100.0 {
        1
    } else if v.abs() >= 10.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A ratio (ours over the reference) as a number, with its reading: `1.00x`, `0.52x (faster)`,
/// `3.10x (slower)`, `1414370x (slower)`. Within half a percent of 1 it is just `1.00x`.
pub fn ratio_words(ratio: f64) -> String {
    let number = if !ratio.is_finite() {
        return format!("{ratio}x");
    } else if ratio >= 100.0 {
        format!("{ratio:.0}x")
    } else if ratio >= 10.0 {
        format!("{ratio:.1}x")
    } else if ratio >= 0.01 {
        format!("{ratio:.2}x")
    } else {
        format!("{ratio:.1e}x")
    };
    if ratio < 0.995 {
        format!("{number} (faster)")
    } else if ratio > 1.005 {
        format!("{number} (slower)")
    } else {
        number
    }
}

/// One benchmark on one line, as a terminal shows it when it finishes (hyperfine's and
/// Criterion's layout): `n`, median ± MAD, the range, throughput, the ratio to the reference
/// when it is known, and other metrics.
pub fn result_line(m: &Measurement, ratio: Option<&crate::report::Ratio>) -> String {
    let mut parts = vec![format!("{:<40}", m.spec.id)];
    if let Some(s) = m.summary {
        parts.push(format!(
            "n={:<3} {:>10} ± {:<9} [{} … {}]",
            s.n,
            duration(s.median),
            duration(s.mad),
            duration(s.min),
            duration(s.max)
        ));
    }
    if let Some((r, t)) = m.throughput_per_second().zip(m.spec.throughput.as_ref()) {
        parts.push(rate(r, &t.unit));
    }
    if let Some(r) = ratio {
        parts.push(format!("{} vs {}", ratio_words(r.ratio), r.label));
    }
    let metrics = metrics_text(m);
    if !metrics.is_empty() {
        parts.push(metrics);
    }
    parts.join("  ")
}

/// The 99th percentile where samples are single calls, "(batched)" where they are means of
/// batches (their percentiles would describe batches, not calls), empty when untimed.
pub fn p99_text(m: &Measurement) -> String {
    match (m.summary, &m.samples) {
        (Some(s), Some(samples)) if samples.per_call => duration(s.p99),
        (Some(_), _) => "(batched)".into(),
        _ => String::new(),
    }
}

/// Throughput in its unit per second, or empty.
pub fn throughput_text(m: &Measurement) -> String {
    m.throughput_per_second()
        .zip(m.spec.throughput.as_ref())
        .map_or_else(String::new, |(r, t)| rate(r, &t.unit))
}

fn interval(m: &Measurement) -> String {
    m.summary.map_or_else(String::new, |s| {
        format!("{} – {}", duration(s.ci_low), duration(s.ci_high))
    })
}

fn metrics_text(m: &Measurement) -> String {
    m.metrics
        .iter()
        .map(|x| format!("{} {}", x.name, quantity(x.value, &x.unit)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The report as Markdown: environment, a table per suite, then comparison and targets.
pub fn markdown(report: &Report, extras: Extras<'_>) -> String {
    let env = &report.environment;
    let mut out = String::new();
    let _ = writeln!(out, "# l2x bench report\n");
    let _ = writeln!(
        out,
        "- **Machine:** {} ({} cores), {}",
        env.cpu, env.cores, env.os
    );
    let _ = writeln!(out, "- **Build:** {}, commit {}", env.rustc, env.commit);
    let _ = writeln!(out, "- **Date:** {}", env.date);
    let _ = writeln!(
        out,
        "- **Command:** `{}`{}",
        report.command,
        if report.quick {
            " (quick: smoke-test sampling)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "- Times are medians per call with the bootstrap 95% interval of the median; the ratio is ours over the reference measured in the same run (or published).\n"
    );
    for suite in suites(report) {
        let _ = writeln!(out, "## {suite}\n");
        let _ = writeln!(
            out,
            "| benchmark | median | 95% CI | p99 | throughput | reference | ratio | other |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
        for m in report.measurements.iter().filter(|m| m.spec.suite == suite) {
            let median = m.summary.map_or_else(String::new, |s| duration(s.median));
            let p99 = p99_text(m);
            let throughput = throughput_text(m);
            let (reference, ratio) = report.ratio(m).map_or_else(
                || (String::new(), String::new()),
                |r| {
                    (
                        format!("{}: {}", r.label, duration(r.reference_ns)),
                        format!("**{}**", ratio_words(r.ratio)),
                    )
                },
            );
            let _ = writeln!(
                out,
                "| `{}` — {} | {median} | {} | {p99} | {throughput} | {reference} | {ratio} | {} |",
                m.spec.id,
                m.spec.description,
                interval(m),
                metrics_text(m)
            );
        }
        out.push('\n');
    }
    if let Some(c) = extras.comparison {
        comparison_markdown(&mut out, c, extras.baseline_name.unwrap_or("baseline"));
    }
    if let Some(checks) = extras.checks {
        out.push_str(&checks_markdown(checks));
    }
    out
}

fn comparison_markdown(out: &mut String, c: &Comparison, name: &str) {
    let _ = writeln!(
        out,
        "## Against baseline `{name}` (threshold {}%)\n",
        c.threshold_pct
    );
    let _ = writeln!(
        out,
        "| benchmark | baseline | now | change | intervals | verdict |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for ch in &c.changes {
        let verdict = match (ch.verdict, ch.regression) {
            (_, true) => "**REGRESSION**",
            (Verdict::Slower, false) => "slower",
            (Verdict::Faster, _) => "faster",
            (Verdict::Unchanged, _) => "unchanged",
            (Verdict::Inconclusive, _) => "inconclusive (too few samples or too noisy)",
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {:+.1}% | {} | {verdict} |",
            ch.id,
            duration(ch.baseline_ns),
            duration(ch.current_ns),
            ch.change_pct,
            if ch.overlap { "overlap" } else { "apart" }
        );
    }
    for id in &c.missing {
        let _ = writeln!(out, "| `{id}` | | not run | | | |");
    }
    out.push('\n');
}

/// The target checks as a Markdown table.
pub fn checks_markdown(checks: &[Check]) -> String {
    let mut out = String::from(
        "## Targets\n\n| benchmark | metric | value | bound | status | source |\n|---|---|---|---|---|---|\n",
    );
    for c in checks {
        let unit = unit_of(&c.metric);
        let value = c.value.map_or_else(|| "—".into(), |v| quantity(v, unit));
        let status = match c.status {
            Status::Pass => "pass",
            Status::Miss => "**MISS**",
            Status::NotRun => "not run",
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {value} | {} | {status} | {} |",
            c.bench,
            c.metric,
            bound(c),
            c.note
        );
    }
    out.push('\n');
    out
}

/// `≤ 1 µs`, `≥ 1.85x`, or both.
pub fn bound(c: &Check) -> String {
    let unit = unit_of(&c.metric);
    let mut parts = vec![];
    if let Some(min) = c.min {
        parts.push(format!("≥ {}", quantity(min, unit)));
    }
    if let Some(max) = c.max {
        parts.push(format!("≤ {}", quantity(max, unit)));
    }
    parts.join(", ")
}

/// The unit a metric's values are in, for display.
pub fn unit_of(metric: &str) -> &'static str {
    match metric {
        "median" | "mean" | "p90" | "p99" => "ns",
        "ratio" | "speedup" => "x",
        "throughput" => "/s",
        m if m.ends_with("_bytes") => "bytes",
        m if m.ends_with("_pct") || m.ends_with("rate") => "%",
        _ => "",
    }
}

/// Suites in the order they first appear.
pub fn suites(report: &Report) -> Vec<String> {
    let mut seen: Vec<String> = vec![];
    for m in &report.measurements {
        if !seen.contains(&m.spec.suite) {
            seen.push(m.spec.suite.clone());
        }
    }
    seen
}

#[derive(Serialize)]
struct CsvRow<'a> {
    id: &'a str,
    suite: &'a str,
    group: &'a str,
    param: Option<f64>,
    samples: Option<usize>,
    per_call: Option<bool>,
    mean_ns: Option<f64>,
    median_ns: Option<f64>,
    std_dev_ns: Option<f64>,
    min_ns: Option<f64>,
    max_ns: Option<f64>,
    p90_ns: Option<f64>,
    p99_ns: Option<f64>,
    mad_ns: Option<f64>,
    ci_low_ns: Option<f64>,
    ci_high_ns: Option<f64>,
    outliers: Option<usize>,
    throughput_unit: Option<&'a str>,
    throughput_per_s: Option<f64>,
    reference: Option<String>,
    reference_ns: Option<f64>,
    ratio: Option<f64>,
    metrics: String,
}

/// The report as CSV: one row per benchmark, times in nanoseconds.
pub fn csv(report: &Report) -> String {
    let mut writer = csv::Writer::from_writer(vec![]);
    for m in &report.measurements {
        let s = m.summary;
        let ratio = report.ratio(m);
        let row = CsvRow {
            id: &m.spec.id,
            suite: &m.spec.suite,
            group: &m.spec.group,
            param: m.spec.param,
            samples: s.map(|s| s.n),
            per_call: m.samples.as_ref().map(|x| x.per_call),
            mean_ns: s.map(|s| s.mean),
            median_ns: s.map(|s| s.median),
            std_dev_ns: s.map(|s| s.std_dev),
            min_ns: s.map(|s| s.min),
            max_ns: s.map(|s| s.max),
            p90_ns: s.map(|s| s.p90),
            p99_ns: s.map(|s| s.p99),
            mad_ns: s.map(|s| s.mad),
            ci_low_ns: s.map(|s| s.ci_low),
            ci_high_ns: s.map(|s| s.ci_high),
            outliers: s.map(|s| s.outliers.total()),
            throughput_unit: m.spec.throughput.as_ref().map(|t| t.unit.as_str()),
            throughput_per_s: m.throughput_per_second(),
            reference: ratio.as_ref().map(|r| r.label.clone()),
            reference_ns: ratio.as_ref().map(|r| r.reference_ns),
            ratio: ratio.as_ref().map(|r| r.ratio),
            metrics: m
                .metrics
                .iter()
                .map(|x| format!("{}={}{}", x.name, x.value, x.unit))
                .collect::<Vec<_>>()
                .join(";"),
        };
        let _ = writer.serialize(row);
    }
    writer
        .into_inner()
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(duration(312.0), "312 ns");
        assert_eq!(duration(9670.0), "9.67 µs");
        assert_eq!(duration(1.25e9), "1.25 s");
        assert_eq!(rate(1.52e9, "steps"), "1.52 G steps/s");
        assert_eq!(ratio_words(0.5), "0.50x (faster)");
        assert_eq!(ratio_words(1.2), "1.20x (slower)");
        assert_eq!(ratio_words(1.0), "1.00x");
        assert_eq!(ratio_words(0.996), "1.00x");
        assert_eq!(ratio_words(1414370.4), "1414370x (slower)");
        assert_eq!(ratio_words(23.456), "23.5x (slower)");
        assert_eq!(ratio_words(0.0012), "1.2e-3x (faster)");
        assert_eq!(quantity(10.0 * 1048576.0, "bytes"), "10 MiB");
    }
}
