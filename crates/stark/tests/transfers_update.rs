//! The update table of `transfers` (a leaf's old and new paths side by side): one forged
//! witness per constraint family, each mutation-checked by deleting the constraint. The block
//! is one self-transfer, so that a departure made alike in both of its groups (the sender's
//! and the receiver's update, at the same index) stays consistent between them: the
//! receiver's old leaf is the sender's new one.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod signed;

use l2x_air::Val;
use l2x_programs::poseidon2::{Digest, compress};
use l2x_programs::transfers::columns::{self, update::*};
use l2x_programs::transfers::state::DEPTH;
use l2x_programs::transfers::trace::{self, Level, Row};
use l2x_programs::transfers::{Block, Claim, Tree};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::default_koalabear_poseidon2_16;

const D: usize = 8;

/// Departures from an honest group (levels are rows of the group).
#[derive(Default, Clone)]
struct Tweaks {
    /// The old node at this level replaced (the old chain breaks here).
    node_at: Option<(usize, Digest)>,
    /// The new node at this level replaced.
    node_new_at: Option<(usize, Digest)>,
    /// The old compression's left input replaced at this level.
    left_at: Option<(usize, Digest)>,
    /// The old compression's right input replaced.
    right_at: Option<(usize, Digest)>,
    /// The new compression's left input replaced.
    left_new_at: Option<(usize, Digest)>,
    /// The new compression's right input replaced.
    right_new_at: Option<(usize, Digest)>,
    /// The old path starts from this node (the group's LEAF column keeps the leaf).
    start: Option<Digest>,
    /// The new path starts from this node.
    start_new: Option<Digest>,
    /// The LEAF column below this level (the real leaf from it on).
    leaf_until: Option<(usize, Digest)>,
    /// The LEAF_NEW column below this level.
    leaf_new_until: Option<(usize, Digest)>,
    /// The bit at this level.
    bit_at: Option<(usize, Val)>,
    /// The halves switch at this level (honest: 16; 0: never).
    switch_at: Option<usize>,
    /// The high half from the first row on.
    high_start: bool,
    /// The first weight.
    weight_start: Option<Val>,
    /// The weight triples instead of doubling at this level.
    weight_triples_at: Option<usize>,
    /// Added to the weighted bit at this level.
    weighted_extra: Option<(usize, Val)>,
    /// Added to the low (false) or high (true) accumulator at this level only.
    acc_extra: Option<(usize, bool, Val)>,
    /// Levels (from, to) whose ACTIVE is 0: their compressions are not looked up.
    inactive: Option<(usize, usize)>,
    /// Rows of the group (honest: 32), its last flagged.
    depth: Option<usize>,
    /// The LEVEL written on the group's last row (honest: its row).
    last_level: Option<usize>,
}

/// One group's rows, the compressions its active levels look up, and what it provides.
struct Group {
    rows: Vec<Val>,
    compressions: Vec<(Digest, Digest)>,
    index: [Val; 2],
    roots: (Digest, Digest),
}

fn at<T: Copy>(tweak: Option<(usize, T)>, level: usize) -> Option<T> {
    tweak.filter(|&(l, _)| l == level).map(|(_, v)| v)
}

