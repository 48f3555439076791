//! Keys: the secret seed, the active range of epochs a key covers, key generation, and the
//! public key (the tree's root and the public parameter, 32 bytes).

use p3_field::{PrimeCharacteristicRing, PrimeField32};
use rayon::prelude::*;

use crate::hash::{chain_secret, leaf, parameter, walk};
use crate::params::{
    CHAIN_LEN, CHAINS, LIFETIME, PUBLIC_KEY_BYTES, PUBLIC_KEY_ELEMENTS, SEED_BYTES,
};
use crate::tree::Tree;
use crate::{Digest, Error, F, Param, Wide, read_elements};

/// A key's secret: 32 bytes from which every chain's start, the public parameter and each
/// signature's randomness are derived. Whoever holds it can sign; it never leaves the wallet.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed([u8; SEED_BYTES]);

impl Seed {
    /// The seed of these bytes (which should come from a random source).
    pub const fn from_bytes(bytes: [u8; SEED_BYTES]) -> Self {
        Self(bytes)
    }

    /// The seed's bytes.
    pub const fn as_bytes(&self) -> &[u8; SEED_BYTES] {
        &self.0
    }

    /// The eight field elements the hash calls read: each 4 bytes little-endian, reduced modulo
    /// p (at least 30.4 bits of min-entropy each, 243 in all).
    pub(crate) fn elements(&self) -> Wide {
        std::array::from_fn(|k| {
            let b = &self.0[4 * k..4 * k + 4];
            F::from_u32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) % F::ORDER_U32)
        })
    }
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seed(<secret>)")
    }
}

/// The epochs a key can sign: `start .. start + len`, within the lifetime 2^30. Only these
/// one-time keys are generated (about 360 compressions each); every other leaf is empty and can
/// never verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveRange {
    start: u32,
    len: u32,
}

impl ActiveRange {
    /// The range `start .. start + len`, refused if empty or past the lifetime.
    pub fn new(start: u32, len: u32) -> Result<Self, Error> {
        if len == 0 || u64::from(start) + u64::from(len) > LIFETIME {
            return Err(Error::Range { start, len });
        }
        Ok(Self { start, len })
    }

    /// The first epoch.
    pub const fn start(&self) -> u32 {
        self.start
    }

    /// The number of epochs.
    pub const fn len(&self) -> u32 {
        self.len
    }

    /// Always false: a range holds at least one epoch.
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// One past the last epoch.
    pub const fn end(&self) -> u32 {
        self.start + self.len
    }

    /// Whether `epoch` is in the range.
    pub const fn contains(&self, epoch: u64) -> bool {
        epoch >= self.start as u64 && epoch < self.end() as u64
    }

    fn epochs(&self) -> std::ops::Range<u32> {
        self.start..self.end()
    }
}

/// A public key: the root of the tree of one-time keys and the public parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    /// The tree's root.
    pub root: Digest,
    /// The key's parameter, in every hash call its signatures make.
    pub param: Param,
}

impl PublicKey {
    /// The key as eight field elements: root ‖ parameter.
    pub fn to_elements(&self) -> [F; PUBLIC_KEY_ELEMENTS] {
        std::array::from_fn(|k| {
            if k < 4 {
                self.root[k]
            } else {
                self.param[k - 4]
            }
        })
    }

    /// The key of eight field elements (root ‖ parameter).
    pub fn from_elements(elements: &[F; PUBLIC_KEY_ELEMENTS]) -> Self {
        Self {
            root: std::array::from_fn(|k| elements[k]),
            param: std::array::from_fn(|k| elements[4 + k]),
        }
    }

    /// The key's 32 bytes: each element as u32 little-endian.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_BYTES] {
        let mut bytes = [0u8; PUBLIC_KEY_BYTES];
        for (out, v) in bytes.chunks_exact_mut(4).zip(self.to_elements()) {
            out.copy_from_slice(&v.as_canonical_u32().to_le_bytes());
        }
        bytes
    }

    /// Reads 32 bytes, refusing any other length or an element not below p.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let elements = read_elements::<PUBLIC_KEY_ELEMENTS>("public key", bytes)?;
        Ok(Self::from_elements(&elements))
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.to_bytes()))
    }
}

