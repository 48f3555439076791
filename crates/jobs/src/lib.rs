//! The prover service's durable job queue.
//!
//! A job is submitted once (an idempotency key makes a retried submit return the first job),
//! claimed by a worker under a *lease* (a token and a deadline), kept alive by heartbeats, and
//! finished with a receipt or an error. A worker that dies stops renewing its lease; once the
//! deadline passes another worker claims the job again, with a new token, and a late result
//! carrying the old token is discarded. So no job is lost and none is finished twice.
//!
//! Two stores implement [`JobStore`]:
//! - [`SqliteStore`]: embedded, in a data directory, the default of `l2x serve`. One process
//!   owns it; on open it re-queues the jobs its previous run left running.
//! - [`PostgresStore`]: shared by a service and workers on any number of machines; workers claim
//!   with `SELECT … FOR UPDATE SKIP LOCKED`, and leases run on the database's clock.
//!
//! Both create their schema with versioned migrations (`migrations/`, applied by refinery).
//!
//! The store also holds the service's API keys ([`keys`]): each key is a tenant, whose jobs
//! other tenants' reads do not see ([`Scope`]) and whose unfinished jobs its quota bounds
//! ([`Owner`]).

pub mod keys;
mod pg;
#[cfg(any(test, feature = "scratch"))]
pub mod scratch;
mod sqlite;

use std::time::Duration;

pub use keys::{ApiKey, NewKey, OPEN_TENANT, Owner, Quotas, Role, Scope, Secret, TenantId};
pub use pg::PostgresStore;
pub use sqlite::SqliteStore;

/// A job's id, unique in its store.
pub type JobId = i64;

/// How many times a job is claimed before a lost worker fails it for good (a job that kills its
/// worker, say by running it out of memory, must not kill every worker in turn).
pub const MAX_ATTEMPTS: i32 = 3;

/// A job to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The program's id.
    pub program: String,
    /// The backend that proves it.
    pub backend: String,
    /// The program's input.
    pub input: Vec<u8>,
    /// A client's key for this job: submitting the same key again returns the first job.
    pub idempotency_key: Option<String>,
}

/// A submitted job's id, and whether this submit made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    /// The job's id.
    pub id: JobId,
    /// False when the idempotency key named a job submitted before.
    pub created: bool,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Claimed by a worker whose lease has not been released.
    Running,
    /// Proven: the receipt is stored.
    Done,
    /// Failed for good: the error is stored.
    Failed,
}

impl JobState {
    /// Every state, in the order a job goes through them.
    pub const ALL: [JobState; 4] = [Self::Queued, Self::Running, Self::Done, Self::Failed];

    /// The state's name, as stored and as the API shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    fn parse(name: &str) -> Result<Self, StoreError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown job state {name:?}")))
    }
}

/// What a store knows of a job, without its input and receipt bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    /// The job's id.
    pub id: JobId,
    /// The tenant that submitted it.
    pub tenant: TenantId,
    /// The program's id.
    pub program: String,
    /// The backend that proves it.
    pub backend: String,
    /// Where it is.
    pub state: JobState,
    /// Times it was claimed.
    pub attempts: i32,
    /// The worker holding or last holding its lease.
    pub worker: Option<String>,
    /// What the worker last said it was doing.
    pub phase: Option<String>,
    /// The cost model's estimate of its proving time, in ms, when the worker had one.
    pub estimate_ms: Option<i64>,
    /// When it was submitted (ms since the Unix epoch, on the store's clock).
    pub submitted_ms: i64,
    /// When it was last claimed.
    pub started_ms: Option<i64>,
    /// When it finished.
    pub finished_ms: Option<i64>,
    /// Time spent proving it, in ms.
    pub proving_ms: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Size of its receipt, once done.
    pub receipt_bytes: Option<i64>,
    /// The store's clock when this status was read, to compute elapsed times against.
    pub now_ms: i64,
}

/// A claimed job: what to prove and the lease to report it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The lease.
    pub lease: Lease,
    /// The program's id.
    pub program: String,
    /// The backend that proves it.
    pub backend: String,
    /// The program's input.
    pub input: Vec<u8>,
    /// Times it has been claimed, this claim included.
    pub attempts: i32,
}

/// A worker's right to finish one job: valid until another claim gives the job a new token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    /// The job.
    pub job: JobId,
    /// The claim's token.
    pub token: i64,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Proven.
    Done {
        /// The receipt's envelope bytes.
        receipt: Vec<u8>,
        /// Time spent proving.
        proving: Duration,
    },
    /// Failed for good.
    Failed {
        /// Why, in words.
        error: String,
    },
}

