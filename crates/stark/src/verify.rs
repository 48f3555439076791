//! Verification: a receipt's seal against the tables its claim implies.

use l2x_air::{AirProgram, Table};
use l2x_core::{Claim, ProgramId, Receipt, VerifyError, check_claim};

use crate::Mode;
use crate::config::{config, config_zk};
use crate::max_proof_bytes;
use crate::security::{MIN_BITS, ProofSecurity};
use crate::statement::{air_digest, split_seal};
use crate::system::{ProofSystem, Rejection};

/// Checks a plain `stark` receipt: the claim's step count, then the proof against the tables
/// the claim implies.
pub fn verify<'r>(
    program: &dyn AirProgram,
    receipt: &'r Receipt,
) -> Result<&'r Claim, VerifyError> {
    verify_in(Mode::Plain, program, receipt)
}

/// [`verify`] in either configuration.
pub fn verify_in<'r>(
    mode: Mode,
    program: &dyn AirProgram,
    receipt: &'r Receipt,
) -> Result<&'r Claim, VerifyError> {
    let claim = check_claim(mode.backend_id(), program, receipt)?;
    let tables = program.tables(&claim.public_values, mode.min_log_rows())?;
    verify_tables_in(mode, &claim.program, &tables, &receipt.seal)?;
    Ok(claim)
}

/// Checks an encoded plain proof against `tables` of `program`: the statement digest,
/// decoding, shape, then Plonky3's verifier.
pub fn verify_tables(
    program: &ProgramId,
    tables: &[Table],
    seal: &[u8],
) -> Result<(), VerifyError> {
    verify_tables_in(Mode::Plain, program, tables, seal)
}

/// [`verify_tables`] in either configuration.
///
/// The grinding the proof must show is derived from the tables, and a claim whose proof would
/// fall below [`MIN_BITS`] of conjectured security is refused whatever the seal.
pub fn verify_tables_in(
    mode: Mode,
    program: &ProgramId,
    tables: &[Table],
    seal: &[u8],
) -> Result<(), VerifyError> {
    let shapes = mode.shapes(tables).map_err(VerifyError::MalformedProof)?;
    let statement = air_digest(mode, program, tables, &shapes);
    let most = max_proof_bytes(mode.fri(), &shapes);
    if seal.len() > most {
        return Err(VerifyError::MalformedProof(format!(
            "the seal is {} bytes, more than any proof of this claim can be ({most} bytes)",
            seal.len()
        )));
    }
    let security = ProofSecurity::of(mode.fri(), &shapes);
    if security.bits < MIN_BITS {
        return Err(VerifyError::MalformedProof(format!(
            "a proof of this claim would have {:.1} bits of conjectured security, below the \
             {MIN_BITS}-bit floor",
            security.bits
        )));
    }
    let proof = split_seal(seal, &statement).map_err(VerifyError::MalformedProof)?;
    let verdict = match mode {
        Mode::Plain => config(security.grinding, &statement).verify(tables, proof),
        Mode::Hiding => config_zk(security.grinding, &statement).verify(tables, proof),
    };
    verdict.map_err(|rejection| match rejection {
        Rejection::Malformed(reason) => VerifyError::MalformedProof(reason),
        Rejection::Rejected(reason) => VerifyError::ProofRejected(reason),
    })
}
