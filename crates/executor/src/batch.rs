//! Batches: validation before any work, de-duplication through the cache, and the choice
//! between sequential and parallel execution on the executor's pool.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use l2x_core::{Program, Receipt};
use rayon::prelude::*;

use crate::cache::{CacheKey, CacheStats, cache_key};
use crate::{Executor, JobError};

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

/// Progress of a batch, reported after each job proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Jobs proven so far.
    pub done: usize,
    /// Jobs to prove in all (after cache hits and duplicates are taken out).
    pub total: usize,
    /// Time since proving started.
    pub elapsed: Duration,
    /// Estimated time left, from the pace so far.
    pub eta: Duration,
}

pub(crate) struct Tracker<'a> {
    total: usize,
    done: AtomicUsize,
    start: Instant,
    /// None when nobody listens: workers then skip the shared counter.
    progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

impl<'a> Tracker<'a> {
    /// Counts `total` jobs from now, reporting to `progress` if someone listens.
    pub(crate) fn new(total: usize, progress: Option<&'a (dyn Fn(Progress) + Sync)>) -> Self {
        Self {
            total,
            done: AtomicUsize::new(0),
            start: Instant::now(),
            progress,
        }
    }

    pub(crate) fn job_done(&self) {
        let Some(progress) = self.progress else {
            return;
        };
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let elapsed = self.start.elapsed();
        let eta = elapsed.mul_f64(self.total.saturating_sub(done) as f64 / done as f64);
        progress(Progress {
            done,
            total: self.total,
            elapsed,
            eta,
        });
    }
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

/// Each worker calibrating an unmeasured program proves at most this many of its jobs...
const CALIBRATION_JOBS: usize = 8;
/// ...or for at most this long.
const CALIBRATION_TIME: Duration = Duration::from_millis(2);

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
enum TrialPlan {
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
type Trial<'p> = (Policy, String, &'p [&'p Planned]);

/// A proven job, how long it took, and its planned steps: the cost model learns time per
/// *planned* step, the unit it predicts in (a `risc0` receipt's steps are user cycles, which
/// the plan does not know).
struct Timed {
    receipt: Arc<Receipt>,
    elapsed: Duration,
    steps: u64,
}

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

    /// Proves one job, keeps it in the cache and reports progress.
    fn prove_kept(
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
    fn prove_one(
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
    fn prove_in_order(
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

    /// Seeds the cost model with the fastest per-step time among calibration samples.
    fn record_fastest(&self, samples: &mut Vec<Timed>) {
        let per_step = |t: &Timed| t.elapsed.as_nanos() as f64 / t.steps.max(1) as f64;
        if let Some(best) = samples
            .iter()
            .min_by(|a, b| per_step(a).total_cmp(&per_step(b)))
        {
            self.record_costs(std::iter::once(best));
        }
        samples.clear();
    }

    /// Folds measured jobs into the cost model: one update per program (summed steps over
    /// summed time), so that workers never contend on the model while they prove.
    fn record_costs<'a>(&self, timed: impl Iterator<Item = &'a Timed>) {
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

    /// Calibrates the cost model for an unmeasured program on the pool, while the batch runs:
    /// each worker (as many as the threads and the memory budget allow) proves a few of the
    /// program's jobs, one after another, until it has spent [`CALIBRATION_TIME`] or proven
    /// [`CALIBRATION_JOBS`]; the fastest per-step time seeds the model (a first call runs cold
    /// and would overstate it). No worker idles while this happens; a batch of tiny jobs pays one
    /// round trip into the pool, once per program and executor. With one admitted worker it all
    /// runs on the calling thread. The jobs that ran have their receipts in `receipts`; returns
    /// how many ran.
    fn calibrate(
        &self,
        jobs: &[Job],
        group: &[&Planned],
        receipts: &mut [Option<Arc<Receipt>>],
        tracker: &Tracker<'_>,
    ) -> Result<usize, BatchError> {
        let width = group.len().min(self.admitted(group)).max(1);
        let candidates = &group[..group.len().min(width * CALIBRATION_JOBS)];
        let share = candidates.len().div_ceil(width);
        let run_share = |share: &[&Planned]| -> Vec<(usize, Result<Timed, JobError>)> {
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
        let results: Vec<(usize, Result<Timed, JobError>)> = if width == 1 {
            self.on_pool(|| run_share(candidates))
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
        let ran = samples.len();
        self.record_fastest(&mut samples);
        Ok(ran)
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
        let mut calibrated = 0;
        let mut estimate = Duration::ZERO;
        for group in group_by_program(todo) {
            // A forced policy needs no estimate: it runs as told and measures as it goes.
            if self.policy == Policy::Auto && self.estimate(group[0]) == Duration::MAX {
                calibrated += self.calibrate(jobs, &group, receipts, tracker)?;
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
                "{calibrated} job(s) ran first, side by side on the pool, to calibrate the cost model; then {reason}"
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

    /// Proves `rest` on the pool, at most `admitted` at once, `chunk` jobs or more per task.
    fn prove_parallel(
        &self,
        jobs: &[Job],
        rest: &[&Planned],
        receipts: &mut [Option<Arc<Receipt>>],
        tracker: &Tracker<'_>,
        chunk: usize,
        admitted: usize,
    ) -> Result<(), BatchError> {
        let prove = |p: &&Planned| (p.index, self.prove_one(p, &jobs[p.index].input, tracker));
        let results: Vec<(usize, Result<Timed, JobError>)> = self.pool.install(|| {
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

    /// For tiny jobs the estimate of work says little about what a parallel run costs
    /// (allocation and results across threads, the other core's speed), so Auto measures it: the
    /// next jobs of the batch run twice [`TRIAL_TIME`] worth, the first half in order on one
    /// thread, the second half on the pool, and the rest goes the way that was faster by
    /// [`TRIAL_MARGIN`]; a batch with less than [`TRIAL_WORTHWHILE`] of work runs in order
    /// unmeasured. Returns the verdict, why, and the jobs left; None when the jobs are too large
    /// to need it or too few to measure.
    fn trial<'p>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use l2x_core::BackendId;

    fn jobs(program: &str, inputs: &[&str]) -> Vec<Job> {
        inputs
            .iter()
            .map(|input| Job {
                program: program.into(),
                input: input.as_bytes().to_vec(),
            })
            .collect()
    }

    fn fib_jobs(ns: &[u64]) -> Vec<Job> {
        let inputs: Vec<String> = ns.iter().map(u64::to_string).collect();
        jobs(
            "fibonacci",
            &inputs.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    }

    fn build_on(backend: BackendId, policy: Policy, threads: usize, cache: usize) -> Executor {
        Executor::builder()
            .backend(backend)
            .allow_dev_receipts(backend.is_dev())
            .policy(policy)
            .threads(threads)
            .cache(cache)
            .build()
            .unwrap()
    }

    fn build(policy: Policy, threads: usize, cache: usize) -> Executor {
        build_on(BackendId::Trace, policy, threads, cache)
    }

    /// A batch for each backend, sized so the STARK one stays quick: duplicates included.
    fn batches() -> [(BackendId, Vec<Job>); 2] {
        [
            (BackendId::Trace, fib_jobs(&[5, 90, 1, 1000, 42, 7, 5, 300])),
            (BackendId::Stark, jobs("sha256", &["", "abc", "", "hello"])),
        ]
    }

    /// Trace receipts are byte-for-byte deterministic. STARK seals are not across thread counts:
    /// Plonky3 grinds its proof-of-work witnesses with a parallel `find_any`, so any valid
    /// witness may win. For them the claims must match in order and every seal must verify.
    #[test]
    fn batches_equal_one_by_one_in_order_under_every_policy_and_thread_count() {
        for (backend, jobs) in batches() {
            let single = build_on(backend, Policy::Sequential, 1, 0);
            let one_by_one: Vec<Receipt> = jobs
                .iter()
                .map(|j| single.prove(&j.program, &j.input).unwrap())
                .collect();
            for policy in [Policy::Auto, Policy::Sequential, Policy::Parallel] {
                for threads in [1, 2, 3] {
                    for cache in [0, 16] {
                        let executor = build_on(backend, policy, threads, cache);
                        let report = executor.prove_batch(&jobs).unwrap();
                        let got: Vec<Receipt> =
                            report.receipts.iter().map(|r| (**r).clone()).collect();
                        let case =
                            format!("{backend}, {policy:?}, {threads} threads, cache {cache}");
                        let claims =
                            |r: &[Receipt]| r.iter().map(|r| r.claim.clone()).collect::<Vec<_>>();
                        assert_eq!(claims(&got), claims(&one_by_one), "{case}");
                        match backend {
                            BackendId::Trace => assert!(got == one_by_one, "{case}"),
                            _ => assert_eq!(executor.verify_batch(&got), Ok(()), "{case}"),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn duplicates_are_proven_once_with_the_cache_on_and_hits_come_next_time() {
        for (backend, jobs) in batches() {
            let unique = jobs
                .iter()
                .map(|j| &j.input)
                .collect::<std::collections::HashSet<_>>()
                .len();
            let executor = build_on(backend, Policy::Parallel, 2, 64);
            let report = executor.prove_batch(&jobs).unwrap();
            assert_eq!(report.proven, unique, "{backend}");
            let first = jobs.iter().position(|j| j.input == jobs[0].input).unwrap();
            let again_at = jobs.iter().rposition(|j| j.input == jobs[0].input).unwrap();
            assert_ne!(first, again_at, "each batch holds a duplicate");
            assert!(Arc::ptr_eq(
                &report.receipts[first],
                &report.receipts[again_at]
            ));
            let again = executor.prove_batch(&jobs).unwrap();
            assert_eq!(again.proven, 0, "{backend}");
            assert_eq!(again.cache.unwrap().hits, unique as u64, "{backend}");
            let no_cache = build_on(backend, Policy::Parallel, 2, 0)
                .prove_batch(&jobs)
                .unwrap();
            assert_eq!(no_cache.proven, jobs.len(), "{backend}");
        }
    }

    #[test]
    fn progress_counts_every_job_proven_from_any_thread() {
        let executor = build(Policy::Parallel, 2, 8);
        let seen = std::sync::Mutex::new(vec![]);
        let jobs = fib_jobs(&[100, 200, 300, 100, 400]);
        let report = executor
            .prove_batch_with_progress(&jobs, &|p| seen.lock().unwrap().push((p.done, p.total)))
            .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, vec![(1, 4), (2, 4), (3, 4), (4, 4)]);
        assert_eq!(report.proven, 4);
    }

    #[test]
    fn programs_are_told_apart_by_id_even_when_zero_sized() {
        let registry = l2x_programs::Registry::standard();
        let (fib, sha) = (
            registry.get("fibonacci").unwrap(),
            registry.get("sha256").unwrap(),
        );
        assert!(same_program(&*fib, &*fib));
        assert!(!same_program(&*fib, &*sha));
    }

    #[test]
    fn a_forced_policy_never_calibrates_but_still_measures() {
        for policy in [Policy::Sequential, Policy::Parallel] {
            let executor = build(policy, 2, 0);
            let report = executor.prove_batch(&fib_jobs(&[30; 12])).unwrap();
            assert_eq!(report.reason, "forced by policy", "{policy:?}");
            assert_eq!(report.ran, policy);
            let fib = executor
                .costs()
                .ns_per_step(BackendId::Trace, &l2x_programs::fibonacci::ID);
            assert!(fib.is_some(), "{policy:?}: the run itself is measured");
        }
    }

    #[test]
    fn calibration_runs_side_by_side_on_the_pool_and_each_job_once() {
        let executor = build(Policy::Auto, 2, 0);
        let jobs = fib_jobs(&[25; 100]);
        let progress = std::sync::atomic::AtomicUsize::new(0);
        let report = executor
            .prove_batch_with_progress(&jobs, &|_| {
                progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            })
            .unwrap();
        assert!(
            report.reason.contains("side by side on the pool"),
            "{}",
            report.reason
        );
        assert_eq!(progress.into_inner(), 100, "every job proven exactly once");
        let calibrated: usize = report
            .reason
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(
            (2..=2 * CALIBRATION_JOBS).contains(&calibrated),
            "both workers calibrate, at most {CALIBRATION_JOBS} jobs each: {}",
            report.reason
        );
        let one_by_one = build(Policy::Sequential, 1, 0);
        for (job, receipt) in jobs.iter().zip(&report.receipts) {
            assert_eq!(
                **receipt,
                one_by_one.prove(&job.program, &job.input).unwrap()
            );
        }
    }

    #[test]
    fn a_mixed_batch_calibrates_and_estimates_each_program_on_its_own() {
        let executor = build(Policy::Auto, 2, 0);
        let mut jobs = fib_jobs(&[20; 40]);
        for (i, job) in jobs.iter_mut().enumerate().filter(|(i, _)| i % 2 == 1) {
            *job = Job {
                program: "sha256".into(),
                input: i.to_string().into_bytes(),
            };
        }
        let report = executor.prove_batch(&jobs).unwrap();
        assert_eq!(report.receipts.len(), 40);
        for (job, receipt) in jobs.iter().zip(&report.receipts) {
            assert_eq!(
                receipt.claim.program.as_str(),
                job.program,
                "in input order"
            );
        }
        let costs = executor.costs();
        let fib = costs.ns_per_step(BackendId::Trace, &l2x_programs::fibonacci::ID);
        let sha = costs.ns_per_step(BackendId::Trace, &l2x_programs::sha256::ID);
        assert!(fib.is_some() && sha.is_some(), "{fib:?} {sha:?}");
        assert!(report.reason.contains("calibrate"), "{}", report.reason);
        assert!(
            !report.reason.contains("18446744073709551615"),
            "{}",
            report.reason
        );
    }

    #[test]
    fn a_bad_job_is_named_and_nothing_is_proven() {
        let executor = build(Policy::Auto, 2, 8);
        let mut jobs = fib_jobs(&[1, 2, 3]);
        jobs[1].input = b"two".to_vec();
        let err = executor.prove_batch(&jobs).unwrap_err();
        assert_eq!(err.index, 1);
        assert!(err.to_string().contains("job 1"), "{err}");
        assert_eq!(executor.cache_stats().unwrap().entries, 0);
        jobs[1].program = "nope".into();
        assert!(matches!(
            executor.prove_batch(&jobs).unwrap_err().error,
            JobError::UnknownProgram(_)
        ));
    }

    #[test]
    fn auto_keeps_tiny_jobs_sequential_and_spreads_large_ones() {
        let executor = build(Policy::Auto, 2, 0);
        let tiny = executor.prove_batch(&fib_jobs(&[20; 100])).unwrap();
        assert_eq!(tiny.ran, Policy::Sequential, "{}", tiny.reason);
        let large = executor.prove_batch(&fib_jobs(&[2_000_000; 8])).unwrap();
        assert_eq!(large.ran, Policy::Parallel, "{}", large.reason);
        assert!(
            executor
                .costs()
                .ns_per_step(BackendId::Trace, &l2x_programs::fibonacci::ID)
                .is_some()
        );
    }

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

    #[test]
    fn many_tiny_jobs_are_tried_both_ways_and_every_receipt_lands_in_place() {
        // Which way the trial goes depends on the machine; that it runs, that its reason says
        // what it measured, and that every job gets its own receipt do not.
        let executor = build(Policy::Auto, 2, 0);
        let ns: Vec<u64> = (0..20_000).map(|i| 20 + i % 50).collect();
        let jobs = fib_jobs(&ns);
        let report = executor.prove_batch(&jobs).unwrap();
        if report.reason.contains("measured on") {
            assert!(report.reason.contains("in order,"), "{}", report.reason);
            assert!(report.reason.contains("on the pool ("), "{}", report.reason);
        } else {
            // Decided before any trial: the estimate alone kept the batch in order.
            assert_eq!(report.ran, Policy::Sequential, "{}", report.reason);
            assert!(
                report.reason.contains("is below") || report.reason.contains("too little"),
                "{}",
                report.reason
            );
        }
        assert_eq!(report.receipts.len(), jobs.len());
        for (job, receipt) in jobs.iter().zip(&report.receipts) {
            assert_eq!(receipt.claim.program.as_str(), "fibonacci");
            let n: u64 = std::str::from_utf8(&job.input).unwrap().parse().unwrap();
            assert_eq!(receipt.claim.steps, n + 1, "job fib({n})");
        }
        let large = executor.prove_batch(&fib_jobs(&[2_000_000; 8])).unwrap();
        assert!(!large.reason.contains("measured on"), "{}", large.reason);
    }

    #[test]
    fn a_small_memory_budget_lowers_concurrency_and_refuses_what_cannot_fit() {
        let jobs: Vec<Job> = ["a", "b", "c"]
            .iter()
            .map(|m| Job {
                program: "sha256".into(),
                input: m.as_bytes().to_vec(),
            })
            .collect();
        let stark = |budget: u64| {
            Executor::builder()
                .backend(BackendId::Stark)
                .threads(2)
                .policy(Policy::Parallel)
                .memory_budget(budget)
                .build()
                .unwrap()
        };
        let one_job = l2x_stark::Mode::Plain
            .estimate_peak_memory(&l2x_programs::Sha256, b"a")
            .unwrap();
        let roomy = stark(4 * one_job).prove_batch(&jobs).unwrap();
        assert_eq!((roomy.ran, roomy.concurrency), (Policy::Parallel, 2));
        let tight = stark(one_job + one_job / 2).prove_batch(&jobs).unwrap();
        assert_eq!(
            (tight.ran, tight.concurrency),
            (Policy::Sequential, 1),
            "{}",
            tight.reason
        );
        assert!(tight.reason.contains("memory budget"), "{}", tight.reason);
        let err = stark(one_job - 1).prove_batch(&jobs).unwrap_err();
        assert_eq!(err.index, 0);
        assert!(matches!(err.error, JobError::MemoryBudget { .. }), "{err}");
        assert!(err.to_string().contains("memory budget"), "{err}");
    }

    #[test]
    fn stark_batches_prove_and_verify_in_parallel() {
        let executor = Executor::builder()
            .backend(BackendId::Stark)
            .threads(2)
            .build()
            .unwrap();
        let jobs: Vec<Job> = ["", "abc", "hello"]
            .iter()
            .map(|m| Job {
                program: "sha256".into(),
                input: m.as_bytes().to_vec(),
            })
            .collect();
        let report = executor.prove_batch(&jobs).unwrap();
        let receipts: Vec<Receipt> = report.receipts.iter().map(|r| (**r).clone()).collect();
        for (job, receipt) in jobs.iter().zip(&receipts) {
            let trace = Executor::new()
                .unwrap()
                .prove(&job.program, &job.input)
                .unwrap();
            assert_eq!(receipt.claim, trace.claim);
        }
        assert_eq!(executor.verify_batch(&receipts), Ok(()));
        let mut bad = receipts.clone();
        bad[2].seal[100] ^= 1;
        assert_eq!(executor.verify_batch(&bad).unwrap_err().0, 2);
    }
}
