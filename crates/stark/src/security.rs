//! The conjectured security level of one proof, computed from that proof's shape.
//!
//! A STARK's soundness error is not a property of the FRI parameters alone: the AIR's
//! constraint count and degree, the trace heights, the number of committed columns batched into
//! the low-degree test and the LogUp lookups all add error terms, and most of them grow with the
//! trace. This module computes every term for the tables a claim implies, with Plonky3 0.8's
//! estimator (`p3-security`'s `conjectured_security_report`: the random-words regime of
//! ePrint 2025/2010 §1.5), adds the terms that estimator leaves to its caller, and reports the
//! minimum together with the term that binds.
//!
//! How a batch of tables is charged:
//! - **FRI** (query phase, commit-phase folding) at the tallest committed table, where its error
//!   is largest; every table sits in the same low-degree test.
//! - **AIR composition** over the constraints of all tables together (one challenge combines
//!   them, so the errors add).
//! - **DEEP-ALI** per table at that table's height, summed (one out-of-domain point serves all
//!   tables: a union bound).
//! - **Batched openings** over every committed column of every table (one challenge combines
//!   them into the low-degree test).
//! - **LogUp** fingerprint `N·(W + 2)/|EF|` with `N` the interactions of all tables times their
//!   heights and `W` the widest message (ePrint 2022/1530; the term `p3-security` leaves to the
//!   protocol).
//! - The **collision resistance** of the Merkle hash caps everything.
//!
//! **Grinding is sized per proof.** Plonky3 can put a proof of work before four of these
//! challenges (the FRI folding rounds, the batching challenge, the lookup challenges and the
//! out-of-domain point). [`Grinding::for_shape`] grinds each site just enough to lift its term to
//! [`TARGET_BITS`], so small proofs pay nothing and large ones pay a few milliseconds. The
//! prover and the verifier both derive the grinding from the claim, never from the proof.

use p3_air::BaseAir;
use p3_air::symbolic::AirLayout;
use p3_batch_stark::symbolic::get_symbolic_constraints;
use p3_lookup::{LogUpGadget, Lookup};
use p3_security::fri::FriRegime;
use p3_security::logup::{LOGUP_LABEL, LogUpAir, fingerprint_error};
use p3_security::report::{DEEP_LABEL, LDT_COMMIT_LABEL};
use p3_security::{ErrorBits, GrindingSites, InstanceShape, SecurityTerm, StarkAirParams};
use p3_uni_stark::OpeningShape;
use serde::Serialize;

use l2x_air::{ProgramAir, Val};

use crate::config::{
    CHALLENGE_FIELD_BITS, Challenge, HASH_COLLISION_BITS, LOG_FINAL_POLY_LEN, MAX_LOG_ARITY,
    QUERY_POW_BITS,
};

/// The level grinding lifts every grindable term to, in bits.
pub const TARGET_BITS: f64 = 112.0;

/// The lowest level a proof may have: the backends refuse to prove, and the verifiers to
/// accept, a claim whose proof would fall below it.
pub const MIN_BITS: f64 = 100.0;

/// The most proof-of-work bits one site grinds (2^20 hashes, tens of milliseconds).
pub const MAX_GRINDING_BITS: usize = 20;

/// The name of the estimator, for reports.
pub const ESTIMATOR: &str = "Plonky3 0.8 conjectured (p3-security, random-words regime of \
     ePrint 2025/2010), with the LogUp fingerprint term and a union over tables";

const BATCH_LABEL: &str = p3_security::report::BATCH_LABEL;

/// Proof-of-work bits at each site where Plonky3 grinds, for one proof.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Grinding {
    /// Bits per FRI commit-phase (folding) round.
    pub commit: usize,
    /// Bits before the challenge that batches the opened columns.
    pub batch: usize,
    /// Bits before the LogUp challenges.
    pub lookup: usize,
    /// Bits before the out-of-domain (DEEP) point.
    pub out_of_domain: usize,
}

/// What the soundness bound needs to know of one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableShape {
    /// log2 of the committed height (including the hiding mode's doubling).
    pub log_height: usize,
    /// Constraints, lookup constraints included.
    pub constraints: usize,
    /// The highest constraint degree.
    pub max_degree: usize,
    /// Quotient chunks committed.
    pub quotient_chunks: usize,
    /// Columns (and points) this table adds to the batched opening.
    pub batched_openings: usize,
    /// LogUp messages per row (denominators), over all buses.
    pub interactions: usize,
    /// The widest LogUp message.
    pub max_message_width: usize,
}