impl Outcome {
    /// The stored columns: state, receipt, proving ms, error.
    fn columns(&self) -> (&'static str, Option<&[u8]>, Option<i64>, Option<&str>) {
        match self {
            Outcome::Done { receipt, proving } => (
                "done",
                Some(receipt.as_slice()),
                Some(millis(*proving)),
                None,
            ),
            Outcome::Failed { error } => ("failed", None, None, Some(error.as_str())),
        }
    }
}

/// Jobs in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting for a worker.
    pub queued: u64,
    /// Claimed.
    pub running: u64,
    /// Proven.
    pub done: u64,
    /// Failed.
    pub failed: u64,
}

impl Counts {
    /// The count of one state.
    pub fn get(&self, state: JobState) -> u64 {
        match state {
            JobState::Queued => self.queued,
            JobState::Running => self.running,
            JobState::Done => self.done,
            JobState::Failed => self.failed,
        }
    }

    fn add(&mut self, state: JobState, n: u64) {
        match state {
            JobState::Queued => self.queued += n,
            JobState::Running => self.running += n,
            JobState::Done => self.done += n,
            JobState::Failed => self.failed += n,
        }
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The embedded store failed.
    #[error("job store (SQLite): {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("job store (PostgreSQL): {0}")]
    Postgres(#[from] postgres::Error),
    /// The schema could not be migrated.
    #[error("job store migration: {0}")]
    Migration(#[from] refinery::Error),
    /// The data directory could not be created.
    #[error("job store directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// An idempotency key was used before for a different job.
    #[error("idempotency key {0:?} was used for a different job")]
    KeyReused(String),
    /// A submit would leave its tenant more unfinished jobs than its quota; nothing was stored.
    #[error("{open} unfinished jobs with this submit, over the key's quota of {limit}")]
    OverQuota {
        /// Unfinished jobs the tenant would have.
        open: u64,
        /// Its quota.
        limit: u64,
    },
    /// An API key of this name exists already.
    #[error("an API key named {0:?} exists already")]
    NameTaken(String),
    /// The store holds something this version cannot read.
    #[error("job store holds unreadable data: {0}")]
    Corrupt(String),
    /// The operating system's random source failed, so no key secret could be made.
    #[error("no random source for a key secret: {0}")]
    NoRandomness(String),
}

impl StoreError {
    /// Whether the store failed for want of space (SQLite's "database or disk is full", or the
    /// directory could not be written for that reason): the data is intact, writes will work
    /// again once space is freed.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            Self::Directory { source, .. } => source.kind() == std::io::ErrorKind::StorageFull,
            Self::Migration(e) => e.to_string().contains("database or disk is full"),
            _ => false,
        }
    }
}

/// A durable queue of proving jobs with leases, and the API keys that own them. Calls block
/// (run them off async threads).
pub trait JobStore: Send + Sync + std::fmt::Debug {
    /// Adds jobs of `owner`, all or none. A job whose idempotency key this tenant used before
    /// returns the first job's id, or [`StoreError::KeyReused`] if that job differs. Refused
    /// with [`StoreError::OverQuota`] (nothing stored) if the tenant would then have more
    /// unfinished jobs than `owner.max_queued`.
    fn submit_as(&self, owner: &Owner, jobs: &[NewJob]) -> Result<Vec<Submitted>, StoreError>;

    /// Adds jobs of [`OPEN_TENANT`], as [`JobStore::submit_as`].
    fn submit(&self, jobs: &[NewJob]) -> Result<Vec<Submitted>, StoreError> {
        self.submit_as(&Owner::OPEN, jobs)
    }

    /// Claims the oldest job waiting (queued, or running under an expired lease) for `worker`,
    /// with a lease of `lease`. Fails for good a job whose lease expired [`MAX_ATTEMPTS`] times.
    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Claimed>, StoreError>;

    /// Extends a lease by `lease` from now and records the phase; false if the lease is lost.
    fn heartbeat(
        &self,
        lease: Lease,
        duration: Duration,
        phase: Option<&str>,
        estimate: Option<Duration>,
    ) -> Result<bool, StoreError>;

    /// Finishes a job; false (and nothing stored) if the lease is lost.
    fn finish(&self, lease: Lease, outcome: &Outcome) -> Result<bool, StoreError> {
        let finished = self.finish_all(&[(lease, outcome)])?;
        Ok(finished.first().copied().unwrap_or(false))
    }

    /// Finishes several jobs in one transaction, so that one durable commit stores them all;
    /// per job, false (and nothing stored for it) if its lease is lost. On an error nothing is
    /// stored.
    fn finish_all(&self, results: &[(Lease, &Outcome)]) -> Result<Vec<bool>, StoreError>;

    /// Puts a claimed job back in the queue (a worker shutting down); false if the lease is lost.
    fn release(&self, lease: Lease) -> Result<bool, StoreError>;

