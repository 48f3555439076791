//! Witness generation for the SHA-256 table.
//!
//! Two steps: [`run`] computes every block natively (chaining value, schedule, the 65 states of
//! the rounds), then [`fill`] writes the rows, deriving every other column (bits, halves,
//! carries, flags, counters) from those values. Tests build forged witnesses by changing a
//! [`BlockRun`] between the two steps.

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use super::columns::*;
use super::native::{BLOCK_BYTES, K, ROUNDS, round, schedule};
use l2x_air::Val;

/// One compression as the table lays it out.
#[derive(Debug, Clone)]
pub struct BlockRun {
    /// The chaining value entering the block.
    pub chain: [u32; 8],
    /// The message schedule W_0..W_63.
    pub w: [u32; ROUNDS],
    /// The working variables before round t (t = 0..=63) and after the last round (t = 64).
    pub states: [[u32; 8]; ROWS_PER_BLOCK],
}

impl BlockRun {
    /// Compresses `block` from `chain`.
    pub fn new(chain: [u32; 8], block: &[u8; BLOCK_BYTES]) -> Self {
        Self::from_schedule(chain, schedule(block))
    }

    /// Runs the rounds on a given schedule.
    pub fn from_schedule(chain: [u32; 8], w: [u32; ROUNDS]) -> Self {
        let mut states = [chain; ROWS_PER_BLOCK];
        for t in 0..ROUNDS {
            states[t + 1] = round(states[t], t, w[t]);
        }
        Self { chain, w, states }
    }

    /// The chaining value after the block (the feed-forward).
    pub fn output(&self) -> [u32; 8] {
        std::array::from_fn(|i| self.chain[i].wrapping_add(self.states[ROUNDS][i]))
    }
}

/// Rows needed for `blocks` message blocks: 65 per block and the digest row.
pub fn rows_needed(blocks: usize) -> usize {
    blocks * ROWS_PER_BLOCK + 1
}

/// Compresses the padded message from `iv`, then filler blocks of zeros until `rows` rows are
/// covered.
pub fn run(padded: &[[u8; BLOCK_BYTES]], iv: [u32; 8], rows: usize) -> Vec<BlockRun> {
    let total = rows.div_ceil(ROWS_PER_BLOCK);
    let zero = [0u8; BLOCK_BYTES];
    let mut runs: Vec<BlockRun> = Vec::with_capacity(total);
    let mut chain = iv;
    for b in 0..total {
        let run = BlockRun::new(chain, padded.get(b).unwrap_or(&zero));
        chain = run.output();
        runs.push(run);
    }
    runs
}

/// What [`fill`] needs besides the runs: the message's block count and byte length.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Blocks of the padded message (N); later runs are filler.
    pub message_blocks: usize,
    /// Message length in bytes.
    pub len: u64,
}

/// Writes the table of `1 << log_height` rows from the block runs.
pub fn fill(runs: &[BlockRun], shape: Shape, log_height: usize) -> RowMajorMatrix<Val> {
    let rows = 1usize << log_height;
    let mut values = Val::zero_vec(rows * WIDTH);
    values
        .par_chunks_mut(WIDTH * ROWS_PER_BLOCK)
        .enumerate()
        .for_each(|(b, block_rows)| {
            for (t, row) in block_rows.chunks_exact_mut(WIDTH).enumerate() {
                fill_row(row, runs, shape, b, t);
            }
        });
    RowMajorMatrix::new(values, WIDTH)
}

fn lo(x: u32) -> u32 {
    x & 0xffff
}

fn hi(x: u32) -> u32 {
    x >> 16
}

fn set_bits(row: &mut [Val], base: usize, x: u32) {
    for (i, cell) in row[base..base + 32].iter_mut().enumerate() {
        *cell = Val::from_bool((x >> i) & 1 == 1);
    }
}

fn set_halves(row: &mut [Val], base: usize, x: u32) {
    row[base] = Val::from_u32(lo(x));
    row[base + 1] = Val::from_u32(hi(x));
}

fn set_carry(row: &mut [Val], base: usize, bits: usize, carry: u32) {
    for i in 0..bits {
        row[base + i] = Val::from_bool((carry >> i) & 1 == 1);
    }
}

/// The schedule word of global row `r` (0 on feed-forward rows and before the table).
fn w_at(runs: &[BlockRun], r: isize) -> u32 {
    if r < 0 {
        return 0;
    }
    let (b, t) = (r as usize / ROWS_PER_BLOCK, r as usize % ROWS_PER_BLOCK);
    if t < ROUNDS { runs[b].w[t] } else { 0 }
}

/// Adds `terms` split in halves: returns (low carry, high carry).
fn add_carries(terms: &[u32]) -> (u32, u32) {
    let sum_lo: u32 = terms.iter().map(|&x| lo(x)).sum();
    let sum_hi: u32 = terms.iter().map(|&x| hi(x)).sum::<u32>() + (sum_lo >> 16);
    (sum_lo >> 16, sum_hi >> 16)
}

