//! Witness generation for `transfers`: the transfer rows, the records they read and write, the
//! account and node tables ([`tree`]) and the Poseidon2 compressions they look up, all derived
//! from the rows' values and the pre-state by the tables' own relations (so a test can change
//! one value of a [`Row`] and get an otherwise consistent witness).

use l2x_air::Val;
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_matrix::dense::RowMajorMatrix;

use super::columns::{self, LIMBS};
use super::state::{Step, Tree, limbs};
use crate::poseidon2::columns::DIGEST;
use crate::poseidon2::{Digest, compress};

pub mod tree;

pub use tree::Record;

/// A transfer row's values, as field elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The sender's index.
    pub from: u32,
    /// The receiver's index.
    pub to: u32,
    /// The public key in the sender's leaves.
    pub sender_key: Digest,
    /// The public key in the receiver's leaves.
    pub receiver_key: Digest,
    /// The receiver's nonce limbs.
    pub receiver_nonce: [Val; LIMBS],
    /// The seven numbers' 16-bit limbs, in the order of [`columns::NUMBERS`]. Every other
    /// column that holds a number's value (leaves, commitment, additions) is made from these.
    pub limbs: [[Val; LIMBS]; 7],
    /// The carries of the sender's, the receiver's and the nonce's additions.
    pub carries: [[Val; LIMBS - 1]; 3],
    /// Whether the row rotates the sender's key.
    pub rotate: bool,
    /// The key the sender's written record holds (`sender_key` unless the row rotates it).
    pub new_key: Digest,
}

/// Carries out of limbs 0–2 of `a + b + carry_in` (wrapping modulo 2^64), as the table keeps
/// them.
pub fn carries(a: u64, b: u64, carry_in: u64) -> [Val; LIMBS - 1] {
    let (a, b) = (limbs(a), limbs(b));
    let mut carry = carry_in;
    std::array::from_fn(|k| {
        carry = (u64::from(a[k]) + u64::from(b[k]) + carry) >> 16;
        Val::from_u64(carry)
    })
}

impl Row {
    /// The row of an applied transfer.
    pub fn new(step: &Step) -> Self {
        let t = &step.transfer;
        let numbers = [
            t.amount,
            step.sender.0.balance,
            step.sender.1.balance,
            step.receiver.0.balance,
            step.receiver.1.balance,
            step.sender.0.nonce,
            step.sender.1.nonce,
        ];
        let number_limbs = numbers.map(|x| limbs(x).map(Val::from_u16));
        Self {
            from: t.from,
            to: t.to,
            sender_key: step.sender.0.key,
            receiver_key: step.receiver.0.key,
            receiver_nonce: limbs(step.receiver.0.nonce).map(Val::from_u16),
            limbs: number_limbs,
            carries: [
                carries(step.sender.1.balance, t.amount, 0),
                carries(step.receiver.0.balance, t.amount, 0),
                carries(step.sender.0.nonce, 0, 1),
            ],
            rotate: t.new_key.is_some(),
            new_key: step.sender.1.key,
        }
    }

    /// The epoch the lookup names: the nonce's two low limbs, `limb 0 + 2^16 · limb 1`.
    pub fn epoch(&self) -> Val {
        self.limbs[5][0] + Val::from_u32(1 << 16) * self.limbs[5][1]
    }

    /// Sets number `n` (an index into [`columns::NUMBERS`]) to `x`, limb by limb.
    pub fn set_number(&mut self, n: usize, x: u64) {
        self.limbs[n] = limbs(x).map(Val::from_u16);
    }

    /// Number `n` read from its limbs (as a u64 if they are 16-bit limbs).
    pub fn number(&self, n: usize) -> u64 {
        (0..LIMBS).fold(0, |acc, k| {
            acc | (u64::from(self.limbs[n][k].as_canonical_u32()) << (16 * k))
        })
    }

    /// The records this row reads: the sender's, then the receiver's (time left 0).
    pub fn reads(&self) -> [Record; 2] {
        [
            Record::new(self.limbs[1], self.limbs[5], self.sender_key),
            Record::new(self.limbs[3], self.receiver_nonce, self.receiver_key),
        ]
    }

    /// The records this row writes (time left 0).
    pub fn writes(&self) -> [Record; 2] {
        [
            Record::new(self.limbs[2], self.limbs[6], self.new_key),
            Record::new(self.limbs[4], self.receiver_nonce, self.receiver_key),
        ]
    }

    fn limbs(&self, n: usize) -> [Val; LIMBS] {
        self.limbs[n]
    }
}

/// What the witness proves: the roots, the commitment, and the shape the claim names (the
/// count is the rows').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The root before, as the account and node tables make it.
    pub old_root: Digest,
    /// The root after.
    pub new_root: Digest,
    /// The commitment to the transfers.
    pub commitment: Digest,
    /// The account table's active rows: the accounts touched.
    pub accounts: u32,
    /// The node table's active rows.
    pub nodes: u32,
}

/// The fewest rows of the three state tables (powers of two; a table grows to the next power
/// of two its rows need).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heights {
    /// The transfer table's.
    pub transfers: usize,
    /// The account table's.
    pub accounts: usize,
    /// The node table's.
    pub nodes: usize,
}

