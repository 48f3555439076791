//! The scheme's parameters, and the sizes and costs that follow from them.
//!
//! Why these values: [`SPEC.md`](https://github.com/l2-executor/l2-executor/blob/main/crates/sig/SPEC.md)
//! ("Parameters"). In short: 4-element digests (≈ 124 bits) fill a width-16 compression with a
//! 4-element tweak, the 4-element public parameter and two digests; 42 chains of 8 positions give
//! a 126-bit encoding; the target sum 184 fixes a verification at 110 chain steps; a lifetime of
//! 2^30 keeps every epoch and tree index in one field element.

/// Field elements of a chain value, a tree node and a leaf (n): 4 × log2(p) ≈ 123.9 bits.
pub const DIGEST_LEN: usize = 4;
/// Field elements of the public parameter, a per-key value in every tweakable hash call.
pub const PARAM_LEN: usize = 4;
/// Field elements of a signature's randomness ρ.
pub const RHO_LEN: usize = 3;
/// Field elements of a message: what the signer signs, beside the epoch.
pub const MESSAGE_LEN: usize = 12;
/// Field elements of the message digest μ and of the encoding digest.
pub const WIDE_LEN: usize = 8;
/// Lanes of the Poseidon2 permutation the compression truncates.
pub const WIDTH: usize = 16;
/// Lanes of every call's tweak (its first four lanes): the role, then three of its numbers.
pub const TWEAK_LEN: usize = 4;

/// Hash chains of a one-time key (v).
pub const CHAINS: usize = 42;
/// Positions on a chain (w): 0 is the secret start, `CHAIN_LEN - 1` the public end.
pub const CHAIN_LEN: usize = 8;
/// Bits of a chunk of the encoding: log2([`CHAIN_LEN`]).
pub const CHUNK_BITS: usize = 3;
/// The sum every valid encoding's chunks have; the signer retries ρ until it holds.
pub const TARGET_SUM: usize = 184;
/// Chain steps of every verification: the chunks' distances to the chains' ends.
pub const STEPS: usize = CHAINS * (CHAIN_LEN - 1) - TARGET_SUM;
/// Low bits of an encoding limb that become chunks (eight chunks of three bits).
pub const LIMB_BITS: usize = 24;
/// Chunks one limb of the encoding digest gives.
pub const CHUNKS_PER_LIMB: usize = LIMB_BITS / CHUNK_BITS;
/// Limbs of the encoding digest the chunks come from (the last one only in part).
pub const ENCODING_LIMBS: usize = CHAINS.div_ceil(CHUNKS_PER_LIMB);

/// Height of the tree of one-time keys.
pub const HEIGHT: usize = 30;
/// Epochs (one-time keys) a key could ever cover: 2^30. A key covers only its active range.
pub const LIFETIME: u64 = 1 << HEIGHT;
/// Sponge calls that hash a one-time public key into its leaf, two chain ends each.
pub const LEAF_CALLS: usize = CHAINS / 2;

/// Compressions of one verification: the message digest, the encoding digest, the chain steps,
/// the leaf's sponge and the Merkle path.
pub const VERIFY_COMPRESSIONS: usize = 2 + STEPS + LEAF_CALLS + HEIGHT;
/// Compressions per one-time key at key generation: a secret per chain, every chain step, the
/// leaf's sponge (the tree adds about one more per key).
pub const KEYGEN_COMPRESSIONS_PER_EPOCH: usize = CHAINS + CHAINS * (CHAIN_LEN - 1) + LEAF_CALLS;

/// Field elements of a signature: ρ, a chain value per chain, a sibling per tree level.
pub const SIGNATURE_ELEMENTS: usize = RHO_LEN + CHAINS * DIGEST_LEN + HEIGHT * DIGEST_LEN;
/// Bytes of a signature (each element as u32 little-endian).
pub const SIGNATURE_BYTES: usize = 4 * SIGNATURE_ELEMENTS;
/// Field elements of a public key: the tree's root and the public parameter.
pub const PUBLIC_KEY_ELEMENTS: usize = DIGEST_LEN + PARAM_LEN;
/// Bytes of a public key.
pub const PUBLIC_KEY_BYTES: usize = 4 * PUBLIC_KEY_ELEMENTS;
/// Bytes of a secret seed.
pub const SEED_BYTES: usize = 32;
/// Attempts at ρ before signing gives up (each succeeds with probability ≈ 1/830; all 2^16
/// fail with probability below 2^-110).
pub const MAX_ATTEMPTS: u32 = 1 << 16;

const _: () = {
    assert!(1 << CHUNK_BITS == CHAIN_LEN);
    assert!(LIMB_BITS.is_multiple_of(CHUNK_BITS));
    assert!(ENCODING_LIMBS <= WIDE_LEN);
    assert!(CHAINS.is_multiple_of(2));
    assert!(TARGET_SUM <= CHAINS * (CHAIN_LEN - 1));
    assert!(TWEAK_LEN + PARAM_LEN + 2 * DIGEST_LEN == WIDTH);
    assert!(TWEAK_LEN + MESSAGE_LEN == WIDTH);
    assert!(1 + RHO_LEN == TWEAK_LEN);
    // Every epoch and tree index is below 2^30 < p: one field element each.
    assert!(HEIGHT <= 30);
};
