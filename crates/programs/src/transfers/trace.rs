//! Witness generation for `transfers`: the transfer rows, the update groups and the Poseidon2
//! compressions they look up, all derived from the rows' values by the tables' own relations
//! (so a test can change one value of a [`Row`] and get an otherwise consistent witness).

use l2x_air::Val;
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::{Poseidon2KoalaBear, default_koalabear_poseidon2_16};
use p3_matrix::dense::RowMajorMatrix;

use super::columns::{self, BITS, LIMBS, update};
use super::state::{DEPTH, Step, limbs};
use crate::poseidon2::columns::DIGEST;
use crate::poseidon2::{Digest, compress};

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
    /// The seven numbers' bits, in the order of [`columns::NUMBERS`].
    pub bits: [[Val; BITS]; 7],
    /// The seven numbers' 16-bit limbs (the sums of their bits in an honest row). Every other
    /// column that holds a number's value (leaves, commitment, additions) is made from these.
    pub limbs: [[Val; LIMBS]; 7],
    /// The carries of the sender's, the receiver's and the nonce's additions.
    pub carries: [[Val; LIMBS - 1]; 3],
    /// The sender leaf's siblings.
    pub sender_siblings: [Digest; DEPTH],
    /// The receiver leaf's siblings.
    pub receiver_siblings: [Digest; DEPTH],
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
        let bits = numbers.map(|x| std::array::from_fn(|j| Val::from_u64((x >> j) & 1)));
        let number_limbs = numbers.map(|x| limbs(x).map(Val::from_u16));
        Self {
            from: t.from,
            to: t.to,
            sender_key: step.sender.0.key,
            receiver_key: step.receiver.0.key,
            receiver_nonce: limbs(step.receiver.0.nonce).map(Val::from_u16),
            bits,
            limbs: number_limbs,
            carries: [
                carries(step.sender.1.balance, t.amount, 0),
                carries(step.receiver.0.balance, t.amount, 0),
                carries(step.sender.0.nonce, 0, 1),
            ],
            sender_siblings: step.sender_siblings,
            receiver_siblings: step.receiver_siblings,
        }
    }

    /// The epoch the lookup names: the nonce's two low limbs, `limb 0 + 2^16 · limb 1`.
    pub fn epoch(&self) -> Val {
        self.limbs[5][0] + Val::from_u32(1 << 16) * self.limbs[5][1]
    }

    /// Sets number `n` (an index into [`columns::NUMBERS`]) to `x`, bit by bit.
    pub fn set_number(&mut self, n: usize, x: u64) {
        self.bits[n] = std::array::from_fn(|j| Val::from_u64((x >> j) & 1));
        self.limbs[n] = limbs(x).map(Val::from_u16);
    }

    /// Number `n` read from its limbs (as a u64 if they are 16-bit limbs).
    pub fn number(&self, n: usize) -> u64 {
        (0..LIMBS).fold(0, |acc, k| {
            acc | (u64::from(self.limbs[n][k].as_canonical_u32()) << (16 * k))
        })
    }

    /// Number `n`'s limbs as its bits make them.
    pub fn limbs_from_bits(&self, n: usize) -> [Val; LIMBS] {
        std::array::from_fn(|k| {
            (0..16)
                .rev()
                .fold(Val::ZERO, |acc, j| acc.double() + self.bits[n][16 * k + j])
        })
    }

    /// The sender's new leaf and the receiver's new leaf this row implies.
    pub fn new_leaves(&self) -> (Digest, Digest) {
        let perm = default_koalabear_poseidon2_16();
        let sender = self.leaf_values(2, self.limbs(6));
        let receiver = self.leaf_values(4, self.receiver_nonce);
        (
            compress(&perm, &sender, &self.sender_key),
            compress(&perm, &receiver, &self.receiver_key),
        )
    }

    fn limbs(&self, n: usize) -> [Val; LIMBS] {
        self.limbs[n]
    }

    /// The left half of a leaf's compression: balance limbs of number `balance`, then `nonce`.
    fn leaf_values(&self, balance: usize, nonce: [Val; LIMBS]) -> Digest {
        let b = self.limbs(balance);
        std::array::from_fn(|j| if j < LIMBS { b[j] } else { nonce[j - LIMBS] })
    }
}

/// What the witness proves beside the old root it starts from: the new root and the
/// commitment (the count is the rows').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The root after.
    pub new_root: Digest,
    /// The commitment to the transfers.
    pub commitment: Digest,
}

