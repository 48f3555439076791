//! A self-contained HTML report, read as Criterion's is: per suite a table (n, mean, σ, median ±
//! MAD, the 95% interval, range, p99, throughput, the ratio to the reference), throughput
//! against input size with the reference overlaid, the run against its baseline with both 95%
//! intervals, and per benchmark a detail view (its distribution, over the baseline's when there
//! is one, and its samples in the order taken). Charts are inline SVG drawn by `plotters`.

mod baseline;
mod charts;

use std::fmt::Write;

use crate::format::{Extras, duration, p99_text, quantity, ratio_words, suites, throughput_text};
use crate::report::Reference;
use crate::report::{Measurement, Report};
use crate::targets::Status;

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:middle}td.num{text-align:right;white-space:nowrap}th{background:#f3f3f3}code{font-size:12px}.miss,.regression{color:#b00;font-weight:bold}.pass{color:#070}svg{display:inline-block;vertical-align:top;margin:4px}h2{margin-top:2em}details{margin:.3em 0}summary{cursor:pointer}.note{color:#666}";

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
        for chart in scaling_charts(report, &members) {
            out.push_str(&chart);
        }
        for m in &members {
            detail(&mut out, m, extras.baseline.and_then(|b| b.get(&m.spec.id)));
        }
    }
    if let Some(c) = extras.comparison {
        let _ = write!(
            out,
            "<h2>Against baseline {} (threshold {}%)</h2>",
            escape(extras.baseline_name.unwrap_or("baseline")),
            c.threshold_pct
        );
        out.push_str(&baseline_chart(report, extras.baseline, c));
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
    out.push_str("<table><tr><th>benchmark</th><th>n</th><th>mean ± σ</th><th>median ± MAD</th><th>95% CI of the median</th><th>min … max</th><th>p99</th><th>throughput</th><th>reference → ratio</th><th>other</th></tr>");
    for m in members {
        let cell = |f: &dyn Fn(&crate::stats::Summary) -> String| {
            m.summary.as_ref().map_or_else(String::new, f)
        };
        let n = cell(&|s| s.n.to_string());
        let mean = cell(&|s| format!("{} ± {}", duration(s.mean), duration(s.std_dev)));
        let median = cell(&|s| format!("<b>{}</b> ± {}", duration(s.median), duration(s.mad)));
        let ci = cell(&|s| format!("{} – {}", duration(s.ci_low), duration(s.ci_high)));
        let range = cell(&|s| format!("{} … {}", duration(s.min), duration(s.max)));
        let p99 = p99_text(m);
        let throughput = throughput_text(m);
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
        let name = if m.samples.is_some() {
            format!(
                "<a href=\"#{}\"><code>{}</code></a>",
                anchor(&m.spec.id),
                escape(&m.spec.id)
            )
        } else {
            format!("<code>{}</code>", escape(&m.spec.id))
        };
        let _ = write!(
            out,
            "<tr><td>{name}<br>{}</td><td class=\"num\">{n}</td><td class=\"num\">{mean}</td><td class=\"num\">{median}</td><td class=\"num\">{ci}</td><td class=\"num\">{range}</td><td class=\"num\">{p99}</td><td class=\"num\">{throughput}</td><td>{ratio}</td><td>{other}</td></tr>",
            escape(&m.spec.description)
        );
    }
    out.push_str("</table>");
}

/// An HTML id for a benchmark's detail view.
fn anchor(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("bench-{safe}")
}

/// A benchmark's detail view: its distribution (over the baseline's) and its samples in order.
fn detail(out: &mut String, m: &Measurement, baseline: Option<&Measurement>) {
    let Some(samples) = &m.samples else {
        return;
    };
    let then = baseline
        .and_then(|b| b.samples.as_ref())
        .map(|s| s.ns.as_slice());
    let how = if samples.per_call {
        "one call per sample".to_owned()
    } else {
        format!("{} calls per sample, the mean of each", samples.iterations)
    };
    let _ = write!(
        out,
        "<details id=\"{}\" open><summary><code>{}</code> — {} samples, {how}</summary>{}{}</details>",
        anchor(&m.spec.id),
        escape(&m.spec.id),
        samples.ns.len(),
        charts::distribution(&samples.ns, then),
        charts::over_time(&samples.ns)
    );
}

