//! States, wallets and signed blocks, for tests, benchmarks and `l2x rollup`.
//!
//! A rollup's [`State`] is public: the chain id and every account's balance, nonce and public
//! key. A [`Wallet`] is what the users hold besides: each account's secret key (its seed and
//! active range), with which it signs the transfers of a block. The two are separate files
//! ([`State::to_bytes`], [`Wallet::keys_bytes`]): a block and a state hold no secret.

use std::collections::BTreeMap;

use l2x_sig::params::SEED_BYTES;
use l2x_sig::{ActiveRange, SecretKey, Seed};
use p3_maybe_rayon::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::state::{Account, Block, MAX_ACCOUNTS, Refused, Transfer};
use crate::poseidon2::{Digest, digest_from_bytes, digest_hex, digest_to_bytes};

/// The first bytes of a state file.
pub const STATE_MAGIC: &[u8; 8] = b"L2XSTATE";
/// The state file's format version (2: public keys; 1 held keys in the state).
pub const STATE_VERSION: u32 = 2;
/// The first bytes of a wallet (secret keys) file.
pub const WALLET_MAGIC: &[u8; 8] = b"L2XWALLT";
/// The wallet file's format version.
pub const WALLET_VERSION: u32 = 1;
/// One-time keys each account's key is generated for unless told otherwise: nonces 0 to 15.
pub const DEFAULT_EPOCHS: u32 = 16;
/// The most one-time keys a genesis generates per account (2^20: about four minutes each).
pub const MAX_EPOCHS: u32 = 1 << 20;
/// The chain id of fixtures unless told otherwise.
pub const DEFAULT_CHAIN_ID: u32 = 1;
/// Bytes of a state file's header: magic, version, chain id, count.
const HEADER: usize = 8 + 4 + 4 + 4;
/// Bytes of an account in a state file: index, balance, nonce, public key.
const ACCOUNT_RECORD: usize = 4 + 8 + 8 + 32;
/// Bytes of an account in a wallet file: index, seed, first epoch, epochs.
const KEY_RECORD: usize = 4 + SEED_BYTES + 4 + 4;
/// The largest state file: [`MAX_ACCOUNTS`] accounts.
pub const MAX_STATE_FILE: u64 = (HEADER + ACCOUNT_RECORD * MAX_ACCOUNTS) as u64;
/// The largest wallet file: [`MAX_ACCOUNTS`] keys.
pub const MAX_WALLET_FILE: u64 = (HEADER + KEY_RECORD * MAX_ACCOUNTS) as u64;

/// A rollup's public state: its chain id and its accounts by index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    /// The chain id every transfer's signature is made for.
    pub chain_id: u32,
    /// The accounts.
    pub accounts: BTreeMap<u32, Account>,
}

/// An account with the secret key that controls it.
#[derive(Debug, Clone)]
pub struct Holding {
    /// The balance.
    pub balance: u64,
    /// The nonce: the epoch of the next transfer's signature.
    pub nonce: u64,
    /// The secret key (its public key is in the state).
    pub key: SecretKey,
    /// The seed the key was generated from (what a wallet file keeps).
    pub seed: Seed,
}

/// A state with every account's secret key, by index: the users' side of a rollup, as a test
/// or a benchmark plays it.
#[derive(Debug, Clone, Default)]
pub struct Wallet {
    /// The chain id.
    pub chain_id: u32,
    /// The accounts.
    pub accounts: BTreeMap<u32, Holding>,
}

/// A state after a block, with the roots before and after it.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The state after the block.
    pub state: State,
    /// The root before.
    pub old_root: Digest,
    /// The root after.
    pub new_root: Digest,
}

