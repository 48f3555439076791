//! The entry point of l2-executor: prove programs on a backend and verify receipts.
//!
//! ```
//! use l2x_executor::Executor;
//!
//! // Dev mode, visibly: trace receipts prove nothing, so verifying them must be allowed.
//! let executor = Executor::builder().allow_dev_receipts(true).build()?;
//! let receipt = executor.prove("fibonacci", b"50")?;
//! let claim = executor.verify_program(&receipt, "fibonacci")?;
//! assert_eq!(executor.describe(claim)?.headline, "12586269025");
//! assert!(receipt.is_dev(), "the default trace backend is dev mode: it proves nothing");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Receipts can be verified by any executor whatever backend it proves with: verification
//! dispatches on the backend the receipt names. **Dev receipts are refused by default**, like
//! RISC Zero's dev mode: allow them with [`ExecutorBuilder::allow_dev_receipts`] or by setting
//! `L2X_DEV_MODE=1` in the environment.
//!
//! A receipt only says what *it* claims. Verify it against what you expect:
//! [`Executor::verify_program`] checks the program, [`Executor::verify_claim`] the program and
//! the public values (as RISC Zero's `receipt.verify(IMAGE_ID)` checks the image).

/// The README's Rust examples, compiled and run as doctests so that they stay true.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod aggregate;
mod backends;
mod batch;
pub mod cache;
mod cost;
pub mod cpu;
pub mod da;
pub mod prelude;
pub mod progress;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use aggregate::{Aggregate, AggregateError, AggregateView, InclusionProof};
use backends::Backends;
pub use backends::{built_backends, is_built};
pub use batch::{BatchError, BatchReport, Job, Policy, Progress};
use cache::{CacheStats, ReceiptCache};
pub use cost::CostModel;
/// What a program needs to be proven by the STARK backends: its tables, witness and the Plonky3
/// crates to write them with (see `examples/custom-program`).
pub use l2x_air as air;
pub use l2x_core::{
    Backend, BackendId, Claim, ClaimError, DecodeError, Execution, FORMAT_VERSION, InputError,
    NotBuilt, Program, ProgramId, ProveError, PublicField, PublicOutput, PublicValues, Receipt,
    UnknownBackend, UnknownProgram, VerifyError,
};
pub use l2x_programs::{Registry, RegistryError, fibonacci, sha256};
#[cfg(feature = "risc0")]
pub use l2x_risc0::{Guest, GuestError, MAX_ELF_BYTES};
pub use l2x_stark::security::ProofSecurity;

/// Why a job could not be run or proven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// No program has the name asked for.
    #[error(transparent)]
    UnknownProgram(#[from] UnknownProgram),
    /// The program rejected the input.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The backend failed for another reason.
    #[error(transparent)]
    Backend(ProveError),
    /// The job alone needs more memory than the executor's budget.
    #[error("the job needs about {}, more than the {} memory budget", mib(*needed), mib(*budget))]
    MemoryBudget {
        /// Estimated peak bytes of the job.
        needed: u64,
        /// The budget in bytes.
        budget: u64,
    },
}

/// Bytes as MiB for messages, without rounding a small budget down to "0 MiB".
fn mib(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{bytes} B")
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

impl From<ProveError> for JobError {
    fn from(e: ProveError) -> Self {
        match e {
            ProveError::Input(e) => JobError::Input(e),
            other => JobError::Backend(other),
        }
    }
}

/// What a job will cost, from [`Executor::plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Steps the program will run.
    pub steps: u64,
    /// Estimated peak memory of proving it, in bytes.
    pub memory: u64,
    /// The cost model's estimate of proving time, once this program and backend were measured.
    pub time: Option<std::time::Duration>,
}

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

/// Proves jobs on one backend and verifies receipts of any backend. Cloning shares the pool,
/// the cache and the cost model.
#[derive(Clone)]
pub struct Executor {
    prover: Arc<dyn Backend>,
    allow_dev_receipts: bool,
    registry: Registry,
    pool: Arc<rayon::ThreadPool>,
    cache: Option<Arc<ReceiptCache>>,
    costs: Arc<CostModel>,
    policy: Policy,
    dispatch: Duration,
    memory_budget: u64,
    blobs: Arc<da::BlobState>,
    backends: Backends,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("backend", &self.prover.id())
            .field("allow_dev_receipts", &self.allow_dev_receipts)
            .field("registry", &self.registry)
            .field("threads", &self.threads())
            .field("policy", &self.policy)
            .field("cache", &self.cache_stats())
            .finish()
    }
}

