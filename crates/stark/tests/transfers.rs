//! The `transfers` STARK (an L2 block): proofs of random blocks agree with the trace backend,
//! invalid blocks are refused naming the transfer, tampered receipts are rejected, and forged
//! witnesses — one per constraint family — are rejected.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::verify;
use l2x_air::{AirProgram, Val};
use l2x_core::Backend;
use l2x_programs::Transfers;
use l2x_programs::poseidon2::Digest;
use l2x_programs::poseidon2::bus;
use l2x_programs::transfers::fixture::Wallet;
use l2x_programs::transfers::state::{self, Step, commitment};
use l2x_programs::transfers::trace::{self, Row};
use l2x_programs::transfers::{self, Block, Claim, Tree};
use l2x_stark::{StarkBackend, StarkZkBackend, prove_tables, verify_tables};
use l2x_trace::TraceBackend;
use p3_field::PrimeCharacteristicRing;

fn block(accounts: usize, transfers: usize, seed: u64) -> Block {
    Wallet::genesis(accounts, seed).random_block(transfers, seed + 1)
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
    let wallet = Wallet::genesis(4, 11);
    let honest = wallet.random_block(3, 12);
    let indices: Vec<u32> = wallet.accounts.keys().copied().collect();
    let edit = |f: &dyn Fn(&mut Block)| {
        let mut b = honest.clone();
        f(&mut b);
        b.to_bytes()
    };
    let cases: [(Vec<u8>, &str); 6] = [
        (edit(&|b| b.transfers[1].amount = u64::MAX), "transfer 1 ("),
        (edit(&|b| b.transfers[2].nonce += 7), "wrong nonce"),
        (
            edit(&|b| b.transfers[0].to = 12345),
            "unknown account 12345",
        ),
        (
            edit(&|b| b.transfers[0].key = b.transfers[0].key.map(|v| v + Val::ONE)),
            "the key is not the sender's",
        ),
        (
            edit(&|b| {
                b.accounts[1].1.balance = u64::MAX;
                b.transfers.truncate(1);
                b.transfers[0].from = indices[0];
                b.transfers[0].to = indices[1];
                b.transfers[0].nonce = b.accounts[0].1.nonce;
                b.transfers[0].key = wallet.accounts[&indices[0]].key;
                b.transfers[0].amount = 1;
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
    let overdraft = edit(&|b| b.transfers[1].amount = u64::MAX);
    let err = TraceBackend.prove(&Transfers, &overdraft).unwrap_err();
    assert!(err.to_string().contains("overdraft"), "{err}");
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

/// Gives every row the siblings of the tree its predecessors' leaves make (from the block's
/// pre-state, or from the pre-state again at row `restart`), so edited rows stay members.
fn resync(block: &Block, rows: &mut [Row], restart: Option<usize>) {
    let pre = Tree::new(block.accounts.iter().copied());
    let mut tree = pre.clone();
    for (i, r) in rows.iter_mut().enumerate() {
        if restart == Some(i) {
            tree = pre.clone();
        }
        let (sender, receiver) = r.new_leaves();
        r.sender_siblings = tree.siblings(r.from);
        tree.set_leaf(r.from, sender);
        r.receiver_siblings = tree.siblings(r.to);
        tree.set_leaf(r.to, receiver);
    }
}

/// Whether the rows' witness verifies against the block's pre-state root for the claim
/// `edit` makes of the one it supports.
fn accepted(block: &Block, rows: &[Row], edit: impl FnOnce(&mut Claim)) -> bool {
    let old_root = Tree::new(block.accounts.iter().copied()).root();
    let count = rows.len() as u32;
    let probe = Claim {
        old_root,
        new_root: old_root,
        commitment: old_root,
        count,
    };
    let heights: Vec<usize> = Transfers
        .tables(&probe.to_bytes(), 0)
        .unwrap()
        .iter()
        .map(|t| 1 << t.log_height)
        .collect();
    let traces = trace::generate(rows, old_root, heights[0], heights[1]);
    let mut claim = Claim {
        old_root,
        new_root: traces.outcome.new_root,
        commitment: traces.outcome.commitment,
        count,
    };
    edit(&mut claim);
    let tables = Transfers.tables(&claim.to_bytes(), 0).unwrap();
    let compressions = bus::generate(&traces.compressions, heights[2]);
    let witness = [traces.transfers, traces.updates, compressions];
    match prove_tables(&transfers::ID, &tables, &witness) {
        Ok(seal) => verify_tables(&transfers::ID, &tables, &seal).is_ok(),
        Err(_) => false,
    }
}

/// Whether the rows (edited by `f`, then resynced) verify for the claim they support.
fn forged(f: impl FnOnce(&mut [Row])) -> bool {
    let (block, mut rows) = honest(6, 3, 21);
    f(&mut rows);
    resync(&block, &mut rows, None);
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
    let (block, mut rows) = honest(6, 3, 21);
    resync(&block, &mut rows, None);
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
    let mut wallet = Wallet::genesis(4, 31);
    let indices: Vec<u32> = wallet.accounts.keys().copied().collect();
    wallet.accounts.get_mut(&indices[1]).unwrap().balance = u64::MAX - 3;
    let transfer = state::Transfer {
        from: indices[0],
        to: indices[1],
        amount: 0,
        nonce: 0,
        key: wallet.accounts[&indices[0]].key,
    };
    let block = Block {
        accounts: wallet.state(),
        transfers: vec![transfer],
    };
    let (_, steps, _) = block.apply().unwrap();
    let mut rows: Vec<Row> = steps.iter().map(Row::new).collect();
    let r = &mut rows[0];
    r.set_number(AMOUNT, 10);
    r.set_number(PAID_NEW, r.number(PAID) - 10);
    r.set_number(GOT_NEW, r.number(GOT).wrapping_add(10));
    r.carries[0] = trace::carries(r.number(PAID_NEW), 10, 0);
    r.carries[1] = trace::carries(r.number(GOT), 10, 0);
    resync(&block, &mut rows, None);
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
fn the_key_opens_the_senders_owner_hash() {
    assert!(!forged(|rows| rows[2].key[3] += Val::ONE));
}

#[test]
fn every_bit_is_a_bit() {
    // A sender with 100 pays 150 and keeps -50: one bit of value -50, no carries.
    let (block, mut rows) = honest(6, 3, 21);
    let r = &mut rows[2];
    let paid = r.number(PAID);
    let (low, amount) = (paid & 0xffff, (paid & 0xffff) + 50);
    r.set_number(AMOUNT, amount);
    r.set_number(PAID_NEW, paid - low);
    r.bits[PAID_NEW][0] = -Val::from_u64(50);
    r.set_number(GOT_NEW, r.number(GOT) + amount);
    r.carries[0] = [Val::ZERO; 3];
    r.carries[1] = trace::carries(r.number(GOT), amount, 0);
    resync(&block, &mut rows, None);
    assert!(!accepted(&block, &rows, |_| {}));
}

#[test]
fn each_transfer_starts_from_the_root_before_it() {
    // The third transfer applied to the pre-state instead of the second's result.
    let (block, mut rows) = honest(6, 3, 21);
    resync(&block, &mut rows, Some(2));
    assert!(!accepted(&block, &rows, |_| {}));
}

#[test]
fn the_first_transfer_starts_from_the_public_old_root() {
    // An account made up with a larger balance: its leaf is not under the old root.
    assert!(!forged(|rows| {
        let r = &mut rows[0];
        r.set_number(PAID, r.number(PAID) + (1 << 20));
        r.set_number(PAID_NEW, r.number(PAID_NEW) + (1 << 20));
    }));
}

#[test]
fn the_claim_is_the_last_rows() {
    let (block, mut rows) = honest(6, 3, 21);
    resync(&block, &mut rows, None);
    assert!(!accepted(&block, &rows, |c| c.new_root[0] += Val::ONE));
    assert!(!accepted(&block, &rows, |c| c.commitment[7] += Val::ONE));
    assert!(!accepted(&block, &rows, |c| c.old_root[1] += Val::ONE));
}

#[test]
fn the_count_is_the_number_of_transfers() {
    // Claiming six transfers for five: every table keeps its height (8, 512 and 1024 rows).
    let (block, mut rows) = honest(8, 5, 23);
    resync(&block, &mut rows, None);
    let heights = |count| {
        let claim = Claim {
            old_root: rows[0].key,
            new_root: rows[0].key,
            commitment: rows[0].key,
            count,
        };
        let tables = Transfers.tables(&claim.to_bytes(), 0).unwrap();
        tables.iter().map(|t| t.log_height).collect::<Vec<_>>()
    };
    assert_eq!(heights(5), heights(6));
    assert!(accepted(&block, &rows, |_| {}));
    assert!(!accepted(&block, &rows, |c| c.count = 6));
}
