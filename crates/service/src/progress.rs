//! Each job's prover phase, for its status.
//!
//! A worker opens a [`JOB_SPAN`] around each job it proves, with a process-unique `watch`
//! number. [`JobPhases`], a `tracing` layer, sees every span the prover opens inside it, names
//! its phase with [`l2x_executor::progress::phase`] (the names the CLI's spinner shows), and
//! keeps the latest phase of each watched job here; the worker's heartbeat writes a changed
//! phase to the store with the lease renewal, where `GET /v1/jobs/{id}` reads it.
//!
//! The layer is installed by the process that serves (`l2x serve`, `l2x worker`); without it
//! the phase stays `proving` from claim to finish.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The span a worker opens around each job it proves; its field `watch` is a number unique in
/// the process, under which [`JobPhases`] keeps the job's latest phase.
pub const JOB_SPAN: &str = "job";

/// Watched jobs by watch number, each with its phase not yet told to the store (the store
/// keeps the told one); an entry lives from [`watch`] to [`forget`].
static WATCHED: LazyLock<Mutex<HashMap<u64, Option<String>>>> = LazyLock::new(Mutex::default);
static NEXT: AtomicU64 = AtomicU64::new(1);
/// Whether any job was ever watched in this process: until then (every command but `serve` and
/// `worker`) the layer returns at once, so a batch of tiny jobs pays nothing for it.
static ACTIVE: AtomicBool = AtomicBool::new(false);

fn watched() -> MutexGuard<'static, HashMap<u64, Option<String>>> {
    WATCHED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts watching a job: the number to give its [`JOB_SPAN`] as field `watch`.
pub(crate) fn watch() -> u64 {
    ACTIVE.store(true, Ordering::Relaxed);
    let watch = NEXT.fetch_add(1, Ordering::Relaxed);
    watched().insert(watch, None);
    watch
}

/// The job's phase if it changed since the last call.
pub(crate) fn take(watch: u64) -> Option<String> {
    watched().get_mut(&watch)?.take()
}

/// Stops watching a job.
pub(crate) fn forget(watch: u64) {
    watched().remove(&watch);
}

/// Records `phase` for a watched job; phases of jobs no longer (or never) watched are dropped,
/// so that the map holds only the jobs in hand.
fn record(watch: u64, phase: String) {
    if let Some(untold) = watched().get_mut(&watch) {
        *untold = Some(phase);
    }
}

/// The `tracing` layer that names the phase of the spans opened inside a worker's job span.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobPhases;

/// A job span's watch number, kept in the span's extensions.
#[derive(Debug, Clone, Copy)]
struct Watch(u64);

impl Visit for Watch {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "watch" {
            self.0 = value;
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S> Layer<S> for JobPhases
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !ACTIVE.load(Ordering::Relaxed) {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        if attrs.metadata().name() == JOB_SPAN {
            let mut watch = Watch(0);
            attrs.record(&mut watch);
            span.extensions_mut().insert(watch);
            return;
        }
        let job = span
            .scope()
            .skip(1)
            .find_map(|ancestor| ancestor.extensions().get::<Watch>().copied());
        if let Some(Watch(watch)) = job
            && let Some(phase) = l2x_executor::progress::phase(attrs)
        {
            record(watch, phase);
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    fn watching<T>(f: impl FnOnce() -> T) -> T {
        let subscriber = tracing_subscriber::registry().with(JobPhases);
        tracing::subscriber::with_default(subscriber, f)
    }

    #[test]
    fn a_span_inside_a_job_sets_that_jobs_phase_once() {
        let (a, b) = (watch(), watch());
        watching(|| {
            let _job = tracing::info_span!("job", watch = a).entered();
            let _execute = tracing::info_span!("execute").entered();
            let _segment = tracing::info_span!("prove segment", k = 2u64, n = 3u64).entered();
        });
        assert_eq!(take(a).as_deref(), Some("prove segment 2 of 3 (zkVM)"));
        assert_eq!(take(a), None, "told once");
        assert_eq!(take(b), None, "another job's phase is its own");
        forget(a);
        forget(b);
    }

    #[test]
    fn spans_outside_a_job_or_without_a_phase_set_nothing() {
        let a = watch();
        watching(|| {
            let _loose = tracing::info_span!("witness").entered();
            let _job = tracing::info_span!("job", watch = a).entered();
            let _unnamed = tracing::info_span!("evaluate matrix").entered();
        });
        assert_eq!(take(a), None);
        forget(a);
    }

    #[test]
    fn a_forgotten_job_is_not_recorded() {
        let a = watch();
        forget(a);
        watching(|| {
            let _job = tracing::info_span!("job", watch = a).entered();
            let _quotient = tracing::info_span!("compute quotient").entered();
        });
        assert_eq!(take(a), None);
        assert!(!watched().contains_key(&a));
    }
}
