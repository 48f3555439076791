//! The prover's progress, as phases a user reads.
//!
//! Backends do not report progress through a callback: they open `tracing` spans as they go
//! (ours: `witness`, `preprocess`, `encode`, `execute`, `prove segment`; Plonky3's: commitment,
//! quotient, opening, FRI, queries). A display — the CLI's spinner, the service's job status —
//! installs a layer that passes each new span to [`phase`] and shows what it returns. The names
//! are matched here, once, so that every display agrees.

use tracing::field::{Field, Visit};
use tracing::span::Attributes;

/// The span the `risc0` backend opens as each segment starts proving, with fields `k` (from 1)
/// and `n` (the number of segments).
pub const SEGMENT_SPAN: &str = "prove segment";

/// The phase a span with this name starts, for names that need none of the span's fields
/// (ours, and Plonky3 0.8's info-level spans).
pub fn phase_of(span: &str) -> Option<&'static str> {
    Some(match span {
        "witness" => "witness",
        "preprocess" => "preprocess",
        "prove_batch" | "infer log of constraint degree" => "commit",
        "randomize polys" => "randomize (zk)",
        "compute quotient" => "quotient",
        "compute_inverse_denominators" => "open",
        "FRI prover" | "commit phase" => "FRI",
        "query phase" => "queries",
        "encode" => "encode",
        "execute" => "execute (zkVM)",
        _ => return None,
    })
}

/// The phase a new span starts, or `None` for a span that starts none: [`phase_of`] its name,
/// or "prove segment k of n (zkVM)" for a [`SEGMENT_SPAN`].
pub fn phase(attrs: &Attributes<'_>) -> Option<String> {
    let name = attrs.metadata().name();
    if name == SEGMENT_SPAN {
        let mut count = SegmentCount::default();
        attrs.record(&mut count);
        return Some(count.phase());
    }
    phase_of(name).map(str::to_owned)
}

/// The fields of a [`SEGMENT_SPAN`].
#[derive(Debug, Default)]
struct SegmentCount {
    k: u64,
    n: u64,
}

impl SegmentCount {
    fn phase(&self) -> String {
        format!("prove segment {} of {} (zkVM)", self.k, self.n)
    }
}

impl Visit for SegmentCount {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "k" => self.k = value,
            "n" => self.n = value,
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, value.unsigned_abs());
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}
