//! Proving on a service with the executor's calls: submit, wait with progress, fetch, decode.

use std::sync::Arc;
use std::time::{Duration, Instant};

use l2x_api::JobId;
use l2x_core::{Claim, Receipt};
use l2x_executor::{Executor, Job, VerifyError};

use crate::service::{JobSpec, JobState, JobStatus, Service};
use crate::{ClientError, RemoteConfig};

/// What a job is doing, as the service reports it while this client waits.
#[derive(Debug, Clone, PartialEq)]
pub struct JobProgress {
    /// The job.
    pub id: JobId,
    /// Where it is.
    pub state: JobState,
    /// What the prover is doing (its phase, up to a second late).
    pub phase: Option<String>,
    /// Percent done, once the service's cost model knows the program.
    pub percent: Option<u64>,
    /// Time left, once the service's cost model knows the program.
    pub eta: Option<Duration>,
}

impl JobProgress {
    fn of(status: &JobStatus) -> Self {
        Self {
            id: status.id,
            state: status.state,
            phase: status.phase.clone(),
            percent: status.progress_percent,
            eta: status
                .eta_seconds
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64),
        }
    }
}

/// A callback told of a job's progress (each time it changes) while a prove waits.
pub type OnProgress = Arc<dyn Fn(&JobProgress) + Send + Sync>;

/// Proves on a service: [`RemoteProver::prove`], [`RemoteProver::prove_batch`] and
/// [`RemoteProver::verify`] have the shape of the executor's. Receipts are verified here, never
/// taken on the service's word.
#[derive(Clone)]
pub struct RemoteProver {
    service: Service,
    verifier: Executor,
    wait: Option<Duration>,
    progress: Option<OnProgress>,
}

impl std::fmt::Debug for RemoteProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteProver")
            .field("server", &self.service.server())
            .finish_non_exhaustive()
    }
}

impl RemoteProver {
    /// A prover on the service `config` names; receipts verified by a local executor that
    /// refuses dev-mode receipts.
    pub fn new(config: &RemoteConfig) -> Result<Self, ClientError> {
        let verifier = Executor::builder()
            .threads(1)
            .cache(0)
            .build()
            .map_err(|e| ClientError::Config(format!("the local verifier: {e}")))?;
        Self::with_verifier(config, verifier)
    }

    /// A prover on the service `config` names, verifying with `verifier` (one that accepts
    /// dev-mode receipts, say, for tests on the `trace` backend).
    pub fn with_verifier(config: &RemoteConfig, verifier: Executor) -> Result<Self, ClientError> {
        Ok(Self {
            service: Service::new(config)?,
            verifier,
            wait: config.wait,
            progress: None,
        })
    }

    /// Calls `progress` while waiting, each time a job's reported progress changes.
    pub fn on_progress(mut self, progress: impl Fn(&JobProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// The service's API, call by call.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Proves `program` on `input` on the service and returns the receipt, verified here.
    pub fn prove(&self, program: &str, input: &[u8]) -> Result<Receipt, ClientError> {
        let job = Job {
            program: program.to_owned(),
            input: input.to_vec(),
        };
        let mut receipts = self.prove_batch(std::slice::from_ref(&job))?;
        receipts.pop().ok_or_else(|| ClientError::Service {
            status: 200,
            message: "a submit of one job answered no job".into(),
        })
    }

    /// Proves `jobs` on the service as one submit (all stored or none) and returns their
    /// receipts in order, each verified here. A retried submit carries the same idempotency
    /// key, so a lost answer never makes a second set of jobs.
    pub fn prove_batch(&self, jobs: &[Job]) -> Result<Vec<Receipt>, ClientError> {
        let specs: Vec<JobSpec> = jobs
            .iter()
            .map(|j| JobSpec {
                program: j.program.clone(),
                input: j.input.clone(),
            })
            .collect();
        let key = idempotency_key()?;
        let submitted = self.service.submit(&specs, Some(&key))?;
        let started = Instant::now();
        submitted
            .iter()
            .map(|s| {
                self.wait_for(s.id, started)?;
                let bytes = self.service.receipt_bytes(s.id)?;
                let receipt = Receipt::from_bytes(&bytes).map_err(|e| ClientError::BadReceipt {
                    id: s.id,
                    message: e.to_string(),
                })?;
                self.verifier
                    .verify(&receipt)
                    .map_err(|e| ClientError::BadReceipt {
                        id: s.id,
                        message: format!("does not verify: {e}"),
                    })?;
                Ok(receipt)
            })
            .collect()
    }

    /// Verifies a receipt here (the service is not asked).
    pub fn verify<'r>(&self, receipt: &'r Receipt) -> Result<&'r Claim, VerifyError> {
        self.verifier.verify(receipt)
    }

    /// Polls job `id` until it is done, telling `on_progress` of each change; an error if it
    /// failed or the wait ran out.
    pub fn wait_for(&self, id: JobId, started: Instant) -> Result<JobStatus, ClientError> {
        let mut last: Option<JobProgress> = None;
        let status = self.service.wait(id, started, self.wait, |status| {
            let progress = JobProgress::of(status);
            if let Some(tell) = &self.progress
                && last.as_ref() != Some(&progress)
            {
                tell(&progress);
            }
            last = Some(progress);
        })?;
        match status.state {
            JobState::Failed => Err(ClientError::JobFailed {
                id,
                error: status.error.unwrap_or_default(),
            }),
            _ => Ok(status),
        }
    }
}

/// A fresh idempotency key: 128 random bits.
fn idempotency_key() -> Result<String, ClientError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        ClientError::Config(format!("no random source for an idempotency key: {e}"))
    })?;
    Ok(format!("l2x-client-{}", hex::encode(bytes)))
}