/// The group of the update of `leaves` at `index` under `siblings`, built by the table's own
/// relations with `t` applied.
fn build(index: u32, leaves: (Digest, Digest), siblings: &[Digest; DEPTH], t: &Tweaks) -> Group {
    let perm = default_koalabear_poseidon2_16();
    let depth = t.depth.unwrap_or(DEPTH);
    let mut rows = vec![Val::ZERO; depth * WIDTH];
    let mut compressions = vec![];
    let mut node = t.start.unwrap_or(leaves.0);
    let mut node_new = t.start_new.unwrap_or(leaves.1);
    let (mut high, mut weight) = (
        Val::from_bool(t.high_start),
        t.weight_start.unwrap_or(Val::ONE),
    );
    let (mut acc_lo, mut acc_hi) = (Val::ZERO, Val::ZERO);
    let switch = t.switch_at.unwrap_or(16);
    for (level, row) in rows.chunks_exact_mut(WIDTH).enumerate() {
        if level > 0 {
            let step = Val::from_bool(switch == level);
            high += step;
            let factor = if t.weight_triples_at == Some(level) {
                3
            } else {
                2
            };
            weight = weight * Val::from_u32(factor) * (Val::ONE - step) + step;
        }
        let bit = at(t.bit_at, level).unwrap_or(Val::from_u32((index >> level) & 1));
        node = at(t.node_at, level).unwrap_or(node);
        node_new = at(t.node_new_at, level).unwrap_or(node_new);
        let below = |until: Option<(usize, Digest)>, real: Digest| match until {
            Some((k, d)) if level < k => d,
            _ => real,
        };
        let (leaf, leaf_new) = (
            below(t.leaf_until, leaves.0),
            below(t.leaf_new_until, leaves.1),
        );
        let active = !matches!(t.inactive, Some((a, b)) if (a..b).contains(&level));
        let sibling = siblings[level];
        let order = |n: Digest| -> (Digest, Digest) {
            (
                std::array::from_fn(|j| n[j] + bit * (sibling[j] - n[j])),
                std::array::from_fn(|j| sibling[j] + bit * (n[j] - sibling[j])),
            )
        };
        let (mut left, mut right) = order(node);
        let (mut left_new, mut right_new) = order(node_new);
        left = at(t.left_at, level).unwrap_or(left);
        right = at(t.right_at, level).unwrap_or(right);
        left_new = at(t.left_new_at, level).unwrap_or(left_new);
        right_new = at(t.right_new_at, level).unwrap_or(right_new);
        let parent = compress(&perm, &left, &right);
        let parent_new = compress(&perm, &left_new, &right_new);
        if active {
            compressions.push((left, right));
            compressions.push((left_new, right_new));
        }
        let mut weighted = bit * weight;
        weighted += at(t.weighted_extra, level).unwrap_or(Val::ZERO);
        if level == 0 {
            acc_lo = weighted;
        } else {
            acc_lo += weighted * (Val::ONE - high);
            acc_hi += weighted * high;
        }
        match t.acc_extra {
            Some((l, false, e)) if l == level => acc_lo += e,
            Some((l, true, e)) if l == level => acc_hi += e,
            _ => {}
        }
        Level {
            node: (node, node_new),
            sibling,
            inputs: ((left, right), (left_new, right_new)),
            parents: (parent, parent_new),
            leaves: (leaf, leaf_new),
        }
        .put(row);
        row[BIT] = bit;
        let last = level == depth - 1;
        row[LEVEL] = Val::from_usize(t.last_level.filter(|_| last).unwrap_or(level));
        row[IS_LAST] = Val::from_bool(last);
        row[HIGH] = high;
        row[WEIGHT] = weight;
        row[WEIGHTED_BIT] = weighted;
        row[ACC_LO] = acc_lo;
        row[ACC_HI] = acc_hi;
        row[ACTIVE] = Val::from_bool(active);
        (node, node_new) = (parent, parent_new);
    }
    Group {
        rows,
        compressions,
        index: [acc_lo, acc_hi],
        roots: (node, node_new),
    }
}

/// An inactive group of `len` rows (none when `len` is 0), its last row's LEVEL `last_level`
/// if given.
fn build_padding(len: usize, last_level: Option<usize>) -> Vec<Val> {
    let mut rows = vec![Val::ZERO; len * WIDTH];
    let mut weight = Val::ONE;
    for (level, row) in rows.chunks_exact_mut(WIDTH).enumerate() {
        if level > 0 {
            weight = if level == 16 {
                Val::ONE
            } else {
                weight.double()
            };
        }
        let last = level + 1 == len;
        row[LEVEL] = Val::from_usize(last_level.filter(|_| last).unwrap_or(level));
        row[IS_LAST] = Val::from_bool(last);
        row[HIGH] = Val::from_bool(level >= 16);
        row[WEIGHT] = weight;
    }
    rows
}