impl Executor {
    /// An executor with the default settings: the `trace` backend, dev receipts refused (unless
    /// `L2X_DEV_MODE=1`), one worker per core, a cache of [`DEFAULT_CACHE_ENTRIES`] receipts,
    /// [`Policy::Auto`].
    pub fn new() -> Result<Self, BuildError> {
        Self::builder().build()
    }

    /// A builder starting from the default settings.
    pub fn builder() -> ExecutorBuilder {
        ExecutorBuilder {
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

    /// The persistent worker pool, for work that should share the executor's threads rather
    /// than start its own (the lab measures its scheduling through this).
    pub fn pool(&self) -> &rayon::ThreadPool {
        &self.pool
    }

    /// Worker threads of the pool.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The memory budget for jobs running at once, in bytes.
    pub fn memory_budget(&self) -> u64 {
        self.memory_budget
    }

    /// The cost of dispatching one task to the pool, measured at build time.
    pub fn dispatch_cost(&self) -> Duration {
        self.dispatch
    }

    /// The cache's counters, if the cache is on.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(|c| c.stats())
    }

    /// The cost model (estimates of ns per step, from measured jobs).
    pub fn costs(&self) -> &CostModel {
        &self.costs
    }

    /// The backend this executor proves with.
    pub fn backend(&self) -> BackendId {
        self.prover.id()
    }

    /// This executor proving with another backend: the same pool, cache, cost model and
    /// settings (the cache keys receipts by backend, so sharing it is safe). A service proving
    /// jobs of several backends keeps one pool this way.
    pub fn with_backend(&self, backend_id: BackendId) -> Executor {
        Executor {
            prover: self.backends.get(backend_id, &self.registry),
            ..self.clone()
        }
    }

    /// The programs this executor knows.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The program with this id.
    pub fn program(&self, name: &str) -> Result<Arc<dyn Program>, UnknownProgram> {
        self.registry.get(name)
    }

    /// Checks a job without running it and says what it will cost: its steps, its estimated
    /// peak memory on this executor's backend, and the cost model's time estimate if the pair
    /// was measured before. Fails as proving would (unknown program, bad input, over the memory
    /// budget), so a service can refuse a job when it is submitted.
    pub fn plan(&self, program: &str, input: &[u8]) -> Result<Plan, JobError> {
        if !backends::is_built(self.backend()) {
            return Err(JobError::Backend(ProveError::NotBuilt(NotBuilt(
                self.backend(),
            ))));
        }
        let program = self.program(program)?;
        let steps = program.estimate_steps(input)?;
        let memory = self.prover.estimate_peak_memory(&*program, input)?;
        if memory > self.memory_budget {
            return Err(JobError::MemoryBudget {
                needed: memory,
                budget: self.memory_budget,
            });
        }
        let time = self.costs.estimate(self.backend(), &program.id(), steps);
        Ok(Plan {
            steps,
            memory,
            time,
        })
    }

    /// Runs a program natively, without proving.
    pub fn run(&self, program: &str, input: &[u8]) -> Result<Execution, JobError> {
        Ok(self.program(program)?.execute(input)?)
    }

    /// Executes and proves a program on this executor's backend.
    pub fn prove(&self, program: &str, input: &[u8]) -> Result<Receipt, JobError> {
        self.prove_program(&*self.program(program)?, input)
    }

    /// [`Executor::prove`] of a program already looked up.
    fn prove_program(&self, program: &dyn Program, input: &[u8]) -> Result<Receipt, JobError> {
        let receipt = self.on_pool(|| self.prover.prove(program, input))?;
        tracing::debug!(program = %receipt.claim.program, steps = receipt.claim.steps, "proved");
        Ok(receipt)
    }

    /// Runs a prover call on the pool, so that the prover's own parallelism (Plonky3's rayon
    /// iterators) uses the pool's threads (`threads(n)`), not rayon's global pool. The dev
    /// backend has no parallelism inside a job: its microsecond jobs skip the round trip.
    ///
    /// The caller's tracing subscriber and current span go along, so that the prover's spans
    /// reach a scoped subscriber (`with_default`) and sit under the caller's span, as they did
    /// on the calling thread.
    pub(crate) fn on_pool<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        if self.prover.id().is_dev() {
            return f();
        }
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let span = tracing::Span::current();
        self.pool
            .install(move || tracing::dispatcher::with_default(&dispatch, || span.in_scope(f)))
    }

    /// Whether this executor accepts dev receipts.
    pub fn allows_dev_receipts(&self) -> bool {
        self.allow_dev_receipts
    }

