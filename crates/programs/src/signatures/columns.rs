//! The columns of the tables of `signatures`.
//!
//! **Verification table** ([`super::air`]), one row per signature (padding rows after the last,
//! `ACTIVE` = 0): the statement (public key, epoch, message), the signature's ρ, the
//! message and encoding digests, the encoding's high parts and spare chunks, and the leaf's
//! sponge state, looked up on the leaf bus with the encoding's low parts; the path's root
//! (looked up on the path bus). Every width is derived from [`l2x_sig::params`].
//!
//! **Chain table** ([`super::chain`]), one row per leaf-sponge call of a signature (21 a
//! signature): the two chains the call absorbs, each walked from the position its chunk names
//! to the end (every step looked up on the Poseidon2 bus), and the call itself; the row consumes
//! the sponge's state, the encoding's partial low parts and chunk sum before it, and supplies
//! them after it, on the leaf bus.
//!
//! **Path table** ([`super::path`]), 32 rows per signature: the leaf climbing the tree, one
//! compression a level; the group's last row provides `(param, epoch, leaf, root)`.
//!
//! **Statement table** ([`super::statement`]), one row per signature: the statement again,
//! looked up on the verification table's bus, chained into the public commitment.

use l2x_sig::params::{
    CHAIN_LEN, CHAINS, CHUNK_BITS, CHUNKS_PER_LIMB, DIGEST_LEN, ENCODING_LIMBS, LEAF_CALLS,
    MESSAGE_LEN, PARAM_LEN, RHO_LEN, WIDE_LEN,
};

/// Rows of a signature's path group: the tree's 30 levels and two idle ones.
pub const PATH_ROWS: usize = 32;

/// Chunks of the encoding's limbs: all of each limb's, the last limb's spare ones included.
pub const CHUNKS: usize = ENCODING_LIMBS * CHUNKS_PER_LIMB;
/// Bits of the last limb's spare chunks (those past the chains'), decomposed in the
/// verification row.
pub const SPARE_BITS: usize = (CHUNKS - CHAINS) * CHUNK_BITS;
/// Bits of a limb's high part (bits 24–30).
pub const HIGH_BITS: usize = 7;
/// Chain steps a chain can take: from position k to k + 1 for k < 7.
pub const SLOTS: usize = CHAIN_LEN - 1;
/// The lanes of a compression's output past a digest's four.
pub const REST_LEN: usize = WIDE_LEN - DIGEST_LEN;
/// Chains one sponge call (one chain-table row) absorbs.
pub const CHAINS_PER_CALL: usize = CHAINS / LEAF_CALLS;
/// Elements of a leaf-bus message: param ‖ epoch ‖ calls done ‖ sponge state ‖ the encoding
/// limbs' low parts so far ‖ the chunk sum so far.
pub const LEAF_MESSAGE_LEN: usize = PARAM_LEN + 2 + WIDE_LEN + ENCODING_LIMBS + 1;

/// 1 on a signature's row, 0 on padding rows.
pub const ACTIVE: usize = 0;
/// The public key's root.
pub const ROOT: usize = ACTIVE + 1;
/// The public key's parameter.
pub const PARAM: usize = ROOT + DIGEST_LEN;
/// The epoch: below 2^30 because the path group the row looks up starts from it and halves
/// it to 0 by level 30 ([`super::path`]).
pub const EPOCH: usize = PARAM + PARAM_LEN;
/// The message.
pub const MESSAGE: usize = EPOCH + 1;
/// The signature's randomness ρ.
pub const RHO: usize = MESSAGE + MESSAGE_LEN;
/// The message digest μ = C([5, epoch, 0, 0] ‖ message).
pub const MU: usize = RHO + RHO_LEN;
/// The encoding digest C([4, ρ] ‖ param ‖ μ).
pub const ENCODING: usize = MU + WIDE_LEN;
/// Limb k's high part, bit by bit: `HIGH + 7k + b`.
pub const HIGH: usize = ENCODING + WIDE_LEN;
/// Per limb, the products of its high bits 0–2 and 3–5 (so that `high ≤ 126` is degree 3).
pub const HIGH_AND: usize = HIGH + ENCODING_LIMBS * HIGH_BITS;
/// The last limb's spare chunks, bit by bit (they are no chain's, but part of the limb).
pub const SPARE: usize = HIGH_AND + 2 * ENCODING_LIMBS;
/// The leaf sponge's last state (the leaf is its first four lanes), looked up on the leaf bus.
pub const LEAF: usize = SPARE + SPARE_BITS;
/// Columns of the verification table.
pub const WIDTH: usize = LEAF + WIDE_LEN;

/// The path table's columns: 32 rows a signature, row l the tree's level l (levels 30 and 31
/// idle), the node climbing from the leaf to the root with the signature's siblings.
pub mod path {
    use super::DIGEST_LEN;

