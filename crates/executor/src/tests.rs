//! The executor end to end: proving, verifying, refusing what it must.

use super::*;

fn dev() -> Executor {
    dev_executor()
}

#[test]
fn proves_and_verifies_through_the_default_backend() {
    let executor = dev();
    let receipt = executor.prove("sha256", b"abc").unwrap();
    let claim = executor.verify(&receipt).unwrap();
    assert_eq!(
        executor.describe(claim).unwrap().headline,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn refuses_dev_receipts_unless_allowed() {
    let receipt = Executor::new().unwrap().prove("fibonacci", b"10").unwrap();
    let strict = Executor::builder()
        .allow_dev_receipts(false)
        .build()
        .unwrap();
    let err = strict.verify(&receipt).unwrap_err();
    assert_eq!(err, VerifyError::DevReceiptRefused(BackendId::Trace));
    assert!(err.to_string().contains("L2X_DEV_MODE=1"), "{err}");
    assert!(dev().verify(&receipt).is_ok());
}

#[test]
fn verification_binds_the_expected_program_and_public_values() {
    let executor = dev();
    let receipt = executor.prove("fibonacci", b"10").unwrap();
    let pv = receipt.claim.public_values.clone();
    assert!(executor.verify_claim(&receipt, "fibonacci", &pv).is_ok());
    assert!(matches!(
        executor.verify_program(&receipt, "sha256"),
        Err(VerifyError::WrongProgram { .. })
    ));
    let mut other = pv.clone();
    other[0] ^= 1;
    assert_eq!(
        executor.verify_claim(&receipt, "fibonacci", &other),
        Err(VerifyError::UnexpectedPublicValues)
    );
    assert!(matches!(
        executor.verify_program(&receipt, "nope"),
        Err(VerifyError::UnknownProgram(_))
    ));
}

#[test]
fn security_is_per_claim_and_absent_for_dev_receipts() {
    let executor = dev();
    let receipt = executor.prove("fibonacci", b"10").unwrap();
    assert_eq!(executor.security(&receipt).unwrap(), None);
    let mut stark = receipt.clone();
    stark.backend = BackendId::Stark;
    let level = executor.security(&stark).unwrap().unwrap();
    assert!(level.bits >= l2x_stark::security::MIN_BITS, "{level:?}");
}

#[test]
fn names_unknown_programs_and_bad_inputs() {
    let executor = dev();
    assert!(matches!(
        executor.prove("nope", b""),
        Err(JobError::UnknownProgram(_))
    ));
    assert!(matches!(
        executor.prove("fibonacci", b"x"),
        Err(JobError::Input(_))
    ));
    assert!(matches!(
        executor.run("fibonacci", b"-3"),
        Err(JobError::Input(_))
    ));
}

#[test]
fn thread_counts_are_bounded() {
    let err = Executor::builder()
        .threads(MAX_THREADS + 1)
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::TooManyThreads(1025)), "{err}");
    assert!(err.to_string().contains("1024"), "{err}");
}

#[test]
fn verification_of_an_unknown_program_fails_cleanly() {
    let executor = dev();
    let mut receipt = executor.prove("fibonacci", b"10").unwrap();
    receipt.claim.program = l2x_core::ProgramId::parse("keccak").unwrap();
    assert!(matches!(
        executor.verify(&receipt),
        Err(VerifyError::UnknownProgram(_))
    ));
}
