//! The measurement loop: a warm-up that also sizes the work, then samples that each time a batch
//! of iterations long enough for the clock's resolution not to matter.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Calls at least this long are timed one by one, so percentiles describe single calls.
pub const PER_CALL_MIN: Duration = Duration::from_micros(20);

/// A sample of batched calls lasts at least this long: about a thousand times the resolution of
/// the monotonic clock on Linux (tens of nanoseconds per `Instant::now`).
pub const SAMPLE_MIN: Duration = Duration::from_micros(50);

/// How long to measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Time spent running the closure before any sample is kept.
    pub warm_up: Duration,
    /// Time the kept samples should take together.
    pub measurement: Duration,
    /// Samples to keep when calls are short.
    pub samples: usize,
    /// Samples to keep at least, however long a call takes.
    pub min_samples: usize,
    /// Whether this is the short smoke-test configuration.
    pub quick: bool,
}

impl Config {
    /// The configuration of a full run: 1 s warm-up, 3 s of up to 100 samples, at least 10.
    pub fn full() -> Self {
        Self {
            warm_up: Duration::from_secs(1),
            measurement: Duration::from_secs(3),
            samples: 100,
            min_samples: 10,
            quick: false,
        }
    }

    /// The configuration of a smoke run: 50 ms warm-up, 200 ms of up to 30 samples, at least 3.
    pub fn quick() -> Self {
        Self {
            warm_up: Duration::from_millis(50),
            measurement: Duration::from_millis(200),
            samples: 30,
            min_samples: 3,
            quick: true,
        }
    }
}

/// Timings of one benchmark: nanoseconds per call, one value per sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    /// Whether each sample is one call (so percentiles are per-call latencies) rather than the
    /// mean of a batch of calls.
    pub per_call: bool,
    /// Calls per sample.
    pub iterations: u64,
    /// Nanoseconds per call, one value per sample, in the order taken.
    pub ns: Vec<f64>,
}

impl Samples {
    /// Latencies measured elsewhere (one call each), in nanoseconds.
    pub fn per_call(ns: Vec<f64>) -> Self {
        Self {
            per_call: true,
            iterations: 1,
            ns,
        }
    }
}

/// Times `f` under `config`: warm-up, sizing, then samples.
pub fn time<R>(config: &Config, mut f: impl FnMut() -> R) -> Samples {
    let per_call = warm_up(config.warm_up, &mut f);
    if per_call >= PER_CALL_MIN {
        let wanted = (config.measurement.as_secs_f64() / per_call.as_secs_f64()) as usize;
        let n = wanted.clamp(config.min_samples, config.samples);
        let ns = (0..n)
            .map(|_| {
                let start = Instant::now();
                black_box(f());
                start.elapsed().as_nanos() as f64
            })
            .collect();
        return Samples::per_call(ns);
    }
    let sample = (config.measurement / config.samples.max(1) as u32).max(SAMPLE_MIN);
    let iterations = (sample.as_secs_f64() / per_call.as_secs_f64().max(1e-9))
        .ceil()
        .max(1.0) as u64;
    let ns = (0..config.samples)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(f());
            }
            start.elapsed().as_nanos() as f64 / iterations as f64
        })
        .collect();
    Samples {
        per_call: false,
        iterations,
        ns,
    }
}

/// Times `a` and `b` in alternation, one sample of each in turn, so that drift on a shared
/// machine (frequency, a neighbour's load) falls on both alike: for the ratio of two ways of
/// doing the same work. Each side is sized as [`time`] sizes it.
pub fn time_pair<R, S>(
    config: &Config,
    mut a: impl FnMut() -> R,
    mut b: impl FnMut() -> S,
) -> (Samples, Samples) {
    let per_call = [
        warm_up(config.warm_up / 2, &mut a),
        warm_up(config.warm_up / 2, &mut b),
    ];
    let plan: Vec<(bool, u64, usize)> = per_call
        .iter()
        .map(|&t| {
            if t >= PER_CALL_MIN {
                let wanted = (config.measurement.as_secs_f64() / 2.0 / t.as_secs_f64()) as usize;
                (true, 1, wanted.clamp(config.min_samples, config.samples))
            } else {
                let sample =
                    (config.measurement / 2 / config.samples.max(1) as u32).max(SAMPLE_MIN);
                let iterations = (sample.as_secs_f64() / t.as_secs_f64().max(1e-9))
                    .ceil()
                    .max(1.0) as u64;
                (false, iterations, config.samples)
            }
        })
        .collect();
    let n = plan[0].2.min(plan[1].2);
    let mut ns = [Vec::with_capacity(n), Vec::with_capacity(n)];
    for _ in 0..n {
        ns[0].push(sample(plan[0].1, &mut a));
        ns[1].push(sample(plan[1].1, &mut b));
    }
    let [na, nb] = ns;
    (
        Samples {
            per_call: plan[0].0,
            iterations: plan[0].1,
            ns: na,
        },
        Samples {
            per_call: plan[1].0,
            iterations: plan[1].1,
            ns: nb,
        },
    )
}

/// Nanoseconds per call over one sample of `iterations` calls.
fn sample<R>(iterations: u64, f: &mut impl FnMut() -> R) -> f64 {
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(f());
    }
    start.elapsed().as_nanos() as f64 / iterations as f64
}

/// Runs `f` in doubling batches for `duration` (at least once) and returns the time per call.
fn warm_up<R>(duration: Duration, f: &mut impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    let mut calls = 0u64;
    let mut batch = 1u64;
    loop {
        for _ in 0..batch {
            black_box(f());
        }
        calls += batch;
        let elapsed = start.elapsed();
        if elapsed >= duration {
            return elapsed / calls.min(u32::MAX as u64) as u32;
        }
        batch = batch.saturating_mul(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_timing_alternates_and_keeps_each_side_apart() {
        let config = Config::quick();
        let (fast, slow) = time_pair(
            &config,
            || black_box(1u64) + 1,
            || std::thread::sleep(Duration::from_micros(300)),
        );
        assert_eq!(fast.ns.len(), slow.ns.len());
        assert!(!fast.per_call && slow.per_call);
        let median = |s: &Samples| {
            crate::stats::Summary::of(&s.ns)
                .map(|x| x.median)
                .unwrap_or(0.0)
        };
        assert!(
            median(&slow) > 100.0 * median(&fast),
            "{} vs {}",
            median(&slow),
            median(&fast)
        );
    }

    #[test]
    fn short_calls_are_batched_and_long_calls_timed_alone() {
        let config = Config::quick();
        let short = time(&config, || black_box(1u64) + 1);
        assert!(!short.per_call);
        assert!(short.iterations > 1000, "{}", short.iterations);
        assert_eq!(short.ns.len(), config.samples);
        let long = time(&config, || std::thread::sleep(Duration::from_millis(100)));
        assert!(long.per_call);
        assert_eq!(long.ns.len(), config.min_samples);
        assert!(long.ns.iter().all(|&ns| ns >= 100e6), "{:?}", long.ns);
    }
}
