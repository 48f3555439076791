//! A store for tests whose writes fail on demand, as a full disk makes them fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use l2x_jobs::keys::KeyHash;
use l2x_jobs::{
    ApiKey, Claimed, Counts, JobId, JobStatus, JobStore, Lease, NewJob, NewKey, Outcome, Owner,
    Scope, StoreError, Submitted,
};

/// Delegates to a real store; while full, every write fails with SQLite's "database or disk is
/// full" and reads go on working. Counts the claims and the refused result writes.
#[derive(Debug)]
pub(crate) struct FullDisk {
    inner: Arc<dyn JobStore>,
    full: AtomicBool,
    /// Once this many claims succeeded, the disk fills up (`usize::MAX`: never by itself).
    fill_after_claims: AtomicUsize,
    claims: AtomicUsize,
    /// Result writes (finish) refused while full.
    pub(crate) refused_results: AtomicUsize,
}

impl FullDisk {
    pub(crate) fn new(inner: Arc<dyn JobStore>) -> Self {
        Self {
            inner,
            full: AtomicBool::new(false),
            fill_after_claims: AtomicUsize::new(usize::MAX),
            claims: AtomicUsize::new(0),
            refused_results: AtomicUsize::new(0),
        }
    }

    /// Fills (or frees) the disk now.
    pub(crate) fn set_full(&self, full: bool) {
        self.full.store(full, Ordering::SeqCst);
    }

    /// Fills the disk when the `claims`-th claim succeeds (once).
    pub(crate) fn fill_after_claims(&self, claims: usize) {
        self.fill_after_claims.store(claims, Ordering::SeqCst);
    }

    fn write(&self) -> Result<(), StoreError> {
        if self.full.load(Ordering::SeqCst) {
            return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                Some("database or disk is full".into()),
            )));
        }
        Ok(())
    }
}

impl JobStore for FullDisk {
    fn submit_as(&self, owner: &Owner, jobs: &[NewJob]) -> Result<Vec<Submitted>, StoreError> {
        self.write()?;
        self.inner.submit_as(owner, jobs)
    }

    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Claimed>, StoreError> {
        self.write()?;
        let claimed = self.inner.claim(worker, lease)?;
        if claimed.is_some() {
            let n = self.claims.fetch_add(1, Ordering::SeqCst) + 1;
            if n == self.fill_after_claims.load(Ordering::SeqCst) {
                self.set_full(true);
            }
        }
        Ok(claimed)
    }

    fn heartbeat(
        &self,
        lease: Lease,
        duration: Duration,
        phase: Option<&str>,
        estimate: Option<Duration>,
    ) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.heartbeat(lease, duration, phase, estimate)
    }

    fn finish_all(&self, results: &[(Lease, &Outcome)]) -> Result<Vec<bool>, StoreError> {
        if let Err(e) = self.write() {
            self.refused_results.fetch_add(1, Ordering::SeqCst);
            return Err(e);
        }
        self.inner.finish_all(results)
    }

    fn release(&self, lease: Lease) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.release(lease)
    }

    fn status_in(&self, scope: Scope, id: JobId) -> Result<Option<JobStatus>, StoreError> {
        self.inner.status_in(scope, id)
    }

    fn receipt_in(&self, scope: Scope, id: JobId) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        self.inner.receipt_in(scope, id)
    }

    fn input_in(&self, scope: Scope, id: JobId) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.input_in(scope, id)
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        self.inner.counts()
    }

    fn create_key(&self, key: &NewKey) -> Result<ApiKey, StoreError> {
        self.write()?;
        self.inner.create_key(key)
    }

    fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.inner.keys()
    }

    fn key_by_hash(&self, hash: &KeyHash) -> Result<Option<ApiKey>, StoreError> {
        self.inner.key_by_hash(hash)
    }

    fn revoke_key(&self, name: &str) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.revoke_key(name)
    }

    fn has_keys(&self) -> Result<bool, StoreError> {
        self.inner.has_keys()
    }
}
