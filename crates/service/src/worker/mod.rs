//! Workers: threads that claim jobs from the store, prove them on the executor's pool, and hand
//! their results to a finisher thread, which stores every result waiting in one transaction
//! (under each job's lease) while the workers go on to their next claims; one more thread renews
//! the leases of the jobs in hand, until their results are stored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use l2x_core::BackendId;
use l2x_jobs::{Claimed, JobStore, Lease, Outcome};

use crate::Metrics;
use crate::health::StoreHealth;
use crate::progress;
use crate::prover::{Prover, Refusal};

mod ahead;
mod backoff;
mod finish;

use backoff::Backoff;
use finish::Finished;

/// A job's changed phase is written to the store at most this often (the lease renewals, every
/// third of a lease, write it too).
const PHASE_EVERY: Duration = Duration::from_secs(1);

/// How workers run.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This process's name in the store (host and pid by default), shown in job statuses.
    pub name: String,
    /// Jobs proven at once.
    pub workers: usize,
    /// How long a claim lasts without a heartbeat; heartbeats come every third of it.
    pub lease: Duration,
    /// The longest wait between looks at an empty queue.
    pub poll: Duration,
}

impl WorkerConfig {
    /// `workers` workers named after this host and process, 30 s leases, 50 ms polls.
    pub fn new(workers: usize) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "host".to_owned());
        Self {
            name: format!("{host}:{}", std::process::id()),
            workers,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(50),
        }
    }
}

/// Wakes idle workers when a job is submitted in this process (workers elsewhere poll).
#[derive(Debug, Default)]
pub struct Wake {
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Wake {
    /// Wakes every waiting worker.
    pub fn notify(&self) {
        *self
            .generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        self.changed.notify_all();
    }

    /// Waits for a notification or `timeout`, whichever comes first.
    fn wait(&self, timeout: Duration) {
        let generation = self
            .generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let seen = *generation;
        let _ = self
            .changed
            .wait_timeout_while(generation, timeout, |g| *g == seen);
    }
}

/// Running workers; [`Workers::stop`] lets the jobs in hand finish and joins them.
#[derive(Debug)]
pub struct Workers {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

/// What every worker thread shares.
#[derive(Debug)]
struct Shared {
    store: Arc<dyn JobStore>,
    prover: Arc<Prover>,
    metrics: Metrics,
    config: WorkerConfig,
    wake: Arc<Wake>,
    stop: Arc<AtomicBool>,
    /// What the store's writes did last (shown by `/healthz`).
    health: Arc<StoreHealth>,
    /// Results the finisher holds because the store could not take them: while there are any,
    /// no worker claims (a claim would take the first free job, possibly one of these whose
    /// lease ran out meanwhile, and prove it again).
    unstored: AtomicUsize,
    /// Leases of the jobs in hand (claimed, and not yet stored), renewed by the heartbeat
    /// thread, with the watch numbers under which [`progress`] keeps their phases.
    leases: Mutex<HashMap<Lease, u64>>,
    tally: Tally,
}

/// Where the workers' time went, summed over every worker thread.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WorkerStats {
    /// Jobs taken to the end (done or failed).
    pub jobs: u64,
    /// Time proving (checking the job, waiting for memory, proving, encoding).
    pub proving: Duration,
    /// Time the workers spent moving jobs through the queue: the claims that returned one, and
    /// handing results to the finisher (a wait only when it is behind).
    pub queue: Duration,
    /// Time the finisher spent storing results, beside the workers rather than between their
    /// jobs.
    pub finishing: Duration,
    /// Transactions the finisher committed (several results each when they arrive together).
    pub commits: u64,
    /// Time in claims made ahead, while the job before was still proving.
    pub ahead: Duration,
    /// Jobs claimed ahead.
    pub claimed_ahead: u64,
    /// Time with nothing to do: claims that found the queue empty, and the waits after them.
    pub idle: Duration,
}

/// A duration summed from many threads.
#[derive(Debug, Default)]
struct Nanos(AtomicU64);

impl Nanos {
    fn add(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(ns, Ordering::Relaxed);
    }

