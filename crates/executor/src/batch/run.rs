//! Proving planned jobs: one at a time on the calling thread, or spread over the pool, with
//! the cost model learning from either.

use std::sync::Arc;
use std::time::{Duration, Instant};

use l2x_core::Receipt;
use rayon::prelude::*;

use super::{BatchError, Job, Planned, Sample, Timed, Tracker, same_program};
use crate::{Executor, JobError};

impl Executor {
    /// Proves one job, keeps it in the cache and reports progress.
    pub(super) fn prove_kept(
        &self,
        p: &Planned,
        input: &[u8],
        tracker: &Tracker<'_>,
    ) -> Result<Arc<Receipt>, JobError> {
        let receipt = Arc::new(self.prove_program(&*p.program, input)?);
        let key = p.cache_key();
        if let (Some(cache), Some(key)) = (&self.cache, key) {
            cache.insert(key, Arc::clone(&receipt));
        }
        tracker.job_done();
        Ok(receipt)
    }

    /// [`Executor::prove_kept`], timed.
    pub(super) fn prove_one(
        &self,
        p: &Planned,
        input: &[u8],
        tracker: &Tracker<'_>,
    ) -> Result<Timed, JobError> {
        let start = Instant::now();
        let receipt = self.prove_kept(p, input, tracker)?;
        let elapsed = start.elapsed();
        Ok(Timed {
            receipt,
            elapsed,
            steps: p.steps,
        })
    }

    /// Proves `todo` one after another on the calling thread, straight into `receipts`. The
    /// clock is read once per run of jobs of one program, not per job: for 1000 fib(20) jobs
    /// (~235 ns each), reading it per job and keeping per-job records made the batch 13–21%
    /// slower.
    pub(super) fn prove_in_order(
        &self,
        jobs: &[Job],
        todo: &[&Planned],
        receipts: &mut [Option<Arc<Receipt>>],
        tracker: &Tracker<'_>,
    ) -> Result<(), BatchError> {
        let mut rest = todo;
        while let Some(first) = rest.first() {
            let run = rest
                .iter()
                .take_while(|p| same_program(&*p.program, &*first.program))
                .count();
            let (group, tail) = rest.split_at(run);
            let start = Instant::now();
            let mut steps = 0;
            for p in group {
                let receipt =
                    self.prove_kept(p, &jobs[p.index].input, tracker)
                        .map_err(|error| BatchError {
                            index: p.index,
                            error,
                        })?;
                steps += p.steps;
                receipts[p.index] = Some(receipt);
            }
            let elapsed = start.elapsed();
            if let Some(Some(receipt)) = receipts.get(first.index) {
                self.costs
                    .record(self.backend(), &receipt.claim.program, steps, elapsed);
            }
            rest = tail;
        }
        Ok(())
    }

    /// Folds measured jobs into the cost model: one update per program (summed steps over
    /// summed time), so that workers never contend on the model while they prove.
    pub(super) fn record_costs<'a>(&self, timed: impl Iterator<Item = &'a Timed>) {
        let mut totals: Vec<(&l2x_core::ProgramId, u64, Duration)> = vec![];
        for t in timed {
            let program = &t.receipt.claim.program;
            match totals.iter_mut().find(|(p, _, _)| *p == program) {
                Some((_, steps, time)) => {
                    *steps += t.steps;
                    *time += t.elapsed;
                }
                None => totals.push((program, t.steps, t.elapsed)),
            }
        }
        for (program, steps, time) in totals {
            self.costs.record(self.backend(), program, steps, time);
        }
    }

    /// Proves `rest` on the pool, at most `admitted` at once, `chunk` jobs or more per task.
    pub(super) fn prove_parallel(
        &self,
        jobs: &[Job],
        rest: &[&Planned],
        receipts: &mut [Option<Arc<Receipt>>],
        tracker: &Tracker<'_>,
        chunk: usize,
        admitted: usize,
    ) -> Result<(), BatchError> {
        let prove = |p: &&Planned| (p.index, self.prove_one(p, &jobs[p.index].input, tracker));
        let results: Vec<Sample> = self.pool.install(|| {
            rest.chunks(if admitted < self.threads() {
                admitted
            } else {
                rest.len().max(1)
            })
            .flat_map(|wave| {
                wave.par_iter()
                    .with_min_len(chunk)
                    .map(prove)
                    .collect::<Vec<_>>()
            })
            .collect()
        });
        self.record_costs(results.iter().filter_map(|(_, r)| r.as_ref().ok()));
        for (index, result) in results {
            receipts[index] = Some(result.map_err(|error| BatchError { index, error })?.receipt);
        }
        Ok(())
    }
}
