//! Calibration: the first jobs of a program the cost model has not measured yet, proven while
//! the batch runs; the fastest of them seeds the model.

use std::sync::Arc;
use std::time::{Duration, Instant};

use l2x_core::Receipt;
use rayon::prelude::*;

use super::{BatchError, Job, Planned, Sample, Timed, Tracker};
use crate::Executor;

/// Each worker calibrating an unmeasured program proves at most this many of its jobs...
pub(super) const CALIBRATION_JOBS: usize = 8;
/// ...or for at most this long.
const CALIBRATION_TIME: Duration = Duration::from_millis(2);

/// A group of at least this many jobs per admitted worker calibrates on the calling thread
/// alone: the others then idle for at most one job or [`CALIBRATION_TIME`], under 1/256 of the
/// batch's parallel time when its jobs are alike, and a batch of tiny jobs never wakes the pool
/// (a round trip into a sleeping pool cost 2,000 jobs of ~0.5 µs 5–9%: BENCHMARKS.md).
const ALONE_FROM: usize = 256;

/// How many workers calibrate a group of `jobs` jobs when `admitted` may run at once: one (the
/// calling thread) for a group of [`ALONE_FROM`] jobs per admitted worker or more, else as many
/// as are admitted, side by side on the pool, so that no core idles while a few large jobs are
/// measured (one job run alone first made 16 jobs of ~28 ms 1.73x faster than in order instead
/// of 1.96x on 2 cores).
fn calibrating_workers(jobs: usize, admitted: usize) -> usize {
    let width = jobs.min(admitted).max(1);
    if jobs >= ALONE_FROM.saturating_mul(width) {
        1
    } else {
        width
    }
}

impl Executor {
    /// Seeds the cost model with the fastest per-step time among calibration samples.
    fn record_fastest(&self, samples: &[Timed]) {
        let per_step = |t: &Timed| t.elapsed.as_nanos() as f64 / t.steps.max(1) as f64;
        if let Some(best) = samples
            .iter()
            .min_by(|a, b| per_step(a).total_cmp(&per_step(b)))
        {
            self.record_costs(std::iter::once(best));
        }
    }

    /// Calibrates the cost model for an unmeasured program while the batch runs: each of the
    /// [`calibrating_workers`] proves a few of the program's jobs, one after another, until it
    /// has spent [`CALIBRATION_TIME`] or proven [`CALIBRATION_JOBS`]; the fastest per-step time
    /// seeds the model (a first call runs cold and would overstate it). One worker is the
    /// calling thread (the prover's own parallelism still runs on the pool); more run side by
    /// side on the pool. The jobs that ran have their receipts in `receipts`; returns how many
    /// ran and how many workers ran them.
    pub(super) fn calibrate(
        &self,
        jobs: &[Job],
        group: &[&Planned],
        receipts: &mut [Option<Arc<Receipt>>],
        tracker: &Tracker<'_>,
    ) -> Result<(usize, usize), BatchError> {
        let width = calibrating_workers(group.len(), self.admitted(group));
        let candidates = &group[..group.len().min(width * CALIBRATION_JOBS)];
        let share = candidates.len().div_ceil(width);
        let run_share = |share: &[&Planned]| -> Vec<Sample> {
            let start = Instant::now();
            let mut out = Vec::new();
            for p in share {
                if !out.is_empty() && start.elapsed() >= CALIBRATION_TIME {
                    break;
                }
                let result = self.prove_one(p, &jobs[p.index].input, tracker);
                let failed = result.is_err();
                out.push((p.index, result));
                if failed {
                    break;
                }
            }
            out
        };
        let results = if width == 1 {
            run_share(candidates)
        } else {
            self.pool.install(|| {
                candidates
                    .par_chunks(share)
                    .with_max_len(1)
                    .flat_map_iter(run_share)
                    .collect()
            })
        };
        let mut samples = Vec::with_capacity(results.len());
        for (index, result) in results {
            let timed = result.map_err(|error| BatchError { index, error })?;
            receipts[index] = Some(Arc::clone(&timed.receipt));
            samples.push(timed);
        }
        self.record_fastest(&samples);
        Ok((samples.len(), width))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_groups_calibrate_side_by_side_on_the_pool() {
        // 16 or 64 large jobs: every admitted worker.
        assert_eq!(calibrating_workers(16, 2), 2);
        assert_eq!(calibrating_workers(64, 8), 8);
        // A single job, or one admitted at a time: the calling thread.
        assert_eq!(calibrating_workers(1, 2), 1);
        assert_eq!(calibrating_workers(100, 1), 1);
        // 2,000 tiny jobs on 2 threads: the calling thread alone; on 16, side by side.
        assert_eq!(calibrating_workers(2 * ALONE_FROM - 1, 2), 2);
        assert_eq!(calibrating_workers(2 * ALONE_FROM, 2), 1);
        assert_eq!(calibrating_workers(2_000, 16), 16);
        assert_eq!(calibrating_workers(usize::MAX, usize::MAX), 1);
    }
}
