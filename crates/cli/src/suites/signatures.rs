//! Signatures verified in-proof per second (`signatures`), against the floor of their cost: the
//! batch's Poseidon2 compression table alone, timed in alternation; then each batch's
//! verification time, proof size and the peak RSS of an `l2x prove signatures` process (the
//! same measurement as the `rollup` suite's, [`Proven`]).

use anyhow::Result;
use l2x_lab::Case;
use l2x_programs::signatures::{COMPRESSIONS_PER_SIGNATURE, fixture, input_bytes};

use super::rollup::Proven;

/// Keys signing in a batch.
const KEYS: usize = 16;

/// A batch of `count` statements by [`KEYS`] keys.
fn batch(count: usize) -> Vec<u8> {
    input_bytes(&fixture::batch(count, KEYS, 1))
}

/// Batches of 64, 256 and 1024 signatures (64 in quick runs).
pub fn signatures(quick: bool) -> Result<Vec<Case<'static>>> {
    let sizes: &[usize] = if quick { &[64] } else { &[64, 256, 1024] };
    let proven = Proven {
        group: "signatures",
        program: "signatures",
        unit: "signatures",
        compressions: |n| (n * COMPRESSIONS_PER_SIGNATURE) as u64,
        input: batch,
    };
    Ok(sizes
        .iter()
        .flat_map(|&n| {
            proven.cases(
                n,
                format!("a {n}-signature batch's compression table"),
                format!("{n} signatures verified in a STARK"),
            )
        })
        .collect())
}