fn big_sigma0(a: u32) -> u32 {
    a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22)
}

fn big_sigma1(e: u32) -> u32 {
    e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25)
}

fn small_sigma0(x: u32) -> u32 {
    x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
}

fn small_sigma1(x: u32) -> u32 {
    x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
}

fn fill_row(row: &mut [Val], runs: &[BlockRun], shape: Shape, b: usize, t: usize) {
    let run = &runs[b];
    let r = (b * ROWS_PER_BLOCK + t) as isize;
    let state = run.states[t];
    let [a, bb, c, d, e, f, g, h] = state;
    for (k, &x) in state.iter().enumerate() {
        set_bits(row, var(k), x);
    }
    let w = w_at(runs, r);
    set_bits(row, W, w);
    let window: [u32; 16] = std::array::from_fn(|k| w_at(runs, r - 16 + k as isize));
    for (k, &x) in window.iter().enumerate() {
        set_halves(row, WINDOW + 2 * k, x);
    }
    set_bits(row, S0_IN, window[1]);
    set_bits(row, S1_IN, window[14]);

    let (s0, maj) = (big_sigma0(a), (a & bb) ^ (a & c) ^ (bb & c));
    let (s1, ch) = (big_sigma1(e), (e & f) ^ (!e & g));
    let (ss0, ss1) = (small_sigma0(window[1]), small_sigma1(window[14]));
    set_halves(row, BIG_SIGMA0, s0);
    set_halves(row, MAJ, maj);
    set_halves(row, BIG_SIGMA1, s1);
    set_halves(row, CH, ch);
    set_halves(row, SMALL_SIGMA0, ss0);
    set_halves(row, SMALL_SIGMA1, ss1);

    if t < ROUNDS {
        let (a_lo, a_hi) = add_carries(&[h, s1, ch, K[t], w, s0, maj]);
        let (e_lo, e_hi) = add_carries(&[d, h, s1, ch, K[t], w]);
        set_carry(row, ROUND_CARRY, 3, a_lo);
        set_carry(row, ROUND_CARRY + 3, 3, a_hi);
        set_carry(row, ROUND_CARRY + 6, 3, e_lo);
        set_carry(row, ROUND_CARRY + 9, 3, e_hi);
    }
    if (16..ROUNDS).contains(&t) {
        let (w_lo, w_hi) = add_carries(&[ss1, window[9], ss0, window[0]]);
        set_carry(row, SCHEDULE_CARRY, 2, w_lo);
        set_carry(row, SCHEDULE_CARRY + 2, 2, w_hi);
    }
    if t == ROUNDS {
        for (k, (&chain, &word)) in run.chain.iter().zip(&state).enumerate() {
            let (c_lo, c_hi) = add_carries(&[chain, word]);
            set_carry(row, FEED_CARRY + 2 * k, 1, c_lo);
            set_carry(row, FEED_CARRY + 2 * k + 1, 1, c_hi);
        }
    }
    for (k, &x) in run.chain.iter().enumerate() {
        set_halves(row, CHAIN + 2 * k, x);
    }
    row[STEP + t] = Val::ONE;
    fill_flags(row, shape, b, t);
}

fn fill_flags(row: &mut [Val], shape: Shape, b: usize, t: usize) {
    let n = shape.message_blocks;
    let in_message = b < n;
    let message_row = in_message && t < 16;
    row[BLOCK] = Val::from_usize(b);
    row[IN_MESSAGE] = Val::from_bool(in_message);
    row[IS_DIGEST] = Val::from_bool(b == n && t == 0);
    row[LAST_BLOCK] = Val::from_bool(b + 1 == n);
    row[MESSAGE_ROW] = Val::from_bool(message_row);
    row[LENGTH_ROW] = Val::from_bool(b + 1 == n && t == 15);
    let byte_pos = |b: usize, t: usize, j: usize| (BLOCK_BYTES * b + 4 * t + j) as u64;
    for j in 0..4 {
        row[DATA + j] = Val::from_bool(message_row && byte_pos(b, t, j) < shape.len);
    }
    // The data flag of the last byte of the previous message word, and the data bytes before.
    let (prev_data, count) = if b >= n {
        (false, shape.len)
    } else if t == 0 {
        (
            b == 0 || byte_pos(b - 1, 15, 3) < shape.len,
            shape.len.min(byte_pos(b, 0, 0)),
        )
    } else {
        let last_word = (t - 1).min(15);
        (
            byte_pos(b, last_word, 3) < shape.len,
            shape.len.min(byte_pos(b, t.min(16), 0)),
        )
    };
    row[PREV_DATA] = Val::from_bool(prev_data);
    row[COUNT] = Val::from_u64(count);
}
