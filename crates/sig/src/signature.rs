//! Signing and verification.
//!
//! **Signing** `message` at `epoch`: μ = the message digest; for attempt 0, 1, …: ρ from the
//! seed, the epoch, the attempt and μ; the encoding digest of (ρ, parameter, μ); the first
//! attempt whose chunks are valid is kept. The signature is ρ, chain i walked from its secret
//! start to position xᵢ, and the tree path of the epoch. Signing is deterministic.
//!
//! **Verification** recomputes μ and the encoding from ρ, walks each chain from xᵢ to its end
//! (exactly [`STEPS`] steps in all), hashes the ends into the leaf and climbs the path; the
//! signature holds if that reaches the key's root.

use p3_field::PrimeField32;

use crate::encoding::{Chunks, chunks};
use crate::hash::{chain_secret, encode_digest, leaf, message_digest, randomness, walk};
use crate::keys::{PublicKey, SecretKey};
#[cfg(doc)]
use crate::params::STEPS;
use crate::params::{
    CHAIN_LEN, CHAINS, DIGEST_LEN, HEIGHT, LIFETIME, MAX_ATTEMPTS, RHO_LEN, SIGNATURE_BYTES,
    SIGNATURE_ELEMENTS,
};
use crate::tree::climb;
use crate::{Digest, Error, F, Message, Rho, read_elements};

/// A signature: ρ, one value per chain and the tree path (1,164 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The randomness whose encoding is valid.
    pub rho: Rho,
    /// Chain i at position xᵢ of the encoding.
    pub chains: [Digest; CHAINS],
    /// The siblings from the leaf to the root.
    pub path: [Digest; HEIGHT],
}

impl Signature {
    /// The signature's elements: ρ ‖ chains ‖ path.
    pub fn elements(&self) -> impl Iterator<Item = F> + '_ {
        self.rho
            .iter()
            .chain(self.chains.iter().flatten())
            .chain(self.path.iter().flatten())
            .copied()
    }

    /// The signature's bytes: each element as u32 little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.elements()
            .flat_map(|v| v.as_canonical_u32().to_le_bytes())
            .collect()
    }

    /// Reads [`SIGNATURE_BYTES`] bytes, refusing any other length or an element not below p.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let elements = read_elements::<SIGNATURE_ELEMENTS>("signature", bytes)?;
        let digest = |at: usize| -> Digest { std::array::from_fn(|j| elements[at + j]) };
        let chains_at = RHO_LEN;
        let path_at = chains_at + CHAINS * DIGEST_LEN;
        Ok(Self {
            rho: std::array::from_fn(|j| elements[j]),
            chains: std::array::from_fn(|i| digest(chains_at + DIGEST_LEN * i)),
            path: std::array::from_fn(|l| digest(path_at + DIGEST_LEN * l)),
        })
    }
}

const _: () = assert!(SIGNATURE_BYTES == 4 * SIGNATURE_ELEMENTS);

impl SecretKey {
    /// Signs `message` with the one-time key of `epoch`.
    ///
    /// **Never sign two different messages at one epoch**: the two signatures reveal chain
    /// positions from which a third message's signature at that epoch can often be assembled.
    /// Signing the same message again is harmless (it gives the same signature).
    pub fn sign(&self, epoch: u32, message: &Message) -> Result<Signature, Error> {
        if !self.range.contains(u64::from(epoch)) {
            return Err(Error::OutsideRange {
                epoch: u64::from(epoch),
                start: self.range.start(),
                end: self.range.end(),
            });
        }
        let mu = message_digest(epoch, message);
        let (rho, chunks) = (0..MAX_ATTEMPTS)
            .find_map(|attempt| {
                let rho = randomness(&self.seed, epoch, attempt, &mu);
                chunks(&encode_digest(&rho, &self.param, &mu))
                    .ok()
                    .map(|c| (rho, c))
            })
            .ok_or(Error::NoEncoding)?;
        let chains = std::array::from_fn(|i| {
            let start = chain_secret(&self.seed, epoch, i);
            walk(&self.param, epoch, i, 0, usize::from(chunks[i]), start)
        });
        Ok(Signature {
            rho,
            chains,
            path: self.tree.path(epoch),
        })
    }
}

