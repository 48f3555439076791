//! The finisher: stores the workers' results, every result waiting in one transaction, while
//! the workers go on to their next jobs. A result the store cannot take (a full disk) is kept
//! and stored again with backoff, its lease still renewed and no attempt counted; the workers
//! claim nothing meanwhile.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

use l2x_jobs::{Lease, Outcome, StoreError};

use super::{Backoff, Shared};

/// The most results the finisher stores in one transaction.
const MOST_PER_COMMIT: usize = 64;

/// Once the workers have stopped, how many more times results the store refuses are retried
/// before they are given up (their jobs run again when the store is back).
const RETRIES_AT_STOP: u32 = 10;

/// A proven (or failed) job on its way to the store.
#[derive(Debug)]
pub(super) struct Finished {
    pub(super) lease: Lease,
    pub(super) outcome: Outcome,
}

impl Shared {
    /// The finisher: stores the results as they come, all those waiting in one transaction,
    /// and keeps retrying those the store refused, until every worker has stopped.
    pub(super) fn finish(&self, results: &Receiver<Finished>) {
        let mut pending: Vec<Finished> = Vec::new();
        let mut backoff = Backoff::new(self.config.poll);
        let mut stopped = false;
        let mut retries_left = RETRIES_AT_STOP;
        loop {
            let next = if pending.is_empty() {
                results.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else if stopped {
                std::thread::sleep(backoff.delay());
                Err(RecvTimeoutError::Timeout)
            } else {
                results.recv_timeout(backoff.delay())
            };
            match next {
                Ok(first) => pending.push(first),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) if pending.is_empty() => return,
                Err(RecvTimeoutError::Disconnected) => stopped = true,
            }
            while pending.len() < MOST_PER_COMMIT {
                match results.try_recv() {
                    Ok(more) => pending.push(more),
                    Err(_) => break,
                }
            }
            pending = self.store_results(pending, &mut backoff);
            self.unstored.store(pending.len(), Ordering::SeqCst);
            if pending.is_empty() {
                self.wake.notify();
            } else if stopped {
                retries_left = retries_left.saturating_sub(1);
                if retries_left == 0 {
                    self.give_up(pending);
                    return;
                }
            }
        }
    }

    /// Stores results under their leases (one transaction; one by one if that fails, so that
    /// one bad result cannot hold back the others), lets the stored ones' leases go, and
    /// returns those the store could not take.
    pub(super) fn store_results(
        &self,
        batch: Vec<Finished>,
        backoff: &mut Backoff,
    ) -> Vec<Finished> {
        let start = Instant::now();
        let stored = self.try_store(&batch);
        self.tally.commits.fetch_add(1, Ordering::Relaxed);
        self.tally.finishing.add(start.elapsed());
        let mut unstored = Vec::new();
        let mut last_error = None;
        for (finished, stored) in batch.into_iter().zip(stored) {
            let _job = tracing::info_span!("finish", id = finished.lease.job).entered();
            let label = match stored {
                Ok(true) if matches!(finished.outcome, Outcome::Done { .. }) => "done",
                Ok(true) => "failed",
                Ok(false) => {
                    tracing::warn!("the lease was lost; the result is discarded");
                    "discarded"
                }
                Err(error) => {
                    last_error = Some(error);
                    unstored.push(finished);
                    continue;
                }
            };
            self.metrics.finished.with_label_values(&[label]).inc();
            self.hold().remove(&finished.lease);
        }
        match last_error {
            // `try_store` has told the store's health already.
            Some(error) => {
                backoff.failed(&error, "cannot store results; keeping them and retrying")
            }
            None => backoff.succeeded("results are stored again"),
        }
        unstored
    }

    /// The store's answer per result: one transaction, or one by one if that fails.
    fn try_store(&self, batch: &[Finished]) -> Vec<Result<bool, StoreError>> {
        let pairs: Vec<(Lease, &Outcome)> = batch.iter().map(|f| (f.lease, &f.outcome)).collect();
        match self.health.record(self.store.finish_all(&pairs)) {
            Ok(stored) => stored.into_iter().map(Ok).collect(),
            Err(_) if pairs.len() > 1 => pairs
                .iter()
                .map(|(l, o)| self.health.record(self.store.finish(*l, o)))
                .collect(),
            Err(error) => vec![Err(error)],
        }
    }

    /// Results still refused after the workers stopped: their jobs run again once the store is
    /// back (their leases run out; the embedded store re-queues them when it opens).
    fn give_up(&self, pending: Vec<Finished>) {
        for finished in pending {
            tracing::error!(
                job = finished.lease.job,
                "the store refused the result until shutdown; the job will run again"
            );
            self.metrics.finished.with_label_values(&["unstored"]).inc();
            self.hold().remove(&finished.lease);
        }
    }
}
