//! The constraints of the SHA-256 table (one table, no lookups: every value that is added is a
//! sum of bit columns, so bits are the range checks).
//!
//! All constraints have degree at most 3 (the rate-1/2 FRI configuration allows 3): the
//! degree-3 bit functions (xor of three bits, majority) are computed into 16-bit half columns
//! by ungated constraints, and the gated constraints only add those halves.

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;

use super::columns::*;
use super::native::{H0, K, ROUNDS};

/// The SHA-256 table's constraints; public inputs as [`NUM_PUBLIC_VALUES`] describes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha256Air;

impl<F> BaseAir<F> for Sha256Air {
    fn width(&self) -> usize {
        WIDTH
    }

    fn num_public_values(&self) -> usize {
        NUM_PUBLIC_VALUES
    }
}

impl<AB: AirBuilder> Air<AB> for Sha256Air {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let public: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let rows = Rows { local, next };
        eval_booleans_and_steps(builder, &rows);
        eval_bit_functions(builder, &rows);
        eval_schedule(builder, &rows);
        eval_round(builder, &rows);
        eval_chaining(builder, &rows);
        eval_padding(builder, &rows, &public);
        eval_digest(builder, &rows, &public);
    }
}

/// The current and next row, with helpers that build expressions from them.
struct Rows<'a, V> {
    local: &'a [V],
    next: &'a [V],
}

fn pow2<E: PrimeCharacteristicRing>(i: usize) -> E {
    E::from_u32(1 << i)
}

/// Σ 2^i · bit(i) over `bits`, as an expression.
fn pack<E: PrimeCharacteristicRing>(bits: impl IntoIterator<Item = E>) -> E {
    bits.into_iter()
        .enumerate()
        .map(|(i, b)| b * pow2::<E>(i))
        .sum()
}

fn xor2<E: PrimeCharacteristicRing>(x: E, y: E) -> E {
    x.clone() + y.clone() - (x * y).double()
}

fn xor3<E: PrimeCharacteristicRing>(x: E, y: E, z: E) -> E {
    xor2(xor2(x, y), z)
}

impl<V: Copy> Rows<'_, V> {
    fn cur<E: From<V>>(&self, col: usize) -> E {
        self.local[col].into()
    }

    fn nxt<E: From<V>>(&self, col: usize) -> E {
        self.next[col].into()
    }

    /// Half `h` (0 low, 1 high) of the 32-bit word whose bits start at `base`, this row.
    fn half<E: From<V> + PrimeCharacteristicRing>(&self, base: usize, h: usize) -> E {
        pack((0..16).map(|i| self.cur::<E>(base + 16 * h + i)))
    }

    /// The same, on the next row.
    fn next_half<E: From<V> + PrimeCharacteristicRing>(&self, base: usize, h: usize) -> E {
        pack((0..16).map(|i| self.nxt::<E>(base + 16 * h + i)))
    }

    /// Half `h` of the word computed bit by bit by `f` (given a bit index 0..32).
    fn half_of<E: PrimeCharacteristicRing>(&self, h: usize, f: impl Fn(usize) -> E) -> E {
        pack((0..16).map(|i| f(16 * h + i)))
    }

    /// A carry made of `n` bit columns starting at `base`.
    fn carry<E: From<V> + PrimeCharacteristicRing>(&self, base: usize, n: usize) -> E {
        pack((0..n).map(|i| self.cur::<E>(base + i)))
    }
}

/// Bit columns are bits; the one-hot step flags start at step 0 and rotate through 0..=64.
fn eval_booleans_and_steps<AB: AirBuilder>(builder: &mut AB, r: &Rows<'_, AB::Var>) {
    let bit_ranges = [
        STATE..W + 32,
        S0_IN..S1_IN + 32,
        ROUND_CARRY..FEED_CARRY + 16,
        IN_MESSAGE..IN_MESSAGE + 1,
        DATA..DATA + 4,
    ];
    for col in bit_ranges.into_iter().flatten() {
        builder.assert_bool(r.local[col]);
    }
    for t in 0..ROWS_PER_BLOCK {
        builder
            .when_first_row()
            .assert_eq(r.local[STEP + t], AB::Expr::from_bool(t == 0));
        let prev = if t == 0 { ROWS_PER_BLOCK - 1 } else { t - 1 };
        builder
            .when_transition()
            .assert_eq(r.next[STEP + t], r.local[STEP + prev]);
    }
}

