//! Aggregation: many receipts under one SHA-256 Merkle root, with inclusion proofs.
//!
//! - A **leaf** is `SHA-256(0x00 ‖ SHA-256(encoded receipt))`; a **node** is
//!   `SHA-256(0x01 ‖ left ‖ right)`. The prefixes keep the two apart, so a node can never be
//!   presented as a leaf.
//! - **Odd levels**: the last node of a level with an odd count is carried up unchanged (not
//!   paired with a copy of itself, which would let two different leaf lists share a root).
//! - The **root** is `SHA-256(0x02 ‖ leaf count (u64 LE) ‖ top node)`, so it also commits to how
//!   many receipts it covers. An aggregate of zero receipts is refused.
//!
//! An inclusion proof holds the leaf index, the leaf count and the siblings on the path; the
//! verifier recomputes which levels carry the node up from the index and the count.
//!
//! **Linked data** (published blobs): an aggregate may also hold the EIP-4844 versioned hashes
//! of its batch data. They form a second tree of the same shape, with leaves
//! `SHA-256(0x04 ‖ versioned hash)` and root `SHA-256(0x05 ‖ count ‖ top)`; the aggregate's root
//! is then `SHA-256(0x03 ‖ receipts root ‖ data root)`, so one root covers receipts and data.
//! Without data the root is the receipts root, as before. Proofs of either side carry the other
//! side's root.

mod file;

pub use file::{AGGREGATE_MAGIC, AGGREGATE_VERSION, AggregateDecodeError, AggregateView};
use l2x_core::Receipt;
use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 value.
pub type Hash = [u8; 32];

const LEAF: u8 = 0x00;
const NODE: u8 = 0x01;
const ROOT: u8 = 0x02;
const LINKED: u8 = 0x03;
const DATA_LEAF: u8 = 0x04;
const DATA_ROOT: u8 = 0x05;

/// Receipts with the Merkle root over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    /// The root over every receipt, in order.
    pub root: Hash,
    /// The receipts, in leaf order.
    pub receipts: Vec<Receipt>,
    /// Versioned hashes of the blobs its batch data was published in (empty when unpublished).
    pub data: Vec<Hash>,
}

/// Proof that one receipt is leaf `index` of a tree of `leaf_count` leaves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InclusionProof {
    /// The leaf's position.
    pub index: u64,
    /// Leaves in the tree.
    pub leaf_count: u64,
    /// Sibling hashes from the leaf level up, for the levels where the node has a sibling.
    pub siblings: Vec<Hash>,
    /// The data root, when the aggregate links published data.
    #[serde(default)]
    pub data_root: Option<Hash>,
}

/// Proof that a blob (by its versioned hash) is entry `index` of an aggregate's linked data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlobInclusionProof {
    /// The blob's position.
    pub index: u64,
    /// Blobs linked.
    pub blob_count: u64,
    /// Sibling hashes from the leaf level up.
    pub siblings: Vec<Hash>,
    /// The receipts root on the other side of the link.
    pub receipts_root: Hash,
}

/// Why receipts cannot be aggregated or an inclusion proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    /// Nothing to aggregate.
    #[error("an aggregate needs at least one receipt")]
    Empty,
    /// The index is not a leaf of the tree.
    #[error("leaf index {index} is outside a tree of {leaf_count} leaves")]
    IndexOutOfRange {
        /// The index given.
        index: u64,
        /// Leaves in the tree.
        leaf_count: u64,
    },
    /// The proof has more or fewer siblings than the path needs.
    #[error("the inclusion proof has {found} siblings, the path needs {needed}")]
    WrongPathLength {
        /// Siblings present.
        found: usize,
        /// Siblings the path needs.
        needed: usize,
    },
    /// The recomputed root is not the expected one.
    #[error("root mismatch: the receipts do not hash to the aggregate's root")]
    RootMismatch,
}

/// The leaf hash of a blob's versioned hash.
pub fn data_leaf(versioned_hash: &Hash) -> Hash {
    Sha256::new()
        .chain_update([DATA_LEAF])
        .chain_update(versioned_hash)
        .finalize()
        .into()
}

/// The leaf hash of a receipt.
pub fn leaf(receipt: &Receipt) -> Hash {
    leaf_of_bytes(&receipt.to_bytes())
}

