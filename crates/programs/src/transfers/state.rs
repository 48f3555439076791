//! The rollup's state and blocks, natively: accounts as leaves of a sparse Poseidon2 Merkle
//! tree of depth [`DEPTH`], and transfers applied to it one after the other.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use l2x_air::Val;
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{Poseidon2KoalaBear, default_koalabear_poseidon2_16};

use crate::poseidon2::columns::DIGEST;
use crate::poseidon2::{Digest, compress, digest_from_bytes, digest_to_bytes};

/// Levels of the state tree: an account's index is any u32.
pub const DEPTH: usize = 32;
/// The most accounts a block's pre-state may list.
pub const MAX_ACCOUNTS: usize = 1 << 16;
/// The most transfers in a block.
pub const MAX_TRANSFERS: usize = 2048;
/// Bytes of an account in a block: index u32, balance u64, nonce u64, owner hash.
pub const ACCOUNT_BYTES: usize = 4 + 8 + 8 + 4 * DIGEST;
/// Bytes of a transfer in a block: from u32, to u32, amount u64, nonce u64, the sender's key.
pub const TRANSFER_BYTES: usize = PUBLISHED_TRANSFER_BYTES + 4 * DIGEST;
/// Bytes of a transfer as published (in a blob): from, to, amount, nonce — not the key.
pub const PUBLISHED_TRANSFER_BYTES: usize = 4 + 4 + 8 + 8;

/// An account: the leaf at its index is `Poseidon2(balance limbs ‖ nonce limbs ‖ owner)[0..8]`
/// (see [`Account::leaf`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    /// The balance.
    pub balance: u64,
    /// How many transfers the account has sent.
    pub nonce: u64,
    /// The owner hash: `Poseidon2(key ‖ 0)[0..8]` of the owner's key (see [`owner_hash`]).
    pub owner: Digest,
}

/// A transfer, with the key that authorises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// The sender's index.
    pub from: u32,
    /// The receiver's index.
    pub to: u32,
    /// The amount moved.
    pub amount: u64,
    /// The sender's nonce before this transfer.
    pub nonce: u64,
    /// The sender's key: a preimage of the sender's owner hash.
    pub key: Digest,
}

/// A block as the `transfers` program reads it: the accounts of the state it applies to, then
/// the transfers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Block {
    /// The pre-state's accounts, by ascending index.
    pub accounts: Vec<(u32, Account)>,
    /// The transfers, in order.
    pub transfers: Vec<Transfer>,
}

/// Why a block is refused: the transfer at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The position of the transfer in the block (from 0).
    pub position: usize,
    /// The transfer.
    pub transfer: Transfer,
    /// What is wrong.
    pub fault: Fault,
}

/// What makes a transfer invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No account has this index.
    UnknownAccount(u32),
    /// The sender's balance is below the amount.
    Overdraft {
        /// The sender's balance.
        balance: u64,
    },
    /// The receiver's balance plus the amount is above u64::MAX.
    Overflow {
        /// The receiver's balance.
        balance: u64,
    },
    /// The transfer's nonce is not the sender's.
    WrongNonce {
        /// The sender's nonce.
        expected: u64,
    },
    /// The sender's nonce is u64::MAX: it cannot send again.
    NonceExhausted,
    /// The key is not a preimage of the sender's owner hash.
    WrongKey,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.transfer;
        write!(
            f,
            "transfer {} ({} -> {}, amount {}, nonce {}): ",
            self.position, t.from, t.to, t.amount, t.nonce
        )?;
        match self.fault {
            Fault::UnknownAccount(index) => write!(f, "unknown account {index}"),
            Fault::Overdraft { balance } => write!(f, "overdraft: the sender holds {balance}"),
            Fault::Overflow { balance } => write!(
                f,
                "overflow: the receiver holds {balance}, the sum exceeds u64::MAX"
            ),
            Fault::WrongNonce { expected } => {
                write!(f, "wrong nonce: the sender's nonce is {expected}")
            }
            Fault::NonceExhausted => write!(f, "the sender's nonce is u64::MAX"),
            Fault::WrongKey => write!(f, "the key is not the sender's (owner hash mismatch)"),
        }
    }
}

/// The owner hash of `key`: `Poseidon2(key ‖ 0)[0..8]`.
pub fn owner_hash(perm: &Poseidon2KoalaBear<16>, key: &Digest) -> Digest {
    compress(perm, key, &[Val::ZERO; DIGEST])
}

/// The four 16-bit limbs of `x`, least significant first.
pub fn limbs(x: u64) -> [u16; 4] {
    std::array::from_fn(|k| (x >> (16 * k)) as u16)
}

