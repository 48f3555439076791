//! Every hash call of the scheme, on one primitive: the compression
//! `C(x) = Poseidon2(x)[0..8]` of a width-16 state (Plonky3's KoalaBear constants and its
//! `TruncatedPermutation`), the same the STARK's compression table proves.
//!
//! **Tweaks.** Every call's first four lanes are a tweak: a [`Role`] and three numbers saying
//! where in the scheme the call sits (epoch, chain, position, tree level, index). Two calls of
//! different roles or places never share an input, so an output of one can never stand in for
//! another's: chains, tree nodes and keys are hashed with different functions. The exception is
//! the leaf sponge after its first call, whose input starts with a chaining value (SPEC.md,
//! "Domain separation").
//!
//! Each `*_input` function returns the 16 lanes a call compresses, so that the proof's witness
//! holds exactly the inputs the native code hashes.

use std::sync::LazyLock;

use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{Poseidon2KoalaBear, default_koalabear_poseidon2_16};
use p3_symmetric::Permutation;

use crate::params::{DIGEST_LEN, MESSAGE_LEN, PARAM_LEN, RHO_LEN, TWEAK_LEN, WIDE_LEN, WIDTH};
use crate::{Digest, F, Message, Param, Rho, Wide};

/// The role of a hash call, in lane 0 of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Role {
    /// A chain step: `[1, epoch, chain, position] ‖ param ‖ value ‖ 0⁴`.
    Chain = 1,
    /// A tree node: `[2, level, index, 0] ‖ param ‖ left ‖ right`.
    Tree = 2,
    /// The leaf sponge's initial state: `[3, epoch, 0, 0] ‖ param`.
    Leaf = 3,
    /// The encoding digest: `[4, ρ₀, ρ₁, ρ₂] ‖ param ‖ μ`.
    Encode = 4,
    /// The message digest μ: `[5, epoch, 0, 0] ‖ message`.
    Message = 5,
    /// A chain's secret start (signer only): `[6, epoch, chain, 0] ‖ 0⁴ ‖ seed`.
    ChainSecret = 6,
    /// The public parameter (signer only): `[7, 0, 0, 0] ‖ 0⁴ ‖ seed`.
    Parameter = 7,
    /// The randomness of an attempt (signer only): `[8, epoch, attempt, 0] ‖ μ[0..4] ‖ seed`.
    Randomness = 8,
}

/// A call's input: 16 lanes.
pub type Input = [F; WIDTH];

static PERMUTATION: LazyLock<Poseidon2KoalaBear<WIDTH>> =
    LazyLock::new(default_koalabear_poseidon2_16);

/// The compression every call uses: the first eight lanes of the permuted input.
pub fn compress(input: &Input) -> Wide {
    let output = PERMUTATION.permute(*input);
    std::array::from_fn(|j| output[j])
}

/// The first four lanes of a compression: a digest.
pub fn compress_digest(input: &Input) -> Digest {
    narrow(&compress(input))
}

/// The first four elements of eight.
pub fn narrow(wide: &Wide) -> Digest {
    std::array::from_fn(|j| wide[j])
}

fn tweak(role: Role, a: u32, b: u32, c: u32) -> [F; TWEAK_LEN] {
    [
        F::from_u32(role as u32),
        F::from_u32(a),
        F::from_u32(b),
        F::from_u32(c),
    ]
}

/// Lays out a call: the tweak, then up to three blocks of data filling lanes 4 to 15.
fn input(tweak: [F; TWEAK_LEN], blocks: &[&[F]]) -> Input {
    let mut lanes = [F::ZERO; WIDTH];
    lanes[..TWEAK_LEN].copy_from_slice(&tweak);
    let mut at = TWEAK_LEN;
    for block in blocks {
        lanes[at..at + block.len()].copy_from_slice(block);
        at += block.len();
    }
    lanes
}

/// The step of chain `chain` from position `position` to the next, at `epoch`.
pub fn chain_input(
    param: &Param,
    epoch: u32,
    chain: usize,
    position: usize,
    value: &Digest,
) -> Input {
    input(
        tweak(Role::Chain, epoch, chain as u32, position as u32),
        &[param, value],
    )
}

/// One chain step: the value at `position + 1`.
pub fn chain_step(
    param: &Param,
    epoch: u32,
    chain: usize,
    position: usize,
    value: &Digest,
) -> Digest {
    compress_digest(&chain_input(param, epoch, chain, position, value))
}

