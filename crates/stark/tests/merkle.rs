//! The Merkle membership STARK: roots against Plonky3's own compression, agreement with the
//! trace backend, refused inputs, tampered receipts, and one forged witness per constraint
//! family of the path table and of the Poseidon2 bus (each mutation-checked: deleting the
//! constraint makes exactly its test pass the forgery).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::verify;
use l2x_air::{AirProgram, Val, log_height_for};
use l2x_core::Backend;
use l2x_programs::Merkle;
use l2x_programs::merkle::columns::*;
use l2x_programs::merkle::{self, Path};
use l2x_programs::poseidon2::columns::{DIGEST, OUTPUT};
use l2x_programs::poseidon2::{Digest, bus, compress};
use l2x_stark::{StarkBackend, StarkZkBackend, prove_tables, verify_tables};
use l2x_trace::TraceBackend;
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_matrix::dense::RowMajorMatrix;
use p3_symmetric::{PseudoCompressionFunction, TruncatedPermutation};

fn node(seed: usize) -> Digest {
    std::array::from_fn(|j| Val::from_usize(seed * 1000 + j * 7 + 1))
}

fn path(depth: usize, index: u32) -> Path {
    Path {
        leaf: node(1),
        index,
        siblings: (0..depth).map(|l| node(l + 2)).collect(),
    }
}

#[test]
fn roots_match_plonky3s_own_compression() {
    let compress = TruncatedPermutation::<_, 2, 8, 16>::new(default_koalabear_poseidon2_16());
    for (depth, index) in [(1, 1), (5, 21), (17, 0x1_2345), (32, 0xdead_beef)] {
        let p = path(depth, index);
        let mut expected = p.leaf;
        for (level, sibling) in p.siblings.iter().enumerate() {
            let pair = if (index >> level) & 1 == 1 {
                [*sibling, expected]
            } else {
                [expected, *sibling]
            };
            expected = compress.compress(pair);
        }
        assert_eq!(p.compressions().1, expected, "depth {depth}");
        assert_eq!(Path::parse(&p.to_bytes()).unwrap(), p);
    }
}

#[test]
fn proofs_verify_and_agree_with_the_trace_backend() {
    for (depth, index) in [
        (1, 0),
        (5, 21),
        (16, 0xffff),
        (17, 0x1_0001),
        (32, 0xdead_beef),
    ] {
        let input = path(depth, index).to_bytes();
        let receipt = StarkBackend::default().prove(&Merkle, &input).unwrap();
        assert_eq!(verify(&receipt), Ok(()), "depth {depth}");
        assert_eq!(
            receipt.claim,
            TraceBackend.prove(&Merkle, &input).unwrap().claim
        );
        assert_eq!(receipt.claim.steps, depth as u64);
    }
    let zk = StarkZkBackend::default()
        .prove(&Merkle, &path(17, 3).to_bytes())
        .unwrap();
    assert_eq!(verify(&zk), Ok(()));
}

