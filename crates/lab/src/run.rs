//! Running a plan of benchmarks, with progress events.

use crate::env::Environment;
use crate::measure::{Config, Samples};
use crate::report::{Measurement, Metric, REPORT_FORMAT, Report, Spec};

/// What a benchmark's body hands back: timings, other numbers, or both.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Timings, if timed.
    pub samples: Option<Samples>,
    /// Other numbers.
    pub metrics: Vec<Metric>,
}

impl Outcome {
    /// Timings only.
    pub fn timed(samples: Samples) -> Self {
        Self {
            samples: Some(samples),
            metrics: vec![],
        }
    }

    /// Adds a metric.
    pub fn with(mut self, metric: Metric) -> Self {
        self.metrics.push(metric);
        self
    }
}

type Body<'a> = Box<dyn FnOnce(&Config) -> Result<Outcome, String> + 'a>;

/// One benchmark of a plan: its spec and the body that sets it up and measures it.
pub struct Case<'a> {
    /// What it measures.
    pub spec: Spec,
    body: Body<'a>,
}

impl<'a> Case<'a> {
    /// A benchmark whose body builds its own fixtures (untimed) and returns what it measured.
    pub fn new(spec: Spec, body: impl FnOnce(&Config) -> Result<Outcome, String> + 'a) -> Self {
        Self {
            spec,
            body: Box::new(body),
        }
    }
}

/// Progress of a run.
#[derive(Debug, Clone, Copy)]
pub enum Event<'e> {
    /// Benchmark `index` (of `total`) starts.
    Start {
        /// Its position, from 0.
        index: usize,
        /// Benchmarks in the plan.
        total: usize,
        /// Its id.
        id: &'e str,
    },
    /// Benchmark `index` is done; its measurement is the last of `done`.
    Done {
        /// Its position, from 0.
        index: usize,
        /// Benchmarks in the plan.
        total: usize,
        /// Every measurement so far, in plan order (references of later ones among them).
        done: &'e [Measurement],
    },
}

/// A benchmark whose body failed.
#[derive(Debug, thiserror::Error)]
#[error("benchmark {id} failed: {message}")]
pub struct CaseError {
    /// The benchmark.
    pub id: String,
    /// What went wrong.
    pub message: String,
}

/// Runs every case in order and gathers a report.
pub fn run(
    cases: Vec<Case<'_>>,
    config: &Config,
    command: &str,
    mut progress: impl FnMut(Event<'_>),
) -> Result<Report, CaseError> {
    let environment = Environment::capture();
    let total = cases.len();
    let mut measurements = Vec::with_capacity(total);
    for (index, case) in cases.into_iter().enumerate() {
        progress(Event::Start {
            index,
            total,
            id: &case.spec.id,
        });
        let outcome = (case.body)(config).map_err(|message| CaseError {
            id: case.spec.id.clone(),
            message,
        })?;
        measurements.push(Measurement::new(
            case.spec,
            outcome.samples,
            outcome.metrics,
        ));
        progress(Event::Done {
            index,
            total,
            done: &measurements,
        });
    }
    Ok(Report {
        format: REPORT_FORMAT,
        environment,
        command: command.into(),
        quick: config.quick,
        measurements,
    })
}
