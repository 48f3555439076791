//! Statistics of a sample: location, spread, percentiles, Tukey outliers and a bootstrap
//! confidence interval of the median.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// Resamples drawn for the bootstrap interval: enough for a stable 2.5% / 97.5% pair.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

/// The seed of the bootstrap: reports of the same samples are identical.
pub const BOOTSTRAP_SEED: u64 = 0x6c32_785f_6c61_6221;

/// Samples outside Tukey's fences (quartiles ∓ 1.5 IQR mild, ∓ 3 IQR severe).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outliers {
    /// Below Q1 − 3 IQR.
    pub low_severe: usize,
    /// Between Q1 − 3 IQR and Q1 − 1.5 IQR.
    pub low_mild: usize,
    /// Between Q3 + 1.5 IQR and Q3 + 3 IQR.
    pub high_mild: usize,
    /// Above Q3 + 3 IQR.
    pub high_severe: usize,
}

impl Outliers {
    /// All outliers, mild and severe.
    pub fn total(&self) -> usize {
        self.low_severe + self.low_mild + self.high_mild + self.high_severe
    }
}

/// The summary of a sample, in the sample's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (the 50th percentile).
    pub median: f64,
    /// Sample standard deviation (n − 1 in the denominator; 0 for one sample).
    pub std_dev: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Median absolute deviation from the median (unscaled).
    pub mad: f64,
    /// Tukey outliers.
    pub outliers: Outliers,
    /// Lower end of the bootstrap 95% confidence interval of the median.
    pub ci_low: f64,
    /// Upper end of the bootstrap 95% confidence interval of the median.
    pub ci_high: f64,
}

impl Summary {
    /// Summarizes `samples`; `None` when there are none or any is not finite.
    pub fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() || samples.iter().any(|s| !s.is_finite()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let median = percentile(&sorted, 50.0);
        let (ci_low, ci_high) =
            bootstrap_median_ci(&sorted, 0.95, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED);
        Some(Self {
            n,
            mean,
            median,
            std_dev: std_dev(&sorted, mean),
            min: sorted[0],
            max: sorted[n - 1],
            p90: percentile(&sorted, 90.0),
            p99: percentile(&sorted, 99.0),
            mad: mad(&sorted, median),
            outliers: tukey(&sorted),
            ci_low,
            ci_high,
        })
    }

    /// Whether two confidence intervals share any value.
    pub fn overlaps(&self, other: &Summary) -> bool {
        self.ci_low <= other.ci_high && other.ci_low <= self.ci_high
    }
}

/// The `p`-th percentile (0–100) of sorted data, interpolating linearly between the two closest
/// ranks (Hyndman and Fan's type 7, the default of NumPy and R).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let rank = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f64;
            let below = rank.floor() as usize;
            let above = (below + 1).min(n - 1);
            let weight = rank - below as f64;
            sorted[below] + weight * (sorted[above] - sorted[below])
        }
    }
}

fn std_dev(samples: &[f64], mean: f64) -> f64 {
    if samples.len() < 2 {
        return 0.0;
    }
    let squares: f64 = samples.iter().map(|s| (s - mean).powi(2)).sum();
    (squares / (samples.len() - 1) as f64).sqrt()
}