    /// Checks a receipt with the backend it names and returns the claim it establishes,
    /// whatever that claim is: prefer [`Executor::verify_program`] or
    /// [`Executor::verify_claim`], which also check that it is the claim you expect.
    pub fn verify<'r>(&self, receipt: &'r Receipt) -> Result<&'r Claim, VerifyError> {
        if !self.allow_dev_receipts && receipt.is_dev() {
            return Err(VerifyError::DevReceiptRefused(receipt.backend));
        }
        let program = self.program(receipt.claim.program.as_str())?;
        self.backends
            .get(receipt.backend, &self.registry)
            .verify(&*program, receipt)
    }

    /// Checks that `receipt` is a valid receipt of `program` (by id), and returns its claim.
    pub fn verify_program<'r>(
        &self,
        receipt: &'r Receipt,
        program: &str,
    ) -> Result<&'r Claim, VerifyError> {
        let expected = self.program(program)?.id();
        if receipt.claim.program != expected {
            return Err(VerifyError::WrongProgram {
                expected,
                found: receipt.claim.program.clone(),
            });
        }
        self.verify(receipt)
    }

    /// Checks that `receipt` is a valid receipt of `program` with exactly these public values.
    pub fn verify_claim<'r>(
        &self,
        receipt: &'r Receipt,
        program: &str,
        public_values: &[u8],
    ) -> Result<&'r Claim, VerifyError> {
        let claim = self.verify_program(receipt, program)?;
        if claim.public_values != public_values {
            return Err(VerifyError::UnexpectedPublicValues);
        }
        Ok(claim)
    }

    /// The conjectured security level of the proof behind `receipt` (`None` for a dev receipt,
    /// which proves nothing). Computed from the claim's shape, as the verifier does; it does
    /// not verify the receipt.
    pub fn security(&self, receipt: &Receipt) -> Result<Option<ProofSecurity>, VerifyError> {
        let Some(mode) = l2x_stark::Mode::of(receipt.backend) else {
            return Ok(None);
        };
        let name = receipt.claim.program.as_str();
        let Some(program) = self.registry.air_program(name) else {
            return Err(VerifyError::MalformedProof(format!(
                "program '{name}' has no AIR in this build"
            )));
        };
        Ok(Some(l2x_stark::claim_security(
            mode,
            &*program,
            &receipt.claim.public_values,
        )?))
    }

    /// Verifies every receipt, then builds their aggregate: one root over all of them. Takes
    /// owned receipts or a batch's shared ones (`report.receipts`) alike.
    pub fn aggregate<R: Into<Receipt>>(
        &self,
        receipts: impl IntoIterator<Item = R>,
    ) -> Result<Aggregate, AggregateFailure> {
        let receipts: Vec<Receipt> = receipts.into_iter().map(Into::into).collect();
        for (index, receipt) in receipts.iter().enumerate() {
            self.verify(receipt)
                .map_err(|error| AggregateFailure::Receipt { index, error })?;
        }
        Ok(Aggregate::new(receipts)?)
    }

    /// Checks an aggregate: its root over the receipts, then every receipt.
    pub fn verify_aggregate(&self, aggregate: &Aggregate) -> Result<(), AggregateFailure> {
        aggregate.check_root()?;
        for (index, receipt) in aggregate.receipts.iter().enumerate() {
            self.verify(receipt)
                .map_err(|error| AggregateFailure::Receipt { index, error })?;
        }
        Ok(())
    }

    /// Checks an encoded aggregate without holding its receipts: the root over the receipts'
    /// bytes first, then each receipt decoded and verified in turn (memory: the file and one
    /// receipt). Returns how many receipts are dev receipts.
    pub fn verify_aggregate_view(
        &self,
        view: &AggregateView<'_>,
    ) -> Result<usize, AggregateFailure> {
        if view.is_empty() {
            return Err(AggregateError::Empty.into());
        }
        if !view.root_matches() {
            return Err(AggregateError::RootMismatch.into());
        }
        let mut dev = 0;
        for (index, receipt) in view.receipts().enumerate() {
            let receipt = receipt.map_err(|e| AggregateFailure::Unreadable(e.to_string()))?;
            self.verify(&receipt)
                .map_err(|error| AggregateFailure::Receipt { index, error })?;
            dev += usize::from(receipt.is_dev());
        }
        Ok(dev)
    }

    /// The public values of a claim, decoded for people.
    pub fn describe(&self, claim: &Claim) -> Result<PublicOutput, DescribeError> {
        Ok(self
            .program(claim.program.as_str())?
            .describe(&claim.public_values)?)
    }
}