/// Why a state or wallet file, or a block, could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// The file is not a state file, or is damaged.
    #[error("not a state file: {0}")]
    MalformedState(String),
    /// The file is not a wallet file, or is damaged, or not the state's.
    #[error("not a wallet of this state: {0}")]
    MalformedWallet(String),
    /// The block was made for another state.
    #[error("the block's pre-state is not this state (root {block} against {state})")]
    OtherState {
        /// The block's pre-state root.
        block: String,
        /// This state's root.
        state: String,
    },
    /// The block was made for another rollup.
    #[error("the block is for chain {block}, the state for chain {state}")]
    OtherChain {
        /// The block's chain id.
        block: u32,
        /// The state's chain id.
        state: u32,
    },
    /// No account's key can sign its next transfer.
    #[error(
        "no account can send: every key's active range is used up, and no key rotation was made before it (a rotation is signed with a key's last one-time key)"
    )]
    KeysUsedUp,
    /// A key rotation was asked for that cannot be made.
    #[error("cannot rotate the key of account {index}: {reason}")]
    CannotRotate {
        /// The account.
        index: u32,
        /// Why.
        reason: String,
    },
    /// A transfer is invalid.
    #[error("{0}")]
    Refused(String),
}

fn word(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn long(bytes: &[u8], at: usize) -> u64 {
    u64::from(word(bytes, at)) | (u64::from(word(bytes, at + 4)) << 32)
}

/// Checks a file's header (magic, version) and size for `n` records of `record` bytes; returns
/// the chain id and n.
fn header(
    bytes: &[u8],
    magic: &[u8; 8],
    version: u32,
    record: usize,
) -> Result<(u32, usize), String> {
    if bytes.len() < HEADER || &bytes[..8] != magic {
        return Err(format!(
            "it does not start with {}",
            String::from_utf8_lossy(magic)
        ));
    }
    if word(bytes, 8) != version {
        return Err(format!("version {}, expected {version}", word(bytes, 8)));
    }
    let n = word(bytes, 16) as usize;
    if n > MAX_ACCOUNTS {
        return Err(format!("{n} accounts, at most {MAX_ACCOUNTS}"));
    }
    if bytes.len() != HEADER + n * record {
        return Err(format!(
            "{} bytes, {n} accounts take {}",
            bytes.len(),
            HEADER + n * record
        ));
    }
    Ok((word(bytes, 12), n))
}

fn header_bytes(magic: &[u8; 8], version: u32, chain_id: u32, n: usize) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.extend(version.to_le_bytes());
    out.extend(chain_id.to_le_bytes());
    out.extend((n as u32).to_le_bytes());
    out
}

impl State {
    /// The accounts as a block lists them.
    pub fn accounts(&self) -> Vec<(u32, Account)> {
        self.accounts.iter().map(|(&i, &a)| (i, a)).collect()
    }

    /// The state's root.
    pub fn root(&self) -> Digest {
        super::Tree::new(self.accounts()).root()
    }

    /// The state after `block`, which must have been made for this state and chain.
    pub fn apply(&self, block: &Block) -> Result<Applied, WalletError> {
        if block.chain_id != self.chain_id {
            return Err(WalletError::OtherChain {
                block: block.chain_id,
                state: self.chain_id,
            });
        }
        if block.accounts != self.accounts() {
            let root = |accounts: &[(u32, Account)]| {
                digest_hex(&super::Tree::new(accounts.iter().copied()).root())
            };
            return Err(WalletError::OtherState {
                block: root(&block.accounts),
                state: root(&self.accounts()),
            });
        }
        let (old_root, _, tree) = block
            .apply()
            .map_err(|r: Refused| WalletError::Refused(r.to_string()))?;
        let accounts = tree.accounts().map(|(i, &a)| (i, a)).collect();
        Ok(Applied {
            state: Self {
                chain_id: self.chain_id,
                accounts,
            },
            old_root,
            new_root: tree.root(),
        })
    }

    /// The state file: `L2XSTATE`, version, chain id, count (u32 LE each), then per account
    /// index (u32), balance, nonce (u64), public key (eight u32), all little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.accounts.len();
        let mut out = header_bytes(STATE_MAGIC, STATE_VERSION, self.chain_id, n);
        for (i, a) in &self.accounts {
            out.extend(i.to_le_bytes());
            out.extend(a.balance.to_le_bytes());
            out.extend(a.nonce.to_le_bytes());
            out.extend(digest_to_bytes(&a.key));
        }
        out
    }

    /// Reads a state file (see [`State::to_bytes`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, WalletError> {
        let bad = WalletError::MalformedState;
        let (chain_id, _) =
            header(bytes, STATE_MAGIC, STATE_VERSION, ACCOUNT_RECORD).map_err(bad)?;
        let mut accounts = BTreeMap::new();
        for r in bytes[HEADER..].chunks_exact(ACCOUNT_RECORD) {
            let index = word(r, 0);
            let key = digest_from_bytes(&r[20..])
                .ok_or_else(|| bad(format!("the key of account {index} is not field elements")))?;
            let account = Account {
                balance: long(r, 4),
                nonce: long(r, 12),
                key,
            };
            if accounts.insert(index, account).is_some() {
                return Err(bad(format!("account {index} appears twice")));
            }
        }
        Ok(Self { chain_id, accounts })
    }
}

