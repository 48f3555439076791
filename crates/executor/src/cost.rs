//! The cost model: per (backend, program), a running estimate of nanoseconds per step, updated
//! from every measured job.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use l2x_core::{BackendId, ProgramId};

/// Weight of a new measurement in the running estimate.
const SMOOTHING: f64 = 0.25;

/// Running ns-per-step estimates.
#[derive(Debug, Default)]
pub struct CostModel {
    ns_per_step: RwLock<HashMap<(BackendId, ProgramId), f64>>,
}

impl CostModel {
    /// Folds one measured job into the estimate for its backend and program.
    pub fn record(&self, backend: BackendId, program: &ProgramId, steps: u64, elapsed: Duration) {
        let sample = elapsed.as_nanos() as f64 / steps.max(1) as f64;
        let Ok(mut map) = self.ns_per_step.write() else {
            return;
        };
        map.entry((backend, program.clone()))
            .and_modify(|e| *e += SMOOTHING * (sample - *e))
            .or_insert(sample);
    }

    /// The estimated time of a job of `steps` steps, if this pair was ever measured.
    pub fn estimate(
        &self,
        backend: BackendId,
        program: &ProgramId,
        steps: u64,
    ) -> Option<Duration> {
        let map = self.ns_per_step.read().ok()?;
        let ns = map.get(&(backend, program.clone()))?;
        Some(Duration::from_nanos((ns * steps as f64) as u64))
    }

    /// The current estimate in nanoseconds per step.
    pub fn ns_per_step(&self, backend: BackendId, program: &ProgramId) -> Option<f64> {
        self.ns_per_step
            .read()
            .ok()?
            .get(&(backend, program.clone()))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_follow_measurements() {
        let model = CostModel::default();
        let fib = ProgramId::from_static("fibonacci");
        assert!(model.estimate(BackendId::Trace, &fib, 10).is_none());
        model.record(BackendId::Trace, &fib, 1000, Duration::from_micros(1));
        assert_eq!(
            model.estimate(BackendId::Trace, &fib, 2000),
            Some(Duration::from_micros(2))
        );
        model.record(BackendId::Trace, &fib, 1000, Duration::from_micros(5));
        assert_eq!(model.ns_per_step(BackendId::Trace, &fib), Some(2.0));
        assert!(model.estimate(BackendId::Stark, &fib, 10).is_none());
    }
}
