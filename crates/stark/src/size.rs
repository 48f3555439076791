//! An upper bound on the encoded size of a proof, known from the claim before decoding.
//!
//! Decoding a seal allocates per element, so a hostile seal of millions of tiny entries would
//! cost many times its own size before it is rejected. The verifier therefore refuses any seal
//! longer than the largest valid proof of the claim's tables could be, before decoding it.
//!
//! The bound counts every value at its longest postcard encoding (5 bytes per field element,
//! 40 per digest, 20 per extension element) and FRI at its worst folding (arity 2, so one
//! round per halving): the batched openings at the out-of-domain point; per query, every
//! committed row with its salt and a Merkle path per commitment, and per folding round the
//! siblings and their path; plus 1 KiB per query and 4 KiB overall for length prefixes, and the
//! statement digest that heads the seal.

use crate::security::{FriShape, TableShape};

const ELEMENT: usize = 5;
const EXTENSION: usize = 4 * ELEMENT;
const DIGEST: usize = 8 * ELEMENT;
/// Salt per opened row of a hiding commitment.
const SALT: usize = crate::config::SALT_ELEMS * ELEMENT;
/// Commitments a batch proof opens per query: main, permutation, quotient, randomization.
const COMMITMENTS: usize = 4;
/// Siblings per folding round at the largest arity (8).
const SIBLINGS: usize = 7;

/// The most bytes a valid proof of tables with these shapes can encode to.
pub fn max_proof_bytes(fri: FriShape, tables: &[TableShape]) -> usize {
    let openings: usize = tables.iter().map(|t| t.batched_openings).sum();
    let log_lde = tables.iter().map(|t| t.log_height).max().unwrap_or(0) + fri.log_blowup;
    let path = (log_lde + 1) * DIGEST;
    let rows = openings * ELEMENT + COMMITMENTS * tables.len() * SALT;
    let folding: usize = (1..=log_lde)
        .map(|level| SIBLINGS * EXTENSION + (level + 1) * DIGEST)
        .sum();
    let per_query = rows + COMMITMENTS * path + folding + 1024;
    let fixed = openings * EXTENSION + log_lde * (DIGEST + ELEMENT) + 4096;
    crate::statement::DIGEST_LEN + fri.num_queries * per_query + fixed
}
