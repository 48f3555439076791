//! Batches: validation before any work, de-duplication through the cache, and the choice
//! between sequential and parallel execution on the executor's pool.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use l2x_core::{Program, Receipt};
use rayon::prelude::*;

use crate::cache::{CacheKey, CacheStats, cache_key};
use crate::{Executor, JobError};

mod calibrate;
mod run;
#[cfg(test)]
mod tests;
mod tracker;
mod trial;

pub use tracker::Progress;
pub(crate) use tracker::Tracker;

/// How a batch is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Parallel only where the cost model says it wins; sequential otherwise.
    Auto,
    /// One job after another on the calling thread.
    Sequential,
    /// Every job on the pool.
    Parallel,
}

impl Policy {
    /// The name used on the command line and in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Policy::Auto => "auto",
            Policy::Sequential => "sequential",
            Policy::Parallel => "parallel",
        }
    }
}

impl FromStr for Policy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Policy::Auto),
            "sequential" => Ok(Policy::Sequential),
            "parallel" => Ok(Policy::Parallel),
            other => Err(format!(
                "unknown policy '{other}' (known: auto, sequential, parallel)"
            )),
        }
    }
}

/// One job of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The program's id.
    pub program: String,
    /// Its input bytes.
    pub input: Vec<u8>,
}

/// A job of a batch that failed, by position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job {index}: {error}")]
pub struct BatchError {
    /// The job's position in the batch (0-based).
    pub index: usize,
    /// Why it failed.
    pub error: JobError,
}

/// The result of a batch: receipts in input order, and how it ran.
#[derive(Debug, Clone)]
pub struct BatchReport {
    /// One receipt per job, in input order (duplicates share one).
    pub receipts: Vec<Arc<Receipt>>,
    /// What ran: [`Policy::Sequential`] or [`Policy::Parallel`].
    pub ran: Policy,
    /// Why, in words.
    pub reason: String,
    /// Threads of the pool.
    pub threads: usize,
    /// Jobs actually proven (the rest came from the cache or were duplicates).
    pub proven: usize,
    /// The cache's counters after the batch, if it is on.
    pub cache: Option<CacheStats>,
    /// Wall time of the whole batch.
    pub wall: Duration,
    /// The most jobs that ran at once (the memory budget may hold it below the thread count).
    pub concurrency: usize,
}

/// Whether two registry entries are the same program: ids are unique in a registry, and never
/// by address (zero-sized programs may share one).
fn same_program(a: &dyn Program, b: &dyn Program) -> bool {
    a.id() == b.id()
}

/// `todo` split by program, each group in batch order, groups in order of first appearance.
fn group_by_program<'p>(todo: &[&'p Planned]) -> Vec<Vec<&'p Planned>> {
    let mut groups: Vec<Vec<&Planned>> = vec![];
    for &p in todo {
        match groups
            .iter_mut()
            .find(|g| same_program(&*g[0].program, &*p.program))
        {
            Some(group) => group.push(p),
            None => groups.push(vec![p]),
        }
    }
    groups
}

/// Below this estimated time, a job costs less than looking it up: Auto does not consult the
/// cache for it (de-duplication within the batch still applies).
const CACHE_WORTHWHILE: Duration = Duration::from_micros(2);

/// A parallel task should run at least this many round trips into the pool.
const TASK_OVER_DISPATCH: u32 = 50;

/// A proven job, how long it took, and its planned steps: the cost model learns time per
/// *planned* step, the unit it predicts in (a `risc0` receipt's steps are user cycles, which
/// the plan does not know).
struct Timed {
    receipt: Arc<Receipt>,
    elapsed: Duration,
    steps: u64,
}

/// A job's index in the batch and how its proof went.
type Sample = (usize, Result<Timed, JobError>);

/// A job of the batch, validated and estimated, ready to prove.
struct Planned {
    index: usize,
    program: Arc<dyn Program>,
    steps: u64,
    memory: u64,
    /// The job's cache key, when the cache is on (used to find duplicates in the batch).
    key: Option<CacheKey>,
    /// Whether the job's receipt goes into the cache (Auto leaves out jobs cheaper than a miss).
    cached: bool,
}

impl Planned {
    /// The key under which the receipt is kept, if it is kept.
    fn cache_key(&self) -> Option<CacheKey> {
        self.key.filter(|_| self.cached)
    }
}

impl Executor {
    /// Proves a batch. Every job is validated first (nothing is proven if one is bad); identical
    /// jobs are proven once when the cache is on; the policy decides sequential or parallel.
    pub fn prove_batch(&self, jobs: &[Job]) -> Result<BatchReport, BatchError> {
        self.run_batch(jobs, None)
    }

