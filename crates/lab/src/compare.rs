//! Comparing a run with a baseline: faster, slower, unchanged or inconclusive, and which
//! slowdowns are regressions.
//!
//! The rule: when the 95% intervals of the two medians are apart, the change is real (faster or
//! slower, and a slowdown beyond the threshold is a regression). When they overlap, the change is
//! called *unchanged* only if it is within the threshold; a larger change with overlapping
//! intervals is *inconclusive*: the runs sampled too little, or the machine was too noisy, to
//! tell. (A quick run against a baseline read +155% as "unchanged" under the old rule.)

use serde::Serialize;

use crate::report::Report;

/// How a benchmark moved against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The confidence intervals of the medians do not overlap and the median went down.
    Faster,
    /// The confidence intervals of the medians do not overlap and the median went up.
    Slower,
    /// The confidence intervals overlap and the change is within the threshold.
    Unchanged,
    /// The confidence intervals overlap but the change is beyond the threshold: too few
    /// samples, or too much noise, to tell.
    Inconclusive,
}

/// One benchmark's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The benchmark.
    pub id: String,
    /// The baseline's median, nanoseconds per call.
    pub baseline_ns: f64,
    /// This run's median, nanoseconds per call.
    pub current_ns: f64,
    /// `(current − baseline) / baseline`, in percent (positive: slower).
    pub change_pct: f64,
    /// Whether the two 95% intervals of the median overlap.
    pub overlap: bool,
    /// The reading.
    pub verdict: Verdict,
    /// Slower by more than the threshold, with intervals apart.
    pub regression: bool,
}

/// A run against a baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The threshold in percent.
    pub threshold_pct: f64,
    /// Benchmarks timed in both.
    pub changes: Vec<Change>,
    /// Benchmarks of the baseline not in this run.
    pub missing: Vec<String>,
}

impl Comparison {
    /// The regressions.
    pub fn regressions(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.regression)
    }

    /// The changes that could not be told apart from noise.
    pub fn inconclusive(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.verdict == Verdict::Inconclusive)
    }
}

/// Compares every timed benchmark of `current` with the same id in `baseline`.
pub fn compare(baseline: &Report, current: &Report, threshold_pct: f64) -> Comparison {
    let mut changes = vec![];
    for m in &current.measurements {
        let (Some(now), Some(then)) = (m.summary, baseline.get(&m.spec.id).and_then(|b| b.summary))
        else {
            continue;
        };
        let change_pct = (now.median - then.median) / then.median * 100.0;
        let overlap = now.overlaps(&then);
        let verdict = match (overlap, change_pct > 0.0) {
            (true, _) if change_pct.abs() <= threshold_pct => Verdict::Unchanged,
            (true, _) => Verdict::Inconclusive,
            (false, true) => Verdict::Slower,
            (false, false) => Verdict::Faster,
        };
        changes.push(Change {
            id: m.spec.id.clone(),
            baseline_ns: then.median,
            current_ns: now.median,
            change_pct,
            overlap,
            verdict,
            regression: verdict == Verdict::Slower && change_pct > threshold_pct,
        });
    }
    let missing = baseline
        .measurements
        .iter()
        .filter(|b| b.summary.is_some() && current.get(&b.spec.id).is_none())
        .map(|b| b.spec.id.clone())
        .collect();
    Comparison {
        threshold_pct,
        changes,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::env::Environment;
    use crate::measure::Samples;
    use crate::report::{Measurement, REPORT_FORMAT, Spec};

    /// A report of one benchmark whose samples are noisy around `center` (±5%, seeded).
    fn report(center: f64, seed: u64) -> Report {
        report_with(center, seed, 100, 0.05)
    }

    /// `n` samples spread ±`spread` around `center`.
    fn report_with(center: f64, seed: u64, n: usize, spread: f64) -> Report {
        let mut rng = StdRng::seed_from_u64(seed);
        let ns = (0..n)
            .map(|_| center * (1.0 - spread + 2.0 * spread * rng.random::<f64>()))
            .collect();
        let spec = Spec::new("execute", "work", None, "synthetic");
        Report {
            format: REPORT_FORMAT,
            environment: Environment::capture(),
            command: "test".into(),
            quick: false,
            measurements: vec![Measurement::new(spec, Some(Samples::per_call(ns)), vec![])],
        }
    }

    #[test]
    fn a_20_percent_slowdown_is_a_regression() {
        let comparison = compare(&report(1000.0, 1), &report(1200.0, 2), 10.0);
        let change = &comparison.changes[0];
        assert_eq!(change.verdict, Verdict::Slower);
        assert!(change.regression, "{change:?}");
        assert!((change.change_pct - 20.0).abs() < 3.0, "{change:?}");
    }

    #[test]
    fn identical_and_merely_noisy_runs_are_not() {
        let base = report(1000.0, 1);
        let same = compare(&base, &base, 10.0);
        assert_eq!(same.changes[0].verdict, Verdict::Unchanged);
        assert_eq!(same.regressions().count(), 0);
        let noisy = compare(&base, &report(1000.0, 3), 10.0);
        assert_eq!(noisy.regressions().count(), 0, "{noisy:?}");
    }

    #[test]
    fn a_speedup_is_faster_and_a_small_slowdown_below_threshold_is_not_a_regression() {
        let faster = compare(&report(1000.0, 1), &report(700.0, 2), 10.0);
        assert_eq!(faster.changes[0].verdict, Verdict::Faster);
        let slight = compare(&report(1000.0, 1), &report(1080.0, 2), 10.0);
        assert_eq!(slight.changes[0].verdict, Verdict::Slower);
        assert!(!slight.changes[0].regression);
    }

    #[test]
    fn a_large_change_with_overlapping_intervals_is_inconclusive_not_unchanged() {
        // Three samples each, spread ±80%: the intervals are wide enough to overlap even though
        // the medians differ by far more than the threshold.
        let base = report_with(1000.0, 1, 3, 0.8);
        let current = report_with(2500.0, 2, 3, 0.8);
        let comparison = compare(&base, &current, 10.0);
        let change = &comparison.changes[0];
        assert!(change.overlap, "{change:?}");
        assert!(change.change_pct > 10.0, "{change:?}");
        assert_eq!(change.verdict, Verdict::Inconclusive);
        assert!(!change.regression);
        assert_eq!(comparison.inconclusive().count(), 1);
    }
}
