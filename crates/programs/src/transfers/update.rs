//! The update table: each leaf update of a transfer, as 32 rows from the leaf to the root in
//! which the old and the new leaf climb the tree side by side with the same siblings. A group's
//! last row provides `(index lo, index hi, old leaf, new leaf, old root, new root)` on
//! [`UPDATE_BUS`]; every level looks its two compressions up on the Poseidon2 bus. Each
//! constraint family is tested by a forged witness in `crates/stark/tests/transfers.rs`.

use l2x_air::Val;
use l2x_air::count::{Bit, lookup, provide};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::air::UPDATE_BUS;
use super::columns::update::*;
use super::state::DEPTH;
use crate::poseidon2::bus::BUS;
use crate::poseidon2::columns::DIGEST;

/// The update table. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct UpdateAir;

impl BaseAir<Val> for UpdateAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for UpdateAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let col = |c: usize| -> AB::Expr { local[c].into() };
        let nxt = |c: usize| -> AB::Expr { next[c].into() };
        let digest = |c: usize| -> Vec<AB::Expr> { (c..c + DIGEST).map(col).collect() };
        let is_last = col(IS_LAST);
        let within = AB::Expr::ONE - is_last.clone();

        // A group starts at level 0 with the leaves as nodes and nothing of the index read
        // beyond this row's bit: on the first row, and on the row after each group's last.
        let mut first = builder.when_first_row();
        first.assert_zero(col(LEVEL));
        first.assert_zero(col(HIGH));
        first.assert_one(col(WEIGHT));
        first.assert_eq(col(ACC_LO), col(WEIGHTED_BIT));
        first.assert_zero(col(ACC_HI));
        for j in 0..DIGEST {
            first.assert_eq(col(NODE + j), col(LEAF + j));
            first.assert_eq(col(NODE_NEW + j), col(LEAF_NEW + j));
        }
        let transition = builder.is_transition();
        let mut start = builder.when(transition.clone() * is_last.clone());
        start.assert_zero(nxt(HIGH));
        start.assert_one(nxt(WEIGHT));
        start.assert_eq(nxt(ACC_LO), nxt(WEIGHTED_BIT));
        start.assert_zero(nxt(ACC_HI));
        for j in 0..DIGEST {
            start.assert_eq(nxt(NODE + j), nxt(LEAF + j));
            start.assert_eq(nxt(NODE_NEW + j), nxt(LEAF_NEW + j));
        }

        // Levels: 0 to 31 and again, the last flag exactly on level 31, the table ending on
        // one. (Skipping the flag on a level 31 would climb to 32 and never come back to 31
        // within the table, so every group has exactly 32 rows.) The flag is a bit by its own
        // constraint: it gates the group's start and the provided update, and is a factor of
        // the update's multiplicity.
        let is_last_bit = Bit::new(builder, is_last.clone());
        builder.assert_zero(is_last.clone() * (col(LEVEL) - AB::Expr::from_usize(DEPTH - 1)));
        builder
            .when_transition()
            .assert_eq(nxt(LEVEL), (col(LEVEL) + AB::Expr::ONE) * within.clone());
        builder.when_last_row().assert_one(is_last.clone());

        // Within a group: the leaves and the activity are carried, each level's parents are
        // the next level's nodes, the index is read into two 16-bit halves switching at 16.
        let mut inside = builder.when(transition * within.clone());
        for j in 0..DIGEST {
            inside.assert_eq(nxt(LEAF + j), col(LEAF + j));
            inside.assert_eq(nxt(LEAF_NEW + j), col(LEAF_NEW + j));
            inside.assert_eq(nxt(NODE + j), col(PARENT + j));
            inside.assert_eq(nxt(NODE_NEW + j), col(PARENT_NEW + j));
        }
        inside.assert_eq(nxt(ACTIVE), col(ACTIVE));
        let step = nxt(HIGH) - col(HIGH);
        inside.assert_zero(step.clone() * (nxt(LEVEL) - AB::Expr::from_u32(16)));
        inside.assert_eq(
            nxt(WEIGHT),
            col(WEIGHT) * AB::Expr::TWO * (AB::Expr::ONE - step.clone()) + step,
        );
        inside.assert_eq(
            nxt(ACC_LO),
            col(ACC_LO) + nxt(WEIGHTED_BIT) * (AB::Expr::ONE - nxt(HIGH)),
        );
        inside.assert_eq(nxt(ACC_HI), col(ACC_HI) + nxt(WEIGHTED_BIT) * nxt(HIGH));
        // The last level is in the high half: the switch happened, once, at level 16.
        builder.when(is_last.clone()).assert_one(col(HIGH));

        // Every level: the bit orders node and sibling, in both trees alike. ACTIVE counts the
        // level's two compressions and, on the last row, the update it provides.
        let active = Bit::new(builder, col(ACTIVE));
        builder.assert_bool(col(BIT));
        builder.assert_eq(col(WEIGHTED_BIT), col(BIT) * col(WEIGHT));
        for j in 0..DIGEST {
            let sibling = col(SIBLING + j);
            for (node, left, right) in [(NODE, LEFT, RIGHT), (NODE_NEW, LEFT_NEW, RIGHT_NEW)] {
                let node = col(node + j);
                builder.assert_eq(
                    col(left + j),
                    node.clone() + col(BIT) * (sibling.clone() - node.clone()),
                );
                builder.assert_eq(
                    col(right + j),
                    sibling.clone() + col(BIT) * (node - sibling.clone()),
                );
            }
        }

        // Each level of an active group looks its two compressions up.
        for (left, parent) in [(LEFT, PARENT), (LEFT_NEW, PARENT_NEW)] {
            let message: Vec<AB::Expr> = (left..left + 2 * DIGEST)
                .chain(parent..parent + DIGEST)
                .map(col)
                .collect();
            lookup(builder, &BUS, message, active.count());
        }

        // An active group's last row provides its update.
        let update = [
            vec![col(ACC_LO), col(ACC_HI)],
            digest(LEAF),
            digest(LEAF_NEW),
            digest(PARENT),
            digest(PARENT_NEW),
        ]
        .concat();
        provide(
            builder,
            &UPDATE_BUS,
            update,
            is_last_bit.and(&active).expr(),
        );
    }
}