/// The three traces of a block (transfer table, update table, compressions looked up) at the
/// given heights, and the outcome they show.
pub struct Traces {
    /// The transfer table.
    pub transfers: RowMajorMatrix<Val>,
    /// The update table.
    pub updates: RowMajorMatrix<Val>,
    /// The compressions looked up, (left, right), in order.
    pub compressions: Vec<(Digest, Digest)>,
    /// What they prove.
    pub outcome: Outcome,
}

fn put(row: &mut [Val], at: usize, values: &[Val]) {
    row[at..at + values.len()].copy_from_slice(values);
}

/// The digests of one row of the update table: the old and new nodes, their shared sibling,
/// the two compressions' inputs and outputs, and the leaves the group carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// The old and the new node.
    pub node: (Digest, Digest),
    /// The sibling.
    pub sibling: Digest,
    /// The old compression's (left, right), then the new one's.
    pub inputs: ((Digest, Digest), (Digest, Digest)),
    /// The old and the new parent.
    pub parents: (Digest, Digest),
    /// The old and the new leaf.
    pub leaves: (Digest, Digest),
}

impl Level {
    /// Writes the digests into an update-table row.
    pub fn put(&self, row: &mut [Val]) {
        use update::*;
        let ((left, right), (left_new, right_new)) = self.inputs;
        for (at, d) in [
            (NODE, self.node.0),
            (NODE_NEW, self.node.1),
            (SIBLING, self.sibling),
            (LEFT, left),
            (RIGHT, right),
            (LEFT_NEW, left_new),
            (RIGHT_NEW, right_new),
            (PARENT, self.parents.0),
            (PARENT_NEW, self.parents.1),
            (LEAF, self.leaves.0),
            (LEAF_NEW, self.leaves.1),
        ] {
            put(row, at, &d);
        }
    }
}

/// One leaf update's group of rows in the update table, filled into `group`; returns the old
/// and new roots.
fn update_group(
    perm: &Poseidon2KoalaBear<16>,
    group: &mut [Val],
    index: u32,
    leaves: (Digest, Digest),
    siblings: &[Digest; DEPTH],
    compressions: &mut Vec<(Digest, Digest)>,
) -> (Digest, Digest) {
    use update::*;
    let (mut node, mut node_new) = leaves;
    let (mut acc_lo, mut acc_hi) = (0u32, 0u32);
    for (level, row) in group.chunks_exact_mut(WIDTH).enumerate() {
        let bit = (index >> level) & 1;
        let high = level >= 16;
        let weight = 1u32 << (level % 16);
        if high {
            acc_hi += bit * weight;
        } else {
            acc_lo += bit * weight;
        }
        let sibling = siblings[level];
        let order = |n: Digest| if bit == 1 { (sibling, n) } else { (n, sibling) };
        let (left, right) = order(node);
        let (left_new, right_new) = order(node_new);
        let parent = compress(perm, &left, &right);
        let parent_new = compress(perm, &left_new, &right_new);
        compressions.push((left, right));
        compressions.push((left_new, right_new));
        Level {
            node: (node, node_new),
            sibling,
            inputs: ((left, right), (left_new, right_new)),
            parents: (parent, parent_new),
            leaves,
        }
        .put(row);
        row[BIT] = Val::from_u32(bit);
        row[ACTIVE] = Val::ONE;
        (node, node_new) = (parent, parent_new);
        padding_bookkeeping(row, level, bit, acc_lo, acc_hi);
    }
    (node, node_new)
}

/// The level bookkeeping of a row (a padding group's rows have bit 0 and everything else 0).
fn padding_bookkeeping(row: &mut [Val], level: usize, bit: u32, acc_lo: u32, acc_hi: u32) {
    use update::*;
    row[LEVEL] = Val::from_usize(level);
    row[IS_LAST] = Val::from_bool(level == DEPTH - 1);
    row[HIGH] = Val::from_bool(level >= 16);
    let weight = 1u32 << (level % 16);
    row[WEIGHT] = Val::from_u32(weight);
    row[WEIGHTED_BIT] = Val::from_u32(bit * weight);
    row[ACC_LO] = Val::from_u32(acc_lo);
    row[ACC_HI] = Val::from_u32(acc_hi);
}

fn halves(x: u32) -> [Val; 2] {
    [Val::from_u32(x & 0xffff), Val::from_u32(x >> 16)]
}

