//! Progress of a batch: a counter shared by the threads that prove its jobs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Progress of a batch, reported after each job proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Jobs proven so far.
    pub done: usize,
    /// Jobs to prove in all (after cache hits and duplicates are taken out).
    pub total: usize,
    /// Time since proving started.
    pub elapsed: Duration,
    /// Estimated time left, from the pace so far.
    pub eta: Duration,
}

/// Counts the jobs of a batch as they are proven, on any thread, and reports [`Progress`] to
/// a listener if there is one.
pub(crate) struct Tracker<'a> {
    total: usize,
    done: AtomicUsize,
    start: Instant,
    /// None when nobody listens: workers then skip the shared counter.
    progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

impl<'a> Tracker<'a> {
    /// Counts `total` jobs from now, reporting to `progress` if someone listens.
    pub(crate) fn new(total: usize, progress: Option<&'a (dyn Fn(Progress) + Sync)>) -> Self {
        Self {
            total,
            done: AtomicUsize::new(0),
            start: Instant::now(),
            progress,
        }
    }

    /// Counts one more job proven and tells the listener.
    pub(crate) fn job_done(&self) {
        let Some(progress) = self.progress else {
            return;
        };
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let elapsed = self.start.elapsed();
        let eta = elapsed.mul_f64(self.total.saturating_sub(done) as f64 / done as f64);
        progress(Progress {
            done,
            total: self.total,
            elapsed,
            eta,
        });
    }
}