fn digest(values: &[Val], row: usize, column: usize) -> Digest {
    std::array::from_fn(|j| values[row * columns::WIDTH + column + j])
}

fn set(values: &mut [Val], row: usize, column: usize, d: &[Val]) {
    values[row * columns::WIDTH + column..][..d.len()].copy_from_slice(d);
}

/// Whether the one-self-transfer block verifies with its sender's group built with `sender`
/// and its receiver's with `receiver`, the transfer row and the claim following the groups.
fn accepted(sender: &Tweaks, receiver: &Tweaks) -> bool {
    accepted_edited(|_| {}, |_| (sender.clone(), receiver.clone()))
}

/// The four leaves of the transfer row: the sender's old and new, the receiver's old and new.
type Leaves = [Digest; 4];

/// As [`accepted`], with the transfer row edited by `edit` first and the groups' departures
/// chosen by `tweaks` from the row's leaves.
fn accepted_edited(
    edit: impl FnOnce(&mut Row),
    tweaks: impl FnOnce(&Leaves) -> (Tweaks, Tweaks),
) -> bool {
    let perm = default_koalabear_poseidon2_16();
    let wallet = signed::wallet(3, 51);
    let index = *wallet.accounts.keys().next().unwrap();
    let transfer = wallet.sign(index, index, 7).unwrap();
    let block = Block {
        chain_id: wallet.chain_id,
        accounts: wallet.state(),
        transfers: vec![transfer],
    };
    let (_, steps, _) = block.apply().unwrap();
    let mut row = Row::new(&steps[0]);
    edit(&mut row);
    let old_root = Tree::new(block.accounts.iter().copied()).root();
    let mut traces = trace::generate(std::slice::from_ref(&row), old_root, 4, 64);
    let t = &mut traces.transfers.values;
    let leaves: Leaves = [
        columns::SENDER_LEAF,
        columns::SENDER_LEAF_NEW,
        columns::RECEIVER_LEAF,
        columns::RECEIVER_LEAF_NEW,
    ]
    .map(|c| digest(t, 0, c));
    let (sender, receiver) = tweaks(&leaves);
    let g0 = build(
        row.from,
        (leaves[0], leaves[1]),
        &row.sender_siblings,
        &sender,
    );
    let g1 = build(
        row.to,
        (leaves[2], leaves[3]),
        &row.receiver_siblings,
        &receiver,
    );
    let padding = build_padding(
        2 * DEPTH - (g0.rows.len() + g1.rows.len()) / WIDTH,
        receiver.last_level,
    );
    traces.updates.values = [g0.rows, g1.rows, padding].concat();
    traces
        .compressions
        .splice(6.., g0.compressions.into_iter().chain(g1.compressions));
    set(t, 0, columns::ROOT_IN, &g0.roots.0);
    set(t, 0, columns::ROOT_MID, &g0.roots.1);
    set(t, 0, columns::ROOT_OUT, &g1.roots.1);
    for padding in 1..4 {
        set(t, padding, columns::ROOT_IN, &g1.roots.1);
        set(t, padding, columns::ROOT_OUT, &g1.roots.1);
    }
    // The indices the groups provide, and the commitment that hashes them.
    set(t, 0, columns::FROM_LO, &g0.index);
    set(t, 0, columns::TO_LO, &g1.index);
    let mut first = traces.compressions[4].1;
    first[..2].copy_from_slice(&g0.index);
    first[2..4].copy_from_slice(&g1.index);
    let second = traces.compressions[5].1;
    let mid = compress(&perm, &[Val::ZERO; D], &first);
    let commitment = compress(&perm, &mid, &second);
    traces.compressions[4] = ([Val::ZERO; D], first);
    traces.compressions[5] = (mid, second);
    set(t, 0, columns::COMMIT_MID, &mid);
    for r in 0..4 {
        if r > 0 {
            set(t, r, columns::COMMIT_IN, &commitment);
        }
        set(t, r, columns::COMMIT_OUT, &commitment);
    }
    let claim = Claim {
        old_root: g0.roots.0,
        new_root: g1.roots.1,
        commitment,
        count: 1,
        chain_id: block.chain_id,
    };
    signed::accepted(
        &claim,
        traces.transfers,
        traces.updates,
        &traces.compressions,
    )
}

