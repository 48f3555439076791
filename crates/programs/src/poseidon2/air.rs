//! The constraints of the Poseidon2 chain table: Plonky3's Poseidon2 AIR (`p3-poseidon2-air`,
//! every round of the permutation) on each lane, the chain within a row, the chain from row to
//! row as a local LogUp argument (no constraint reads the next row, so the prover opens the
//! table at one point only), and the output row.

use std::iter;

use l2x_air::Val;
use l2x_air::columns::SubBuilder;
use l2x_air::count::{Bit, Multiplicity, lookup, lookup_local};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::columns::{
    DIGEST, INDEX, INVERSE, IS_OUTPUT, LANES, LAST, LAST_BLOCK, LIMB_BITS, NUM_PUBLIC_VALUES,
    OUTPUT, PERMUTATION, SEND, SEND_INDEX, WIDTH, lane, limb,
};
use super::pad::PAD_BUS;
use super::{Permutation, permutation_air};
use crate::range::BUS12;

/// The Poseidon2 chain table: block k = LANES·i + l, in lane l of row i, computes
/// h_{k+1} = Poseidon2(h_k ‖ m_k)[0..8].
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
        write!(
            f,
            "Poseidon2ChainAir(KoalaBear, width 16, x^3, 4+20+4 rounds, {LANES} per row)"
        )
    }
}

impl BaseAir<Val> for Poseidon2ChainAir {
    fn width(&self) -> usize {
        WIDTH
    }

    fn num_public_values(&self) -> usize {
        NUM_PUBLIC_VALUES
    }

    /// No constraint reads the next row: the chain between rows is a lookup.
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }

    fn max_constraint_degree(&self) -> Option<usize> {
        BaseAir::<Val>::max_constraint_degree(&self.permutation)
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for Poseidon2ChainAir {
    fn eval(&self, builder: &mut AB) {
        // Every round of each lane's permutation, from its inputs to its output columns.
        for l in 0..LANES {
            self.permutation.eval(&mut SubBuilder::new(
                builder,
                lane(l)..lane(l) + PERMUTATION,
            ));
        }

        let main = builder.main();
        let local = main.current_slice();
        let public = builder.public_values();
        let digest: [AB::Expr; DIGEST] = std::array::from_fn(|k| public[k].into());
        let output_row: AB::Expr = public[DIGEST].into();
        let select: [AB::Expr; LANES] = std::array::from_fn(|l| public[DIGEST + 1 + l].into());
        let (index, last, is_output) = (local[INDEX], local[LAST], local[IS_OUTPUT]);
        let output = |l: usize, k: usize| local[lane(l) + OUTPUT + k];

        // Within a row: each lane's chaining input is the previous lane's output.
        for l in 1..LANES {
            for k in 0..DIGEST {
                builder.assert_eq(local[lane(l) + k], output(l - 1, k));
            }
        }

        // Between rows: row i receives (i, its first chaining input) and sends (i + 1, its last
        // output); the last row sends (0, 0…0) instead, which only the row of index 0 with a
        // zero chaining value can receive. The rows' indices are then 0, 1, …, each once, and
        // each row continues the one before. LAST is a bit, 0 on every row but the last and 1
        // on the last (both also follow from the lookup: a chain cannot end at its own start
        // plus a multiple; the constraints make it plain).
        let last = Bit::new(builder, last).expr();
        builder.when_transition().assert_zero(last.clone());
        builder.when_last_row().assert_one(last.clone());
        let not_last = AB::Expr::ONE - last;
        builder.assert_eq(
            local[SEND_INDEX],
            not_last.clone() * (index + AB::Expr::ONE),
        );
        for k in 0..DIGEST {
            builder.assert_eq(local[SEND + k], not_last.clone() * output(LANES - 1, k));
        }
        let received = iter::once(index.into())
            .chain(local[..DIGEST].iter().map(|&h| h.into()))
            .collect();
        let sent = iter::once(local[SEND_INDEX].into())
            .chain(local[SEND..SEND + DIGEST].iter().map(|&h| h.into()))
            .collect();
        lookup_local(
            builder,
            [
                (received, Multiplicity::constant(-1)),
                (sent, Multiplicity::constant(1)),
            ],
        );

        // The output row (public, from the claim) is flagged: there (i − row)·inverse = 1 − flag
        // forces the flag to 1. The flag is a bit, so elsewhere (i − row ≠ 0) it is 0 once the
        // inverse is right, and 1 nowhere else: the indices are distinct.
        let is_output = Bit::new(builder, is_output);
        let flag = is_output.expr();
        let offset = index.into() - output_row;
        builder.assert_eq(offset * local[INVERSE], AB::Expr::ONE - flag.clone());
        // On a flagged row, the selected lane (the last block's, public) outputs the digest,
        // and its message block is the one looked up in the padding table.
        for (k, value) in digest.into_iter().enumerate() {
            let out: AB::Expr = (0..LANES).map(|l| select[l].clone() * output(l, k)).sum();
            builder.when(flag.clone()).assert_eq(out, value);
            let block: AB::Expr = (0..LANES)
                .map(|l| select[l].clone() * local[lane(l) + DIGEST + k].into())
                .sum();
            builder
                .when(flag.clone())
                .assert_eq(local[LAST_BLOCK + k], block);
        }
        lookup(
            builder,
            &PAD_BUS,
            (0..DIGEST).map(|k| local[LAST_BLOCK + k]),
            is_output.count(),
        );

        // Every message element is three bytes: its two 12-bit halves are in the range table.
        let base = AB::Expr::from_u32(1 << LIMB_BITS);
        for l in 0..LANES {
            for k in 0..DIGEST {
                let (lo, hi) = (local[limb(l, k, 0)], local[limb(l, k, 1)]);
                builder.assert_eq(local[lane(l) + DIGEST + k], lo.into() + base.clone() * hi);
                lookup(builder, &BUS12, [lo], Multiplicity::constant(1));
                lookup(builder, &BUS12, [hi], Multiplicity::constant(1));
            }
        }
    }
}
