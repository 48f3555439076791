//! The `transfers` STARK (an L2 block): proofs of random blocks agree with the trace backend,
//! invalid blocks are refused naming the transfer, tampered receipts are rejected, and forged
//! witnesses — one per constraint family of the transfer table — are rejected. Each was
//! mutation-checked: deleting the constraint makes its test accept the forgery. (Deleting one
//! of the table's bus lookups makes every honest proof fail instead: the messages are live.)
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;
mod signed;

use common::verify;
use l2x_air::Val;
use l2x_core::Backend;
use l2x_programs::Transfers;
use l2x_programs::poseidon2::Digest;
use l2x_programs::transfers::columns;
use l2x_programs::transfers::state::{self, Step, commitment};
use l2x_programs::transfers::trace::{self, Row, Traces};
use l2x_programs::transfers::{Block, Claim, Tree};
use l2x_stark::{StarkBackend, StarkZkBackend};
use l2x_trace::TraceBackend;
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};

fn block(accounts: usize, transfers: usize, seed: u64) -> Block {
    signed::wallet(accounts, seed)
        .random_block(transfers, seed + 1)
        .unwrap()
}

#[test]
fn proofs_verify_and_agree_with_the_trace_backend() {
    for (accounts, count) in [(2, 1), (5, 3), (16, 9)] {
        let input = block(accounts, count, 7).to_bytes();
        let receipt = StarkBackend::default().prove(&Transfers, &input).unwrap();
        assert_eq!(verify(&receipt), Ok(()), "{count} transfers");
        assert_eq!(
            receipt.claim,
            TraceBackend.prove(&Transfers, &input).unwrap().claim
        );
        assert_eq!(receipt.claim.steps, count as u64);
    }
    let zk = StarkZkBackend::default()
        .prove(&Transfers, &block(4, 2, 3).to_bytes())
        .unwrap();
    assert_eq!(verify(&zk), Ok(()));
}

#[test]
fn an_empty_block_keeps_the_root() {
    let input = block(3, 0, 1).to_bytes();
    let receipt = StarkBackend::default().prove(&Transfers, &input).unwrap();
    assert_eq!(verify(&receipt), Ok(()));
    let claim = Claim::parse(&receipt.claim.public_values).unwrap();
    assert_eq!(claim.old_root, claim.new_root);
    assert_eq!(claim.count, 0);
}

#[test]
fn invalid_blocks_are_refused_naming_the_transfer() {
    let wallet = signed::wallet(4, 11);
    let honest = wallet.random_block(3, 12).unwrap();
    let indices: Vec<u32> = wallet.accounts.keys().copied().collect();
    let edit = |f: &dyn Fn(&mut Block)| {
        let mut b = honest.clone();
        f(&mut b);
        b.to_bytes()
    };
    let cases: [(Vec<u8>, &str); 11] = [
        (edit(&|b| b.transfers[1].amount = u64::MAX), "transfer 1 ("),
        (edit(&|b| b.transfers[2].nonce += 7), "wrong nonce"),
        (
            edit(&|b| b.transfers[0].to = 12345),
            "unknown account 12345",
        ),
        (
            edit(&|b| b.transfers[0].signature.chains[3][1] += Val::ONE),
            "transfer 0 (",
        ),
        (
            edit(&|b| b.transfers[1].amount += 1),
            "the sender's signature does not verify",
        ),
        // Another ρ: the encoding's chunks (almost surely) miss the target sum.
        (
            edit(&|b| b.transfers[2].signature.rho[0] += Val::ONE),
            "transfer 2 (",
        ),
        // The witness checks signatures in its own hashing: a bad one is still the refusal,
        // not a later transfer's fault.
        (
            edit(&|b| {
                b.transfers[0].signature.path[5][0] += Val::ONE;
                b.transfers[2].amount = u64::MAX;
            }),
            "transfer 0 (",
        ),
        (
            edit(&|b| b.chain_id += 1),
            "the sender's signature does not verify",
        ),
        (
            edit(&|b| {
                b.accounts[0].1.nonce = 1 << 30;
                b.transfers.truncate(1);
                b.transfers[0].from = indices[0];
                b.transfers[0].nonce = 1 << 30;
            }),
            "not below the keys' lifetime",
        ),
        (
            edit(&|b| {
                b.accounts[1].1.balance = u64::MAX;
                b.transfers.truncate(1);
                b.transfers[0].from = indices[0];
                b.transfers[0].to = indices[1];
                b.transfers[0] = wallet.sign(indices[0], indices[1], 1).unwrap();
            }),
            "overflow",
        ),
        (honest.to_bytes()[..50].to_vec(), "bytes"),
    ];
    for (input, reason) in cases {
        for backend in [
            &StarkBackend::default() as &dyn Backend,
            &TraceBackend as &dyn Backend,
        ] {
            let err = backend.prove(&Transfers, &input).unwrap_err().to_string();
            assert!(err.contains(reason), "{err}");
        }
    }
    // Signed, an overdraft is refused as one.
    let overdraft = edit(&|b| {
        let (from, to) = (b.transfers[0].from, b.transfers[0].to);
        let balance = wallet.accounts[&from].balance;
        b.transfers[0] = wallet.sign(from, to, balance + 1).unwrap();
    });
    for backend in [
        &StarkBackend::default() as &dyn Backend,
        &TraceBackend as &dyn Backend,
    ] {
        let err = backend.prove(&Transfers, &overdraft).unwrap_err();
        assert!(err.to_string().contains("transfer 0 ("), "{err}");
        assert!(err.to_string().contains("overdraft"), "{err}");
    }
}