    fn get(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

#[derive(Debug, Default)]
struct Tally {
    jobs: AtomicU64,
    proving: Nanos,
    queue: Nanos,
    finishing: Nanos,
    commits: AtomicU64,
    ahead: Nanos,
    claimed_ahead: AtomicU64,
    idle: Nanos,
}

impl Workers {
    /// Starts `config.workers` worker threads, a finisher thread and a heartbeat thread; they
    /// report the store's write failures to `health`.
    pub fn start(
        store: Arc<dyn JobStore>,
        prover: Arc<Prover>,
        metrics: Metrics,
        config: WorkerConfig,
        wake: Arc<Wake>,
        health: Arc<StoreHealth>,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            store,
            prover,
            metrics,
            config,
            wake: Arc::clone(&wake),
            stop: Arc::clone(&stop),
            health,
            unstored: AtomicUsize::new(0),
            leases: Mutex::new(HashMap::new()),
            tally: Tally::default(),
        });
        let mut threads = Vec::new();
        if shared.config.workers == 0 {
            return Ok(Self { shared, threads });
        }
        // Bounded: results wait for the store at most one per worker, then workers wait.
        let (results, finisher) = std::sync::mpsc::sync_channel(shared.config.workers);
        for i in 0..shared.config.workers {
            let (shared, results) = (Arc::clone(&shared), results.clone());
            threads.push(
                std::thread::Builder::new()
                    .name(format!("l2x-worker-{i}"))
                    .spawn(move || shared.work(&results))?,
            );
        }
        // The finisher stops when every worker has stopped (and dropped its sender).
        drop(results);
        {
            let shared = Arc::clone(&shared);
            threads.push(
                std::thread::Builder::new()
                    .name("l2x-finisher".into())
                    .spawn(move || shared.finish(&finisher))?,
            );
        }
        {
            let shared = Arc::clone(&shared);
            threads.push(
                std::thread::Builder::new()
                    .name("l2x-heartbeat".into())
                    .spawn(move || shared.heartbeats())?,
            );
        }
        Ok(Self { shared, threads })
    }

    /// Where the workers' time went so far.
    pub fn stats(&self) -> WorkerStats {
        let t = &self.shared.tally;
        WorkerStats {
            jobs: t.jobs.load(Ordering::Relaxed),
            proving: t.proving.get(),
            queue: t.queue.get(),
            finishing: t.finishing.get(),
            commits: t.commits.load(Ordering::Relaxed),
            ahead: t.ahead.get(),
            claimed_ahead: t.claimed_ahead.load(Ordering::Relaxed),
            idle: t.idle.get(),
        }
    }

    /// Stops claiming, lets the jobs in hand finish and their results be stored, joins every
    /// thread, and says where the time went.
    pub fn stop(mut self) -> WorkerStats {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake.notify();
        for thread in std::mem::take(&mut self.threads) {
            let _ = thread.join();
        }
        self.stats()
    }
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Claims and proves jobs until stopped. A result is handed to the finisher after the next
    /// claim, so that the claim does not meet that result's write in the store; a job claimed
    /// ahead (see [`ahead`]) needs no claim here.
    fn work(&self, results: &SyncSender<Finished>) {
        let (mut finished, mut next) = (None, None);
        let mut failing = Backoff::new(self.config.poll);
        while !self.stopping() {
            if next.is_none() && self.unstored.load(Ordering::SeqCst) > 0 {
                // The store cannot take results: hand this one over and wait for it to recover.
                self.hand_over(results, finished.take());
                self.wake.wait(self.config.poll);
                continue;
            }
            let start = Instant::now();
            let claim = match next.take() {
                Some(job) => Ok(Some(job)),
                None => self.health.record_if_wrote(
                    self.store.claim(&self.config.name, self.config.lease),
                    Option::is_some,
                ),
            };
            let claimed = start.elapsed();
            self.hand_over(results, finished.take());
            match claim {
                Ok(Some(job)) => {
                    failing.succeeded("claims work again");
                    self.tally.queue.add(claimed);
                    let (result, ahead) = self.run(job);
                    (finished, next) = (Some(result), ahead);
                }
                Ok(None) => {
                    failing.succeeded("claims work again");
                    self.wake.wait(self.config.poll);
                    self.tally.idle.add(start.elapsed());
                }
                Err(error) => {
                    failing.failed(&error, "cannot claim a job; retrying");
                    std::thread::sleep(failing.delay());
                }
            }
        }
        self.hand_over(results, finished);
        if let Some(job) = next {
            self.put_back(job.lease);
        }
    }

