//! The columns of the two tables of `transfers`.
//!
//! **Transfer table**, one row per transfer (padding rows after the last, `ACTIVE` = 0): the two
//! accounts' indices in 16-bit halves, both public keys, the four leaves
//! (sender and receiver, before and after), the roots before, between and after the two leaf
//! updates, the commitment before, between and after the transfer's two blocks, and the seven
//! u64 numbers bit by bit with the carries of their three additions.
//!
//! **Update table** ([`update`]), 32 rows per leaf update, row k the tree's level k: the old and
//! new node, the sibling they share, both compressions' inputs and outputs, the leaves carried
//! through the group, and the index read bit by bit (as `merkle` reads it).

use crate::poseidon2::columns::DIGEST;

/// Bits of a u64 number.
pub const BITS: usize = 64;
/// 16-bit limbs of a u64 number.
pub const LIMBS: usize = 4;

/// 1 on a transfer's row, 0 on padding rows.
pub const ACTIVE: usize = 0;
/// Active rows on this row and the rows before it.
pub const COUNT: usize = ACTIVE + 1;
/// The sender's index, low 16 bits.
pub const FROM_LO: usize = COUNT + 1;
/// The sender's index, high 16 bits.
pub const FROM_HI: usize = FROM_LO + 1;
/// The receiver's index, low 16 bits.
pub const TO_LO: usize = FROM_HI + 1;
/// The receiver's index, high 16 bits.
pub const TO_HI: usize = TO_LO + 1;
/// The sender's public key in its leaves (eight elements: root ‖ parameter), which signed the
/// transfer.
pub const SENDER_KEY: usize = TO_HI + 1;
/// The receiver's public key in its leaves.
pub const RECEIVER_KEY: usize = SENDER_KEY + DIGEST;
/// The sender's leaf before the transfer.
pub const SENDER_LEAF: usize = RECEIVER_KEY + DIGEST;
/// The sender's leaf after.
pub const SENDER_LEAF_NEW: usize = SENDER_LEAF + DIGEST;
/// The receiver's leaf before (after the sender's update).
pub const RECEIVER_LEAF: usize = SENDER_LEAF_NEW + DIGEST;
/// The receiver's leaf after.
pub const RECEIVER_LEAF_NEW: usize = RECEIVER_LEAF + DIGEST;
/// The state root before the transfer.
pub const ROOT_IN: usize = RECEIVER_LEAF_NEW + DIGEST;
/// The root after the sender's update.
pub const ROOT_MID: usize = ROOT_IN + DIGEST;
/// The root after the transfer.
pub const ROOT_OUT: usize = ROOT_MID + DIGEST;
/// The commitment before the transfer.
pub const COMMIT_IN: usize = ROOT_OUT + DIGEST;
/// The commitment after the transfer's first block.
pub const COMMIT_MID: usize = COMMIT_IN + DIGEST;
/// The commitment after the transfer.
pub const COMMIT_OUT: usize = COMMIT_MID + DIGEST;
/// The receiver's nonce (four limbs; unchanged by the transfer).
pub const RECEIVER_NONCE: usize = COMMIT_OUT + DIGEST;
/// The amount's bits, least significant first; the numbers below likewise.
pub const AMOUNT: usize = RECEIVER_NONCE + LIMBS;
/// The sender's balance before.
pub const SENDER_BALANCE: usize = AMOUNT + BITS;
/// The sender's balance after: before − amount.
pub const SENDER_BALANCE_NEW: usize = SENDER_BALANCE + BITS;
/// The receiver's balance before.
pub const RECEIVER_BALANCE: usize = SENDER_BALANCE_NEW + BITS;
/// The receiver's balance after: before + amount.
pub const RECEIVER_BALANCE_NEW: usize = RECEIVER_BALANCE + BITS;
/// The sender's nonce before (the transfer's nonce, and the epoch its signature is at: bits
/// 30–63 are zero).
pub const SENDER_NONCE: usize = RECEIVER_BALANCE_NEW + BITS;
/// The sender's nonce after: before + 1.
pub const SENDER_NONCE_NEW: usize = SENDER_NONCE + BITS;
/// The three carries out of limbs 0–2 of new + amount = old (the sender's subtraction).
pub const SENDER_CARRY: usize = SENDER_NONCE_NEW + BITS;
/// The carries of old + amount = new (the receiver's addition).
pub const RECEIVER_CARRY: usize = SENDER_CARRY + LIMBS - 1;
/// The carries of old + 1 = new (the sender's nonce).
pub const NONCE_CARRY: usize = RECEIVER_CARRY + LIMBS - 1;
/// The seven numbers' 16-bit limbs (four each, least significant first, in the order of
/// [`NUMBERS`]): the sums of their bits, kept as columns so that every other constraint and
/// bus message reads a limb as one variable.
pub const LIMB: usize = NONCE_CARRY + LIMBS - 1;
/// Columns of the transfer table.
pub const WIDTH: usize = LIMB + 7 * LIMBS;

