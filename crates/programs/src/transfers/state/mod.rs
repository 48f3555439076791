//! The rollup's state and blocks, natively: accounts as leaves of a sparse Poseidon2 Merkle
//! tree of depth [`DEPTH`], and transfers applied to it one after the other.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use l2x_air::Val;
use l2x_sig::params::{LIFETIME, PUBLIC_KEY_BYTES, SIGNATURE_BYTES};
use l2x_sig::{Message, PublicKey, Signature};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{Poseidon2KoalaBear, default_koalabear_poseidon2_16};
use p3_maybe_rayon::prelude::*;

use crate::poseidon2::columns::DIGEST;
use crate::poseidon2::{Digest, compress};

mod block;

pub use block::{
    ParseError, Signatures, commitment, commitment_blocks, commitment_of_published,
    published_bytes, published_len,
};

/// Levels of the state tree: an account's index is any u32.
pub const DEPTH: usize = 32;
/// The most accounts a block's pre-state may list.
pub const MAX_ACCOUNTS: usize = 1 << 16;
/// The most transfers in a block.
pub const MAX_TRANSFERS: usize = 2048;
/// Bytes of an account in a block: index u32, balance u64, nonce u64, public key.
pub const ACCOUNT_BYTES: usize = 4 + 8 + 8 + PUBLIC_KEY_BYTES;
/// Bytes of a transfer in a block: from u32, to u32, amount u64, nonce u64, the sender's
/// signature (and, for a key rotation, the new key before the signature: see
/// [`ROTATION_FLAG`]).
pub const TRANSFER_BYTES: usize = PUBLISHED_TRANSFER_BYTES + SIGNATURE_BYTES;
/// Bytes of a transfer as published (in a blob): from, to, amount, nonce — not the signature.
/// A key rotation is published with its new key after them ([`ROTATION_BYTES`] in all).
pub const PUBLISHED_TRANSFER_BYTES: usize = 4 + 4 + 8 + 8;
/// Bytes of a key rotation as published: its transfer's bytes, then the new public key.
pub const ROTATION_BYTES: usize = PUBLISHED_TRANSFER_BYTES + PUBLIC_KEY_BYTES;
/// Bit 63 of a transfer's encoded nonce marks a key rotation, whose new public key follows the
/// nonce (in a block and in published data). A valid nonce is below 2^30, so the bit is free.
pub const ROTATION_FLAG: u64 = 1 << 63;
/// The first element of every transfer's signed message: it names the message's kind
/// (a transfer, this layout), so a key's signature on a transfer is never read as another
/// kind of message.
pub const TRANSFER_TAG: u16 = 0x7472;
/// The tag of a key rotation's signed message ([`rotation_message`]), which it carries as
/// `2^16 · ROTATION_TAG + chain lo`: at least 2^16, so never a transfer's first element.
pub const ROTATION_TAG: u16 = 0x726b;

/// An account: the leaf at its index is `Poseidon2(balance limbs ‖ nonce limbs ‖ key)[0..8]`
/// (see [`Account::leaf`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    /// The balance.
    pub balance: u64,
    /// How many transfers the account has sent: the epoch its next transfer is signed at.
    pub nonce: u64,
    /// The owner's public key ([`l2x_sig::PublicKey::to_elements`]: root ‖ parameter).
    pub key: Digest,
}

/// A transfer, with the sender's signature that authorises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The sender's index.
    pub from: u32,
    /// The receiver's index.
    pub to: u32,
    /// The amount moved.
    pub amount: u64,
    /// The sender's nonce before this transfer: the epoch of the one-time key that signs it.
    pub nonce: u64,
    /// The sender's signature of [`Transfer::message`] at epoch `nonce` (boxed: 1,164 bytes).
    pub signature: Box<Signature>,
    /// `Some` for a key rotation: the sender's new public key (root ‖ parameter), which its
    /// record holds from this transfer on. A rotation moves nothing (`to == from`, amount 0)
    /// and signs [`rotation_message`]; its nonce is the old key's last use.
    pub new_key: Option<Digest>,
}

/// A block as the `transfers` program reads it: the rollup's chain id, the accounts of the
/// state it applies to, then the transfers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Block {
    /// The rollup's chain id: part of every signed message, so a signature made for one
    /// rollup is not valid on another.
    pub chain_id: u32,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The nonce is not below the keys' lifetime 2^30: no one-time key can sign it.
    NonceBeyondLifetime,
    /// The signature is not the sender's on this transfer at this nonce.
    BadSignature(l2x_sig::Error),
    /// A key rotation that names a receiver other than its sender, or moves an amount.
    RotationMoves,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.transfer;
        write!(
            f,
            "transfer {} ({} -> {}, amount {}, nonce {}): ",
            self.position, t.from, t.to, t.amount, t.nonce
        )?;
        match &self.fault {
            Fault::UnknownAccount(index) => write!(f, "unknown account {index}"),
            Fault::Overdraft { balance } => write!(f, "overdraft: the sender holds {balance}"),
            Fault::Overflow { balance } => write!(
                f,
                "overflow: the receiver holds {balance}, the sum exceeds u64::MAX"
            ),
            Fault::WrongNonce { expected } => {
                write!(f, "wrong nonce: the sender's nonce is {expected}")
            }
            Fault::NonceBeyondLifetime => {
                write!(f, "the nonce is not below the keys' lifetime 2^30")
            }
            Fault::BadSignature(e) => write!(f, "the sender's signature does not verify: {e}"),
            Fault::RotationMoves => write!(
                f,
                "a key rotation must be to its sender with amount 0, it changes only the key"
            ),
        }
    }
}