/// The same departure in both groups.
fn both(t: Tweaks) -> bool {
    accepted(&t, &t)
}

fn node(seed: u32) -> Digest {
    std::array::from_fn(|j| Val::from_u32(seed * 1000 + j as u32 * 7 + 1))
}

#[test]
fn honest_groups_are_accepted() {
    assert!(both(Tweaks::default()));
}

#[test]
fn the_old_path_starts_at_the_old_leaf() {
    let t = Tweaks {
        start: Some(node(5)),
        ..Tweaks::default()
    };
    assert!(!accepted(&t, &Tweaks::default()), "the table's first row");
}

/// The receiver made up: 1000 more before and after than the sender's update left it. Its
/// leaves then differ from the sender's new leaf, which the tree holds at the index.
fn richer_receiver(row: &mut Row) {
    const GOT: usize = 3;
    const GOT_NEW: usize = 4;
    row.set_number(GOT, row.number(GOT) + 1000);
    row.set_number(GOT_NEW, row.number(GOT_NEW) + 1000);
    row.carries[1] = trace::carries(row.number(GOT), row.number(0), 0);
}

#[test]
fn the_new_path_starts_at_the_new_leaf() {
    let t = Tweaks {
        start_new: Some(node(5)),
        ..Tweaks::default()
    };
    assert!(!accepted(&Tweaks::default(), &t), "a group after the first");
    // The table's first row: the sender's new path climbs from the made-up receiver's leaf
    // (so that the receiver's old path, from its own leaf, meets it).
    assert!(!accepted_edited(richer_receiver, |leaves| {
        let sender = Tweaks {
            start_new: Some(leaves[2]),
            ..Tweaks::default()
        };
        (sender, Tweaks::default())
    }));
}

#[test]
fn the_old_path_starts_at_the_old_leaf_after_the_first_group() {
    // The made-up receiver's group climbs from the leaf the tree holds (the sender's new one)
    // while its LEAF column, and so its update, names the made-up leaf.
    assert!(!accepted_edited(richer_receiver, |leaves| {
        let receiver = Tweaks {
            start: Some(leaves[1]),
            ..Tweaks::default()
        };
        (Tweaks::default(), receiver)
    }));
}

#[test]
fn each_old_node_is_the_parent_below_it() {
    let t = Tweaks {
        node_at: Some((7, node(7))),
        ..Tweaks::default()
    };
    assert!(!accepted(&t, &Tweaks::default()));
}

#[test]
fn each_new_node_is_the_parent_below_it() {
    let t = Tweaks {
        node_new_at: Some((7, node(7))),
        ..Tweaks::default()
    };
    assert!(!accepted(&Tweaks::default(), &t));
}

#[test]
fn the_bit_orders_the_old_inputs() {
    for t in [
        Tweaks {
            left_at: Some((3, node(8))),
            ..Tweaks::default()
        },
        Tweaks {
            right_at: Some((3, node(8))),
            ..Tweaks::default()
        },
    ] {
        assert!(!accepted(&t, &Tweaks::default()));
    }
}

#[test]
fn the_new_path_has_the_old_paths_siblings() {
    for t in [
        Tweaks {
            left_new_at: Some((3, node(8))),
            ..Tweaks::default()
        },
        Tweaks {
            right_new_at: Some((3, node(8))),
            ..Tweaks::default()
        },
    ] {
        assert!(!accepted(&Tweaks::default(), &t));
    }
}

