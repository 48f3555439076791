//! Proves an L2 block of transfers where the environment says, and verifies the receipt here.
//!
//! ```text
//! cargo run --release -p remote-block -- 64                      # in this process
//! L2X_PROVER=remote L2X_SERVER=https://prover.example:8443 L2X_API_KEY=l2x_… \
//!     cargo run --release -p remote-block -- 64                  # on a prover service
//! ```
//!
//! `L2X_BACKEND` picks the backend (`stark` for a real proof; unset: the executor's or the
//! service's default). It prints one line: where it was proven, the block's roots and
//! commitment as the verified claim states them, and the time.

use std::process::ExitCode;
use std::time::Instant;

use l2x_client::Prover;
use l2x_programs::poseidon2::digest_hex;
use l2x_programs::transfers::Claim;
use l2x_programs::transfers::fixture::Wallet;

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("remote-block: {error}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<String, Box<dyn std::error::Error>> {
    let transfers = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .map_err(|_| format!("{n:?}: give a number of transfers"))?,
        None => 16,
    };
    // A test wallet of 100 accounts and a block of random valid transfers on it, both seeded.
    let wallet = Wallet::genesis(100, 1);
    let block = wallet.random_block(transfers, 2)?;

    let started = Instant::now();
    let prover = Prover::from_env()?;
    let receipt = prover.prove("transfers", &block.to_bytes())?;
    let claim = prover.verify(&receipt)?;
    let proven = Claim::parse(&claim.public_values)?;

    let place = match prover {
        Prover::Local(_) => "local",
        Prover::Remote(_) => "remote",
    };
    Ok(format!(
        "{place} {} transfers={} old_root={} new_root={} commitment={} seconds={:.3}",
        receipt.backend,
        proven.count,
        digest_hex(&proven.old_root),
        digest_hex(&proven.new_root),
        digest_hex(&proven.commitment),
        started.elapsed().as_secs_f64()
    ))
}
