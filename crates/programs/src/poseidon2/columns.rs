//! The columns of the Poseidon2 chain table. Row i holds [`LANES`] permutations, blocks
//! `LANES·i … LANES·i + LANES − 1` (each lane: its inputs h ‖ m and every round's state, as
//! `p3-poseidon2-air` lays them out), then the bookkeeping that chains the rows and pins the
//! output.

use p3_koala_bear::{KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS, KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16};

/// The permutation's width in field elements.
pub const STATE: usize = 16;
/// Field elements of a digest (and of a message block): the first half of the state.
pub const DIGEST: usize = 8;
/// Columns of `p3-poseidon2-air`'s table for one permutation: the inputs, then each round's
/// state.
pub const PERMUTATION: usize = p3_poseidon2_air::num_cols::<
    STATE,
    { super::SBOX_DEGREE },
    { super::SBOX_REGISTERS },
    KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
    KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16,
>();
/// Permutations per row: the chain's per-row cost (its lookup and bookkeeping) is shared by
/// this many blocks.
pub const LANES: usize = 4;
/// Where a permutation's output (the last full round's state) starts within its lane.
pub const OUTPUT: usize = PERMUTATION - STATE;
/// The first column of lane `lane`.
pub const fn lane(lane: usize) -> usize {
    lane * PERMUTATION
}
/// The row index i.
pub const INDEX: usize = LANES * PERMUTATION;
/// 1 on the last row, 0 elsewhere: the last row sends the chain's start instead of its output.
pub const LAST: usize = INDEX + 1;
/// The index the row sends on the chain: i + 1, or 0 on the last row.
pub const SEND_INDEX: usize = LAST + 1;
/// The chaining value the row sends: the last lane's output, or zeros on the last row.
pub const SEND: usize = SEND_INDEX + 1;
/// 1 on the row that holds the last message block, 0 elsewhere.
pub const IS_OUTPUT: usize = SEND + DIGEST;
/// The inverse of (i − the output row), 0 on that row: what makes [`IS_OUTPUT`] exact.
pub const INVERSE: usize = IS_OUTPUT + 1;
/// The 12-bit halves of every message element: element k of lane l is
/// `LIMB[l][k][0] + 2^12 · LIMB[l][k][1]`, each half looked up in the 12-bit range table, so the
/// element is below 2^24 (three bytes). See [`limb`].
pub const LIMB: usize = INVERSE + 1;
/// Bits of a limb.
pub const LIMB_BITS: usize = 12;
/// The message block of the output row's selected lane (the last block), looked up in the
/// padding table; free on other rows.
pub const LAST_BLOCK: usize = LIMB + 2 * DIGEST * LANES;
/// Columns of the table.
pub const WIDTH: usize = LAST_BLOCK + DIGEST;

/// The column of half `half` (0 low, 1 high) of message element `k` of lane `lane`.
pub const fn limb(lane: usize, k: usize, half: usize) -> usize {
    LIMB + 2 * (lane * DIGEST + k) + half
}

/// Public inputs of the table: the digest, the output row, then a one-hot selector of the lane
/// that holds the last block (all derived from the claim by the verifier).
pub const NUM_PUBLIC_VALUES: usize = DIGEST + 1 + LANES;
