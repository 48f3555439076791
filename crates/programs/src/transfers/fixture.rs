//! Test and benchmark states and blocks: a [`Wallet`] holds a state's accounts *with their
//! keys* (as only a test fixture or a custodial sequencer would), makes random valid blocks and
//! applies them. Its file form is what `l2x rollup` reads and writes.

use std::collections::BTreeMap;

use l2x_air::Val;
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::default_koalabear_poseidon2_16;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::state::{Account, Block, MAX_ACCOUNTS, Refused, Transfer, owner_hash};
use crate::poseidon2::columns::DIGEST;
use crate::poseidon2::{Digest, digest_from_bytes, digest_to_bytes};

/// The first bytes of a wallet file.
pub const MAGIC: &[u8; 8] = b"L2XSTATE";
/// The wallet file's format version.
pub const VERSION: u32 = 1;
/// Bytes of an account in a wallet file: index, balance, nonce, key.
const RECORD: usize = 4 + 8 + 8 + 4 * DIGEST;

/// An account with the key that controls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holding {
    /// The balance.
    pub balance: u64,
    /// The nonce.
    pub nonce: u64,
    /// The key (its owner hash is in the state).
    pub key: Digest,
}

/// A state with every account's key, by index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wallet {
    /// The accounts.
    pub accounts: BTreeMap<u32, Holding>,
}

/// A wallet after a block, with the state roots before and after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The state after the block.
    pub wallet: Wallet,
    /// The root before.
    pub old_root: Digest,
    /// The root after.
    pub new_root: Digest,
}

/// Why a wallet file or a block could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// The file is not a wallet, or is damaged.
    #[error("not a state file: {0}")]
    Malformed(String),
    /// The block was made for another state.
    #[error("the block's pre-state is not this state (root {block} against {state})")]
    OtherState {
        /// The block's pre-state root.
        block: String,
        /// This state's root.
        state: String,
    },
    /// A transfer is invalid.
    #[error("{0}")]
    Refused(String),
}

fn random_digest(rng: &mut StdRng) -> Digest {
    std::array::from_fn(|_| Val::from_u32(rng.random_range(0..Val::ORDER_U32)))
}

impl Wallet {
    /// `n` accounts at distinct random indices, with random balances below 2^40, nonce 0 and
    /// random keys, all drawn from `seed`.
    pub fn genesis(n: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut accounts = BTreeMap::new();
        while accounts.len() < n.min(MAX_ACCOUNTS) {
            let holding = Holding {
                balance: rng.random_range(1..1u64 << 40),
                nonce: 0,
                key: random_digest(&mut rng),
            };
            accounts.entry(rng.random::<u32>()).or_insert(holding);
        }
        Self { accounts }
    }

    /// The state's accounts as a block lists them (owner hashes, not keys).
    pub fn state(&self) -> Vec<(u32, Account)> {
        let perm = default_koalabear_poseidon2_16();
        self.accounts
            .iter()
            .map(|(&i, h)| {
                let account = Account {
                    balance: h.balance,
                    nonce: h.nonce,
                    owner: owner_hash(&perm, &h.key),
                };
                (i, account)
            })
            .collect()
    }

    /// A block of `m` random valid transfers on this state, drawn from `seed`: random sender
    /// and receiver (possibly the same), an amount up to a quarter of the sender's balance.
    pub fn random_block(&self, m: usize, seed: u64) -> Block {
        let mut rng = StdRng::seed_from_u64(seed);
        let indices: Vec<u32> = self.accounts.keys().copied().collect();
        let mut live = self.accounts.clone();
        let mut transfers = Vec::with_capacity(m);
        if !indices.is_empty() {
            for _ in 0..m {
                let from = indices[rng.random_range(0..indices.len())];
                let to = indices[rng.random_range(0..indices.len())];
                let sender = live[&from];
                let amount = rng.random_range(0..=sender.balance / 4);
                transfers.push(Transfer {
                    from,
                    to,
                    amount,
                    nonce: sender.nonce,
                    key: sender.key,
                });
                let s = live.get_mut(&from).expect("the sender exists");
                s.balance -= amount;
                s.nonce += 1;
                live.get_mut(&to).expect("the receiver exists").balance += amount;
            }
        }
        Block {
            accounts: self.state(),
            transfers,
        }
    }

    /// The state after `block`, which must have been made for this state.
    pub fn apply(&self, block: &Block) -> Result<Applied, WalletError> {
        let state = self.state();
        if block.accounts != state {
            let root = |accounts: &[(u32, Account)]| {
                crate::poseidon2::digest_hex(&super::Tree::new(accounts.iter().copied()).root())
            };
            return Err(WalletError::OtherState {
                block: root(&block.accounts),
                state: root(&state),
            });
        }
        let (old_root, _, tree) = block
            .apply()
            .map_err(|r: Refused| WalletError::Refused(r.to_string()))?;
        let accounts = self
            .accounts
            .iter()
            .map(|(&i, h)| {
                let a = tree.account(i).expect("transfers keep every account");
                let holding = Holding {
                    balance: a.balance,
                    nonce: a.nonce,
                    key: h.key,
                };
                (i, holding)
            })
            .collect();
        Ok(Applied {
            wallet: Self { accounts },
            old_root,
            new_root: tree.root(),
        })
    }

    /// The wallet file: magic, version (u32 LE), count (u32 LE), then per account index (u32),
    /// balance, nonce (u64), key (eight u32), all little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.accounts.len() * RECORD);
        out.extend(MAGIC);
        out.extend(VERSION.to_le_bytes());
        out.extend((self.accounts.len() as u32).to_le_bytes());
        for (i, h) in &self.accounts {
            out.extend(i.to_le_bytes());
            out.extend(h.balance.to_le_bytes());
            out.extend(h.nonce.to_le_bytes());
            out.extend(digest_to_bytes(&h.key));
        }
        out
    }

    /// Reads a wallet file (see [`Wallet::to_bytes`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, WalletError> {
        let bad = |r: String| WalletError::Malformed(r);
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(bad("it does not start with L2XSTATE".into()));
        }
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        if word(8) != VERSION {
            return Err(bad(format!("version {}, expected {VERSION}", word(8))));
        }
        let n = word(12) as usize;
        if n > MAX_ACCOUNTS {
            return Err(bad(format!("{n} accounts, at most {MAX_ACCOUNTS}")));
        }
        if bytes.len() != 16 + n * RECORD {
            return Err(bad(format!(
                "{} bytes, {n} accounts take {}",
                bytes.len(),
                16 + n * RECORD
            )));
        }
        let mut accounts = BTreeMap::new();
        for r in bytes[16..].chunks_exact(RECORD) {
            let index = u32::from_le_bytes([r[0], r[1], r[2], r[3]]);
            let u64_at = |at: usize| u64::from_le_bytes(std::array::from_fn(|k| r[at + k]));
            let key = digest_from_bytes(&r[20..])
                .ok_or_else(|| bad(format!("the key of account {index} is not field elements")))?;
            let holding = Holding {
                balance: u64_at(4),
                nonce: u64_at(12),
                key,
            };
            if accounts.insert(index, holding).is_some() {
                return Err(bad(format!("account {index} appears twice")));
            }
        }
        Ok(Self { accounts })
    }
}
