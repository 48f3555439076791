//! The constraints of the transfer table. Each family is tested by a forged witness in
//! `crates/stark/tests/transfers.rs` (the signature lookup's in `transfers_signed.rs`, the
//! records' in `transfers_state.rs`).

use l2x_air::Val;
use l2x_air::count::{Bit, lookup};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{InteractionBuilder, LookupBus};

use super::columns::*;
use super::nodes::NODE_BUS;
use super::state::{ROTATION_TAG, TRANSFER_TAG};
use crate::poseidon2::bus::BUS;
use crate::poseidon2::columns::DIGEST;
use crate::range;
use crate::signatures::air::VERIFIED_BUS;

/// The bus of account records, a memory argument: `(index lo, index hi, balance limbs, nonce
/// limbs, key, time)` (19 elements). The account table supplies each touched account's record
/// at time 0 and consumes its last one; each transfer consumes the sender's and the receiver's
/// records and supplies them again at times `2 · COUNT − 1` and `2 · COUNT`. Every side is
/// counted by a bit, and a record is read only after it was written (the gap's bits), so each
/// record is read exactly once, by the next access to its account.
pub const RECORD_BUS: LookupBus<'static> = LookupBus::new("account-record");

/// The level of the state tree's root.
pub const ROOT_LEVEL: u32 = 32;

/// The transfer table: one row per transfer, the commitment chained from row to row, each row
/// reading and writing its two accounts' records.
#[derive(Debug, Clone, Copy)]
pub struct TransferAir;

impl BaseAir<Val> for TransferAir {
    fn width(&self) -> usize {
        WIDTH
    }