/// The message a transfer's sender signs, at the epoch of the transfer's nonce:
/// `[tag, chain lo, chain hi, from lo, from hi, to lo, to hi, amount's four limbs, 0]`, in 16-bit
/// halves and limbs ([`TRANSFER_TAG`]). The nonce is not in the message: it is the epoch, which
/// the signature binds.
pub fn message(chain_id: u32, from: u32, to: u32, amount: u64) -> Message {
    let half = |x: u32, k: u32| (x >> (16 * k)) as u16;
    let a = limbs(amount);
    l2x_sig::message_of_u16([
        TRANSFER_TAG,
        half(chain_id, 0),
        half(chain_id, 1),
        half(from, 0),
        half(from, 1),
        half(to, 0),
        half(to, 1),
        a[0],
        a[1],
        a[2],
        a[3],
    ])
}

/// The message a key rotation's sender signs with its old key, at the epoch of the rotation's
/// nonce: `[2^16 · tag + chain lo, chain hi, from lo, from hi, new key (8 elements)]`
/// ([`ROTATION_TAG`]). The first element is at least 2^16 and a transfer's below it, so no
/// rotation's signature is a transfer's.
pub fn rotation_message(chain_id: u32, from: u32, new_key: &Digest) -> Message {
    let half = |x: u32, k: u32| Val::from_u32((x >> (16 * k)) & 0xffff);
    let head = [
        Val::from_u32(u32::from(ROTATION_TAG) << 16) + half(chain_id, 0),
        half(chain_id, 1),
        half(from, 0),
        half(from, 1),
    ];
    std::array::from_fn(|j| if j < 4 { head[j] } else { new_key[j - 4] })
}

impl Transfer {
    /// What the sender signs: [`message`], or [`rotation_message`] for a key rotation.
    pub fn message(&self, chain_id: u32) -> Message {
        match &self.new_key {
            None => message(chain_id, self.from, self.to, self.amount),
            Some(key) => rotation_message(chain_id, self.from, key),
        }
    }
}

/// The four 16-bit limbs of `x`, least significant first.
pub fn limbs(x: u64) -> [u16; 4] {
    std::array::from_fn(|k| (x >> (16 * k)) as u16)
}

impl Account {
    /// The leaf: `Poseidon2(balance limbs ‖ nonce limbs ‖ key)[0..8]`, limbs of 16 bits, least
    /// significant first.
    pub fn leaf(&self, perm: &Poseidon2KoalaBear<16>) -> Digest {
        compress(perm, &self.values(), &self.key)
    }

