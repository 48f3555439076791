//! A block as bytes: its encoding and parsing, what of it is published, and the commitment to
//! its transfers.

use std::collections::{BTreeMap, BTreeSet};

use l2x_air::Val;
use l2x_sig::Signature;
use l2x_sig::params::SIGNATURE_BYTES;
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_maybe_rayon::prelude::*;

use super::{
    ACCOUNT_BYTES, Account, Block, MAX_ACCOUNTS, MAX_TRANSFERS, PUBLISHED_TRANSFER_BYTES,
    ROTATION_BYTES, ROTATION_FLAG, Refused, Step, TRANSFER_BYTES, Transfer, Tree, apply,
    check_signature, limbs, signing_keys,
};
use crate::poseidon2::columns::DIGEST;
use crate::poseidon2::{Digest, compress, digest_from_bytes, digest_to_bytes};

/// The commitment to a block's transfers: from c = 0, for each transfer
/// c ← Poseidon2(Poseidon2(c ‖ from, to, amount) ‖ nonce, rotation)[0..8], every number in
/// 16-bit limbs, and for a key rotation once more c ← Poseidon2(c ‖ new key)[0..8] (see
/// [`commitment_blocks`]). The signature is not part of it.
pub fn commitment<'a>(transfers: impl IntoIterator<Item = &'a Transfer>) -> Digest {
    let published: Vec<Vec<u8>> = transfers.into_iter().map(published_bytes).collect();
    commitment_of(published.iter().map(|p| &p[..]))
}

/// The commitment of published transfers, one record each (see [`commitment`]).
fn commitment_of<'a>(published: impl Iterator<Item = &'a [u8]>) -> Digest {
    let perm = default_koalabear_poseidon2_16();
    published.fold([Val::ZERO; DIGEST], |c, t| {
        blocks_of(t)
            .iter()
            .fold(c, |c, block| compress(&perm, &c, block))
    })
}

/// The blocks a transfer adds to the commitment: (from lo, from hi, to lo, to hi, amount's four
/// limbs), (nonce's four limbs, 1 for a key rotation and 0 otherwise, three zeros), and for a
/// key rotation the new key.
pub fn commitment_blocks(t: &Transfer) -> Vec<Digest> {
    blocks_of(&published_bytes(t))
}

/// The commitment blocks of one published record (24 bytes, or [`ROTATION_BYTES`] for a key
/// rotation: the caller has checked its length against [`published_len`]).
fn blocks_of(published: &[u8]) -> Vec<Digest> {
    let (from, to) = (u32_at(published, 0), u32_at(published, 4));
    let (amount, nonce) = (u64_at(published, 8), u64_at(published, 16));
    let rotation = nonce & ROTATION_FLAG != 0;
    let halves = |x: u32| [x as u16, (x >> 16) as u16];
    let first: Vec<u16> = halves(from)
        .into_iter()
        .chain(halves(to))
        .chain(limbs(amount))
        .collect();
    let nonce = limbs(nonce & !ROTATION_FLAG);
    let mut blocks = vec![
        std::array::from_fn(|j| Val::from_u16(first[j])),
        std::array::from_fn(|j| match j {
            0..4 => Val::from_u16(nonce[j]),
            4 => Val::from_bool(rotation),
            _ => Val::ZERO,
        }),
    ];
    if rotation {
        blocks.push(
            digest_from_bytes(&published[PUBLISHED_TRANSFER_BYTES..ROTATION_BYTES])
                .expect("a published key was checked below the modulus"),
        );
    }
    blocks
}

/// A transfer's published bytes: from, to (u32 LE), amount, nonce (u64 LE, with
/// [`ROTATION_FLAG`] set for a key rotation), and a key rotation's new key.
pub fn published_bytes(t: &Transfer) -> Vec<u8> {
    let mut out = Vec::with_capacity(ROTATION_BYTES);
    let flag = if t.new_key.is_some() {
        ROTATION_FLAG
    } else {
        0
    };
    out.extend(t.from.to_le_bytes());
    out.extend(t.to.to_le_bytes());
    out.extend(t.amount.to_le_bytes());
    out.extend((t.nonce | flag).to_le_bytes());
    if let Some(key) = &t.new_key {
        out.extend(digest_to_bytes(key));
    }
    out
}

