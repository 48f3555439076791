//! The HTML report in a real browser: Debian's Chromium, headless, loads `report.html` and the
//! test reads the DOM it rendered. Every benchmark with samples must have its two charts, every
//! chart real marks (bars, paths, polylines with points) and labels, the scaling and baseline
//! charts must be there, and the browser must log no console error.
//!
//! Without Chromium the test says on stderr that it did not run and passes, unless `L2X_CI` is
//! set (by `scripts/test.sh`, which installs Chromium, and so by CI): then it fails.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::Command;

use l2x_lab::format::Extras;
use l2x_lab::{Environment, Measurement, Report, Samples, Spec, compare};

/// A run of a scaling group (ours and a reference at three sizes) and one latency benchmark,
/// every time shifted by `shift` nanoseconds.
fn report(shift: f64) -> Report {
    let mut measurements = Vec::new();
    for size in [64u64, 1024, 16384] {
        let reference = Spec::new("hash", "reference", Some(size), "the reference hash")
            .throughput("bytes", size as f64);
        let ours = Spec::new("hash", "ours", Some(size), "our hash")
            .throughput("bytes", size as f64)
            .against(reference.id.clone());
        let per_byte = |base: f64| -> Vec<f64> {
            (0..40)
                .map(|i| base * size as f64 * (1.0 + f64::from(i % 7) / 100.0) + shift)
                .collect()
        };
        let timed = |ns: Vec<f64>| Some(Samples::per_call(ns));
        measurements.push(Measurement::new(reference, timed(per_byte(1.0)), vec![]));
        measurements.push(Measurement::new(ours, timed(per_byte(1.3)), vec![]));
    }
    let mut latency: Vec<f64> = (0..60)
        .map(|i| 5e6 + f64::from(i * 37 % 50) * 1e4 + shift * 1e3)
        .collect();
    latency.push(9e7); // one far outlier, cut from the histogram
    measurements.push(Measurement::new(
        Spec::new("prove", "job", None, "one proof"),
        Some(Samples::per_call(latency)),
        vec![],
    ));
    Report {
        format: l2x_lab::report::REPORT_FORMAT,
        environment: Environment::capture(),
        command: "l2x bench (synthetic)".into(),
        quick: false,
        measurements,
    }
}

/// The first Chromium-like browser on the PATH.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

#[test]
fn the_report_renders_its_charts_in_chromium() {
    let Some(browser) = chromium() else {
        // The variable l2x_jobs::scratch::REQUIRE_ALL_VAR names.
        assert!(
            std::env::var_os("L2X_CI").is_none(),
            "Chromium is not installed and L2X_CI requires this test: apt-get install chromium"
        );
        // Straight to stderr: a passing test's captured output is never shown.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the HTML report's browser test (Chromium is not installed; \
             scripts/test.sh installs it and runs the test)"
        );
        return;
    };
    let (baseline, current) = (report(0.0), report(40.0));
    let comparison = compare(&baseline, &current, 10.0);
    let extras = Extras {
        comparison: Some(&comparison),
        baseline_name: Some("main"),
        baseline: Some(&baseline),
        checks: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, l2x_lab::html::html(&current, extras)).unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{browser} failed: {log}");
    assert!(
        !log.contains(":CONSOLE(") && !log.contains("Uncaught"),
        "console errors: {log}"
    );
    // 7 benchmarks × (distribution, samples over time), the scaling chart, the baseline chart.
    let svgs: Vec<&str> = dom.split("<svg").skip(1).collect();
    assert_eq!(svgs.len(), 7 * 2 + 2, "charts in the DOM");
    for svg in &svgs {
        let body = svg.split("</svg>").next().unwrap();
        let marks = body.matches("<rect").count()
            + body.matches("<polyline points=\"").count()
            + body.matches("<circle").count()
            + body.matches("<path d=\"M").count();
        assert!(
            marks >= 3,
            "a chart without marks: {}",
            &body[..body.len().min(400)]
        );
        assert!(body.contains("<text"), "a chart without labels");
    }
    for needle in [
        "throughput against input size",
        "(reference)",
        "this run against the baseline",
        "far outliers not shown",
        "baseline (n=",
        "samples in the order taken",
        "time per call (ms)",
        "% of the baseline median",
    ] {
        assert!(dom.contains(needle), "the rendered page lacks {needle:?}");
    }
    assert!(!dom.contains("chart not drawn"), "a chart failed to draw");
}