/// The leaf hash of an encoded receipt.
pub fn leaf_of_bytes(encoded: &[u8]) -> Hash {
    let digest = Sha256::digest(encoded);
    Sha256::new()
        .chain_update([LEAF])
        .chain_update(digest)
        .finalize()
        .into()
}

fn node(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([NODE])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

fn seal_root(leaf_count: u64, top: &Hash) -> Hash {
    seal(ROOT, leaf_count, top)
}

fn seal(tag: u8, leaf_count: u64, top: &Hash) -> Hash {
    Sha256::new()
        .chain_update([tag])
        .chain_update(leaf_count.to_le_bytes())
        .chain_update(top)
        .finalize()
        .into()
}

/// The next level up: pairs hashed, an odd last node carried unchanged.
fn level_up(level: &[Hash]) -> Vec<Hash> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [left, right] => node(left, right),
            [single] => *single,
            _ => unreachable!("chunks(2) yields one or two items"),
        })
        .collect()
}

/// The root over these leaves.
pub fn root_of(leaves: &[Hash]) -> Result<Hash, AggregateError> {
    if leaves.is_empty() {
        return Err(AggregateError::Empty);
    }
    Ok(seal_root(leaves.len() as u64, &top_of(leaves)))
}

/// The root over `count` leaves given one at a time, holding one node per level: the same tree
/// as [`root_of`] (pairs hashed left to right, an odd last node carried up unchanged). `None`
/// if there are no leaves or not `count` of them.
pub fn streaming_root(leaves: impl Iterator<Item = Hash>, count: u64) -> Option<Hash> {
    // Full subtrees (height, node) with strictly decreasing heights, as a binary counter.
    let mut stack: Vec<(u32, Hash)> = Vec::new();
    let mut seen = 0u64;
    for leaf in leaves {
        seen += 1;
        let mut carry = (0, leaf);
        while let Some(&(height, left)) = stack.last() {
            if height != carry.0 {
                break;
            }
            stack.pop();
            carry = (height + 1, node(&left, &carry.1));
        }
        stack.push(carry);
    }
    if seen != count || count == 0 {
        return None;
    }
    // The last odd nodes were carried up unchanged, so the remaining subtrees join right to left.
    let (_, mut top) = stack.pop()?;
    while let Some((_, left)) = stack.pop() {
        top = node(&left, &top);
    }
    Some(seal_root(count, &top))
}

/// The top node over non-empty leaves.
fn top_of(leaves: &[Hash]) -> Hash {
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level_up(&level);
    }
    level[0]
}

/// The root of linked data: the tree over the versioned hashes (none: `None`).
pub fn data_root_of(versioned_hashes: &[Hash]) -> Option<Hash> {
    let leaves: Vec<Hash> = versioned_hashes.iter().map(data_leaf).collect();
    (!leaves.is_empty()).then(|| seal(DATA_ROOT, leaves.len() as u64, &top_of(&leaves)))
}

/// The aggregate root: the receipts root alone, or linked with the data root.
fn link(receipts_root: Hash, data_root: Option<Hash>) -> Hash {
    match data_root {
        None => receipts_root,
        Some(data_root) => Sha256::new()
            .chain_update([LINKED])
            .chain_update(receipts_root)
            .chain_update(data_root)
            .finalize()
            .into(),
    }
}

/// Siblings on the path of leaf `index` (which must be in range).
fn path_of(leaves: Vec<Hash>, index: usize) -> Vec<Hash> {
    let (mut level, mut i, mut siblings) = (leaves, index, vec![]);
    while level.len() > 1 {
        if i ^ 1 < level.len() {
            siblings.push(level[i ^ 1]);
        }
        level = level_up(&level);
        i /= 2;
    }
    siblings
}

/// Climbs from a leaf to the top node along `siblings`, checking the path's length first.
fn climb(
    leaf: Hash,
    index: u64,
    leaf_count: u64,
    siblings: &[Hash],
) -> Result<Hash, AggregateError> {
    if index >= leaf_count {
        return Err(AggregateError::IndexOutOfRange { index, leaf_count });
    }
    let needed = path_length(index, leaf_count);
    if siblings.len() != needed {
        return Err(AggregateError::WrongPathLength {
            found: siblings.len(),
            needed,
        });
    }
    let mut hash = leaf;
    let mut siblings = siblings.iter();
    let (mut i, mut width) = (index, leaf_count);
    while width > 1 {
        if i ^ 1 < width
            && let Some(sibling) = siblings.next()
        {
            hash = if i % 2 == 0 {
                node(&hash, sibling)
            } else {
                node(sibling, &hash)
            };
        }
        i /= 2;
        width = width.div_ceil(2);
    }
    Ok(hash)
}

