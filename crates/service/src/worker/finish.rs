//! The finisher: stores the workers' results, every result waiting in one transaction, while
//! the workers go on to their next jobs.

use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use l2x_jobs::{Lease, Outcome};

use super::Shared;

/// The most results the finisher stores in one transaction.
const MOST_PER_COMMIT: usize = 64;

/// A proven (or failed) job on its way to the store.
#[derive(Debug)]
pub(super) struct Finished {
    pub(super) lease: Lease,
    pub(super) outcome: Outcome,
}

impl Shared {
    /// The finisher: stores the results as they come, all those waiting in one transaction,
    /// until every worker has stopped.
    pub(super) fn finish(&self, results: &Receiver<Finished>) {
        while let Ok(first) = results.recv() {
            let mut batch = vec![first];
            while batch.len() < MOST_PER_COMMIT {
                match results.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            self.store_results(batch);
        }
    }

    /// Stores results under their leases (one transaction; one by one if that fails, so that
    /// one bad result cannot hold back the others), and lets their leases go.
    pub(super) fn store_results(&self, batch: Vec<Finished>) {
        let start = Instant::now();
        let pairs: Vec<(Lease, &Outcome)> = batch.iter().map(|f| (f.lease, &f.outcome)).collect();
        let stored = match self.store.finish_all(&pairs) {
            Ok(stored) => stored.into_iter().map(Ok).collect(),
            Err(error) if pairs.len() > 1 => {
                tracing::warn!(%error, "cannot store {} results at once; one by one", pairs.len());
                pairs
                    .iter()
                    .map(|(l, o)| self.store.finish(*l, o))
                    .collect()
            }
            Err(error) => vec![Err(error)],
        };
        self.tally.commits.fetch_add(1, Ordering::Relaxed);
        self.tally.finishing.add(start.elapsed());
        for (finished, stored) in batch.iter().zip(stored) {
            let _job = tracing::info_span!("finish", id = finished.lease.job).entered();
            let label = match stored {
                Ok(true) if matches!(finished.outcome, Outcome::Done { .. }) => "done",
                Ok(true) => "failed",
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
            self.hold().remove(&finished.lease);
        }
    }
}
