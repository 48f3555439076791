//! `l2x bench`: run the lab's suites, write the reports, compare with a baseline, check targets.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use l2x_lab::format::{Extras, checks_markdown, duration, ratio_words, result_line};
use l2x_lab::targets::matches;
use l2x_lab::{Comparison, Config, Event, Report, Status, Targets, compare};
use serde_json::json;

use crate::suites::{self, SUITES};
use crate::{EXIT_PERF, files, output};

/// Arguments of `l2x bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Suites to run (default: all): execute, prove, verify, aggregate, batch, parallel, cache,
    /// memory, da, stark, poseidon2, rollup, signatures (and risc0 in a build with it).
    suites: Vec<String>,

    /// Only the benchmarks whose id matches PATTERN (`*` matches any run of characters); a
    /// benchmark's reference runs with it.
    #[arg(long, value_name = "PATTERN")]
    filter: Option<String>,

    /// A smoke run: short sampling and the smallest size of each group.
    #[arg(long)]
    quick: bool,

    /// Where to write report.json, report.csv, report.md and report.html.
    #[arg(long, value_name = "DIR", default_value = "l2x-bench")]
    out: PathBuf,

    /// Save this run as a baseline: NAME (kept as DIR/NAME.json under --baselines) or a path
    /// ending in .json. Not with --quick: a smoke run samples too little to compare against.
    #[arg(long, value_name = "NAME", conflicts_with = "quick")]
    save_baseline: Option<String>,

    /// Compare with a saved baseline (NAME or a .json path); a slowdown beyond --threshold whose
    /// confidence intervals do not overlap exits with code 3.
    #[arg(long, value_name = "NAME")]
    baseline: Option<String>,

    /// Where named baselines are kept.
    #[arg(long, value_name = "DIR", default_value = "l2x-baselines")]
    baselines: PathBuf,

    /// Slowdown, in percent, beyond which a change is a regression.
    #[arg(long, value_name = "PCT", default_value_t = 10.0)]
    threshold: f64,

    /// Check the targets of a TOML file (see perf-targets.toml); a miss exits with code 3.
    #[arg(long, value_name = "FILE")]
    targets: Vec<PathBuf>,

    /// Compare and check an existing report.json instead of measuring (no suite runs): how a
    /// report from another machine or an earlier run is held against a baseline or targets.
    #[arg(long, value_name = "REPORT", conflicts_with_all = ["suites", "quick", "filter"])]
    report: Option<PathBuf>,

    /// List the suites and exit.
    #[arg(long)]
    list: bool,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn baseline_path(name: &str, dir: &Path) -> PathBuf {
    if name.ends_with(".json") || name.contains('/') {
        PathBuf::from(name)
    } else {
        dir.join(format!("{name}.json"))
    }
}

