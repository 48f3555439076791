//! Performance targets as code: a TOML file of bounds on benchmarks' numbers, checked against a
//! report.
//!
//! ```toml
//! [[target]]
//! bench = "prove/trace-fibonacci/*"   # a benchmark id; `*` matches any run of characters
//! metric = "median"                   # median | mean | p99 | throughput | ratio | speedup | a metric's name
//! max = "1us"                         # or min; times take ns, us, ms, s; sizes B, KiB, MiB, GiB
//! note = "issue 2"
//! ```
//!
//! `ratio` is the benchmark's median over its reference's (≤ 1.05: adds at most 5%); `speedup`
//! is its inverse (≥ 1.85: that many times faster).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::{Measurement, Report};

/// One bound, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Benchmark id or `*` pattern.
    pub bench: String,
    /// Which number is bounded.
    pub metric: String,
    /// Upper bound.
    pub max: Option<Quantity>,
    /// Lower bound.
    pub min: Option<Quantity>,
    /// Where the target comes from.
    #[serde(default)]
    pub note: String,
}

/// A bound's value: a plain number or a string with a unit (`"1.5ms"`, `"10MiB"`, `"3%"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    /// A plain number, in the metric's base unit (ns for times).
    Number(f64),
    /// A number with a unit.
    Text(String),
}

impl Quantity {
    /// The value in base units (nanoseconds, bytes, plain numbers), or why not.
    pub fn value(&self) -> Result<f64, String> {
        let text = match self {
            Quantity::Number(n) => return Ok(*n),
            Quantity::Text(t) => t.trim(),
        };
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == '+'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: f64 = number
            .parse()
            .map_err(|_| format!("{text:?} does not start with a number"))?;
        let scale = match unit.trim() {
            "" | "x" | "%" | "ns" | "B" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            "GiB" => 1024.0 * 1024.0 * 1024.0,
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            other => return Err(format!("unknown unit {other:?} in {text:?}")),
        };
        Ok(number * scale)
    }
}

/// A targets file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// The bounds.
    #[serde(default)]
    pub target: Vec<Target>,
}

/// A targets file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TargetsError {
    /// Unreadable.
    #[error("cannot read targets file {path}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not TOML of the expected shape.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

impl Targets {
    /// Reads and validates a targets file.
    pub fn load(path: &Path) -> Result<Self, TargetsError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TargetsError::Io {
            path: name.clone(),
            source,
        })?;
        Self::parse(&text).map_err(|message| TargetsError::Parse {
            path: name,
            message,
        })
    }

    /// Parses and validates targets from TOML text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let targets: Targets = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, t) in targets.target.iter().enumerate() {
            let which = format!("target {} ({})", i + 1, t.bench);
            if t.max.is_none() && t.min.is_none() {
                return Err(format!("{which} has neither max nor min"));
            }
            for bound in [&t.max, &t.min].into_iter().flatten() {
                bound.value().map_err(|e| format!("{which}: {e}"))?;
            }
        }
        Ok(targets)
    }

    /// Checks every target against `report`. A target whose pattern matches no benchmark of the
    /// run is reported as not run (suites can be left out), never as a miss.
    pub fn check(&self, report: &Report) -> Vec<Check> {
        let mut checks = vec![];
        for target in &self.target {
            let matched: Vec<&Measurement> = report
                .measurements
                .iter()
                .filter(|m| matches(&target.bench, &m.spec.id))
                .collect();
            if matched.is_empty() {
                checks.push(Check::new(target, target.bench.clone(), None));
            }
            for m in matched {
                checks.push(Check::new(
                    target,
                    m.spec.id.clone(),
                    value(report, m, &target.metric),
                ));
            }
        }
        checks
    }
}

/// The outcome of one target on one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// The benchmark (or the pattern, when nothing matched).
    pub bench: String,
    /// The metric.
    pub metric: String,
    /// The measured value in base units, if the benchmark ran and has that metric.
    pub value: Option<f64>,
    /// Upper bound, base units.
    pub max: Option<f64>,
    /// Lower bound, base units.
    pub min: Option<f64>,
    /// Where the target comes from.
    pub note: String,
    /// The verdict.
    pub status: Status,
}

/// A target's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Within bounds.
    Pass,
    /// Out of bounds.
    Miss,
    /// No benchmark of the run matched, or it lacks the metric.
    NotRun,
}

impl Check {
    fn new(target: &Target, bench: String, value: Option<f64>) -> Self {
        let max = target.max.as_ref().and_then(|q| q.value().ok());
        let min = target.min.as_ref().and_then(|q| q.value().ok());
        let status = match value {
            None => Status::NotRun,
            Some(v) if max.is_some_and(|m| v > m) || min.is_some_and(|m| v < m) => Status::Miss,
            Some(_) => Status::Pass,
        };
        Self {
            bench,
            metric: target.metric.clone(),
            value,
            max,
            min,
            note: target.note.clone(),
            status,
        }
    }
}

/// The value of `metric` for one benchmark, in base units.
fn value(report: &Report, m: &Measurement, metric: &str) -> Option<f64> {
    let summary = m.summary;
    match metric {
        "median" => summary.map(|s| s.median),
        "mean" => summary.map(|s| s.mean),
        "p90" => summary.map(|s| s.p90),
        "p99" => summary.map(|s| s.p99),
        "throughput" => m.throughput_per_second(),
        "ratio" => report.ratio(m).map(|r| r.ratio),
        "speedup" => report.ratio(m).map(|r| r.speedup()),
        name => m.metric(name).map(|x| x.value),
    }
}

/// Whether `id` matches `pattern`, where `*` stands for any run of characters.
pub fn matches(pattern: &str, id: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == id,
        Some((head, rest)) => {
            let Some(tail) = id.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| matches(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_ids() {
        assert!(matches("prove/trace/*", "prove/trace/fibonacci/20"));
        assert!(matches("*/fibonacci/*", "prove/trace/fibonacci/20"));
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exactly"));
        assert!(!matches("prove/*/20", "prove/trace/fibonacci/200"));
        assert!(matches("*", ""));
    }

    #[test]
    fn quantities_take_units() {
        let q = |s: &str| Quantity::Text(s.into()).value();
        assert_eq!(q("1us"), Ok(1000.0));
        assert_eq!(q("1.5 ms"), Ok(1.5e6));
        assert_eq!(q("10MiB"), Ok(10.0 * 1024.0 * 1024.0));
        assert_eq!(q("1.85"), Ok(1.85));
        assert!(q("fast").is_err());
        assert!(q("3 parsecs").is_err());
    }

    #[test]
    fn files_without_bounds_or_with_bad_units_are_refused() {
        assert!(Targets::parse("[[target]]\nbench = \"a\"\nmetric = \"median\"\n").is_err());
        assert!(
            Targets::parse(
                "[[target]]\nbench = \"a\"\nmetric = \"median\"\nmax = \"1 fortnight\"\n"
            )
            .is_err()
        );
        assert!(
            Targets::parse("[[target]]\nbench = \"a\"\nmetrik = \"median\"\nmax = 1\n").is_err()
        );
        let ok = Targets::parse("[[target]]\nbench = \"a/*\"\nmetric = \"speedup\"\nmin = 1.85\n")
            .unwrap();
        assert_eq!(ok.target.len(), 1);
    }
}
