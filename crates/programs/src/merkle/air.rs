//! The constraints of the Merkle path table. Each family is tested by a forged witness in
//! `crates/stark/tests/merkle.rs`.

use l2x_air::Val;
use l2x_air::count::{Bit, lookup};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::columns::*;
use crate::poseidon2::bus::BUS;
use crate::poseidon2::columns::DIGEST;

/// The Merkle path table: one row per level, from the leaf up to the root.
#[derive(Debug, Clone, Copy)]
pub struct MerklePathAir;

/// Rows of the table: the deepest path.
pub const LOG_HEIGHT: usize = 5;

impl BaseAir<Val> for MerklePathAir {
    fn width(&self) -> usize {
        WIDTH
    }

    fn num_public_values(&self) -> usize {
        NUM_PUBLIC_VALUES
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for MerklePathAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let public: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let col = |c: usize| -> AB::Expr { local[c].into() };
        let nxt = |c: usize| -> AB::Expr { next[c].into() };

        // Start: the leaf at level 0, nothing counted yet beyond this row's own bit.
        let mut first = builder.when_first_row();
        for j in 0..DIGEST {
            first.assert_eq(col(NODE + j), public[PUBLIC_LEAF + j].clone());
        }
        first.assert_zero(col(LEVEL));
        first.assert_eq(col(SEEN), col(IS_LAST));
        first.assert_zero(col(HIGH));
        first.assert_one(col(WEIGHT));
        first.assert_eq(col(ACC_LO), col(WEIGHTED_BIT));
        first.assert_zero(col(ACC_HI));

        // Every row: the bit orders node and sibling. IS_LAST is a bit by its own constraint
        // (it is also pinned indirectly: a non-zero IS_LAST must sit on the row whose level is
        // depth − 1, and SEEN, which sums it, ends at 1).
        Bit::new(builder, col(IS_LAST));
        builder.assert_bool(col(BIT));
        builder.assert_eq(col(WEIGHTED_BIT), col(BIT) * col(WEIGHT));
        for j in 0..DIGEST {
            let (node, sibling) = (col(NODE + j), col(SIBLING + j));
            builder.assert_eq(
                col(LEFT + j),
                node.clone() + col(BIT) * (sibling.clone() - node.clone()),
            );
            builder.assert_eq(
                col(RIGHT + j),
                sibling.clone() + col(BIT) * (node - sibling),
            );
        }

        // Levels count up; the index is read in two 16-bit halves, switching at level 16.
        let step = nxt(HIGH) - col(HIGH);
        let mut transition = builder.when_transition();
        transition.assert_eq(nxt(LEVEL), col(LEVEL) + AB::Expr::ONE);
        transition.assert_eq(nxt(SEEN), col(SEEN) + nxt(IS_LAST));
        transition.assert_zero(step.clone() * (nxt(LEVEL) - AB::Expr::from_u32(16)));
        transition.assert_eq(
            nxt(WEIGHT),
            col(WEIGHT) * AB::Expr::TWO * (AB::Expr::ONE - step.clone()) + step,
        );
        transition.assert_eq(
            nxt(ACC_LO),
            col(ACC_LO) + nxt(WEIGHTED_BIT) * (AB::Expr::ONE - nxt(HIGH)),
        );
        transition.assert_eq(nxt(ACC_HI), col(ACC_HI) + nxt(WEIGHTED_BIT) * nxt(HIGH));

        // Chain: below the last level, the parent is the next level's node.
        let mut chain = builder.when_transition();
        let below_last = AB::Expr::ONE - col(SEEN);
        for j in 0..DIGEST {
            chain.assert_zero(below_last.clone() * (nxt(NODE + j) - col(PARENT + j)));
        }

        // The last level: its parent is the root, the levels are the depth, the index is the
        // bits read (so it is below 2^depth), the half reached is the depth's.
        let mut last = builder.when(col(IS_LAST));
        for j in 0..DIGEST {
            last.assert_eq(col(PARENT + j), public[PUBLIC_ROOT + j].clone());
        }
        last.assert_eq(col(LEVEL) + AB::Expr::ONE, public[PUBLIC_DEPTH].clone());
        last.assert_eq(col(ACC_LO), public[PUBLIC_INDEX_LO].clone());
        last.assert_eq(col(ACC_HI), public[PUBLIC_INDEX_HI].clone());
        last.assert_eq(col(HIGH), public[PUBLIC_HIGH_END].clone());
        builder.when_last_row().assert_one(col(SEEN));

        // Each level up to the last looks its compression up on the Poseidon2 bus. The count,
        // 1 − SEEN + IS_LAST, is asserted a bit itself: it is 1 up to the last level, 0 after.
        let active = Bit::new(builder, AB::Expr::ONE - col(SEEN) + col(IS_LAST));
        let message: Vec<AB::Expr> = (LEFT..LEFT + 2 * DIGEST)
            .chain(PARENT..PARENT + DIGEST)
            .map(col)
            .collect();
        lookup(builder, &BUS, message, active.count());
    }
}