/// The traces of a block's state (transfer, account and node tables, and the compressions
/// they look up) and the outcome they show.
pub struct Traces {
    /// The transfer table.
    pub transfers: RowMajorMatrix<Val>,
    /// The account table.
    pub accounts: RowMajorMatrix<Val>,
    /// The node table.
    pub nodes: RowMajorMatrix<Val>,
    /// The compressions looked up, (left, right): the commitment's (two per transfer and a
    /// third per key rotation, in order), then the leaves' (two per account), then the nodes'
    /// (two per node).
    pub compressions: Vec<(Digest, Digest)>,
    /// What they prove.
    pub outcome: Outcome,
}

fn put(row: &mut [Val], at: usize, values: &[Val]) {
    row[at..at + values.len()].copy_from_slice(values);
}

fn halves(x: u32) -> [Val; 2] {
    [Val::from_u32(x & 0xffff), Val::from_u32(x >> 16)]
}

/// The traces for `rows` applied to the pre-state `pre`, at least `heights` high. Each record a row
/// reads is taken as written at the time of the account's last access before it (0 for the
/// first: the pre-state's account, or the row's own values for an index the pre-state lacks).
pub fn generate(rows: &[Row], pre: &Tree, heights: Heights) -> Traces {
    let perm = default_koalabear_poseidon2_16();
    let height = rows.len().next_power_of_two().max(heights.transfers);
    let mut transfers = vec![Val::ZERO; height * columns::WIDTH];
    let mut compressions = Vec::new();
    let mut memory = tree::Memory::new(pre);
    let mut commitment = [Val::ZERO; DIGEST];
    for (i, (r, out)) in rows
        .iter()
        .zip(transfers.chunks_exact_mut(columns::WIDTH))
        .enumerate()
    {
        use columns::*;
        let now = 2 * (i as u32 + 1);
        let [sender, receiver] = r.writes();
        let [sender_read, receiver_read] = r.reads();
        let sender_time = memory.access(r.from, sender_read, sender, now - 1);
        let receiver_time = memory.access(r.to, receiver_read, receiver, now);
        let amount = r.limbs(0);
        let first: Digest = std::array::from_fn(|j| match j {
            0..2 => halves(r.from)[j],
            2..4 => halves(r.to)[j - 2],
            _ => amount[j - 4],
        });
        let nonce = r.limbs(5);
        let second: Digest = std::array::from_fn(|j| match j {
            0..LIMBS => nonce[j],
            LIMBS => Val::from_bool(r.rotate),
            _ => Val::ZERO,
        });
        let commit_mid = compress(&perm, &commitment, &first);
        let commit_second = compress(&perm, &commit_mid, &second);
        compressions.push((commitment, first));
        compressions.push((commit_mid, second));
        let commit_out = if r.rotate {
            compressions.push((commit_second, r.new_key));
            compress(&perm, &commit_second, &r.new_key)
        } else {
            commit_second
        };
        out[ACTIVE] = Val::ONE;
        out[COUNT] = Val::from_usize(i + 1);
        put(out, FROM_LO, &halves(r.from));
        put(out, TO_LO, &halves(r.to));
        for (at, d) in [
            (SENDER_KEY, r.sender_key),
            (RECEIVER_KEY, r.receiver_key),
            (COMMIT_IN, commitment),
            (COMMIT_MID, commit_mid),
            (COMMIT_SECOND, commit_second),
            (COMMIT_OUT, commit_out),
            (NEW_KEY, r.new_key),
        ] {
            put(out, at, &d);
        }
        out[ROTATE] = Val::from_bool(r.rotate);
        out[SENDER_TIME] = Val::from_u32(sender_time);
        out[RECEIVER_TIME] = Val::from_u32(receiver_time);
        put(out, RECEIVER_NONCE, &r.receiver_nonce);
        for n in 0..NUMBERS.len() {
            put(out, limbs_of(n), &r.limbs(n));
        }
        for (c, at) in [SENDER_CARRY, RECEIVER_CARRY, NONCE_CARRY]
            .into_iter()
            .enumerate()
        {
            put(out, at, &r.carries[c]);
        }
        commitment = commit_out;
    }
    for out in transfers.chunks_exact_mut(columns::WIDTH).skip(rows.len()) {
        use columns::*;
        out[COUNT] = Val::from_usize(rows.len());
        for at in [COMMIT_IN, COMMIT_SECOND, COMMIT_OUT] {
            put(out, at, &commitment);
        }
    }
    transfers[columns::FIRST] = Val::ONE;
    let state = tree::generate(&perm, pre, &memory, heights, &mut compressions);
    Traces {
        transfers: RowMajorMatrix::new(transfers, columns::WIDTH),
        accounts: state.accounts,
        nodes: state.nodes,
        compressions,
        outcome: Outcome {
            old_root: state.roots.0,
            new_root: state.roots.1,
            commitment,
            accounts: state.counts.0,
            nodes: state.counts.1,
        },
    }
}

/// The 16-bit range table the transfer table's rows look up ([`columns::range_checked`]),
/// counted from the table itself (so a test that edits the table gets the range table its
/// edit implies), each lookup counted by its row's `ACTIVE`.
pub fn range_table(transfers: &RowMajorMatrix<Val>) -> RowMajorMatrix<Val> {
    crate::range::counted_table(
        transfers
            .values
            .chunks_exact(columns::WIDTH)
            .flat_map(|row| {
                let active = row[columns::ACTIVE];
                columns::range_checked(|c| row[c], Val::ONE)
                    .into_iter()
                    .map(move |v| (v, active))
            }),
    )
}
