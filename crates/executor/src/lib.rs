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
mod builder;
pub mod cache;
mod cost;
pub mod cpu;
pub mod da;
pub mod prelude;
pub mod progress;

use std::sync::Arc;
use std::time::Duration;

pub use aggregate::{Aggregate, AggregateError, AggregateView, InclusionProof};
use backends::Backends;
pub use backends::{built_backends, is_built};
pub use batch::{BatchError, BatchReport, Job, Policy, Progress};
pub use builder::{BuildError, DEFAULT_CACHE_ENTRIES, ExecutorBuilder, MAX_THREADS};
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
        ExecutorBuilder::new()
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
mod tests;
