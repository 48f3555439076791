//! The chain table: each row is one call m of a signature's leaf sponge. It walks the two chains
//! the call absorbs, 2m and 2m + 1, from the positions their chunks name to their ends (every
//! step a lookup on the Poseidon2 compression bus), compresses the sponge state with the two
//! ends, and on [`LEAF_BUS`] consumes the state before the call and supplies the state after it
//! — each with the encoding limbs' low parts and the chunk sum the calls so far have read from
//! their chains' positions. The verification row consumes what call 20 supplied. Each
//! constraint family is tested by a forged witness in `crates/stark/tests/signatures.rs`.
//!
//! What pins each column:
//! - `CALL`: bits, at most one set (their sum is a bit, `LIVE`); the call m = Σ m·CALL\[m\],
//!   which `CALL_INDEX` equals (a constraint), so the messages name the call by that column.
//! - Per chain: `AT` bits, exactly one set (x = Σ k·AT\[k\], so 0 ≤ x ≤ 7); `VALUE` at
//!   positions above x and `REST`: outputs of the steps (bus), step k counted `[k ≥ x]`; the
//!   value at x is free (the signature's), those below unused. The step's tweak names chain
//!   2m + j, so a row's chains are the ones its call absorbs.
//! - `STATE_OUT`: the compression of `STATE_IN ‖ end(2m) ‖ end(2m + 1)` (bus, counted `LIVE`).
//! - `STATE_IN`, `LOW_IN`, `SUM_IN`, `PARAM`, `EPOCH`: on call 0, the sponge's IV
//!   `[3, epoch, 0, 0] ‖ param`, zeros and zero; on a later call, a message of the leaf bus,
//!   consumed once — which only a live row of call m − 1 supplies, once. By induction on m,
//!   every message supplied says: "some chain values at positions x₀ … x₂ₘ₊₁ of this key and
//!   epoch walk to ends whose sponge state is this, and the positions' base-8 sums per limb and
//!   their total are these". A padding row (`LIVE` = 0) starts both chains at 7 and looks up
//!   and supplies nothing.

use l2x_air::Val;
use l2x_air::count::{Bit, lookup};
use l2x_sig::hash::Role;
use l2x_sig::params::{
    CHAIN_LEN, CHUNK_BITS, CHUNKS_PER_LIMB, DIGEST_LEN, ENCODING_LIMBS, LEAF_CALLS, PARAM_LEN,
    WIDE_LEN,
};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{InteractionBuilder, LookupBus};

use super::columns::chain::*;
use super::columns::{CHAINS_PER_CALL, LEAF_MESSAGE_LEN, REST_LEN, SLOTS};
use crate::poseidon2::bus::BUS;

/// The bus of the leaf sponge: param ‖ epoch ‖ calls done ‖ state ‖ the encoding limbs' low
/// parts ‖ the chunk sum ([`LEAF_MESSAGE_LEN`] elements). Each live chain-table row supplies
/// one (counted −1) and, past call 0, consumes one; each active verification row consumes the
/// one after the last call.
pub const LEAF_BUS: LookupBus<'static> = LookupBus::new("signature-leaf");

/// The weight of chain i's position in its encoding limb: 8^(i mod 8).
pub fn chunk_weight(chain: usize) -> u32 {
    1 << (CHUNK_BITS * (chain % CHUNKS_PER_LIMB))
}

/// A message of [`LEAF_BUS`], laid out in one place for the chain and verification tables.
pub fn leaf_message<E: Clone>(
    param: &[E],
    epoch: E,
    calls: E,
    state: &[E],
    low: &[E],
    sum: E,
) -> Vec<E> {
    debug_assert_eq!(
        (param.len(), state.len(), low.len()),
        (PARAM_LEN, WIDE_LEN, ENCODING_LIMBS)
    );
    let mut message = Vec::with_capacity(LEAF_MESSAGE_LEN);
    message.extend_from_slice(param);
    message.extend([epoch, calls]);
    message.extend_from_slice(state);
    message.extend_from_slice(low);
    message.push(sum);
    message
}

/// The chain table. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct ChainAir;

impl BaseAir<Val> for ChainAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

/// A row's cells as expressions.
struct Cells<E> {
    local: Vec<E>,
}

impl<E: PrimeCharacteristicRing + Clone> Cells<E> {
    fn col(&self, c: usize) -> E {
        self.local[c].clone()
    }

    fn range(&self, c: usize, len: usize) -> Vec<E> {
        self.local[c..c + len].to_vec()
    }