    /// The owner's public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_elements(&self.key)
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
        // Each level's nodes are independent of each other: hashed on all cores.
        nodes[0] = accounts
            .par_iter()
            .map(|(&i, a)| (i, a.leaf(&perm)))
            .collect();
        for level in 0..DEPTH {
            let mut parents: Vec<u32> = nodes[level].keys().map(|&i| i >> 1).collect();
            parents.sort_unstable();
            parents.dedup();
            let below = &nodes[level];
            let node = |i: u32| below.get(&i).copied().unwrap_or(empty[level]);
            let above: HashMap<u32, Digest> = parents
                .into_par_iter()
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

    /// The node at `level` (0: the leaves, [`DEPTH`]: the root) and `index` within the level.
    pub fn node(&self, level: usize, index: u32) -> Digest {
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

    /// Puts each account of `updates` at its index, then hashes every node on their paths once
    /// (a block's new tree: one compression per touched node, not 32 per account change).
    pub fn set_all(&mut self, updates: impl IntoIterator<Item = (u32, Account)>) {
        let mut dirty: Vec<u32> = Vec::new();
        for (index, account) in updates {
            self.accounts.insert(index, account);
            dirty.push(index);
        }
        dirty.sort_unstable();
        dirty.dedup();
        let leaves: Vec<(u32, Digest)> = dirty
            .par_iter()
            .map(|i| (*i, self.accounts[i].leaf(&self.perm)))
            .collect();
        self.nodes[0].extend(leaves);
        for level in 0..DEPTH {
            let mut parents: Vec<u32> = dirty.iter().map(|i| i >> 1).collect();
            parents.dedup();
            let above: Vec<(u32, Digest)> = parents
                .par_iter()
                .map(|&p| {
                    let (left, right) = (self.node(level, 2 * p), self.node(level, 2 * p + 1));
                    (p, compress(&self.perm, &left, &right))
                })
                .collect();
            self.nodes[level + 1].extend(above);
            dirty = parents;
        }
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

/// The shape of a block's state tables: the accounts its transfers touch, and the tree nodes
/// on their paths (levels 1 to 32; the root alone if none).
pub fn shape(transfers: &[Transfer]) -> (u32, u32) {
    let mut touched: Vec<u32> = transfers.iter().flat_map(|t| [t.from, t.to]).collect();
    touched.sort_unstable();
    touched.dedup();
    let mut nodes = 0;
    let mut level = touched.clone();
    for _ in 0..DEPTH {
        for i in &mut level {
            *i >>= 1;
        }
        level.dedup();
        nodes += level.len();
    }
    (touched.len() as u32, nodes.max(1) as u32)
}

/// How many of `transfers` are key rotations.
pub fn rotations(transfers: &[Transfer]) -> u32 {
    transfers.iter().filter(|t| t.new_key.is_some()).count() as u32
}

/// One applied transfer, as the tables need it: the transfer and its two accounts before and
/// after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The transfer.
    pub transfer: Transfer,
    /// The sender before and after.
    pub sender: (Account, Account),
    /// The receiver before and after (after the sender's update when they are the same account).
    pub receiver: (Account, Account),
}

/// Checks the signature of `t` (of the rollup `chain_id`) against `key`, the sender's key when
/// it is applied (`None`: an unknown sender); `Ok` where there is nothing to check yet (an
/// unknown sender, a nonce past the lifetime: [`apply`] refuses those first). Only a key
/// rotation changes a key, so a block's signing keys are known in one cheap pass
/// ([`signing_keys`]) and its signatures are checked all at once, in parallel.
pub fn check_signature(
    key: Option<&Digest>,
    chain_id: u32,
    t: &Transfer,
) -> Result<(), l2x_sig::Error> {
    let (Some(key), Ok(epoch)) = (key, u32::try_from(t.nonce)) else {
        return Ok(());
    };
    if u64::from(epoch) >= LIFETIME {
        return Ok(());
    }
    l2x_sig::verify(
        &PublicKey::from_elements(key),
        epoch,
        &t.message(chain_id),
        &t.signature,
    )
}

/// The key each transfer's sender holds when the transfer is applied, starting from
/// `accounts` (`None` for an unknown sender): its key in the pre-state, or the new key of its
/// last rotation before. A rotation that [`apply`] refuses stops the block there, so taking
/// every rotation as applied changes no verdict that counts.
pub fn signing_keys(
    accounts: &BTreeMap<u32, Account>,
    transfers: &[Transfer],
) -> Vec<Option<Digest>> {
    let mut rotated: HashMap<u32, Digest> = HashMap::new();
    transfers
        .iter()
        .map(|t| {
            let key = rotated
                .get(&t.from)
                .copied()
                .or_else(|| accounts.get(&t.from).map(|a| a.key));
            if let Some(new_key) = t.new_key {
                rotated.insert(t.from, new_key);
            }
            key
        })
        .collect()
}

/// Applies one transfer to `accounts`, or says why it is invalid (leaving `accounts` as they
/// were); `signature` is [`check_signature`]'s verdict on it. The tree is hashed once per
/// block ([`Tree::set_all`]).
pub fn apply(
    accounts: &mut BTreeMap<u32, Account>,
    t: &Transfer,
    signature: Result<(), l2x_sig::Error>,
) -> Result<Step, Fault> {
    let sender = *accounts.get(&t.from).ok_or(Fault::UnknownAccount(t.from))?;
    if !accounts.contains_key(&t.to) {
        return Err(Fault::UnknownAccount(t.to));
    }
    if t.nonce != sender.nonce {
        return Err(Fault::WrongNonce {
            expected: sender.nonce,
        });
    }
    if u32::try_from(t.nonce).map_or(true, |e| u64::from(e) >= LIFETIME) {
        return Err(Fault::NonceBeyondLifetime);
    }
    signature.map_err(Fault::BadSignature)?;
    if t.new_key.is_some() && (t.to != t.from || t.amount != 0) {
        return Err(Fault::RotationMoves);
    }
    // Below the lifetime 2^30, so the increment cannot overflow.
    let nonce = sender.nonce + 1;
    let balance = sender
        .balance
        .checked_sub(t.amount)
        .ok_or(Fault::Overdraft {
            balance: sender.balance,
        })?;
    let sender_after = Account {
        balance,
        nonce,
        key: t.new_key.unwrap_or(sender.key),
    };
    // The receiver as it is once the sender has paid (the same account for a self-transfer).
    let receiver = if t.to == t.from {
        sender_after
    } else {
        *accounts.get(&t.to).ok_or(Fault::UnknownAccount(t.to))?
    };
    let received = receiver
        .balance
        .checked_add(t.amount)
        .ok_or(Fault::Overflow {
            balance: receiver.balance,
        })?;
    let receiver_after = Account {
        balance: received,
        ..receiver
    };
    accounts.insert(t.from, sender_after);
    accounts.insert(t.to, receiver_after);
    Ok(Step {
        transfer: t.clone(),
        sender: (sender, sender_after),
        receiver: (receiver, receiver_after),
    })
}
