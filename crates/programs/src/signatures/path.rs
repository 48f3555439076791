//! The path table: each signature's tree path as a group of 32 rows, row l the tree's level l,
//! in which the leaf climbs to the root with the signature's siblings, one compression a level
//! (levels 30 and 31 are idle, so that a group fills a power of two). The group's last row
//! provides `(param, epoch, leaf, root)` on [`PATH_BUS`]. Each constraint family is tested by a
//! forged witness in `crates/stark/tests/signatures.rs`.
//!
//! What pins each column: `LEVEL` counts 0 to 31 from the table's first row and again after
//! each `IS_LAST` (a bit, set exactly on level 31, and on the table's last row), so every group
//! is 32 rows; `ACTIVE`, `PARAM`, `EPOCH`, `LEAF` are carried through a group; `NODE` is `LEAF`
//! at level 0 and the previous level's `PARENT` after; `INDEX` is `EPOCH` at level 0 and
//! `INDEX = 2·INDEX' + BIT` (`BIT` a bit) down the group, 0 on the idle levels — so the epoch is
//! `Σ BIT_l·2^l`, below 2^30; `LIVE` (a bit) is 1 from level 0 and drops to 0 at level 30 only;
//! on a live row of an active group the compression `[2, l + 1, INDEX'', 0] ‖ param ‖ left ‖
//! right` → `PARENT ‖ REST` is looked up, with `INDEX'' = (INDEX − BIT)/2`; on an idle row
//! `PARENT = NODE`. `SIBLING` is free (the signature's). The multiplicity of the provided entry
//! is `IS_LAST · ACTIVE`, a product of bits.

use l2x_air::Val;
use l2x_air::count::{Bit, lookup, provide};
use l2x_sig::hash::Role;
use l2x_sig::params::{DIGEST_LEN, HEIGHT};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::air::PATH_BUS;
use super::columns::PATH_ROWS;
use super::columns::path::*;
use crate::poseidon2::bus::BUS;

/// The path table. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct PathAir;

impl BaseAir<Val> for PathAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

/// The columns a group carries unchanged from row to row.
const CARRIED: [usize; 2 + 2 * DIGEST_LEN] = [
    ACTIVE,
    EPOCH,
    PARAM,
    PARAM + 1,
    PARAM + 2,
    PARAM + 3,
    LEAF,
    LEAF + 1,
    LEAF + 2,
    LEAF + 3,
];

impl<AB: InteractionBuilder<F = Val>> Air<AB> for PathAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let col = |c: usize| -> AB::Expr { local[c].into() };
        let nxt = |c: usize| -> AB::Expr { next[c].into() };
        let range = |c: usize| -> Vec<AB::Expr> { (c..c + DIGEST_LEN).map(col).collect() };
        let is_last = Bit::new(builder, col(IS_LAST));
        let live = Bit::new(builder, col(LIVE));
        let active = Bit::new(builder, col(ACTIVE));
        builder.assert_bool(col(BIT));
        let within = AB::Expr::ONE - col(IS_LAST);

        // A group starts at level 0, live, with the leaf as its node and the epoch as its index:
        // on the first row and on the row after each group's last.
        let mut first = builder.when_first_row();
        first.assert_zero(col(LEVEL));
        first.assert_one(col(LIVE));
        first.assert_eq(col(INDEX), col(EPOCH));
        for j in 0..DIGEST_LEN {
            first.assert_eq(col(NODE + j), col(LEAF + j));
        }
        let transition = builder.is_transition();
        let mut start = builder.when(transition.clone() * col(IS_LAST));
        start.assert_one(nxt(LIVE));
        start.assert_eq(nxt(INDEX), nxt(EPOCH));
        for j in 0..DIGEST_LEN {
            start.assert_eq(nxt(NODE + j), nxt(LEAF + j));
        }

        // Levels 0 to 31 and again; the last flag exactly on level 31 and on the table's last
        // row, so every group is 32 rows.
        builder.assert_zero(col(IS_LAST) * (col(LEVEL) - AB::Expr::from_usize(PATH_ROWS - 1)));
        builder
            .when_transition()
            .assert_eq(nxt(LEVEL), (col(LEVEL) + AB::Expr::ONE) * within.clone());
        builder.when_last_row().assert_one(col(IS_LAST));

        // Within a group: the carried columns, the node climbing, the index halving, LIVE
        // dropping at level 30 only (and 0 on the last row).
        let mut inside = builder.when(transition * within);
        for c in CARRIED {
            inside.assert_eq(nxt(c), col(c));
        }
        for j in 0..DIGEST_LEN {
            inside.assert_eq(nxt(NODE + j), col(PARENT + j));
        }
        inside.assert_eq(col(INDEX), nxt(INDEX).double() + col(BIT));
        inside.assert_zero((col(LIVE) - nxt(LIVE)) * (nxt(LEVEL) - AB::Expr::from_usize(HEIGHT)));
        builder.when(col(IS_LAST)).assert_zero(col(LIVE));

        // Idle rows: no bit, index 0 (so the epoch is below 2^30), the node carried up.
        let mut idle = builder.when(AB::Expr::ONE - col(LIVE));
        idle.assert_zero(col(BIT));
        idle.assert_zero(col(INDEX));
        for j in 0..DIGEST_LEN {
            idle.assert_eq(col(PARENT + j), col(NODE + j));
        }

        // A live row of an active group looks its compression up: the bit orders node and
        // sibling; the tweak names the parent's level and index.
        let (node, sibling) = (range(NODE), range(SIBLING));
        let bit = col(BIT);
        let left: Vec<AB::Expr> = (0..DIGEST_LEN)
            .map(|j| node[j].clone() + bit.clone() * (sibling[j].clone() - node[j].clone()))
            .collect();
        let right: Vec<AB::Expr> = (0..DIGEST_LEN)
            .map(|j| sibling[j].clone() + bit.clone() * (node[j].clone() - sibling[j].clone()))
            .collect();
        let half = AB::Expr::from(Val::TWO.inverse());
        let message = [
            vec![
                AB::Expr::from_u32(Role::Tree as u32),
                col(LEVEL) + AB::Expr::ONE,
                (col(INDEX) - bit) * half,
                AB::Expr::ZERO,
            ],
            range(PARAM),
            left,
            right,
            range(PARENT),
            range(REST),
        ]
        .concat();
        lookup(builder, &BUS, message, active.and(&live).count());

        let entry = [range(PARAM), vec![col(EPOCH)], range(LEAF), range(PARENT)].concat();
        provide(builder, &PATH_BUS, entry, is_last.and(&active).expr());
    }
}
