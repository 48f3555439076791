//! The columns of the Poseidon2 chain table. Row i holds one permutation (inputs h_i ‖ m_i and
//! every round's state, as `p3-poseidon2-air` lays them out) and the bookkeeping that pins the
//! output row.

use p3_koala_bear::{KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS, KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16};

/// The permutation's width in field elements.
pub const STATE: usize = 16;
/// Field elements of a digest (and of a message block): the first half of the state.
pub const DIGEST: usize = 8;
/// Columns of `p3-poseidon2-air`'s table: the inputs, then each round's state.
pub const PERMUTATION: usize = p3_poseidon2_air::num_cols::<
    STATE,
    { super::SBOX_DEGREE },
    { super::SBOX_REGISTERS },
    KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
    KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16,
>();
/// The first column of the permutation's output (the last full round's state).
pub const OUTPUT: usize = PERMUTATION - STATE;
/// The row index i.
pub const INDEX: usize = PERMUTATION;
/// 1 on the row of the last message block (i = n − 1), 0 elsewhere.
pub const IS_OUTPUT: usize = INDEX + 1;
/// How many output flags are set on this row and the rows before it.
pub const SEEN: usize = IS_OUTPUT + 1;
/// Columns of the table.
pub const WIDTH: usize = SEEN + 1;

/// Public inputs: the number of blocks n, then the eight digest elements.
pub const NUM_PUBLIC_VALUES: usize = 1 + DIGEST;