/// The length of the published record that starts `bytes`: [`PUBLISHED_TRANSFER_BYTES`], or
/// [`ROTATION_BYTES`] if its nonce carries [`ROTATION_FLAG`]; `None` if `bytes` ends first or
/// a rotation's key has an element not below the modulus.
pub fn published_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < PUBLISHED_TRANSFER_BYTES {
        return None;
    }
    if u64_at(bytes, 16) & ROTATION_FLAG == 0 {
        return Some(PUBLISHED_TRANSFER_BYTES);
    }
    let key = bytes.get(PUBLISHED_TRANSFER_BYTES..ROTATION_BYTES)?;
    digest_from_bytes(key).map(|_| ROTATION_BYTES)
}

/// The commitment of published transfer bytes (whole records, see [`published_bytes`]) and
/// their number, or `None` if the bytes are not whole records.
pub fn commitment_of_published(bytes: &[u8]) -> Option<(Digest, usize)> {
    let mut records = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (record, tail) = rest.split_at(published_len(rest)?);
        records.push(record);
        rest = tail;
    }
    Some((commitment_of(records.iter().copied()), records.len()))
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

/// Whether [`Block::apply_both_with`] checks each transfer's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signatures {
    /// Every signature verified natively, as [`Block::apply`] does.
    Checked,
    /// Every signature taken as valid: the caller checks them (see
    /// [`Block::apply_both_with`]).
    Deferred,
}

