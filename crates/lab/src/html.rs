//! A self-contained HTML report: the Markdown tables' content, plus charts drawn as inline SVG
//! (latency distribution per benchmark, baseline against current, throughput against input size).

use std::fmt::Write;

use crate::format::{Extras, duration, quantity, rate, ratio_words, suites};
use crate::report::{Measurement, Report};
use crate::targets::Status;

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:middle}th{background:#f3f3f3}code{font-size:12px}.miss,.regression{color:#b00;font-weight:bold}.pass{color:#070}svg{display:block}h2{margin-top:2em}";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as one HTML page with no outside resources.
pub fn html(report: &Report, extras: Extras<'_>) -> String {
    let env = &report.environment;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>l2x bench report</title><style>{STYLE}</style></head><body><h1>l2x bench report</h1><p>{} ({} cores), {} · {} · commit {} · {}<br><code>{}</code>{}</p>",
        escape(&env.cpu),
        env.cores,
        escape(&env.os),
        escape(&env.rustc),
        escape(&env.commit),
        escape(&env.date),
        escape(&report.command),
        if report.quick {
            " (quick: smoke-test sampling)"
        } else {
            ""
        }
    );
    for suite in suites(report) {
        let _ = write!(out, "<h2>{}</h2>", escape(&suite));
        let members: Vec<&Measurement> = report
            .measurements
            .iter()
            .filter(|m| m.spec.suite == suite)
            .collect();
        suite_table(&mut out, report, &members);
        for chart in scaling_charts(&members) {
            out.push_str(&chart);
        }
    }
    if let Some(c) = extras.comparison {
        let _ = write!(
            out,
            "<h2>Against baseline {} (threshold {}%)</h2>",
            escape(extras.baseline_name.unwrap_or("baseline")),
            c.threshold_pct
        );
        out.push_str(&baseline_chart(c));
    }
    if let Some(checks) = extras.checks {
        out.push_str("<h2>Targets</h2><table><tr><th>benchmark</th><th>metric</th><th>value</th><th>bound</th><th>status</th><th>source</th></tr>");
        for c in checks {
            let (class, word) = match c.status {
                Status::Pass => ("pass", "pass"),
                Status::Miss => ("miss", "MISS"),
                Status::NotRun => ("", "not run"),
            };
            let value = c.value.map_or_else(
                || "—".into(),
                |v| quantity(v, crate::format::unit_of(&c.metric)),
            );
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{value}</td><td>{}</td><td class=\"{class}\">{word}</td><td>{}</td></tr>",
                escape(&c.bench),
                escape(&c.metric),
                escape(&crate::format::bound(c)),
                escape(&c.note)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}

fn suite_table(out: &mut String, report: &Report, members: &[&Measurement]) {
    out.push_str("<table><tr><th>benchmark</th><th>median</th><th>95% CI</th><th>p99</th><th>throughput</th><th>reference → ratio</th><th>other</th><th>latency distribution</th></tr>");
    for m in members {
        let s = m.summary;
        let median = s.map_or_else(String::new, |s| duration(s.median));
        let ci = s.map_or_else(String::new, |s| {
            format!("{} – {}", duration(s.ci_low), duration(s.ci_high))
        });
        let p99 = match (s, &m.samples) {
            (Some(s), Some(x)) if x.per_call => duration(s.p99),
            (Some(_), _) => "(batched)".into(),
            _ => String::new(),
        };
        let throughput = m
            .throughput_per_second()
            .zip(m.spec.throughput.as_ref())
            .map_or_else(String::new, |(r, t)| rate(r, &t.unit));
        let ratio = report.ratio(m).map_or_else(String::new, |r| {
            format!(
                "{}: {} → <b>{}</b>",
                escape(&r.label),
                duration(r.reference_ns),
                ratio_words(r.ratio)
            )
        });
        let other = m
            .metrics
            .iter()
            .map(|x| format!("{} {}", escape(&x.name), quantity(x.value, &x.unit)))
            .collect::<Vec<_>>()
            .join("<br>");
        let chart = m
            .samples
            .as_ref()
            .map_or_else(String::new, |x| histogram(&x.ns));
        let _ = write!(
            out,
            "<tr><td><code>{}</code><br>{}</td><td>{median}</td><td>{ci}</td><td>{p99}</td><td>{throughput}</td><td>{ratio}</td><td>{other}</td><td>{chart}</td></tr>",
            escape(&m.spec.id),
            escape(&m.spec.description)
        );
    }
    out.push_str("</table>");
}

/// A 20-bin histogram of samples, the median marked in red.
fn histogram(ns: &[f64]) -> String {
    const W: f64 = 260.0;
    const H: f64 = 48.0;
    const BINS: usize = 20;
    let Some(summary) = crate::stats::Summary::of(ns) else {
        return String::new();
    };
    let (lo, hi) = (summary.min, summary.max);
    let span = (hi - lo).max(hi * 1e-9).max(1e-9);
    let mut counts = [0usize; BINS];
    for &v in ns {
        counts[(((v - lo) / span) * BINS as f64).min(BINS as f64 - 1.0) as usize] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let bar = W / BINS as f64;
    let mut svg = format!(
        "<svg class=\"histogram\" width=\"{W}\" height=\"{}\" viewBox=\"0 0 {W} {}\">",
        H + 14.0,
        H + 14.0
    );
    for (i, &c) in counts.iter().enumerate() {
        let h = c as f64 / top * H;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#4a7bd0\"/>",
            i as f64 * bar,
            H - h,
            bar - 1.0
        );
    }
    let x = (summary.median - lo) / span * W;
    let _ = write!(
        svg,
        "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"0\" y2=\"{H}\" stroke=\"#c00\" stroke-width=\"2\"/><text x=\"0\" y=\"{}\" font-size=\"10\">{}</text><text x=\"{W}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text></svg>",
        H + 12.0,
        duration(lo),
        H + 12.0,
        duration(hi)
    );
    svg
}

/// One line chart per group that has throughput at two or more input sizes.
fn scaling_charts(members: &[&Measurement]) -> Vec<String> {
    let mut groups: Vec<&str> = vec![];
    for m in members {
        if m.spec.param.is_some()
            && m.spec.throughput.is_some()
            && !groups.contains(&m.spec.group.as_str())
        {
            groups.push(&m.spec.group);
        }
    }
    groups
        .into_iter()
        .filter_map(|group| {
            let mut points: Vec<(f64, f64, &str)> = members
                .iter()
                .filter(|m| m.spec.group == group)
                .filter_map(|m| {
                    Some((
                        m.spec.param?,
                        m.throughput_per_second()?,
                        m.spec.throughput.as_ref()?.unit.as_str(),
                    ))
                })
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (points.len() >= 2).then(|| line_chart(group, &points))
        })
        .collect()
}

fn line_chart(group: &str, points: &[(f64, f64, &str)]) -> String {
    const W: f64 = 520.0;
    const H: f64 = 200.0;
    const PAD: f64 = 60.0;
    let unit = points[0].2;
    let (x_lo, x_hi) = (
        points[0].0.max(1.0).log2(),
        points[points.len() - 1].0.max(1.0).log2(),
    );
    let y_hi = points.iter().map(|p| p.1).fold(0.0, f64::max) * 1.1;
    let px = |x: f64| PAD + (x.max(1.0).log2() - x_lo) / (x_hi - x_lo).max(1e-9) * (W - 2.0 * PAD);
    let py = |y: f64| H - PAD / 2.0 - y / y_hi.max(1e-300) * (H - PAD);
    let mut svg = format!(
        "<figure><figcaption>Throughput of <code>{}</code> against input size</figcaption><svg class=\"scaling\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\"><line x1=\"{PAD}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#888\"/><line x1=\"{PAD}\" y1=\"{:.1}\" x2=\"{PAD}\" y2=\"{:.1}\" stroke=\"#888\"/>",
        escape(group),
        H - PAD / 2.0,
        W - PAD,
        H - PAD / 2.0,
        H - PAD / 2.0,
        PAD / 2.0
    );
    let path: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", px(p.0), py(p.1)))
        .collect();
    let _ = write!(
        svg,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#4a7bd0\" stroke-width=\"2\"/>",
        path.join(" ")
    );
    for &(x, y, _) in points {
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#4a7bd0\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{x}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            px(x),
            py(y),
            px(x),
            H - PAD / 2.0 + 14.0,
            px(x),
            py(y) - 8.0,
            escape(&rate(y, unit))
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// Each benchmark's median now as a bar scaled to its baseline (the grey line at 100%).
fn baseline_chart(c: &crate::compare::Comparison) -> String {
    const W: f64 = 760.0;
    const ROW: f64 = 20.0;
    const LABEL: f64 = 330.0;
    let scale = c
        .changes
        .iter()
        .map(|ch| ch.current_ns / ch.baseline_ns)
        .fold(1.0, f64::max)
        .min(4.0);
    let width = W - LABEL - 90.0;
    let h = ROW * c.changes.len() as f64 + 10.0;
    let mut svg =
        format!("<svg class=\"baseline\" width=\"{W}\" height=\"{h}\" viewBox=\"0 0 {W} {h}\">");
    for (i, ch) in c.changes.iter().enumerate() {
        let y = i as f64 * ROW + 5.0;
        let rel = (ch.current_ns / ch.baseline_ns).min(4.0);
        let color = if ch.regression {
            "#c00"
        } else if ch.change_pct < 0.0 && !ch.overlap {
            "#2a2"
        } else {
            "#4a7bd0"
        };
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"11\">{}</text><rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{:+.1}%</text>",
            y + 12.0,
            escape(&ch.id),
            rel / scale * width,
            ROW - 6.0,
            LABEL + rel / scale * width + 4.0,
            y + 12.0,
            ch.change_pct
        );
    }
    let x = LABEL + width / scale;
    let _ = write!(
        svg,
        "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"0\" y2=\"{h}\" stroke=\"#888\" stroke-dasharray=\"4 2\"/></svg>"
    );
    svg
}