impl Account {
    /// The leaf: `Poseidon2(balance limbs ‖ nonce limbs ‖ owner)[0..8]`, limbs of 16 bits, least
    /// significant first.
    pub fn leaf(&self, perm: &Poseidon2KoalaBear<16>) -> Digest {
        compress(perm, &self.values(), &self.owner)
    }

    /// The left half of the leaf's compression: balance limbs then nonce limbs.
    pub fn values(&self) -> Digest {
        let (b, n) = (limbs(self.balance), limbs(self.nonce));
        std::array::from_fn(|j| Val::from_u16(if j < 4 { b[j] } else { n[j - 4] }))
    }
}

/// The sparse Merkle tree of a state: every index without an account holds the zero leaf, and
/// an empty subtree's root is the compression of two empty subtrees one level down.
#[derive(Clone)]
pub struct Tree {
    perm: Poseidon2KoalaBear<16>,
    accounts: BTreeMap<u32, Account>,
    /// Non-empty nodes per level, level 0 the leaves and level [`DEPTH`] the root.
    nodes: Vec<HashMap<u32, Digest>>,
    /// The root of an empty subtree at each level.
    empty: [Digest; DEPTH + 1],
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree")
            .field("accounts", &self.accounts.len())
            .finish_non_exhaustive()
    }
}

impl Tree {
    /// The tree of `accounts`, built level by level (one compression per non-empty node).
    pub fn new(accounts: impl IntoIterator<Item = (u32, Account)>) -> Self {
        let perm = default_koalabear_poseidon2_16();
        let mut empty = [[Val::ZERO; DIGEST]; DEPTH + 1];
        for level in 1..=DEPTH {
            empty[level] = compress(&perm, &empty[level - 1], &empty[level - 1]);
        }
        let accounts: BTreeMap<u32, Account> = accounts.into_iter().collect();
        let mut nodes = vec![HashMap::new(); DEPTH + 1];
        nodes[0] = accounts.iter().map(|(&i, a)| (i, a.leaf(&perm))).collect();
        for level in 0..DEPTH {
            let mut parents: Vec<u32> = nodes[level].keys().map(|&i| i >> 1).collect();
            parents.sort_unstable();
            parents.dedup();
            let below = &nodes[level];
            let node = |i: u32| below.get(&i).copied().unwrap_or(empty[level]);
            let above: HashMap<u32, Digest> = parents
                .into_iter()
                .map(|p| (p, compress(&perm, &node(2 * p), &node(2 * p + 1))))
                .collect();
            nodes[level + 1] = above;
        }
        Self {
            perm,
            accounts,
            nodes,
            empty,
        }
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.node(DEPTH, 0)
    }

    fn node(&self, level: usize, index: u32) -> Digest {
        self.nodes[level]
            .get(&index)
            .copied()
            .unwrap_or(self.empty[level])
    }

    /// The account at `index`, if there is one.
    pub fn account(&self, index: u32) -> Option<&Account> {
        self.accounts.get(&index)
    }

    /// The accounts, by ascending index.
    pub fn accounts(&self) -> impl Iterator<Item = (u32, &Account)> {
        self.accounts.iter().map(|(&i, a)| (i, a))
    }

    /// The siblings of the leaf at `index`, from the leaf's level up.
    pub fn siblings(&self, index: u32) -> [Digest; DEPTH] {
        std::array::from_fn(|level| self.node(level, (index >> level) ^ 1))
    }

    /// Puts `account` at `index` and updates the path to the root.
    pub fn set(&mut self, index: u32, account: Account) {
        self.accounts.insert(index, account);
        self.set_leaf(index, account.leaf(&self.perm));
    }

    /// Puts a raw `leaf` at `index` (the account map is left as it is) and updates the path to
    /// the root. Tests that forge witnesses build their trees with it.
    pub fn set_leaf(&mut self, index: u32, leaf: Digest) {
        let mut node = leaf;
        for level in 0..DEPTH {
            let i = index >> level;
            self.nodes[level].insert(i, node);
            let sibling = self.node(level, i ^ 1);
            node = if i & 1 == 1 {
                compress(&self.perm, &sibling, &node)
            } else {
                compress(&self.perm, &node, &sibling)
            };
        }
        self.nodes[DEPTH].insert(0, node);
    }

    /// The permutation the tree hashes with.
    pub fn permutation(&self) -> &Poseidon2KoalaBear<16> {
        &self.perm
    }
}

/// One applied transfer, as the tables need it: the accounts before and after, and each leaf's
/// siblings at the moment it is updated (the sender's under the root before the transfer, the
/// receiver's under the root after the sender's update).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The transfer.
    pub transfer: Transfer,
    /// The sender before and after.
    pub sender: (Account, Account),
    /// The receiver before and after (after the sender's update when they are the same account).
    pub receiver: (Account, Account),
    /// The sender leaf's siblings.
    pub sender_siblings: [Digest; DEPTH],
    /// The receiver leaf's siblings.
    pub receiver_siblings: [Digest; DEPTH],
}