impl TableShape {
    /// The shape of `air` at committed height `2^log_height`, proven with `lookups` (as packed
    /// by the prover), `zk` is 1 in the hiding mode.
    pub(crate) fn of(
        air: &ProgramAir,
        log_height: usize,
        zk: usize,
        lookups: &[Lookup<Val>],
        openings: OpeningShape,
    ) -> Self {
        let gadget = LogUpGadget::new();
        let layout = AirLayout::from_air::<Val>(air);
        let (base, ext) =
            get_symbolic_constraints::<Val, Challenge, _, _>(air, layout, lookups, &gadget);
        // One symbolic evaluation serves both the degree and the quotient's size, as
        // `get_log_num_quotient_chunks` computes it (our AIRs have no periodic columns): the
        // larger of the constraints' degree and the AIR's hint, plus the hiding mode's one.
        let max_degree = base
            .iter()
            .map(|c| c.degree_multiple())
            .chain(ext.iter().map(|c| c.degree_multiple()))
            .max()
            .unwrap_or(0);
        let hinted = max_degree.max(BaseAir::<Val>::max_constraint_degree(air).unwrap_or(0));
        let log_chunks = ((hinted + zk).max(2) - 1)
            .next_power_of_two()
            .trailing_zeros() as usize;
        let quotient_chunks = 1 << (log_chunks + zk);
        let width = <ProgramAir as BaseAir<Val>>::width(air);
        let main_next = !<ProgramAir as BaseAir<Val>>::main_next_row_columns(air).is_empty();
        let batched_openings = p3_batch_stark::num_batched_openings(
            width,
            main_next,
            0,
            false,
            quotient_chunks,
            lookups.len(),
            4,
            openings,
        );
        Self {
            log_height,
            constraints: base.len() + ext.len(),
            max_degree,
            quotient_chunks,
            batched_openings,
            interactions: lookups.iter().map(|l| l.elements.len()).sum(),
            max_message_width: lookups
                .iter()
                .flat_map(|l| l.elements.iter().map(Vec::len))
                .max()
                .unwrap_or(0),
        }
    }
}

/// The FRI parameters of a configuration, as the estimator sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FriShape {
    /// log2 of the blowup.
    pub log_blowup: usize,
    /// Queries.
    pub num_queries: usize,
}

/// One term of the soundness error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Term {
    /// Plonky3's label (`ldt-query-phase`, `logup-fingerprint`, …).
    pub label: &'static str,
    /// −log2 of the term's error probability, grinding included.
    pub bits: f64,
}

/// The conjectured security level of one proof and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProofSecurity {
    /// The level: the smallest term, in bits. A conjecture, not a proven bound.
    pub bits: f64,
    /// The label of the term that binds.
    pub binding: &'static str,
    /// Every term.
    pub terms: Vec<Term>,
    /// The grinding this proof does.
    pub grinding: Grinding,
    /// log2 of the tallest committed table.
    pub max_log_height: usize,
}

impl ProofSecurity {
    /// The level of a proof of `tables` (their shapes) under `fri`, grinding as
    /// [`Grinding::for_shape`] decides.
    pub fn of(fri: FriShape, tables: &[TableShape]) -> Self {
        Self::with_grinding(fri, tables, Grinding::for_shape(fri, tables))
    }

    /// The level of a proof of `tables` under `fri` that grinds `grinding`.
    pub fn with_grinding(fri: FriShape, tables: &[TableShape], grinding: Grinding) -> Self {
        let terms = terms(fri, tables, grinding);
        let binding = terms
            .iter()
            .copied()
            .min_by(|a, b| a.bits.total_cmp(&b.bits))
            .unwrap_or(Term {
                label: "none",
                bits: 0.0,
            });
        Self {
            bits: binding.bits,
            binding: binding.label,
            terms,
            grinding,
            max_log_height: tables.iter().map(|t| t.log_height).max().unwrap_or(0),
        }
    }

    /// The level rounded down to a tenth of a bit, for people.
    pub fn display_bits(&self) -> f64 {
        (self.bits * 10.0).floor() / 10.0
    }
}

impl Grinding {
    /// Just enough grinding at each site to lift its term to [`TARGET_BITS`], at most
    /// [`MAX_GRINDING_BITS`] per site.
    pub fn for_shape(fri: FriShape, tables: &[TableShape]) -> Self {
        let ungrounded = terms(fri, tables, Grinding::default());
        let needed = |label: &str| {
            ungrounded
                .iter()
                .filter(|t| t.label == label)
                .map(|t| (TARGET_BITS - t.bits).ceil().max(0.0) as usize)
                .max()
                .unwrap_or(0)
                .min(MAX_GRINDING_BITS)
        };
        Self {
            commit: needed(LDT_COMMIT_LABEL),
            batch: needed(BATCH_LABEL),
            lookup: needed(LOGUP_LABEL),
            out_of_domain: needed(DEEP_LABEL),
        }
    }
}