    /// Σ_m CALL\[m\] · f(m): the call's own value of `f`, 0 on a padding row.
    fn by_call(&self, f: impl Fn(usize) -> usize) -> E {
        (0..LEAF_CALLS)
            .map(|m| self.col(CALL + m) * E::from_usize(f(m)))
            .sum()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for ChainAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: Vec<AB::Expr> = main.current_slice().iter().map(|&v| v.into()).collect();
        let cells = Cells { local };
        for m in 0..LEAF_CALLS {
            builder.assert_bool(cells.col(CALL + m));
        }
        let flags = cells.range(CALL, LEAF_CALLS);
        builder.assert_eq(cells.col(CALL_INDEX), cells.by_call(|m| m));
        let live = Bit::new(builder, flags.iter().cloned().sum::<AB::Expr>());
        let later = Bit::new(builder, flags[1..].iter().cloned().sum::<AB::Expr>());

        let mut ends = Vec::with_capacity(CHAINS_PER_CALL);
        let mut starts = Vec::with_capacity(CHAINS_PER_CALL);
        for j in 0..CHAINS_PER_CALL {
            let (start, end) = eval_chain(builder, &cells, j);
            starts.push(start);
            ends.push(end);
        }

        // The call: STATE_OUT = C(STATE_IN ‖ end ‖ end).
        let input = [cells.range(STATE_IN, WIDE_LEN), ends.concat()].concat();
        let output = cells.range(STATE_OUT, WIDE_LEN);
        lookup(
            builder,
            &BUS,
            [input, output.clone()].concat(),
            live.count(),
        );

        eval_first_call(builder, &cells);

        // The state before: consumed from call m − 1 (call 0 starts from the IV above).
        let (param, epoch) = (cells.range(PARAM, PARAM_LEN), cells.col(EPOCH));
        let low_in = cells.range(LOW_IN, ENCODING_LIMBS);
        let call = cells.col(CALL_INDEX);
        let before = leaf_message(
            &param,
            epoch.clone(),
            call.clone(),
            &cells.range(STATE_IN, WIDE_LEN),
            &low_in,
            cells.col(SUM_IN),
        );
        lookup(builder, &LEAF_BUS, before, later.count());

        // The state after: the call's two positions added to their limb's low part and the sum.
        let low_out = low_after(&cells, &low_in, &starts);
        let sum_out = cells.col(SUM_IN) + starts.iter().cloned().sum::<AB::Expr>();
        let after = leaf_message(
            &param,
            epoch,
            call + AB::Expr::ONE,
            &output,
            &low_out,
            sum_out,
        );
        lookup(builder, &LEAF_BUS, after, live.supplied());
    }
}

/// Each limb's low part after the call: before, plus 8^(i mod 8) · xᵢ for the row's chains i
/// in that limb (both are in the call's limb; the weights are chosen by the call's flag).
fn low_after<E: PrimeCharacteristicRing + Clone>(
    cells: &Cells<E>,
    low_in: &[E],
    starts: &[E],
) -> Vec<E> {
    (0..ENCODING_LIMBS)
        .map(|limb| {
            let added: E = starts
                .iter()
                .enumerate()
                .map(|(j, start)| {
                    let weight = cells.by_call(|m| {
                        let chain = CHAINS_PER_CALL * m + j;
                        if chain / CHUNKS_PER_LIMB == limb {
                            chunk_weight(chain) as usize
                        } else {
                            0
                        }
                    });
                    weight * start.clone()
                })
                .sum();
            low_in[limb].clone() + added
        })
        .collect()
}

/// Chain j of the row: its start flags, and every step from the start to the end looked up.
/// Returns the start position and the end.
fn eval_chain<AB: InteractionBuilder<F = Val>>(
    builder: &mut AB,
    cells: &Cells<AB::Expr>,
    j: usize,
) -> (AB::Expr, Vec<AB::Expr>) {
    let base = CHAIN + CHAIN_WIDTH * j;
    let flags = cells.range(base + AT, CHAIN_LEN);
    for flag in &flags {
        builder.assert_bool(flag.clone());
    }
    builder.assert_one(flags.iter().cloned().sum::<AB::Expr>());
    let start: AB::Expr = flags
        .iter()
        .enumerate()
        .map(|(k, flag)| flag.clone() * AB::Expr::from_usize(k))
        .sum();
    // The chain 2m + j (j on a padding row, whose steps are counted 0).
    let chain =
        cells.col(CALL_INDEX) * AB::Expr::from_usize(CHAINS_PER_CALL) + AB::Expr::from_usize(j);
    let param = cells.range(PARAM, PARAM_LEN);
    let value = |k: usize| cells.range(base + VALUE + DIGEST_LEN * k, DIGEST_LEN);

    // Step k (position k to k + 1) is taken when k ≥ x: [k ≥ x] = Σ_{m ≤ k} AT[m], a bit
    // since the flags are one-hot.
    let mut reached = AB::Expr::ZERO;
    for (k, flag) in flags.iter().take(SLOTS).enumerate() {
        reached += flag.clone();
        let taken = Bit::new(builder, reached.clone());
        let message = [
            vec![
                AB::Expr::from_u32(Role::Chain as u32),
                cells.col(EPOCH),
                chain.clone(),
                AB::Expr::from_usize(k),
            ],
            param.clone(),
            value(k),
            vec![AB::Expr::ZERO; DIGEST_LEN],
            value(k + 1),
            cells.range(base + REST + REST_LEN * k, REST_LEN),
        ]
        .concat();
        lookup(builder, &BUS, message, taken.count());
    }
    (start, value(CHAIN_LEN - 1))
}

/// Call 0 starts from the IV `[3, epoch, 0, 0] ‖ param`, no low parts and a zero sum.
fn eval_first_call<AB: AirBuilder>(builder: &mut AB, cells: &Cells<AB::Expr>) {
    let iv = [
        vec![
            AB::Expr::from_u32(Role::Leaf as u32),
            cells.col(EPOCH),
            AB::Expr::ZERO,
            AB::Expr::ZERO,
        ],
        cells.range(PARAM, PARAM_LEN),
    ]
    .concat();
    let mut first = builder.when(cells.col(CALL));
    for (lane, value) in iv.into_iter().enumerate() {
        first.assert_eq(cells.col(STATE_IN + lane), value);
    }
    for limb in 0..ENCODING_LIMBS {
        first.assert_zero(cells.col(LOW_IN + limb));
    }
    first.assert_zero(cells.col(SUM_IN));
}