/// The first limb column of number `n` (an index into [`NUMBERS`]).
pub const fn limbs_of(n: usize) -> usize {
    LIMB + LIMBS * n
}

/// The seven numbers kept bit by bit, in column order.
pub const NUMBERS: [usize; 7] = [
    AMOUNT,
    SENDER_BALANCE,
    SENDER_BALANCE_NEW,
    RECEIVER_BALANCE,
    RECEIVER_BALANCE_NEW,
    SENDER_NONCE,
    SENDER_NONCE_NEW,
];

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

/// The update table's columns.
pub mod update {
    use super::DIGEST;

    /// The old tree's node at this level (the old leaf on a group's first row).
    pub const NODE: usize = 0;
    /// The new tree's node at this level.
    pub const NODE_NEW: usize = NODE + DIGEST;
    /// The sibling, the same in both trees.
    pub const SIBLING: usize = NODE_NEW + DIGEST;
    /// The old compression's left input: the node if the bit is 0, else the sibling.
    pub const LEFT: usize = SIBLING + DIGEST;
    /// The old compression's right input.
    pub const RIGHT: usize = LEFT + DIGEST;
    /// The new compression's left input.
    pub const LEFT_NEW: usize = RIGHT + DIGEST;
    /// The new compression's right input.
    pub const RIGHT_NEW: usize = LEFT_NEW + DIGEST;
    /// Poseidon2(left ‖ right)[0..8]: the old tree's next node.
    pub const PARENT: usize = RIGHT_NEW + DIGEST;
    /// The new tree's next node.
    pub const PARENT_NEW: usize = PARENT + DIGEST;
    /// The old leaf, carried through the group.
    pub const LEAF: usize = PARENT_NEW + DIGEST;
    /// The new leaf, carried through the group.
    pub const LEAF_NEW: usize = LEAF + DIGEST;
    /// Bit k of the index.
    pub const BIT: usize = LEAF_NEW + DIGEST;
    /// The level k, 0 to 31.
    pub const LEVEL: usize = BIT + 1;
    /// 1 on level 31, the group's last row.
    pub const IS_LAST: usize = LEVEL + 1;
    /// 0 on levels 0–15, 1 on levels 16–31: which half of the index the bit belongs to.
    pub const HIGH: usize = IS_LAST + 1;
    /// The bit's weight in its half: 2^(k mod 16).
    pub const WEIGHT: usize = HIGH + 1;
    /// bit × weight.
    pub const WEIGHTED_BIT: usize = WEIGHT + 1;
    /// The index's low half read so far.
    pub const ACC_LO: usize = WEIGHTED_BIT + 1;
    /// The index's high half read so far.
    pub const ACC_HI: usize = ACC_LO + 1;
    /// 1 for a group that is a transfer's leaf update, 0 for padding (the same on all its rows).
    pub const ACTIVE: usize = ACC_HI + 1;
    /// Columns of the update table.
    pub const WIDTH: usize = ACTIVE + 1;
}
