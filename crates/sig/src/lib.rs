//! Hash-based (post-quantum) signatures over l2-executor's Poseidon2 compression: a generalized
//! XMSS, as Ethereum's lean consensus work uses (leanSig; leanMultisig aggregates such
//! signatures in a STARK), on the hash our STARK already proves.
//!
//! - **One-time keys** ([`keys`]): Winternitz with a target-sum encoding. A one-time key is 42
//!   hash chains of 8 positions; a signature reveals each chain at the position its chunk of the
//!   message's encoding names, and the encoding is valid only if the chunks sum to 184, so every
//!   verification walks exactly 110 chain steps.
//! - **Many-time key**: the one-time keys' leaves under a Merkle tree of height 30 ([`tree`]);
//!   the public key is its root and a per-key parameter, 32 bytes. Only an *active range* of
//!   epochs is generated; the rest of the tree is empty.
//! - **Hashing** ([`hash`]): every call is one compression `Poseidon2(x)[0..8]` of 16 lanes, the
//!   first four a tweak naming the call's role and place.
//!
//! A verification is [`VERIFY_COMPRESSIONS`](params::VERIFY_COMPRESSIONS) = 163 compressions;
//! a signature is 1,164 bytes. The scheme targets about 124 bits of classical security, bound by
//! the 4-element digests (SPEC.md, beside this crate, gives the argument and the parameters'
//! reasons).
//!
//! **A key is stateful.** Each epoch's one-time key may sign one message only. Used as an
//! account's key in a rollup, the epoch is the account's nonce, so a valid chain of blocks never
//! uses an epoch twice — but a wallet that signs two different transfers with one nonce (say, on
//! two forks, or after restoring an old backup) lets anyone who sees both forge further
//! signatures at that nonce.
//!
//! ```
//! use l2x_sig::{ActiveRange, Message, SecretKey, Seed, verify};
//!
//! let key = SecretKey::generate(&Seed::from_bytes([7; 32]), ActiveRange::new(0, 4)?);
//! let message: Message = l2x_sig::message_of_u16([1, 2, 3]);
//! let signature = key.sign(2, &message)?;
//! verify(&key.public_key(), 2, &message, &signature)?;
//! assert!(verify(&key.public_key(), 3, &message, &signature).is_err());
//! # Ok::<(), l2x_sig::Error>(())
//! ```

pub mod encoding;
pub mod hash;
pub mod keys;
pub mod params;
pub mod signature;
pub mod tree;

use p3_field::{PrimeCharacteristicRing, PrimeField32};

pub use keys::{ActiveRange, PublicKey, SecretKey, Seed};
pub use signature::{Signature, encoding, verify};

/// The field: KoalaBear, p = 2^31 − 2^24 + 1.
pub type F = p3_koala_bear::KoalaBear;
/// A chain value, tree node or leaf: four elements.
pub type Digest = [F; params::DIGEST_LEN];
/// A key's public parameter.
pub type Param = [F; params::PARAM_LEN];
/// A signature's randomness.
pub type Rho = [F; params::RHO_LEN];
/// Eight elements: a compression's output, the message and encoding digests, a seed.
pub type Wide = [F; params::WIDE_LEN];
/// A message: twelve field elements, signed together with the epoch.
pub type Message = [F; params::MESSAGE_LEN];

/// Why a key, a signature or bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An active range that is empty or passes the lifetime.
    #[error("active range of {len} epochs from {start} is empty or passes the lifetime 2^30")]
    Range {
        /// Its first epoch.
        start: u32,
        /// Its length.
        len: u32,
    },
    /// Signing at an epoch the key did not generate.
    #[error("epoch {epoch} is outside the key's active range {start}..{end}")]
    OutsideRange {
        /// The epoch.
        epoch: u64,
        /// The range's first epoch.
        start: u32,
        /// One past its last.
        end: u32,
    },
    /// An epoch past the lifetime.
    #[error("epoch {epoch} is past the lifetime 2^30")]
    Lifetime {
        /// The epoch.
        epoch: u64,
    },
    /// No attempt at ρ gave a valid encoding (probability below 2^-110).
    #[error("no valid encoding in {} attempts", params::MAX_ATTEMPTS)]
    NoEncoding,
    /// The signature's ρ gives no valid encoding of the message.
    #[error("the signature's encoding of the message is invalid: {0}")]
    Encoding(#[from] encoding::Invalid),
    /// The chains and the path reach another root than the key's.
    #[error("the signature does not reach the key's root")]
    Root,
    /// Bytes of the wrong length.
    #[error("{what}: {got} bytes, expected {expected}")]
    Length {
        /// What was read.
        what: &'static str,
        /// Its length.
        got: usize,
        /// The length required.
        expected: usize,
    },
    /// An element not below p.
    #[error("{what}: element {index} is not below the field's modulus")]
    NotCanonical {
        /// What was read.
        what: &'static str,
        /// The element.
        index: usize,
    },
}

/// A message of up to twelve 16-bit numbers (the rest zero): the form a rollup's fields take.
///
/// # Panics
/// If given more than twelve numbers (a caller's bug, known at compile time).
pub fn message_of_u16<const N: usize>(numbers: [u16; N]) -> Message {
    const { assert!(N <= params::MESSAGE_LEN) };
    std::array::from_fn(|k| numbers.get(k).map_or(F::ZERO, |&n| F::from_u16(n)))
}

/// A digest as hex: each element as u32 little-endian.
pub fn digest_hex(digest: &[F]) -> String {
    hex::encode(
        digest
            .iter()
            .flat_map(|v| v.as_canonical_u32().to_le_bytes())
            .collect::<Vec<u8>>(),
    )
}

/// `N` elements from `4·N` bytes, each u32 little-endian and below p.
fn read_elements<const N: usize>(what: &'static str, bytes: &[u8]) -> Result<[F; N], Error> {
    if bytes.len() != 4 * N {
        return Err(Error::Length {
            what,
            got: bytes.len(),
            expected: 4 * N,
        });
    }
    let mut elements = [F::ZERO; N];
    for (index, (out, word)) in elements.iter_mut().zip(bytes.chunks_exact(4)).enumerate() {
        let value = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        if value >= F::ORDER_U32 {
            return Err(Error::NotCanonical { what, index });
        }
        *out = F::from_u32(value);
    }
    Ok(elements)
}