/// Runs `l2x bench`.
pub fn run(args: &Args) -> Result<ExitCode> {
    if args.list {
        if args.json {
            let suites: Vec<_> = SUITES
                .iter()
                .map(|s| json!({"name": s.name, "about": s.about}))
                .collect();
            output::print_json(&json!({ "suites": suites }));
            return Ok(ExitCode::SUCCESS);
        }
        for suite in SUITES {
            outln!("{:<10} {}", suite.name, suite.about);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !(args.threshold.is_finite() && args.threshold >= 0.0) {
        bail!(
            "--threshold must be a percentage ≥ 0, got {}",
            args.threshold
        );
    }
    // Everything that can be wrong with the arguments fails before any measuring.
    refuse_replacing_inputs(args)?;
    let targets = args
        .targets
        .iter()
        .map(|path| Targets::load(path).map(|t| (path.clone(), t)))
        .collect::<Result<Vec<_>, _>>()?;
    let baseline = args
        .baseline
        .as_deref()
        .map(|name| Report::load(&baseline_path(name, &args.baselines)).map(|r| (name, r)))
        .transpose()?;
    let report = match &args.report {
        Some(path) => Report::load(path)?,
        None => measure(args)?,
    };

    let comparison = baseline
        .as_ref()
        .map(|(_, base)| compare(base, &report, args.threshold));
    let checks: Vec<_> = targets.iter().flat_map(|(_, t)| t.check(&report)).collect();
    let extras = Extras {
        comparison: comparison.as_ref(),
        baseline_name: baseline.as_ref().map(|(name, _)| *name),
        baseline: baseline.as_ref().map(|(_, base)| base),
        checks: (!targets.is_empty()).then_some(checks.as_slice()),
    };
    let mut outputs = files::Outputs::default();
    stage_reports(&mut outputs, &args.out, &report, extras)?;
    if let Some(name) = &args.save_baseline {
        if report.quick {
            bail!("a quick run samples too little to serve as a baseline; save a full run");
        }
        let path = baseline_path(name, &args.baselines);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        outputs.stage(&path, report.to_json().as_bytes())?;
    }
    outputs.commit()?;

    let regressions = comparison.as_ref().map_or(0, |c| c.regressions().count());
    let misses = checks.iter().filter(|c| c.status == Status::Miss).count();
    if args.json {
        output::print_json(&json!({
            "benchmarks": report.measurements.len(),
            "out": args.out.display().to_string(),
            "regressions": comparison.as_ref().map(|c| c.regressions().map(|r| r.id.clone()).collect::<Vec<_>>()),
            "inconclusive": comparison.as_ref().map(|c| c.inconclusive().map(|r| r.id.clone()).collect::<Vec<_>>()),
            "comparison": comparison,
            "targets": (!targets.is_empty()).then_some(&checks),
            "target_misses": misses,
            "report": serde_json::to_value(&report)?,
        }));
    } else {
        if args.report.is_some() {
            print_summary(&report);
        }
        if let Some(c) = &comparison {
            print_comparison(c);
        }
        if !targets.is_empty() {
            out!("\n{}", checks_markdown(&checks));
        }
        outln!(
            "\nreports written to {}/report.{{json,csv,md,html}}",
            args.out.display()
        );
    }
    Ok(if regressions > 0 || misses > 0 {
        ExitCode::from(EXIT_PERF)
    } else {
        ExitCode::SUCCESS
    })
}

/// The cases whose id matches `pattern`, with the benchmarks they are compared against.
fn filter(cases: Vec<l2x_lab::Case<'static>>, pattern: &str) -> Vec<l2x_lab::Case<'static>> {
    let wanted: Vec<String> = cases
        .iter()
        .filter(|c| matches(pattern, &c.spec.id))
        .filter_map(|c| match &c.spec.reference {
            Some(l2x_lab::Reference::Measured { bench }) => Some(bench.clone()),
            _ => None,
        })
        .collect();
    cases
        .into_iter()
        .filter(|c| matches(pattern, &c.spec.id) || wanted.contains(&c.spec.id))
        .collect()
}

/// Runs the suites the arguments select.
fn measure(args: &Args) -> Result<Report> {
    let mut cases = suites::plan(&args.suites, args.quick)?;
    if let Some(pattern) = &args.filter {
        cases = filter(cases, pattern);
        if cases.is_empty() {
            bail!("no benchmark matches {pattern:?} (l2x bench --list names the suites)");
        }
    }
    let config = if args.quick {
        Config::quick()
    } else {
        Config::full()
    };
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let stream = !args.json;
    if stream {
        print_environment(&l2x_lab::Environment::capture());
    }
    let bar = output::progress_bar(stream, cases.len() as u64, "benchmarks");
    let start = Instant::now();
    let mut late = Vec::new();
    let report = l2x_lab::run(cases, &config, &command, |event| match event {
        Event::Start { index, total, id } => {
            bar.set_message(format!("{id} · {}", eta(start.elapsed(), index, total)));
        }
        Event::Done { done, .. } => {
            bar.inc(1);
            let Some(m) = done.last() else { return };
            let ratio = l2x_lab::report::ratio_among(done, m);
            if m.spec.reference.is_some() && ratio.is_none() {
                late.push(m.spec.id.clone());
            }
            if stream {
                bar.suspend(|| outln!("{}", result_line(m, ratio.as_ref())));
            }
        }
    })?;
    bar.finish_and_clear();
    if stream {
        print_late_ratios(&report, &late);
    }
    Ok(report)
}

/// Time left, from the mean time per benchmark so far: "eta 1m 20s", or "eta …" before the
/// first one is done.
fn eta(elapsed: Duration, done: usize, total: usize) -> String {
    if done == 0 {
        return "eta …".into();
    }
    let left = elapsed.mul_f64((total - done) as f64 / done as f64);
    let secs = left.as_secs();
    if secs >= 60 {
        format!("eta {}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("eta {secs}s")
    }
}

/// Ratios whose reference ran after the benchmark, once the run is over.
fn print_late_ratios(report: &Report, late: &[String]) {
    let lines: Vec<String> = late
        .iter()
        .filter_map(|id| {
            let m = report.get(id)?;
            let r = report.ratio(m)?;
            Some(format!(
                "{:<40} {} vs {}",
                id,
                ratio_words(r.ratio),
                r.label
            ))
        })
        .collect();
    if !lines.is_empty() {
        outln!("\nratios to references measured later in the run:");
        for line in lines {
            outln!("{line}");
        }
    }
}

/// The files of a run's reports in `--out`.
const REPORT_FILES: [&str; 4] = ["report.json", "report.csv", "report.md", "report.html"];

/// Refuses a report or saved baseline that would replace a file this run reads (a targets
/// file, the baseline, the report re-rendered).
fn refuse_replacing_inputs(args: &Args) -> Result<()> {
    let baseline = args
        .baseline
        .as_deref()
        .map(|name| baseline_path(name, &args.baselines));
    let inputs: Vec<&Path> = (args.targets.iter().map(PathBuf::as_path))
        .chain(baseline.as_deref())
        .chain(args.report.as_deref())
        .collect();
    let saved = args
        .save_baseline
        .as_deref()
        .map(|name| baseline_path(name, &args.baselines));
    let outputs = REPORT_FILES.iter().map(|f| args.out.join(f)).chain(saved);
    outputs
        .into_iter()
        .try_for_each(|out| files::refuse_inputs(&out, &inputs))
}

fn stage_reports(
    outputs: &mut files::Outputs,
    dir: &Path,
    report: &Report,
    extras: Extras<'_>,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let contents = [
        report.to_json(),
        l2x_lab::format::csv(report),
        l2x_lab::format::markdown(report, extras),
        l2x_lab::html::html(report, extras),
    ];
    for (name, text) in REPORT_FILES.iter().zip(contents) {
        outputs.stage(&dir.join(name), text.as_bytes())?;
    }
    Ok(())
}

fn print_environment(env: &l2x_lab::Environment) {
    outln!(
        "{} ({} cores), {}, commit {}, {}",
        env.cpu,
        env.cores,
        env.rustc,
        env.commit,
        env.date
    );
}

/// Every result of a report that was not streamed (`--report FILE`).
fn print_summary(report: &Report) {
    print_environment(&report.environment);
    for m in &report.measurements {
        outln!("{}", result_line(m, report.ratio(m).as_ref()));
    }
}

fn print_comparison(c: &Comparison) {
    outln!("\nagainst the baseline (threshold {}%):", c.threshold_pct);
    for ch in &c.changes {
        let verdict = if ch.regression {
            "REGRESSION".to_string()
        } else if ch.verdict == l2x_lab::Verdict::Inconclusive {
            "inconclusive (too few samples or too noisy)".to_string()
        } else {
            format!("{:?}", ch.verdict).to_lowercase()
        };
        outln!(
            "{:<40} {:>10} -> {:>10} {:+7.1}%  intervals {}  {verdict}",
            ch.id,
            duration(ch.baseline_ns),
            duration(ch.current_ns),
            ch.change_pct,
            if ch.overlap { "overlap" } else { "apart" }
        );
    }
}
