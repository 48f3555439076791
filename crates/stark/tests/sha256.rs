//! The SHA-256 STARK: NIST vectors, agreement with the trace backend, soundness of each
//! constraint family (initial state, schedule, round, chaining, padding, length, digest), and
//! rejection of tampered receipts.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::verify;
use l2x_air::AirProgram;
use l2x_core::Backend;
use l2x_programs::Sha256;
use l2x_programs::sha256::native::{self, BLOCK_BYTES, H0, ROUNDS, round};
use l2x_programs::sha256::trace::{self, BlockRun, Shape};
use l2x_programs::sha256::{self, columns};
use l2x_stark::{StarkBackend, prove_tables, verify_tables};
use l2x_trace::TraceBackend;
use proptest::prelude::*;

#[test]
fn nist_vectors_prove_and_verify() {
    for (message, expected) in native::FIPS_180_4_EXAMPLES {
        let receipt = StarkBackend::default().prove(&Sha256, message).unwrap();
        assert_eq!(verify(&receipt), Ok(()), "{expected}");
        let (digest, len) = sha256::decode_public_values(&receipt.claim.public_values).unwrap();
        assert_eq!(
            (hex::encode(digest), len),
            (expected.to_string(), message.len() as u64)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    #[test]
    fn both_backends_make_the_same_claim(message in proptest::collection::vec(any::<u8>(), 0..300)) {
        let stark = StarkBackend::default().prove(&Sha256, &message).unwrap();
        let trace = TraceBackend.prove(&Sha256, &message).unwrap();
        prop_assert_eq!(&stark.claim, &trace.claim);
        prop_assert_eq!(verify(&stark), Ok(()));
    }
}

#[test]
fn every_padding_boundary_length_verifies() {
    for len in [55usize, 56, 63, 64, 119, 120] {
        let message: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let receipt = StarkBackend::default().prove(&Sha256, &message).unwrap();
        assert_eq!(verify(&receipt), Ok(()), "len {len}");
    }
}

// ---- Soundness: each forged witness breaks exactly one constraint family. ----

/// A witness built from (possibly altered) padded blocks and block runs; the public inputs are
/// the claim's, with the digest the forged runs actually produce unless overridden.
struct Forge {
    padded: Vec<[u8; BLOCK_BYTES]>,
    len: u64,
    iv: [u32; 8],
}

/// Recomputes every block from `from` on, each chained from the previous one's output.
fn rechain(runs: &mut [BlockRun], from: usize) {
    for b in from.max(1)..runs.len() {
        runs[b] = BlockRun::from_schedule(runs[b - 1].output(), runs[b].w);
    }
}

fn digest_bytes(words: [u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, w) in out.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    out
}

impl Forge {
    fn honest(message: &[u8]) -> Self {
        Forge {
            padded: native::pad(message),
            len: message.len() as u64,
            iv: H0,
        }
    }

    fn accepted(&self, alter: impl FnOnce(&mut Vec<BlockRun>), wrong_digest: bool) -> bool {
        let n = self.padded.len();
        let claim_pv = sha256::public_values(&[0; 32], self.len);
        let mut tables = Sha256.tables(&claim_pv, 0).unwrap();
        let log_height = tables[0].log_height;
        let mut runs = trace::run(&self.padded, self.iv, 1 << log_height);
        alter(&mut runs);
        let mut digest = digest_bytes(runs[n - 1].output());
        if wrong_digest {
            digest[0] ^= 1;
        }
        tables[0].public_values = sha256::table_public_values(&digest, self.len);
        let table = trace::fill(
            &runs,
            Shape {
                message_blocks: n,
                len: self.len,
            },
            log_height,
        );
        match prove_tables(&sha256::ID, &tables, &[table]) {
            Ok(seal) => verify_tables(&sha256::ID, &tables, &seal).is_ok(),
            Err(_) => false,
        }
    }
}

fn two_block_message() -> Vec<u8> {
    (0..100u8).collect()
}

#[test]
fn the_honest_forge_is_accepted() {
    assert!(Forge::honest(&two_block_message()).accepted(|_| {}, false));
}

#[test]
fn soundness_initial_state() {
    let mut forge = Forge::honest(b"abc");
    forge.iv[3] ^= 1 << 7;
    assert!(
        !forge.accepted(|_| {}, false),
        "a compression from another initial value was accepted"
    );
}

#[test]
fn soundness_schedule() {
    let forge = Forge::honest(b"abc");
    let accepted = forge.accepted(
        |runs| {
            let mut w = runs[0].w;
            w[20] ^= 1 << 9;
            runs[0] = BlockRun::from_schedule(runs[0].chain, w);
            rechain(runs, 1);
        },
        false,
    );
    assert!(!accepted, "a wrong schedule word W_20 was accepted");
}

#[test]
fn soundness_round() {
    let forge = Forge::honest(b"abc");
    let accepted = forge.accepted(
        |runs| {
            let run = &mut runs[0];
            run.states[31][0] ^= 1 << 4;
            for t in 31..ROUNDS {
                run.states[t + 1] = round(run.states[t], t, run.w[t]);
            }
            rechain(runs, 1);
        },
        false,
    );
    assert!(!accepted, "a wrong result of round 30 was accepted");
}

#[test]
fn soundness_chaining() {
    let forge = Forge::honest(&two_block_message());
    let accepted = forge.accepted(
        |runs| {
            let mut chain = runs[0].output();
            chain[5] ^= 1;
            runs[1] = BlockRun::from_schedule(chain, runs[1].w);
            rechain(runs, 2);
        },
        false,
    );
    assert!(!accepted, "a block chained from a wrong value was accepted");
}

#[test]
fn soundness_padding() {
    let mut forge = Forge::honest(b"abc");
    forge.padded[0][10] = 0x01;
    assert!(
        !forge.accepted(|_| {}, false),
        "a nonzero byte after the 0x80 marker was accepted"
    );

    let mut forge = Forge::honest(b"abc");
    forge.padded[0][3] = 0x00;
    assert!(
        !forge.accepted(|_| {}, false),
        "a missing 0x80 marker was accepted"
    );

    let mut forge = Forge::honest(b"abc");
    forge.len = 2;
    forge.padded[0][63] = 16;
    assert!(
        !forge.accepted(|_| {}, false),
        "a message of 3 bytes claimed as 2 was accepted"
    );
}

#[test]
fn soundness_length() {
    let mut forge = Forge::honest(&two_block_message());
    forge.padded[1][63] ^= 0x08;
    assert!(
        !forge.accepted(|_| {}, false),
        "a wrong bit length word was accepted"
    );
}

#[test]
fn soundness_digest() {
    let forge = Forge::honest(&two_block_message());
    assert!(
        !forge.accepted(|_| {}, true),
        "a wrong public digest was accepted"
    );
}

#[test]
fn a_message_with_an_extra_block_is_not_the_claimed_message() {
    // Append a filler block to the message blocks: the count and block number no longer fit.
    let mut forge = Forge::honest(b"abc");
    forge.padded.push([0; BLOCK_BYTES]);
    assert!(!forge.accepted(|_| {}, false));
}

// ---- Tampering ----

#[test]
fn tampered_receipts_are_rejected_without_panic() {
    common::assert_tampering_rejected(
        &StarkBackend::default().prove(&Sha256, b"abc").unwrap(),
        500,
    );
}

#[test]
fn rows_per_block_matches_the_layout() {
    assert_eq!(columns::ROWS_PER_BLOCK, ROUNDS + 1);
    let err = StarkBackend::default()
        .prove(&Sha256, &vec![0u8; 300_000])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("too large") && err.contains(&sha256::STARK_MAX_MESSAGE_BYTES.to_string()),
        "{err}"
    );
}
