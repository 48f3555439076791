//! The target-sum encoding: the encoding digest's limbs cut into 3-bit chunks, one per chain,
//! valid only when no limb is p − 1 and the chunks sum to [`TARGET_SUM`].
//!
//! A limb `x < p = 127·2^24 + 1` is `low + 2^24·high` with `low < 2^24`. Refusing `x = p − 1`
//! (the only value with `high = 127`) leaves each `low` exactly 127 times, so the chunks are
//! uniform and independent; in the proof the same rule reads `high ≤ 126`, which also makes the
//! decomposition canonical. Limb k gives chunks 8k to 8k + 7, least significant first.
//!
//! Why a target sum: if two valid encodings x, x' had x'ᵢ ≥ xᵢ for every chain, their equal sums
//! force x' = x. A signature reveals chain i at position xᵢ, from which only positions ≥ xᵢ can
//! be computed; so a forger holding a signature must find a message whose encoding is exactly the
//! signed one (SPEC.md, "Security").

use p3_field::PrimeField32;

use crate::Wide;
use crate::params::{CHAINS, CHUNK_BITS, CHUNKS_PER_LIMB, ENCODING_LIMBS, LIMB_BITS, TARGET_SUM};

/// A valid encoding: one chunk (a chain position, 0 to 7) per chain.
pub type Chunks = [u8; CHAINS];

/// Why an encoding digest gives no valid encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// A limb is p − 1, refused to keep the chunks uniform.
    #[error("encoding limb {limb} is p - 1")]
    Limb {
        /// The limb.
        limb: usize,
    },
    /// The chunks do not sum to the target.
    #[error("the encoding's chunks sum to {sum}, not {TARGET_SUM}")]
    Sum {
        /// Their sum.
        sum: usize,
    },
}

/// The chunks of an encoding digest, or why it has none.
pub fn chunks(digest: &Wide) -> Result<Chunks, Invalid> {
    let mut chunks = [0u8; CHAINS];
    for (limb, value) in digest.iter().take(ENCODING_LIMBS).enumerate() {
        let x = value.as_canonical_u32();
        if x == crate::F::ORDER_U32 - 1 {
            return Err(Invalid::Limb { limb });
        }
        let low = x & ((1 << LIMB_BITS) - 1);
        for k in 0..CHUNKS_PER_LIMB {
            if let Some(chunk) = chunks.get_mut(limb * CHUNKS_PER_LIMB + k) {
                *chunk = ((low >> (CHUNK_BITS * k)) & ((1 << CHUNK_BITS) - 1)) as u8;
            }
        }
    }
    let sum = chunks.iter().map(|&c| usize::from(c)).sum();
    if sum == TARGET_SUM {
        Ok(chunks)
    } else {
        Err(Invalid::Sum { sum })
    }
}

#[cfg(test)]
mod tests {
    use p3_field::PrimeCharacteristicRing;

    use super::*;
    use crate::F;

    fn digest_with_chunks(chunks: &[u8]) -> Wide {
        let mut digest = [F::ZERO; 8];
        for (limb, part) in chunks.chunks(CHUNKS_PER_LIMB).enumerate() {
            let low = part.iter().enumerate().fold(0u32, |acc, (k, &c)| {
                acc | (u32::from(c) << (CHUNK_BITS * k))
            });
            // A high part (bits 24 and up) that the encoding ignores.
            digest[limb] = F::from_u32(low + (5 << LIMB_BITS));
        }
        digest
    }

    #[test]
    fn chunks_are_read_three_bits_at_a_time_from_each_limbs_low_24_bits() {
        // Every position in turn (0, 1, …, 7, 0, …), then raised from the last chain back
        // until the sum is the target: distinct neighbours show the order of the chunks.
        let mut want: [u8; CHAINS] = std::array::from_fn(|i| (i % 8) as u8);
        let mut missing = TARGET_SUM - want.iter().map(|&c| usize::from(c)).sum::<usize>();
        for c in want.iter_mut().rev() {
            let raise = missing.min(usize::from(7 - *c));
            *c += raise as u8;
            missing -= raise;
        }
        let sum: usize = want.iter().map(|&c| usize::from(c)).sum();
        assert_eq!(sum, TARGET_SUM, "the test's own chunks");
        assert_eq!(chunks(&digest_with_chunks(&want)), Ok(want));
    }

    #[test]
    fn a_sum_off_by_one_is_refused() {
        let mut want = [4u8; CHAINS];
        want[..16].fill(5); // 42 × 4 + 16 = 184
        want[0] = 6;
        assert_eq!(
            chunks(&digest_with_chunks(&want)),
            Err(Invalid::Sum {
                sum: TARGET_SUM + 1
            })
        );
        want[0] = 4;
        assert_eq!(
            chunks(&digest_with_chunks(&want)),
            Err(Invalid::Sum {
                sum: TARGET_SUM - 1
            })
        );
        want[0] = 5;
        assert_eq!(chunks(&digest_with_chunks(&want)), Ok(want));
    }

    #[test]
    fn a_limb_of_p_minus_one_is_refused_even_in_the_last_limbs_unused_chunks() {
        let mut want = [4u8; CHAINS];
        want[..16].fill(5);
        for limb in 0..ENCODING_LIMBS {
            let mut digest = digest_with_chunks(&want);
            digest[limb] = F::NEG_ONE;
            assert_eq!(chunks(&digest), Err(Invalid::Limb { limb }));
        }
        // Limbs past the encoding's are not read.
        let mut digest = digest_with_chunks(&want);
        digest[ENCODING_LIMBS] = F::NEG_ONE;
        assert_eq!(chunks(&digest), Ok(want));
    }
}
