//! The columns of the SHA-256 table.
//!
//! A block takes 65 rows: rows t = 0..63 hold the working variables (a..h) *before* round t
//! and perform round t into the next row; row 64 holds the state after the 64th round and
//! performs the feed-forward (adding the block's input chaining value) into row 0 of the next
//! block. Words are 32 bits; where they are added they are split into 16-bit halves, which fit
//! the 31-bit field with room for carries.

/// Rows per compression block.
pub const ROWS_PER_BLOCK: usize = 65;

/// The eight working variables a..h, 32 bits each, least significant bit first.
pub const STATE: usize = 0;
/// Index of a working variable's first bit: `STATE + 32 * k` for k = 0 (a) ..= 7 (h).
pub const fn var(k: usize) -> usize {
    STATE + 32 * k
}
/// This row's message-schedule word W_t, 32 bits.
pub const W: usize = STATE + 256;
/// The schedule window W_{t-16} .. W_{t-1} as (low, high) 16-bit halves: 32 columns.
pub const WINDOW: usize = W + 32;
/// Bits of W_{t-15} (window entry 1), the input of σ0.
pub const S0_IN: usize = WINDOW + 32;
/// Bits of W_{t-2} (window entry 14), the input of σ1.
pub const S1_IN: usize = S0_IN + 32;
/// 16-bit halves (low, high) of Σ0(a), Maj(a,b,c), Σ1(e), Ch(e,f,g), σ0(W_{t-15}), σ1(W_{t-2}).
pub const BIG_SIGMA0: usize = S1_IN + 32;
/// See [`BIG_SIGMA0`].
pub const MAJ: usize = BIG_SIGMA0 + 2;
/// See [`BIG_SIGMA0`].
pub const BIG_SIGMA1: usize = MAJ + 2;
/// See [`BIG_SIGMA0`].
pub const CH: usize = BIG_SIGMA1 + 2;
/// See [`BIG_SIGMA0`].
pub const SMALL_SIGMA0: usize = CH + 2;
/// See [`BIG_SIGMA0`].
pub const SMALL_SIGMA1: usize = SMALL_SIGMA0 + 2;
/// Carry bits of the round: new a (low 3 bits, high 3 bits), then new e (same).
pub const ROUND_CARRY: usize = SMALL_SIGMA1 + 2;
/// Carry bits of the schedule word: low 2 bits, high 2 bits.
pub const SCHEDULE_CARRY: usize = ROUND_CARRY + 12;
/// Carry bits of the feed-forward: per word (a..h), low then high.
pub const FEED_CARRY: usize = SCHEDULE_CARRY + 4;
/// The block's input chaining value, eight words as (low, high) halves.
pub const CHAIN: usize = FEED_CARRY + 16;
/// One-hot step flags: `STEP + t` is 1 on row t of every block, t = 0..=64.
pub const STEP: usize = CHAIN + 16;
/// The block index.
pub const BLOCK: usize = STEP + ROWS_PER_BLOCK;
/// 1 in the blocks of the padded message (0..N), 0 in the filler blocks after them.
pub const IN_MESSAGE: usize = BLOCK + 1;
/// 1 on the single row that holds the digest: row 0 of block N.
pub const IS_DIGEST: usize = IN_MESSAGE + 1;
/// 1 in the last message block (N - 1).
pub const LAST_BLOCK: usize = IS_DIGEST + 1;
/// 1 on rows that carry a message word: t < 16 in a message block.
pub const MESSAGE_ROW: usize = LAST_BLOCK + 1;
/// 1 on the row whose word is the padded bit length: t = 15 of the last block.
pub const LENGTH_ROW: usize = MESSAGE_ROW + 1;
/// Per byte of W (most significant first): 1 if that byte is message data.
pub const DATA: usize = LENGTH_ROW + 1;
/// The data flag of the last byte of the previous message word (1 before the first).
pub const PREV_DATA: usize = DATA + 4;
/// Data bytes in the message rows before this row.
pub const COUNT: usize = PREV_DATA + 1;
/// Columns of the table.
pub const WIDTH: usize = COUNT + 1;

/// Public inputs: the digest as eight words' (low, high) halves, the message length in bytes,
/// the block count N, and the bit length's (low, high) halves.
pub const PUBLIC_DIGEST: usize = 0;
/// See [`PUBLIC_DIGEST`].
pub const PUBLIC_LEN: usize = 16;
/// See [`PUBLIC_DIGEST`].
pub const PUBLIC_BLOCKS: usize = 17;
/// See [`PUBLIC_DIGEST`].
pub const PUBLIC_BIT_LEN: usize = 18;
/// Number of public inputs.
pub const NUM_PUBLIC_VALUES: usize = 20;
