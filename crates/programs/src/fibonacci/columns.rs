//! The columns of the Fibonacci table. Row `i` holds the pair (F(i), F(i + 1)) as 16-bit limbs,
//! least significant first, and the bookkeeping that pins the output row.

/// 16-bit limbs per u64.
pub const LIMBS: usize = 4;
/// F(i), four 16-bit limbs.
pub const A: usize = 0;
/// F(i + 1), four 16-bit limbs; range-checked by lookups into the `range16` table.
pub const B: usize = A + LIMBS;
/// Carry bits of the limb-wise addition A + B that yields the next row's B. The last carry is
/// the bit that u64 wrapping addition drops.
pub const CARRY: usize = B + LIMBS;
/// The row index i.
pub const INDEX: usize = CARRY + LIMBS;
/// 1 on the row that holds F(n) in A (i = n), 0 elsewhere.
pub const IS_OUTPUT: usize = INDEX + 1;
/// How many output flags are set on this row and the rows before it.
pub const OUTPUTS_SEEN: usize = IS_OUTPUT + 1;
/// Columns of the table.
pub const WIDTH: usize = OUTPUTS_SEEN + 1;

/// Public inputs: n, then the four limbs of F(n) mod 2^64.
pub const NUM_PUBLIC_VALUES: usize = 1 + LIMBS;
