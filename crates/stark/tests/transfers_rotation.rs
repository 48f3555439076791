//! Key rotations: a transfer row with `ROTATE` = 1 writes the sender's record back with a new
//! key, which the sender signed with its old key (the rotation's message names the new key),
//! moves nothing, and adds the new key to the commitment. Every other row writes the key back
//! as it read it.
//!
//! Mutation-checked (each change to the transfer table's AIR makes its forgery verify):
//! deleting `(1 − ROTATE) · (NEW_KEY − SENDER_KEY) = 0` (a key changed by a transfer), the
//! rotation's `AMOUNT = 0` (a rotation that moves an amount), its `TO = FROM` (a rotation to
//! another account), `(1 − ROTATE) · (COMMIT_OUT − COMMIT_SECOND) = 0` (a commitment not
//! chained), and signing the transfer layout in the rotation's lookup (a transfer's signature
//! read as a rotation).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;
mod signed;

use common::verify;
use l2x_core::Backend;
use l2x_programs::Transfers;
use l2x_programs::poseidon2::Digest;
use l2x_programs::signatures::Statement;
use l2x_programs::transfers::fixture::Wallet;
use l2x_programs::transfers::state::{self, Fault};
use l2x_programs::transfers::trace::{self, Row, Traces};
use l2x_programs::transfers::{self, Block, Claim};
use l2x_sig::Seed;
use l2x_stark::StarkBackend;
use p3_field::PrimeCharacteristicRing;

/// A wallet of four accounts; a block in which account 0 rotates its key, then pays account 1
/// with the new key; and the wallet after it.
fn rotating(seed: u64) -> (Wallet, Block, Wallet) {
    let wallet = signed::wallet(4, seed);
    let i: Vec<u32> = wallet.accounts.keys().copied().collect();
    let (rotation, holding) = wallet
        .rotation(i[0], Seed::from_bytes([seed as u8; 32]), 4)
        .unwrap();
    let mut after = wallet.clone();
    after.accounts.insert(i[0], holding);
    let transfer = after.sign(i[0], i[1], 5).unwrap();
    let sender = after.accounts.get_mut(&i[0]).unwrap();
    sender.nonce += 1;
    sender.balance -= 5;
    after.accounts.get_mut(&i[1]).unwrap().balance += 5;
    let block = Block {
        chain_id: wallet.chain_id,
        accounts: wallet.state(),
        transfers: vec![rotation, transfer],
    };
    (wallet, block, after)
}

/// Whether `rows`, their traces edited by `edit`, verify with the verification tables of
/// `statements`.
fn accepted(
    block: &Block,
    rows: &[Row],
    statements: &[Statement],
    edit: impl FnOnce(&mut Traces, &mut Claim),
) -> bool {
    signed::rows_accepted(block, rows, edit, Some(statements))
}

/// The key of another account of `wallet` than `index`: what a forger would write.
fn another_key(wallet: &Wallet, index: u32) -> Digest {
    let (_, h) = wallet.accounts.iter().find(|(i, _)| **i != index).unwrap();
    h.key.public_key().to_elements()
}

#[test]
fn a_rotation_then_a_transfer_with_the_new_key_are_proven() {
    let (_, block, after) = rotating(91);
    let input = block.to_bytes();
    assert_eq!(Block::parse(&input).unwrap(), block);
    let receipt = StarkBackend::default().prove(&Transfers, &input).unwrap();
    assert_eq!(verify(&receipt), Ok(()));
    let claim = Claim::parse(&receipt.claim.public_values).unwrap();
    let (_, _, tree) = block.apply().unwrap();
    assert_eq!(claim.new_root, tree.root());
    assert_eq!(claim.new_root, after.public_state().root());
    assert_eq!(claim.commitment, state::commitment(&block.transfers));
    assert_eq!((claim.count, claim.rotations), (2, 1));
    let published = block.published();
    assert_eq!(
        published.len(),
        state::ROTATION_BYTES + state::PUBLISHED_TRANSFER_BYTES
    );
    assert_eq!(
        state::commitment_of_published(&published),
        Some((claim.commitment, 2))
    );
    // The rotation's record in the published data is not a transfer's: it commits otherwise.
    let plain: Vec<_> = block
        .transfers
        .iter()
        .map(|t| state::Transfer {
            new_key: None,
            ..t.clone()
        })
        .collect();
    assert_ne!(state::commitment(&plain), claim.commitment);
    common::assert_tampering_rejected(&receipt, 100);
}

