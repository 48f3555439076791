//! The types of the two STARK configurations, named here so that [`crate::TableAir`] can name
//! the constraint folders the prover and verifier evaluate tables with. Building a
//! configuration (its parameters and proof of work) is the STARK backend's business
//! (`l2x_stark::config`).

use p3_challenger::DuplexChallenger;
use p3_commit::ExtensionMmcs;
use p3_field::Field;
use p3_field::extension::BinomialExtensionField;
use p3_fri::{HidingFriPcs, TwoAdicFriPcs};
use p3_koala_bear::{KoalaBear, Poseidon2KoalaBear};
use p3_merkle_tree::{MerkleTreeHidingMmcs, MerkleTreeMmcs};
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use p3_uni_stark::StarkConfig;
use rand::rngs::StdRng;

/// The base field every table is defined over: KoalaBear, p = 2^31 − 2^24 + 1.
pub type Val = KoalaBear;
/// The challenge field: the degree-4 extension of [`Val`].
pub type Challenge = BinomialExtensionField<Val, 4>;
/// The width-16 Poseidon2 permutation (Merkle compression).
pub type Perm16 = Poseidon2KoalaBear<16>;
/// The width-24 Poseidon2 permutation (leaf hashing and Fiat–Shamir).
pub type Perm24 = Poseidon2KoalaBear<24>;
/// The Merkle leaf hash: a width-24 sponge with 8-element digests.
pub type Hash = PaddingFreeSponge<Perm24, 24, 16, 8>;
/// The Merkle node compression: a truncated width-16 permutation.
pub type Compress = TruncatedPermutation<Perm16, 2, 8, 16>;
/// Merkle commitments to base-field matrices.
pub type ValMmcs =
    MerkleTreeMmcs<<Val as Field>::Packing, <Val as Field>::Packing, Hash, Compress, 2, 8>;
/// Merkle commitments to extension-field matrices.
pub type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
/// The Fiat–Shamir challenger: a Poseidon2 duplex sponge.
pub type Challenger = DuplexChallenger<Val, Perm24, 24, 16>;
/// The DFT used for low-degree extensions (Plonky3's two, each on the matrices it is fast on).
pub use crate::dft::Dft;
/// The polynomial commitment scheme of the plain configuration.
pub type Pcs = TwoAdicFriPcs<Val, Dft, ValMmcs, ChallengeMmcs>;
/// The plain STARK configuration (the `stark` backend).
pub type Config = StarkConfig<Pcs, Challenge, Challenger>;

/// Field elements of salt per hidden Merkle leaf (4 × 31 = 124 bits).
pub const SALT_ELEMS: usize = 4;
/// Salted Merkle commitments of the hiding configuration.
pub type HidingValMmcs = MerkleTreeHidingMmcs<
    <Val as Field>::Packing,
    <Val as Field>::Packing,
    Hash,
    Compress,
    StdRng,
    2,
    8,
    SALT_ELEMS,
>;
/// Salted commitments to extension-field matrices.
pub type HidingChallengeMmcs = ExtensionMmcs<Val, Challenge, HidingValMmcs>;
/// The hiding polynomial commitment scheme.
pub type HidingPcs = HidingFriPcs<Val, Dft, HidingValMmcs, HidingChallengeMmcs, StdRng>;
/// The zero-knowledge (hiding) configuration (the `stark-zk` backend).
pub type ZkConfig = StarkConfig<HidingPcs, Challenge, Challenger>;