#[test]
fn bad_inputs_are_refused_with_the_reason() {
    let cases: [(Vec<u8>, &str); 5] = [
        (vec![], "empty"),
        (path(5, 32).to_bytes(), "not below 2^5"),
        (
            [&[0u8][..], &path(1, 0).to_bytes()[1..]].concat(),
            "depth is 0",
        ),
        (path(5, 1).to_bytes()[..40].to_vec(), "takes"),
        (
            {
                let mut b = path(2, 1).to_bytes();
                b[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
                b
            },
            "modulus",
        ),
    ];
    for (input, reason) in cases {
        let err = StarkBackend::default()
            .prove(&Merkle, &input)
            .unwrap_err()
            .to_string();
        assert!(err.contains(reason), "{err}");
    }
}

#[test]
fn tampered_receipts_are_rejected_without_panic() {
    let receipt = StarkBackend::default()
        .prove(&Merkle, &path(5, 21).to_bytes())
        .unwrap();
    common::assert_tampering_rejected(&receipt, 300);
}

// ---- Forged witnesses ----

/// Departures from the honest witness, each made consistently with every other constraint.
#[derive(Default, Clone)]
struct Tweaks {
    /// The node at this level replaced (the chain breaks here).
    node_at: Option<(usize, Digest)>,
    /// The left input replaced at this level, node, sibling and bit kept.
    left_at: Option<(usize, Digest)>,
    /// The right input replaced at this level.
    right_at: Option<(usize, Digest)>,
    /// The parent at this level replaced, the bus left honest.
    parent_at: Option<(usize, Digest)>,
    /// The bit at this level replaced.
    bit_at: Option<(usize, Val)>,
    /// The level skips one at this row.
    level_skip_at: Option<usize>,
    /// The level starts at this value.
    level_start: Option<u32>,
    /// The halves switch at this level (honest: 16 when the depth is above 16).
    switch_at: Option<usize>,
    /// The high half from the first row on.
    high_from_start: bool,
    /// The first weight.
    weight_start: Option<Val>,
    /// The weight triples instead of doubling at this level.
    weight_triples_at: Option<usize>,
    /// Added to the weighted bit at this level.
    weighted_extra: Option<(usize, Val)>,
    /// Added to the low (false) or high (true) accumulator at this level only.
    acc_extra: Option<(usize, bool, Val)>,
}

/// The path table and the compressions looked up, built from `leaf`, `index`, `siblings` by the
/// table's own relations, with `t` applied; and the claim it supports.
fn build(p: &Path, rows: usize, t: &Tweaks) -> (RowMajorMatrix<Val>, Vec<(Digest, Digest)>, Claim) {
    let perm = default_koalabear_poseidon2_16();
    let depth = p.depth();
    let mut values = vec![Val::ZERO; rows * WIDTH];
    let mut pairs = vec![];
    let mut node = p.leaf;
    let (mut high, mut weight) = (
        Val::from_bool(t.high_from_start),
        t.weight_start.unwrap_or(Val::ONE),
    );
    let (mut acc_lo, mut acc_hi) = (Val::ZERO, Val::ZERO);
    let mut level = Val::from_u32(t.level_start.unwrap_or(0));
    let switch = t.switch_at.or((depth > 16).then_some(16));
    let mut claim = None;
    for i in 0..rows {
        let row = &mut values[i * WIDTH..(i + 1) * WIDTH];
        if i > 0 {
            level += Val::from_u32(1 + u32::from(t.level_skip_at == Some(i)));
            let step = Val::from_bool(switch == Some(i));
            high += step;
            let factor = if t.weight_triples_at == Some(i) { 3 } else { 2 };
            weight = weight * Val::from_u32(factor) * (Val::ONE - step) + step;
        }
        let active = i < depth;
        let mut bit = Val::from_bool(active && (p.index >> i) & 1 == 1);
        if let Some((_, b)) = t.bit_at.filter(|&(l, _)| l == i) {
            bit = b;
        }
        if let Some((_, n)) = t.node_at.filter(|&(l, _)| l == i) {
            node = n;
        }
        let sibling = if active {
            p.siblings[i]
        } else {
            [Val::ZERO; DIGEST]
        };
        if !active {
            node = [Val::ZERO; DIGEST];
        }
        let mut left: Digest = std::array::from_fn(|j| node[j] + bit * (sibling[j] - node[j]));
        let mut right: Digest = std::array::from_fn(|j| sibling[j] + bit * (node[j] - sibling[j]));
        if let Some((_, l)) = t.left_at.filter(|&(l, _)| l == i) {
            left = l;
        }
        if let Some((_, r)) = t.right_at.filter(|&(l, _)| l == i) {
            right = r;
        }
        let mut parent = [Val::ZERO; DIGEST];
        if active {
            parent = compress(&perm, &left, &right);
            pairs.push((left, right));
            if let Some((_, q)) = t.parent_at.filter(|&(l, _)| l == i) {
                parent = q;
            }
        }
        let mut weighted = bit * weight;
        if let Some((_, e)) = t.weighted_extra.filter(|&(l, _)| l == i) {
            weighted += e;
        }
        if i == 0 {
            acc_lo = weighted;
        } else {
            acc_lo += weighted * (Val::ONE - high);
            acc_hi += weighted * high;
        }
        match t.acc_extra {
            Some((l, false, e)) if l == i => acc_lo += e,
            Some((l, true, e)) if l == i => acc_hi += e,
            _ => {}
        }
        row[NODE..NODE + DIGEST].copy_from_slice(&node);
        row[SIBLING..SIBLING + DIGEST].copy_from_slice(&sibling);
        row[LEFT..LEFT + DIGEST].copy_from_slice(&left);
        row[RIGHT..RIGHT + DIGEST].copy_from_slice(&right);
        row[PARENT..PARENT + DIGEST].copy_from_slice(&parent);
        row[BIT] = bit;
        row[LEVEL] = level;
        row[IS_LAST] = Val::from_bool(i + 1 == depth);
        row[SEEN] = Val::from_bool(i + 1 >= depth);
        row[HIGH] = high;
        row[WEIGHT] = weight;
        row[WEIGHTED_BIT] = weighted;
        row[ACC_LO] = acc_lo;
        row[ACC_HI] = acc_hi;
        if i + 1 == depth {
            let index = acc_lo.as_canonical_u32() + (acc_hi.as_canonical_u32() << 16);
            claim = Some((parent, p.leaf, index, depth as u32));
        }
        node = parent;
    }
    (RowMajorMatrix::new(values, WIDTH), pairs, claim.unwrap())
}

/// A claim: root, leaf, index, depth.
type Claim = (Digest, Digest, u32, u32);

/// Whether the forged witness verifies for the claim `edit_claim` makes of the one it supports,
/// the bus table edited by `edit_bus`.
fn accepted(
    p: &Path,
    t: Tweaks,
    edit_claim: impl FnOnce(&mut Claim),
    edit_path: impl FnOnce(&mut [Val]),
    edit_bus: impl FnOnce(&mut [Val]),
) -> bool {
    let (mut path_trace, pairs, mut claim) = build(p, 1 << merkle::air::LOG_HEIGHT, &t);
    edit_claim(&mut claim);
    edit_path(&mut path_trace.values);
    let (root, leaf, index, depth) = claim;
    let public_values = merkle::public_values(&root, &leaf, index, depth);
    let tables = Merkle.tables(&public_values, 0).unwrap();
    let mut bus_trace = bus::generate(&pairs, 1 << log_height_for(depth.into(), 4));
    edit_bus(&mut bus_trace.values);
    match prove_tables(&merkle::ID, &tables, &[path_trace, bus_trace]) {
        Ok(seal) => verify_tables(&merkle::ID, &tables, &seal).is_ok(),
        Err(_) => false,
    }
}

/// Whether the witness with tweaks `t` verifies for the claim it supports.
fn forged(p: &Path, t: Tweaks) -> bool {
    accepted(p, t, |_| {}, |_| {}, |_| {})
}

/// Whether the honest witness verifies for a claim changed by `edit`.
fn claimed(p: &Path, edit: impl FnOnce(&mut Claim)) -> bool {
    accepted(p, Tweaks::default(), edit, |_| {}, |_| {})
}

fn p5() -> Path {
    path(5, 5)
}

fn p17() -> Path {
    path(17, 5)
}

fn set(values: &mut [Val], row: usize, column: usize, value: Val) {
    values[row * WIDTH + column] = value;
}

#[test]
fn honest_witnesses_are_accepted() {
    for p in [p5(), p17(), path(17, 0x1_0005), path(32, 2)] {
        assert!(forged(&p, Tweaks::default()), "depth {}", p.depth());
    }
}

#[test]
fn the_path_starts_at_the_public_leaf() {
    assert!(!claimed(&p5(), |c| c.1 = node(99)));
}

#[test]
fn the_last_parent_is_the_public_root() {
    assert!(!claimed(&p5(), |c| c.0[0] += Val::ONE));
}

#[test]
fn each_node_is_the_parent_below_it() {
    let t = Tweaks {
        node_at: Some((2, node(77))),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn the_bit_chooses_the_left_input() {
    let t = Tweaks {
        left_at: Some((2, node(66))),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn the_bit_chooses_the_right_input() {
    let t = Tweaks {
        right_at: Some((2, node(66))),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn bits_are_bits() {
    let t = Tweaks {
        bit_at: Some((1, Val::TWO)),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn every_parent_is_a_compression_on_the_bus() {
    let t = Tweaks {
        parent_at: Some((2, node(55))),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn the_bus_checks_every_round() {
    // The bus row's output and the path's parent altered alike: only the rounds object.
    let (_, pairs, _) = build(&p5(), 32, &Tweaks::default());
    let perm = default_koalabear_poseidon2_16();
    let mut wrong = compress(&perm, &pairs[2].0, &pairs[2].1);
    wrong[0] += Val::ONE;
    let t = Tweaks {
        parent_at: Some((2, wrong)),
        ..Tweaks::default()
    };
    assert!(!accepted(
        &p5(),
        t,
        |_| {},
        |_| {},
        |v| v[2 * bus::WIDTH + OUTPUT] += Val::ONE
    ));
}

#[test]
fn the_depth_is_the_public_depth() {
    assert!(!claimed(&p5(), |c| c.3 = 6));
}

#[test]
fn the_low_half_of_the_index_is_public() {
    assert!(!claimed(&p5(), |c| c.2 ^= 2));
}

#[test]
fn the_high_half_of_the_index_is_public() {
    assert!(!claimed(&path(17, 0x1_0005), |c| c.2 ^= 1 << 16));
}

#[test]
fn a_deep_path_reaches_the_high_half() {
    let t = Tweaks {
        switch_at: Some(usize::MAX),
        ..Tweaks::default()
    };
    assert!(!forged(&p17(), t));
}

#[test]
fn the_halves_switch_at_level_16() {
    let t = Tweaks {
        switch_at: Some(15),
        ..Tweaks::default()
    };
    assert!(!forged(&p17(), t));
}

#[test]
fn the_low_half_comes_first() {
    // Index 2 at depth 32 would pass for 2^17.
    let t = Tweaks {
        high_from_start: true,
        switch_at: Some(usize::MAX),
        ..Tweaks::default()
    };
    assert!(!forged(&path(32, 2), t));
}

#[test]
fn the_first_weight_is_one() {
    let t = Tweaks {
        weight_start: Some(Val::TWO),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn weights_double() {
    let t = Tweaks {
        weight_triples_at: Some(3),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn the_weighted_bit_is_bit_times_weight() {
    let t = Tweaks {
        weighted_extra: Some((1, Val::TWO)),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn the_low_half_starts_at_the_first_bit() {
    let t = Tweaks {
        acc_extra: Some((0, false, Val::from_u32(8))),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn the_high_half_starts_at_zero() {
    let t = Tweaks {
        acc_extra: Some((0, true, Val::ONE)),
        ..Tweaks::default()
    };
    assert!(!forged(&p17(), t));
}

#[test]
fn the_low_half_adds_each_bit() {
    let t = Tweaks {
        acc_extra: Some((2, false, Val::from_u32(16))),
        ..Tweaks::default()
    };
    assert!(!forged(&p5(), t));
}

#[test]
fn the_high_half_adds_each_bit() {
    let t = Tweaks {
        acc_extra: Some((16, true, Val::ONE)),
        ..Tweaks::default()
    };
    assert!(!forged(&p17(), t));
}

#[test]
fn levels_start_at_zero() {
    let t = Tweaks {
        level_start: Some(1),
        ..Tweaks::default()
    };
    assert!(!accepted(&p5(), t, |c| c.3 = 6, |_| {}, |_| {}));
}

#[test]
fn levels_count_up_by_one() {
    let t = Tweaks {
        level_skip_at: Some(3),
        ..Tweaks::default()
    };
    assert!(!accepted(&p5(), t, |c| c.3 = 6, |_| {}, |_| {}));
}

fn zero_mults(bus_values: &mut [Val], rows: impl IntoIterator<Item = usize>) {
    for row in rows {
        bus_values[row * bus::WIDTH + bus::MULT] = Val::ZERO;
    }
}

#[test]
fn the_count_starts_at_the_first_flag() {
    // No level flagged, counted from the start: no lookups, any root.
    let no_flag = |v: &mut [Val]| {
        for row in 0..32 {
            set(v, row, IS_LAST, Val::ZERO);
            set(v, row, SEEN, Val::ONE);
        }
    };
    assert!(!accepted(
        &p5(),
        Tweaks::default(),
        |c| c.0 = node(42),
        no_flag,
        |v| { zero_mults(v, 0..16) }
    ));
}

#[test]
fn the_count_adds_each_flag() {
    // The last level unflagged but counted: its lookup dropped, any root.
    assert!(!accepted(
        &p5(),
        Tweaks::default(),
        |c| c.0 = node(42),
        |v| set(v, 4, IS_LAST, Val::ZERO),
        |v| zero_mults(v, [4]),
    ));
}

#[test]
fn some_level_is_the_last() {
    // A full-depth path with no level flagged: any root.
    assert!(!accepted(
        &path(32, 2),
        Tweaks::default(),
        |c| c.0 = node(42),
        |v| {
            for row in 0..32 {
                set(v, row, IS_LAST, Val::ZERO);
                set(v, row, SEEN, Val::ZERO);
            }
        },
        |_| {},
    ));
}
