//! The columns of the three state tables of `transfers`.
//!
//! **Transfer table**, one row per transfer (padding rows after the last, `ACTIVE` = 0): the two
//! accounts' indices in 16-bit halves, both public keys, the commitment before, between and
//! after the transfer's blocks, when the two records it reads were written, and the seven
//! u64 numbers as 16-bit limbs (each range-checked by a lookup) with the carries of their three
//! additions; whether the row rotates the sender's key, and the key its written record holds.
//!
//! **Account table** ([`accounts`]), one row per account the block touches: its index bit by
//! bit, its record before the block and after, and its leaf before and after.
//!
//! **Node table** ([`nodes`]), one row per internal node of the state tree on the path of a
//! touched account: the node's level and position, its two children in the old and the new
//! tree, which children are touched, and the node in both trees.

use crate::poseidon2::columns::DIGEST;

/// 16-bit limbs of a u64 number.
pub const LIMBS: usize = 4;
/// Lookups of the transfer table into the 16-bit range table ([`crate::range`]) per row: the
/// seven numbers' limbs, the nonce's limb 1 times 4, the two gaps.
pub const RANGE_CHECKS: usize = 7 * LIMBS + 1 + 2;

/// 1 on a transfer's row, 0 on padding rows.
pub const ACTIVE: usize = 0;
/// Active rows on this row and the rows before it.
pub const COUNT: usize = ACTIVE + 1;
/// 1 on the table's first row, 0 on the others: the count of the row's lookup of the tree's
/// root (one per table).
pub const FIRST: usize = COUNT + 1;
/// The sender's index, low 16 bits.
pub const FROM_LO: usize = FIRST + 1;
/// The sender's index, high 16 bits.
pub const FROM_HI: usize = FROM_LO + 1;
/// The receiver's index, low 16 bits.
pub const TO_LO: usize = FROM_HI + 1;
/// The receiver's index, high 16 bits.
pub const TO_HI: usize = TO_LO + 1;
/// The sender's public key in its record (eight elements: root ‖ parameter), which signed the
/// transfer.
pub const SENDER_KEY: usize = TO_HI + 1;
/// The receiver's public key in its record.
pub const RECEIVER_KEY: usize = SENDER_KEY + DIGEST;
/// The commitment before the transfer.
pub const COMMIT_IN: usize = RECEIVER_KEY + DIGEST;
/// The commitment after the transfer's first block.
pub const COMMIT_MID: usize = COMMIT_IN + DIGEST;
/// The commitment after the transfer.
pub const COMMIT_OUT: usize = COMMIT_MID + DIGEST;
/// When the sender's record this row reads was written (0: the block's pre-state). The
/// sender's read is at `now = 2 · COUNT − 1`, and `now − SENDER_TIME − 1` is range-checked: the
/// record read was written before.
pub const SENDER_TIME: usize = COMMIT_OUT + DIGEST;
/// When the receiver's record this row reads was written (read at `2 · COUNT`).
pub const RECEIVER_TIME: usize = SENDER_TIME + 1;
/// The receiver's nonce (four limbs; unchanged by the transfer).
pub const RECEIVER_NONCE: usize = RECEIVER_TIME + 1;
/// The amount's 16-bit limbs, least significant first; the numbers below likewise. Every limb
/// of the seven numbers is looked up in the 16-bit range table on an active row.
pub const AMOUNT: usize = RECEIVER_NONCE + LIMBS;
/// The sender's balance before.
pub const SENDER_BALANCE: usize = AMOUNT + LIMBS;
/// The sender's balance after: before − amount.
pub const SENDER_BALANCE_NEW: usize = SENDER_BALANCE + LIMBS;
/// The receiver's balance before.
pub const RECEIVER_BALANCE: usize = SENDER_BALANCE_NEW + LIMBS;
/// The receiver's balance after: before + amount.
pub const RECEIVER_BALANCE_NEW: usize = RECEIVER_BALANCE + LIMBS;
/// The sender's nonce before (the transfer's nonce, and the epoch its signature is at: below
/// 2^30, so limbs 2 and 3 are zero and limb 1 is below 2^14).
pub const SENDER_NONCE: usize = RECEIVER_BALANCE_NEW + LIMBS;
/// The sender's nonce after: before + 1.
pub const SENDER_NONCE_NEW: usize = SENDER_NONCE + LIMBS;
/// The three carries out of limbs 0–2 of new + amount = old (the sender's subtraction).
pub const SENDER_CARRY: usize = SENDER_NONCE_NEW + LIMBS;
/// The carries of old + amount = new (the receiver's addition).
pub const RECEIVER_CARRY: usize = SENDER_CARRY + LIMBS - 1;
/// The carries of old + 1 = new (the sender's nonce).
pub const NONCE_CARRY: usize = RECEIVER_CARRY + LIMBS - 1;
/// 1 on a key rotation's row (an active row that moves nothing and changes the sender's key),
/// 0 on the others.
pub const ROTATE: usize = NONCE_CARRY + LIMBS - 1;
/// The key the sender's written record holds: [`SENDER_KEY`] unless the row rotates it.
pub const NEW_KEY: usize = ROTATE + 1;
/// The commitment after the transfer's second block; a key rotation's third block (its new
/// key) goes from here to [`COMMIT_OUT`], which equals it on every other row.
pub const COMMIT_SECOND: usize = NEW_KEY + DIGEST;
/// Columns of the transfer table.
pub const WIDTH: usize = COMMIT_SECOND + DIGEST;

/// The first limb column of number `n` (an index into [`NUMBERS`]).
pub const fn limbs_of(n: usize) -> usize {
    NUMBERS[n]
}

