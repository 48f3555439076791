//! Workers: threads that claim jobs from the store, prove them on the executor's pool, and
//! finish them under their lease; one more thread renews the leases of the jobs in hand.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use l2x_core::BackendId;
use l2x_jobs::{Claimed, JobStore, Lease, Outcome};

use crate::Metrics;
use crate::progress;
use crate::prover::{Prover, Refusal};

/// Jobs expected to take at least this long get their estimate recorded for progress reports.
const WATCHED: Duration = Duration::from_millis(100);
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
    /// Leases of the jobs in hand, renewed by the heartbeat thread, with the watch numbers
    /// under which [`progress`] keeps their phases.
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
    /// Time in the queue's calls that moved a job: the claims that returned one, and finishing.
    pub queue: Duration,
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
    idle: Nanos,
}

impl Workers {
    /// Starts `config.workers` worker threads and a heartbeat thread.
    pub fn start(
        store: Arc<dyn JobStore>,
        prover: Arc<Prover>,
        metrics: Metrics,
        config: WorkerConfig,
        wake: Arc<Wake>,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            store,
            prover,
            metrics,
            config,
            wake: Arc::clone(&wake),
            stop: Arc::clone(&stop),
            leases: Mutex::new(HashMap::new()),
            tally: Tally::default(),
        });
        let mut threads = Vec::new();
        for i in 0..shared.config.workers {
            let shared = Arc::clone(&shared);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("l2x-worker-{i}"))
                    .spawn(move || shared.work())?,
            );
        }
        if shared.config.workers > 0 {
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
            idle: t.idle.get(),
        }
    }

    /// Stops claiming, lets the jobs in hand finish, joins every thread, and says where the
    /// time went.
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

    fn work(&self) {
        while !self.stopping() {
            let start = Instant::now();
            match self.store.claim(&self.config.name, self.config.lease) {
                Ok(Some(job)) => {
                    self.tally.queue.add(start.elapsed());
                    self.run(job);
                }
                Ok(None) => {
                    self.wake.wait(self.config.poll);
                    self.tally.idle.add(start.elapsed());
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot claim a job; retrying");
                    std::thread::sleep(self.config.poll);
                }
            }
        }
    }

    fn hold(&self) -> std::sync::MutexGuard<'_, HashMap<Lease, u64>> {
        self.leases.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Proves a claimed job and finishes it under its lease.
    fn run(&self, job: Claimed) {
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
        let outcome = self.prove(&job);
        self.tally.proving.add(start.elapsed());
        self.tally.jobs.fetch_add(1, Ordering::Relaxed);
        self.hold().remove(&lease);
        progress::forget(watch);
        let label = match &outcome {
            Outcome::Done { proving, .. } => {
                self.metrics
                    .proving_seconds
                    .with_label_values(&[job.program.as_str(), job.backend.as_str()])
                    .observe(proving.as_secs_f64());
                "done"
            }
            Outcome::Failed { error } => {
                tracing::info!(%error, "job failed");
                "failed"
            }
        };
        let start = Instant::now();
        let finished = self.store.finish(lease, &outcome);
        self.tally.queue.add(start.elapsed());
        let label = match finished {
            Ok(true) => label,
            Ok(false) => {
                tracing::warn!("the lease was lost; the result is discarded");
                "discarded"
            }
            Err(error) => {
                tracing::warn!(%error, "cannot store the result; the job will run again");
                "unstored"
            }
        };
        self.metrics.finished.with_label_values(&[label]).inc();
    }

    fn prove(&self, job: &Claimed) -> Outcome {
        let backend: BackendId = match self.prover.backend(Some(&job.backend)) {
            Ok(backend) => backend,
            Err(e) => return failed(&e),
        };
        let plan = match self.prover.plan(&job.program, backend, &job.input) {
            Ok(plan) => plan,
            Err(e) => return failed(&e),
        };
        // The claim set the phase; the estimate (for progress and ETA) is worth a write only
        // for a job long enough to be watched.
        if let Some(estimate) = plan.time.filter(|e| *e >= WATCHED) {
            let heartbeat =
                self.store
                    .heartbeat(job.lease, self.config.lease, None, Some(estimate));
            if let Err(error) = heartbeat {
                tracing::warn!(%error, "cannot record the estimate");
            }
        }
        match self.prover.prove(&job.program, backend, &job.input, &plan) {
            Ok((receipt, proving)) => Outcome::Done { receipt, proving },
            Err(e) => failed(&e),
        }
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
            let beat = self
                .store
                .heartbeat(lease, self.config.lease, phase.as_deref(), None);
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
mod tests {
    use l2x_jobs::{NewJob, SqliteStore};
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::progress::JobPhases;

    const MINUTE: Duration = Duration::from_secs(60);

    /// Workers' shared state over a fresh store, with no threads running.
    fn shared(store: Arc<dyn JobStore>) -> Shared {
        let executor = l2x_executor::Executor::builder().build().expect("executor");
        Shared {
            store,
            prover: Arc::new(Prover::new(executor)),
            metrics: Metrics::new().expect("metrics"),
            config: WorkerConfig::new(0),
            wake: Arc::default(),
            stop: Arc::default(),
            leases: Mutex::new(HashMap::new()),
            tally: Tally::default(),
        }
    }

    fn phase_of(store: &dyn JobStore, lease: Lease) -> Option<String> {
        store.status(lease.job).expect("status").expect("job").phase
    }

    #[test]
    fn a_beat_writes_a_jobs_new_phase_once_and_keeps_it() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).expect("store"));
        let job = NewJob {
            program: "fibonacci".into(),
            backend: "trace".into(),
            input: b"10".to_vec(),
            idempotency_key: None,
        };
        store.submit(&[job]).expect("submitted");
        let lease = store
            .claim("w", MINUTE)
            .expect("claim")
            .expect("a job")
            .lease;
        let shared = shared(Arc::clone(&store));
        let watch = progress::watch();
        shared.hold().insert(lease, watch);
        assert_eq!(phase_of(&*store, lease).as_deref(), Some("proving"));

        let subscriber = tracing_subscriber::registry().with(JobPhases);
        tracing::subscriber::with_default(subscriber, || {
            let _job = tracing::info_span!("job", watch).entered();
            let _segment = tracing::info_span!("prove segment", k = 1u64, n = 4u64).entered();
        });
        shared.beat(false);
        let shown = Some("prove segment 1 of 4 (zkVM)");
        assert_eq!(phase_of(&*store, lease).as_deref(), shown);
        // Nothing new since: later beats, with or without renewal, keep the phase.
        shared.beat(false);
        shared.beat(true);
        assert_eq!(phase_of(&*store, lease).as_deref(), shown);
        progress::forget(watch);
    }
}
