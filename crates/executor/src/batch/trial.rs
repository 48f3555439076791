//! Auto's trial: for jobs too small for the estimate to say what a parallel run costs, the
//! batch's own jobs are run both ways and the faster way takes the rest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use l2x_core::Receipt;

use super::{BatchError, Job, Planned, Policy, Tracker};
use crate::Executor;

/// Auto measures sequential against parallel on the batch's own jobs when they are estimated
/// below this each (see `Executor::trial`).
const TRIAL_BELOW: Duration = Duration::from_micros(50);
/// Time each half of the trial aims at.
const TRIAL_TIME: Duration = Duration::from_micros(150);
/// The fewest jobs per half of a trial; a batch with fewer than four times this skips it.
const TRIAL_MIN_JOBS: usize = 32;
/// How much faster the pool must be in the trial for the rest to run in parallel: a parallel
/// run that only ties is not worth the risk of losing.
const TRIAL_MARGIN: f64 = 1.25;
/// Tiny jobs estimated to take less than this in all run in order without a trial: the trial's
/// pool half can cost up to about one [`TRIAL_TIME`] more than running it in order (measured:
/// 0.4–0.7x the speed of in order), which must stay a small share of the batch, and the most
/// that two threads could save on so little work is about 1.5 ms.
const TRIAL_WORTHWHILE: Duration = Duration::from_millis(3);

/// What Auto does about a batch of jobs its estimate would spread over the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TrialPlan {
    /// Keep the estimate's verdict: the jobs are large enough for it, or too few to measure.
    Trust,
    /// Run in order: too little work in all to be worth measuring.
    InOrder,
    /// Measure this many jobs in order, then as many on the pool.
    Measure(usize),
}

impl TrialPlan {
    /// The plan for `count` jobs of about `per_job` each, at most `admitted` at once.
    fn new(per_job: Duration, count: usize, admitted: usize) -> Self {
        if per_job >= TRIAL_BELOW || admitted < 2 {
            return Self::Trust;
        }
        let wanted = (TRIAL_TIME.as_nanos() / per_job.as_nanos().max(1)) as usize;
        let size = wanted.max(TRIAL_MIN_JOBS).min(count / 4);
        if size < TRIAL_MIN_JOBS {
            return Self::Trust;
        }
        let total = per_job.saturating_mul(u32::try_from(count).unwrap_or(u32::MAX));
        if total < TRIAL_WORTHWHILE {
            return Self::InOrder;
        }
        Self::Measure(size)
    }
}

/// What a trial decided, why, and the jobs it left.
pub(super) type Trial<'p> = (Policy, String, &'p [&'p Planned]);

impl Executor {
    /// For tiny jobs the estimate of work says little about what a parallel run costs
    /// (allocation and results across threads, the other core's speed), so Auto measures it: the
    /// next jobs of the batch run twice [`TRIAL_TIME`] worth, the first half in order on one
    /// thread, the second half on the pool, and the rest goes the way that was faster by
    /// [`TRIAL_MARGIN`]; a batch with less than [`TRIAL_WORTHWHILE`] of work runs in order
    /// unmeasured. Returns the verdict, why, and the jobs left; None when the jobs are too large
    /// to need it or too few to measure.
    pub(super) fn trial<'p>(
        &self,
        jobs: &[Job],
        rest: &'p [&'p Planned],
        receipts: &mut [Option<Arc<Receipt>>],
        tracker: &Tracker<'_>,
        per_job: Duration,
        admitted: usize,
    ) -> Result<Option<Trial<'p>>, BatchError> {
        let size = match TrialPlan::new(per_job, rest.len(), admitted) {
            TrialPlan::Trust => return Ok(None),
            TrialPlan::InOrder => {
                let why = format!(
                    "but {} jobs of ~{per_job:?} are less than {TRIAL_WORTHWHILE:?} of work in all, too little for two threads to save what measuring them would risk, so they run in order",
                    rest.len()
                );
                return Ok(Some((Policy::Sequential, why, rest)));
            }
            TrialPlan::Measure(size) => size,
        };
        let (in_order, tail) = rest.split_at(size);
        let (on_pool, left) = tail.split_at(size);
        let start = Instant::now();
        self.prove_in_order(jobs, in_order, receipts, tracker)?;
        let sequential = start.elapsed();
        let start = Instant::now();
        let chunk = size.div_ceil(admitted);
        self.prove_parallel(jobs, on_pool, receipts, tracker, chunk, admitted)?;
        let parallel = start.elapsed();
        let faster = parallel.as_secs_f64() * TRIAL_MARGIN < sequential.as_secs_f64();
        let verdict = if faster {
            Policy::Parallel
        } else {
            Policy::Sequential
        };
        let why = format!(
            "measured on {size} + {size} of its jobs: {sequential:?} in order, {parallel:?} on the pool ({:.2}x), so the rest runs {}",
            sequential.as_secs_f64() / parallel.as_secs_f64().max(1e-9),
            if faster { "in parallel" } else { "in order" }
        );
        Ok(Some((verdict, why, left)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_measures_tiny_jobs_only_when_there_is_enough_work_to_gain() {
        let us = Duration::from_micros;
        // 2,000 x fib(20) (~0.7 us each): ~1.4 ms in all, in order unmeasured.
        assert_eq!(
            TrialPlan::new(Duration::from_nanos(700), 2_000, 2),
            TrialPlan::InOrder
        );
        // 20,000 of them: ~14 ms, measured on ~214 + 214 jobs.
        assert_eq!(
            TrialPlan::new(Duration::from_nanos(700), 20_000, 2),
            TrialPlan::Measure(214)
        );
        assert_eq!(TrialPlan::new(us(2), 2_000, 2), TrialPlan::Measure(75));
        // Just under and at the line.
        assert_eq!(TrialPlan::new(us(10), 299, 2), TrialPlan::InOrder);
        assert_eq!(TrialPlan::new(us(10), 300, 2), TrialPlan::Measure(32));
        // Large jobs, one admitted at a time, or too few to measure: the estimate decides.
        assert_eq!(TrialPlan::new(us(50), 100_000, 2), TrialPlan::Trust);
        assert_eq!(TrialPlan::new(us(1), 100_000, 1), TrialPlan::Trust);
        assert_eq!(TrialPlan::new(us(40), 127, 2), TrialPlan::Trust);
    }
}
