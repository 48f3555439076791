//! The hiding configuration (`stark-zk`): proofs verify, are randomized, carry their own backend
//! id, and tampering or forgery is rejected as in the plain configuration.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use l2x_core::{Backend, BackendId, Receipt};
use l2x_programs::air::AirProgram;
use l2x_programs::{Fibonacci, Registry, Sha256, sha256};
use l2x_stark::{Mode, StarkBackend, StarkZkBackend, prove_tables_in, verify_tables_in};

fn verify(receipt: &Receipt) -> Result<(), String> {
    let program = Registry::standard()
        .get(receipt.claim.program.as_str())
        .map_err(|e| e.to_string())?;
    let backend: &dyn Backend = match receipt.backend {
        BackendId::StarkZk => &StarkZkBackend,
        _ => &StarkBackend,
    };
    backend
        .verify(program, receipt)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn zk_proofs_verify_and_match_the_plain_claims() {
    for (program, input) in [
        (&Sha256 as &dyn AirProgram, &b"abc"[..]),
        (&Fibonacci, b"94"),
    ] {
        let zk = StarkZkBackend.prove(program, input).unwrap();
        assert_eq!(zk.backend, BackendId::StarkZk);
        assert_eq!(verify(&zk), Ok(()));
        let plain = StarkBackend.prove(program, input).unwrap();
        assert_eq!(zk.claim, plain.claim);
    }
}

#[test]
fn zk_proofs_are_randomized() {
    let a = StarkZkBackend.prove(&Sha256, b"abc").unwrap();
    let b = StarkZkBackend.prove(&Sha256, b"abc").unwrap();
    assert_ne!(
        a.seal, b.seal,
        "two hiding proofs of the same statement must differ"
    );
    let plain_a = StarkBackend.prove(&Sha256, b"abc").unwrap();
    let plain_b = StarkBackend.prove(&Sha256, b"abc").unwrap();
    assert_eq!(plain_a.seal, plain_b.seal, "plain proofs are deterministic");
}

#[test]
fn proofs_do_not_cross_configurations() {
    let mut plain = StarkBackend.prove(&Sha256, b"abc").unwrap();
    plain.backend = BackendId::StarkZk;
    assert!(verify(&plain).is_err());
    let mut zk = StarkZkBackend.prove(&Sha256, b"abc").unwrap();
    zk.backend = BackendId::Stark;
    assert!(verify(&zk).is_err());
}

#[test]
fn tampered_zk_receipts_are_rejected() {
    let receipt = StarkZkBackend.prove(&Sha256, b"abc").unwrap();
    let bytes = receipt.to_bytes();
    let seal_start = bytes.len() - receipt.seal.len();
    let verify_bytes = |b: &[u8]| {
        Receipt::from_bytes(b)
            .map_err(|e| e.to_string())
            .and_then(|r| verify(&r))
    };
    let step = receipt.seal.len() / 500;
    let mut positions: Vec<usize> = (0..seal_start).collect();
    positions.extend((0..500).map(|k| seal_start + k * step + (k * 7) % step));
    for &i in &positions {
        let mut tampered = bytes.clone();
        tampered[i] ^= 1 << (i % 8);
        assert!(
            verify_bytes(&tampered).is_err(),
            "flipping byte {i} verified"
        );
    }
}

#[test]
fn a_wrong_public_digest_is_rejected_under_zk() {
    let mode = Mode::Hiding;
    let witness = Sha256.witness(b"abc", mode.min_log_rows()).unwrap();
    let mut tables = Sha256
        .tables(&witness.execution.public_values, mode.min_log_rows())
        .unwrap();
    let seal = prove_tables_in(mode, &tables, &witness.traces).unwrap();
    assert!(verify_tables_in(mode, &tables, &seal).is_ok());
    let mut digest = sha256::digest(b"abc");
    digest[31] ^= 1;
    tables[0].public_values = sha256::table_public_values(&digest, 3);
    assert!(verify_tables_in(mode, &tables, &seal).is_err());
    let forged = prove_tables_in(mode, &tables, &witness.traces);
    assert!(forged.is_err() || verify_tables_in(mode, &tables, &forged.unwrap()).is_err());
}
