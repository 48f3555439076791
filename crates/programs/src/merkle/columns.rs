//! The columns of the Merkle path table. Row i is level i of the path, leaf side first: the node
//! it starts from, its sibling, the two in hashing order, their parent (looked up on the
//! Poseidon2 bus), and the bookkeeping that reads the index bit by bit.

use crate::poseidon2::columns::DIGEST;

/// The node at this level (the leaf on row 0): eight elements.
pub const NODE: usize = 0;
/// The sibling at this level.
pub const SIBLING: usize = NODE + DIGEST;
/// The left input of the compression: the node if the index bit is 0, else the sibling.
pub const LEFT: usize = SIBLING + DIGEST;
/// The right input of the compression.
pub const RIGHT: usize = LEFT + DIGEST;
/// Poseidon2(left ‖ right)[0..8]: the next level's node.
pub const PARENT: usize = RIGHT + DIGEST;
/// Bit i of the index: which side the node is on.
pub const BIT: usize = PARENT + DIGEST;
/// The level i (row index).
pub const LEVEL: usize = BIT + 1;
/// 1 on the last level of the path (i = depth − 1), 0 elsewhere.
pub const IS_LAST: usize = LEVEL + 1;
/// How many last-level flags are set on this row and the rows before it.
pub const SEEN: usize = IS_LAST + 1;
/// 0 on levels 0–15 and 1 from level 16 on: which 16-bit half of the index the bit belongs to.
pub const HIGH: usize = SEEN + 1;
/// The bit's weight in its half: 2^(i mod 16).
pub const WEIGHT: usize = HIGH + 1;
/// bit × weight.
pub const WEIGHTED_BIT: usize = WEIGHT + 1;
/// The low half of the index read so far (bits of levels 0–15 up to this row).
pub const ACC_LO: usize = WEIGHTED_BIT + 1;
/// The high half of the index read so far (bits of levels 16–31 up to this row).
pub const ACC_HI: usize = ACC_LO + 1;
/// Columns of the table.
pub const WIDTH: usize = ACC_HI + 1;

/// Public inputs: the root, the leaf, the index's low and high 16 bits, the depth, and whether
/// the depth reaches the high half (depth > 16).
pub const PUBLIC_ROOT: usize = 0;
/// The leaf's position among the public inputs.
pub const PUBLIC_LEAF: usize = PUBLIC_ROOT + DIGEST;
/// The index's low 16 bits.
pub const PUBLIC_INDEX_LO: usize = PUBLIC_LEAF + DIGEST;
/// The index's high 16 bits.
pub const PUBLIC_INDEX_HI: usize = PUBLIC_INDEX_LO + 1;
/// The depth.
pub const PUBLIC_DEPTH: usize = PUBLIC_INDEX_HI + 1;
/// 1 if the depth is above 16, else 0.
pub const PUBLIC_HIGH_END: usize = PUBLIC_DEPTH + 1;
/// Public inputs of the table.
pub const NUM_PUBLIC_VALUES: usize = PUBLIC_HIGH_END + 1;