    /// A job's status, if it exists in `scope`.
    fn status_in(&self, scope: Scope, id: JobId) -> Result<Option<JobStatus>, StoreError>;

    /// A done job's receipt: None if the job does not exist in `scope`, `Some(None)` if it is
    /// not done.
    fn receipt_in(&self, scope: Scope, id: JobId) -> Result<Option<Option<Vec<u8>>>, StoreError>;

    /// A job's input, if the job exists in `scope` (a published aggregate recomputes what its
    /// programs publish from it).
    fn input_in(&self, scope: Scope, id: JobId) -> Result<Option<Vec<u8>>, StoreError>;

    /// Any job's status, as [`JobStore::status_in`] over [`Scope::All`].
    fn status(&self, id: JobId) -> Result<Option<JobStatus>, StoreError> {
        self.status_in(Scope::All, id)
    }

    /// Any job's receipt, as [`JobStore::receipt_in`] over [`Scope::All`].
    fn receipt(&self, id: JobId) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        self.receipt_in(Scope::All, id)
    }

    /// Any job's input, as [`JobStore::input_in`] over [`Scope::All`].
    fn input(&self, id: JobId) -> Result<Option<Vec<u8>>, StoreError> {
        self.input_in(Scope::All, id)
    }

    /// Jobs in each state.
    fn counts(&self) -> Result<Counts, StoreError>;

    /// Stores a new API key; [`StoreError::NameTaken`] if its name is.
    fn create_key(&self, key: &NewKey) -> Result<ApiKey, StoreError>;

    /// Every key, revoked ones included, oldest first.
    fn keys(&self) -> Result<Vec<ApiKey>, StoreError>;

    /// The key whose secret hashes to `hash`, revoked or not.
    fn key_by_hash(&self, hash: &keys::KeyHash) -> Result<Option<ApiKey>, StoreError>;

    /// Revokes the key named `name`; false if there is none or it was revoked already.
    fn revoke_key(&self, name: &str) -> Result<bool, StoreError>;

    /// Whether any key was ever made: a service whose store has keys requires one on every
    /// request (revoking every key does not open it again).
    fn has_keys(&self) -> Result<bool, StoreError>;
}

/// Opens the store a `--store` argument names: a `postgres://` or `postgresql://` URL, or a
/// data directory for the embedded store (created if missing).
pub fn open(spec: &str) -> Result<Box<dyn JobStore>, StoreError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Ok(Box::new(PostgresStore::connect(spec)?))
    } else {
        Ok(Box::new(SqliteStore::open(std::path::Path::new(spec))?))
    }
}

/// Opens the store `spec` names beside the process that serves it, to manage its keys: as
/// [`open`], except that the embedded store's running jobs are left as they are (its service
/// may be running).
pub fn open_beside(spec: &str) -> Result<Box<dyn JobStore>, StoreError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Ok(Box::new(PostgresStore::connect(spec)?))
    } else {
        Ok(Box::new(SqliteStore::open_beside(std::path::Path::new(
            spec,
        ))?))
    }
}

/// A store opened for a service, and whether it could only be opened for reading.
#[derive(Debug)]
pub struct Opened {
    /// The store.
    pub store: Box<dyn JobStore>,
    /// Why the store is read-only (its disk is full), if it is: writes fail until restart.
    pub read_only: Option<StoreError>,
}

/// Opens the store `spec` names, as [`open`]; an embedded store that cannot be opened for
/// writing because its disk is full is opened read-only instead, so that a service can still
/// serve the receipts it finished (its submits and workers get errors until it restarts with
/// space).
pub fn open_serving(spec: &str) -> Result<Opened, StoreError> {
    match open(spec) {
        Ok(store) => Ok(Opened {
            store,
            read_only: None,
        }),
        Err(e) if e.is_disk_full() && !spec.contains("://") => Ok(Opened {
            store: Box::new(SqliteStore::open_read_only(std::path::Path::new(spec))?),
            read_only: Some(e),
        }),
        Err(e) => Err(e),
    }
}

/// Jobs in each state, in [`JobState::ALL`]'s order; each count reads an index (the queued and
/// running ones a partial index), never the table.
const COUNTS: &str = "SELECT \
    (SELECT count(*) FROM jobs WHERE state = 'queued'), \
    (SELECT count(*) FROM jobs WHERE state = 'running'), \
    (SELECT count(*) FROM jobs WHERE state = 'done'), \
    (SELECT count(*) FROM jobs WHERE state = 'failed')";

/// Milliseconds in a duration, as stored.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The message stored for a job whose workers were lost [`MAX_ATTEMPTS`] times.
fn lost_message() -> String {
    format!("the job's worker was lost {MAX_ATTEMPTS} times (killed or out of memory); not retried")
}

#[cfg(test)]
mod tests;