/// Σ0(a), Maj(a,b,c), Σ1(e), Ch(e,f,g), σ0(W_{t-15}), σ1(W_{t-2}) as halves, on every row:
/// half == Σ_i 2^i · f(bits), with xor of bits x ⊕ y = x + y − 2xy and maj = ab + ac + bc − 2abc.
fn eval_bit_functions<AB: AirBuilder>(builder: &mut AB, r: &Rows<'_, AB::Var>) {
    let bit = |base: usize, i: usize| -> AB::Expr { r.cur(base + (i % 32)) };
    let (a, b, c, e, f, g) = (var(0), var(1), var(2), var(4), var(5), var(6));
    for h in 0..2 {
        let s0 = r.half_of(h, |i| xor3(bit(a, i + 2), bit(a, i + 13), bit(a, i + 22)));
        let maj = r.half_of(h, |i| {
            let (x, y, z) = (bit(a, i), bit(b, i), bit(c, i));
            x.clone() * y.clone() + x.clone() * z.clone() + y.clone() * z.clone()
                - (x * y * z).double()
        });
        let s1 = r.half_of(h, |i| xor3(bit(e, i + 6), bit(e, i + 11), bit(e, i + 25)));
        let ch = r.half_of(h, |i| {
            let (x, y, z) = (bit(e, i), bit(f, i), bit(g, i));
            x.clone() * y - x * z.clone() + z
        });
        let shr = |base: usize, i: usize, by: usize| -> AB::Expr {
            if i + by < 32 {
                r.cur(base + i + by)
            } else {
                AB::Expr::ZERO
            }
        };
        let ss0 = r.half_of(h, |i| {
            xor3(bit(S0_IN, i + 7), bit(S0_IN, i + 18), shr(S0_IN, i, 3))
        });
        let ss1 = r.half_of(h, |i| {
            xor3(bit(S1_IN, i + 17), bit(S1_IN, i + 19), shr(S1_IN, i, 10))
        });
        for (col, value) in [
            (BIG_SIGMA0, s0),
            (MAJ, maj),
            (BIG_SIGMA1, s1),
            (CH, ch),
            (SMALL_SIGMA0, ss0),
            (SMALL_SIGMA1, ss1),
        ] {
            builder.assert_eq(r.local[col + h], value);
        }
    }
}

/// The schedule: the window shifts one word per row (W_t enters at the end); its entries 1 and
/// 14 are decomposed into bits for σ0 and σ1; on rows 16..63 of a block
/// W_t = σ1(W_{t-2}) + W_{t-7} + σ0(W_{t-15}) + W_{t-16} mod 2^32, per half with carries.
fn eval_schedule<AB: AirBuilder>(builder: &mut AB, r: &Rows<'_, AB::Var>) {
    let window = |k: usize, h: usize| -> AB::Expr { r.cur(WINDOW + 2 * k + h) };
    for h in 0..2 {
        for k in 0..15 {
            builder.when_transition().assert_eq(
                r.next[WINDOW + 2 * k + h],
                r.local[WINDOW + 2 * (k + 1) + h],
            );
        }
        builder
            .when_transition()
            .assert_eq(r.next[WINDOW + 30 + h], r.half::<AB::Expr>(W, h));
        builder.assert_eq(r.half::<AB::Expr>(S0_IN, h), window(1, h));
        builder.assert_eq(r.half::<AB::Expr>(S1_IN, h), window(14, h));
    }
    let schedule_row: AB::Expr = (16..ROUNDS).map(|t| r.cur::<AB::Expr>(STEP + t)).sum();
    let (carry_lo, carry_hi) = (
        r.carry::<AB::Expr>(SCHEDULE_CARRY, 2),
        r.carry::<AB::Expr>(SCHEDULE_CARRY + 2, 2),
    );
    let base = pow2::<AB::Expr>(16);
    for (h, carry_in, carry_out) in [
        (0, AB::Expr::ZERO, carry_lo.clone()),
        (1, carry_lo, carry_hi),
    ] {
        let sum = r.cur::<AB::Expr>(SMALL_SIGMA1 + h)
            + window(9, h)
            + r.cur::<AB::Expr>(SMALL_SIGMA0 + h)
            + window(0, h)
            + carry_in;
        builder
            .when(schedule_row.clone())
            .assert_eq(sum, r.half::<AB::Expr>(W, h) + carry_out * base.clone());
    }
}

