//! The Poseidon2 STARK: agreement with the native hash and the trace backend, soundness of each
//! constraint family (the permutation's rounds, the start, the chain, the index, the output
//! flag and its count, the digest), both configurations, and tampered receipts.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::verify;
use l2x_air::{AirProgram, Val};
use l2x_core::Backend;
use l2x_programs::Poseidon2;
use l2x_programs::poseidon2::columns::{DIGEST, INDEX, IS_OUTPUT, OUTPUT, SEEN, STATE, WIDTH};
use l2x_programs::poseidon2::{self, Digest, compress, trace};
use l2x_stark::{StarkBackend, StarkZkBackend, prove_tables, verify_tables};
use l2x_trace::TraceBackend;
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::default_koalabear_poseidon2_16;

const ROWS: usize = 16;

#[test]
fn proofs_agree_with_the_native_hash_and_the_trace_backend() {
    for message in [&b""[..], b"abc", &[7; 383], &[9; 1000]] {
        let receipt = StarkBackend::default().prove(&Poseidon2, message).unwrap();
        assert_eq!(verify(&receipt), Ok(()));
        assert_eq!(
            receipt.claim,
            TraceBackend.prove(&Poseidon2, message).unwrap().claim
        );
        let (digest, n) = poseidon2::decode_public_values(&receipt.claim.public_values).unwrap();
        assert_eq!(digest, poseidon2::digest(message));
        assert_eq!(n as usize, poseidon2::block_count(message.len()));
    }
    let zk = StarkZkBackend::default().prove(&Poseidon2, b"abc").unwrap();
    assert_eq!(verify(&zk), Ok(()));
}

#[test]
fn tampered_receipts_are_rejected_without_panic() {
    let receipt = StarkBackend::default().prove(&Poseidon2, b"abc").unwrap();
    common::assert_tampering_rejected(&receipt, 300);
}

/// Blocks 1, 2, 3, … as field elements.
fn blocks(n: usize) -> Vec<Digest> {
    (0..n)
        .map(|i| std::array::from_fn(|j| Val::from_usize(i * DIGEST + j + 1)))
        .collect()
}

/// Chained permutation inputs over `blocks` (then zero blocks) from `h0`, with the chaining value
/// replaced by `swap` at its row; and the output of every row.
fn chain(h0: Digest, blocks: &[Digest], swap: Option<(usize, Digest)>) -> Vec<[Val; STATE]> {
    let perm = default_koalabear_poseidon2_16();
    let mut h = h0;
    (0..ROWS)
        .map(|i| {
            if let Some((_, value)) = swap.filter(|&(row, _)| row == i) {
                h = value;
            }
            let m = blocks.get(i).copied().unwrap_or([Val::ZERO; DIGEST]);
            let mut state = [Val::ZERO; STATE];
            state[..DIGEST].copy_from_slice(&h);
            state[DIGEST..].copy_from_slice(&m);
            h = compress(&perm, &h, &m);
            state
        })
        .collect()
}

fn output(values: &[Val], row: usize) -> Digest {
    std::array::from_fn(|j| values[row * WIDTH + OUTPUT + j])
}

/// Whether a proof of the table for `inputs` (block `blocks − 1` flagged), edited by `edit`,
/// verifies for the claim (`digest`, `n`); the digest defaults to the flagged row's output.
fn accepted(
    inputs: Vec<[Val; STATE]>,
    blocks: usize,
    claim: (Option<Digest>, u32),
    edit: impl FnOnce(&mut [Val]),
) -> bool {
    let mut trace = trace::generate(inputs, blocks);
    edit(&mut trace.values);
    let digest = claim.0.unwrap_or_else(|| output(&trace.values, blocks - 1));
    let public_values = poseidon2::public_values(&digest, claim.1);
    let tables = Poseidon2.tables(&public_values, 0).unwrap();
    match prove_tables(&poseidon2::ID, &tables, &[trace]) {
        Ok(seal) => verify_tables(&poseidon2::ID, &tables, &seal).is_ok(),
        Err(_) => false,
    }
}

fn zero() -> Digest {
    [Val::ZERO; DIGEST]
}

fn honest(n: usize) -> Vec<[Val; STATE]> {
    chain(zero(), &blocks(n), None)
}

fn set(values: &mut [Val], row: usize, column: usize, value: Val) {
    values[row * WIDTH + column] = value;
}

#[test]
fn honest_tables_are_accepted() {
    assert!(accepted(honest(16), 16, (None, 16), |_| {}));
    assert!(accepted(honest(5), 5, (None, 5), |_| {}));
}

#[test]
fn every_round_is_checked() {
    // The last block's output altered (and claimed): only the permutation's rounds object.
    let mut forged = None;
    assert!(!accepted(honest(16), 16, (None, 16), |v| {
        v[15 * WIDTH + OUTPUT] += Val::ONE;
        forged = Some(output(v, 15));
    }));
    assert!(forged.is_some());
}

#[test]
fn the_chain_starts_at_zero() {
    let mut h0 = zero();
    h0[0] = Val::ONE;
    assert!(!accepted(chain(h0, &blocks(5), None), 5, (None, 5), |_| {}));
}

#[test]
fn each_block_chains_the_previous_output() {
    let mut h = zero();
    h[3] = Val::from_u32(77);
    let inputs = chain(zero(), &blocks(5), Some((2, h)));
    assert!(!accepted(inputs, 5, (None, 5), |_| {}));
}

#[test]
fn the_index_starts_at_zero() {
    // Indices 1, 2, …: block 4 then passes for the last of six.
    assert!(!accepted(honest(5), 5, (None, 6), |v| {
        for row in 0..ROWS {
            set(v, row, INDEX, Val::from_usize(row + 1));
        }
    }));
}

#[test]
fn the_index_counts_up_by_one() {
    // The index skips 3: block 3 passes for the last of five.
    assert!(!accepted(honest(5), 4, (None, 5), |v| {
        for row in 0..ROWS {
            set(v, row, INDEX, Val::from_usize(row + usize::from(row >= 3)));
        }
    }));
}

#[test]
fn the_count_starts_at_the_first_flag() {
    // No flag, the count 1 from the start: any digest would do.
    assert!(!accepted(honest(5), 5, (Some(zero()), 5), |v| {
        for row in 0..ROWS {
            set(v, row, IS_OUTPUT, Val::ZERO);
            set(v, row, SEEN, Val::ONE);
        }
    }));
}

#[test]
fn the_count_adds_each_flag() {
    assert!(!accepted(honest(5), 5, (Some(zero()), 5), |v| {
        set(v, 4, IS_OUTPUT, Val::ZERO);
    }));
}

#[test]
fn the_flagged_row_is_the_last_block() {
    // Block 3 flagged and claimed as the last of five.
    assert!(!accepted(honest(5), 4, (None, 5), |_| {}));
}

#[test]
fn the_flagged_row_holds_the_digest() {
    let mut digest = output(&trace::generate(honest(5), 5).values, 4);
    digest[7] += Val::ONE;
    assert!(!accepted(honest(5), 5, (Some(digest), 5), |_| {}));
}

#[test]
fn some_row_is_flagged() {
    assert!(!accepted(honest(5), 5, (Some(zero()), 5), |v| {
        for row in 0..ROWS {
            set(v, row, IS_OUTPUT, Val::ZERO);
            set(v, row, SEEN, Val::ZERO);
        }
    }));
}