#[test]
fn the_leaves_are_carried_through_the_group() {
    // The path climbs from a made-up leaf, which the LEAF column shows at the start (as it
    // must) and which turns into the real leaf on the way up, for the message.
    let made_up = node(9);
    let old = Tweaks {
        start: Some(made_up),
        leaf_until: Some((9, made_up)),
        ..Tweaks::default()
    };
    assert!(!accepted(&old, &Tweaks::default()));
    let new = Tweaks {
        start_new: Some(made_up),
        leaf_new_until: Some((9, made_up)),
        ..Tweaks::default()
    };
    assert!(!accepted(&Tweaks::default(), &new));
}

#[test]
fn bits_are_bits() {
    // A bit of 2 at a level whose index bit is 0: the inputs are mixed, not swapped (and the
    // index read is off by twice the weight), in both groups alike.
    let level = (0..DEPTH).find(|l| first_index() >> l & 1 == 0).unwrap();
    assert!(!both(Tweaks {
        bit_at: Some((level, Val::TWO)),
        ..Tweaks::default()
    }));
}

fn first_index() -> u32 {
    *signed::wallet(3, 51).accounts.keys().next().unwrap()
}

/// Asserts that `t` is rejected in the table's first group (first-row constraints) and in
/// the second (constraints at a group's start).
fn rejected_in_either_group(t: Tweaks) {
    assert!(!accepted(&t, &Tweaks::default()), "first group");
    assert!(!accepted(&Tweaks::default(), &t), "second group");
}

#[test]
fn the_weighted_bit_is_bit_times_weight() {
    rejected_in_either_group(Tweaks {
        weighted_extra: Some((4, Val::ONE)),
        ..Tweaks::default()
    });
}

#[test]
fn weights_double() {
    rejected_in_either_group(Tweaks {
        weight_triples_at: Some(5),
        ..Tweaks::default()
    });
}

#[test]
fn the_first_weight_is_one() {
    rejected_in_either_group(Tweaks {
        weight_start: Some(Val::TWO),
        ..Tweaks::default()
    });
}

#[test]
fn a_group_starts_in_the_low_half() {
    rejected_in_either_group(Tweaks {
        high_start: true,
        switch_at: Some(0),
        ..Tweaks::default()
    });
}

#[test]
fn the_halves_switch_at_level_16() {
    rejected_in_either_group(Tweaks {
        switch_at: Some(15),
        ..Tweaks::default()
    });
}

#[test]
fn the_last_level_is_in_the_high_half() {
    // Never switching: the whole index in the low accumulator.
    rejected_in_either_group(Tweaks {
        switch_at: Some(0),
        ..Tweaks::default()
    });
}

#[test]
fn the_accumulators_add_the_weighted_bits() {
    for (level, high) in [(4, false), (20, true)] {
        rejected_in_either_group(Tweaks {
            acc_extra: Some((level, high, Val::ONE)),
            ..Tweaks::default()
        });
    }
}

#[test]
fn the_first_accumulators_are_the_first_bit() {
    for high in [false, true] {
        rejected_in_either_group(Tweaks {
            acc_extra: Some((0, high, Val::ONE)),
            ..Tweaks::default()
        });
    }
}

#[test]
fn a_group_is_active_throughout() {
    // Levels 20-25 inactive: their compressions are not looked up (so they could be anything).
    rejected_in_either_group(Tweaks {
        inactive: Some((20, 26)),
        ..Tweaks::default()
    });
}

#[test]
fn groups_end_on_level_31() {
    // Paths of depth 21 (their "roots" level-21 nodes) in groups of 21 rows, and an inactive
    // group of 22 rows filling the table: each ends on a flagged row, but not on level 31.
    assert!(!both(Tweaks {
        depth: Some(21),
        ..Tweaks::default()
    }));
}

#[test]
fn levels_count_up_one_by_one() {
    // The same short groups, their last rows labelled level 31.
    assert!(!both(Tweaks {
        depth: Some(21),
        last_level: Some(31),
        ..Tweaks::default()
    }));
}