#[test]
fn tampered_receipts_are_rejected_without_panic() {
    let receipt = StarkBackend::default()
        .prove(&Transfers, &block(3, 2, 5).to_bytes())
        .unwrap();
    common::assert_tampering_rejected(&receipt, 300);
}

#[test]
fn the_commitment_is_the_published_transfers() {
    let b = block(6, 5, 9);
    let (commit, n) = state::commitment_of_published(&b.published()).unwrap();
    assert_eq!((commit, n), (commitment(&b.transfers), 5));
}

// ---- Forged witnesses ----

/// A block's honest rows.
fn honest(accounts: usize, count: usize, seed: u64) -> (Block, Vec<Row>) {
    let block = block(accounts, count, seed);
    let (_, steps, _): (Digest, Vec<Step>, Tree) = block.apply().unwrap();
    let rows = steps.iter().map(Row::new).collect();
    (block, rows)
}

/// Whether the rows' witness verifies against the block's pre-state root for the claim
/// `edit` makes of the one it supports.
fn accepted(block: &Block, rows: &[Row], edit: impl FnOnce(&mut Claim)) -> bool {
    accepted_with(block, rows, |_, claim| edit(claim))
}

/// Whether the rows' witness, its traces and claim edited by `edit`, verifies, each row
/// carrying its sender's signature of the message it names ([`signed::rows_accepted`]).
fn accepted_with(block: &Block, rows: &[Row], edit: impl FnOnce(&mut Traces, &mut Claim)) -> bool {
    signed::rows_accepted(block, rows, edit, None)
}

/// Cells of the transfer table.
fn cell(traces: &mut Traces, row: usize, column: usize) -> &mut Val {
    &mut traces.transfers.values[row * columns::WIDTH + column]
}

fn digest_at(traces: &mut Traces, row: usize, column: usize) -> Digest {
    std::array::from_fn(|j| *cell(traces, row, column + j))
}

fn set_digest(traces: &mut Traces, row: usize, column: usize, d: Digest) {
    for (j, v) in d.into_iter().enumerate() {
        *cell(traces, row, column + j) = v;
    }
}

/// Whether the rows (edited by `f`) verify for the claim they support.
fn forged(f: impl FnOnce(&mut [Row])) -> bool {
    let (block, mut rows) = honest(6, 3, 21);
    f(&mut rows);
    accepted(&block, &rows, |_| {})
}

// Indices into NUMBERS.
const AMOUNT: usize = 0;
const PAID: usize = 1;
const PAID_NEW: usize = 2;
const GOT: usize = 3;
const GOT_NEW: usize = 4;
const NONCE: usize = 5;
const NONCE_NEW: usize = 6;

