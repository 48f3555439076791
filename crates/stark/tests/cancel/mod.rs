//! Shared by the cancellation forgeries (`transfers_cancel.rs`): the bus messages of a transfer
//! row as the AIR reads them, the compression table and the verified signatures an attacker
//! would give (each message at its net multiplicity), and the rows' numbers.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;

use crate::signed;
use l2x_air::Val;
use l2x_programs::poseidon2::{Digest, compress};
use l2x_programs::signatures::Statement;
use l2x_programs::transfers::columns::{self, LIMBS, update};
use l2x_programs::transfers::trace::{self, Row};
use l2x_programs::transfers::{self, Claim};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_matrix::dense::RowMajorMatrix;

/// A compression as a bus message: left, right, output.
pub type Message = (Digest, Digest, Digest);

/// Eight copies of `x`: a made-up digest.
pub fn made_up(x: u32) -> Digest {
    [Val::from_u32(x); 8]
}

/// The six compressions a transfer row looks up, read from its cells as the AIR reads them:
/// the four leaves, the commitment's two blocks.
fn row_messages(row: &[Val]) -> [Message; 6] {
    use columns::*;
    let d = |c: usize| -> Digest { std::array::from_fn(|j| row[c + j]) };
    let number = |n: usize| &row[limbs_of(n)..limbs_of(n) + LIMBS];
    let concat = |a: &[Val], b: &[Val]| -> Digest {
        std::array::from_fn(|j| if j < a.len() { a[j] } else { b[j - a.len()] })
    };
    let receiver_nonce = &row[RECEIVER_NONCE..RECEIVER_NONCE + LIMBS];
    let leaf = |balance: usize, nonce: &[Val], key: usize, leaf: usize| {
        (concat(number(balance), nonce), d(key), d(leaf))
    };
    let indices = [row[FROM_LO], row[FROM_HI], row[TO_LO], row[TO_HI]];
    [
        leaf(1, number(5), SENDER_KEY, SENDER_LEAF),
        leaf(2, number(6), SENDER_KEY, SENDER_LEAF_NEW),
        leaf(3, receiver_nonce, RECEIVER_KEY, RECEIVER_LEAF),
        leaf(4, receiver_nonce, RECEIVER_KEY, RECEIVER_LEAF_NEW),
        (d(COMMIT_IN), concat(&indices, number(0)), d(COMMIT_MID)),
        (
            d(COMMIT_MID),
            concat(number(5), &[Val::ZERO; 4]),
            d(COMMIT_OUT),
        ),
    ]
}

/// How many times a transfer row counts (its `ACTIVE`): 1, −1, or 0 for anything else.
fn counted(row: &[Val]) -> i64 {
    let active = row[columns::ACTIVE];
    [(Val::ONE, 1), (-Val::ONE, -1)]
        .into_iter()
        .find_map(|(v, c)| (v == active).then_some(c))
        .unwrap_or(0)
}

/// The two compressions (old and new path) each row of an active update group looks up.
fn update_messages(row: &[Val]) -> [Message; 2] {
    use update::*;
    let d = |c: usize| -> Digest { std::array::from_fn(|j| row[c + j]) };
    [
        (d(LEFT), d(RIGHT), d(PARENT)),
        (d(LEFT_NEW), d(RIGHT_NEW), d(PARENT_NEW)),
    ]
}

/// The compressions the compression table must provide for the bus to balance: each message
/// the transfer rows look up, counted by its row's `ACTIVE` (so a row counted −1 cancels
/// another row's lookup of the same message), and each message of the update groups (counted
/// 1 on their active rows). A message left with a count other than zero must be a true
/// compression, looked up a positive number of times: a false one can only be cancelled.
pub fn provided(transfer_rows: &[Val], update_rows: &[Val]) -> Vec<(Digest, Digest)> {
    let perm = default_koalabear_poseidon2_16();
    let mut net: BTreeMap<Vec<u32>, (Message, i64)> = BTreeMap::new();
    let mut add = |m: Message, count: i64| {
        let key: Vec<u32> = [m.0, m.1, m.2]
            .concat()
            .iter()
            .map(|v| v.as_canonical_u32())
            .collect();
        net.entry(key).or_insert((m, 0)).1 += count;
    };
    for row in transfer_rows.chunks_exact(columns::WIDTH) {
        let count = counted(row);
        for m in row_messages(row) {
            add(m, count);
        }
    }
    for row in update_rows.chunks_exact(update::WIDTH) {
        if row[update::ACTIVE] == Val::ONE {
            for m in update_messages(row) {
                add(m, 1);
            }
        }
    }
    let mut list = Vec::new();
    for ((left, right, out), count) in net.into_values() {
        assert!(count >= 0, "a message is needed {count} times");
        if count > 0 {
            assert_eq!(
                compress(&perm, &left, &right),
                out,
                "a false compression is left"
            );
        }
        list.extend(std::iter::repeat_n((left, right), count as usize));
    }
    list
}

