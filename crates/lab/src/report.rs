//! What a run produces: one [`Measurement`] per benchmark, with its environment. The JSON form is
//! lossless (raw samples included) and is the baseline format.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::env::Environment;
use crate::measure::Samples;
use crate::stats::Summary;

/// The JSON format version of [`Report`]; a baseline of another version is refused.
pub const REPORT_FORMAT: u32 = 1;

/// What a benchmark's time is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reference {
    /// Another benchmark of the same run (its id).
    Measured {
        /// The reference benchmark's id.
        bench: String,
    },
    /// A published figure: the earlier prototype's report, say.
    Published {
        /// What the figure is.
        label: String,
        /// Its time per call in nanoseconds.
        ns: f64,
        /// Where it was published.
        source: String,
    },
}

/// Work done per call, to report throughput in the unit that matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Unit of work: `steps`, `bytes`, `proofs`, `blobs`…
    pub unit: String,
    /// Units per call.
    pub per_call: f64,
}

/// A number a benchmark reports beside its time (hit rate, peak memory, imbalance…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Its name, used by targets (`metric = "hit_rate"`).
    pub name: String,
    /// Its value.
    pub value: f64,
    /// Its unit (`%`, `bytes`, `ns`, `x`…).
    pub unit: String,
}

impl Metric {
    /// A metric.
    pub fn new(name: &str, value: f64, unit: &str) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
        }
    }
}

/// What a benchmark is: its id (`suite/group/param`), and how to read its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// Unique id, `suite/…`; targets and baselines match on it.
    pub id: String,
    /// The suite (category) it belongs to.
    pub suite: String,
    /// Benchmarks of one group differ only in `param`; reports chart them against it.
    pub group: String,
    /// The input size of a scaling group (steps, bytes, jobs…), if any.
    pub param: Option<f64>,
    /// One line saying what is measured.
    pub description: String,
    /// Work per call.
    pub throughput: Option<Throughput>,
    /// What its time is compared with.
    pub reference: Option<Reference>,
}

impl Spec {
    /// A benchmark `suite/group` (or `suite/group/param` when a param is given).
    pub fn new(
        suite: &str,
        group: &str,
        param: Option<u64>,
        description: impl Into<String>,
    ) -> Self {
        let id = match param {
            Some(p) => format!("{suite}/{group}/{p}"),
            None => format!("{suite}/{group}"),
        };
        Self {
            id,
            suite: suite.into(),
            group: format!("{suite}/{group}"),
            param: param.map(|p| p as f64),
            description: description.into(),
            throughput: None,
            reference: None,
        }
    }

    /// Reports throughput: `per_call` units of `unit` per call.
    pub fn throughput(mut self, unit: &str, per_call: f64) -> Self {
        self.throughput = Some(Throughput {
            unit: unit.into(),
            per_call,
        });
        self
    }

    /// Compares with another benchmark of the run.
    pub fn against(mut self, bench: impl Into<String>) -> Self {
        self.reference = Some(Reference::Measured {
            bench: bench.into(),
        });
        self
    }

    /// Compares with a published time per call.
    pub fn against_published(mut self, label: &str, ns: f64, source: &str) -> Self {
        self.reference = Some(Reference::Published {
            label: label.into(),
            ns,
            source: source.into(),
        });
        self
    }
}

/// One benchmark's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What was measured.
    pub spec: Spec,
    /// The timings, if it is timed.
    pub samples: Option<Samples>,
    /// Statistics of the timings (nanoseconds per call).
    pub summary: Option<Summary>,
    /// Other numbers it reports.
    pub metrics: Vec<Metric>,
}

impl Measurement {
    /// A measurement from its spec, timings and metrics; the summary is computed here.
    pub fn new(spec: Spec, samples: Option<Samples>, metrics: Vec<Metric>) -> Self {
        let summary = samples.as_ref().and_then(|s| Summary::of(&s.ns));
        Self {
            spec,
            samples,
            summary,
            metrics,
        }
    }

    /// Units of work per second at the median time.
    pub fn throughput_per_second(&self) -> Option<f64> {
        let t = self.spec.throughput.as_ref()?;
        let median = self.summary?.median;
        (median > 0.0).then(|| t.per_call / (median * 1e-9))
    }

    /// A metric by name.
    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

/// A benchmark's median beside its reference's.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// What the reference is.
    pub label: String,
    /// The reference's time per call, nanoseconds.
    pub reference_ns: f64,
    /// This benchmark's median over the reference's (below 1: faster than the reference).
    pub ratio: f64,
}

impl Ratio {
    /// The reference's time over this one's (above 1: that many times faster).
    pub fn speedup(&self) -> f64 {
        1.0 / self.ratio
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_FORMAT`].
    pub format: u32,
    /// Where and when it ran.
    pub environment: Environment,
    /// The command line that produced it.
    pub command: String,
    /// Whether it was a quick (smoke) run.
    pub quick: bool,
    /// Results in the order they ran.
    pub measurements: Vec<Measurement>,
}

/// A report that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a report.
    #[error("{path} is not a benchmark report")]
    Json {
        /// The file.
        path: String,
        /// Why.
        source: serde_json::Error,
    },
    /// The report has another format version.
    #[error("{path} has report format {found}; this build reads format {REPORT_FORMAT}")]
    Format {
        /// The file.
        path: String,
        /// Its version.
        found: u32,
    },
}

/// `m`'s median against its reference, looked up among `measurements` (a finished report's, or
/// those done so far while a run streams its results).
pub fn ratio_among(measurements: &[Measurement], m: &Measurement) -> Option<Ratio> {
    let median = m.summary?.median;
    let (label, reference_ns) = match m.spec.reference.as_ref()? {
        Reference::Measured { bench } => (
            bench.clone(),
            measurements
                .iter()
                .find(|r| &r.spec.id == bench)?
                .summary?
                .median,
        ),
        Reference::Published { label, ns, .. } => (label.clone(), *ns),
    };
    (reference_ns > 0.0).then(|| Ratio {
        label,
        reference_ns,
        ratio: median / reference_ns,
    })
}

impl Report {
    /// A measurement by benchmark id.
    pub fn get(&self, id: &str) -> Option<&Measurement> {
        self.measurements.iter().find(|m| m.spec.id == id)
    }

    /// A benchmark's median against its reference, when both are known.
    pub fn ratio(&self, m: &Measurement) -> Option<Ratio> {
        ratio_among(&self.measurements, m)
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a report (a baseline) from a JSON file.
    pub fn load(path: &Path) -> Result<Self, ReportError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
            path: name.clone(),
            source,
        })?;
        #[derive(Deserialize)]
        struct Version {
            format: u32,
        }
        let version: Version = serde_json::from_str(&text).map_err(|source| ReportError::Json {
            path: name.clone(),
            source,
        })?;
        if version.format != REPORT_FORMAT {
            return Err(ReportError::Format {
                path: name,
                found: version.format,
            });
        }
        serde_json::from_str(&text).map_err(|source| ReportError::Json { path: name, source })
    }
}
