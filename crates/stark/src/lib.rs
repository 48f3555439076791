//! The `stark` backend: real proofs, on Plonky3 0.8.
//!
//! A program's tables ([`l2x_programs::air::Table`]) are proven together in one batch STARK
//! (`p3-batch-stark`), with LogUp lookups between them (`p3-lookup`), under the single
//! configuration in [`config`]: KoalaBear, Poseidon2 Merkle commitments, FRI with 100 queries at
//! rate 1/2 and proof of work. [`config::security`] states the conjectured security level:
//! 116 bits by the usual ethSTARK count; run `l2x programs --json` for Plonky3's own estimate.
//!
//! The seal of a receipt is the postcard encoding of the `BatchProof`. Verification derives
//! every table, its trace height and its public inputs from the claim, never from the proof;
//! checks the proof's shape (table count, heights, canonical encoding) before handing it to
//! Plonky3's verifier; and returns an error, never a panic, for any seal.
//!
//! **What a proof reveals.** Plonky3's FRI PCS as configured here is not zero-knowledge: the
//! queried openings are evaluations of the trace polynomials, which leak information about the
//! witness (for SHA-256, the message). Receipts hide nothing beyond what the public values say
//! only in the sense that the input is not written into them; do not rely on them for privacy.

pub mod config;
mod prove;
mod verify;

use l2x_core::{Backend, BackendId, Claim, Program, ProveError, Receipt, VerifyError};
use l2x_programs::Registry;
use l2x_programs::air::AirProgram;

pub use prove::{prove, prove_tables};
pub use verify::{verify, verify_tables};

/// The STARK backend. See the [crate docs](crate).
#[derive(Debug, Clone, Copy, Default)]
pub struct StarkBackend;

fn air_program(program: &dyn Program) -> Option<&'static dyn AirProgram> {
    Registry::standard().air_program(program.id().as_str())
}

impl Backend for StarkBackend {
    fn id(&self) -> BackendId {
        BackendId::Stark
    }

    fn prove(&self, program: &dyn Program, input: &[u8]) -> Result<Receipt, ProveError> {
        let Some(air) = air_program(program) else {
            return Err(ProveError::Prover {
                backend: BackendId::Stark,
                reason: format!("program '{}' has no AIR yet", program.id()),
            });
        };
        prove(air, input)
    }

    fn verify<'r>(
        &self,
        program: &dyn Program,
        receipt: &'r Receipt,
    ) -> Result<&'r Claim, VerifyError> {
        let Some(air) = air_program(program) else {
            return Err(VerifyError::MalformedProof(format!(
                "program '{}' has no AIR in this build",
                program.id()
            )));
        };
        verify(air, receipt)
    }
}
