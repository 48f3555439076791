//! Building an [`Executor`]: backend, programs, pool, cache, policy and memory budget.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backends::Backends;
use crate::cache::ReceiptCache;
use crate::{BackendId, CostModel, Executor, Policy, Registry, cpu, da};
#[cfg(feature = "risc0")]
use crate::{Guest, RegistryError};

/// Configures an [`Executor`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ExecutorBuilder {
    backend: BackendId,
    allow_dev_receipts: bool,
    registry: Registry,
    threads: usize,
    cache_entries: usize,
    cache_bytes: u64,
    policy: Policy,
    memory_budget: Option<u64>,
    backends: Backends,
}

/// Receipts the cache keeps by default, in the library and the CLI alike.
pub const DEFAULT_CACHE_ENTRIES: usize = 1024;

/// The most worker threads an executor starts: far above any useful count (proving is
/// CPU-bound), low enough that a typo cannot exhaust the system's threads.
pub const MAX_THREADS: usize = 1024;

/// Why an executor could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The worker pool's threads could not be started (the cause is in the message, once).
    #[error("cannot start the worker pool: {0}")]
    Pool(rayon::ThreadPoolBuildError),
    /// More worker threads than [`MAX_THREADS`] were asked for.
    #[error("{0} worker threads asked for; at most {MAX_THREADS} are allowed")]
    TooManyThreads(usize),
    /// The cache bounds are unusable.
    #[error("invalid cache bounds: {entries} entries, {bytes} bytes")]
    Cache {
        /// Entries asked for.
        entries: usize,
        /// Bytes asked for.
        bytes: u64,
    },
}

impl ExecutorBuilder {
    /// The default settings (see [`Executor::new`]).
    pub(crate) fn new() -> Self {
        Self {
            backend: BackendId::Trace,
            allow_dev_receipts: dev_mode_from_env(),
            registry: Registry::standard(),
            threads: 0,
            cache_entries: DEFAULT_CACHE_ENTRIES,
            cache_bytes: 256 << 20,
            policy: Policy::Auto,
            memory_budget: None,
            backends: Backends::default(),
        }
    }

    /// The backend that proves (default: `trace`). Verification always uses the backend each
    /// receipt names.
    pub fn backend(mut self, backend: BackendId) -> Self {
        self.backend = backend;
        self
    }

    /// Accept receipts of dev backends (`trace`), which anyone can forge, in
    /// [`Executor::verify`] and the aggregate checks. Default: refused, unless the environment
    /// sets `L2X_DEV_MODE=1` (or `true`) when the builder is made.
    pub fn allow_dev_receipts(mut self, allowed: bool) -> Self {
        self.allow_dev_receipts = allowed;
        self
    }

    /// The programs the executor knows (default: every built-in program).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Worker threads of the pool (default 0: one per core; at most [`MAX_THREADS`]).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Keep up to `entries` receipts in a cache (default [`DEFAULT_CACHE_ENTRIES`], as the CLI;
    /// 0 turns the cache off).
    pub fn cache(mut self, entries: usize) -> Self {
        self.cache_entries = entries;
        self
    }

    /// Bound the cache by bytes too (default 256 MiB).
    pub fn cache_bytes(mut self, bytes: u64) -> Self {
        self.cache_bytes = bytes;
        self
    }

    /// The most memory that jobs running at once may take, in bytes (default: half of the
    /// memory available when the executor is built, or 4 GiB where that cannot be read).
    pub fn memory_budget(mut self, bytes: u64) -> Self {
        self.memory_budget = Some(bytes);
        self
    }

    /// Adds a RISC Zero guest (a user's ELF): its program joins the registry, and the `risc0`
    /// backend proves it. Fails if the registry already has a program of that id.
    #[cfg(feature = "risc0")]
    pub fn guest(mut self, guest: Guest) -> Result<Self, RegistryError> {
        self.registry = self.registry.with_native(guest.clone())?;
        let mut guests: Vec<Guest> = self.backends.risc0.guests().cloned().collect();
        guests.push(guest);
        self.backends.risc0 = l2x_risc0::Risc0Backend::new(guests);
        Ok(self)
    }

    /// How batches are scheduled (default [`Policy::Auto`]).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Builds the executor: starts its worker pool and measures the pool's dispatch cost.
    /// The first executor of a process warns (through `tracing`) if the binary was compiled
    /// without the CPU's vector features; see [`cpu`].
    pub fn build(self) -> Result<Executor, BuildError> {
        cpu::warn_once();
        if self.threads > MAX_THREADS {
            return Err(BuildError::TooManyThreads(self.threads));
        }
        let mut pool = rayon::ThreadPoolBuilder::new().thread_name(|i| format!("l2x-worker-{i}"));
        if self.threads > 0 {
            pool = pool.num_threads(self.threads);
        }
        let pool = pool.build().map_err(BuildError::Pool)?;
        let dispatch = measure_dispatch(&pool);
        let cache = match self.cache_entries {
            0 => None,
            entries => Some(Arc::new(
                ReceiptCache::new(entries, self.cache_bytes).ok_or(BuildError::Cache {
                    entries,
                    bytes: self.cache_bytes,
                })?,
            )),
        };
        Ok(Executor {
            prover: self.backends.get(self.backend, &self.registry),
            backends: self.backends,
            allow_dev_receipts: self.allow_dev_receipts,
            registry: self.registry,
            pool: Arc::new(pool),
            cache,
            costs: Arc::new(CostModel::default()),
            policy: self.policy,
            dispatch,
            memory_budget: self.memory_budget.unwrap_or_else(default_memory_budget),
            blobs: da::BlobState::new(self.cache_entries),
        })
    }
}

/// Whether `L2X_DEV_MODE` allows dev receipts (`1` or `true`).
fn dev_mode_from_env() -> bool {
    std::env::var("L2X_DEV_MODE").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Half of `MemAvailable` from `/proc/meminfo`, or 4 GiB where it cannot be read.
fn default_memory_budget() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(4 << 30, |kb| kb * 1024 / 2)
}

/// The fixed cost of going parallel: a round trip into the pool that wakes a worker (the median
/// of a few `install` + `join` of empty closures).
fn measure_dispatch(pool: &rayon::ThreadPool) -> Duration {
    let mut samples: Vec<Duration> = (0..7)
        .map(|_| {
            let start = Instant::now();
            pool.install(|| rayon::join(|| std::hint::black_box(0), || std::hint::black_box(1)));
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    samples[samples.len() / 2]
}
