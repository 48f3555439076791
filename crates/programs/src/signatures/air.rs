//! The verification table: one row verifies one signature of [`l2x_sig`] — its chains through
//! the chain table ([`CHAIN_BUS`]), its path through the path table ([`PATH_BUS`]), every other
//! hash call a lookup on the Poseidon2 compression bus — and provides its statement — public key, epoch, message — on [`VERIFIED_BUS`]. Each constraint family is tested by a forged witness in
//! `crates/stark/tests/signatures.rs`.
//!
//! What pins each column (ACTIVE = 1; a padding row looks nothing up and provides nothing):
//! - `EPOCH_BITS`: bits; the epoch is their sum, below 2^30 by construction.
//! - `MU`, `ENCODING`: the outputs of the message and encoding calls (bus).
//! - `CHUNK`, `HIGH`, `HIGH_AND`: bits, `HIGH_AND` their products; each limb of the encoding is
//!   its eight 3-bit chunks and a 7-bit high part (`high ≤ 126` also makes it canonical); the 42
//!   chunks sum to 184.
//! - `END`: chain i's end, looked up on [`CHAIN_BUS`] with (param, epoch, i, chunk i): some row
//!   of the chain table walked a value at that position to it ([`super::chain`]).
//! - `SPONGE`: outputs of the leaf's calls (bus), from the IV `[3, epoch, 0, 0] ‖ param`.
//! - `ROOT`: looked up on [`PATH_BUS`] with the parameter, the epoch and the leaf (the last
//!   sponge state's first four lanes): a path group of [`super::path`] climbed to it.
//! - `PARAM`, `MESSAGE`, `RHO`: free; what a row proves is that they verify, and the
//!   statement it provides is exactly these columns.

use l2x_air::Val;
use l2x_air::count::{Bit, lookup, provide};
use l2x_sig::hash::Role;
use l2x_sig::params::{
    CHAINS, CHUNK_BITS, CHUNKS_PER_LIMB, DIGEST_LEN, ENCODING_LIMBS, HEIGHT, LEAF_CALLS, LIMB_BITS,
    MESSAGE_LEN, PARAM_LEN, RHO_LEN, TARGET_SUM, WIDE_LEN,
};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{InteractionBuilder, LookupBus};

use super::columns::*;
use crate::poseidon2::bus::BUS;

/// The bus of verified statements: root ‖ parameter ‖ epoch ‖ message (21 elements), provided
/// once by each active row of the verification table.
pub const VERIFIED_BUS: LookupBus<'static> = LookupBus::new("signature-verified");

/// The bus of chain walks: param ‖ epoch ‖ chain ‖ start position ‖ end (11 elements),
/// provided by the chain table, looked up 42 times by each active verification row.
pub const CHAIN_BUS: LookupBus<'static> = LookupBus::new("signature-chain");

/// The bus of tree paths: param ‖ epoch ‖ leaf ‖ root (13 elements), provided by the last row
/// of each active path group, looked up once by each active verification row.
pub const PATH_BUS: LookupBus<'static> = LookupBus::new("signature-path");

/// Elements of a verified statement.
pub const STATEMENT_LEN: usize = DIGEST_LEN + PARAM_LEN + 1 + MESSAGE_LEN;

/// The verification table. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct VerifyAir;

impl BaseAir<Val> for VerifyAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

/// A row's cells as expressions, with the sums the families share.
struct Cells<'a, E> {
    local: &'a [E],
}

impl<E: PrimeCharacteristicRing + Clone> Cells<'_, E> {
    fn col(&self, c: usize) -> E {
        self.local[c].clone()
    }

    fn range(&self, c: usize, len: usize) -> Vec<E> {
        self.local[c..c + len].to_vec()
    }

    /// Σ 2^(l − from) · bit l for l ≥ from: the epoch shifted right by `from`. Written as a
    /// sum of weighted bits, never as `acc.double() + bit`: a symbolic expression doubles by
    /// adding itself to itself, and walked as a tree that is 2^30 leaves.
    fn epoch_from(&self, from: usize) -> E {
        (from..HEIGHT)
            .map(|l| self.col(EPOCH_BITS + l) * E::from_u32(1 << (l - from)))
            .sum()
    }

    /// Chunk i's value: Σ 2^b · bit b.
    fn chunk(&self, i: usize) -> E {
        (0..CHUNK_BITS)
            .map(|b| self.col(CHUNK + CHUNK_BITS * i + b) * E::from_u32(1 << b))
            .sum()
    }
}

fn constant<E: PrimeCharacteristicRing>(role: Role) -> E {
    E::from_u32(role as u32)
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for VerifyAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: Vec<AB::Expr> = main.current_slice().iter().map(|&v| v.into()).collect();
        let cells = Cells { local: &local };
        let active = Bit::new(builder, cells.col(ACTIVE));
        eval_epoch(builder, &cells);
        eval_encoding(builder, &cells, &active);
        eval_message(builder, &cells, &active);
        eval_chains(builder, &cells, &active);
        eval_leaf_and_path(builder, &cells, &active);
        let statement = [
            cells.range(ROOT, DIGEST_LEN),
            cells.range(PARAM, PARAM_LEN),
            vec![cells.epoch_from(0)],
            cells.range(MESSAGE, MESSAGE_LEN),
        ]
        .concat();
        provide(builder, &VERIFIED_BUS, statement, active.expr());
    }
}

/// The epoch's bits are bits.
fn eval_epoch<AB: AirBuilder>(builder: &mut AB, cells: &Cells<'_, AB::Expr>) {
    for l in 0..HEIGHT {
        builder.assert_bool(cells.col(EPOCH_BITS + l));
    }
}

