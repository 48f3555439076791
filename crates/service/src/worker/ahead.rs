//! Store calls made beside a proof rather than between proofs: the job's estimate is recorded
//! as it starts, and the next job is claimed a quarter of the estimate before the proof should
//! end (at least [`LEAD_MIN`], at most [`LEAD_MAX`]), so that a worker goes from one job to the
//! next without a round trip to the store.
//!
//! A job claimed ahead waits in its worker's hand for what is left of the proof before it
//! (about the lead when the estimate is right, more when the proof runs late), which matters
//! only when the queue runs dry and another worker could have taken it; a proof that ends
//! before the claim-ahead point claims nothing ahead, and its worker claims as usual. The lead
//! is a share of the estimate because proofs of one shape vary (the proof-of-work searches
//! alone move a STARK proof by tens of milliseconds): a fixed 20 ms lead claimed ahead for only
//! 44–65 of 96 jobs of ~300 ms with two to four workers.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use l2x_jobs::{Claimed, Lease};

use super::Shared;

/// Jobs expected to take at least this long get their estimate recorded for progress reports.
const WATCHED: Duration = Duration::from_millis(100);
/// The shortest lead: several claims' worth on a busy machine (0.3–5 ms measured on two
/// saturated cores); jobs estimated under twice this claim nothing ahead.
const LEAD_MIN: Duration = Duration::from_millis(20);
/// The longest lead: how long a job claimed ahead of a long proof may wait in hand.
const LEAD_MAX: Duration = Duration::from_millis(250);
/// The hold of a job claimed ahead, not yet watched for progress.
const UNWATCHED: u64 = u64::MAX;

impl Shared {
    /// Runs `prove` (a job of lease `lease`, expected to take `estimate`) while a helper thread
    /// records the estimate and claims the next job ahead; returns the proof's value and the job
    /// claimed ahead, if any. Jobs too short for either run `prove` alone.
    pub(super) fn beside<T: Send>(
        &self,
        lease: Lease,
        estimate: Option<Duration>,
        prove: impl FnOnce() -> T,
    ) -> (T, Option<Claimed>) {
        let Some(estimate) = estimate.filter(|e| *e >= 2 * LEAD_MIN) else {
            return (prove(), None);
        };
        let lead = (estimate / 4).clamp(LEAD_MIN, LEAD_MAX);
        std::thread::scope(|scope| {
            let (ended, end) = mpsc::channel::<()>();
            let helper = scope.spawn(move || {
                // The claim set the phase; the estimate (for progress and ETA) is worth a write
                // only for a job long enough to be watched.
                if estimate >= WATCHED {
                    let heartbeat =
                        self.store
                            .heartbeat(lease, self.config.lease, None, Some(estimate));
                    if let Err(error) = heartbeat {
                        tracing::warn!(%error, "cannot record the estimate");
                    }
                }
                match end.recv_timeout(estimate - lead) {
                    Err(RecvTimeoutError::Timeout) if !self.stopping() => self.claim_ahead(),
                    _ => None,
                }
            });
            let value = prove();
            drop(ended);
            // A claim under way is waited for (on the worker's path, as a claim would be).
            (value, helper.join().ok().flatten())
        })
    }

    /// Claims the next job while this one proves; its lease is renewed from now on.
    fn claim_ahead(&self) -> Option<Claimed> {
        let start = Instant::now();
        let claim = self.store.claim(&self.config.name, self.config.lease);
        self.tally.ahead.add(start.elapsed());
        match claim {
            Ok(Some(job)) => {
                self.hold().insert(job.lease, UNWATCHED);
                self.tally.claimed_ahead.fetch_add(1, Ordering::Relaxed);
                Some(job)
            }
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "cannot claim ahead; claiming after the proof");
                None
            }
        }
    }

    /// Puts a job claimed ahead back in the queue (workers stopping), so that it need not wait
    /// for its lease to expire.
    pub(super) fn put_back(&self, lease: Lease) {
        if let Err(error) = self.store.release(lease) {
            tracing::warn!(%error, job = lease.job, "cannot put a job back; it is claimable when its lease expires");
        }
        self.hold().remove(&lease);
    }
}
