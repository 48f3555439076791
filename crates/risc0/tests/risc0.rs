//! The `risc0` backend end to end: the shipped guests against the native programs, a user's
//! guest, and receipts altered in every part. Each proof takes seconds on 2 cores, so each is
//! made once and shared.
#![cfg(feature = "prove")]

use std::sync::LazyLock;

use l2x_core::{Backend, BackendId, ProgramId, Receipt, VerifyError};
use l2x_programs::{Fibonacci, Sha256};
use l2x_risc0::{Guest, GuestError, Risc0Backend, builtin};

static BALANCES_ELF: &[u8] = include_bytes!("../../../guests/elf/balances.elf");

fn backend() -> Risc0Backend {
    Risc0Backend::new([balances()])
}

fn balances() -> Guest {
    Guest::from_elf(BALANCES_ELF).expect("the example guest loads")
}

static FIB_1000: LazyLock<Receipt> = LazyLock::new(|| {
    backend()
        .prove(&Fibonacci, b"1000")
        .expect("fib(1000) proves")
});

#[test]
fn shipped_guests_have_their_pinned_image_ids() {
    assert_eq!(
        builtin::FIBONACCI.image_id_hex(),
        builtin::FIBONACCI_IMAGE_ID
    );
    assert_eq!(builtin::SHA256.image_id_hex(), builtin::SHA256_IMAGE_ID);
    assert_ne!(builtin::FIBONACCI_IMAGE_ID, builtin::SHA256_IMAGE_ID);
    assert!(
        !builtin::FIBONACCI.is_standalone() && !builtin::SHA256.is_standalone(),
        "the shipped guests are checked against their native programs"
    );
}

#[test]
fn fibonacci_proves_the_native_public_values() {
    let receipt = &*FIB_1000;
    let native = l2x_core::Program::execute(&Fibonacci, b"1000").expect("runs");
    assert_eq!(receipt.backend, BackendId::Risc0);
    assert_eq!(receipt.claim.public_values, native.public_values);
    let (n, value) = l2x_programs::fibonacci::decode_public_values(&receipt.claim.public_values)
        .expect("decodes");
    assert_eq!((n, value), (1000, 817_770_325_994_397_771));
    assert!(
        receipt.claim.steps > 1000,
        "user cycles: {}",
        receipt.claim.steps
    );
    backend().verify(&Fibonacci, receipt).expect("verifies");
    let decoded = Receipt::from_bytes(&receipt.to_bytes()).expect("envelope round-trips");
    backend()
        .verify(&Fibonacci, &decoded)
        .expect("verifies after decoding");
}

#[test]
fn sha256_proves_the_native_public_values() {
    let message: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let receipt = backend().prove(&Sha256, &message).expect("proves");
    let native = l2x_core::Program::execute(&Sha256, &message).expect("runs");
    assert_eq!(receipt.claim.public_values, native.public_values);
    backend().verify(&Sha256, &receipt).expect("verifies");
    assert_eq!(
        receipt.claim.public_values,
        others_public_values(&Sha256, &message)
    );
}

#[test]
fn trace_stark_and_risc0_give_the_same_public_values() {
    assert_eq!(
        FIB_1000.claim.public_values,
        others_public_values(&Fibonacci, b"1000")
    );
}

/// The public values that the `trace` and `stark` backends prove for this job, checked equal.
fn others_public_values(program: &dyn l2x_core::Program, input: &[u8]) -> Vec<u8> {
    let stark = l2x_stark::StarkBackend::new(l2x_programs::Registry::standard());
    let by_stark = stark.prove(program, input).expect("stark proves");
    let by_trace = l2x_trace::TraceBackend
        .prove(program, input)
        .expect("trace proves");
    assert_eq!(by_stark.claim.public_values, by_trace.claim.public_values);
    by_stark.claim.public_values
}

#[test]
fn every_flipped_seal_byte_is_rejected() {
    let receipt = &*FIB_1000;
    let len = receipt.seal.len();
    for at in (0..len).step_by(len / 61 + 1).chain([len - 1]) {
        let mut forged = receipt.clone();
        forged.seal[at] ^= 0x01;
        let err = backend()
            .verify(&Fibonacci, &forged)
            .expect_err("a flipped seal byte must not verify");
        assert!(
            matches!(
                err,
                VerifyError::MalformedProof(_)
                    | VerifyError::ProofRejected(_)
                    | VerifyError::SealMismatch
            ),
            "byte {at}: {err}"
        );
    }
}

