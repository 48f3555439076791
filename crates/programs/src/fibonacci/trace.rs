//! Witness generation for the Fibonacci table and its range-check table.

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use super::columns::{A, B, CARRY, INDEX, IS_OUTPUT, LIMBS, OUTPUTS_SEEN, WIDTH};
use crate::range::RangeCounter;
use l2x_air::Val;

/// The 16-bit limbs of `x`, least significant first.
pub fn limbs(x: u64) -> [u16; LIMBS] {
    std::array::from_fn(|j| (x >> (16 * j)) as u16)
}

/// The Fibonacci table for F(n) with `1 << log_height` rows, and the range table counting the
/// lookups of its B limbs. Rows past n keep computing the sequence, so every transition holds.
pub fn generate(n: u64, log_height: usize) -> [RowMajorMatrix<Val>; 2] {
    let rows = 1usize << log_height;
    let mut values = Val::zero_vec(rows * WIDTH);
    let mut range = RangeCounter::default();
    let (mut a, mut b) = (0u64, 1u64);
    for (i, row) in values.chunks_exact_mut(WIDTH).enumerate() {
        let (a_limbs, b_limbs) = (limbs(a), limbs(b));
        let mut carry = 0u32;
        for j in 0..LIMBS {
            row[A + j] = Val::from_u16(a_limbs[j]);
            row[B + j] = Val::from_u16(b_limbs[j]);
            range.add(b_limbs[j]);
            carry = (a_limbs[j] as u32 + b_limbs[j] as u32 + carry) >> 16;
            row[CARRY + j] = Val::from_u32(carry);
        }
        row[INDEX] = Val::from_usize(i);
        row[IS_OUTPUT] = Val::from_bool(i as u64 == n);
        row[OUTPUTS_SEEN] = Val::from_bool(i as u64 >= n);
        (a, b) = (b, a.wrapping_add(b));
    }
    [RowMajorMatrix::new(values, WIDTH), range.into_trace()]
}
