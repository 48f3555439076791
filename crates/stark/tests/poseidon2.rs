//! The Poseidon2 STARK: agreement with the native hash and the trace backend, soundness of each
//! constraint family (the permutation's rounds, the chain within a row, the chain between rows
//! and what each row sends on it, the last-row marker, the output flag, the digest), both
//! configurations, and tampered receipts.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::verify;
use l2x_air::{AirProgram, Val};
use l2x_core::Backend;
use l2x_programs::Poseidon2;
use l2x_programs::poseidon2::columns::{
    DIGEST, INDEX, INVERSE, IS_OUTPUT, LANES, LAST, LAST_BLOCK, OUTPUT, SEND, SEND_INDEX, STATE,
    WIDTH, lane, limb,
};
use l2x_programs::poseidon2::{self, Digest, compress, pad, trace};
use l2x_stark::{StarkBackend, StarkZkBackend, prove_tables, verify_tables};
use l2x_trace::TraceBackend;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_koala_bear::default_koalabear_poseidon2_16;

/// Rows of the tables under test, and the blocks they hold.
const ROWS: usize = 16;
const BLOCKS: usize = ROWS * LANES;

#[test]
fn proofs_agree_with_the_native_hash_and_the_trace_backend() {
    for message in [&b""[..], b"abc", &[7; 383], &[9; 1000], &[5; 24 * 64 - 1]] {
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

/// The blocks of a message of 24n − 1 bytes (its padding byte the last byte of block n − 1).
fn blocks(n: usize) -> Vec<Digest> {
    let message: Vec<u8> = (0..24 * n - 1).map(|i| (i * 7 + 1) as u8).collect();
    poseidon2::blocks(&message)
}

/// Chained permutation inputs over `blocks` (then zero blocks) from `h0`, with the chaining value
/// replaced by `swap` at its block.
fn chain(h0: Digest, blocks: &[Digest], swap: Option<(usize, Digest)>) -> Vec<[Val; STATE]> {
    let perm = default_koalabear_poseidon2_16();
    let mut h = h0;
    (0..BLOCKS)
        .map(|i| {
            if let Some((_, value)) = swap.filter(|&(block, _)| block == i) {
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

/// The output of block `block` in a table's values.
fn output(values: &[Val], block: usize) -> Digest {
    let at = (block / LANES) * WIDTH + lane(block % LANES) + OUTPUT;
    std::array::from_fn(|j| values[at + j])
}

/// Whether a proof of the table for `inputs` (block `blocks − 1` the last), edited by `edit`,
/// verifies for the claim (`digest`, `n`); the digest defaults to block `n − 1`'s output.
fn accepted(
    inputs: Vec<[Val; STATE]>,
    blocks: usize,
    claim: (Option<Digest>, u32),
    edit: impl FnOnce(&mut [Val]),
) -> bool {
    accepted_with_pad(inputs, blocks, claim, edit, |_| {})
}

/// [`accepted`], with the padding table's values edited by `edit_pad` as well.
fn accepted_with_pad(
    inputs: Vec<[Val; STATE]>,
    blocks: usize,
    claim: (Option<Digest>, u32),
    edit: impl FnOnce(&mut [Val]),
    edit_pad: impl FnOnce(&mut [Val]),
) -> bool {
    let mut trace = trace::generate(inputs, blocks);
    edit(&mut trace.values);
    let digest = claim
        .0
        .unwrap_or_else(|| output(&trace.values, claim.1 as usize - 1));
    let public_values = poseidon2::public_values(&digest, claim.1);
    let tables = Poseidon2.tables(&public_values, 0).unwrap();
    // The range table counts the halves the chain holds; the padding table holds the block the
    // output row looks up (its bytes, whatever they are: a block that is no padded block
    // breaks it).
    let last = claim.1 as usize - 1;
    let at = (last / LANES) * WIDTH + LAST_BLOCK;
    let last_block: Digest = std::array::from_fn(|k| trace.values[at + k]);
    let range = trace::range(&trace);
    let mut pad = pad::generate(&last_block, 1 << tables[2].log_height);
    edit_pad(&mut pad.values);
    match prove_tables(&poseidon2::ID, &tables, &[trace, range, pad]) {
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
    for n in [BLOCKS, 5, 8, 13] {
        assert!(
            accepted(honest(n), n, (None, n as u32), |_| {}),
            "{n} blocks"
        );
    }
}

#[test]
fn every_round_is_checked() {
    // The last block's output altered (and claimed): only the permutation's rounds object.
    assert!(!accepted(
        honest(BLOCKS),
        BLOCKS,
        (None, BLOCKS as u32),
        |v| {
            v[(ROWS - 1) * WIDTH + lane(LANES - 1) + OUTPUT] += Val::ONE;
        }
    ));
}

#[test]
fn each_lane_chains_the_previous_lane() {
    // Block 2 (row 0, lane 2) starts from another value; every row still sends and receives
    // what it holds.
    let mut h = zero();
    h[3] = Val::from_u32(77);
    let inputs = chain(zero(), &blocks(9), Some((2, h)));
    assert!(!accepted(inputs, 9, (None, 9), |_| {}));
}

#[test]
fn each_row_receives_what_the_row_before_sent() {
    // Block 8 (row 2, lane 0) starts from another value than row 1 sent.
    let mut h = zero();
    h[3] = Val::from_u32(77);
    let inputs = chain(zero(), &blocks(13), Some((2 * LANES, h)));
    assert!(!accepted(inputs, 13, (None, 13), |_| {}));
}

#[test]
fn each_row_sends_its_last_output() {
    // As above, but row 1 sends the value row 2 starts from: the lookup balances, and only
    // what row 1 sends is not its output.
    let mut h = zero();
    h[3] = Val::from_u32(77);
    let inputs = chain(zero(), &blocks(13), Some((2 * LANES, h)));
    assert!(!accepted(inputs, 13, (None, 13), |v| {
        for (k, &value) in h.iter().enumerate() {
            set(v, 1, SEND + k, value);
        }
    }));
}

#[test]
fn the_chain_starts_at_zero() {
    // A chain from h0 != 0 whose last row sends h0 (not zeros): the lookup balances.
    let mut h0 = zero();
    h0[0] = Val::ONE;
    assert!(!accepted(chain(h0, &blocks(5), None), 5, (None, 5), |v| {
        for (k, &value) in h0.iter().enumerate() {
            set(v, ROWS - 1, SEND + k, value);
        }
    }));
}

#[test]
fn the_chain_starts_at_index_zero() {
    // Indices 1, 2, …, the last row sending 1 (not 0): the lookup balances, and the row of
    // index 2 (blocks 4–7) passes for the output row of 9 blocks, so block 4's output would
    // pass for the digest of 9.
    let block_4 = output(&trace::generate(honest(9), 9).values, 4);
    assert!(!accepted(honest(9), 5, (Some(block_4), 9), |v| {
        for row in 0..ROWS {
            let index = row + 1;
            set(v, row, INDEX, Val::from_usize(index));
            if row + 1 < ROWS {
                set(v, row, SEND_INDEX, Val::from_usize(index + 1));
            }
            let offset = Val::from_usize(index) - Val::from_usize(2);
            set(v, row, IS_OUTPUT, Val::from_bool(index == 2));
            set(v, row, INVERSE, offset.try_inverse().unwrap_or(Val::ZERO));
        }
        set(v, ROWS - 1, SEND_INDEX, Val::ONE);
    }));
}

#[test]
fn only_the_last_row_is_marked_last() {
    // Two chains: rows 0–1 (row 1 marked last, sending the start) and rows 2–15, which start
    // again from index 0 and zero. Every send is received; only the marker is wrong.
    let ns = blocks(BLOCKS);
    let mut inputs = chain(zero(), &ns[..2 * LANES], None);
    inputs.truncate(2 * LANES);
    inputs.extend(
        chain(zero(), &ns[2 * LANES..], None)
            .into_iter()
            .take(BLOCKS - 2 * LANES),
    );
    // 9 blocks of the second chain: its row 2 (table row 4) holds the output.
    let digest = output(&trace::generate(inputs.clone(), 9).values, 4 * LANES);
    assert!(!accepted(inputs, 4 * LANES + 1, (Some(digest), 9), |v| {
        set(v, 1, LAST, Val::ONE);
        set(v, 1, SEND_INDEX, Val::ZERO);
        for k in 0..DIGEST {
            set(v, 1, SEND + k, Val::ZERO);
        }
        for row in 2..ROWS {
            set(v, row, INDEX, Val::from_usize(row - 2));
            if row + 1 < ROWS {
                set(v, row, SEND_INDEX, Val::from_usize(row - 1));
            }
            let offset = Val::from_usize(row - 2) - Val::from_usize(2);
            set(v, row, IS_OUTPUT, Val::from_bool(row == 4));
            set(v, row, INVERSE, offset.try_inverse().unwrap_or(Val::ZERO));
        }
        // Row 0..1 of the first chain: index 2 is not among them.
        for row in 0..2 {
            set(v, row, IS_OUTPUT, Val::ZERO);
            let offset = Val::from_usize(row) - Val::from_usize(2);
            set(v, row, INVERSE, offset.inverse());
        }
    }));
}

#[test]
fn the_output_row_is_flagged() {
    // No flag (the inverse column set as if none were needed): any digest would do.
    assert!(!accepted(honest(5), 5, (Some(zero()), 5), |v| {
        for row in 0..ROWS {
            set(v, row, IS_OUTPUT, Val::ZERO);
        }
    }));
}

#[test]
fn the_flagged_row_holds_the_digest() {
    let mut digest = output(&trace::generate(honest(5), 5).values, 4);
    digest[7] += Val::ONE;
    assert!(!accepted(honest(5), 5, (Some(digest), 5), |_| {}));
}

#[test]
fn the_digest_is_the_last_blocks_output() {
    // Block 4's output claimed as the digest of 6 blocks (same row, the next lane).
    let digest = output(&trace::generate(honest(6), 6).values, 4);
    assert!(!accepted(honest(6), 6, (Some(digest), 6), |_| {}));
    // ... and of 9 blocks (the next row, lane 0).
    assert!(!accepted(honest(9), 9, (Some(digest), 9), |_| {}));
}

// ---- Blocks that no message encodes (an audit proved each of these before the fix) ----

#[test]
fn an_all_zero_last_block_is_no_message() {
    // One all-zero block: its padding byte is missing, so no message of 0–23 bytes gives it.
    let zeros = vec![zero()];
    assert!(!accepted(chain(zero(), &zeros, None), 1, (None, 1), |_| {}));
    // … nor when the output row looks up the empty message's block instead of its own.
    assert!(!accepted(chain(zero(), &zeros, None), 1, (None, 1), |v| {
        set(v, 0, LAST_BLOCK, Val::ONE);
    }));
}

#[test]
fn three_blocks_cannot_end_in_an_all_zero_block() {
    // Two blocks of a message, then an all-zero block claimed as the third and last.
    let mut three = blocks(2);
    three[1][7] = Val::from_u32(0x00ab_cdef); // block 1 is a full block of message bytes
    three.push(zero());
    assert!(!accepted(chain(zero(), &three, None), 3, (None, 3), |_| {}));
}

#[test]
fn every_element_is_three_bytes() {
    // An element of p − 1 in block 0 of two; the last block stays a padded block. Then one of
    // 2^24 exactly, the smallest that is not three bytes.
    for element in [Val::NEG_ONE, Val::from_u32(1 << 24)] {
        let mut two = blocks(2);
        two[0][3] = element;
        assert!(!accepted(chain(zero(), &two, None), 2, (None, 2), |_| {}));
        // … nor with halves that are in range but do not make the element.
        assert!(!accepted(chain(zero(), &two, None), 2, (None, 2), |v| {
            set(v, 0, limb(0, 3, 0), Val::ZERO);
            set(v, 0, limb(0, 3, 1), Val::ZERO);
        }));
    }
    // The largest three-byte element is a message's.
    let mut two = blocks(2);
    two[0][3] = Val::from_u32((1 << 24) - 1);
    assert!(accepted(chain(zero(), &two, None), 2, (None, 2), |_| {}));
}

#[test]
fn the_padding_byte_is_one_and_only_zeros_follow_it() {
    let cases: [(usize, u32); 3] = [
        (7, 0x0000_0002), // the last non-zero byte is 2, not 1
        (7, 0x0001_0100), // a 1, then another non-zero byte after it … is a message byte: fine
        (6, 0x0000_0001), // a 1 in element 6, then element 7 non-zero after it
    ];
    let accepted_case = |element: usize, value: u32, seven: u32| {
        let mut one = vec![[Val::from_u32(0x00_2a2a2a); DIGEST]];
        one[0][element] = Val::from_u32(value);
        if element != 7 {
            one[0][7] = Val::from_u32(seven);
        }
        accepted(chain(zero(), &one, None), 1, (None, 1), |_| {})
    };
    assert!(!accepted_case(cases[0].0, cases[0].1, 0));
    assert!(
        accepted_case(cases[1].0, cases[1].1, 0),
        "0x01 then 0x01 at the end"
    );
    assert!(!accepted_case(cases[2].0, cases[2].1, 5));
    // The padding byte in the last element's top byte, and in the block's first byte.
    assert!(accepted_case(7, 0x0001_2a2a, 0));
    let mut first = vec![zero()];
    first[0][0] = Val::ONE;
    assert!(accepted(chain(zero(), &first, None), 1, (None, 1), |_| {}));
}

#[test]
fn the_padding_tables_bits_are_bits() {
    // The all-zero block passed off as padded at byte 23 (the `0x01` byte): a "bit" of −256 in
    // byte 22 makes element 7 = 2^8·(−256) + 2^16·1 = 0, and no byte follows the padding byte.
    // Only the bits being bits refuses it.
    let zeros = vec![zero()];
    let forged = |v: &mut [Val]| {
        v[pad::bit(23, 0)] = Val::ONE;
        v[pad::bit(22, 0)] = -Val::from_u32(256);
        v[pad::POSITION + 23] = Val::ONE;
    };
    assert!(!accepted_with_pad(
        chain(zero(), &zeros, None),
        1,
        (None, 1),
        |_| {},
        forged
    ));
}