#[test]
fn honest_witnesses_are_accepted() {
    assert!(forged(|_| {}));
    let (block, rows) = honest(6, 3, 21);
    assert!(accepted(&block, &rows, |_| {}));
}

#[test]
fn an_overdraft_is_rejected() {
    assert!(!forged(|rows| {
        let r = &mut rows[2];
        let amount = r.number(PAID) + 1;
        r.set_number(AMOUNT, amount);
        r.set_number(PAID_NEW, r.number(PAID).wrapping_sub(amount));
        r.set_number(GOT_NEW, r.number(GOT) + amount);
        r.carries[0] = trace::carries(r.number(PAID_NEW), amount, 0);
        r.carries[1] = trace::carries(r.number(GOT), amount, 0);
    }));
}

#[test]
fn a_receiver_overflow_is_rejected() {
    // A receiver 3 below u64::MAX, paid 0 honestly; the forgery pays it 10.
    let mut wallet = signed::wallet(4, 31);
    let indices: Vec<u32> = wallet.accounts.keys().copied().collect();
    wallet.accounts.get_mut(&indices[1]).unwrap().balance = u64::MAX - 3;
    let block = Block {
        chain_id: wallet.chain_id,
        accounts: wallet.state(),
        transfers: vec![wallet.sign(indices[0], indices[1], 0).unwrap()],
    };
    let (_, steps, _) = block.apply().unwrap();
    let mut rows: Vec<Row> = steps.iter().map(Row::new).collect();
    let r = &mut rows[0];
    r.set_number(AMOUNT, 10);
    r.set_number(PAID_NEW, r.number(PAID) - 10);
    r.set_number(GOT_NEW, r.number(GOT).wrapping_add(10));
    r.carries[0] = trace::carries(r.number(PAID_NEW), 10, 0);
    r.carries[1] = trace::carries(r.number(GOT), 10, 0);
    assert!(!accepted(&block, &rows, |_| {}));
}

#[test]
fn the_nonce_increments() {
    assert!(!forged(|rows| {
        let r = &mut rows[2];
        r.set_number(NONCE_NEW, r.number(NONCE));
    }));
}

#[test]
fn the_commitment_starts_from_zero() {
    let (block, rows) = honest(6, 3, 21);
    assert!(!accepted_with(&block, &rows, |t, c| signed::recommit(
        t,
        c,
        0,
        [Val::ONE; 8]
    )));
}

#[test]
fn each_transfer_extends_the_commitment_before_it() {
    // The commitment restarted at the third transfer: the first two left out.
    let (block, rows) = honest(6, 3, 21);
    assert!(!accepted_with(&block, &rows, |t, c| signed::recommit(
        t,
        c,
        2,
        [Val::ZERO; 8]
    )));
}

#[test]
fn the_count_starts_at_the_first_row() {
    // Every count one higher: four transfers claimed for three (the tables keep their
    // heights but the compressions', which follows the claim).
    let (block, rows) = honest(6, 3, 21);
    assert!(!accepted_with(&block, &rows, |t, c| {
        for row in 0..4 {
            *cell(t, row, columns::COUNT) += Val::ONE;
        }
        c.count = 4;
    }));
}

#[test]
fn the_count_goes_up_by_the_active_rows() {
    let (block, rows) = honest(6, 3, 21);
    assert!(!accepted_with(&block, &rows, |t, c| {
        *cell(t, 3, columns::COUNT) += Val::ONE;
        c.count = 4;
    }));
}

/// Whether a padding row (the last of four, three transfers) that changes the digest at
/// `column`, with the claim's `claimed` following it, verifies.
fn padding_row_changes(column: usize, claimed: fn(&mut Claim) -> &mut Digest) -> bool {
    let (block, rows) = honest(6, 3, 21);
    accepted_with(&block, &rows, |t, c| {
        let mut changed = digest_at(t, 3, column);
        changed[0] += Val::ONE;
        set_digest(t, 3, column, changed);
        if column == columns::COMMIT_OUT {
            // Any row but a key rotation's ends where its second block did.
            set_digest(t, 3, columns::COMMIT_SECOND, changed);
        }
        *claimed(c) = changed;
    })
}

#[test]
fn a_padding_row_keeps_the_commitment() {
    assert!(!padding_row_changes(columns::COMMIT_OUT, |c| &mut c.commitment));
}

