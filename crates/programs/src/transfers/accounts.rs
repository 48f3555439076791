//! The account table: one row per account a block touches, the two ends of its records' chain
//! and its leaf in both trees.
//!
//! A row supplies the account's record before the block (time 0) on
//! [`RECORD_BUS`] and consumes its last record (written at `TIME` by the
//! block's last transfer to touch it, or the first record itself; its key is `KEY_NEW`, which
//! only a key rotation's record makes another than `KEY`); it hashes both into the
//! account's leaf before and after, and supplies the leaf pair to the node table as the node
//! at level 0 and position = the index. The index is kept bit by bit: its 16-bit halves name
//! the records (as the transfer rows name accounts), and its bits name the leaf on the node bus
//! (`(0, index >> 2, index & 3)`), so both names are one index. Every count is `ACTIVE`, a
//! bit. Each constraint family is tested by a forged witness in
//! `crates/stark/tests/transfers_state.rs`.

use l2x_air::Val;
use l2x_air::count::{Bit, lookup};
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::air::RECORD_BUS;
use super::columns::LIMBS;
use super::columns::accounts::*;
use super::nodes::NODE_BUS;
use crate::poseidon2::bus::BUS;
use crate::poseidon2::columns::DIGEST;

/// The account table. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct AccountAir;

impl BaseAir<Val> for AccountAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for AccountAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local = main.current_slice();
        let col = |c: usize| -> AB::Expr { local[c].into() };
        let run = |c: usize, n: usize| -> Vec<AB::Expr> { (c..c + n).map(col).collect() };

        let active = Bit::new(builder, col(ACTIVE));
        // The index: 32 bits, read as two 16-bit halves and as (index >> 2, index & 3).
        let weighted = |from: usize, to: usize| -> AB::Expr {
            (from..to)
                .map(|j| col(INDEX + j) * AB::Expr::from_u32(1 << (j - from)))
                .sum()
        };
        for j in 0..32 {
            builder.assert_bool(col(INDEX + j));
        }
        let halves = vec![weighted(0, 16), weighted(16, 32)];
        let name = vec![AB::Expr::ZERO, weighted(2, 32), weighted(0, 2)];

        let record = |balance: usize, nonce: usize, key: usize, time: AB::Expr| -> Vec<AB::Expr> {
            [
                halves.clone(),
                run(balance, LIMBS),
                run(nonce, LIMBS),
                run(key, DIGEST),
                vec![time],
            ]
            .concat()
        };
        lookup(
            builder,
            &RECORD_BUS,
            record(BALANCE, NONCE, KEY, AB::Expr::ZERO),
            active.supplied(),
        );
        lookup(
            builder,
            &RECORD_BUS,
            record(BALANCE_NEW, NONCE_NEW, KEY_NEW, col(TIME)),
            active.count(),
        );

        // The leaves: Poseidon2(balance ‖ nonce ‖ key)[0..8], before and after (the key after
        // is the last record's: a key rotation's, or the one before).
        let ends = [
            (BALANCE, NONCE, KEY, LEAF),
            (BALANCE_NEW, NONCE_NEW, KEY_NEW, LEAF_NEW),
        ];
        for (balance, nonce, key, leaf) in ends {
            let message = [
                run(balance, LIMBS),
                run(nonce, LIMBS),
                run(key, DIGEST),
                run(leaf, DIGEST),
            ]
            .concat();
            lookup(builder, &BUS, message, active.count());
        }
        let leaves = [name, run(LEAF, DIGEST), run(LEAF_NEW, DIGEST)].concat();
        lookup(builder, &NODE_BUS, leaves, active.supplied());
    }
}
