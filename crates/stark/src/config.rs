//! The one STARK configuration of l2-executor, and its security level.
//!
//! - Field: KoalaBear (p = 2^31 − 2^24 + 1); challenges in its degree-4 extension (~124 bits).
//! - Commitments: Merkle trees over Poseidon2 (width-24 sponge for leaves, width-16 truncated
//!   permutation for nodes), 8-element (~248-bit) digests; Fiat–Shamir by a Poseidon2 duplex
//!   challenger.
//! - Low-degree test: FRI with blowup 2 (`log_blowup` 1), 100 queries, folding arity up to 8,
//!   a 16-bit proof of work before queries.
//! - Further proof of work (FRI folding rounds, the batching challenge, the LogUp challenges, the
//!   out-of-domain point) sized per proof from its shape: see [`crate::security`].
//!
//! The proofs are not zero-knowledge: FRI openings reveal evaluations of the trace polynomials
//! (see the crate docs). [`config_zk`] is the hiding variant (the `stark-zk` backend): salted
//! Merkle leaves, randomized traces and random codewords in FRI, at blowup 4 with 50 queries.

use l2x_air::config::{
    ChallengeMmcs, Challenger, Compress, Dft, Hash, HidingChallengeMmcs, HidingPcs, HidingValMmcs,
    Pcs, Perm24, ValMmcs,
};
use p3_challenger::CanObserve;
use p3_fri::FriParameters;
use p3_koala_bear::{default_koalabear_poseidon2_16, default_koalabear_poseidon2_24};
use p3_uni_stark::StarkConfig;
use serde::Serialize;

pub use l2x_air::config::{Challenge, Config, SALT_ELEMS, Val, ZkConfig};

use crate::security::{Grinding, MAX_GRINDING_BITS};
use crate::statement::{AirDigest, digest_elements};

/// Random codewords the hiding PCS mixes into the FRI batch.
pub const ZK_RANDOM_CODEWORDS: usize = 4;
/// log2 of the FRI blowup of the hiding configuration: zero knowledge doubles the quotient
/// chunks, which rate 1/2 cannot accommodate at constraint degree 3.
pub const ZK_LOG_BLOWUP: usize = 2;
/// FRI queries of the hiding configuration.
pub const ZK_NUM_QUERIES: usize = 50;

/// log2 of the FRI blowup factor (rate 1/2).
pub const LOG_BLOWUP: usize = 1;
/// FRI queries.
pub const NUM_QUERIES: usize = 100;
/// log2 of the largest FRI folding arity.
pub const MAX_LOG_ARITY: usize = 3;
/// log2 of the final FRI polynomial's length.
pub const LOG_FINAL_POLY_LEN: usize = 0;
/// Proof-of-work bits before the query phase.
pub const QUERY_POW_BITS: usize = 16;
/// Bits of the challenge field (4 × log2 p).
pub const CHALLENGE_FIELD_BITS: usize = 123;
/// Collision resistance of the 8-element Poseidon2 digests, in bits (half of ~248).
pub const HASH_COLLISION_BITS: usize = 124;

fn fri_parameters<M>(
    log_blowup: usize,
    num_queries: usize,
    grinding: Grinding,
    mmcs: M,
) -> FriParameters<M> {
    FriParameters {
        log_blowup,
        log_final_poly_len: LOG_FINAL_POLY_LEN,
        max_log_arity: MAX_LOG_ARITY,
        num_queries,
        batch_proof_of_work_bits: grinding.batch,
        commit_proof_of_work_bits: grinding.commit,
        query_proof_of_work_bits: QUERY_POW_BITS,
        mmcs,
    }
}

fn hash_and_compress() -> (Hash, Compress, Perm24) {
    let perm24 = default_koalabear_poseidon2_24();
    (
        Hash::new(perm24.clone()),
        Compress::new(default_koalabear_poseidon2_16()),
        perm24,
    )
}

