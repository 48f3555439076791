//! Witness generation for the Poseidon2 chain table: the permutations' inputs in chain order,
//! every round by `p3-poseidon2-air`, then the bookkeeping columns.

use l2x_air::Val;
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::{
    GenericPoseidon2LinearLayersKoalaBear, KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
    KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16, default_koalabear_poseidon2_16,
};
use p3_matrix::dense::RowMajorMatrix;

use super::columns::{
    DIGEST, LANES, LAST_BLOCK, LIMB, LIMB_BITS, OUTPUT, PERMUTATION, STATE, WIDTH, lane,
};
use super::{Digest, SBOX_DEGREE, SBOX_REGISTERS, compress, constants};
use crate::range::RangeCounter;

/// The inputs of `count` chained permutations over `blocks` (then zero blocks), starting from
/// h_0 = 0, and the chaining value after the last block (the digest).
pub fn chain(blocks: &[Digest], count: usize) -> (Vec<[Val; STATE]>, Digest) {
    let perm = default_koalabear_poseidon2_16();
    let mut inputs = Vec::with_capacity(count);
    let (mut h, mut digest) = ([Val::ZERO; DIGEST], [Val::ZERO; DIGEST]);
    for i in 0..count {
        let m = blocks.get(i).copied().unwrap_or([Val::ZERO; DIGEST]);
        let mut state = [Val::ZERO; STATE];
        state[..DIGEST].copy_from_slice(&h);
        state[DIGEST..].copy_from_slice(&m);
        inputs.push(state);
        h = compress(&perm, &h, &m);
        if i + 1 == blocks.len() {
            digest = h;
        }
    }
    (inputs, digest)
}

/// The table for permutations of `inputs` ([`LANES`] per row, a power-of-two number of rows),
/// whose block `blocks − 1` is the last. Any inputs: tests pass chains that break on purpose.
pub fn generate(inputs: Vec<[Val; STATE]>, blocks: usize) -> RowMajorMatrix<Val> {
    let rows = inputs.len() / LANES;
    let output_row = (blocks - 1) / LANES;
    let output_lane = (blocks - 1) % LANES;
    let permutations = rounds(inputs);
    let mut values = Vec::with_capacity(rows * WIDTH);
    for (i, row) in permutations
        .values
        .chunks_exact(LANES * PERMUTATION)
        .enumerate()
    {
        values.extend_from_slice(row);
        let last = i + 1 == rows;
        values.extend([
            Val::from_usize(i),
            Val::from_bool(last),
            Val::from_usize(if last { 0 } else { i + 1 }),
        ]);
        let output = &row[lane(LANES - 1) + OUTPUT..][..DIGEST];
        if last {
            values.extend([Val::ZERO; DIGEST]);
        } else {
            values.extend_from_slice(output);
        }
        let offset = Val::from_usize(i) - Val::from_usize(output_row);
        values.extend([
            Val::from_bool(i == output_row),
            offset.try_inverse().unwrap_or(Val::ZERO),
        ]);
        for l in 0..LANES {
            for &m in &row[lane(l) + DIGEST..lane(l) + STATE] {
                let m = m.as_canonical_u32();
                let low = (1 << LIMB_BITS) - 1;
                values.extend([Val::from_u32(m & low), Val::from_u32(m >> LIMB_BITS)]);
            }
        }
        let block = &row[lane(output_lane) + DIGEST..lane(output_lane) + STATE];
        if i == output_row {
            values.extend_from_slice(block);
        } else {
            values.extend([Val::ZERO; DIGEST]);
        }
    }
    RowMajorMatrix::new(values, WIDTH)
}

/// The 12-bit range table for the chain table `chain`: how often each value is one of its
/// message elements' halves. (A forged half of 2^12 or more is not counted: its lookup fails.)
pub fn range(chain: &RowMajorMatrix<Val>) -> RowMajorMatrix<Val> {
    let mut counter = RangeCounter::new(LIMB_BITS);
    for row in chain.values.chunks_exact(WIDTH) {
        for &half in &row[LIMB..LAST_BLOCK] {
            if let Ok(half) = u16::try_from(half.as_canonical_u32())
                && half < 1 << LIMB_BITS
            {
                counter.add(half);
            }
        }
    }
    counter.into_trace()
}

/// `p3-poseidon2-air`'s rows for permutations of `inputs` (a power-of-two count): every round's
/// state, on all cores.
pub fn rounds(inputs: Vec<[Val; STATE]>) -> RowMajorMatrix<Val> {
    rounds_with_room(inputs, 0)
}

/// [`rounds`] in a vector whose capacity is `2^extra_capacity_bits` times its length, so that a
/// caller can widen the rows in place (reserved, not touched: no memory is used until written).
pub fn rounds_with_room(
    inputs: Vec<[Val; STATE]>,
    extra_capacity_bits: usize,
) -> RowMajorMatrix<Val> {
    tracing::info_span!("poseidon2 rounds").in_scope(|| {
        p3_poseidon2_air::generate_trace_rows::<
            Val,
            GenericPoseidon2LinearLayersKoalaBear,
            STATE,
            SBOX_DEGREE,
            SBOX_REGISTERS,
            KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
            KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16,
        >(inputs, &constants(), extra_capacity_bits)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_symmetric::Permutation;

    /// The AIR's witness (p3-poseidon2-air's generic rounds) against p3-koala-bear's permutation.
    #[test]
    fn every_row_outputs_the_permutation_of_its_inputs() {
        let perm = default_koalabear_poseidon2_16();
        let inputs: Vec<[Val; STATE]> = (0..8u32)
            .map(|r| std::array::from_fn(|j| Val::from_u32(r.wrapping_mul(0x9e37_79b9) ^ j as u32)))
            .collect();
        let trace = generate(inputs.clone(), 8);
        let lanes = trace
            .values
            .chunks_exact(WIDTH)
            .flat_map(|row| (0..LANES).map(move |l| &row[lane(l)..lane(l) + PERMUTATION]));
        for (columns, input) in lanes.zip(inputs) {
            assert_eq!(columns[..STATE], input);
            assert_eq!(columns[OUTPUT..OUTPUT + STATE], perm.permute(input));
        }
    }
}
