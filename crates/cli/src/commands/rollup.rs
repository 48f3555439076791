//! `l2x rollup`: states and blocks of the `transfers` program — make a genesis state and its
//! users' wallet, make a block of random valid transfers signed with the wallet, apply a block
//! to a state (so successive blocks' proofs link root to root).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use l2x_programs::poseidon2::digest_hex;
use l2x_programs::transfers::fixture::{
    DEFAULT_CHAIN_ID, DEFAULT_EPOCHS, MAX_EPOCHS, MAX_STATE_FILE, MAX_WALLET_FILE, State, Wallet,
};
use l2x_programs::transfers::state::{commitment, rotations};
use l2x_programs::transfers::{Block, MAX_ACCOUNTS, MAX_TRANSFERS};
use serde_json::json;

use crate::{files, output};

/// Arguments of `l2x rollup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Make a genesis state of N accounts at random indices with random balances, and the
    /// wallet of their secret keys (a separate file: the state holds only public keys).
    Genesis {
        /// How many accounts.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_ACCOUNTS as i64))]
        accounts: u32,
        /// The seed of the random choices (balances, indices, the keys' seeds).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// One-time keys per account: it can send this many transfers (nonces 0 to EPOCHS − 1).
        /// Each costs about a quarter of a millisecond to generate.
        #[arg(long, default_value_t = DEFAULT_EPOCHS,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_EPOCHS)))]
        epochs: u32,
        /// The rollup's chain id, in every signed transfer.
        #[arg(long, default_value_t = DEFAULT_CHAIN_ID)]
        chain_id: u32,
        /// Where to write the state.
        #[arg(short, long, value_name = "STATE")]
        output: PathBuf,
        /// Where to write the wallet: the accounts' secret keys (default: STATE.wallet; on Unix
        /// readable by its owner only).
        #[arg(long, value_name = "WALLET")]
        wallet: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make a block of M random valid transfers on a state, each signed with the sender's key
    /// from the wallet (the `transfers` program's input; it holds signatures, no secret). A
    /// sender drawn at the last nonce its key covers rotates its key instead (to a new key for
    /// as many nonces, at least two, from a random seed), and the wallet after the block is
    /// written.
    Block {
        /// The state the block applies to.
        #[arg(long, value_name = "STATE")]
        state: PathBuf,
        /// The wallet of the state's keys (written by `rollup genesis`).
        #[arg(long, value_name = "WALLET")]
        wallet: PathBuf,
        /// How many transfers.
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_TRANSFERS as i64))]
        transfers: u32,
        /// The seed of the random choices.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Where to write the block.
        #[arg(short, long, value_name = "BLOCK")]
        output: PathBuf,
        /// Where to write the wallet after the block, if it rotates a key (default:
        /// BLOCK.wallet; never the wallet read). Use it for the next block, on the state after
        /// this one.
        #[arg(long, value_name = "WALLET")]
        wallet_out: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Apply a block to the state it was made for and write the state after it (every
    /// signature is checked; no wallet is needed).
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

fn read_state(path: &Path) -> Result<State> {
    let bytes = files::read_limited(path, MAX_STATE_FILE, "state file")?;
    State::parse(&bytes).with_context(|| format!("state file {}", path.display()))
}

fn read_wallet(state: &State, path: &Path) -> Result<Wallet> {
    let bytes = files::read_limited(path, MAX_WALLET_FILE, "wallet file")?;
    Wallet::open(state, &bytes).with_context(|| format!("wallet file {}", path.display()))
}

/// The default wallet path of a state: `STATE.wallet`.
fn wallet_beside(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".wallet");
    PathBuf::from(name)
}

/// Runs an `l2x rollup` subcommand.
pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.command {
        Command::Genesis {
            accounts,
            seed,
            epochs,
            chain_id,
            output,
            wallet,
            json,
        } => {
            let wallet_path = wallet.clone().unwrap_or_else(|| wallet_beside(output));
            if wallet_path == *output {
                anyhow::bail!(
                    "the wallet and the state would both be {}: the wallet holds the secret keys, the state is public; give them two paths",
                    output.display()
                );
            }
            files::check_output(output)?;
            files::check_output_against(&wallet_path, &[output])?;
            let started = Instant::now();
            let wallet = Wallet::genesis_with(*accounts as usize, *seed, *epochs, *chain_id);
            let keygen = started.elapsed();
            let state = wallet.public_state();
            let mut outputs = files::Outputs::default();
            outputs.stage(output, &state.to_bytes())?;
            outputs.stage_secret(&wallet_path, &wallet.keys_bytes())?;
            outputs.commit()?;
            report(
                *json,
                &[
                    ("state", output.display().to_string().into()),
                    ("wallet", wallet_path.display().to_string().into()),
                    ("accounts", wallet.accounts.len().into()),
                    ("epochs", (*epochs).into()),
                    ("chain_id", (*chain_id).into()),
                    ("root", digest_hex(&state.root()).into()),
                    ("keygen_ms", (keygen.as_millis() as u64).into()),
                ],
            );
        }
        Command::Block {
            state,
            wallet,
            transfers,
            seed,
            output,
            wallet_out,
            json,
        } => {
            files::check_output_against(output, &[state, wallet])?;
            let wallet_out = wallet_out.clone().unwrap_or_else(|| wallet_beside(output));
            if wallet_out == *output {
                anyhow::bail!(
                    "the block and the wallet after it would both be {}: give them two paths",
                    output.display()
                );
            }
            files::check_output_against(&wallet_out, &[state, wallet, output])?;
            let public = read_state(state)?;
            let opened = read_wallet(&public, wallet)?;
            let (block, after) = opened.random_block_rotating(*transfers as usize, *seed)?;
            let applied = public.apply(&block)?;
            let rotations = rotations(&block.transfers);
            let mut outputs = files::Outputs::default();
            outputs.stage(output, &block.to_bytes())?;
            if rotations > 0 {
                outputs.stage_secret(&wallet_out, &after.keys_bytes())?;
            }
            outputs.commit()?;
            let wallet_after = if rotations > 0 { &wallet_out } else { wallet };
            report(
                *json,
                &[
                    ("block", output.display().to_string().into()),
                    ("transfers", block.transfers.len().into()),
                    ("rotations", rotations.into()),
                    ("wallet", wallet_after.display().to_string().into()),
                    ("chain_id", block.chain_id.into()),
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
            let public = read_state(state)?;
            let bytes = files::read_limited(block, files::MAX_INPUT_FILE, "block file")?;
            let parsed =
                Block::parse(&bytes).with_context(|| format!("block file {}", block.display()))?;
            let applied = public.apply(&parsed)?;
            let mut outputs = files::Outputs::replacing_input();
            outputs.stage(output, &applied.state.to_bytes())?;
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
