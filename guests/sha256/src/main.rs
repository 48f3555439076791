//! The `sha256` program as a RISC Zero guest: the semantics of `l2x_programs::sha256`.
//!
//! Input (stdin): the message, at most 4 MiB. Journal: the FIPS 180-4 SHA-256 digest (32 bytes),
//! then the message length as u64 little-endian: the 40 bytes the `trace` and `stark` backends
//! give as public values. The digest is computed with the zkVM's SHA-256 accelerator
//! (`risc0_zkvm::sha`), whose compression function is a circuit of its own rather than RV32IM
//! instructions.

use std::io::Read;

use risc0_zkvm::guest::env;
use risc0_zkvm::sha::{Impl, Sha256};

/// The longest message accepted, as in `l2x_programs::sha256::MAX_MESSAGE_BYTES`.
const MAX_MESSAGE_BYTES: usize = 4 << 20;

fn main() {
    let mut message = Vec::new();
    env::stdin()
        .read_to_end(&mut message)
        .expect("read the message");
    assert!(message.len() <= MAX_MESSAGE_BYTES, "the message is above 4 MiB");
    let digest = Impl::hash_bytes(&message);
    let mut journal = [0u8; 40];
    journal[..32].copy_from_slice(digest.as_bytes());
    journal[32..].copy_from_slice(&(message.len() as u64).to_le_bytes());
    env::commit_slice(&journal);
}
