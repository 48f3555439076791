//! A worked example of your own guest: a tiny rollup step. It applies a list of transfers to a
//! list of balances and commits hashes of the state before and after, so that a verifier learns
//! the state transition without seeing the balances.
//!
//! Input (stdin), text: the balances, then one `from to amount` triple per transfer, separated
//! by `;`. For example `100 50 7; 0 1 30; 1 2 5` (three accounts, two transfers).
//!
//! Journal (72 bytes): SHA-256 of the old balances, SHA-256 of the new balances (each balance
//! as u64 little-endian, concatenated), then the number of transfers as u64 little-endian.
//!
//! An invalid step (unknown account, overdraft, overflow, malformed text) makes the guest panic,
//! and a guest that panics has no proof: only valid steps get receipts.

use std::io::Read;

use risc0_zkvm::guest::env;
use risc0_zkvm::sha::{Impl, Sha256};

fn main() {
    let mut input = String::new();
    env::stdin()
        .read_to_string(&mut input)
        .expect("the input is UTF-8 text");
    let mut parts = input.split(';');
    let mut balances: Vec<u64> = numbers(parts.next().unwrap_or(""));
    let before = state_hash(&balances);
    let mut count = 0u64;
    for transfer in parts {
        let [from, to, amount] = numbers(transfer)[..] else {
            panic!("a transfer is `from to amount`, got {transfer:?}");
        };
        let (from, to) = (from as usize, to as usize);
        assert!(from < balances.len() && to < balances.len(), "unknown account");
        balances[from] = balances[from].checked_sub(amount).expect("overdraft");
        balances[to] = balances[to].checked_add(amount).expect("balance overflow");
        count += 1;
    }
    let after = state_hash(&balances);
    let mut journal = Vec::with_capacity(72);
    journal.extend_from_slice(before.as_bytes());
    journal.extend_from_slice(after.as_bytes());
    journal.extend_from_slice(&count.to_le_bytes());
    env::commit_slice(&journal);
}

/// The whitespace-separated numbers of `text`.
fn numbers(text: &str) -> Vec<u64> {
    text.split_whitespace()
        .map(|word| word.parse().expect("numbers are decimal u64"))
        .collect()
}

/// SHA-256 of the balances, each as u64 little-endian.
fn state_hash(balances: &[u64]) -> risc0_zkvm::sha::Digest {
    let bytes: Vec<u8> = balances.iter().flat_map(|b| b.to_le_bytes()).collect();
    *Impl::hash_bytes(&bytes)
}
