//! A client of l2-executor's prover service, and one prover over local and remote proving.
//!
//! A rollup node wants receipts; whether they are proven in its own process or by a prover
//! service is deployment, not code. [`Prover::from_env`] picks one by `L2X_PROVER` (`local`, the
//! default, or `remote`), as SP1's `ProverClient::from_env` does, and both answer the same
//! calls:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let prover = l2x_client::Prover::from_env()?; // L2X_PROVER, L2X_SERVER, L2X_API_KEY
//! let receipt = prover.prove("fibonacci", b"1000")?;
//! let claim = prover.verify(&receipt)?;
//! println!("{} proved {:?}", claim.program, claim.public_values);
//! # Ok(()) }
//! ```
//!
//! - [`RemoteProver`] proves on a service: one submit per call (a batch is one submit, stored
//!   whole or not at all) under a fresh idempotency key, retries of what waiting may cure
//!   (unreachable, 503, 429 with `Retry-After`), waiting with the service's progress (phase,
//!   percent, ETA), and the receipt verified here — the service is never trusted.
//! - [`Service`] is the API route by route, for callers that submit now and collect later (the
//!   `l2x submit`, `status` and `fetch` commands are built on it).
//! - Errors are typed ([`ClientError`]): a caller tells a quota (and when to come back) from a
//!   job the key cannot see from an input the service refused (naming the field).

mod config;
mod error;
mod remote;
mod service;

use l2x_core::{Claim, Receipt};
use l2x_executor::{Executor, Job, VerifyError};

pub use config::{
    API_KEY_VAR, BACKEND_VAR, CA_CERT_VAR, PROVER_VAR, RemoteConfig, SERVER_VAR, api_key_from_env,
};
pub use error::ClientError;
pub use remote::{JobProgress, OnProgress, RemoteProver};
pub use service::{JobSpec, JobState, JobStatus, Service, Submitted};

/// Why a prove failed, locally or remotely.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The local executor refused or failed the job.
    #[error(transparent)]
    Local(#[from] l2x_executor::JobError),
    /// A job of a local batch failed.
    #[error(transparent)]
    LocalBatch(#[from] l2x_executor::BatchError),
    /// The service refused or failed the job, or could not be reached.
    #[error(transparent)]
    Remote(#[from] ClientError),
}

/// Local or remote proving behind one set of calls.
#[derive(Debug, Clone)]
pub enum Prover {
    /// In this process, on the executor's pool.
    Local(Executor),
    /// On a prover service.
    Remote(RemoteProver),
}

impl Prover {
    /// The prover the environment asks for: `L2X_PROVER=remote` proves on the service
    /// `L2X_SERVER` names with the key `L2X_API_KEY` (and `L2X_CA_CERT`); `local` or unset proves
    /// here. `L2X_BACKEND` names the backend either way (unset: the executor's default locally,
    /// the service's remotely); `L2X_DEV_MODE=1` accepts dev receipts.
    pub fn from_env() -> Result<Self, ClientError> {
        match config::var(PROVER_VAR)?.as_deref() {
            None | Some("local") => {
                let mut builder = Executor::builder();
                if let Some(backend) = config::backend_from_env()? {
                    builder = builder.backend(backend);
                }
                let executor = builder
                    .build()
                    .map_err(|e| ClientError::Config(format!("the local executor: {e}")))?;
                Ok(Self::Local(executor))
            }
            Some("remote") => Ok(Self::Remote(RemoteProver::new(&RemoteConfig::from_env()?)?)),
            Some(other) => Err(ClientError::Config(format!(
                "{PROVER_VAR}={other:?}: give local or remote"
            ))),
        }
    }

    /// Proves `program` on `input` and returns the receipt.
    pub fn prove(&self, program: &str, input: &[u8]) -> Result<Receipt, ProveError> {
        match self {
            Self::Local(executor) => Ok(executor.prove(program, input)?),
            Self::Remote(remote) => Ok(remote.prove(program, input)?),
        }
    }

    /// Proves `jobs` and returns their receipts in order.
    pub fn prove_batch(&self, jobs: &[Job]) -> Result<Vec<Receipt>, ProveError> {
        match self {
            Self::Local(executor) => Ok(executor
                .prove_batch(jobs)?
                .receipts
                .into_iter()
                .map(|r| (*r).clone())
                .collect()),
            Self::Remote(remote) => Ok(remote.prove_batch(jobs)?),
        }
    }

    /// Verifies a receipt, here in either case.
    pub fn verify<'r>(&self, receipt: &'r Receipt) -> Result<&'r Claim, VerifyError> {
        match self {
            Self::Local(executor) => executor.verify(receipt),
            Self::Remote(remote) => remote.verify(receipt),
        }
    }
}