    /// Hands a result to the finisher, waiting only when it is behind (counted as queue time).
    fn hand_over(&self, results: &SyncSender<Finished>, finished: Option<Finished>) {
        let Some(finished) = finished else { return };
        let start = Instant::now();
        // The finisher lives until every worker has stopped: a send cannot fail.
        if let Err(unsent) = results.send(finished) {
            let _ = self.store_results(vec![unsent.0], &mut Backoff::new(self.config.poll));
        }
        self.tally.queue.add(start.elapsed());
    }

    fn hold(&self) -> std::sync::MutexGuard<'_, HashMap<Lease, u64>> {
        self.leases.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Proves a claimed job; its lease stays in hand (renewed) until its result is stored. Also
    /// returns the next job if one was claimed ahead.
    fn run(&self, job: Claimed) -> (Finished, Option<Claimed>) {
        let lease = job.lease;
        let watch = progress::watch();
        self.hold().insert(lease, watch);
        let span = tracing::info_span!(
            progress::JOB_SPAN,
            id = lease.job,
            program = %job.program,
            watch
        );
        let _entered = span.enter();
        let start = Instant::now();
        let (outcome, next) = self.prove(&job);
        self.tally.proving.add(start.elapsed());
        self.tally.jobs.fetch_add(1, Ordering::Relaxed);
        progress::forget(watch);
        match &outcome {
            Outcome::Done { proving, .. } => {
                self.metrics
                    .proving_seconds
                    .with_label_values(&[job.program.as_str(), job.backend.as_str()])
                    .observe(proving.as_secs_f64());
            }
            Outcome::Failed { error } => tracing::info!(%error, "job failed"),
        }
        (Finished { lease, outcome }, next)
    }

    /// Proves a job, and claims the next one ahead if the job's estimate leaves time for it.
    fn prove(&self, job: &Claimed) -> (Outcome, Option<Claimed>) {
        let backend: BackendId = match self.prover.backend(Some(&job.backend)) {
            Ok(backend) => backend,
            Err(e) => return (failed(&e), None),
        };
        let plan = match self.prover.plan(&job.program, backend, &job.input) {
            Ok(plan) => plan,
            Err(e) => return (failed(&e), None),
        };
        let (proven, next) = self.beside(job.lease, plan.time, || {
            self.prover.prove(&job.program, backend, &job.input, &plan)
        });
        let outcome = match proven {
            Ok((receipt, proving)) => Outcome::Done { receipt, proving },
            Err(e) => failed(&e),
        };
        (outcome, next)
    }

    /// Renews the leases in hand every third of a lease, and writes the jobs' changed phases
    /// every [`PHASE_EVERY`], until the workers stop.
    fn heartbeats(&self) {
        let every = self.config.lease / 3;
        let (mut renewed, mut told) = (Instant::now(), Instant::now());
        while !self.stopping() || !self.hold().is_empty() {
            // Short sleeps, so that a stop is noticed quickly.
            std::thread::sleep(every.min(Duration::from_millis(100)));
            let renew = renewed.elapsed() >= every;
            let tell = told.elapsed() >= PHASE_EVERY;
            if renew {
                renewed = Instant::now();
            }
            if tell {
                told = Instant::now();
            }
            if renew || tell {
                self.beat(renew);
            }
        }
    }

    /// Writes each job's changed phase, and renews every lease in hand if `renew`.
    fn beat(&self, renew: bool) {
        let held: Vec<(Lease, u64)> = self.hold().iter().map(|(l, w)| (*l, *w)).collect();
        for (lease, watch) in held {
            let phase = progress::take(watch);
            if !renew && phase.is_none() {
                continue;
            }
            let beat = self.health.record_if_wrote(
                self.store
                    .heartbeat(lease, self.config.lease, phase.as_deref(), None),
                |renewed| *renewed,
            );
            match beat {
                Ok(true) => {}
                // A job finished since `held` was read no longer has a lease to renew.
                Ok(false) if !self.hold().contains_key(&lease) => {}
                Ok(false) => tracing::warn!(job = lease.job, "lease lost while proving"),
                Err(error) => tracing::warn!(%error, "heartbeat failed"),
            }
        }
    }
}

fn failed(refusal: &Refusal) -> Outcome {
    Outcome::Failed {
        error: refusal.to_string(),
    }
}

#[cfg(test)]
mod tests;