/// One chart per group that has throughput at two or more input sizes, with the group's
/// reference (the benchmarks its members are measured against) overlaid.
fn scaling_charts(report: &Report, members: &[&Measurement]) -> Vec<String> {
    // A group that is another group's reference is drawn in that group's chart.
    let references: Vec<&str> = members
        .iter()
        .filter_map(|m| match &m.spec.reference {
            Some(Reference::Measured { bench }) => report.get(bench).map(|r| r.spec.group.as_str()),
            _ => None,
        })
        .collect();
    let mut groups: Vec<&str> = vec![];
    for m in members {
        if m.spec.param.is_some()
            && m.spec.throughput.is_some()
            && !groups.contains(&m.spec.group.as_str())
            && !references.contains(&m.spec.group.as_str())
        {
            groups.push(&m.spec.group);
        }
    }
    groups
        .into_iter()
        .filter_map(|group| {
            let in_group: Vec<&Measurement> = members
                .iter()
                .copied()
                .filter(|m| m.spec.group == group)
                .collect();
            let point = |m: &Measurement| Some((m.spec.param?, m.throughput_per_second()?));
            let mut ours: Vec<(f64, f64)> = in_group.iter().filter_map(|m| point(m)).collect();
            ours.sort_by(|a, b| a.0.total_cmp(&b.0));
            if ours.len() < 2 {
                return None;
            }
            let unit = in_group[0].spec.throughput.as_ref()?.unit.clone();
            let mut reference: Vec<(f64, f64)> = in_group
                .iter()
                .filter_map(|m| match &m.spec.reference {
                    Some(Reference::Measured { bench }) => {
                        let r = report.get(bench)?;
                        Some((m.spec.param?, r.throughput_per_second()?))
                    }
                    _ => None,
                })
                .collect();
            reference.sort_by(|a, b| a.0.total_cmp(&b.0));
            let reference_label = in_group.iter().find_map(|m| match &m.spec.reference {
                Some(Reference::Measured { bench }) => {
                    report.get(bench).map(|r| r.spec.group.clone())
                }
                _ => None,
            });
            let ours = charts::Series {
                label: group.to_owned(),
                points: ours,
            };
            let reference = (reference.len() >= 2).then(|| charts::Series {
                label: format!("{} (reference)", reference_label.unwrap_or_default()),
                points: reference,
            });
            Some(format!(
                "<figure>{}</figure>",
                charts::scaling(group, &unit, &ours, reference.as_ref())
            ))
        })
        .collect()
}

/// The run against its baseline, each benchmark's two 95% intervals as a share of the baseline
/// median; the changes are listed below the chart.
fn baseline_chart(
    report: &Report,
    baseline: Option<&Report>,
    c: &crate::compare::Comparison,
) -> String {
    let intervals: Vec<(crate::compare::Change, baseline::Intervals)> = c
        .changes
        .iter()
        .filter_map(|ch| {
            let now = report.get(&ch.id)?.summary?;
            let then = baseline?.get(&ch.id)?.summary?;
            let pct = |v: f64| v / then.median * 100.0;
            Some((
                ch.clone(),
                baseline::Intervals {
                    then: (pct(then.ci_low), pct(then.ci_high)),
                    now: (pct(now.ci_low), pct(now.ci_high), pct(now.median)),
                },
            ))
        })
        .collect();
    let mut out = baseline::baseline(c, &intervals);
    out.push_str("<table><tr><th>benchmark</th><th>baseline</th><th>this run</th><th>change</th><th>intervals</th><th>verdict</th></tr>");
    for ch in &c.changes {
        let class = if ch.regression {
            " class=\"regression\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:+.1}%</td><td>{}</td><td{class}>{}</td></tr>",
            escape(&ch.id),
            duration(ch.baseline_ns),
            duration(ch.current_ns),
            ch.change_pct,
            if ch.overlap { "overlap" } else { "apart" },
            if ch.regression {
                "REGRESSION".to_owned()
            } else {
                format!("{:?}", ch.verdict).to_lowercase()
            }
        );
    }
    out.push_str("</table>");
    out
}