    /// 1 for a group that is a signature's path, 0 for padding (the same on all its rows).
    pub const ACTIVE: usize = 0;
    /// The key's parameter, carried through the group.
    pub const PARAM: usize = ACTIVE + 1;
    /// The epoch, carried.
    pub const EPOCH: usize = PARAM + DIGEST_LEN;
    /// The leaf, carried.
    pub const LEAF: usize = EPOCH + 1;
    /// The node at this level (the leaf at level 0).
    pub const NODE: usize = LEAF + DIGEST_LEN;
    /// The sibling at this level (the signature's).
    pub const SIBLING: usize = NODE + DIGEST_LEN;
    /// The next level's node: the compression's first four lanes (the node itself on idle rows).
    pub const PARENT: usize = SIBLING + DIGEST_LEN;
    /// The compression's lanes 4–7.
    pub const REST: usize = PARENT + DIGEST_LEN;
    /// Bit l of the epoch: 1 if the node is a right child.
    pub const BIT: usize = REST + DIGEST_LEN;
    /// The node's index at this level: epoch >> l.
    pub const INDEX: usize = BIT + 1;
    /// The level l, 0 to 31.
    pub const LEVEL: usize = INDEX + 1;
    /// 1 on level 31, the group's last row.
    pub const IS_LAST: usize = LEVEL + 1;
    /// 1 on levels 0–29 (a compression), 0 on the idle levels 30 and 31.
    pub const LIVE: usize = IS_LAST + 1;
    /// Columns of the path table.
    pub const WIDTH: usize = LIVE + 1;
}

/// The chain table's columns: one row per leaf-sponge call m of a signature, which walks chains
/// 2m and 2m + 1 from the positions their chunks name and absorbs their ends.
pub mod chain {
    use super::{
        CHAIN_LEN, CHAINS_PER_CALL, DIGEST_LEN, ENCODING_LIMBS, LEAF_CALLS, PARAM_LEN, REST_LEN,
        SLOTS, WIDE_LEN,
    };

    /// The key's parameter.
    pub const PARAM: usize = 0;
    /// The epoch.
    pub const EPOCH: usize = PARAM + PARAM_LEN;
    /// The call as one-hot flags: `CALL + m` is 1 iff the row is call m; none on a padding row.
    pub const CALL: usize = EPOCH + 1;
    /// The first of the row's two chains; the second starts at `CHAIN + CHAIN_WIDTH`.
    pub const CHAIN: usize = CALL + LEAF_CALLS;
    /// Within a chain: its start position x as one-hot flags, `AT + k` is 1 iff x = k.
    pub const AT: usize = 0;
    /// Within a chain: the value at position k, `VALUE + 4k`. Position x holds the signature's
    /// value, 7 the end; positions below x are not constrained (nor used).
    pub const VALUE: usize = AT + CHAIN_LEN;
    /// Within a chain: lanes 4–7 of the step from position k, `REST + 4k`.
    pub const REST: usize = VALUE + CHAIN_LEN * DIGEST_LEN;
    /// Columns of one chain.
    pub const CHAIN_WIDTH: usize = REST + SLOTS * REST_LEN;
    /// The sponge state before the call.
    pub const STATE_IN: usize = CHAIN + CHAINS_PER_CALL * CHAIN_WIDTH;
    /// The sponge state after it: the compression of `STATE_IN ‖ end ‖ end`.
    pub const STATE_OUT: usize = STATE_IN + WIDE_LEN;
    /// The encoding limbs' low parts before the call: Σ 8^(i mod 8) · xᵢ over the chains i
    /// of the earlier calls in each limb.
    pub const LOW_IN: usize = STATE_OUT + WIDE_LEN;
    /// The chunk sum before the call.
    pub const SUM_IN: usize = LOW_IN + ENCODING_LIMBS;
    /// The call's index m = Σ m·`CALL`\[m\] (0 on a padding row), one column the bus messages
    /// read instead of that 21-term sum: Plonky3 evaluates a lookup's message expression by
    /// expression on every row and every quotient point.
    pub const CALL_INDEX: usize = SUM_IN + 1;
    /// Columns of the chain table.
    pub const WIDTH: usize = CALL_INDEX + 1;
}

/// The statement table's columns.
pub mod statement {
    use super::{DIGEST_LEN, MESSAGE_LEN, PARAM_LEN, WIDE_LEN};

    /// 1 on a signature's row.
    pub const ACTIVE: usize = 0;
    /// Active rows on this row and before it.
    pub const COUNT: usize = ACTIVE + 1;
    /// The public key's root.
    pub const ROOT: usize = COUNT + 1;
    /// The public key's parameter.
    pub const PARAM: usize = ROOT + DIGEST_LEN;
    /// The epoch.
    pub const EPOCH: usize = PARAM + PARAM_LEN;
    /// The message.
    pub const MESSAGE: usize = EPOCH + 1;
    /// The commitment before the statement.
    pub const COMMIT_IN: usize = MESSAGE + MESSAGE_LEN;
    /// After its first block (the key).
    pub const COMMIT_A: usize = COMMIT_IN + WIDE_LEN;
    /// After its second (the epoch and the message's first seven elements).
    pub const COMMIT_B: usize = COMMIT_A + WIDE_LEN;
    /// After its third (the message's last five, then zeros).
    pub const COMMIT_OUT: usize = COMMIT_B + WIDE_LEN;
    /// Columns of the statement table.
    pub const WIDTH: usize = COMMIT_OUT + WIDE_LEN;

    /// Public inputs: the commitment, then the count.
    pub const PUBLIC_COMMITMENT: usize = 0;
    /// The number of signatures.
    pub const PUBLIC_COUNT: usize = PUBLIC_COMMITMENT + WIDE_LEN;
    /// Public inputs of the statement table.
    pub const NUM_PUBLIC_VALUES: usize = PUBLIC_COUNT + 1;
}