/// Round t (rows 0..63): with T1 = h + Σ1(e) + Ch(e,f,g) + K_t + W_t and T2 = Σ0(a) + Maj(a,b,c),
/// the next row holds a' = T1 + T2, e' = d + T1 (mod 2^32, per half with carries) and
/// (b', c', d', f', g', h') = (a, b, c, e, f, g) bit for bit.
fn eval_round<AB: AirBuilder>(builder: &mut AB, r: &Rows<'_, AB::Var>) {
    let is_round = AB::Expr::ONE - r.cur::<AB::Expr>(STEP + ROUNDS);
    let k_half = |h: usize| -> AB::Expr {
        (0..ROUNDS)
            .map(|t| r.cur::<AB::Expr>(STEP + t) * AB::Expr::from_u32((K[t] >> (16 * h)) & 0xffff))
            .sum()
    };
    let carry = |i: usize| r.carry::<AB::Expr>(ROUND_CARRY + 3 * i, 3);
    let (a_lo, a_hi, e_lo, e_hi) = (carry(0), carry(1), carry(2), carry(3));
    let base = pow2::<AB::Expr>(16);
    let mut round = builder.when_transition();
    let mut round = round.when(is_round);
    for (h, a_in, a_out, e_in, e_out) in [
        (
            0,
            AB::Expr::ZERO,
            a_lo.clone(),
            AB::Expr::ZERO,
            e_lo.clone(),
        ),
        (1, a_lo, a_hi, e_lo, e_hi),
    ] {
        let t1 = r.half::<AB::Expr>(var(7), h)
            + r.cur::<AB::Expr>(BIG_SIGMA1 + h)
            + r.cur::<AB::Expr>(CH + h)
            + k_half(h)
            + r.half::<AB::Expr>(W, h);
        let t2 = r.cur::<AB::Expr>(BIG_SIGMA0 + h) + r.cur::<AB::Expr>(MAJ + h);
        round.assert_eq(
            t1.clone() + t2 + a_in,
            r.next_half::<AB::Expr>(var(0), h) + a_out * base.clone(),
        );
        round.assert_eq(
            r.half::<AB::Expr>(var(3), h) + t1 + e_in,
            r.next_half::<AB::Expr>(var(4), h) + e_out * base.clone(),
        );
    }
    for (dst, src) in [(1, 0), (2, 1), (3, 2), (5, 4), (6, 5), (7, 6)] {
        for i in 0..32 {
            round.assert_eq(r.next[var(dst) + i], r.local[var(src) + i]);
        }
    }
    for col in CHAIN..CHAIN + 16 {
        round.assert_eq(r.next[col], r.local[col]);
    }
    round.assert_eq(r.next[IN_MESSAGE], r.local[IN_MESSAGE]);
    round.assert_eq(r.next[LAST_BLOCK], r.local[LAST_BLOCK]);
}

/// Chaining: the first row holds the initial hash value H(0); row 0 of every block records its
/// state as the block's chaining value; row 64 adds the chaining value to the final state
/// (mod 2^32, per half) into row 0 of the next block, and counts the block.
fn eval_chaining<AB: AirBuilder>(builder: &mut AB, r: &Rows<'_, AB::Var>) {
    for (k, &iv) in H0.iter().enumerate() {
        for h in 0..2 {
            let half = AB::Expr::from_u32((iv >> (16 * h)) & 0xffff);
            builder
                .when_first_row()
                .assert_eq(r.half::<AB::Expr>(var(k), h), half);
            builder
                .when(r.local[STEP])
                .assert_eq(r.local[CHAIN + 2 * k + h], r.half::<AB::Expr>(var(k), h));
        }
    }
    let last_step = r.local[STEP + ROUNDS];
    let base = pow2::<AB::Expr>(16);
    for k in 0..8 {
        let (c_lo, c_hi) = (
            r.cur::<AB::Expr>(FEED_CARRY + 2 * k),
            r.cur::<AB::Expr>(FEED_CARRY + 2 * k + 1),
        );
        for (h, carry_in, carry_out) in [(0, AB::Expr::ZERO, c_lo.clone()), (1, c_lo, c_hi)] {
            let sum =
                r.cur::<AB::Expr>(CHAIN + 2 * k + h) + r.half::<AB::Expr>(var(k), h) + carry_in;
            builder.when_transition().when(last_step).assert_eq(
                sum,
                r.next_half::<AB::Expr>(var(k), h) + carry_out * base.clone(),
            );
        }
    }
    builder.when_first_row().assert_zero(r.local[BLOCK]);
    builder
        .when_transition()
        .assert_eq(r.next[BLOCK], r.cur::<AB::Expr>(BLOCK) + last_step.into());
}