/// Each chunk is three bits; each limb of the encoding digest is its eight chunks and a high
/// part of 7 bits, not all ones (`high ≤ 126`: limb ≠ p − 1, canonical); on an active row the
/// 42 chunks sum to the target.
fn eval_encoding<AB: AirBuilder>(
    builder: &mut AB,
    cells: &Cells<'_, AB::Expr>,
    active: &Bit<AB::Expr>,
) {
    for b in 0..CHUNKS * CHUNK_BITS {
        builder.assert_bool(cells.col(CHUNK + b));
    }
    for limb in 0..ENCODING_LIMBS {
        let high = cells.range(HIGH + HIGH_BITS * limb, HIGH_BITS);
        for bit in &high {
            builder.assert_bool(bit.clone());
        }
        let (and_low, and_mid) = (
            cells.col(HIGH_AND + 2 * limb),
            cells.col(HIGH_AND + 2 * limb + 1),
        );
        builder.assert_eq(
            and_low.clone(),
            high[0].clone() * high[1].clone() * high[2].clone(),
        );
        builder.assert_eq(
            and_mid.clone(),
            high[3].clone() * high[4].clone() * high[5].clone(),
        );
        builder.assert_zero(and_low * and_mid * high[6].clone());
        let low = (0..CHUNKS_PER_LIMB).rev().fold(AB::Expr::ZERO, |acc, j| {
            acc * AB::Expr::from_u32(1 << CHUNK_BITS) + cells.chunk(CHUNKS_PER_LIMB * limb + j)
        });
        let high: AB::Expr = high
            .into_iter()
            .enumerate()
            .map(|(b, bit)| bit * AB::Expr::from_u32(1 << b))
            .sum();
        builder.assert_eq(
            cells.col(ENCODING + limb),
            low + high * AB::Expr::from_u32(1 << LIMB_BITS),
        );
    }
    let sum: AB::Expr = (0..CHAINS).map(|i| cells.chunk(i)).sum();
    builder.assert_zero(active.expr() * (sum - AB::Expr::from_usize(TARGET_SUM)));
}

/// Looks up one compression: `input` (16 lanes) to `output` (8).
fn compress<AB: InteractionBuilder>(
    builder: &mut AB,
    input: Vec<AB::Expr>,
    output: Vec<AB::Expr>,
    count: &Bit<AB::Expr>,
) {
    debug_assert_eq!((input.len(), output.len()), (16, WIDE_LEN));
    lookup(builder, &BUS, [input, output].concat(), count.count());
}

/// μ = C([5, epoch, 0, 0] ‖ message); the encoding digest = C([4, ρ] ‖ param ‖ μ).
fn eval_message<AB: InteractionBuilder>(
    builder: &mut AB,
    cells: &Cells<'_, AB::Expr>,
    active: &Bit<AB::Expr>,
) {
    let zero = AB::Expr::ZERO;
    let input = [
        vec![
            constant(Role::Message),
            cells.epoch_from(0),
            zero.clone(),
            zero,
        ],
        cells.range(MESSAGE, MESSAGE_LEN),
    ]
    .concat();
    compress(builder, input, cells.range(MU, WIDE_LEN), active);
    let input = [
        vec![constant(Role::Encode)],
        cells.range(RHO, RHO_LEN),
        cells.range(PARAM, PARAM_LEN),
        cells.range(MU, WIDE_LEN),
    ]
    .concat();
    compress(builder, input, cells.range(ENCODING, WIDE_LEN), active);
}

/// Chain i's end, walked from the signature's value at position xᵢ: looked up on the chain bus.
fn eval_chains<AB: InteractionBuilder>(
    builder: &mut AB,
    cells: &Cells<'_, AB::Expr>,
    active: &Bit<AB::Expr>,
) {
    let epoch = cells.epoch_from(0);
    for i in 0..CHAINS {
        let walk = [
            cells.range(PARAM, PARAM_LEN),
            vec![epoch.clone(), AB::Expr::from_usize(i), cells.chunk(i)],
            cells.range(END + DIGEST_LEN * i, DIGEST_LEN),
        ]
        .concat();
        lookup(builder, &CHAIN_BUS, walk, active.count());
    }
}

/// The leaf: a sponge over the chain ends from `[3, epoch, 0, 0] ‖ param`, two ends a call;
/// then the path from the leaf at the epoch to the root, looked up on the path bus.
fn eval_leaf_and_path<AB: InteractionBuilder>(
    builder: &mut AB,
    cells: &Cells<'_, AB::Expr>,
    active: &Bit<AB::Expr>,
) {
    let zero = AB::Expr::ZERO;
    let mut state = [
        vec![
            constant(Role::Leaf),
            cells.epoch_from(0),
            zero.clone(),
            zero.clone(),
        ],
        cells.range(PARAM, PARAM_LEN),
    ]
    .concat();
    for m in 0..LEAF_CALLS {
        let input = [
            state,
            cells.range(END + DIGEST_LEN * 2 * m, DIGEST_LEN),
            cells.range(END + DIGEST_LEN * (2 * m + 1), DIGEST_LEN),
        ]
        .concat();
        state = cells.range(SPONGE + WIDE_LEN * m, WIDE_LEN);
        compress(builder, input, state.clone(), active);
    }
    let path = [
        cells.range(PARAM, PARAM_LEN),
        vec![cells.epoch_from(0)],
        state[..DIGEST_LEN].to_vec(),
        cells.range(ROOT, DIGEST_LEN),
    ]
    .concat();
    lookup(builder, &PATH_BUS, path, active.count());
}
