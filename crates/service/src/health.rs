//! What the service knows of its store's writes, for `/healthz` and for the workers: a store
//! that answers reads but cannot write (a full disk) must not look healthy.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use l2x_jobs::StoreError;

/// The state of the store's writes, as the API and the workers last saw them.
#[derive(Debug, Default)]
pub struct StoreHealth {
    failing: Mutex<Option<Failing>>,
}

#[derive(Debug, Clone)]
struct Failing {
    since: Instant,
    error: String,
}

/// The store's writes are failing: since how long, and the last error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritesFailing {
    /// How long writes have failed (since the first failure after the last success).
    pub lasting: Duration,
    /// The last write's error.
    pub error: String,
}

impl StoreHealth {
    /// Records a write's result: a success clears a failure, a store error starts or continues
    /// one. A refusal that is no failure of the store (an idempotency key reused) changes
    /// nothing. Returns the result unchanged.
    pub fn record<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        match &result {
            Ok(_) => self.wrote(),
            Err(StoreError::KeyReused(_)) => {}
            Err(error) => self.failed(error),
        }
        result
    }

    /// As [`record`](Self::record), for a write that may find nothing to change (a claim with
    /// no job queued, a heartbeat for a lease already given back): such an answer wrote
    /// nothing, so it says nothing of the store's writes and leaves a failure standing. (An
    /// idle worker's empty claims cleared a full disk's failure within a poll otherwise.)
    pub fn record_if_wrote<T>(
        &self,
        result: Result<T, StoreError>,
        wrote: impl FnOnce(&T) -> bool,
    ) -> Result<T, StoreError> {
        match &result {
            Ok(value) if !wrote(value) => result,
            _ => self.record(result),
        }
    }

    /// A write succeeded.
    pub fn wrote(&self) {
        let mut failing = self.lock();
        if let Some(was) = failing.take() {
            tracing::info!(
                after_seconds = was.since.elapsed().as_secs_f64(),
                "the job store takes writes again"
            );
        }
    }

    /// A write failed with `error`.
    pub fn failed(&self, error: &dyn std::fmt::Display) {
        let mut failing = self.lock();
        let error = error.to_string();
        match failing.as_mut() {
            Some(f) => f.error = error,
            None => {
                tracing::error!(%error, "the job store cannot write");
                *failing = Some(Failing {
                    since: Instant::now(),
                    error,
                });
            }
        }
    }

    /// `Some` while the store's writes fail.
    pub fn failing(&self) -> Option<WritesFailing> {
        self.lock().as_ref().map(|f| WritesFailing {
            lasting: f.since.elapsed(),
            error: f.error.clone(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Failing>> {
        self.failing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_lasts_until_a_write_succeeds() {
        let health = StoreHealth::default();
        assert_eq!(health.failing(), None);
        let full = || Err::<(), _>(StoreError::Corrupt("disk full".into()));
        let _ = health.record(full());
        let _ = health.record(Err::<(), _>(StoreError::KeyReused("k".into())));
        assert!(health.failing().unwrap().error.contains("disk full"));
        let _ = health.record(Ok(()));
        assert_eq!(health.failing(), None);
    }

    #[test]
    fn an_answer_that_wrote_nothing_leaves_a_failure_standing() {
        let health = StoreHealth::default();
        let full = || Err::<Option<u32>, _>(StoreError::Corrupt("disk full".into()));
        let _ = health.record_if_wrote(full(), Option::is_some);
        let _ = health.record_if_wrote(Ok(None::<u32>), Option::is_some);
        assert!(health.failing().is_some(), "an empty claim wrote nothing");
        let _ = health.record_if_wrote(Ok(Some(1)), Option::is_some);
        assert_eq!(health.failing(), None);
    }
}
