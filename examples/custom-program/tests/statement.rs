//! A proof binds its program: one made for `squaring` never verifies as a program of another id
//! with exactly the same tables, whether or not the seal's digest is rewritten to match.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use custom_program::Squaring;
use l2x_executor::air::{AirProgram, Table, Witness};
use l2x_executor::{
    ClaimError, Execution, InputError, Program, ProgramId, PublicOutput, VerifyError,
};
use l2x_stark::Mode;

/// `squaring` under another id: the same tables, the same shape, the same witness.
struct Twin;

const TWIN: ProgramId = ProgramId::from_static("squaring-twin");

impl Program for Twin {
    fn id(&self) -> ProgramId {
        TWIN
    }
    fn summary(&self) -> &'static str {
        Squaring.summary()
    }
    fn input_doc(&self) -> &'static str {
        Squaring.input_doc()
    }
    fn public_values_doc(&self) -> &'static str {
        Squaring.public_values_doc()
    }
    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError> {
        Squaring.estimate_steps(input)
    }
    fn execute(&self, input: &[u8]) -> Result<Execution, InputError> {
        Squaring.execute(input)
    }
    fn steps_for(&self, public_values: &[u8]) -> Result<u64, ClaimError> {
        Squaring.steps_for(public_values)
    }
    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError> {
        Squaring.describe(public_values)
    }
}

impl AirProgram for Twin {
    fn tables(&self, public_values: &[u8], min_log_rows: usize) -> Result<Vec<Table>, ClaimError> {
        Squaring.tables(public_values, min_log_rows)
    }
    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        Squaring.placeholder_public_values(input)
    }
    fn stark_extremes(&self) -> [Vec<u8>; 2] {
        Squaring.stark_extremes()
    }
    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError> {
        Squaring.witness(input, min_log_rows)
    }
}

#[test]
fn a_proof_of_one_program_never_verifies_as_another_of_the_same_shape() {
    for mode in [Mode::Plain, Mode::Hiding] {
        let receipt = l2x_stark::prove_in(mode, &Squaring, b"5 3").unwrap();
        assert!(l2x_stark::verify_in(mode, &Squaring, &receipt).is_ok());
        let twin_receipt = l2x_stark::prove_in(mode, &Twin, b"5 3").unwrap();
        assert!(l2x_stark::verify_in(mode, &Twin, &twin_receipt).is_ok());

        let mut renamed = receipt.clone();
        renamed.claim.program = TWIN;
        let err = l2x_stark::verify_in(mode, &Twin, &renamed).unwrap_err();
        assert!(err.to_string().contains("another statement"), "{err}");

        // The digest at the seal's head rewritten to the twin's: the transcript still differs.
        let tables = Twin
            .tables(&renamed.claim.public_values, mode.min_log_rows())
            .unwrap();
        let digest = mode.statement(&TWIN, &tables).unwrap();
        assert_eq!(twin_receipt.seal[..digest.len()], digest);
        renamed.seal[..digest.len()].copy_from_slice(&digest);
        let err = l2x_stark::verify_in(mode, &Twin, &renamed).unwrap_err();
        assert!(
            matches!(err, VerifyError::ProofRejected(_)),
            "{mode:?}: {err}"
        );
    }
}