/// The seven numbers kept as 16-bit limbs, in column order.
pub const NUMBERS: [usize; 7] = [
    AMOUNT,
    SENDER_BALANCE,
    SENDER_BALANCE_NEW,
    RECEIVER_BALANCE,
    RECEIVER_BALANCE_NEW,
    SENDER_NONCE,
    SENDER_NONCE_NEW,
];

/// The values an active row looks up in the 16-bit range table, in the order the AIR looks
/// them up: every limb of the seven numbers, 4 × the nonce's limb 1 (below 2^16 iff that limb
/// is below 2^14: the nonce is below 2^30), and the two gaps `now − time − 1`. `col` reads a
/// column of the row; the AIR passes its expressions, the witness its values.
pub fn range_checked<E: Clone + std::ops::Add<Output = E> + std::ops::Sub<Output = E>>(
    col: impl Fn(usize) -> E,
    one: E,
) -> Vec<E> {
    let mut values: Vec<E> = NUMBERS
        .iter()
        .flat_map(|&n| (n..n + LIMBS).map(&col))
        .collect();
    let nonce_1 = col(SENDER_NONCE + 1);
    let two = nonce_1.clone() + nonce_1;
    values.push(two.clone() + two);
    let count = col(COUNT);
    let now = count.clone() + count;
    values.push(now.clone() - one.clone() - col(SENDER_TIME) - one.clone());
    values.push(now - col(RECEIVER_TIME) - one);
    values
}

/// Public inputs of the transfer table: the old root, the new root, the commitment, the count,
/// the chain id's two 16-bit halves.
pub const PUBLIC_OLD_ROOT: usize = 0;
/// The new root's position among the public inputs.
pub const PUBLIC_NEW_ROOT: usize = PUBLIC_OLD_ROOT + DIGEST;
/// The commitment's position.
pub const PUBLIC_COMMITMENT: usize = PUBLIC_NEW_ROOT + DIGEST;
/// The number of transfers.
pub const PUBLIC_COUNT: usize = PUBLIC_COMMITMENT + DIGEST;
/// The chain id's low and high 16 bits.
pub const PUBLIC_CHAIN: usize = PUBLIC_COUNT + 1;
/// Public inputs of the transfer table.
pub const NUM_PUBLIC_VALUES: usize = PUBLIC_CHAIN + 2;

/// The account table's columns.
pub mod accounts {
    use super::{DIGEST, LIMBS};

    /// 1 for a touched account's row, 0 for padding.
    pub const ACTIVE: usize = 0;
    /// The account's index, bit by bit, least significant first (32 columns).
    pub const INDEX: usize = ACTIVE + 1;
    /// Its balance before the block, four 16-bit limbs.
    pub const BALANCE: usize = INDEX + 32;
    /// Its nonce before the block.
    pub const NONCE: usize = BALANCE + LIMBS;
    /// Its public key before the block.
    pub const KEY: usize = NONCE + LIMBS;
    /// Its balance after the block.
    pub const BALANCE_NEW: usize = KEY + DIGEST;
    /// Its nonce after the block.
    pub const NONCE_NEW: usize = BALANCE_NEW + LIMBS;
    /// When its last record was written (0 if no transfer wrote one).
    pub const TIME: usize = NONCE_NEW + LIMBS;
    /// Its leaf before the block.
    pub const LEAF: usize = TIME + 1;
    /// Its leaf after.
    pub const LEAF_NEW: usize = LEAF + DIGEST;
    /// Its public key after the block (another only if a key rotation wrote its last record).
    pub const KEY_NEW: usize = LEAF_NEW + DIGEST;
    /// Columns of the account table.
    pub const WIDTH: usize = KEY_NEW + DIGEST;
}

/// The node table's columns. A node at level k and position p (the leaves are level 0, the
/// root level 32 position 0) is named `(k, p >> 2, p & 3)` on the node bus, so that no name
/// needs more than 30 bits (see [`crate::transfers::nodes`]).
pub mod nodes {
    use super::DIGEST;

    /// 1 for a node's row, 0 for padding.
    pub const ACTIVE: usize = 0;
    /// The node's level, 1 to 32.
    pub const LEVEL: usize = ACTIVE + 1;
    /// Its position without the two low bits: `p >> 2`.
    pub const HIGH: usize = LEVEL + 1;
    /// Bit 1 of its position.
    pub const BIT1: usize = HIGH + 1;
    /// Bit 0 of its position.
    pub const BIT0: usize = BIT1 + 1;
    /// 1 if the left child is on a touched account's path (looked up), 0 if it is a sibling.
    pub const TOUCHED_LEFT: usize = BIT0 + 1;
    /// 1 if the right child is on a touched account's path.
    pub const TOUCHED_RIGHT: usize = TOUCHED_LEFT + 1;
    /// The left child in the old tree.
    pub const LEFT: usize = TOUCHED_RIGHT + 1;
    /// The left child in the new tree (the old one if it is not touched).
    pub const LEFT_NEW: usize = LEFT + DIGEST;
    /// The right child in the old tree.
    pub const RIGHT: usize = LEFT_NEW + DIGEST;
    /// The right child in the new tree.
    pub const RIGHT_NEW: usize = RIGHT + DIGEST;
    /// Poseidon2(left ‖ right)[0..8]: the node in the old tree.
    pub const NODE: usize = RIGHT_NEW + DIGEST;
    /// The node in the new tree.
    pub const NODE_NEW: usize = NODE + DIGEST;
    /// Columns of the node table.
    pub const WIDTH: usize = NODE_NEW + DIGEST;
}
