//! The performance lab: measures closures with real statistics, keeps baselines, flags
//! regressions, checks targets and writes reports (JSON, CSV, Markdown, HTML with charts).
//!
//! It knows nothing of proofs: the suites that measure l2-executor live with the CLI and hand
//! the lab [`Case`]s. A run is [`run()`] over cases; its [`Report`] is compared with a baseline by
//! [`compare()`](compare::compare) and checked against [`Targets`].

pub mod compare;
pub mod env;
pub mod format;
pub mod html;
pub mod measure;
pub mod report;
pub mod run;
pub mod stats;
pub mod targets;

pub use compare::{Comparison, Verdict, compare};
pub use env::Environment;
pub use format::Extras;
pub use measure::{Config, Samples, time, time_pair};
pub use report::{Measurement, Metric, Reference, Report, Spec};
pub use run::{Case, CaseError, Event, Outcome, run};
pub use stats::Summary;
pub use targets::{Check, Status, Targets};