impl Wallet {
    /// `n` accounts at distinct random indices, with random balances below 2^40, nonce 0 and
    /// keys for nonces 0 to [`DEFAULT_EPOCHS`] − 1, all drawn from `seed`, on chain
    /// [`DEFAULT_CHAIN_ID`].
    pub fn genesis(n: usize, seed: u64) -> Self {
        Self::genesis_with(n, seed, DEFAULT_EPOCHS, DEFAULT_CHAIN_ID)
    }

    /// As [`Wallet::genesis`], with keys for nonces 0 to `epochs` − 1 (generating a key costs
    /// each of its one-time keys, about a quarter of a millisecond each) on chain `chain_id`.
    /// `epochs` is taken between 1 and [`MAX_EPOCHS`].
    pub fn genesis_with(n: usize, seed: u64, epochs: u32, chain_id: u32) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let range = ActiveRange::new(0, epochs.clamp(1, MAX_EPOCHS))
            .expect("a range of at most 2^20 epochs from 0 is within the lifetime");
        let mut drawn = BTreeMap::new();
        while drawn.len() < n.min(MAX_ACCOUNTS) {
            let balance = rng.random_range(1..1u64 << 40);
            let seed = Seed::from_bytes(rng.random());
            drawn.entry(rng.random::<u32>()).or_insert((balance, seed));
        }
        // One key per account, the accounts on all cores (a key of few epochs has little to
        // share out on its own).
        let drawn: Vec<(u32, (u64, Seed))> = drawn.into_iter().collect();
        let accounts = drawn
            .into_par_iter()
            .map(|(index, (balance, seed))| {
                let key = SecretKey::generate(&seed, range);
                let holding = Holding {
                    balance,
                    nonce: 0,
                    key,
                    seed,
                };
                (index, holding)
            })
            .collect();
        Self { chain_id, accounts }
    }

    /// The public state: balances, nonces and public keys.
    pub fn public_state(&self) -> State {
        let accounts = self
            .accounts
            .iter()
            .map(|(&i, h)| {
                let account = Account {
                    balance: h.balance,
                    nonce: h.nonce,
                    key: h.key.public_key().to_elements(),
                };
                (i, account)
            })
            .collect();
        State {
            chain_id: self.chain_id,
            accounts,
        }
    }

    /// The state's accounts as a block lists them (public keys, not secrets).
    pub fn state(&self) -> Vec<(u32, Account)> {
        self.public_state().accounts()
    }

    /// The transfer of `amount` from `from` to `to`, signed by `from`'s key at its current
    /// nonce; `None` if `from` is not in the wallet or its key cannot sign that nonce.
    pub fn sign(&self, from: u32, to: u32, amount: u64) -> Option<Transfer> {
        let sender = self.accounts.get(&from)?;
        let epoch = u32::try_from(sender.nonce).ok()?;
        let message = super::state::message(self.chain_id, from, to, amount);
        let signature = sender.key.sign(epoch, &message).ok()?;
        Some(Transfer {
            from,
            to,
            amount,
            nonce: sender.nonce,
            signature: Box::new(signature),
            new_key: None,
        })
    }

    /// The key rotation of `from` to the key of `seed` for the `epochs` nonces after its
    /// current one, signed by its current key at its nonce (that key's last use), and the
    /// holding it leaves: `None` if `from` is not in the wallet, its key cannot sign its nonce,
    /// or the new range would pass the lifetime.
    pub fn rotation(&self, from: u32, seed: Seed, epochs: u32) -> Option<(Transfer, Holding)> {
        let sender = self.accounts.get(&from)?;
        let epoch = u32::try_from(sender.nonce).ok()?;
        let range = ActiveRange::new(epoch.checked_add(1)?, epochs.clamp(1, MAX_EPOCHS)).ok()?;
        let key = SecretKey::generate(&seed, range);
        let new_key = key.public_key().to_elements();
        let message = super::state::rotation_message(self.chain_id, from, &new_key);
        let signature = sender.key.sign(epoch, &message).ok()?;
        let rotation = Transfer {
            from,
            to: from,
            amount: 0,
            nonce: sender.nonce,
            signature: Box::new(signature),
            new_key: Some(new_key),
        };
        let holding = Holding {
            balance: sender.balance,
            nonce: sender.nonce + 1,
            key,
            seed,
        };
        Some((rotation, holding))
    }

    /// A block of one key rotation: account `index` moves to a new key for `epochs` nonces
    /// from its next one (`None`: as many as its key covers now), signed with its key at its
    /// current nonce (the one-time keys after it are given up). The new key's seed is the old
    /// one's XOR 32 bytes drawn from `seed`, so it is as secret as the old one and differs
    /// per account. Returns the block and the wallet after it.
    pub fn rotation_block(
        &self,
        index: u32,
        seed: u64,
        epochs: Option<u32>,
    ) -> Result<(Block, Wallet), WalletError> {
        let refuse = |reason: String| WalletError::CannotRotate { index, reason };
        let holding = self
            .accounts
            .get(&index)
            .ok_or_else(|| refuse("no such account in the state".into()))?;
        let range = holding.key.range();
        if !range.contains(holding.nonce) {
            return Err(refuse(format!(
                "its key covers nonces {} to {}, its nonce is {}: no one-time key is left to sign a rotation",
                range.start(),
                range.end() - 1,
                holding.nonce
            )));
        }
        let drawn: [u8; SEED_BYTES] = StdRng::seed_from_u64(seed).random();
        let old = holding.seed.as_bytes();
        let new_seed = Seed::from_bytes(std::array::from_fn(|k| old[k] ^ drawn[k]));
        let epochs = epochs.unwrap_or(range.len());
        let (rotation, after) = self.rotation(index, new_seed, epochs).ok_or_else(|| {
            refuse(format!(
                "a range of {epochs} nonces from {} passes the keys' lifetime",
                holding.nonce + 1
            ))
        })?;
        let mut wallet = self.clone();
        wallet.accounts.insert(index, after);
        let block = Block {
            chain_id: self.chain_id,
            accounts: self.state(),
            transfers: vec![rotation],
        };
        Ok((block, wallet))
    }

    /// A block of `m` random valid signed transfers on this state, drawn from `seed`: a random
    /// sender among the accounts whose key can still sign, a random receiver (possibly the
    /// same), an amount up to a quarter of the sender's balance. No key is rotated: refused if
    /// at some transfer no key can sign.
    pub fn random_block(&self, m: usize, seed: u64) -> Result<Block, WalletError> {
        self.draw(m, seed, false).map(|(block, _)| block)
    }

    /// As [`Wallet::random_block`], except that a sender drawn at the last nonce its key
    /// covers rotates its key instead (to a new key from a random seed, for as many nonces
    /// as the old one covered, at least two): keys never run out. Returns the block and the wallet after it,
    /// which holds the new keys' seeds.
    pub fn random_block_rotating(
        &self,
        m: usize,
        seed: u64,
    ) -> Result<(Block, Wallet), WalletError> {
        self.draw(m, seed, true)
    }

    fn draw(&self, m: usize, seed: u64, rotate: bool) -> Result<(Block, Wallet), WalletError> {
        let mut rng = StdRng::seed_from_u64(seed);
        let indices: Vec<u32> = self.accounts.keys().copied().collect();
        let mut live = self.clone();
        let mut transfers = Vec::with_capacity(m);
        let can_sign = |h: &Holding| h.key.range().contains(h.nonce);
        let last_key = |h: &Holding| h.nonce + 1 == u64::from(h.key.range().end());
        // The accounts that can still sign, in index order; only a sender's nonce moves, so
        // only a sender can leave the list.
        let mut senders: Vec<u32> = indices
            .iter()
            .copied()
            .filter(|i| can_sign(&live.accounts[i]))
            .collect();
        for _ in 0..m {
            if senders.is_empty() {
                return Err(WalletError::KeysUsedUp);
            }
            let from = senders[rng.random_range(0..senders.len())];
            if rotate && last_key(&live.accounts[&from]) {
                // At least two: one to transfer, one to rotate again.
                let epochs = live.accounts[&from].key.range().len().max(2);
                let (rotation, holding) = live
                    .rotation(from, Seed::from_bytes(rng.random()), epochs)
                    .ok_or(WalletError::KeysUsedUp)?;
                live.accounts.insert(from, holding);
                transfers.push(rotation);
                continue;
            }
            let to = indices[rng.random_range(0..indices.len())];
            let amount = rng.random_range(0..=live.accounts[&from].balance / 4);
            let transfer = live
                .sign(from, to, amount)
                .expect("the sender's key covers its nonce");
            let s = live.accounts.get_mut(&from).expect("the sender exists");
            s.balance -= amount;
            s.nonce += 1;
            if !can_sign(s) {
                senders.retain(|&i| i != from);
            }
            live.accounts
                .get_mut(&to)
                .expect("the receiver exists")
                .balance += amount;
            transfers.push(transfer);
        }
        let block = Block {
            chain_id: self.chain_id,
            accounts: self.state(),
            transfers,
        };
        Ok((block, live))
    }

    /// The wallet file (the secrets): `L2XWALLT`, version, chain id, count (u32 LE each), then
    /// per account index (u32), seed (32 bytes), the key's first epoch and number of epochs
    /// (u32 LE each). Whoever holds it can sign for every account in it.
    pub fn keys_bytes(&self) -> Vec<u8> {
        let n = self.accounts.len();
        let mut out = header_bytes(WALLET_MAGIC, WALLET_VERSION, self.chain_id, n);
        for (i, h) in &self.accounts {
            out.extend(i.to_le_bytes());
            out.extend(h.seed.as_bytes());
            out.extend(h.key.range().start().to_le_bytes());
            out.extend(h.key.range().len().to_le_bytes());
        }
        out
    }

    /// The wallet of `state` whose secrets are the wallet file `keys` (see
    /// [`Wallet::keys_bytes`]): every account of the state needs its key, and each key,
    /// generated again from its seed, must be the one in the state.
    pub fn open(state: &State, keys: &[u8]) -> Result<Self, WalletError> {
        let bad = WalletError::MalformedWallet;
        let (chain_id, n) = header(keys, WALLET_MAGIC, WALLET_VERSION, KEY_RECORD).map_err(bad)?;
        if chain_id != state.chain_id {
            return Err(bad(format!(
                "its chain id is {chain_id}, the state's {}",
                state.chain_id
            )));
        }
        if n != state.accounts.len() {
            return Err(bad(format!(
                "it holds {n} keys, the state has {} accounts",
                state.accounts.len()
            )));
        }
        let mut records = Vec::with_capacity(n);
        for r in keys[HEADER..].chunks_exact(KEY_RECORD) {
            let index = word(r, 0);
            let account = state
                .accounts
                .get(&index)
                .ok_or_else(|| bad(format!("account {index} is not in the state")))?;
            let seed = Seed::from_bytes(std::array::from_fn(|k| r[4 + k]));
            let at = 4 + SEED_BYTES;
            let range = ActiveRange::new(word(r, at), word(r, at + 4))
                .map_err(|e| bad(format!("the key of account {index}: {e}")))?;
            records.push((index, account, seed, range));
        }
        // Every key generated again, the accounts on all cores; then checked in file order.
        let keys: Vec<SecretKey> = records
            .par_iter()
            .map(|(_, _, seed, range)| SecretKey::generate(seed, *range))
            .collect();
        let mut accounts = BTreeMap::new();
        for ((index, account, seed, _), key) in records.into_iter().zip(keys) {
            if key.public_key().to_elements() != account.key {
                return Err(bad(format!(
                    "the key of account {index} is not the one in the state (after a key rotation, sign with the wallet written beside its block)"
                )));
            }
            let holding = Holding {
                balance: account.balance,
                nonce: account.nonce,
                key,
                seed,
            };
            if accounts.insert(index, holding).is_some() {
                return Err(bad(format!("account {index} appears twice")));
            }
        }
        Ok(Self { chain_id, accounts })
    }
}
