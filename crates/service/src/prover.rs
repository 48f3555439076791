//! Proving one job: the executor for its backend, the memory budget, panics kept to the job.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use l2x_core::{BackendId, NotBuilt, ProveError};
use l2x_executor::{Executor, Job, JobError, Plan};

/// Proves jobs of any backend on one executor's pool, at most the memory budget at once.
#[derive(Debug)]
pub struct Prover {
    executors: HashMap<BackendId, Executor>,
    default_backend: BackendId,
    memory: MemoryGate,
}

/// Why a job cannot be accepted or proven: the message is the job's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The backend name is not one we have.
    #[error("unknown backend {0:?} (expected trace, stark, stark-zk or risc0)")]
    UnknownBackend(String),
    /// The executor refused the job.
    #[error(transparent)]
    Job(#[from] JobError),
    /// The prover panicked; the message says where.
    #[error("the prover panicked: {0}")]
    Panicked(String),
}

impl Prover {
    /// A prover over `executor`'s pool, cache and cost model; `executor`'s backend is the default
    /// of jobs that name none.
    pub fn new(executor: Executor) -> Self {
        let memory = MemoryGate::new(executor.memory_budget());
        let executors = BackendId::ALL
            .iter()
            .map(|&id| (id, executor.with_backend(id)))
            .collect();
        Self {
            executors,
            default_backend: executor.backend(),
            memory,
        }
    }

    /// The backend of jobs that name none.
    pub fn default_backend(&self) -> BackendId {
        self.default_backend
    }

    /// The executor proving `backend`.
    pub fn executor(&self, backend: BackendId) -> &Executor {
        // Every backend has an executor (built from BackendId::ALL).
        &self.executors[&backend]
    }

    /// The backend a job names (or the default), checked.
    pub fn backend(&self, name: Option<&str>) -> Result<BackendId, Refusal> {
        match name {
            None => Ok(self.default_backend),
            Some(name) => {
                let id: BackendId = name
                    .parse()
                    .map_err(|_| Refusal::UnknownBackend(name.to_owned()))?;
                if !l2x_executor::is_built(id) {
                    return Err(Refusal::Job(JobError::Backend(ProveError::NotBuilt(
                        NotBuilt(id),
                    ))));
                }
                Ok(id)
            }
        }
    }

    /// Checks a job as a submit must: a known program, an input it accepts, within the budget.
    pub fn plan(&self, program: &str, backend: BackendId, input: &[u8]) -> Result<Plan, Refusal> {
        Ok(self.executor(backend).plan(program, input)?)
    }

    /// Memory in use by running jobs (their estimates), in bytes.
    pub fn memory_in_use(&self) -> u64 {
        self.memory.in_use()
    }

    /// The memory budget, in bytes.
    pub fn memory_budget(&self) -> u64 {
        self.memory.budget
    }

    /// Runs `work` holding `bytes` of the memory budget (waiting until they fit; at most the
    /// whole budget): work beside the jobs, an aggregate, counts against the same budget.
    pub fn with_memory<T>(&self, bytes: u64, work: impl FnOnce() -> T) -> T {
        let _held = self.memory.acquire(bytes);
        work()
    }

    /// Like [`Prover::with_memory`], but waits at most `wait` for the memory: `None` (and
    /// `work` not run) if it did not come free in time. A request's work waits this way, so
    /// that a request cannot outlive its deadline in a queue behind the jobs.
    pub fn with_memory_within<T>(
        &self,
        bytes: u64,
        wait: Duration,
        work: impl FnOnce() -> T,
    ) -> Option<T> {
        let _held = self.memory.acquire_within(bytes, wait)?;
        Some(work())
    }

    /// Proves one job already checked by [`Prover::plan`], waiting for memory if running jobs
    /// hold the budget. A panic in the prover fails this job alone.
    pub fn prove(
        &self,
        program: &str,
        backend: BackendId,
        input: &[u8],
        plan: &Plan,
    ) -> Result<(Vec<u8>, Duration), Refusal> {
        let _held = self.memory.acquire(plan.memory);
        let executor = self.executor(backend);
        let job = [Job {
            program: program.to_owned(),
            input: input.to_vec(),
        }];
        let start = Instant::now();
        let proved = std::panic::catch_unwind(AssertUnwindSafe(|| executor.prove_batch(&job)))
            .map_err(|payload| Refusal::Panicked(panic_message(&payload)))?;
        let report = proved.map_err(|e| Refusal::Job(e.error))?;
        let receipt = report.receipts[0].to_bytes();
        Ok((receipt, start.elapsed()))
    }
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// Bytes of memory budget held by running jobs; a job waits until its estimate fits.
#[derive(Debug)]
struct MemoryGate {
    budget: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// Memory held by one job, given back on drop.
struct Held<'a> {
    gate: &'a MemoryGate,
    bytes: u64,
}

impl MemoryGate {
    fn new(budget: u64) -> Self {
        Self {
            budget,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    fn in_use(&self) -> u64 {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds `bytes` (at most the whole budget: a job larger than it was refused by `plan`).
    fn acquire(&self, bytes: u64) -> Held<'_> {
        let bytes = bytes.min(self.budget);
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        while *used + bytes > self.budget {
            used = self
                .freed
                .wait(used)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *used += bytes;
        Held { gate: self, bytes }
    }

    /// Like [`MemoryGate::acquire`], but gives up after `wait`.
    fn acquire_within(&self, bytes: u64, wait: Duration) -> Option<Held<'_>> {
        let bytes = bytes.min(self.budget);
        let used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut used, _) = self
            .freed
            .wait_timeout_while(used, wait, |used| *used + bytes > self.budget)
            .unwrap_or_else(PoisonError::into_inner);
        if *used + bytes > self.budget {
            return None;
        }
        *used += bytes;
        Some(Held { gate: self, bytes })
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut used = self
            .gate
            .used
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *used -= self.bytes;
        self.gate.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_held_while_a_job_runs_and_given_back() {
        let gate = MemoryGate::new(100);
        let a = gate.acquire(60);
        assert_eq!(gate.in_use(), 60);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let _b = gate.acquire(60);
                gate.in_use()
            });
            drop(a);
            assert_eq!(
                waiter.join().unwrap(),
                60,
                "the second job ran once the first ended"
            );
        });
        assert_eq!(gate.in_use(), 0);
        assert_eq!(gate.acquire(1000).bytes, 100, "capped at the budget");
    }

    #[test]
    fn a_bounded_wait_gives_up_while_the_memory_is_held() {
        let gate = MemoryGate::new(100);
        let held = gate.acquire(60);
        assert!(gate.acquire_within(60, Duration::ZERO).is_none());
        assert_eq!(gate.in_use(), 60, "nothing taken by the refused wait");
        assert!(gate.acquire_within(40, Duration::ZERO).is_some(), "40 fit");
        drop(held);
        let again = gate.acquire_within(1000, Duration::ZERO).unwrap();
        assert_eq!(again.bytes, 100, "capped at the budget");
    }
}