#[test]
fn a_seal_with_bytes_appended_is_rejected() {
    let mut forged = FIB_1000.clone();
    forged.seal.push(0);
    assert!(matches!(
        backend().verify(&Fibonacci, &forged),
        Err(VerifyError::MalformedProof(_))
    ));
    let mut cut = FIB_1000.clone();
    cut.seal.truncate(cut.seal.len() / 3);
    assert!(matches!(
        backend().verify(&Fibonacci, &cut),
        Err(VerifyError::MalformedProof(_))
    ));
}

#[test]
fn altered_public_values_are_rejected() {
    let mut forged = FIB_1000.clone();
    forged.claim.public_values[8] ^= 0x01;
    assert_eq!(
        backend().verify(&Fibonacci, &forged),
        Err(VerifyError::SealMismatch)
    );
}

#[test]
fn a_receipt_is_checked_against_the_claimed_programs_image() {
    let mut forged = FIB_1000.clone();
    forged.claim.program = ProgramId::from_static("sha256");
    let err = backend()
        .verify(&Sha256, &forged)
        .expect_err("another image");
    assert!(matches!(err, VerifyError::ProofRejected(_)), "{err}");
    assert!(matches!(
        backend().verify(&Sha256, &FIB_1000),
        Err(VerifyError::WrongProgram { .. })
    ));
    let mut relabeled = FIB_1000.clone();
    relabeled.backend = BackendId::Stark;
    assert!(matches!(
        backend().verify(&Fibonacci, &relabeled),
        Err(VerifyError::WrongBackend { .. })
    ));
}

#[test]
fn bad_inputs_are_refused_before_proving() {
    let err = backend()
        .prove(&Fibonacci, b"01")
        .expect_err("not canonical");
    assert!(err.to_string().contains("canonical"), "{err}");
    let guest = balances();
    let err = backend()
        .prove(&guest, b"10 5; 0 1 11")
        .expect_err("an overdraft makes the guest panic");
    assert!(err.to_string().contains("overdraft"), "{err}");
}

#[test]
fn a_users_guest_proves_and_verifies() {
    let guest = balances();
    assert!(guest.id().as_str().starts_with("guest-"));
    assert!(guest.is_standalone(), "a user's guest is its own program");
    assert!(
        guest
            .image_id_hex()
            .starts_with(&guest.id().as_str()["guest-".len()..])
    );
    let receipt = backend()
        .prove(&guest, b"100 50 7; 0 1 30; 1 2 5")
        .expect("proves");
    let journal = &receipt.claim.public_values;
    assert_eq!(journal.len(), 72);
    assert_eq!(
        u64::from_le_bytes(journal[64..].try_into().expect("8 bytes")),
        2
    );
    assert_ne!(journal[..32], journal[32..64], "the state changed");
    backend().verify(&guest, &receipt).expect("verifies");
    let without_guest = Risc0Backend::default();
    assert!(matches!(
        without_guest.verify(&guest, &receipt),
        Err(VerifyError::MalformedProof(_))
    ));
}

#[test]
fn files_that_are_not_guests_are_refused() {
    assert!(matches!(
        Guest::from_elf(b"not an elf"),
        Err(GuestError::Invalid(_))
    ));
    let mut truncated = BALANCES_ELF[..4096].to_vec();
    truncated[100] ^= 0xff;
    assert!(matches!(
        Guest::from_elf(&truncated),
        Err(GuestError::Invalid(_))
    ));
    for len in (0..512).step_by(37) {
        let _ = Guest::from_elf(&BALANCES_ELF[..len]);
    }
    for at in (0..256).step_by(5) {
        let mut flipped = BALANCES_ELF.to_vec();
        flipped[at] ^= 0x5a;
        let _ = Guest::from_elf(&flipped);
    }
    let huge = vec![0u8; l2x_risc0::MAX_ELF_BYTES + 1];
    assert!(matches!(
        Guest::from_elf(&huge),
        Err(GuestError::TooLarge { .. })
    ));
}