    /// [`Executor::prove_batch`], calling `progress` after every job proven (from any worker
    /// thread).
    pub fn prove_batch_with_progress(
        &self,
        jobs: &[Job],
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<BatchReport, BatchError> {
        self.run_batch(jobs, Some(progress))
    }

    fn run_batch(
        &self,
        jobs: &[Job],
        progress: Option<&(dyn Fn(Progress) + Sync)>,
    ) -> Result<BatchReport, BatchError> {
        let start = Instant::now();
        let backend = self.backend();
        let mut planned = Vec::with_capacity(jobs.len());
        for (index, job) in jobs.iter().enumerate() {
            let program = self.program(&job.program).map_err(|e| BatchError {
                index,
                error: e.into(),
            })?;
            let steps = program.estimate_steps(&job.input).map_err(|e| BatchError {
                index,
                error: e.into(),
            })?;
            let memory = self
                .prover
                .estimate_peak_memory(&*program, &job.input)
                .map_err(|e| BatchError {
                    index,
                    error: e.into(),
                })?;
            if memory > self.memory_budget {
                let error = JobError::MemoryBudget {
                    needed: memory,
                    budget: self.memory_budget,
                };
                return Err(BatchError { index, error });
            }
            planned.push(Planned {
                index,
                program,
                steps,
                memory,
                key: None,
                cached: false,
            });
        }
        let mut receipts: Vec<Option<Arc<Receipt>>> = vec![None; jobs.len()];
        let mut first_of: HashMap<CacheKey, usize> = HashMap::new();
        let mut duplicates: Vec<(usize, usize)> = vec![];
        let mut todo: Vec<&Planned> = vec![];
        if self.cache.is_some() {
            for p in &mut planned {
                p.key = Some(cache_key(
                    backend,
                    &jobs[p.index].program,
                    &jobs[p.index].input,
                ));
            }
        }
        for p in &mut planned {
            if let Some(key) = p.key {
                if let Some(&first) = first_of.get(&key) {
                    duplicates.push((p.index, first));
                    continue;
                }
                first_of.insert(key, p.index);
                p.cached = self.policy != Policy::Auto || self.estimate(p) >= CACHE_WORTHWHILE;
                if p.cached
                    && let Some(hit) = self.cache.as_ref().and_then(|c| c.get(&key))
                {
                    receipts[p.index] = Some(hit);
                    continue;
                }
            }
            todo.push(&*p);
        }
        let proven = todo.len();
        let tracker = Tracker::new(proven, progress);
        let (ran, reason, concurrency) = self.run_planned(jobs, &todo, &mut receipts, &tracker)?;
        for (dup, first) in duplicates {
            receipts[dup] = receipts[first].clone();
        }
        let receipts = receipts.into_iter().flatten().collect();
        let cache = self.cache.as_ref().map(|c| c.stats());
        Ok(BatchReport {
            receipts,
            ran,
            reason,
            threads: self.threads(),
            proven,
            cache,
            wall: start.elapsed(),
            concurrency,
        })
    }

    fn estimate(&self, p: &Planned) -> Duration {
        self.estimate_steps(&*p.program, p.steps)
    }

    fn estimate_steps(&self, program: &dyn Program, steps: u64) -> Duration {
        self.costs
            .estimate(self.backend(), &program.id(), steps)
            .unwrap_or(Duration::MAX)
    }

    /// How many of `jobs` may run at once: the memory budget over the largest job's estimated
    /// peak, between 1 and the pool's threads.
    fn admitted(&self, jobs: &[&Planned]) -> usize {
        let largest = jobs.iter().map(|p| p.memory).max().unwrap_or(0);
        (self.memory_budget / largest.max(1)).clamp(1, self.threads() as u64) as usize
    }

    fn run_planned(
        &self,
        jobs: &[Job],
        todo: &[&Planned],
        receipts: &mut [Option<Arc<Receipt>>],
        tracker: &Tracker<'_>,
    ) -> Result<(Policy, String, usize), BatchError> {
        // Jobs of one program run together (results land by index, so order is free): the
        // sequential path then reads the clock once per program, and each program still
        // unmeasured is calibrated on its own jobs wherever they sit in the batch.
        let mut rest: Vec<&Planned> = Vec::with_capacity(todo.len());
        let (mut calibrated, mut side_by_side) = (0, false);
        let mut estimate = Duration::ZERO;
        for group in group_by_program(todo) {
            // A forced policy needs no estimate: it runs as told and measures as it goes.
            if self.policy == Policy::Auto && self.estimate(group[0]) == Duration::MAX {
                let (ran, workers) = self.calibrate(jobs, &group, receipts, tracker)?;
                calibrated += ran;
                side_by_side |= workers > 1;
            }
            // Calibration proves some of each worker's share: what is left has no receipt yet.
            let left: Vec<&Planned> = group
                .iter()
                .copied()
                .filter(|p| receipts[p.index].is_none())
                .collect();
            let steps = left.iter().map(|p| p.steps).sum();
            estimate = estimate.saturating_add(self.estimate_steps(&*group[0].program, steps));
            rest.extend_from_slice(&left);
        }
        let rest = rest.as_slice();
        let (mut ran, mut reason, chunk) = self.decide(rest.len(), estimate);
        if calibrated > 0 {
            reason = format!(
                "{calibrated} job(s) ran first, {}, to calibrate the cost model; then {reason}",
                if side_by_side {
                    "side by side on the pool"
                } else {
                    "on this thread"
                }
            );
        }
        // Admission: never more jobs at once than the memory budget holds.
        let admitted = self.admitted(rest);
        if ran == Policy::Parallel && admitted < self.threads() {
            let largest = rest.iter().map(|p| p.memory).max().unwrap_or(0) >> 20;
            let budget = self.memory_budget >> 20;
            reason = format!(
                "{reason}; the {budget} MiB memory budget admits {admitted} job(s) of up to {largest} MiB at once"
            );
            if admitted == 1 {
                ran = Policy::Sequential;
            }
        }
        let mut rest = rest;
        if ran == Policy::Parallel && self.policy == Policy::Auto {
            let per_job = estimate / rest.len().max(1) as u32;
            if let Some((verdict, why, left)) =
                self.trial(jobs, rest, receipts, tracker, per_job, admitted)?
            {
                ran = verdict;
                reason = format!("{reason}; {why}");
                rest = left;
            }
        }
        let concurrency = if ran == Policy::Parallel { admitted } else { 1 };
        if ran != Policy::Parallel {
            self.prove_in_order(jobs, rest, receipts, tracker)?;
            return Ok((ran, reason, concurrency));
        }
        self.prove_parallel(jobs, rest, receipts, tracker, chunk, admitted)?;
        Ok((ran, reason, concurrency))
    }

    /// Sequential or parallel, why, and how many jobs per parallel task.
    /// `total` is the estimated time of the `count` jobs left after calibration: steps summed
    /// per program, one estimate each, so deciding costs next to nothing for thousands of jobs.
    fn decide(&self, count: usize, total: Duration) -> (Policy, String, usize) {
        let threads = self.threads();
        match self.policy {
            Policy::Sequential => return (Policy::Sequential, "forced by policy".into(), 1),
            Policy::Parallel => return (Policy::Parallel, "forced by policy".into(), 1),
            Policy::Auto => {}
        }
        if threads < 2 || count < 2 {
            let why = format!("{count} job(s) to prove on {threads} thread(s): nothing to spread");
            return (Policy::Sequential, why, 1);
        }
        let per_job = total / count as u32;
        let min_task = self.dispatch * TASK_OVER_DISPATCH;
        let chunk = (min_task.as_nanos() / per_job.as_nanos().max(1)).max(1) as usize;
        let tasks = count.div_ceil(chunk);
        if tasks >= threads {
            let why = format!(
                "estimated {total:?} of work: {tasks} tasks of >= {chunk} job(s), each well above the {:?} cost of a round trip into the pool",
                self.dispatch
            );
            (Policy::Parallel, why, chunk)
        } else {
            let why = format!(
                "estimated {total:?} of work is below {threads} tasks of {min_task:?} ({TASK_OVER_DISPATCH}x the {:?} cost of a round trip into the pool)",
                self.dispatch
            );
            (Policy::Sequential, why, 1)
        }
    }

    /// Verifies receipts, in parallel on the pool where the policy allows; a failure is returned
    /// with its position (under parallel execution, not necessarily the lowest failing one).
    pub fn verify_batch(&self, receipts: &[Receipt]) -> Result<(), (usize, l2x_core::VerifyError)> {
        let parallel = match self.policy {
            Policy::Sequential => false,
            Policy::Parallel => true,
            Policy::Auto => {
                self.threads() > 1 && receipts.iter().filter(|r| !r.is_dev()).count() > 1
            }
        };
        let check = |(i, r): (usize, &Receipt)| self.verify(r).map(|_| ()).map_err(|e| (i, e));
        if parallel {
            self.pool
                .install(|| receipts.par_iter().enumerate().try_for_each(check))
        } else {
            receipts.iter().enumerate().try_for_each(check)
        }
    }
}