#[test]
fn the_old_key_cannot_sign_after_a_rotation() {
    let (wallet, mut block, _) = rotating(92);
    // The same transfer signed by the old key at the nonce after the rotation.
    let t = &block.transfers[1];
    let mut old = wallet.clone();
    old.accounts.get_mut(&t.from).unwrap().nonce = t.nonce;
    block.transfers[1] = old.sign(t.from, t.to, t.amount).unwrap();
    let err = block.apply().unwrap_err();
    assert_eq!(err.position, 1);
    assert!(matches!(err.fault, Fault::BadSignature(_)), "{err}");
}

#[test]
fn a_rotation_that_moves_is_refused_natively() {
    let (_, mut block, _) = rotating(93);
    block.transfers.truncate(1);
    let mut moved = block.clone();
    moved.transfers[0].amount = 1;
    let to_other = {
        let mut b = block.clone();
        b.transfers[0].to = b.accounts[1].0;
        b
    };
    for b in [moved, to_other] {
        // The signature does not name the amount or the receiver: the rule refuses it.
        assert_eq!(b.apply().unwrap_err().fault, Fault::RotationMoves);
    }
}

#[test]
fn honest_rotations_are_accepted() {
    let (_, block, _) = rotating(94);
    let (rows, statements) = signed::honest_rows(&block);
    assert!(accepted(&block, &rows, &statements, |_, _| {}));
}

#[test]
fn a_key_changed_by_a_transfer_is_rejected() {
    // The transfer after the rotation, signed by its sender, writes a forger's key into the
    // sender's record: the account is the forger's from then on.
    let (wallet, block, _) = rotating(95);
    let (mut rows, statements) = signed::honest_rows(&block);
    let r = &mut rows[1];
    assert!(!r.rotate);
    r.new_key = another_key(&wallet, r.from);
    assert!(!accepted(&block, &rows, &statements, |_, _| {}));
}

#[test]
fn a_rotation_that_moves_an_amount_is_rejected() {
    // The rotation's row pays 5 to its own sender: its signature names no amount.
    let (_, mut block, _) = rotating(96);
    block.transfers.truncate(1);
    let (mut rows, statements) = signed::honest_rows(&block);
    let r = &mut rows[0];
    assert!(r.rotate);
    let balance = r.number(1);
    for (n, x) in [(0, 5), (2, balance - 5), (3, balance - 5), (4, balance)] {
        r.set_number(n, x);
    }
    r.carries[0] = trace::carries(balance - 5, 5, 0);
    r.carries[1] = trace::carries(balance - 5, 5, 0);
    assert!(!accepted(&block, &rows, &statements, |_, _| {}));
}

#[test]
fn a_rotation_to_another_account_is_rejected() {
    // The rotation's row names another receiver: the block's published data would say a
    // rotation touched it.
    let (wallet, mut block, _) = rotating(97);
    block.transfers.truncate(1);
    let (mut rows, statements) = signed::honest_rows(&block);
    let r = &mut rows[0];
    let (&other, holding) = wallet.accounts.iter().find(|(i, _)| **i != r.from).unwrap();
    r.to = other;
    r.receiver_key = holding.key.public_key().to_elements();
    r.receiver_nonce = state::limbs(holding.nonce).map(l2x_air::Val::from_u16);
    r.set_number(3, holding.balance);
    r.set_number(4, holding.balance);
    r.carries[1] = trace::carries(holding.balance, 0, 0);
    assert!(!accepted(&block, &rows, &statements, |_, _| {}));
}