/// Every term of a proof of `tables` under `fri` with `grinding`.
fn terms(fri: FriShape, tables: &[TableShape], grinding: Grinding) -> Vec<Term> {
    let max_log_height = tables.iter().map(|t| t.log_height).max().unwrap_or(0);
    let regime = FriRegime {
        log_blowup: fri.log_blowup,
        num_queries: fri.num_queries,
        log_final_poly_len: LOG_FINAL_POLY_LEN,
        max_log_arity: MAX_LOG_ARITY,
        commit_pow_bits: grinding.commit,
        query_pow_bits: QUERY_POW_BITS,
    };
    let air = StarkAirParams {
        num_constraints: tables.iter().map(|t| t.constraints).sum(),
        max_constraint_degree: tables.iter().map(|t| t.max_degree).max().unwrap_or(1),
        num_quotient_chunks: tables.iter().map(|t| t.quotient_chunks).max().unwrap_or(1),
        max_combo: 2,
    };
    let shape = instance(
        max_log_height,
        tables.iter().map(|t| t.batched_openings).sum(),
    );
    let sites = GrindingSites {
        out_of_domain: grinding.out_of_domain,
        batch_combination: grinding.batch,
        lookup_challenge: grinding.lookup,
    };
    let extras: Vec<SecurityTerm> = logup(tables, grinding.lookup).into_iter().collect();
    let report =
        p3_security::stark::conjectured_security_report(&regime, &air, &shape, &extras, &sites);
    let deep = deep_union(tables, grinding.out_of_domain);
    report
        .terms()
        .iter()
        .map(|t| Term {
            label: t.label,
            bits: if t.label == DEEP_LABEL {
                deep.bits()
            } else {
                t.bits.bits()
            },
        })
        .collect()
}

fn instance(log_trace_length: usize, num_batched_functions: usize) -> InstanceShape {
    InstanceShape {
        log_trace_length,
        modulus_bits: CHALLENGE_FIELD_BITS,
        collision_resistance: HASH_COLLISION_BITS,
        num_batched_functions,
    }
}

/// DEEP-ALI per table at its own height, summed over the tables, then boosted by grinding.
fn deep_union(tables: &[TableShape], pow_bits: usize) -> ErrorBits {
    let errors: Vec<ErrorBits> = tables
        .iter()
        .map(|t| {
            let air = StarkAirParams {
                num_constraints: t.constraints,
                max_constraint_degree: t.max_degree,
                num_quotient_chunks: t.quotient_chunks,
                max_combo: 2,
            };
            p3_security::deep::deep_ali_error(&air, &instance(t.log_height, 1), 1.0)
        })
        .collect();
    p3_security::grinding::boost(ErrorBits::sum(&errors), pow_bits)
}

/// The LogUp fingerprint term over all tables' interactions (none without lookups).
fn logup(tables: &[TableShape], pow_bits: usize) -> Option<SecurityTerm> {
    let width = tables.iter().map(|t| t.max_message_width).max()?;
    let errors: Vec<ErrorBits> = tables
        .iter()
        .filter(|t| t.interactions > 0)
        .map(|t| {
            let air = LogUpAir {
                num_interactions: t.interactions,
                max_message_width: width,
            };
            fingerprint_error(&air, &instance(t.log_height, 1))
        })
        .collect();
    (!errors.is_empty()).then(|| {
        SecurityTerm::new(
            LOGUP_LABEL,
            p3_security::grinding::boost(ErrorBits::sum(&errors), pow_bits),
        )
    })
}

#[cfg(test)]
mod tests {
    use l2x_air::AirProgram;
    use l2x_programs::{Fibonacci, Sha256};
    use p3_air::symbolic::AirLayout;
    use p3_batch_stark::symbolic::get_log_num_quotient_chunks;
    use p3_lookup::{LogUpGadget, Lookups};

    use super::*;

    /// The quotient size computed from one symbolic evaluation is Plonky3's own.
    #[test]
    fn quotient_chunks_match_plonky3() {
        for program in [&Fibonacci as &dyn AirProgram, &Sha256] {
            for pv in program.stark_extremes() {
                for table in program.tables(&pv, 7).unwrap() {
                    let lookups = Lookups::<Val>::from_air::<Challenge, _>(&table.air);
                    for zk in [0, 1] {
                        let h = table.log_height + zk;
                        let shape =
                            TableShape::of(&table.air, h, zk, &lookups, OpeningShape::new());
                        let log = get_log_num_quotient_chunks::<Val, Challenge, _, _>(
                            &table.air,
                            AirLayout::from_air::<Val>(&table.air),
                            1 << table.log_height,
                            &lookups,
                            zk,
                            &LogUpGadget::new(),
                        );
                        assert_eq!(shape.quotient_chunks, 1 << (log + zk), "{:?}", table.air);
                    }
                }
            }
        }
    }
}
