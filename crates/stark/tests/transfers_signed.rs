//! Signed transfers: the transfer table's lookup of a verified signature names the sender's
//! key, the nonce as the epoch, the transfer's from, to and amount and the chain id, so a
//! signature of anything else — another message, another nonce's one-time key, the receiver's
//! key, another rollup — leaves the lookup unmatched. Each forgery gives the verification
//! tables a *true* signature of the other statement (the test holds every key), so only the
//! lookup's message can reject it. The signature's own checks (chain steps, the chunk sum, the
//! path) are the `signatures` tables' forgeries (`signatures.rs`): the same tables verify here.
//!
//! Mutation-checked (each change to the transfer table's AIR makes its forgery verify):
//! `RECEIVER_KEY` in place of `SENDER_KEY` in the lookup (the receiver's signature), and
//! deleting the zero check of nonce bits 30–63 (a nonce of 2^32 signed with one-time key 0).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod signed;

use l2x_air::Val;
use l2x_programs::signatures::{self, Statement};
use l2x_programs::transfers::fixture::Wallet;
use l2x_programs::transfers::state::{self, Fault};
use l2x_programs::transfers::trace::{self, Row};
use l2x_programs::transfers::{self, Block};
use p3_field::{PrimeCharacteristicRing, PrimeField32};

/// A wallet of four accounts and a block of two transfers: a → b (5), then b → c (3).
fn setup(seed: u64) -> (Wallet, Block) {
    let wallet = signed::wallet(4, seed);
    let i: Vec<u32> = wallet.accounts.keys().copied().collect();
    let first = wallet.sign(i[0], i[1], 5).unwrap();
    let second = wallet.sign(i[1], i[2], 3).unwrap();
    let block = Block {
        chain_id: wallet.chain_id,
        accounts: wallet.state(),
        transfers: vec![first, second],
    };
    (wallet, block)
}

/// Whether the rows, from the block's pre-state, verify with the verification tables of
/// `statements`.
fn accepted(block: &Block, rows: &[Row], statements: &[Statement]) -> bool {
    signed::rows_accepted(block, rows, |_, _| {}, Some(statements))
}

/// Whether a block of the first transfer verifies when its statement is `forge`'s (a true
/// signature of another statement by a key of the wallet). One transfer: a mutation of the
/// lookup then changes nothing but what the forgery exploits.
fn forged(seed: u64, forge: impl FnOnce(&Wallet, &Block, &mut Statement)) -> bool {
    let (wallet, mut block) = setup(seed);
    block.transfers.truncate(1);
    let (rows, mut statements) = signed::honest_rows(&block);
    forge(&wallet, &block, &mut statements[0]);
    accepted(&block, &rows, &statements)
}

/// Signs `s`'s message at `s`'s epoch with the key of account `index` (and names that key).
fn sign_as(wallet: &Wallet, index: u32, s: &mut Statement) {
    let key = &wallet.accounts[&index].key;
    s.key = key.public_key();
    s.signature = key.sign(s.epoch, &s.message).unwrap();
}

#[test]
fn honest_signatures_are_accepted() {
    assert!(forged(81, |_, _, _| {}));
}

#[test]
fn a_missing_signature_is_rejected() {
    let (_, block) = setup(82);
    let (rows, statements) = signed::honest_rows(&block);
    assert!(!accepted(&block, &rows, &statements[1..]));
}

#[test]
fn a_signature_of_another_message_is_rejected() {
    // The sender's true signature, at the right nonce, of the transfer with amount 6.
    assert!(!forged(83, |wallet, block, s| {
        let t = &block.transfers[0];
        s.message = state::message(block.chain_id, t.from, t.to, t.amount + 1);
        sign_as(wallet, t.from, s);
    }));
}

#[test]
fn another_nonces_one_time_key_is_rejected() {
    // The sender's true signature of the same transfer with its next nonce's one-time key.
    assert!(!forged(84, |wallet, block, s| {
        s.epoch += 1;
        sign_as(wallet, block.transfers[0].from, s);
    }));
}

#[test]
fn the_receivers_signature_is_rejected() {
    // The receiver's key signs the sender's transfer (at the same epoch).
    assert!(!forged(85, |wallet, block, s| {
        sign_as(wallet, block.transfers[0].to, s);
    }));
}

#[test]
fn a_signature_for_another_rollup_is_rejected() {
    assert!(!forged(86, |wallet, block, s| {
        let t = &block.transfers[0];
        s.message = state::message(block.chain_id + 1, t.from, t.to, t.amount);
        sign_as(wallet, t.from, s);
    }));
}

#[test]
fn the_nonce_is_below_the_lifetime() {
    // The sender's account holds nonce 2^32 and its transfer is signed with one-time key 0
    // (2^32's low limbs): one-time keys would be reused every 2^32 transfers. Natively refused;
    // the forged rows keep every other relation.
    let (_, mut block) = setup(87);
    block.transfers.truncate(1);
    let (mut rows, statements) = signed::honest_rows(&block);
    block.accounts[0].1.nonce = 1 << 32;
    block.transfers[0].nonce = 1 << 32;
    let err = block.apply().unwrap_err();
    assert_eq!(err.fault, Fault::NonceBeyondLifetime);
    let r = &mut rows[0];
    r.set_number(5, 1 << 32);
    r.set_number(6, (1 << 32) + 1);
    r.carries[2] = trace::carries(1 << 32, 0, 1);
    assert_eq!(r.epoch(), Val::ZERO);
    assert!(!accepted(&block, &rows, &statements));
}

#[test]
fn the_nonce_does_not_alias_an_epoch_modulo_p() {
    // The sender's account holds nonce p (limbs 2 and 3 zero, limb 1 = 32,512) and its
    // transfer is signed with one-time key 0: limb 0 + 2^16 · limb 1 = p is epoch 0 in the
    // field, so one-time key 0 would be used again. Only the range check of 4 × limb 1 (the
    // nonce is below 2^30) stands in the way. Natively refused.
    let p = u64::from(Val::ORDER_U32);
    let (_, mut block) = setup(89);
    block.transfers.truncate(1);
    let (mut rows, statements) = signed::honest_rows(&block);
    assert_eq!(block.transfers[0].nonce, 0);
    block.accounts[0].1.nonce = p;
    block.transfers[0].nonce = p;
    let err = block.apply().unwrap_err();
    assert_eq!(err.fault, Fault::NonceBeyondLifetime);
    let r = &mut rows[0];
    r.set_number(5, p);
    r.set_number(6, p + 1);
    r.carries[2] = trace::carries(p, 0, 1);
    assert_eq!(r.epoch(), Val::ZERO);
    assert!(!accepted(&block, &rows, &statements));
}

#[test]
fn an_inactive_verification_row_provides_nothing() {
    // The transfer's true signature, verified in a row marked padding (ACTIVE = 0): its lookups
    // and its provided statement are counted by ACTIVE, so it provides nothing and the
    // transfer's lookup is left unmatched. (No constraint to delete: the count is ACTIVE.)
    let (_, mut block) = setup(88);
    block.transfers.truncate(1);
    let (rows, statements) = signed::honest_rows(&block);
    let (claim, traces) = signed::witness(&block, &rows);
    let heights = transfers::log_heights(&claim, 0);
    let mut witness = transfers::witness_traces(traces, &statements, heights);
    assert!(signed::proves(&claim, &witness), "the honest witness");
    witness[3].values[signatures::columns::ACTIVE] = Val::ZERO;
    assert!(!signed::proves(&claim, &witness));
}
