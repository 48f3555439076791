//! The node table: the state tree hashed once per block. One row per internal node on the path
//! of an account the block touches (levels 1 to 32, the root at level 32), holding its two
//! children and itself in the old tree and in the new tree side by side.
//!
//! **Names.** A node at level k and position p is named `(k, p >> 2, p & 3)` on [`NODE_BUS`]:
//! positions reach 2^32 − 1 at the leaves, beyond the field, and a name in one element would
//! let two leaves share it; `p >> 2` stays below 2^30. A row holds its `HIGH = p >> 2` and the
//! two low bits, and names its children `(k − 1, 2 · HIGH + BIT1, 2 · BIT0 + side)`.
//!
//! **Constraints.** A child the row marks touched is looked up on the node bus (the account
//! table's leaves at level 0, this table's rows above); a child not marked is a sibling given
//! as it is, and must be the same in both trees. Both compressions are looked up on the
//! Poseidon2 bus, and the row supplies its own name and nodes. Every count is a bit: `ACTIVE`,
//! and a touched flag times `ACTIVE` — a padding row consumes nothing.
//!
//! **Why every touched node appears once.** The transfer table consumes the root's name once
//! (its first row), each row consumes at most one name per child, and every name supplied is
//! consumed: by induction from the root down, each name has at most one row, so each touched
//! leaf — each account row — is in the tree once, at its own index, and the old and the new
//! root are the roots of one tree whose touched leaves are the accounts' leaves before and
//! after the block, its other subtrees unchanged. (A row claiming level 0 or below could only
//! stand for a subtree whose old and new values agree, like a sibling: its children bottom out
//! in untouched siblings, as no account row names a node below level 0.)

use l2x_air::Val;
use l2x_air::count::{Bit, lookup};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{InteractionBuilder, LookupBus};

use super::columns::nodes::*;
use crate::poseidon2::bus::BUS;
use crate::poseidon2::columns::DIGEST;

/// The bus of tree nodes: `(level, position >> 2, position & 3, old node, new node)` (19
/// elements). Supplied once by each node row and account row (the leaves), consumed once by
/// the node row above (the root by the transfer table).
pub const NODE_BUS: LookupBus<'static> = LookupBus::new("state-node");

/// The node table. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct NodeAir;

impl BaseAir<Val> for NodeAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for NodeAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local = main.current_slice();
        let col = |c: usize| -> AB::Expr { local[c].into() };
        let digest = |c: usize| -> Vec<AB::Expr> { (c..c + DIGEST).map(col).collect() };

        let active = Bit::new(builder, col(ACTIVE));
        let (bit1, bit0) = (col(BIT1), col(BIT0));
        builder.assert_bool(bit1.clone());
        builder.assert_bool(bit0.clone());
        let touched = [TOUCHED_LEFT, TOUCHED_RIGHT].map(|c| Bit::new(builder, col(c)).and(&active));

        // A sibling (a child not touched) is the same node in both trees.
        for (flag, old, new) in [
            (TOUCHED_LEFT, LEFT, LEFT_NEW),
            (TOUCHED_RIGHT, RIGHT, RIGHT_NEW),
        ] {
            for j in 0..DIGEST {
                builder
                    .when(AB::Expr::ONE - col(flag))
                    .assert_eq(col(old + j), col(new + j));
            }
        }

        // Both trees' compressions.
        for (left, right, node) in [(LEFT, RIGHT, NODE), (LEFT_NEW, RIGHT_NEW, NODE_NEW)] {
            let message = [digest(left), digest(right), digest(node)].concat();
            lookup(builder, &BUS, message, active.count());
        }

        // The touched children by name, then this node by its own.
        let below = col(LEVEL) - AB::Expr::ONE;
        let high = col(HIGH) * AB::Expr::TWO + bit1.clone();
        for (side, (count, old, new)) in [
            (touched[0].clone(), LEFT, LEFT_NEW),
            (touched[1].clone(), RIGHT, RIGHT_NEW),
        ]
        .into_iter()
        .enumerate()
        {
            let low = bit0.clone() * AB::Expr::TWO + AB::Expr::from_usize(side);
            let child = [
                vec![below.clone(), high.clone(), low],
                digest(old),
                digest(new),
            ]
            .concat();
            lookup(builder, &NODE_BUS, child, count.count());
        }
        let own = [
            vec![col(LEVEL), col(HIGH), bit1 * AB::Expr::TWO + bit0],
            digest(NODE),
            digest(NODE_NEW),
        ]
        .concat();
        lookup(builder, &NODE_BUS, own, active.supplied());
    }
}
