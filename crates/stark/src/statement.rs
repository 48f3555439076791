//! What a proof is about: the program's id and the shape of its tables, as a digest that every
//! proof binds.
//!
//! Tables are open (any crate registers programs), so two programs may share a shape and even
//! an id across builds. The digest covers the mode, the program id, and per table its name
//! (`Debug`), width, public-input count, trace height and the shape the soundness bound sees
//! (constraints, degree, quotient chunks, openings, LogUp messages). It is absorbed by the
//! Fiat–Shamir challenger before anything else ([`crate::config::config`]), so every challenge
//! depends on it and a proof of one statement does not verify as another; and it heads the
//! seal, so that a verifier whose tables differ from the prover's (another program of that id,
//! or another version of it) says so instead of reporting a failed check.

use l2x_air::{Table, Val};
use l2x_core::ProgramId;
use p3_air::BaseAir;
use p3_field::PrimeCharacteristicRing;
use sha2::{Digest, Sha256};

use crate::Mode;
use crate::security::TableShape;

/// Bytes of an [`AirDigest`].
pub const DIGEST_LEN: usize = 32;

/// The SHA-256 digest of a statement: see the [module docs](self).
pub type AirDigest = [u8; DIGEST_LEN];

/// The digest of proving `tables` of `program` in `mode`, whose shapes are `shapes`.
pub(crate) fn air_digest(
    mode: Mode,
    program: &ProgramId,
    tables: &[Table],
    shapes: &[TableShape],
) -> AirDigest {
    let mut hash = Sha256::new();
    let mut put = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    put(b"l2x-stark statement v1");
    put(mode.backend_id().name().as_bytes());
    put(program.as_str().as_bytes());
    for (table, shape) in tables.iter().zip(shapes) {
        put(format!("{:?}", table.air).as_bytes());
        let numbers = [
            BaseAir::<Val>::width(&table.air),
            BaseAir::<Val>::preprocessed_width(&table.air),
            BaseAir::<Val>::num_public_values(&table.air),
            table.log_height,
            shape.log_height,
            shape.constraints,
            shape.max_degree,
            shape.quotient_chunks,
            shape.batched_openings,
            shape.interactions,
            shape.max_message_width,
        ];
        for n in numbers {
            put(&(n as u64).to_le_bytes());
        }
    }
    hash.finalize().into()
}

/// The digest as field elements for the challenger: sixteen 16-bit limbs, a one-to-one map.
pub(crate) fn digest_elements(digest: &AirDigest) -> Vec<Val> {
    digest
        .chunks_exact(2)
        .map(|pair| Val::from_u16(u16::from_le_bytes([pair[0], pair[1]])))
        .collect()
}

/// Splits a seal into the digest it heads with and the encoded proof, checking the digest
/// against the verifier's own.
pub(crate) fn split_seal<'s>(seal: &'s [u8], expected: &AirDigest) -> Result<&'s [u8], String> {
    let Some((digest, proof)) = seal.split_first_chunk::<DIGEST_LEN>() else {
        return Err(format!(
            "the seal is {} bytes, shorter than its {DIGEST_LEN}-byte statement digest",
            seal.len()
        ));
    };
    if digest != expected {
        return Err(format!(
            "the proof is of another statement: its AIR digest is {}, this verifier's tables \
             for the claim give {} (another program under this id, or another version of it)",
            hex(digest),
            hex(expected)
        ));
    }
    Ok(proof)
}

fn hex(bytes: &[u8]) -> String {
    bytes[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        + "…"
}
