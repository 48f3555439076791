//! The block proof's state tables against the native state code: over random blocks, the
//! roots the account and node tables reach (the old tree restricted to the touched accounts,
//! each node hashed once, and the new tree over the last records) are the sparse tree's
//! (`transfers::Tree`, which updates one path per account change), and the shape the witness
//! needs is the one the claim names (`state::shape`).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::sync::LazyLock;

use l2x_programs::transfers::fixture::{self, Holding, Wallet};
use l2x_programs::transfers::state::{self, Tree};
use l2x_programs::transfers::{self, Block, trace};
use proptest::prelude::*;

/// Twelve accounts (generating their keys is the slow part, so it is done once).
static WALLET: LazyLock<Wallet> = LazyLock::new(|| Wallet::genesis(12, 5));

/// The first `n` accounts of [`WALLET`], placed at `index(k)` for the k-th.
fn wallet(n: usize, index: impl Fn(u32) -> u32) -> Wallet {
    let accounts: BTreeMap<u32, Holding> = WALLET
        .accounts
        .values()
        .take(n)
        .enumerate()
        .map(|(k, h)| (index(k as u32), h.clone()))
        .collect();
    Wallet {
        chain_id: WALLET.chain_id,
        accounts,
    }
}

/// Checks the witness of `block` against the native run.
fn agrees(block: &Block) {
    let (old_root, steps, after) = block.apply().unwrap();
    let rows: Vec<trace::Row> = steps.iter().map(trace::Row::new).collect();
    let pre = Tree::new(block.accounts.iter().copied());
    let t = trace::generate(&rows, &pre, transfers::min_heights(0));
    let o = t.outcome;
    assert_eq!(o.old_root, old_root);
    assert_eq!(o.new_root, after.root());
    assert_eq!(o.commitment, state::commitment(&block.transfers));
    assert_eq!((o.accounts, o.nodes), state::shape(&block.transfers));
    let (claim, _) = transfers::run(&block.to_bytes()).unwrap();
    assert_eq!((claim.accounts, claim.nodes), (o.accounts, o.nodes));
    assert_eq!(
        claim.rotations,
        rows.iter().filter(|r| r.rotate).count() as u32
    );
}

/// Four accounts whose keys cover two nonces each: blocks of a few transfers rotate keys.
static SHORT_KEYS: LazyLock<Wallet> =
    LazyLock::new(|| Wallet::genesis_with(4, 6, 2, fixture::DEFAULT_CHAIN_ID));

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_tables_reach_the_native_roots(
        n in 2usize..=12,
        m in 0usize..=24,
        seed in any::<u64>(),
        layout in 0u8..4,
    ) {
        // Indices spread over the u32 range (the genesis's), packed (0..n: most nodes shared),
        // a stride of 2^20 (paths that meet near the root), and the top of the range (indices
        // above the field's modulus).
        let w = match layout {
            0 => wallet(n, |k| WALLET.accounts.keys().nth(k as usize).copied().unwrap()),
            1 => wallet(n, |k| k),
            2 => wallet(n, |k| k << 20),
            _ => wallet(n, |k| u32::MAX - 3 * k),
        };
        agrees(&w.random_block(m, seed).unwrap());
    }

    #[test]
    fn blocks_that_rotate_keys_reach_the_native_roots(m in 0usize..=12, seed in any::<u64>()) {
        // Senders at their key's last nonce rotate; the wallet after the block is the state
        // after it, and the next block, signed with that wallet, applies to it.
        let (block, after) = SHORT_KEYS.random_block_rotating(m, seed).unwrap();
        agrees(&block);
        let state = SHORT_KEYS.public_state().apply(&block).unwrap().state;
        prop_assert_eq!(&after.public_state(), &state);
        let (next, _) = after.random_block_rotating(m, seed ^ 1).unwrap();
        prop_assert!(state.apply(&next).is_ok());
    }

    #[test]
    fn all_transfers_on_two_accounts(m in 0usize..=12, seed in any::<u64>()) {
        let w = wallet(2, |k| 7 + 9 * k);
        agrees(&w.random_block(m, seed).unwrap());
    }
}