/// Why an aggregate cannot be built or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateFailure {
    /// One receipt does not verify.
    #[error("receipt {index} does not verify: {error}")]
    Receipt {
        /// Its position in the aggregate.
        index: usize,
        /// Why.
        error: VerifyError,
    },
    /// The tree itself is wrong (empty, or the root does not match).
    #[error(transparent)]
    Tree(#[from] AggregateError),
    /// A receipt in an encoded aggregate does not decode.
    #[error("{0}")]
    Unreadable(String),
}

/// Why a claim's public values cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescribeError {
    /// The claim names an unknown program.
    #[error(transparent)]
    UnknownProgram(#[from] UnknownProgram),
    /// The public values do not fit the program's layout.
    #[error(transparent)]
    Claim(#[from] ClaimError),
}

/// An executor that accepts dev receipts, for tests on the trace backend.
#[cfg(test)]
pub(crate) fn dev_executor() -> Executor {
    Executor::builder()
        .allow_dev_receipts(true)
        .build()
        .expect("the default executor builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Executor {
        dev_executor()
    }

    #[test]
    fn proves_and_verifies_through_the_default_backend() {
        let executor = dev();
        let receipt = executor.prove("sha256", b"abc").unwrap();
        let claim = executor.verify(&receipt).unwrap();
        assert_eq!(
            executor.describe(claim).unwrap().headline,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn refuses_dev_receipts_unless_allowed() {
        let receipt = Executor::new().unwrap().prove("fibonacci", b"10").unwrap();
        let strict = Executor::builder()
            .allow_dev_receipts(false)
            .build()
            .unwrap();
        let err = strict.verify(&receipt).unwrap_err();
        assert_eq!(err, VerifyError::DevReceiptRefused(BackendId::Trace));
        assert!(err.to_string().contains("L2X_DEV_MODE=1"), "{err}");
        assert!(dev().verify(&receipt).is_ok());
    }

    #[test]
    fn verification_binds_the_expected_program_and_public_values() {
        let executor = dev();
        let receipt = executor.prove("fibonacci", b"10").unwrap();
        let pv = receipt.claim.public_values.clone();
        assert!(executor.verify_claim(&receipt, "fibonacci", &pv).is_ok());
        assert!(matches!(
            executor.verify_program(&receipt, "sha256"),
            Err(VerifyError::WrongProgram { .. })
        ));
        let mut other = pv.clone();
        other[0] ^= 1;
        assert_eq!(
            executor.verify_claim(&receipt, "fibonacci", &other),
            Err(VerifyError::UnexpectedPublicValues)
        );
        assert!(matches!(
            executor.verify_program(&receipt, "nope"),
            Err(VerifyError::UnknownProgram(_))
        ));
    }

    #[test]
    fn security_is_per_claim_and_absent_for_dev_receipts() {
        let executor = dev();
        let receipt = executor.prove("fibonacci", b"10").unwrap();
        assert_eq!(executor.security(&receipt).unwrap(), None);
        let mut stark = receipt.clone();
        stark.backend = BackendId::Stark;
        let level = executor.security(&stark).unwrap().unwrap();
        assert!(level.bits >= l2x_stark::security::MIN_BITS, "{level:?}");
    }

    #[test]
    fn names_unknown_programs_and_bad_inputs() {
        let executor = dev();
        assert!(matches!(
            executor.prove("nope", b""),
            Err(JobError::UnknownProgram(_))
        ));
        assert!(matches!(
            executor.prove("fibonacci", b"x"),
            Err(JobError::Input(_))
        ));
        assert!(matches!(
            executor.run("fibonacci", b"-3"),
            Err(JobError::Input(_))
        ));
    }

    #[test]
    fn thread_counts_are_bounded() {
        let err = Executor::builder()
            .threads(MAX_THREADS + 1)
            .build()
            .unwrap_err();
        assert!(matches!(err, BuildError::TooManyThreads(1025)), "{err}");
        assert!(err.to_string().contains("1024"), "{err}");
    }

    #[test]
    fn verification_of_an_unknown_program_fails_cleanly() {
        let executor = dev();
        let mut receipt = executor.prove("fibonacci", b"10").unwrap();
        receipt.claim.program = l2x_core::ProgramId::parse("keccak").unwrap();
        assert!(matches!(
            executor.verify(&receipt),
            Err(VerifyError::UnknownProgram(_))
        ));
    }
}