fn mad(sorted: &[f64], median: f64) -> f64 {
    let mut deviations: Vec<f64> = sorted.iter().map(|s| (s - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    percentile(&deviations, 50.0)
}

fn tukey(sorted: &[f64]) -> Outliers {
    let q1 = percentile(sorted, 25.0);
    let q3 = percentile(sorted, 75.0);
    let iqr = q3 - q1;
    let mut outliers = Outliers::default();
    for &s in sorted {
        if s < q1 - 3.0 * iqr {
            outliers.low_severe += 1;
        } else if s < q1 - 1.5 * iqr {
            outliers.low_mild += 1;
        } else if s > q3 + 3.0 * iqr {
            outliers.high_severe += 1;
        } else if s > q3 + 1.5 * iqr {
            outliers.high_mild += 1;
        }
    }
    outliers
}

/// A percentile bootstrap interval of the median at `confidence` (e.g. 0.95): the medians of
/// `resamples` resamples drawn with replacement, cut at their (1 − c)/2 and (1 + c)/2 percentiles.
pub fn bootstrap_median_ci(
    samples: &[f64],
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> (f64, f64) {
    let n = samples.len();
    if n < 2 || resamples == 0 {
        let only = samples.first().copied().unwrap_or(f64::NAN);
        return (only, only);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut resample = vec![0.0; n];
    let mut medians: Vec<f64> = (0..resamples)
        .map(|_| {
            for slot in resample.iter_mut() {
                *slot = samples[rng.random_range(0..n)];
            }
            resample.sort_by(f64::total_cmp);
            percentile(&resample, 50.0)
        })
        .collect();
    medians.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0 * 100.0;
    (
        percentile(&medians, tail),
        percentile(&medians, 100.0 - tail),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn percentiles_match_numpy_linear_interpolation() {
        let data = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1,2,3,4], [0, 25, 50, 90, 99, 100])
        for (p, expected) in [
            (0.0, 1.0),
            (25.0, 1.75),
            (50.0, 2.5),
            (90.0, 3.7),
            (99.0, 3.97),
            (100.0, 4.0),
        ] {
            assert!(
                close(percentile(&data, p), expected),
                "p{p}: {}",
                percentile(&data, p)
            );
        }
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!(close(percentile(&hundred, 90.0), 90.1));
        assert!(close(percentile(&hundred, 99.0), 99.01));
    }

    #[test]
    fn summary_of_a_hand_checked_set() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7, median 4.5,
        // absolute deviations 2.5 .5 .5 .5 .5 .5 2.5 4.5 → MAD 0.5.
        let s = Summary::of(&[9.0, 2.0, 4.0, 5.0, 4.0, 7.0, 4.0, 5.0]).unwrap();
        assert_eq!(s.n, 8);
        assert!(close(s.mean, 5.0));
        assert!(close(s.median, 4.5));
        assert!(close(s.std_dev, (32.0f64 / 7.0).sqrt()));
        assert!(close(s.mad, 0.5));
        assert_eq!((s.min, s.max), (2.0, 9.0));
        assert!(s.ci_low <= s.median && s.median <= s.ci_high);
    }

    #[test]
    fn tukey_fences_sort_outliers_by_side_and_severity() {
        // Q1 = 10.75, Q3 = 13.25 over the twelve values below (type 7), IQR = 2.5:
        // mild fences 7 and 17, severe fences 3.25 and 20.75.
        let mut data = vec![10.0, 11.0, 11.0, 12.0, 12.0, 12.0, 12.0, 13.0, 13.0, 14.0];
        data.extend([1.0, 18.0]);
        let s = Summary::of(&data).unwrap();
        assert_eq!(
            s.outliers,
            Outliers {
                low_severe: 1,
                low_mild: 0,
                high_mild: 1,
                high_severe: 0
            }
        );
        let s = Summary::of(&[10.0, 10.0, 10.0, 10.0, 40.0]).unwrap();
        assert_eq!(s.outliers.high_severe, 1);
    }

    #[test]
    fn degenerate_samples() {
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
        let one = Summary::of(&[3.0]).unwrap();
        assert_eq!(
            (one.median, one.std_dev, one.ci_low, one.ci_high),
            (3.0, 0.0, 3.0, 3.0)
        );
    }

    #[test]
    fn bootstrap_interval_covers_the_true_median_in_at_least_90_percent_of_trials() {
        // Exponential samples of rate 1: the true median is ln 2.
        let truth = std::f64::consts::LN_2;
        let mut rng = StdRng::seed_from_u64(7);
        let trials: u64 = 200;
        let covered = (0..trials)
            .filter(|&t| {
                let samples: Vec<f64> =
                    (0..60).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
                let (low, high) = bootstrap_median_ci(&samples, 0.95, 1000, t);
                low <= truth && truth <= high
            })
            .count();
        assert!(
            covered as u64 * 10 >= trials * 9,
            "covered {covered} of {trials}"
        );
    }

    #[test]
    fn intervals_overlap_or_not() {
        let a = Summary::of(&[1.0, 1.1, 0.9, 1.0, 1.05]).unwrap();
        let b = Summary::of(&[2.0, 2.1, 1.9, 2.0, 2.05]).unwrap();
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&a));
    }
}