    fn num_public_values(&self) -> usize {
        NUM_PUBLIC_VALUES
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for TransferAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let public: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let col = |c: usize| -> AB::Expr { local[c].into() };
        let nxt = |c: usize| -> AB::Expr { next[c].into() };
        let limbs =
            |n: usize| -> Vec<AB::Expr> { (limbs_of(n)..limbs_of(n) + LIMBS).map(col).collect() };
        let digest = |c: usize| -> Vec<AB::Expr> { (c..c + DIGEST).map(col).collect() };
        let active = col(ACTIVE);
        let two16 = AB::Expr::from_u32(1 << 16);

        // ACTIVE is the count of the row's nine lookups, so it is a bit by its own constraint
        // (`Bit::new`). No argument from other columns replaces it: a row counted −1 cancels
        // another row's lookups, and the padding rule and the commitment's chain do not stop
        // rows of opposite sign from cancelling each other (an audit forged block proofs so).
        let active_bit = Bit::new(builder, active.clone());
        let count = || active_bit.count();
        // A row is a transfer or a key rotation: ROTATE is a bit, and 0 on padding rows, so
        // `ACTIVE − ROTATE` is a bit too (`Bit::split`). Each counts its kind's signature.
        let (rotate, transfer) = active_bit.split(builder, col(ROTATE));

        // Rows are counted; the first row starts from a zero commitment, the last ends at the
        // public commitment and count. FIRST is 1 on the first row only: it counts the one
        // lookup of the tree's root.
        let mut first = builder.when_first_row();
        first.assert_eq(col(COUNT), active.clone());
        first.assert_one(col(FIRST));
        for j in 0..DIGEST {
            first.assert_zero(col(COMMIT_IN + j));
        }
        let mut last = builder.when_last_row();
        last.assert_eq(col(COUNT), public[PUBLIC_COUNT].clone());
        for j in 0..DIGEST {
            last.assert_eq(col(COMMIT_OUT + j), public[PUBLIC_COMMITMENT + j].clone());
        }
        let mut transition = builder.when_transition();
        transition.assert_eq(nxt(COUNT), col(COUNT) + nxt(ACTIVE));
        transition.assert_zero(nxt(FIRST));
        let is_first = Bit::new(builder, col(FIRST));

        // Chaining: each row's commitment starts where the one before ended; a padding row
        // changes nothing.
        let mut transition = builder.when_transition();
        for j in 0..DIGEST {
            transition.assert_eq(nxt(COMMIT_IN + j), col(COMMIT_OUT + j));
        }
        let mut padding = builder.when(AB::Expr::ONE - active.clone());
        for j in 0..DIGEST {
            padding.assert_eq(col(COMMIT_OUT + j), col(COMMIT_IN + j));
        }

        // The tree: the node table's root, at level 32 position 0, is the public old root in
        // the old tree and the public new root in the new one, consumed once (by the first
        // row).
        let root = [
            vec![
                AB::Expr::from_u32(ROOT_LEVEL),
                AB::Expr::ZERO,
                AB::Expr::ZERO,
            ],
            public[PUBLIC_OLD_ROOT..PUBLIC_OLD_ROOT + DIGEST].to_vec(),
            public[PUBLIC_NEW_ROOT..PUBLIC_NEW_ROOT + DIGEST].to_vec(),
        ]
        .concat();
        lookup(builder, &NODE_BUS, root, is_first.count());

        // Range checks, on active rows: every limb of the seven numbers is 16 bits (so each
        // number is a u64 and the additions below are exact), the nonce is below 2^30 (limb 1
        // times 4 is 16 bits, limbs 2 and 3 are zero: the epoch is the nonce, and no two nonces
        // share a one-time key), and each record read was written before: `now − time − 1` is
        // 16 bits (a record from the future would make it negative, far above 2^16; the times
        // are at most 4,096). Padding rows read, write and hash nothing, so their values are
        // free.
        for value in range_checked(col, AB::Expr::ONE) {
            lookup(builder, &range::BUS, vec![value], count());
        }
        for k in 2..LIMBS {
            builder.assert_zero(col(SENDER_NONCE + k));
        }
        for carry in [SENDER_CARRY, RECEIVER_CARRY, NONCE_CARRY] {
            for k in 0..LIMBS - 1 {
                builder.assert_bool(col(carry + k));
            }
        }
        let now = col(COUNT) * AB::Expr::TWO;

        // The sender pays: new + amount = old, limb by limb; nothing is carried out of the top
        // limb, so the amount does not exceed the balance.
        let (amount, paid, paid_new) = (limbs(0), limbs(1), limbs(2));
        let carry_in = |c: usize, k: usize| -> AB::Expr {
            if k == 0 {
                AB::Expr::ZERO
            } else {
                col(c + k - 1)
            }
        };
        for k in 0..LIMBS - 1 {
            builder.assert_eq(
                paid_new[k].clone() + amount[k].clone() + carry_in(SENDER_CARRY, k),
                paid[k].clone() + two16.clone() * col(SENDER_CARRY + k),
            );
        }
        builder.assert_eq(
            paid_new[3].clone() + amount[3].clone() + carry_in(SENDER_CARRY, 3),
            paid[3].clone(),
        );

        // The receiver is paid: old + amount = new; no carry out of the top limb (no overflow).
        let (got, got_new) = (limbs(3), limbs(4));
        for k in 0..LIMBS - 1 {
            builder.assert_eq(
                got[k].clone() + amount[k].clone() + carry_in(RECEIVER_CARRY, k),
                got_new[k].clone() + two16.clone() * col(RECEIVER_CARRY + k),
            );
        }
        builder.assert_eq(
            got[3].clone() + amount[3].clone() + carry_in(RECEIVER_CARRY, 3),
            got_new[3].clone(),
        );

        // The sender's nonce increments (the transfer's nonce is the old one: same columns).
        let (nonce, nonce_new) = (limbs(5), limbs(6));
        builder.assert_eq(
            nonce[0].clone() + active.clone(),
            nonce_new[0].clone() + two16.clone() * col(NONCE_CARRY),
        );
        for k in 1..LIMBS - 1 {
            builder.assert_eq(
                nonce[k].clone() + col(NONCE_CARRY + k - 1),
                nonce_new[k].clone() + two16.clone() * col(NONCE_CARRY + k),
            );
        }
        builder.assert_eq(
            nonce[3].clone() + col(NONCE_CARRY + 2),
            nonce_new[3].clone(),
        );

        // A key rotation moves nothing: it is to its sender, of amount 0. Every other row
        // writes the sender's key back as it read it.
        let mut rotation = builder.when(col(ROTATE));
        rotation.assert_eq(col(TO_LO), col(FROM_LO));
        rotation.assert_eq(col(TO_HI), col(FROM_HI));
        for k in 0..LIMBS {
            rotation.assert_zero(col(AMOUNT + k));
        }
        let mut keeps = builder.when(AB::Expr::ONE - col(ROTATE));
        for j in 0..DIGEST {
            keeps.assert_eq(col(NEW_KEY + j), col(SENDER_KEY + j));
        }

        // The records: the sender's is read and written back with the new balance, nonce and
        // key at `now − 1`, then the receiver's (the sender's just written, for a transfer to
        // oneself) with the new balance at `now`.
        let receiver_nonce: Vec<AB::Expr> =
            (RECEIVER_NONCE..RECEIVER_NONCE + LIMBS).map(col).collect();
        let join = |parts: Vec<Vec<AB::Expr>>| -> Vec<AB::Expr> { parts.concat() };
        let from = vec![col(FROM_LO), col(FROM_HI)];
        let to = vec![col(TO_LO), col(TO_HI)];
        let accesses = [
            (
                &from,
                paid.clone(),
                nonce.clone(),
                (SENDER_KEY, NEW_KEY),
                SENDER_TIME,
                paid_new,
                nonce_new,
                now.clone() - AB::Expr::ONE,
            ),
            (
                &to,
                got,
                receiver_nonce.clone(),
                (RECEIVER_KEY, RECEIVER_KEY),
                RECEIVER_TIME,
                got_new,
                receiver_nonce,
                now,
            ),
        ];
        for (index, balance, nonce, (key, key_new), time, balance_new, nonce_new, written) in
            accesses
        {
            let read = join(vec![
                index.clone(),
                balance,
                nonce.clone(),
                digest(key),
                vec![col(time)],
            ]);
            lookup(builder, &RECORD_BUS, read, count());
            let write = join(vec![
                index.clone(),
                balance_new,
                nonce_new,
                digest(key_new),
                vec![written],
            ]);
            lookup(builder, &RECORD_BUS, write, active_bit.supplied());
        }

        // The sender signed the transfer: some verification row verified the sender's key
        // (the one in its record) on the transfer's message at the epoch of its nonce — or, on
        // a key rotation's row, on the rotation's message, which names the new key.
        let epoch = nonce[0].clone() + two16.clone() * nonce[1].clone();
        let chain = [
            public[PUBLIC_CHAIN].clone(),
            public[PUBLIC_CHAIN + 1].clone(),
        ];
        let signed = join(vec![
            digest(SENDER_KEY),
            vec![epoch.clone(), AB::Expr::from_u16(TRANSFER_TAG)],
            chain.to_vec(),
            vec![col(FROM_LO), col(FROM_HI), col(TO_LO), col(TO_HI)],
            amount.clone(),
            vec![AB::Expr::ZERO],
        ]);
        lookup(builder, &VERIFIED_BUS, signed, transfer.count());
        let rotated = join(vec![
            digest(SENDER_KEY),
            vec![
                epoch,
                AB::Expr::from_u32(u32::from(ROTATION_TAG) << 16) + chain[0].clone(),
                chain[1].clone(),
            ],
            vec![col(FROM_LO), col(FROM_HI)],
            digest(NEW_KEY),
        ]);
        lookup(builder, &VERIFIED_BUS, rotated, rotate.count());

        // The commitment: the transfer's two blocks, the second marking a key rotation, whose
        // new key is a third block; any other row ends at the second.
        let first_block = join(vec![
            digest(COMMIT_IN),
            vec![col(FROM_LO), col(FROM_HI), col(TO_LO), col(TO_HI)],
            amount,
            digest(COMMIT_MID),
        ]);
        lookup(builder, &BUS, first_block, count());
        let second_block = join(vec![
            digest(COMMIT_MID),
            nonce,
            vec![col(ROTATE)],
            vec![AB::Expr::ZERO; DIGEST - LIMBS - 1],
            digest(COMMIT_SECOND),
        ]);
        lookup(builder, &BUS, second_block, count());
        let third_block = join(vec![
            digest(COMMIT_SECOND),
            digest(NEW_KEY),
            digest(COMMIT_OUT),
        ]);
        lookup(builder, &BUS, third_block, rotate.count());
        let mut ends = builder.when(AB::Expr::ONE - col(ROTATE));
        for j in 0..DIGEST {
            ends.assert_eq(col(COMMIT_OUT + j), col(COMMIT_SECOND + j));
        }
    }
}
