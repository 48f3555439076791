//! The verification table: one row verifies one signature of [`l2x_sig`] — its chains and leaf
//! through the chain table ([`LEAF_BUS`]), its path through the path table ([`PATH_BUS`]), its
//! message and encoding digests as lookups on the Poseidon2 compression bus — and provides its
//! statement — public key, epoch, message — on [`VERIFIED_BUS`]. Each constraint family is
//! tested by a forged witness in `crates/stark/tests/signatures.rs`.
//!
//! What pins each column (ACTIVE = 1; a padding row looks nothing up and provides nothing):
//! - `EPOCH`: looked up on [`PATH_BUS`] (below), whose path group starts its index from it and
//!   halves it bit by bit to 0 by level 30: below 2^30, so every tweak reads it canonically.
//!   (It was 30 bit columns, each opened by every FRI query, bounding what the path group
//!   bounds already.)
//! - `MU`, `ENCODING`: the outputs of the message and encoding calls (bus).
//! - `HIGH`, `HIGH_AND`, `SPARE`: bits, `HIGH_AND` their products. Each limb of the encoding
//!   is read as its low part (the chains' chunks, base 8), the last limb's spare chunks, and a
//!   7-bit high part not all ones (`high ≤ 126`, so the sum cannot wrap: the limb's canonical
//!   bits).
//! - `LEAF`: the leaf sponge's state after its 21 calls, consumed on [`LEAF_BUS`] with the
//!   parameter, the epoch, each limb's low part and the chunk sum [`TARGET_SUM`]: the chain
//!   table walked each chain i from position chunk i to an end and absorbed the ends into this
//!   state, and the chunks sum to the target ([`super::chain`]).
//! - `ROOT`: looked up on [`PATH_BUS`] with the parameter, the epoch and the leaf (the state's
//!   first four lanes): a path group of [`super::path`] climbed to it.
//! - `PARAM`, `MESSAGE`, `RHO`: free; what a row proves is that they verify, and the
//!   statement it provides is exactly these columns.

use l2x_air::Val;
use l2x_air::count::{Bit, lookup, provide};
use l2x_sig::hash::Role;
use l2x_sig::params::{
    CHAINS, CHUNK_BITS, CHUNKS_PER_LIMB, DIGEST_LEN, ENCODING_LIMBS, LEAF_CALLS, LIMB_BITS,
    MESSAGE_LEN, PARAM_LEN, RHO_LEN, TARGET_SUM, WIDE_LEN,
};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{InteractionBuilder, LookupBus};

pub use super::chain::LEAF_BUS;
use super::chain::leaf_message;
use super::columns::*;
use crate::poseidon2::bus::BUS;

/// The bus of verified statements: root ‖ parameter ‖ epoch ‖ message (21 elements), provided
/// once by each active row of the verification table.
pub const VERIFIED_BUS: LookupBus<'static> = LookupBus::new("signature-verified");

/// The bus of tree paths: param ‖ epoch ‖ leaf ‖ root (13 elements), provided by the last row
/// of each active path group, looked up once by each active verification row.
pub const PATH_BUS: LookupBus<'static> = LookupBus::new("signature-path");

/// Elements of a verified statement.
pub const STATEMENT_LEN: usize = DIGEST_LEN + PARAM_LEN + 1 + MESSAGE_LEN;

/// The last limb's first spare chunk: the chains fill the limb's first `CHAINS mod 8` chunks.
const SPARE_SHIFT: usize = CHUNK_BITS * (CHAINS % CHUNKS_PER_LIMB);

const _: () = {
    // The last limb is shared by chains and spare chunks; the others are the chains' alone.
    assert!(
        !CHAINS.is_multiple_of(CHUNKS_PER_LIMB) && CHAINS / CHUNKS_PER_LIMB == ENCODING_LIMBS - 1
    );
    assert!(SPARE_SHIFT + SPARE_BITS == LIMB_BITS);
};

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

    /// Σ 2^b · bit b over `len` bit columns from `at`.
    fn bits(&self, at: usize, len: usize) -> E {
        (0..len)
            .map(|b| self.col(at + b) * E::from_u32(1 << b))
            .sum()
    }

    /// Limb k's low part: the limb less its high part (and, for the last, its spare chunks),
    /// which the chain table must have read as the chains' positions.
    fn low(&self, limb: usize) -> E {
        let mut low = self.col(ENCODING + limb)
            - self.bits(HIGH + HIGH_BITS * limb, HIGH_BITS) * E::from_u32(1 << LIMB_BITS);
        if limb + 1 == ENCODING_LIMBS {
            low -= self.bits(SPARE, SPARE_BITS) * E::from_u32(1 << SPARE_SHIFT);
        }
        low
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
        eval_encoding(builder, &cells);
        eval_message(builder, &cells, &active);
        eval_leaf_and_path(builder, &cells, &active);
        let statement = [
            cells.range(ROOT, DIGEST_LEN),
            cells.range(PARAM, PARAM_LEN),
            vec![cells.col(EPOCH)],
            cells.range(MESSAGE, MESSAGE_LEN),
        ]
        .concat();
        provide(builder, &VERIFIED_BUS, statement, active.expr());
    }
}

/// The spare chunks and the high parts are bits; each high part is not all ones
/// (`high ≤ 126`: limb ≠ p − 1 read from its bits, canonical).
fn eval_encoding<AB: AirBuilder>(builder: &mut AB, cells: &Cells<'_, AB::Expr>) {
    for b in 0..SPARE_BITS {
        builder.assert_bool(cells.col(SPARE + b));
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
    }
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
            cells.col(EPOCH),
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

/// The leaf: the sponge state after the last call, consumed on the leaf bus with the limbs'
/// low parts and the target sum; then the path from the leaf at the epoch to the root, looked
/// up on the path bus.
fn eval_leaf_and_path<AB: InteractionBuilder>(
    builder: &mut AB,
    cells: &Cells<'_, AB::Expr>,
    active: &Bit<AB::Expr>,
) {
    let param = cells.range(PARAM, PARAM_LEN);
    let low: Vec<AB::Expr> = (0..ENCODING_LIMBS).map(|limb| cells.low(limb)).collect();
    let leaf = leaf_message(
        &param,
        cells.col(EPOCH),
        AB::Expr::from_usize(LEAF_CALLS),
        &cells.range(LEAF, WIDE_LEN),
        &low,
        AB::Expr::from_usize(TARGET_SUM),
    );
    lookup(builder, &LEAF_BUS, leaf, active.count());
    let path = [
        param,
        vec![cells.col(EPOCH)],
        cells.range(LEAF, DIGEST_LEN),
        cells.range(ROOT, DIGEST_LEN),
    ]
    .concat();
    lookup(builder, &PATH_BUS, path, active.count());
}
