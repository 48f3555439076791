//! The `fibonacci` program as a RISC Zero guest: the semantics of `l2x_programs::fibonacci`.
//!
//! Input (stdin): `n` in canonical decimal (digits only, no leading zero), at most 2^36.
//! Journal: `n` as u64 little-endian, then F(n) mod 2^64 (u64 wrapping addition) little-endian,
//! the 16 bytes the `trace` and `stark` backends give as public values.

use std::io::Read;

use risc0_zkvm::guest::env;

/// The largest `n` accepted, as in `l2x_programs::fibonacci::MAX_N`.
const MAX_N: u64 = 1 << 36;

fn main() {
    let mut input = Vec::new();
    env::stdin()
        .read_to_end(&mut input)
        .expect("read the input");
    let n = parse_n(&input);
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    let mut journal = [0u8; 16];
    journal[..8].copy_from_slice(&n.to_le_bytes());
    journal[8..].copy_from_slice(&a.to_le_bytes());
    env::commit_slice(&journal);
}

/// Reads `n`, refusing what the native program refuses: the guest never proves an input that
/// the other backends reject.
fn parse_n(input: &[u8]) -> u64 {
    let canonical = !input.is_empty()
        && input.iter().all(u8::is_ascii_digit)
        && (input == b"0" || input[0] != b'0');
    assert!(canonical, "n must be a non-negative integer in canonical decimal");
    let text = std::str::from_utf8(input).expect("digits are UTF-8");
    let n: u64 = text.parse().expect("n fits in 64 bits");
    assert!(n <= MAX_N, "n is above the limit 2^36");
    n
}
