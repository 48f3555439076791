//! SHA-256 two ways: the fast digest (the `sha2` crate, which uses SHA-NI where present) and the
//! step model the STARK proves — FIPS 180-4 padding, then per 64-byte block a 64-word message
//! schedule and 64 compression rounds, chained from the standard initial state.
//!
//! The step model is written out round by round so that the AIR's witness generation and the
//! tests can follow it; it must agree with the fast digest on every input.

use sha2::Digest;

/// Bytes per compression block.
pub const BLOCK_BYTES: usize = 64;

/// Compression rounds per block; one round is one step.
pub const ROUNDS: usize = 64;

/// The initial hash value H(0) (FIPS 180-4 §5.3.3).
pub const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The round constants K (FIPS 180-4 §4.2.2).
pub const K: [u32; ROUNDS] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The SHA-256 digest of `message`, computed by the fastest available implementation.
pub fn digest(message: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(message).into()
}

/// Blocks after padding a message of `len` bytes: the message, one `0x80` byte, zeros, and the
/// 8-byte bit length, rounded up to whole 64-byte blocks.
pub const fn block_count(len: u64) -> u64 {
    (len + 1 + 8).div_ceil(BLOCK_BYTES as u64)
}

/// The padded message (FIPS 180-4 §5.1.1) as 64-byte blocks.
pub fn pad(message: &[u8]) -> Vec<[u8; BLOCK_BYTES]> {
    let blocks = block_count(message.len() as u64) as usize;
    let mut padded = vec![0u8; blocks * BLOCK_BYTES];
    padded[..message.len()].copy_from_slice(message);
    padded[message.len()] = 0x80;
    let bit_len = (message.len() as u64).wrapping_mul(8);
    padded[blocks * BLOCK_BYTES - 8..].copy_from_slice(&bit_len.to_be_bytes());
    padded
        .chunks_exact(BLOCK_BYTES)
        .map(|chunk| std::array::from_fn(|i| chunk[i]))
        .collect()
}

/// The 64-word message schedule W of one block (FIPS 180-4 §6.2.2 step 1).
pub fn schedule(block: &[u8; BLOCK_BYTES]) -> [u32; ROUNDS] {
    let mut w = [0u32; ROUNDS];
    for (t, word) in block.chunks_exact(4).enumerate() {
        w[t] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
    }
    for t in 16..ROUNDS {
        let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
        let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16]
            .wrapping_add(s0)
            .wrapping_add(w[t - 7])
            .wrapping_add(s1);
    }
    w
}

/// One compression round: the working variables (a..h) after round `t` with schedule word `w`.
pub fn round(v: [u32; 8], t: usize, w: u32) -> [u32; 8] {
    let [a, b, c, d, e, f, g, h] = v;
    let big_s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
    let ch = (e & f) ^ (!e & g);
    let t1 = h
        .wrapping_add(big_s1)
        .wrapping_add(ch)
        .wrapping_add(K[t])
        .wrapping_add(w);
    let big_s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
    let maj = (a & b) ^ (a & c) ^ (b & c);
    let t2 = big_s0.wrapping_add(maj);
    [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g]
}

/// The chaining value after compressing `block` into `state`: 64 rounds, then the feed-forward
/// addition.
pub fn compress(state: [u32; 8], block: &[u8; BLOCK_BYTES]) -> [u32; 8] {
    let w = schedule(block);
    let mut v = state;
    for (t, &wt) in w.iter().enumerate() {
        v = round(v, t, wt);
    }
    std::array::from_fn(|i| state[i].wrapping_add(v[i]))
}

/// The digest computed through the step model: padding, then [`compress`] per block.
pub fn digest_by_rounds(message: &[u8]) -> [u8; 32] {
    let state = pad(message).iter().fold(H0, compress);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The FIPS 180-4 example messages (NIST CSRC "Examples with intermediate values") and their
/// digests: known answers that every implementation and backend must reproduce.
pub const FIPS_180_4_EXAMPLES: &[(&[u8], &str)] = &[
    (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ),
    (
        b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    ),
];