/// A block of one transfer of `amount` from account 0 of a fresh wallet to account `to`.
fn one_transfer(seed: u64, to: usize, amount: u64) -> (Wallet, Block) {
    let wallet = signed::wallet(4, seed);
    let i: Vec<u32> = wallet.accounts.keys().copied().collect();
    let block = Block {
        chain_id: wallet.chain_id,
        accounts: wallet.state(),
        transfers: vec![wallet.sign(i[0], i[to], amount).unwrap()],
    };
    (wallet, block)
}

#[test]
fn a_transfer_signature_read_as_a_rotation_is_rejected() {
    // The sender's true signature of a transfer of 0 to itself, read as a rotation to a
    // forger's key.
    let (wallet, block) = one_transfer(98, 0, 0);
    let (mut rows, statements) = signed::honest_rows(&block);
    rows[0].rotate = true;
    rows[0].new_key = another_key(&wallet, rows[0].from);
    rows[0].receiver_key = rows[0].new_key;
    assert!(!accepted(&block, &rows, &statements, |_, _| {}));
}

#[test]
fn a_commitment_not_chained_is_rejected() {
    // The transfer row ends its commitment elsewhere than its second block did, and the claim
    // names that end: a commitment to no published list.
    use transfers::columns::{COMMIT_IN, COMMIT_OUT, COMMIT_SECOND, WIDTH};
    let (_, block) = one_transfer(99, 1, 5);
    let (rows, statements) = signed::honest_rows(&block);
    assert!(!accepted(&block, &rows, &statements, |t, c| {
        let mut end = signed::get(&t.transfers, 0, COMMIT_OUT);
        end[0] += l2x_air::Val::ONE;
        signed::put(&mut t.transfers, 0, COMMIT_OUT, &end);
        for row in 1..t.transfers.values.len() / WIDTH {
            for at in [COMMIT_IN, COMMIT_SECOND, COMMIT_OUT] {
                signed::put(&mut t.transfers, row, at, &end);
            }
        }
        c.commitment = end;
    }));
}

#[test]
fn a_rotation_on_demand_needs_a_one_time_key_and_gives_each_account_its_own_key() {
    let wallet = signed::wallet(3, 100);
    let i: Vec<u32> = wallet.accounts.keys().copied().collect();
    // The same mixing seed gives two accounts different keys (each old seed is mixed in).
    let (a, after_a) = wallet.rotation_block(i[0], 7, Some(3)).unwrap();
    let (b, _) = wallet.rotation_block(i[1], 7, Some(3)).unwrap();
    assert_ne!(a.transfers[0].new_key, b.transfers[0].new_key);
    assert_eq!(after_a.accounts[&i[0]].key.range().start(), 1);
    assert!(wallet.public_state().apply(&a).is_ok());
    // A key whose one-time keys are spent cannot sign a rotation.
    let mut spent = wallet.clone();
    let end = spent.accounts[&i[2]].key.range().end();
    spent.accounts.get_mut(&i[2]).unwrap().nonce = u64::from(end);
    let err = spent.rotation_block(i[2], 7, None).unwrap_err().to_string();
    assert!(err.contains("no one-time key is left"), "{err}");
}

#[test]
fn a_rotation_whose_bytes_are_cut_or_whose_key_is_not_field_elements_is_refused() {
    let (_, block, _) = rotating(101);
    let bytes = block.to_bytes();
    let cut = Block::parse(&bytes[..bytes.len() - 1])
        .unwrap_err()
        .to_string();
    assert!(cut.contains("ends inside transfer 1"), "{cut}");
    // The rotation's key starts right after its 24 published bytes: make one element ≥ p.
    let key_at = bytes.len()
        - 2 * l2x_sig::params::SIGNATURE_BYTES
        - state::PUBLISHED_TRANSFER_BYTES
        - (state::ROTATION_BYTES - state::PUBLISHED_TRANSFER_BYTES);
    let mut bad = bytes.clone();
    bad[key_at..key_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let why = Block::parse(&bad).unwrap_err().to_string();
    assert!(why.contains("the new key of transfer 0"), "{why}");
}