/// The traces for `rows` applied from `old_root`: `transfer_rows` and `update_rows` high
/// (powers of two, at least the rows needed; `update_rows` a multiple of 32).
pub fn generate(
    rows: &[Row],
    old_root: Digest,
    transfer_rows: usize,
    update_rows: usize,
) -> Traces {
    let perm = default_koalabear_poseidon2_16();
    let mut transfers = vec![Val::ZERO; transfer_rows * columns::WIDTH];
    let mut updates = vec![Val::ZERO; update_rows * update::WIDTH];
    let mut compressions = Vec::with_capacity(rows.len() * super::COMPRESSIONS_PER_TRANSFER);
    let (mut root, mut commitment) = (old_root, [Val::ZERO; DIGEST]);
    let mut groups = updates.chunks_exact_mut(DEPTH * update::WIDTH);
    for (i, (r, out)) in rows
        .iter()
        .zip(transfers.chunks_exact_mut(columns::WIDTH))
        .enumerate()
    {
        use columns::*;
        let mut leaf = |balance: usize, nonce: [Val; LIMBS], key: &Digest| {
            let values = r.leaf_values(balance, nonce);
            compressions.push((values, *key));
            compress(&perm, &values, key)
        };
        let sender_leaf = leaf(1, r.limbs(5), &r.sender_key);
        let sender_leaf_new = leaf(2, r.limbs(6), &r.sender_key);
        let receiver_leaf = leaf(3, r.receiver_nonce, &r.receiver_key);
        let receiver_leaf_new = leaf(4, r.receiver_nonce, &r.receiver_key);
        let amount = r.limbs(0);
        let first: Digest = std::array::from_fn(|j| match j {
            0..2 => halves(r.from)[j],
            2..4 => halves(r.to)[j - 2],
            _ => amount[j - 4],
        });
        let nonce = r.limbs(5);
        let second: Digest = std::array::from_fn(|j| if j < LIMBS { nonce[j] } else { Val::ZERO });
        let commit_mid = compress(&perm, &commitment, &first);
        let commit_out = compress(&perm, &commit_mid, &second);
        compressions.push((commitment, first));
        compressions.push((commit_mid, second));
        let (root_in, root_mid) = update_group(
            &perm,
            groups.next().expect("update rows cover the block"),
            r.from,
            (sender_leaf, sender_leaf_new),
            &r.sender_siblings,
            &mut compressions,
        );
        // The receiver's path starts from its own siblings: a path that does not meet the
        // sender's new root is kept as it is (the update bus then does not balance).
        let (_, root_out) = update_group(
            &perm,
            groups.next().expect("update rows cover the block"),
            r.to,
            (receiver_leaf, receiver_leaf_new),
            &r.receiver_siblings,
            &mut compressions,
        );
        // The roots are the paths': a row whose path does not start where the previous row
        // ended keeps its own root (the chaining constraint then fails).
        out[ACTIVE] = Val::ONE;
        out[COUNT] = Val::from_usize(i + 1);
        put(out, FROM_LO, &halves(r.from));
        put(out, TO_LO, &halves(r.to));
        for (at, d) in [
            (SENDER_KEY, r.sender_key),
            (RECEIVER_KEY, r.receiver_key),
            (SENDER_LEAF, sender_leaf),
            (SENDER_LEAF_NEW, sender_leaf_new),
            (RECEIVER_LEAF, receiver_leaf),
            (RECEIVER_LEAF_NEW, receiver_leaf_new),
            (ROOT_IN, root_in),
            (ROOT_MID, root_mid),
            (ROOT_OUT, root_out),
            (COMMIT_IN, commitment),
            (COMMIT_MID, commit_mid),
            (COMMIT_OUT, commit_out),
        ] {
            put(out, at, &d);
        }
        put(out, RECEIVER_NONCE, &r.receiver_nonce);
        for (n, &at) in NUMBERS.iter().enumerate() {
            put(out, at, &r.bits[n]);
        }
        for n in 0..NUMBERS.len() {
            put(out, limbs_of(n), &r.limbs(n));
        }
        for (c, at) in [SENDER_CARRY, RECEIVER_CARRY, NONCE_CARRY]
            .into_iter()
            .enumerate()
        {
            put(out, at, &r.carries[c]);
        }
        (root, commitment) = (root_out, commit_out);
    }
    for out in transfers.chunks_exact_mut(columns::WIDTH).skip(rows.len()) {
        use columns::*;
        out[COUNT] = Val::from_usize(rows.len());
        for at in [ROOT_IN, ROOT_OUT] {
            put(out, at, &root);
        }
        for at in [COMMIT_IN, COMMIT_OUT] {
            put(out, at, &commitment);
        }
    }
    for group in groups {
        for (level, row) in group.chunks_exact_mut(update::WIDTH).enumerate() {
            padding_bookkeeping(row, level, 0, 0, 0);
        }
    }
    Traces {
        transfers: RowMajorMatrix::new(transfers, columns::WIDTH),
        updates: RowMajorMatrix::new(updates, update::WIDTH),
        compressions,
        outcome: Outcome {
            new_root: root,
            commitment,
        },
    }
}