#[test]
fn every_limb_is_sixteen_bits() {
    // An overdraft of 50 kept as a limb of -50 (p - 50): the subtraction holds in the field,
    // but p - 50 is no row of the range table.
    assert!(!forged(|rows| {
        let r = &mut rows[2];
        let paid = r.number(PAID);
        assert!(paid & 0xffff < 0xffff - 50);
        r.set_number(AMOUNT, paid + 50);
        r.set_number(PAID_NEW, 0);
        r.limbs[PAID_NEW][0] = -Val::from_u64(50);
        r.set_number(GOT_NEW, r.number(GOT) + paid + 50);
        r.carries[0] = [Val::ZERO; 3];
        r.carries[1] = trace::carries(r.number(GOT), paid + 50, 0);
    }));
}

#[test]
fn carries_are_bits() {
    // An overdraft of 1000 leaving p - 1000: new + amount = old + p, which field carries absorb.
    assert!(!forged(|rows| {
        let r = &mut rows[2];
        let paid = r.number(PAID);
        let amount = paid + 1000;
        r.set_number(AMOUNT, amount);
        r.set_number(PAID_NEW, u64::from(Val::ORDER_U32) - 1000);
        let inv = Val::from_u32(1 << 16).inverse();
        let mut carry = Val::ZERO;
        for k in 0..3 {
            carry = (r.limbs[PAID_NEW][k] + r.limbs[AMOUNT][k] + carry - r.limbs[PAID][k]) * inv;
            r.carries[0][k] = carry;
        }
        r.set_number(GOT_NEW, r.number(GOT) + amount);
        r.carries[1] = trace::carries(r.number(GOT), amount, 0);
    }));
}

#[test]
fn the_sender_pays_exactly_the_amount() {
    assert!(!forged(|rows| {
        let r = &mut rows[2];
        assert!(r.number(PAID_NEW) & 0xffff != 0xffff);
        r.set_number(PAID_NEW, r.number(PAID_NEW) + 1);
    }));
}

#[test]
fn the_receiver_gets_exactly_the_amount() {
    assert!(!forged(|rows| {
        let r = &mut rows[2];
        assert!(r.number(GOT_NEW) & 0xffff != 0xffff);
        r.set_number(GOT_NEW, r.number(GOT_NEW) + 1);
    }));
}

#[test]
fn the_nonce_carries_through_its_middle_limbs() {
    assert!(!forged(|rows| {
        let r = &mut rows[2];
        r.set_number(NONCE_NEW, r.number(NONCE_NEW) + (1 << 16));
    }));
}

#[test]
fn the_nonce_does_not_overflow_its_top_limb() {
    assert!(!forged(|rows| {
        let r = &mut rows[2];
        r.set_number(NONCE_NEW, r.number(NONCE_NEW) + (1 << 48));
    }));
}

#[test]
fn the_first_transfer_reads_the_pre_state() {
    // An account made up with a larger balance: the record read is not the one the account
    // table supplies from the old tree's leaf.
    assert!(!forged(|rows| {
        let r = &mut rows[0];
        r.set_number(PAID, r.number(PAID) + (1 << 20));
        r.set_number(PAID_NEW, r.number(PAID_NEW) + (1 << 20));
    }));
}

#[test]
fn the_claim_is_the_last_rows() {
    let (block, rows) = honest(6, 3, 21);
    assert!(!accepted(&block, &rows, |c| c.new_root[0] += Val::ONE));
    assert!(!accepted(&block, &rows, |c| c.commitment[7] += Val::ONE));
    assert!(!accepted(&block, &rows, |c| c.old_root[1] += Val::ONE));
}

#[test]
fn the_count_is_the_number_of_transfers() {
    // Claiming six transfers for five: every table keeps its height.
    let (block, rows) = honest(8, 5, 23);
    let (honest, _) = signed::witness(&block, &rows);
    let heights = |count: u32| {
        let mut claim = honest;
        claim.count = count;
        signed::heights(&claim)
    };
    assert_eq!(heights(5), heights(6));
    assert!(accepted(&block, &rows, |_| {}));
    assert!(!accepted(&block, &rows, |c| c.count = 6));
}