/// Padding, pinned by the public length: message blocks come first (IN_MESSAGE falls from 1 to
/// 0 once, at a block boundary, and the block that precedes the fall is LAST_BLOCK). On message
/// rows (t < 16), byte j of W_t is data while DATA_j is 1; the flags never rise again, and they
/// add up to the public length at the digest row. The first byte after the data is 0x80, every
/// later byte is 0, except word 15 of the last block, which is the bit length (word 14 is then
/// 0 as lengths are below 2^29 bytes).
fn eval_padding<AB: AirBuilder>(builder: &mut AB, r: &Rows<'_, AB::Var>, public: &[AB::Expr]) {
    let in_message = r.local[IN_MESSAGE];
    builder.when_first_row().assert_one(in_message);
    builder.when_last_row().assert_zero(in_message);
    builder
        .when_transition()
        .assert_zero(r.next[IN_MESSAGE] * (AB::Expr::ONE - in_message.into()));
    builder.when_first_row().assert_zero(r.local[IS_DIGEST]);
    builder.when_transition().assert_eq(
        r.next[IS_DIGEST],
        r.cur::<AB::Expr>(IN_MESSAGE) - r.nxt::<AB::Expr>(IN_MESSAGE),
    );
    builder
        .when_transition()
        .when(r.local[STEP + ROUNDS])
        .assert_eq(
            r.local[LAST_BLOCK],
            r.cur::<AB::Expr>(IN_MESSAGE) - r.nxt::<AB::Expr>(IN_MESSAGE),
        );

    let message_step: AB::Expr = (0..16).map(|t| r.cur::<AB::Expr>(STEP + t)).sum();
    let message_row = r.local[MESSAGE_ROW];
    let length_row = r.local[LENGTH_ROW];
    builder.assert_eq(message_row, message_step * in_message.into());
    builder.assert_eq(length_row, r.local[LAST_BLOCK] * r.local[STEP + 15]);

    let data = |j: usize| -> AB::Expr { r.cur(DATA + j) };
    let data_before = |j: usize| -> AB::Expr {
        if j == 0 {
            r.cur(PREV_DATA)
        } else {
            data(j - 1)
        }
    };
    for j in 0..4 {
        let byte = pack((0..8).map(|i| r.cur::<AB::Expr>(W + 24 - 8 * j + i)));
        builder.assert_zero(data(j) * (AB::Expr::ONE - message_row.into()));
        builder.assert_zero(data(j) * (AB::Expr::ONE - data_before(j)));
        builder
            .when(message_row)
            .assert_zero((data_before(j) - data(j)) * (byte.clone() - AB::Expr::from_u32(0x80)));
        builder
            .when(message_row)
            .assert_zero((AB::Expr::ONE - data_before(j) - length_row.into()) * byte);
    }
    for h in 0..2 {
        builder
            .when(length_row)
            .assert_eq(r.half::<AB::Expr>(W, h), public[PUBLIC_BIT_LEN + h].clone());
    }
    builder.when_first_row().assert_one(r.local[PREV_DATA]);
    builder.when_first_row().assert_zero(r.local[COUNT]);
    let prev_data = r.cur::<AB::Expr>(PREV_DATA);
    builder.when_transition().assert_eq(
        r.next[PREV_DATA],
        prev_data.clone() + (data(3) - prev_data) * message_row.into(),
    );
    let data_sum: AB::Expr = (0..4).map(data).sum();
    builder
        .when_transition()
        .assert_eq(r.next[COUNT], r.cur::<AB::Expr>(COUNT) + data_sum);
}

/// The digest row is row 0 of block N (public), after exactly the public length of data, and
/// holds the public digest.
fn eval_digest<AB: AirBuilder>(builder: &mut AB, r: &Rows<'_, AB::Var>, public: &[AB::Expr]) {
    let is_digest = r.local[IS_DIGEST];
    builder
        .when(is_digest)
        .assert_eq(r.local[BLOCK], public[PUBLIC_BLOCKS].clone());
    builder
        .when(is_digest)
        .assert_eq(r.local[COUNT], public[PUBLIC_LEN].clone());
    for k in 0..8 {
        for h in 0..2 {
            builder.when(is_digest).assert_eq(
                r.half::<AB::Expr>(var(k), h),
                public[PUBLIC_DIGEST + 2 * k + h].clone(),
            );
        }
    }
}
