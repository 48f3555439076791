//! Logs on stderr, and the prover's phase on the spinner.
//!
//! Three layers share one `tracing` registry. The log layer prints events (and, with `-v` or
//! `RUST_LOG`, the time of every closed span) to stderr, without ANSI colour unless stderr is a
//! terminal and `NO_COLOR` is unset. The phase layer is enabled only while a spinner watches a
//! proof: it sees the prover's spans (ours: `witness`, `preprocess`, `encode`; Plonky3's:
//! commitment, quotient, opening, FRI, queries; RISC Zero's segments) and names the phase on the
//! spinner, as [`l2x_executor::progress`] names it. A third layer, the service's
//! [`JobPhases`](l2x_service::progress::JobPhases), keeps the phase of each job a worker proves.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use l2x_executor::progress;
use tracing::span;
use tracing_subscriber::filter::{EnvFilter, LevelFilter, filter_fn};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// Installs the subscriber: `RUST_LOG` when set (with span times), else `-v`'s level.
pub fn init(verbose: u8) {
    let from_env = std::env::var_os("RUST_LOG").is_some_and(|v| !v.is_empty());
    let level = match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = if from_env {
        EnvFilter::builder()
            .with_default_directive(level.into())
            .from_env_lossy()
    } else {
        EnvFilter::default().add_directive(level.into())
    };
    let spans = if verbose >= 1 || from_env {
        FmtSpan::CLOSE
    } else {
        FmtSpan::NONE
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let logs = tracing_subscriber::fmt::layer()
        .with_span_events(spans)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .with_filter(filter);
    let phases = PhaseLayer.with_filter(filter_fn(|meta| {
        WATCHING.load(Ordering::Relaxed) && meta.is_span() && *meta.level() <= tracing::Level::INFO
    }));
    // The service's workers keep each job's phase for its status (`l2x serve`, `l2x worker`).
    let jobs = l2x_service::progress::JobPhases.with_filter(filter_fn(|meta| {
        meta.is_span() && *meta.level() <= tracing::Level::INFO
    }));
    // A second initialisation (tests calling `main` twice) keeps the first subscriber.
    let _ = Registry::default()
        .with(logs)
        .with(phases)
        .with(jobs)
        .try_init();
}

/// Whether a spinner is watching; the phase layer's filter reads it on every span.
static WATCHING: AtomicBool = AtomicBool::new(false);
/// The spinner that shows the phase.
static SPINNER: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

/// Shows the prover's phases on `spinner` until the returned guard is dropped.
pub fn watch_phases(spinner: &indicatif::ProgressBar) -> PhaseGuard {
    if !spinner.is_hidden() {
        *SPINNER.lock().unwrap_or_else(|e| e.into_inner()) = Some(spinner.clone());
        WATCHING.store(true, Ordering::Relaxed);
    }
    PhaseGuard
}

/// Stops [`watch_phases`] when dropped.
#[must_use]
pub struct PhaseGuard;

impl Drop for PhaseGuard {
    fn drop(&mut self) {
        WATCHING.store(false, Ordering::Relaxed);
        *SPINNER.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Sets the spinner's message to the phase of each new span that starts one.
struct PhaseLayer;

impl<S: tracing::Subscriber> Layer<S> for PhaseLayer {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, _: &span::Id, _: Context<'_, S>) {
        let Some(phase) = progress::phase(attrs) else {
            return;
        };
        if let Some(spinner) = SPINNER.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            spinner.set_message(phase);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The phases a plain STARK proof goes through, in order.
    const PROVER_PHASES: [&str; 8] = [
        "witness",
        "preprocess",
        "commit",
        "quotient",
        "open",
        "FRI",
        "queries",
        "encode",
    ];

    #[test]
    fn prover_spans_map_to_phases_in_order() {
        let spans = [
            "witness",
            "preprocess",
            "prove_batch",
            "compute quotient",
            "compute_inverse_denominators",
            "commit phase",
            "query phase",
            "encode",
        ];
        let phases: Vec<_> = spans.iter().filter_map(|s| progress::phase_of(s)).collect();
        assert_eq!(phases, PROVER_PHASES);
        assert_eq!(progress::phase_of("evaluate matrix"), None);
    }

    /// Records the name of every span at info level or above.
    struct Names(std::sync::Arc<Mutex<Vec<&'static str>>>);

    impl<S: tracing::Subscriber> Layer<S> for Names {
        fn on_new_span(&self, attrs: &span::Attributes<'_>, _: &span::Id, _: Context<'_, S>) {
            self.0
                .lock()
                .expect("not poisoned")
                .push(attrs.metadata().name());
        }
    }

    #[test]
    fn a_real_stark_proof_passes_through_every_named_phase_in_order() {
        let names = std::sync::Arc::new(Mutex::new(Vec::new()));
        let subscriber =
            Registry::default().with(Names(names.clone()).with_filter(LevelFilter::INFO));
        let executor = l2x_executor::Executor::builder()
            .backend(l2x_core::BackendId::Stark)
            .threads(1)
            .build()
            .expect("executor");
        tracing::subscriber::with_default(subscriber, || {
            executor.prove("sha256", b"abc").expect("proves");
        });
        let mut phases: Vec<&str> = Vec::new();
        for name in names.lock().expect("not poisoned").iter() {
            if let Some(phase) = progress::phase_of(name)
                && phases.last() != Some(&phase)
            {
                phases.push(phase);
            }
        }
        assert_eq!(
            phases,
            PROVER_PHASES,
            "Plonky3's span names changed? spans seen: {:?}",
            names.lock().expect("not poisoned")
        );
    }

    #[test]
    fn a_hidden_spinner_is_never_watched() {
        let guard = watch_phases(&indicatif::ProgressBar::hidden());
        assert!(!WATCHING.load(Ordering::Relaxed));
        drop(guard);
    }
}
