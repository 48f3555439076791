//! Retrying a store that fails: waits that double up to a ceiling, and logs that say when the
//! failures start, every so often while they last, and when they end (not a line per retry).

use std::time::{Duration, Instant};

/// The longest wait between retries.
const CEILING: Duration = Duration::from_secs(5);

/// While failures last, how often a line says so.
const LOG_EVERY: Duration = Duration::from_secs(30);

/// The state of one retried operation.
#[derive(Debug)]
pub(super) struct Backoff {
    first: Duration,
    delay: Duration,
    failing: Option<Failing>,
}

#[derive(Debug)]
struct Failing {
    since: Instant,
    logged: Instant,
    retries: u64,
}

impl Backoff {
    /// Waits start at `first` (at least 1 ms).
    pub(super) fn new(first: Duration) -> Self {
        let first = first.max(Duration::from_millis(1));
        Self {
            first,
            delay: first,
            failing: None,
        }
    }

    /// The wait before the next retry.
    pub(super) fn delay(&self) -> Duration {
        self.delay
    }

    /// An attempt failed: the next wait doubles; the first failure is logged, then one line
    /// every [`LOG_EVERY`].
    pub(super) fn failed(&mut self, error: &dyn std::fmt::Display, what: &str) {
        match &mut self.failing {
            None => {
                tracing::warn!(%error, "{what}");
                let now = Instant::now();
                self.failing = Some(Failing {
                    since: now,
                    logged: now,
                    retries: 0,
                });
            }
            Some(f) => {
                f.retries += 1;
                self.delay = (self.delay * 2).min(CEILING);
                if f.logged.elapsed() >= LOG_EVERY {
                    f.logged = Instant::now();
                    tracing::warn!(
                        %error,
                        retries = f.retries,
                        failing_seconds = f.since.elapsed().as_secs_f64(),
                        "{what} (still failing)"
                    );
                }
            }
        }
    }

    /// An attempt succeeded: waits start over; the end of a failure is logged.
    pub(super) fn succeeded(&mut self, what: &str) {
        self.delay = self.first;
        if let Some(f) = self.failing.take() {
            tracing::info!(
                retries = f.retries,
                failing_seconds = f.since.elapsed().as_secs_f64(),
                "{what}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_to_the_ceiling_and_start_over_after_a_success() {
        let mut backoff = Backoff::new(Duration::from_millis(50));
        let mut waits = vec![];
        for _ in 0..10 {
            backoff.failed(&"disk full", "storing");
            waits.push(backoff.delay().as_millis());
        }
        assert_eq!(
            waits,
            [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]
        );
        assert!(backoff.failing.is_some());
        backoff.succeeded("stored");
        assert_eq!(backoff.delay(), Duration::from_millis(50));
        assert!(backoff.failing.is_none());
    }
}
