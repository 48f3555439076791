//! The statement table of `signatures`: one row per signature, which looks its statement up on
//! [`VERIFIED_BUS`] (so some row of the verification table verified it) and hashes it into the
//! public commitment, three compressions a statement, counting the rows.
//!
//! What pins each column: `ACTIVE` a bit (the count of its lookups); `COUNT` from 0, +`ACTIVE`
//! a row, the public count on the last; the statement by the lookup; the commitment from zeros,
//! each block's output by the bus, carried from row to row, unchanged by padding rows, the
//! public commitment on the last row.

use l2x_air::Val;
use l2x_air::count::{Bit, lookup};
use l2x_sig::params::{MESSAGE_LEN, WIDE_LEN};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::air::VERIFIED_BUS;
use super::columns::statement::*;
use crate::poseidon2::bus::BUS;

/// Message elements in the second commitment block (after the epoch).
pub const FIRST_PART: usize = WIDE_LEN - 1;

/// The statement table. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct StatementAir;

impl BaseAir<Val> for StatementAir {
    fn width(&self) -> usize {
        WIDTH
    }

    fn num_public_values(&self) -> usize {
        NUM_PUBLIC_VALUES
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for StatementAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let public: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let col = |c: usize| -> AB::Expr { local[c].into() };
        let nxt = |c: usize| -> AB::Expr { next[c].into() };
        let range = |c: usize, len: usize| -> Vec<AB::Expr> { (c..c + len).map(col).collect() };
        let active = Bit::new(builder, col(ACTIVE));

        let mut first = builder.when_first_row();
        first.assert_eq(col(COUNT), col(ACTIVE));
        for j in 0..WIDE_LEN {
            first.assert_zero(col(COMMIT_IN + j));
        }
        let mut last = builder.when_last_row();
        last.assert_eq(col(COUNT), public[PUBLIC_COUNT].clone());
        for j in 0..WIDE_LEN {
            last.assert_eq(col(COMMIT_OUT + j), public[PUBLIC_COMMITMENT + j].clone());
        }
        let mut transition = builder.when_transition();
        transition.assert_eq(nxt(COUNT), col(COUNT) + nxt(ACTIVE));
        for j in 0..WIDE_LEN {
            transition.assert_eq(nxt(COMMIT_IN + j), col(COMMIT_OUT + j));
        }
        let mut padding = builder.when(AB::Expr::ONE - col(ACTIVE));
        for j in 0..WIDE_LEN {
            padding.assert_eq(col(COMMIT_OUT + j), col(COMMIT_IN + j));
        }

        let statement = [
            range(ROOT, 4),
            range(PARAM, 4),
            vec![col(EPOCH)],
            range(MESSAGE, MESSAGE_LEN),
        ]
        .concat();
        lookup(builder, &VERIFIED_BUS, statement, active.count());
        let blocks = [
            (
                COMMIT_IN,
                [range(ROOT, 4), range(PARAM, 4)].concat(),
                COMMIT_A,
            ),
            (
                COMMIT_A,
                [vec![col(EPOCH)], range(MESSAGE, FIRST_PART)].concat(),
                COMMIT_B,
            ),
            (
                COMMIT_B,
                [
                    range(MESSAGE + FIRST_PART, MESSAGE_LEN - FIRST_PART),
                    vec![AB::Expr::ZERO; 2 * WIDE_LEN - MESSAGE_LEN - 1],
                ]
                .concat(),
                COMMIT_OUT,
            ),
        ];
        for (from, block, to) in blocks {
            let message = [range(from, WIDE_LEN), block, range(to, WIDE_LEN)].concat();
            lookup(builder, &BUS, message, active.count());
        }
    }
}
