//! Verification: a receipt's seal against the tables its claim implies.

use l2x_core::{BackendId, Claim, Receipt, VerifyError};
use l2x_programs::air::{AirProgram, Table};
use p3_batch_stark::{BatchProof, ProverData, verify_batch};

use crate::config::{Config, config};

/// Checks a `stark` receipt: the claim's step count, then the proof against the tables the
/// claim implies.
pub fn verify<'r>(
    program: &dyn AirProgram,
    receipt: &'r Receipt,
) -> Result<&'r Claim, VerifyError> {
    let claim = &receipt.claim;
    if receipt.backend != BackendId::Stark {
        return Err(VerifyError::WrongBackend {
            expected: BackendId::Stark,
            found: receipt.backend,
        });
    }
    if claim.program != program.id() {
        return Err(VerifyError::WrongProgram {
            expected: program.id(),
            found: claim.program.clone(),
        });
    }
    let expected = program.steps_for(&claim.public_values)?;
    if claim.steps != expected {
        return Err(VerifyError::StepMismatch {
            claimed: claim.steps,
            expected,
        });
    }
    let tables = program.tables(&claim.public_values)?;
    verify_tables(&tables, &receipt.seal)?;
    Ok(claim)
}

/// Checks an encoded proof against `tables`: decoding, shape, then Plonky3's verifier.
pub fn verify_tables(tables: &[Table], seal: &[u8]) -> Result<(), VerifyError> {
    let malformed = |reason: String| VerifyError::MalformedProof(reason);
    let (proof, rest) = postcard::take_from_bytes::<BatchProof<Config>>(seal)
        .map_err(|e| malformed(format!("the seal does not decode: {e}")))?;
    if !rest.is_empty() {
        return Err(malformed(format!("{} bytes after the proof", rest.len())));
    }
    if postcard::to_allocvec(&proof).ok().as_deref() != Some(seal) {
        return Err(malformed("the proof is not canonically encoded".into()));
    }
    let heights: Vec<usize> = tables.iter().map(|t| t.log_height).collect();
    if proof.degree_bits != heights {
        return Err(malformed(format!(
            "trace heights 2^{:?} differ from the 2^{heights:?} the claim implies",
            proof.degree_bits
        )));
    }
    let config = config();
    let airs: Vec<_> = tables.iter().map(|t| t.air).collect();
    let public: Vec<_> = tables.iter().map(|t| t.public_values.clone()).collect();
    let common = ProverData::from_airs_and_degrees(&config, &airs, &heights)
        .map_err(|e| malformed(format!("{e:?}")))?
        .common;
    verify_batch(&config, &airs, &proof, &public, &common)
        .map_err(|e| VerifyError::ProofRejected(format!("{e:?}")))
}