/// A secret key: the seed, its active range, and the tree of its one-time keys (kept so that
/// signing costs one path read, not a key generation).
#[derive(Clone)]
pub struct SecretKey {
    pub(crate) seed: Wide,
    pub(crate) range: ActiveRange,
    pub(crate) param: Param,
    pub(crate) tree: Tree,
}

impl SecretKey {
    /// Generates the key of `seed` over `range`: every one-time key of the range (in parallel
    /// on rayon's pool), then the tree. Deterministic: the same seed and range give the same key.
    pub fn generate(seed: &Seed, range: ActiveRange) -> Self {
        let seed = seed.elements();
        let param = parameter(&seed);
        let leaves: Vec<Digest> = range
            .epochs()
            .into_par_iter()
            .map(|epoch| one_time_leaf(&seed, &param, epoch))
            .collect();
        let tree = Tree::build(&param, range.start, leaves);
        Self {
            seed,
            range,
            param,
            tree,
        }
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            root: self.tree.root(),
            param: self.param,
        }
    }

    /// The epochs this key can sign.
    pub const fn range(&self) -> ActiveRange {
        self.range
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("range", &self.range)
            .field("public_key", &self.public_key().to_string())
            .finish_non_exhaustive()
    }
}

/// Chain `chain`'s end at `epoch`: its secret start walked to the last position.
pub(crate) fn chain_end(seed: &Wide, param: &Param, epoch: u32, chain: usize) -> Digest {
    walk(
        param,
        epoch,
        chain,
        0,
        CHAIN_LEN - 1,
        chain_secret(seed, epoch, chain),
    )
}

/// The leaf of the one-time key at `epoch`.
fn one_time_leaf(seed: &Wide, param: &Param, epoch: u32) -> Digest {
    let ends: Vec<Digest> = (0..CHAINS)
        .map(|chain| chain_end(seed, param, epoch, chain))
        .collect();
    leaf(param, epoch, &ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_must_hold_an_epoch_and_end_within_the_lifetime() {
        assert!(ActiveRange::new(0, 0).is_err());
        assert!(ActiveRange::new(0, 1).is_ok());
        let last = (LIFETIME - 1) as u32;
        assert!(ActiveRange::new(last, 1).is_ok());
        assert_eq!(
            ActiveRange::new(last, 2),
            Err(Error::Range {
                start: last,
                len: 2
            })
        );
        assert!(ActiveRange::new(u32::MAX, 1).is_err());
    }

    #[test]
    fn a_seeds_elements_are_its_words_reduced_and_its_debug_hides_it() {
        let mut bytes = [0u8; SEED_BYTES];
        bytes[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        bytes[4..8].copy_from_slice(&7u32.to_le_bytes());
        let seed = Seed::from_bytes(bytes);
        let elements = seed.elements();
        assert_eq!(elements[0], F::from_u32(u32::MAX % F::ORDER_U32));
        assert_eq!(elements[1], F::from_u32(7));
        assert_eq!(format!("{seed:?}"), "Seed(<secret>)");
    }

    #[test]
    fn a_public_key_round_trips_and_refuses_bad_bytes() {
        let pk = PublicKey {
            root: [1, 2, 3, 4].map(F::from_u32),
            param: [5, 6, 7, F::ORDER_U32 - 1].map(F::from_u32),
        };
        assert_eq!(PublicKey::from_bytes(&pk.to_bytes()), Ok(pk));
        assert!(matches!(
            PublicKey::from_bytes(&[0; 31]),
            Err(Error::Length { .. })
        ));
        let mut bytes = pk.to_bytes();
        bytes[28..].copy_from_slice(&F::ORDER_U32.to_le_bytes());
        assert_eq!(
            PublicKey::from_bytes(&bytes),
            Err(Error::NotCanonical {
                what: "public key",
                index: 7
            })
        );
    }
}
