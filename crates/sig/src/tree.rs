//! The tree of one-time keys over a key's *active range* of epochs.
//!
//! The tree has [`HEIGHT`] levels over [`LIFETIME`] leaves, but a key computes only the nodes
//! whose subtree holds an active epoch. Every other node is [`EMPTY`] (four zeros): a value no
//! one knows a preimage of, so no signature can reach the root through it (SPEC.md, "Active
//! range"). Generation costs the active leaves plus about two nodes per level.

use p3_field::PrimeCharacteristicRing;

use crate::hash::tree_node;
use crate::params::HEIGHT;
#[cfg(doc)]
use crate::params::LIFETIME;
use crate::{Digest, F, Param};

/// The node of a subtree without an active epoch.
pub const EMPTY: Digest = [F::ZERO; 4];

/// The computed nodes of a key's tree: per level, the nodes from the first index whose subtree
/// holds an active epoch to the last.
#[derive(Clone, PartialEq, Eq)]
pub struct Tree {
    /// `levels[l]`: the first index computed at level l, and the nodes from it.
    levels: Vec<(u32, Vec<Digest>)>,
}

impl Tree {
    /// The tree over `leaves`, the leaves of the epochs `start..start + leaves.len()`.
    pub fn build(param: &Param, start: u32, leaves: Vec<Digest>) -> Self {
        let mut levels = Vec::with_capacity(HEIGHT + 1);
        levels.push((start, leaves));
        for level in 1..=HEIGHT {
            let (first, nodes) = &levels[level - 1];
            let child = |index: u32| -> Digest {
                index
                    .checked_sub(*first)
                    .and_then(|k| nodes.get(k as usize))
                    .copied()
                    .unwrap_or(EMPTY)
            };
            let last = first + nodes.len() as u32 - 1;
            let parents: Vec<Digest> = (first / 2..=last / 2)
                .map(|index| {
                    tree_node(
                        param,
                        level,
                        index,
                        &child(2 * index),
                        &child(2 * index + 1),
                    )
                })
                .collect();
            levels.push((first / 2, parents));
        }
        Self { levels }
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.levels[HEIGHT].1[0]
    }

    /// The node at `level` and `index`: computed, or [`EMPTY`].
    pub fn node(&self, level: usize, index: u32) -> Digest {
        let (first, nodes) = &self.levels[level];
        index
            .checked_sub(*first)
            .and_then(|k| nodes.get(k as usize))
            .copied()
            .unwrap_or(EMPTY)
    }

    /// The siblings on the path from `epoch`'s leaf to the root, leaf level first.
    pub fn path(&self, epoch: u32) -> [Digest; HEIGHT] {
        std::array::from_fn(|level| self.node(level, (epoch >> level) ^ 1))
    }
}

/// The root a leaf and its path reach: at level l the node goes left when bit l of the epoch is
/// 0.
pub fn climb(param: &Param, epoch: u32, leaf: Digest, path: &[Digest; HEIGHT]) -> Digest {
    path.iter()
        .enumerate()
        .fold(leaf, |node, (level, sibling)| {
            let parent = epoch >> (level + 1);
            if (epoch >> level) & 1 == 0 {
                tree_node(param, level + 1, parent, &node, sibling)
            } else {
                tree_node(param, level + 1, parent, sibling, &node)
            }
        })
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (start, leaves) = &self.levels[0];
        f.debug_struct("Tree")
            .field("start", start)
            .field("leaves", &leaves.len())
            .field("root", &crate::digest_hex(&self.root()))
            .finish()
    }
}