impl Aggregate {
    /// Builds the aggregate of `receipts` (which this does not verify; see
    /// [`crate::Executor::aggregate`]).
    pub fn new(receipts: Vec<Receipt>) -> Result<Self, AggregateError> {
        Self::with_data(receipts, vec![])
    }

    /// Builds the aggregate of `receipts` linked with the versioned hashes of the blobs their
    /// batch data was published in.
    pub fn with_data(receipts: Vec<Receipt>, data: Vec<Hash>) -> Result<Self, AggregateError> {
        let receipts_root = root_of(&receipts.iter().map(leaf).collect::<Vec<_>>())?;
        Ok(Self {
            root: link(receipts_root, data_root_of(&data)),
            receipts,
            data,
        })
    }

    /// The root over the receipts alone.
    pub fn receipts_root(&self) -> Result<Hash, AggregateError> {
        root_of(&self.receipts.iter().map(leaf).collect::<Vec<_>>())
    }

    /// Checks that the receipts (and linked data) hash to the root.
    pub fn check_root(&self) -> Result<(), AggregateError> {
        if link(self.receipts_root()?, data_root_of(&self.data)) != self.root {
            return Err(AggregateError::RootMismatch);
        }
        Ok(())
    }

    /// The inclusion proof of receipt `index`.
    pub fn inclusion_proof(&self, index: usize) -> Result<InclusionProof, AggregateError> {
        let leaf_count = self.receipts.len() as u64;
        if index >= self.receipts.len() {
            return Err(AggregateError::IndexOutOfRange {
                index: index as u64,
                leaf_count,
            });
        }
        Ok(InclusionProof {
            index: index as u64,
            leaf_count,
            siblings: path_of(self.receipts.iter().map(leaf).collect(), index),
            data_root: data_root_of(&self.data),
        })
    }

    /// The proof that linked blob `index` belongs to this aggregate.
    pub fn blob_inclusion_proof(&self, index: usize) -> Result<BlobInclusionProof, AggregateError> {
        let blob_count = self.data.len() as u64;
        if index >= self.data.len() {
            return Err(AggregateError::IndexOutOfRange {
                index: index as u64,
                leaf_count: blob_count,
            });
        }
        Ok(BlobInclusionProof {
            index: index as u64,
            blob_count,
            siblings: path_of(self.data.iter().map(data_leaf).collect(), index),
            receipts_root: self.receipts_root()?,
        })
    }
}

impl BlobInclusionProof {
    /// Checks that the blob with `versioned_hash` is entry `index` of the data linked under
    /// `root`.
    pub fn verify(&self, versioned_hash: &Hash, root: &Hash) -> Result<(), AggregateError> {
        let top = climb(
            data_leaf(versioned_hash),
            self.index,
            self.blob_count,
            &self.siblings,
        )?;
        let data_root = seal(DATA_ROOT, self.blob_count, &top);
        if link(self.receipts_root, Some(data_root)) != *root {
            return Err(AggregateError::RootMismatch);
        }
        Ok(())
    }
}

/// Siblings on the path of leaf `index` in a tree of `leaf_count` leaves: one per level where
/// the node is not the odd one carried up.
fn path_length(index: u64, leaf_count: u64) -> usize {
    let (mut i, mut width, mut needed) = (index, leaf_count, 0);
    while width > 1 {
        needed += usize::from(i ^ 1 < width);
        i /= 2;
        width = width.div_ceil(2);
    }
    needed
}

impl InclusionProof {
    /// Checks that `receipt` is leaf `index` of the tree with this `root`.
    pub fn verify(&self, receipt: &Receipt, root: &Hash) -> Result<(), AggregateError> {
        let top = climb(leaf(receipt), self.index, self.leaf_count, &self.siblings)?;
        if link(seal_root(self.leaf_count, &top), self.data_root) != *root {
            return Err(AggregateError::RootMismatch);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
