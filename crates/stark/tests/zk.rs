//! The hiding configuration (`stark-zk`): proofs verify, commit to randomized traces, carry their own backend
//! id, and tampering or forgery is rejected as in the plain configuration.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::verify;
use l2x_air::AirProgram;
use l2x_core::{Backend, BackendId};
use l2x_programs::{Fibonacci, Sha256, sha256};
use l2x_stark::config::{Config, ZkConfig};
use l2x_stark::{Mode, StarkBackend, StarkZkBackend, prove_tables_in, verify_tables_in};
use p3_batch_stark::BatchProof;

#[test]
fn zk_proofs_verify_and_match_the_plain_claims() {
    for (program, input) in [
        (&Sha256 as &dyn AirProgram, &b"abc"[..]),
        (&Fibonacci, b"94"),
    ] {
        let zk = StarkZkBackend::default().prove(program, input).unwrap();
        assert_eq!(zk.backend, BackendId::StarkZk);
        assert_eq!(verify(&zk), Ok(()));
        let plain = StarkBackend::default().prove(program, input).unwrap();
        assert_eq!(zk.claim, plain.claim);
    }
}

/// The encoded commitment to the main trace inside a seal (after its statement digest).
fn main_commitment<SC>(seal: &[u8]) -> Vec<u8>
where
    SC: p3_batch_stark::StarkGenericConfig,
    BatchProof<SC>: serde::de::DeserializeOwned,
{
    let proof: BatchProof<SC> =
        postcard::from_bytes(&seal[l2x_stark::statement::DIGEST_LEN..]).unwrap();
    postcard::to_allocvec(&proof.commitments.main).unwrap()
}

#[test]
fn zk_trace_commitments_are_randomized() {
    // The same trace commits to the same root under the plain scheme; the hiding scheme masks
    // the trace and salts the leaves, so two proofs of one statement commit differently.
    // (Whole seals differ in both modes: the proof-of-work search runs in parallel.)
    let plain: Vec<_> = (0..2)
        .map(|_| StarkBackend::default().prove(&Sha256, b"abc").unwrap().seal)
        .collect();
    assert_eq!(
        main_commitment::<Config>(&plain[0]),
        main_commitment::<Config>(&plain[1])
    );
    let zk: Vec<_> = (0..2)
        .map(|_| {
            StarkZkBackend::default()
                .prove(&Sha256, b"abc")
                .unwrap()
                .seal
        })
        .collect();
    assert_ne!(
        main_commitment::<ZkConfig>(&zk[0]),
        main_commitment::<ZkConfig>(&zk[1])
    );
}

#[test]
fn proofs_do_not_cross_configurations() {
    let mut plain = StarkBackend::default().prove(&Sha256, b"abc").unwrap();
    plain.backend = BackendId::StarkZk;
    assert!(verify(&plain).is_err());
    let mut zk = StarkZkBackend::default().prove(&Sha256, b"abc").unwrap();
    zk.backend = BackendId::Stark;
    assert!(verify(&zk).is_err());
}

#[test]
fn tampered_zk_receipts_are_rejected() {
    common::assert_tampering_rejected(
        &StarkZkBackend::default().prove(&Sha256, b"abc").unwrap(),
        500,
    );
}

#[test]
fn a_wrong_public_digest_is_rejected_under_zk() {
    let mode = Mode::Hiding;
    let witness = Sha256.witness(b"abc", mode.min_log_rows()).unwrap();
    let mut tables = Sha256
        .tables(&witness.execution.public_values, mode.min_log_rows())
        .unwrap();
    let seal = prove_tables_in(mode, &sha256::ID, &tables, &witness.traces).unwrap();
    assert!(verify_tables_in(mode, &sha256::ID, &tables, &seal).is_ok());
    let mut digest = sha256::digest(b"abc");
    digest[31] ^= 1;
    tables[0].public_values = sha256::table_public_values(&digest, 3);
    assert!(verify_tables_in(mode, &sha256::ID, &tables, &seal).is_err());
    let forged = prove_tables_in(mode, &sha256::ID, &tables, &witness.traces);
    assert!(
        forged.is_err() || verify_tables_in(mode, &sha256::ID, &tables, &forged.unwrap()).is_err()
    );
}
