//! The constraints of the Poseidon2 chain table: Plonky3's Poseidon2 AIR (`p3-poseidon2-air`,
//! every round of the permutation) on the first columns, the chaining and output bookkeeping
//! on the last three.

use l2x_air::Val;
use l2x_air::columns::SubBuilder;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;

use super::columns::{
    DIGEST, INDEX, IS_OUTPUT, NUM_PUBLIC_VALUES, OUTPUT, PERMUTATION, SEEN, WIDTH,
};
use super::{Permutation, permutation_air};

/// The Poseidon2 chain table: row i computes h_{i+1} = Poseidon2(h_i ‖ m_i)[0..8].
#[derive(Clone)]
pub struct Poseidon2ChainAir {
    permutation: Permutation,
}

impl Poseidon2ChainAir {
    /// The table, with Plonky3's width-16 KoalaBear round constants.
    pub fn new() -> Self {
        Self {
            permutation: permutation_air(),
        }
    }
}

impl Default for Poseidon2ChainAir {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Poseidon2ChainAir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Poseidon2ChainAir(KoalaBear, width 16, x^3, 4+20+4 rounds)")
    }
}

impl BaseAir<Val> for Poseidon2ChainAir {
    fn width(&self) -> usize {
        WIDTH
    }

    fn num_public_values(&self) -> usize {
        NUM_PUBLIC_VALUES
    }

    /// The chaining value and the bookkeeping are read on the next row; the rounds are not.
    fn main_next_row_columns(&self) -> Vec<usize> {
        (0..DIGEST).chain([INDEX, IS_OUTPUT, SEEN]).collect()
    }

    fn max_constraint_degree(&self) -> Option<usize> {
        BaseAir::<Val>::max_constraint_degree(&self.permutation)
    }
}

impl<AB: AirBuilder<F = Val>> Air<AB> for Poseidon2ChainAir
where
    Permutation: for<'a> Air<SubBuilder<'a, AB>>,
{
    fn eval(&self, builder: &mut AB) {
        // Every round of the permutation, from the inputs to the output columns.
        self.permutation
            .eval(&mut SubBuilder::new(builder, 0..PERMUTATION));

        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let (index, is_output, seen) = (local[INDEX], local[IS_OUTPUT], local[SEEN]);
        let (next_index, next_is_output, next_seen) = (next[INDEX], next[IS_OUTPUT], next[SEEN]);
        let public = builder.public_values();
        let blocks: AB::Expr = public[0].into();
        let digest: [AB::Expr; DIGEST] = std::array::from_fn(|j| public[1 + j].into());

        // Start: h_0 = 0 (the first DIGEST inputs), index 0.
        let mut first = builder.when_first_row();
        for &h in &local[..DIGEST] {
            first.assert_zero(h);
        }
        first.assert_zero(index);
        first.assert_eq(seen, is_output);

        // Chain: the next row's chaining input is this row's output.
        let mut transition = builder.when_transition();
        for j in 0..DIGEST {
            transition.assert_eq(next[j], local[OUTPUT + j]);
        }
        transition.assert_eq(next_index, index + AB::Expr::ONE);
        transition.assert_eq(next_seen, seen + next_is_output);

        // Output: the flagged row is block n − 1, and its output is the public digest; the
        // running count of flags ends at 1 (so exactly that row, with flag 1).
        builder
            .when(is_output)
            .assert_eq(index + AB::Expr::ONE, blocks);
        for j in 0..DIGEST {
            builder
                .when(is_output)
                .assert_eq(local[OUTPUT + j], digest[j].clone());
        }
        builder.when_last_row().assert_one(seen);
    }
}
