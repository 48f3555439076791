//! Shared by the cancellation forgeries (`transfers_cancel.rs`, `transfers_theft.rs`): the bus
//! messages of a transfer row as the AIR reads them, the compression table an attacker would
//! give (each message at its net multiplicity), and the rows' numbers.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;

use l2x_air::{AirProgram, Val};
use l2x_programs::Transfers;
use l2x_programs::poseidon2::{Digest, bus, compress};
use l2x_programs::transfers::columns::{self, LIMBS, update};
use l2x_programs::transfers::trace::{self, Row};
use l2x_programs::transfers::{self, Claim};
use l2x_stark::{prove_tables, verify_tables};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_matrix::dense::RowMajorMatrix;

/// A compression as a bus message: left, right, output.
pub type Message = (Digest, Digest, Digest);

/// Eight copies of `x`: a made-up digest.
pub fn made_up(x: u32) -> Digest {
    [Val::from_u32(x); 8]
}

/// The seven compressions a transfer row looks up, read from its cells as the AIR reads them:
/// the four leaves, the owner hash, the commitment's two blocks.
fn row_messages(row: &[Val]) -> [Message; 7] {
    use columns::*;
    let d = |c: usize| -> Digest { std::array::from_fn(|j| row[c + j]) };
    let number = |n: usize| &row[limbs_of(n)..limbs_of(n) + LIMBS];
    let concat = |a: &[Val], b: &[Val]| -> Digest {
        std::array::from_fn(|j| if j < a.len() { a[j] } else { b[j - a.len()] })
    };
    let receiver_nonce = &row[RECEIVER_NONCE..RECEIVER_NONCE + LIMBS];
    let leaf = |balance: usize, nonce: &[Val], owner: usize, leaf: usize| {
        (concat(number(balance), nonce), d(owner), d(leaf))
    };
    let indices = [row[FROM_LO], row[FROM_HI], row[TO_LO], row[TO_HI]];
    [
        leaf(1, number(5), SENDER_OWNER, SENDER_LEAF),
        leaf(2, number(6), SENDER_OWNER, SENDER_LEAF_NEW),
        leaf(3, receiver_nonce, RECEIVER_OWNER, RECEIVER_LEAF),
        leaf(4, receiver_nonce, RECEIVER_OWNER, RECEIVER_LEAF_NEW),
        (d(KEY), [Val::ZERO; 8], d(SENDER_OWNER)),
        (d(COMMIT_IN), concat(&indices, number(0)), d(COMMIT_MID)),
        (
            d(COMMIT_MID),
            concat(number(5), &[Val::ZERO; 4]),
            d(COMMIT_OUT),
        ),
    ]
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
        let active = row[columns::ACTIVE];
        let count = [(Val::ONE, 1), (-Val::ONE, -1)]
            .into_iter()
            .find_map(|(v, c)| (v == active).then_some(c))
            .unwrap_or(0);
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

/// Whether the tables of `claim` accept the transfer rows `transfers` and the update groups
/// `updates` (their rows, `update::WIDTH` each), with the compression table an attacker would
/// give them ([`provided`]): proven, then verified.
pub fn accepted(claim: &Claim, transfers: RowMajorMatrix<Val>, updates: Vec<Val>) -> bool {
    let tables = Transfers.tables(&claim.to_bytes(), 0).unwrap();
    assert_eq!(1 << tables[1].log_height, updates.len() / update::WIDTH);
    let compressions = bus::generate(
        &provided(&transfers.values, &updates),
        1 << tables[2].log_height,
    );
    let witness = [
        transfers,
        RowMajorMatrix::new(updates, update::WIDTH),
        compressions,
    ];
    match prove_tables(&transfers::ID, &tables, &witness) {
        Ok(seal) => verify_tables(&transfers::ID, &tables, &seal).is_ok(),
        Err(_) => false,
    }
}
