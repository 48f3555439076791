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
        #[command(flatten)]
        making: Making,
        /// How many transfers.
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_TRANSFERS as i64))]
        transfers: u32,
        /// The seed of the random choices.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Make a block of one key rotation: an account moves to a new key (signed with its key at
    /// its current nonce; the one-time keys after it are given up), and the wallet after the
    /// block, holding the new key's seed, is written.
    Rotate {
        #[command(flatten)]
        making: Making,
        /// The account whose key rotates (its index).
        #[arg(long, value_name = "INDEX")]
        account: u32,
        /// Nonces the new key covers, from the account's next one (default: as many as its
        /// key covers now). Each costs about a quarter of a millisecond to generate.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_EPOCHS)))]
        epochs: Option<u32>,
        /// Mixed into the new key's seed (with the old seed, which stays secret).
        #[arg(long, default_value_t = 0)]
        seed: u64,
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

/// The arguments of the subcommands that make a block: what it applies to, where it and the
/// wallet after it go.
#[derive(Debug, clap::Args)]
struct Making {
    /// The state the block applies to.
    #[arg(long, value_name = "STATE")]
    state: PathBuf,
    /// The wallet of the state's keys (written by `rollup genesis`, or beside the block of the
    /// state's last key rotation).
    #[arg(long, value_name = "WALLET")]
    wallet: PathBuf,
    /// Where to write the block.
    #[arg(short, long, value_name = "BLOCK")]
    output: PathBuf,
    /// Where to write the wallet after the block, if it rotates a key (default: BLOCK.wallet;
    /// never the wallet read). Sign the next block, on the state after this one, with it.
    #[arg(long, value_name = "WALLET")]
    wallet_out: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

impl Making {
    /// Checks the outputs before any work (the wallet after the block defaults to
    /// `BLOCK.wallet`; neither output may be an input, nor the two one file), reads the state
    /// and the wallet, makes the block with `make`, and writes it and, if it rotates a key, the
    /// wallet after it.
    fn run(&self, make: impl FnOnce(&Wallet) -> Result<(Block, Wallet)>) -> Result<()> {
        let inputs = [self.state.as_path(), self.wallet.as_path()];
        files::check_output_against(&self.output, &inputs)?;
        let wallet_out = self
            .wallet_out
            .clone()
            .unwrap_or_else(|| wallet_beside(&self.output));
        if wallet_out == self.output {
            anyhow::bail!(
                "the block and the wallet after it would both be {}: give them two paths",
                self.output.display()
            );
        }
        files::check_output_against(&wallet_out, &[inputs[0], inputs[1], &self.output])?;
        let public = read_state(&self.state)?;
        let (block, after) = make(&read_wallet(&public, &self.wallet)?)?;
        let applied = public.apply(&block)?;
        let rotations = rotations(&block.transfers);
        let mut outputs = files::Outputs::default();
        outputs.stage(&self.output, &block.to_bytes())?;
        if rotations > 0 {
            outputs.stage_secret(&wallet_out, &after.keys_bytes())?;
        }
        outputs.commit()?;
        let wallet_after = if rotations > 0 {
            &wallet_out
        } else {
            &self.wallet
        };
        report(
            self.json,
            &[
                ("block", self.output.display().to_string().into()),
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
        Ok(())
    }
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
            making,
            transfers,
            seed,
        } => making.run(|w| Ok(w.random_block_rotating(*transfers as usize, *seed)?))?,
        Command::Rotate {
            making,
            account,
            epochs,
            seed,
        } => making.run(|w| Ok(w.rotation_block(*account, *seed, *epochs)?))?,
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