/// Walks a chain from `value` at position `from` to position `to`.
pub fn walk(
    param: &Param,
    epoch: u32,
    chain: usize,
    from: usize,
    to: usize,
    value: Digest,
) -> Digest {
    (from..to).fold(value, |v, position| {
        chain_step(param, epoch, chain, position, &v)
    })
}

/// The node at `level` (1 to [`HEIGHT`](crate::params::HEIGHT)) and `index` over its two
/// children.
pub fn tree_input(param: &Param, level: usize, index: u32, left: &Digest, right: &Digest) -> Input {
    input(
        tweak(Role::Tree, level as u32, index, 0),
        &[param, left, right],
    )
}

/// A tree node.
pub fn tree_node(param: &Param, level: usize, index: u32, left: &Digest, right: &Digest) -> Digest {
    compress_digest(&tree_input(param, level, index, left, right))
}

/// The leaf sponge's initial state for `epoch`: the tweak and the parameter.
pub fn leaf_iv(param: &Param, epoch: u32) -> Wide {
    let mut state = [F::ZERO; WIDE_LEN];
    state[..TWEAK_LEN].copy_from_slice(&tweak(Role::Leaf, epoch, 0, 0));
    state[TWEAK_LEN..].copy_from_slice(param);
    state
}

/// One sponge call: the state and the next two chain ends.
pub fn leaf_input(state: &Wide, first: &Digest, second: &Digest) -> Input {
    let mut lanes = [F::ZERO; WIDTH];
    lanes[..WIDE_LEN].copy_from_slice(state);
    lanes[WIDE_LEN..WIDE_LEN + DIGEST_LEN].copy_from_slice(first);
    lanes[WIDE_LEN + DIGEST_LEN..].copy_from_slice(second);
    lanes
}

/// A one-time public key's leaf: the sponge over its chain ends, two per call, truncated.
pub fn leaf(param: &Param, epoch: u32, ends: &[Digest]) -> Digest {
    let state = ends
        .chunks_exact(2)
        .fold(leaf_iv(param, epoch), |state, pair| {
            compress(&leaf_input(&state, &pair[0], &pair[1]))
        });
    narrow(&state)
}

/// The message digest's input.
pub fn message_input(epoch: u32, message: &Message) -> Input {
    input(tweak(Role::Message, epoch, 0, 0), &[message])
}

/// The message digest μ: binds the message to its epoch.
pub fn message_digest(epoch: u32, message: &Message) -> Wide {
    compress(&message_input(epoch, message))
}

/// The encoding digest's input: ρ, the key's parameter and μ.
pub fn encode_input(rho: &Rho, param: &Param, mu: &Wide) -> Input {
    let mut tweak = [F::from_u32(Role::Encode as u32); TWEAK_LEN];
    tweak[1..].copy_from_slice(rho);
    input(tweak, &[param, mu])
}

/// The encoding digest, whose limbs give the chunks.
pub fn encode_digest(rho: &Rho, param: &Param, mu: &Wide) -> Wide {
    compress(&encode_input(rho, param, mu))
}

fn secret_input(tweak: [F; TWEAK_LEN], middle: &[F; 4], seed: &Wide) -> Input {
    input(tweak, &[middle, seed])
}

/// Chain `chain`'s secret start at `epoch`.
pub(crate) fn chain_secret(seed: &Wide, epoch: u32, chain: usize) -> Digest {
    let tweak = tweak(Role::ChainSecret, epoch, chain as u32, 0);
    compress_digest(&secret_input(tweak, &[F::ZERO; 4], seed))
}

/// The key's public parameter.
pub(crate) fn parameter(seed: &Wide) -> Param {
    let tweak = tweak(Role::Parameter, 0, 0, 0);
    compress_digest(&secret_input(tweak, &[F::ZERO; 4], seed))
}

/// The randomness of attempt `attempt` at signing μ at `epoch`.
pub(crate) fn randomness(seed: &Wide, epoch: u32, attempt: u32, mu: &Wide) -> Rho {
    let tweak = tweak(Role::Randomness, epoch, attempt, 0);
    let out = compress(&secret_input(tweak, &narrow(mu), seed));
    std::array::from_fn(|j| out[j])
}

const _: () = assert!(PARAM_LEN == DIGEST_LEN && RHO_LEN == 3 && MESSAGE_LEN == 12);