/// The Fiat–Shamir challenger every proof of `statement` starts from: it has absorbed the
/// statement's digest before anything else, so every challenge depends on the program's id and
/// tables, and a proof made for one statement fails under any other.
fn challenger(perm24: Perm24, statement: &AirDigest) -> Challenger {
    let mut challenger = Challenger::new(perm24);
    challenger.observe_slice(&digest_elements(statement));
    challenger
}

/// Builds the configuration for proofs of `statement` with a proof's `grinding`; cheap
/// (constants only), so each proof builds its own.
pub fn config(grinding: Grinding, statement: &AirDigest) -> Config {
    let (hash, compress, perm24) = hash_and_compress();
    let val_mmcs = ValMmcs::new(hash, compress, 0);
    let mmcs = ChallengeMmcs::new(val_mmcs.clone());
    let fri = fri_parameters(LOG_BLOWUP, NUM_QUERIES, grinding, mmcs);
    StarkConfig::new(
        Pcs::new(Dft::default(), val_mmcs, fri),
        challenger(perm24, statement),
    )
    .with_ood_proof_of_work_bits(grinding.out_of_domain)
    .with_lookup_proof_of_work_bits(grinding.lookup)
}

/// Builds the hiding configuration for proofs of `statement` with a proof's `grinding`, its
/// salts and masks drawn from a generator seeded by the operating system.
pub fn config_zk(grinding: Grinding, statement: &AirDigest) -> ZkConfig {
    let (hash, compress, perm24) = hash_and_compress();
    let val_mmcs = HidingValMmcs::new(hash, compress, 0, rand::make_rng());
    let mmcs = HidingChallengeMmcs::new(val_mmcs.clone());
    let fri = fri_parameters(ZK_LOG_BLOWUP, ZK_NUM_QUERIES, grinding, mmcs);
    let pcs = HidingPcs::new(
        Dft::default(),
        val_mmcs,
        fri,
        ZK_RANDOM_CODEWORDS,
        rand::make_rng(),
    );
    StarkConfig::new(pcs, challenger(perm24, statement))
        .with_ood_proof_of_work_bits(grinding.out_of_domain)
        .with_lookup_proof_of_work_bits(grinding.lookup)
}

/// The parameters of a configuration, for people and `--json` output. The security level is a
/// property of each proof, not of the configuration: see [`crate::security`].
#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    /// "KoalaBear".
    pub field: &'static str,
    /// Bits of the challenge field.
    pub challenge_field_bits: usize,
    /// The Merkle hash.
    pub hash: &'static str,
    /// log2 of the FRI blowup.
    pub log_blowup: usize,
    /// FRI queries.
    pub num_queries: usize,
    /// log2 of the largest folding arity.
    pub max_log_arity: usize,
    /// Proof-of-work bits before queries.
    pub query_pow_bits: usize,
    /// The most proof-of-work bits any other site grinds (sized per proof).
    pub max_grinding_bits: usize,
    /// Whether proofs hide the witness.
    pub zero_knowledge: bool,
}

/// The parameters of [`config`].
pub fn parameters() -> Parameters {
    parameters_of(LOG_BLOWUP, NUM_QUERIES, false)
}

/// The parameters of [`config_zk`].
pub fn parameters_zk() -> Parameters {
    parameters_of(ZK_LOG_BLOWUP, ZK_NUM_QUERIES, true)
}

fn parameters_of(log_blowup: usize, num_queries: usize, zero_knowledge: bool) -> Parameters {
    Parameters {
        field: "KoalaBear (p = 2^31 - 2^24 + 1), degree-4 extension for challenges",
        challenge_field_bits: CHALLENGE_FIELD_BITS,
        hash: "Poseidon2 (KoalaBear, width 24 sponge / width 16 compression), 8-element digests",
        log_blowup,
        num_queries,
        max_log_arity: MAX_LOG_ARITY,
        query_pow_bits: QUERY_POW_BITS,
        max_grinding_bits: MAX_GRINDING_BITS,
        zero_knowledge,
    }
}
