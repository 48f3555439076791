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

use l2x_core::Receipt;
use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 value.
pub type Hash = [u8; 32];

const LEAF: u8 = 0x00;
const NODE: u8 = 0x01;
const ROOT: u8 = 0x02;

/// Receipts with the Merkle root over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    /// The root over every receipt, in order.
    pub root: Hash,
    /// The receipts, in leaf order.
    pub receipts: Vec<Receipt>,
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

/// The leaf hash of a receipt.
pub fn leaf(receipt: &Receipt) -> Hash {
    let digest = Sha256::digest(receipt.to_bytes());
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
    Sha256::new()
        .chain_update([ROOT])
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
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level_up(&level);
    }
    Ok(seal_root(leaves.len() as u64, &level[0]))
}

impl Aggregate {
    /// Builds the aggregate of `receipts` (which this does not verify; see
    /// [`crate::Executor::aggregate`]).
    pub fn new(receipts: Vec<Receipt>) -> Result<Self, AggregateError> {
        let leaves: Vec<Hash> = receipts.iter().map(leaf).collect();
        Ok(Self {
            root: root_of(&leaves)?,
            receipts,
        })
    }

    /// Checks that the receipts hash to the root.
    pub fn check_root(&self) -> Result<(), AggregateError> {
        let leaves: Vec<Hash> = self.receipts.iter().map(leaf).collect();
        if root_of(&leaves)? != self.root {
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
        let mut level: Vec<Hash> = self.receipts.iter().map(leaf).collect();
        let (mut i, mut siblings) = (index, vec![]);
        while level.len() > 1 {
            let sibling = i ^ 1;
            if sibling < level.len() {
                siblings.push(level[sibling]);
            }
            level = level_up(&level);
            i /= 2;
        }
        Ok(InclusionProof {
            index: index as u64,
            leaf_count,
            siblings,
        })
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
        let (index, leaf_count) = (self.index, self.leaf_count);
        if index >= leaf_count {
            return Err(AggregateError::IndexOutOfRange { index, leaf_count });
        }
        let needed = path_length(index, leaf_count);
        if self.siblings.len() != needed {
            return Err(AggregateError::WrongPathLength {
                found: self.siblings.len(),
                needed,
            });
        }
        let mut hash = leaf(receipt);
        let mut siblings = self.siblings.iter();
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
        if seal_root(leaf_count, &hash) != *root {
            return Err(AggregateError::RootMismatch);
        }
        Ok(())
    }
}

/// The first four bytes of an encoded aggregate.
pub const AGGREGATE_MAGIC: [u8; 4] = *b"L2XA";
/// The aggregate file format this build writes and reads.
pub const AGGREGATE_VERSION: u16 = 1;

/// Why bytes are not an aggregate this build can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateDecodeError {
    /// Not an aggregate file.
    #[error("not an l2x aggregate (it does not start with \"L2XA\")")]
    BadMagic,
    /// Written by a newer l2x, or a version that never existed.
    #[error("aggregate format version {0} is not supported (this build reads {AGGREGATE_VERSION})")]
    Version(u16),
    /// The body does not decode.
    #[error("aggregate body is malformed or truncated: {0}")]
    Body(String),
    /// One of the receipts does not decode.
    #[error("receipt {index} in the aggregate is unreadable: {error}")]
    Receipt {
        /// Its position.
        index: usize,
        /// Why.
        error: l2x_core::DecodeError,
    },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct AggregateBody {
    root: Hash,
    receipts: Vec<Vec<u8>>,
}

impl Aggregate {
    /// Encodes the aggregate: magic `L2XA`, version (u16 LE), then postcard of the root and the
    /// encoded receipts.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = AggregateBody {
            root: self.root,
            receipts: self.receipts.iter().map(Receipt::to_bytes).collect(),
        };
        let mut out = AGGREGATE_MAGIC.to_vec();
        out.extend_from_slice(&AGGREGATE_VERSION.to_le_bytes());
        match postcard::to_extend(&body, out) {
            Ok(out) => out,
            Err(e) => unreachable!("postcard cannot fail on byte vectors: {e}"),
        }
    }

    /// Decodes an aggregate; the root is not checked here (see [`Aggregate::check_root`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AggregateDecodeError> {
        let Some((header, body)) = bytes.split_first_chunk::<6>() else {
            return Err(AggregateDecodeError::BadMagic);
        };
        if header[..4] != AGGREGATE_MAGIC {
            return Err(AggregateDecodeError::BadMagic);
        }
        let version = u16::from_le_bytes([header[4], header[5]]);
        if version != AGGREGATE_VERSION {
            return Err(AggregateDecodeError::Version(version));
        }
        let (body, rest) = postcard::take_from_bytes::<AggregateBody>(body)
            .map_err(|e| AggregateDecodeError::Body(e.to_string()))?;
        if !rest.is_empty() {
            return Err(AggregateDecodeError::Body(format!(
                "{} bytes after the body",
                rest.len()
            )));
        }
        let receipts = body
            .receipts
            .iter()
            .enumerate()
            .map(|(index, r)| {
                Receipt::from_bytes(r)
                    .map_err(|error| AggregateDecodeError::Receipt { index, error })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            root: body.root,
            receipts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Executor;

    fn receipts(n: usize) -> Vec<Receipt> {
        let executor = Executor::new().unwrap();
        (0..n)
            .map(|i| {
                executor
                    .prove("fibonacci", i.to_string().as_bytes())
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn every_inclusion_proof_verifies_for_every_tree_size() {
        for n in 1..=11 {
            let aggregate = Aggregate::new(receipts(n)).unwrap();
            aggregate.check_root().unwrap();
            for (i, receipt) in aggregate.receipts.iter().enumerate() {
                let proof = aggregate.inclusion_proof(i).unwrap();
                assert_eq!(
                    proof.verify(receipt, &aggregate.root),
                    Ok(()),
                    "n = {n}, i = {i}"
                );
                let other = &aggregate.receipts[(i + 1) % n];
                if n > 1 {
                    assert!(
                        proof.verify(other, &aggregate.root).is_err(),
                        "n = {n}, i = {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_root_commits_to_order_content_and_count() {
        let r = receipts(4);
        let root = Aggregate::new(r.clone()).unwrap().root;
        let mut swapped = r.clone();
        swapped.swap(0, 1);
        assert_ne!(Aggregate::new(swapped).unwrap().root, root);
        assert_ne!(Aggregate::new(r[..3].to_vec()).unwrap().root, root);
        let mut longer = r.clone();
        longer.push(r[3].clone());
        assert_ne!(Aggregate::new(longer).unwrap().root, root);
        assert_eq!(Aggregate::new(vec![]), Err(AggregateError::Empty));
    }

    #[test]
    fn a_node_cannot_pass_as_a_leaf() {
        let r = receipts(2);
        let aggregate = Aggregate::new(r.clone()).unwrap();
        let top = node(&leaf(&r[0]), &leaf(&r[1]));
        // A one-leaf tree whose leaf hash equals the two-leaf tree's top node would need
        // SHA-256(0x00 ‖ x) = SHA-256(0x01 ‖ …); the root also binds the count.
        assert_ne!(seal_root(1, &top), aggregate.root);
        assert_ne!(root_of(&[top]).unwrap(), aggregate.root);
    }

    #[test]
    fn odd_levels_carry_the_last_node_up() {
        let r = receipts(3);
        let (a, b, c) = (leaf(&r[0]), leaf(&r[1]), leaf(&r[2]));
        let expected = seal_root(3, &node(&node(&a, &b), &c));
        assert_eq!(Aggregate::new(r).unwrap().root, expected);
    }

    #[test]
    fn proofs_with_wrong_paths_are_rejected() {
        let aggregate = Aggregate::new(receipts(5)).unwrap();
        let mut proof = aggregate.inclusion_proof(2).unwrap();
        proof.siblings.pop();
        assert!(matches!(
            proof.verify(&aggregate.receipts[2], &aggregate.root),
            Err(AggregateError::WrongPathLength { .. })
        ));
        let mut proof = aggregate.inclusion_proof(4).unwrap();
        proof.index = 5;
        assert!(
            proof
                .verify(&aggregate.receipts[4], &aggregate.root)
                .is_err()
        );
        let mut proof = aggregate.inclusion_proof(1).unwrap();
        proof.siblings[0][0] ^= 1;
        assert_eq!(
            proof.verify(&aggregate.receipts[1], &aggregate.root),
            Err(AggregateError::RootMismatch)
        );
    }

    #[test]
    fn encoding_round_trips_and_every_flipped_byte_is_caught() {
        let aggregate = Aggregate::new(receipts(3)).unwrap();
        let bytes = aggregate.to_bytes();
        assert_eq!(Aggregate::from_bytes(&bytes).unwrap(), aggregate);
        let executor = Executor::new().unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            let caught = match Aggregate::from_bytes(&b) {
                Err(_) => true,
                Ok(a) => executor.verify_aggregate(&a).is_err(),
            };
            assert!(caught, "flip at byte {i} went unnoticed");
        }
        for len in 0..bytes.len() {
            assert!(
                Aggregate::from_bytes(&bytes[..len]).is_err(),
                "truncated to {len}"
            );
        }
    }
}