/// Applies one transfer to `tree`, or says why it is invalid (leaving `tree` as it was).
pub fn apply(tree: &mut Tree, t: &Transfer) -> Result<Step, Fault> {
    let sender = *tree.account(t.from).ok_or(Fault::UnknownAccount(t.from))?;
    if tree.account(t.to).is_none() {
        return Err(Fault::UnknownAccount(t.to));
    }
    if owner_hash(tree.permutation(), &t.key) != sender.owner {
        return Err(Fault::WrongKey);
    }
    if t.nonce != sender.nonce {
        return Err(Fault::WrongNonce {
            expected: sender.nonce,
        });
    }
    let nonce = sender.nonce.checked_add(1).ok_or(Fault::NonceExhausted)?;
    let balance = sender
        .balance
        .checked_sub(t.amount)
        .ok_or(Fault::Overdraft {
            balance: sender.balance,
        })?;
    // The receiver as it is once the sender has paid (the same account for a self-transfer).
    let receiver = if t.to == t.from {
        Account {
            balance,
            nonce,
            ..sender
        }
    } else {
        *tree.account(t.to).ok_or(Fault::UnknownAccount(t.to))?
    };
    let received = receiver
        .balance
        .checked_add(t.amount)
        .ok_or(Fault::Overflow {
            balance: receiver.balance,
        })?;
    let sender_after = Account {
        balance,
        nonce,
        ..sender
    };
    let receiver_after = Account {
        balance: received,
        ..receiver
    };
    let sender_siblings = tree.siblings(t.from);
    tree.set(t.from, sender_after);
    let receiver_siblings = tree.siblings(t.to);
    tree.set(t.to, receiver_after);
    Ok(Step {
        transfer: *t,
        sender: (sender, sender_after),
        receiver: (receiver, receiver_after),
        sender_siblings,
        receiver_siblings,
    })
}

/// The commitment to a block's transfers: from c = 0, for each transfer
/// c ← Poseidon2(Poseidon2(c ‖ from, to, amount) ‖ nonce)[0..8], every number in 16-bit limbs
/// (see [`commitment_blocks`]). The key is not part of it.
pub fn commitment<'a>(transfers: impl IntoIterator<Item = &'a Transfer>) -> Digest {
    let perm = default_koalabear_poseidon2_16();
    transfers.into_iter().fold([Val::ZERO; DIGEST], |c, t| {
        let [first, second] = commitment_blocks(t);
        let mid = compress(&perm, &c, &first);
        compress(&perm, &mid, &second)
    })
}

/// The two blocks a transfer adds to the commitment: (from lo, from hi, to lo, to hi, amount's
/// four limbs) and (nonce's four limbs, four zeros).
pub fn commitment_blocks(t: &Transfer) -> [Digest; 2] {
    let halves = |x: u32| [x as u16, (x >> 16) as u16];
    let first: Vec<u16> = halves(t.from)
        .into_iter()
        .chain(halves(t.to))
        .chain(limbs(t.amount))
        .collect();
    let nonce = limbs(t.nonce);
    [
        std::array::from_fn(|j| Val::from_u16(first[j])),
        std::array::from_fn(|j| Val::from_u16(if j < 4 { nonce[j] } else { 0 })),
    ]
}

/// A transfer's published bytes: from, to (u32 LE), amount, nonce (u64 LE).
pub fn published_bytes(t: &Transfer) -> [u8; PUBLISHED_TRANSFER_BYTES] {
    let mut out = [0; PUBLISHED_TRANSFER_BYTES];
    out[..4].copy_from_slice(&t.from.to_le_bytes());
    out[4..8].copy_from_slice(&t.to.to_le_bytes());
    out[8..16].copy_from_slice(&t.amount.to_le_bytes());
    out[16..24].copy_from_slice(&t.nonce.to_le_bytes());
    out
}

/// The commitment of published transfer bytes (a whole number of
/// [`PUBLISHED_TRANSFER_BYTES`] records), or `None` if the length is not one.
pub fn commitment_of_published(bytes: &[u8]) -> Option<(Digest, usize)> {
    if !bytes.len().is_multiple_of(PUBLISHED_TRANSFER_BYTES) {
        return None;
    }
    let transfers: Vec<Transfer> = bytes
        .chunks_exact(PUBLISHED_TRANSFER_BYTES)
        .map(|r| Transfer {
            from: u32_at(r, 0),
            to: u32_at(r, 4),
            amount: u64_at(r, 8),
            nonce: u64_at(r, 16),
            key: [Val::ZERO; DIGEST],
        })
        .collect();
    Some((commitment(&transfers), transfers.len()))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32_at(b, at)) | (u64::from(u32_at(b, at + 4)) << 32)
}