// Indices into columns::NUMBERS.
/// The amount.
pub const AMOUNT: usize = 0;
/// The sender's balance before.
pub const PAID: usize = 1;
/// The sender's balance after.
pub const PAID_NEW: usize = 2;
/// The receiver's balance before.
pub const GOT: usize = 3;
/// The sender's nonce before.
pub const NONCE: usize = 5;
/// The sender's nonce after.
pub const NONCE_NEW: usize = 6;

/// Sets a row's seven numbers and the carries they imply (the nonce's carries only for a row
/// counted +1; a row counted −1 decrements it, with no borrow in these numbers).
pub fn numbers(r: &mut Row, values: [u64; 7], counted: i64) {
    for (n, x) in values.into_iter().enumerate() {
        r.set_number(n, x);
    }
    r.carries[0] = trace::carries(values[PAID_NEW], values[AMOUNT], 0);
    r.carries[1] = trace::carries(values[GOT], values[AMOUNT], 0);
    r.carries[2] = match counted {
        1 => trace::carries(values[NONCE], 0, 1),
        _ => [Val::ZERO; LIMBS - 1],
    };
}

/// A statement as elements: key ‖ epoch ‖ message.
fn elements(key: &[Val], epoch: u32, message: &[Val]) -> Vec<u32> {
    let epoch = [Val::from_u32(epoch)];
    let all = [key, &epoch[..], message].concat();
    all.iter().map(|v| v.as_canonical_u32()).collect()
}

/// The statement a transfer row's signature lookup names ([`signed::named`]), as elements.
fn signed_message(row: &[Val], chain_id: u32) -> Vec<u32> {
    let (key, epoch, message) = signed::named(row, chain_id);
    elements(&key, epoch, &message)
}

fn statement_message(s: &Statement) -> Vec<u32> {
    elements(&s.key.to_elements(), s.epoch, &s.message)
}

/// The verified statements the verification tables must provide for the signature lookups to
/// balance: each row's counted by its `ACTIVE` (+1 or −1). A statement left needed must be one
/// of `signed` (a true signature the attacker holds, as the published block's): any other
/// cannot be proven, only cancelled.
pub fn verified(transfer_rows: &[Val], chain_id: u32, signed: &[Statement]) -> Vec<Statement> {
    let mut net: BTreeMap<Vec<u32>, i64> = BTreeMap::new();
    for row in transfer_rows.chunks_exact(columns::WIDTH) {
        let count = counted(row);
        if count != 0 {
            *net.entry(signed_message(row, chain_id)).or_default() += count;
        }
    }
    let mut list = Vec::new();
    for (message, count) in net {
        assert!(count >= 0, "a statement is needed {count} times");
        if count > 0 {
            let s = signed
                .iter()
                .find(|s| statement_message(s) == message)
                .expect("a statement no one signed is left");
            list.extend(std::iter::repeat_n(s.clone(), count as usize));
        }
    }
    list
}

/// Whether the tables of `claim` accept the transfer rows `transfers` and the update groups
/// `updates` (their rows, `update::WIDTH` each), with the verified statements ([`verified`],
/// from the true signatures `signed`) and the compression table ([`provided`]) an attacker
/// would give them: proven, then verified.
pub fn accepted(
    claim: &Claim,
    transfers: RowMajorMatrix<Val>,
    updates: Vec<Val>,
    signatures: &[Statement],
) -> bool {
    let h = transfers::log_heights(claim.count, 0);
    assert_eq!(1 << h[1], updates.len() / update::WIDTH);
    let statements = verified(&transfers.values, claim.chain_id, signatures);
    let compressions = provided(&transfers.values, &updates);
    let witness = transfers::witness_traces(
        transfers,
        RowMajorMatrix::new(updates, update::WIDTH),
        compressions,
        &statements,
        h,
    );
    signed::proves(claim, &witness)
}
