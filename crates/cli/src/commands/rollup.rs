//! `l2x rollup`: states and blocks of the `transfers` program — make a genesis state, make a
//! random valid block on a state, apply a block to a state (so successive blocks' proofs link
//! root to root).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use l2x_programs::poseidon2::digest_hex;
use l2x_programs::transfers::fixture::Wallet;
use l2x_programs::transfers::state::commitment;
use l2x_programs::transfers::{Block, MAX_ACCOUNTS, MAX_TRANSFERS, Tree};
use serde_json::json;

use crate::{files, output};

/// The largest state file read: [`MAX_ACCOUNTS`] accounts of 52 bytes, and a header.
const MAX_STATE_FILE: u64 = 16 + 52 * MAX_ACCOUNTS as u64;

/// Arguments of `l2x rollup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Make a genesis state: N accounts at random indices with random balances and keys.
    Genesis {
        /// How many accounts.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_ACCOUNTS as i64))]
        accounts: u32,
        /// The seed of the random choices.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Where to write the state (it holds the accounts' keys: a test fixture).
        #[arg(short, long, value_name = "STATE")]
        output: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make a block of M random valid transfers on a state (the `transfers` program's input).
    Block {
        /// The state the block applies to.
        #[arg(long, value_name = "STATE")]
        state: PathBuf,
        /// How many transfers.
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_TRANSFERS as i64))]
        transfers: u32,
        /// The seed of the random choices.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Where to write the block.
        #[arg(short, long, value_name = "BLOCK")]
        output: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Apply a block to the state it was made for and write the state after it.
    Apply {
        /// The state before the block.
        #[arg(long, value_name = "STATE")]
        state: PathBuf,
        /// The block.
        #[arg(long, value_name = "BLOCK")]
        block: PathBuf,
        /// Where to write the state after the block (may be STATE: it is replaced atomically).
        #[arg(short, long, value_name = "STATE")]
        output: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn read_wallet(path: &Path) -> Result<Wallet> {
    let bytes = files::read_limited(path, MAX_STATE_FILE, "state file")?;
    Wallet::parse(&bytes).with_context(|| format!("state file {}", path.display()))
}

/// Runs an `l2x rollup` subcommand.
pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.command {
        Command::Genesis {
            accounts,
            seed,
            output,
            json,
        } => {
            files::check_output(output)?;
            let wallet = Wallet::genesis(*accounts as usize, *seed);
            files::write_atomic(output, &wallet.to_bytes())?;
            report(
                *json,
                &[
                    ("state", output.display().to_string().into()),
                    ("accounts", wallet.accounts.len().into()),
                    ("root", digest_hex(&Tree::new(wallet.state()).root()).into()),
                ],
            );
        }
        Command::Block {
            state,
            transfers,
            seed,
            output,
            json,
        } => {
            files::check_output_against(output, &[state])?;
            let wallet = read_wallet(state)?;
            let block = wallet.random_block(*transfers as usize, *seed);
            let applied = wallet.apply(&block)?;
            files::write_atomic(output, &block.to_bytes())?;
            report(
                *json,
                &[
                    ("block", output.display().to_string().into()),
                    ("transfers", block.transfers.len().into()),
                    ("old_root", digest_hex(&applied.old_root).into()),
                    ("new_root", digest_hex(&applied.new_root).into()),
                    (
                        "commitment",
                        digest_hex(&commitment(&block.transfers)).into(),
                    ),
                ],
            );
        }
        Command::Apply {
            state,
            block,
            output,
            json,
        } => {
            // The state may be updated in place (the default); the block is never replaced.
            files::check_output_against(output, &[block])?;
            let wallet = read_wallet(state)?;
            let bytes = files::read_limited(block, files::MAX_INPUT_FILE, "block file")?;
            let parsed =
                Block::parse(&bytes).with_context(|| format!("block file {}", block.display()))?;
            let applied = wallet.apply(&parsed)?;
            let mut outputs = files::Outputs::replacing_input();
            outputs.stage(output, &applied.wallet.to_bytes())?;
            outputs.commit()?;
            report(
                *json,
                &[
                    ("state", output.display().to_string().into()),
                    ("transfers", parsed.transfers.len().into()),
                    ("old_root", digest_hex(&applied.old_root).into()),
                    ("new_root", digest_hex(&applied.new_root).into()),
                ],
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn report(json: bool, fields: &[(&str, serde_json::Value)]) {
    if json {
        let object: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        output::print_json(&json!(object));
    } else {
        for (k, v) in fields {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            outln!("  {k:<11} {text}");
        }
    }
}