impl SecretKey {
    /// Every chain of `epoch`'s one-time key at `positions` (chain i at `positions[i]`, at most
    /// 7): what a signature whose encoding is `positions` reveals. For building signatures of
    /// encodings other than a message's (a verifier's tests); [`SecretKey::sign`] is the only
    /// way to a valid signature.
    pub fn chains_at(
        &self,
        epoch: u32,
        positions: &[u8; CHAINS],
    ) -> Result<[Digest; CHAINS], Error> {
        if !self.range.contains(u64::from(epoch)) {
            return Err(Error::OutsideRange {
                epoch: u64::from(epoch),
                start: self.range.start(),
                end: self.range.end(),
            });
        }
        Ok(std::array::from_fn(|i| {
            let to = usize::from(positions[i]).min(CHAIN_LEN - 1);
            walk(
                &self.param,
                epoch,
                i,
                0,
                to,
                chain_secret(&self.seed, epoch, i),
            )
        }))
    }
}

/// The encoding a signature's ρ gives `message` at `epoch` under `key`.
pub fn encoding(
    key: &PublicKey,
    epoch: u32,
    message: &Message,
    rho: &Rho,
) -> Result<Chunks, Error> {
    let mu = message_digest(epoch, message);
    Ok(chunks(&encode_digest(rho, &key.param, &mu))?)
}

/// Checks that `signature` signs `message` at `epoch` under `key`; the error says which check
/// failed.
pub fn verify(
    key: &PublicKey,
    epoch: u32,
    message: &Message,
    signature: &Signature,
) -> Result<(), Error> {
    if u64::from(epoch) >= LIFETIME {
        return Err(Error::Lifetime {
            epoch: u64::from(epoch),
        });
    }
    let chunks = encoding(key, epoch, message, &signature.rho)?;
    let ends: Vec<Digest> = (0..CHAINS)
        .map(|i| {
            let from = usize::from(chunks[i]);
            walk(
                &key.param,
                epoch,
                i,
                from,
                CHAIN_LEN - 1,
                signature.chains[i],
            )
        })
        .collect();
    let leaf = leaf(&key.param, epoch, &ends);
    if climb(&key.param, epoch, leaf, &signature.path) == key.root {
        Ok(())
    } else {
        Err(Error::Root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{ActiveRange, Seed};
    use crate::message_of_u16;

    /// What a signer who skips the range check would produce: the honest one-time signature of
    /// an epoch outside the range, with the tree's path for it.
    fn sign_unchecked(key: &SecretKey, epoch: u32, message: &Message) -> Signature {
        let inside = key.range.start();
        let mut wide = key.clone();
        wide.range =
            ActiveRange::new(epoch.min(inside), epoch.abs_diff(inside) + 1).unwrap_or(key.range);
        let mut signature = wide.sign(epoch, message).unwrap_or_else(|e| panic!("{e}"));
        signature.path = key.tree.path(epoch);
        signature
    }

    #[test]
    fn not_even_the_seeds_holder_can_sign_outside_the_active_range() {
        let key = SecretKey::generate(
            &Seed::from_bytes([3; 32]),
            ActiveRange::new(8, 4).unwrap_or_else(|e| panic!("{e}")),
        );
        let message = message_of_u16([1, 2]);
        for epoch in [7, 12, 13, 0, 1 << 20] {
            let signature = sign_unchecked(&key, epoch, &message);
            assert_eq!(
                verify(&key.public_key(), epoch, &message, &signature),
                Err(Error::Root),
                "epoch {epoch}"
            );
        }
        // The same construction inside the range verifies: the test's signer is honest.
        let signature = sign_unchecked(&key, 10, &message);
        assert_eq!(verify(&key.public_key(), 10, &message, &signature), Ok(()));
    }
}
