//! Seals that would cost memory out of proportion are refused before they are decoded.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use l2x_air::AirProgram;
use l2x_core::{Backend, Receipt, VerifyError};
use l2x_programs::{Fibonacci, Sha256};
use l2x_stark::{Mode, StarkBackend, StarkZkBackend, max_proof_bytes};

fn bound(mode: Mode, program: &dyn AirProgram, public_values: &[u8]) -> usize {
    let tables = program.tables(public_values, mode.min_log_rows()).unwrap();
    max_proof_bytes(mode.fri(), &mode.shapes(&tables).unwrap())
}

/// A backend, its mode, a program and an input.
type Case<'a> = (&'a dyn Backend, Mode, &'a dyn AirProgram, &'a [u8]);

#[test]
fn real_proofs_fit_the_bound() {
    let cases: [Case<'_>; 4] = [
        (&StarkBackend::default(), Mode::Plain, &Fibonacci, b"1000"),
        (&StarkBackend::default(), Mode::Plain, &Sha256, b"abc"),
        (&StarkZkBackend::default(), Mode::Hiding, &Fibonacci, b"10"),
        (&StarkZkBackend::default(), Mode::Hiding, &Sha256, &[7; 300]),
    ];
    for (backend, mode, program, input) in cases {
        let receipt = backend.prove(program, input).unwrap();
        let most = bound(mode, program, &receipt.claim.public_values);
        let len = receipt.seal.len();
        assert!(len <= most, "{mode:?} {}: {len} > {most}", program.id());
        assert!(most < 16 * len, "{mode:?} {}: {most} loose", program.id());
    }
}

#[test]
fn bounds_stay_small_at_the_largest_claims() {
    // A bound of a few MiB keeps the worst decoding (a few dozen bytes of heap per encoded
    // byte) within tens of MiB.
    for mode in [Mode::Plain, Mode::Hiding] {
        for program in [&Fibonacci as &dyn AirProgram, &Sha256] {
            let [_, largest] = program.stark_extremes();
            let most = bound(mode, program, &largest);
            assert!(most < 3 << 20, "{mode:?} {}: {most}", program.id());
        }
    }
}

#[test]
fn a_seal_longer_than_any_proof_is_refused_before_decoding() {
    let mut receipt: Receipt = StarkBackend::default().prove(&Fibonacci, b"20").unwrap();
    let most = bound(Mode::Plain, &Fibonacci, &receipt.claim.public_values);
    // The shape of the reported attack: real bytes, then a huge count of tiny zero entries.
    let mut seal = receipt.seal[..101].to_vec();
    seal.extend_from_slice(&[0xff, 0xff, 0xff, 0x7f]);
    seal.resize(most + 1, 0);
    receipt.seal = seal;
    let err = StarkBackend::default()
        .verify(&Fibonacci, &receipt)
        .unwrap_err();
    assert!(
        matches!(&err, VerifyError::MalformedProof(m) if m.contains("more than any proof")),
        "{err}"
    );
}

#[test]
fn undecodable_seals_say_where_and_why() {
    let receipt: Receipt = StarkBackend::default().prove(&Fibonacci, b"20").unwrap();
    let mut decode_errors = 0;
    for at in (0..receipt.seal.len()).step_by(97) {
        let mut bad = receipt.clone();
        bad.seal[at] = 0xff;
        let Err(VerifyError::MalformedProof(message)) =
            StarkBackend::default().verify(&Fibonacci, &bad)
        else {
            continue;
        };
        if message.contains("does not decode") {
            decode_errors += 1;
            assert!(message.contains("at byte"), "{message}");
            assert!(
                !message.contains("Serde Deserialization Error"),
                "{message}"
            );
        }
    }
    assert!(decode_errors > 0, "some mutation must break decoding");
}