/// Why block bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The bytes do not have the block's layout.
    #[error("not a block: {0}")]
    Malformed(String),
    /// A count is above its limit.
    #[error("{what} is {value}, the limit is {limit}")]
    TooLarge {
        /// What is counted.
        what: &'static str,
        /// The count given.
        value: u64,
        /// The limit.
        limit: u64,
    },
}

impl Block {
    /// Reads a block: u32 LE account count, the accounts ([`ACCOUNT_BYTES`] each, by strictly
    /// ascending index), u32 LE transfer count, the transfers ([`TRANSFER_BYTES`] each).
    /// Digests are eight u32 LE elements below the field's modulus.
    pub fn parse(input: &[u8]) -> Result<Self, ParseError> {
        let malformed = |r: String| ParseError::Malformed(r);
        let count = |at: usize, what: &'static str, limit: usize| {
            if input.len() < at + 4 {
                return Err(malformed(format!(
                    "{} bytes end before {what} at byte {at}",
                    input.len()
                )));
            }
            let n = u32_at(input, at) as usize;
            if n > limit {
                return Err(ParseError::TooLarge {
                    what,
                    value: n as u64,
                    limit: limit as u64,
                });
            }
            Ok(n)
        };
        let n = count(0, "the number of accounts", MAX_ACCOUNTS)?;
        let accounts_end = 4 + n * ACCOUNT_BYTES;
        let m = count(accounts_end, "the number of transfers", MAX_TRANSFERS)?;
        let expected = accounts_end + 4 + m * TRANSFER_BYTES;
        if input.len() != expected {
            return Err(malformed(format!(
                "{} bytes, a block of {n} accounts and {m} transfers takes {expected}",
                input.len()
            )));
        }
        let digest = |b: &[u8], what: &str, i: usize| {
            digest_from_bytes(b).ok_or_else(|| {
                malformed(format!(
                    "{what} {i} has an element not below the field's modulus"
                ))
            })
        };
        let mut accounts: Vec<(u32, Account)> = Vec::with_capacity(n);
        for (i, r) in input[4..accounts_end]
            .chunks_exact(ACCOUNT_BYTES)
            .enumerate()
        {
            let index = u32_at(r, 0);
            if accounts.last().is_some_and(|&(last, _)| last >= index) {
                return Err(malformed(format!(
                    "account {i} (index {index}) is not above the one before: accounts are listed by strictly ascending index"
                )));
            }
            let account = Account {
                balance: u64_at(r, 4),
                nonce: u64_at(r, 12),
                owner: digest(&r[20..], "the owner hash of account", i)?,
            };
            accounts.push((index, account));
        }
        let transfers = input[accounts_end + 4..]
            .chunks_exact(TRANSFER_BYTES)
            .enumerate()
            .map(|(i, r)| {
                Ok(Transfer {
                    from: u32_at(r, 0),
                    to: u32_at(r, 4),
                    amount: u64_at(r, 8),
                    nonce: u64_at(r, 16),
                    key: digest(&r[24..], "the key of transfer", i)?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            accounts,
            transfers,
        })
    }

    /// The block's bytes, as [`Block::parse`] reads them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            8 + self.accounts.len() * ACCOUNT_BYTES + self.transfers.len() * TRANSFER_BYTES,
        );
        out.extend((self.accounts.len() as u32).to_le_bytes());
        for (index, a) in &self.accounts {
            out.extend(index.to_le_bytes());
            out.extend(a.balance.to_le_bytes());
            out.extend(a.nonce.to_le_bytes());
            out.extend(digest_to_bytes(&a.owner));
        }
        out.extend((self.transfers.len() as u32).to_le_bytes());
        for t in &self.transfers {
            out.extend(published_bytes(t));
            out.extend(digest_to_bytes(&t.key));
        }
        out
    }

    /// The transfers' published bytes (what goes into a blob).
    pub fn published(&self) -> Vec<u8> {
        self.transfers.iter().flat_map(published_bytes).collect()
    }

    /// Applies every transfer to the pre-state: the tree before, the steps and the tree after,
    /// or the first invalid transfer.
    pub fn apply(&self) -> Result<(Digest, Vec<Step>, Tree), Refused> {
        let mut tree = Tree::new(self.accounts.iter().copied());
        let old_root = tree.root();
        let steps = self
            .transfers
            .iter()
            .enumerate()
            .map(|(position, t)| {
                apply(&mut tree, t).map_err(|fault| Refused {
                    position,
                    transfer: *t,
                    fault,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((old_root, steps, tree))
    }
}