impl Block {
    /// Reads a block: u32 LE chain id, u32 LE account count, the accounts ([`ACCOUNT_BYTES`]
    /// each, by strictly ascending index), u32 LE transfer count, the transfers
    /// ([`TRANSFER_BYTES`] each, and a key rotation's new key after its nonce: see
    /// [`published_bytes`]). Keys and signatures are u32 LE elements below the field's modulus.
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
        if input.len() < 4 {
            return Err(malformed(format!(
                "{} bytes end before the chain id",
                input.len()
            )));
        }
        let chain_id = u32_at(input, 0);
        let n = count(4, "the number of accounts", MAX_ACCOUNTS)?;
        let accounts_end = 8 + n * ACCOUNT_BYTES;
        let m = count(accounts_end, "the number of transfers", MAX_TRANSFERS)?;
        if input.len() < accounts_end + 4 + m * TRANSFER_BYTES {
            return Err(malformed(format!(
                "{} bytes, a block of {n} accounts and {m} transfers takes at least {}",
                input.len(),
                accounts_end + 4 + m * TRANSFER_BYTES
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
        for (i, r) in input[8..accounts_end]
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
                key: digest(&r[20..], "the public key of account", i)?,
            };
            accounts.push((index, account));
        }
        let mut rest = &input[accounts_end + 4..];
        let mut transfers = Vec::with_capacity(m);
        for i in 0..m {
            // The record's length is read from its nonce's flag; its key is parsed once, below.
            let flagged =
                rest.len() >= PUBLISHED_TRANSFER_BYTES && u64_at(rest, 16) & ROTATION_FLAG != 0;
            let record = if flagged {
                ROTATION_BYTES
            } else {
                PUBLISHED_TRANSFER_BYTES
            };
            let r = rest
                .get(..record + SIGNATURE_BYTES)
                .ok_or_else(|| malformed(format!("the block ends inside transfer {i}")))?;
            let nonce = u64_at(r, 16);
            let new_key = flagged
                .then(|| {
                    digest(
                        &r[PUBLISHED_TRANSFER_BYTES..record],
                        "the new key of transfer",
                        i,
                    )
                })
                .transpose()?;
            let signature = Signature::from_bytes(&r[record..])
                .map_err(|e| malformed(format!("the signature of transfer {i}: {e}")))?;
            transfers.push(Transfer {
                from: u32_at(r, 0),
                to: u32_at(r, 4),
                amount: u64_at(r, 8),
                nonce: nonce & !ROTATION_FLAG,
                signature: Box::new(signature),
                new_key,
            });
            rest = &rest[r.len()..];
        }
        if !rest.is_empty() {
            return Err(malformed(format!(
                "{} bytes follow the last of the {m} transfers",
                rest.len()
            )));
        }
        Ok(Self {
            chain_id,
            accounts,
            transfers,
        })
    }

    /// The block's bytes, as [`Block::parse`] reads them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            12 + self.accounts.len() * ACCOUNT_BYTES + self.transfers.len() * TRANSFER_BYTES,
        );
        out.extend(self.chain_id.to_le_bytes());
        out.extend((self.accounts.len() as u32).to_le_bytes());
        for (index, a) in &self.accounts {
            out.extend(index.to_le_bytes());
            out.extend(a.balance.to_le_bytes());
            out.extend(a.nonce.to_le_bytes());
            out.extend(digest_to_bytes(&a.key));
        }
        out.extend((self.transfers.len() as u32).to_le_bytes());
        for t in &self.transfers {
            out.extend(published_bytes(t));
            out.extend(t.signature.to_bytes());
        }
        out
    }

    /// The transfers' published bytes (what goes into a blob).
    pub fn published(&self) -> Vec<u8> {
        self.transfers.iter().flat_map(published_bytes).collect()
    }

    /// Applies every transfer to the pre-state: the root before, the steps and the tree after,
    /// or the first invalid transfer.
    pub fn apply(&self) -> Result<(Digest, Vec<Step>, Tree), Refused> {
        let tree = Tree::new(self.accounts.iter().copied());
        let old_root = tree.root();
        let (steps, tree) = self.apply_to(tree, Signatures::Checked)?;
        Ok((old_root, steps, tree))
    }

    /// As [`Block::apply`], keeping the whole tree before the block (a witness climbs both
    /// trees; hashing the pre-state once more would cost as much as the state is large).
    pub fn apply_both(&self) -> Result<(Tree, Vec<Step>, Tree), Refused> {
        self.apply_both_with(Signatures::Checked)
    }

    /// As [`Block::apply_both`], checking the signatures or leaving them to the caller: a
    /// witness hashes each signature anyway, as its tables' rows, and checks it there
    /// (`Signatures::Deferred`), so that every signature of a block is hashed once. A block
    /// accepted unchecked is only as valid as its signatures: a caller that finds one that
    /// does not verify applies the block again, checked, for the refusal to report.
    pub fn apply_both_with(
        &self,
        signatures: Signatures,
    ) -> Result<(Tree, Vec<Step>, Tree), Refused> {
        let pre = tracing::info_span!("tree").in_scope(|| Tree::new(self.accounts.iter().copied()));
        let (steps, post) =
            tracing::info_span!("transfers").in_scope(|| self.apply_to(pre.clone(), signatures))?;
        Ok((pre, steps, post))
    }

    /// Applies every transfer to `tree`, the pre-state's: the steps and the tree after.
    fn apply_to(
        &self,
        mut tree: Tree,
        signatures: Signatures,
    ) -> Result<(Vec<Step>, Tree), Refused> {
        let mut accounts: BTreeMap<u32, Account> = self.accounts.iter().copied().collect();
        let mut touched = BTreeSet::new();
        let signatures: Vec<_> = match signatures {
            Signatures::Checked => {
                let keys = signing_keys(&accounts, &self.transfers);
                self.transfers
                    .par_iter()
                    .zip(&keys)
                    .map(|(t, key)| check_signature(key.as_ref(), self.chain_id, t))
                    .collect()
            }
            Signatures::Deferred => vec![Ok(()); self.transfers.len()],
        };
        let steps = self
            .transfers
            .iter()
            .zip(signatures)
            .enumerate()
            .map(|(position, (t, signature))| {
                touched.extend([t.from, t.to]);
                apply(&mut accounts, t, signature).map_err(|fault| Refused {
                    position,
                    transfer: t.clone(),
                    fault,
                })
            })
            .collect::<Result<_, _>>()?;
        tree.set_all(touched.into_iter().map(|i| (i, accounts[&i])));
        Ok((steps, tree))
    }
}
