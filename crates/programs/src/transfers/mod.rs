//! `transfers`: an L2 block — a list of signed transfers applied to a committed state, from
//! state root A to state root B.
//!
//! **State.** Accounts (balance u64, nonce u64, public key) are the leaves of a sparse binary
//! Poseidon2 Merkle tree of depth 32 (the index is any u32; [`merkle`](crate::merkle)'s
//! compression and bit order). An account's leaf is
//! `Poseidon2(balance limbs ‖ nonce limbs ‖ key)[0..8]` with 16-bit limbs, least significant
//! first, and the key the owner's [`l2x_sig`] public key (root ‖ parameter, eight elements); an
//! index without an account holds the zero leaf, and an empty subtree's root is the
//! compression of two empty subtrees.
//!
//! **Transfers.** (from, to, amount, nonce, signature), applied in order: both accounts exist;
//! the nonce is the sender's, below the keys' lifetime 2^30, and then increments; the
//! signature verifies under the sender's key at the epoch of the nonce, on the message
//! [`state::message`] (a tag, the rollup's chain id, from, to, amount); the sender's balance
//! covers the amount and the receiver's does not pass u64::MAX. The sender's leaf is updated
//! first, then the receiver's under the root that results (so a transfer to oneself only
//! bumps the nonce).
//!
//! **What is authenticated.** Each transfer was signed by its sender's key: whoever builds the
//! block holds signatures, never a secret. As the nonce is the epoch, a valid chain of blocks
//! never uses a one-time key twice — a wallet must never sign two different transfers with one
//! nonce (see [`l2x_sig`]). The chain id in every message keeps a signature from being replayed
//! on another rollup; the nonce, from being replayed on this one.
//!
//! **Input.** A block ([`Block::parse`]): the chain id, the pre-state's accounts by ascending
//! index (at most [`MAX_ACCOUNTS`]), then the transfers (at most [`MAX_TRANSFERS`]).
//!
//! **Public values.** 104 bytes: the old root, the new root, the commitment to the transfers
//! (eight u32 LE elements each), the number of transfers and the chain id (u32 LE each). The
//! commitment ([`state::commitment`]) hashes each transfer's from, to, amount and nonce (not
//! the signature), so the block's published data ([`Block::published`]) can be checked
//! against a proof; the proof, not the published data, attests the signatures.
//!
//! **Steps.** The number of transfers.
//!
//! **STARK.** Six tables: the transfers ([`air`], one row each), the leaf updates ([`update`],
//! 32 rows each, two per transfer) on the `state-update` bus, the signature verification's
//! three tables ([`crate::signatures`]: verification, chains, paths), whose verified statements
//! the transfer rows look up on `signature-verified`, and the Poseidon2 compressions all of them
//! look up ([`crate::poseidon2::bus`], [`COMPRESSIONS_PER_TRANSFER`] per transfer).

pub mod air;
pub mod columns;
pub mod fixture;
pub mod state;
pub mod trace;
pub mod update;

use l2x_air::{AirProgram, ProgramAir, Table, Val, Witness, log_height_for};
use l2x_core::{ClaimError, Execution, InputError, Program, ProgramId, PublicField, PublicOutput};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

pub use air::TransferAir;
pub use state::{
    Account, Block, DEPTH, Fault, MAX_ACCOUNTS, MAX_TRANSFERS, Refused, Transfer, Tree,
};
pub use update::UpdateAir;

use crate::poseidon2::bus::{self, Poseidon2BusAir};
use crate::poseidon2::columns::DIGEST;
use crate::poseidon2::{Digest, digest_from_bytes, digest_hex, digest_to_bytes};
use crate::signatures::{self, Statement};

/// The program's name.
pub const NAME: &str = "transfers";
/// The program's id.
pub const ID: ProgramId = ProgramId::from_static(NAME);
/// Length of the public values in bytes.
pub const PUBLIC_VALUES_LEN: usize = 3 * 4 * DIGEST + 4 + 4;
/// Poseidon2 compressions of the state and the commitment per transfer: two leaf updates of
/// 32 levels in two trees, four leaves, two commitment blocks (in this order in
/// [`trace::Traces::compressions`]).
pub const STATE_COMPRESSIONS_PER_TRANSFER: usize = 4 * DEPTH + 6;
/// Poseidon2 compressions per transfer: the state's and the commitment's, and the signature's
/// verification ([`l2x_sig::params::VERIFY_COMPRESSIONS`]).
pub const COMPRESSIONS_PER_TRANSFER: usize =
    STATE_COMPRESSIONS_PER_TRANSFER + l2x_sig::params::VERIFY_COMPRESSIONS;
/// log2 of the fewest rows of the transfer table.
const MIN_LOG_TRANSFER_ROWS: usize = 2;
/// log2 of the fewest rows of the compression table.
const MIN_LOG_BUS_ROWS: usize = 4;

/// The L2 block program. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Transfers;

/// A claim of `transfers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// The state root before the block.
    pub old_root: Digest,
    /// The state root after.
    pub new_root: Digest,
    /// The commitment to the block's transfers.
    pub commitment: Digest,
    /// The number of transfers.
    pub count: u32,
    /// The rollup's chain id, in every signed message.
    pub chain_id: u32,
}

impl Claim {
    /// The public values: old root ‖ new root ‖ commitment ‖ count ‖ chain id.
    pub fn to_bytes(&self) -> Vec<u8> {
        digest_to_bytes(&self.old_root)
            .chain(digest_to_bytes(&self.new_root))
            .chain(digest_to_bytes(&self.commitment))
            .chain(self.count.to_le_bytes())
            .chain(self.chain_id.to_le_bytes())
            .collect()
    }

    /// Reads public values, refusing any other layout.
    pub fn parse(bytes: &[u8]) -> Result<Self, ClaimError> {
        let invalid = |reason: String| ClaimError {
            program: ID,
            reason,
        };
        if bytes.len() != PUBLIC_VALUES_LEN {
            return Err(invalid(format!(
                "{} bytes, expected {PUBLIC_VALUES_LEN}",
                bytes.len()
            )));
        }
        let digest = |k: usize| {
            digest_from_bytes(&bytes[4 * DIGEST * k..4 * DIGEST * (k + 1)])
                .ok_or_else(|| invalid("an element is not below the field's modulus".into()))
        };
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let count = word(3 * 4 * DIGEST);
        if count as usize > MAX_TRANSFERS {
            return Err(invalid(format!(
                "{count} transfers, at most {MAX_TRANSFERS}"
            )));
        }
        Ok(Self {
            old_root: digest(0)?,
            new_root: digest(1)?,
            commitment: digest(2)?,
            count,
            chain_id: word(3 * 4 * DIGEST + 4),
        })
    }

    /// The transfer table's public inputs.
    pub fn table_public_values(&self) -> Vec<Val> {
        self.old_root
            .iter()
            .chain(&self.new_root)
            .chain(&self.commitment)
            .copied()
            .chain([self.count, self.chain_id & 0xffff, self.chain_id >> 16].map(Val::from_u32))
            .collect()
    }
}

fn parse(input: &[u8]) -> Result<Block, InputError> {
    Block::parse(input).map_err(|e| match e {
        state::ParseError::Malformed(reason) => InputError::Malformed {
            program: ID,
            reason,
        },
        state::ParseError::TooLarge { what, value, limit } => InputError::TooLarge {
            program: ID,
            what,
            value,
            limit,
        },
    })
}

/// Applies the block natively: the claim and the steps, or the refusal naming the transfer.
pub fn run(input: &[u8]) -> Result<(Claim, Vec<state::Step>), InputError> {
    let block = parse(input)?;
    let (old_root, steps, tree) = block.apply().map_err(|refused| InputError::Malformed {
        program: ID,
        reason: refused.to_string(),
    })?;
    let claim = Claim {
        old_root,
        new_root: tree.root(),
        commitment: state::commitment(&block.transfers),
        count: block.transfers.len() as u32,
        chain_id: block.chain_id,
    };
    Ok((claim, steps))
}

/// The signed statement of an applied transfer: the sender's key, the nonce as the epoch, the
/// transfer's message on the rollup `chain_id`, the signature.
pub fn statement(step: &state::Step, chain_id: u32) -> Statement {
    let t = &step.transfer;
    Statement {
        key: step.sender.0.public_key(),
        // Below the lifetime 2^30: the native run refused any other.
        epoch: t.nonce as u32,
        message: t.message(chain_id),
        signature: (*t.signature).clone(),
    }
}

/// The tables' log2 heights for `count` transfers: transfers, updates, verifications, chains,
/// paths, compressions.
pub fn log_heights(count: u32, min_log_rows: usize) -> [usize; 6] {
    let [verify, chains, paths] = signatures::verification_log_heights(count, min_log_rows);
    let count = u64::from(count);
    [
        log_height_for(count, min_log_rows.max(MIN_LOG_TRANSFER_ROWS)),
        log_height_for(2 * DEPTH as u64 * count, min_log_rows.max(5)),
        verify,
        chains,
        paths,
        log_height_for(
            COMPRESSIONS_PER_TRANSFER as u64 * count,
            min_log_rows.max(MIN_LOG_BUS_ROWS),
        ),
    ]
}

/// The six traces in table order, at the heights of `log_heights`: the transfer and update
/// tables as given, the verification tables of `statements` (the statements the transfer rows
/// look up), and the compression table providing `compressions` (the transfer and update
/// tables') with the verifications' own. Tests give it edited tables and statements.
pub fn witness_traces(
    transfers: RowMajorMatrix<Val>,
    updates: RowMajorMatrix<Val>,
    mut compressions: Vec<(Digest, Digest)>,
    statements: &[Statement],
    log_heights: [usize; 6],
) -> Vec<RowMajorMatrix<Val>> {
    let [_, _, verify, chains, paths, rows] = log_heights.map(|h| 1 << h);
    let v = signatures::trace::verification(statements, [verify, chains, paths]);
    compressions.extend(v.compressions);
    vec![
        transfers,
        updates,
        v.verify,
        v.chains,
        v.paths,
        bus::generate(&compressions, rows),
    ]
}

impl Program for Transfers {
    fn id(&self) -> ProgramId {
        ID
    }

    fn summary(&self) -> &'static str {
        "an L2 block: signed transfers between accounts of a Poseidon2 state tree (depth 32), root A -> B"
    }

    fn input_doc(&self) -> &'static str {
        "chain id u32 LE || u32 LE n || n accounts (index u32, balance u64, nonce u64, public key: 8 u32 LE elements) by ascending index || u32 LE m || m transfers (from u32, to u32, amount u64, nonce u64, signature: 1,164 bytes)"
    }

    fn public_values_doc(&self) -> &'static str {
        "old root || new root || transfer commitment (8 u32 LE elements each) || transfer count (u32 LE) || chain id (u32 LE)"
    }

    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError> {
        Ok(parse(input)?.transfers.len() as u64)
    }

    fn execute(&self, input: &[u8]) -> Result<Execution, InputError> {
        let (claim, _) = run(input)?;
        Ok(Execution {
            public_values: claim.to_bytes(),
            steps: claim.count.into(),
        })
    }

    fn steps_for(&self, public_values: &[u8]) -> Result<u64, ClaimError> {
        Ok(Claim::parse(public_values)?.count.into())
    }

    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError> {
        let claim = Claim::parse(public_values)?;
        let field = |name, value: String| PublicField { name, value };
        Ok(PublicOutput {
            headline: digest_hex(&claim.new_root),
            fields: vec![
                field("old_root", digest_hex(&claim.old_root)),
                field("new_root", digest_hex(&claim.new_root)),
                field("commitment", digest_hex(&claim.commitment)),
                field("transfers", claim.count.to_string()),
                field("chain_id", claim.chain_id.to_string()),
            ],
        })
    }

    /// The block's transfers as published: [`Block::published`], 24 bytes each.
    fn published_data(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        Ok(parse(input)?.published())
    }

    /// The published transfers must hash to the claim's commitment, and be as many as it counts.
    fn check_published(&self, public_values: &[u8], data: &[u8]) -> Result<(), ClaimError> {
        let claim = Claim::parse(public_values)?;
        let refuse = |reason: String| ClaimError {
            program: ID,
            reason,
        };
        let count = data.len() / state::PUBLISHED_TRANSFER_BYTES;
        if count != claim.count as usize {
            return Err(refuse(format!(
                "{count} transfers published, the proof commits to {}",
                claim.count
            )));
        }
        let Some((commitment, _)) = state::commitment_of_published(data) else {
            return Err(refuse(format!(
                "the published data ({} bytes) is not a list of {}-byte transfers",
                data.len(),
                state::PUBLISHED_TRANSFER_BYTES
            )));
        };
        if commitment != claim.commitment {
            return Err(refuse(format!(
                "the published transfers hash to {}, the proof commits to {}",
                digest_hex(&commitment),
                digest_hex(&claim.commitment)
            )));
        }
        Ok(())
    }
}

impl AirProgram for Transfers {
    fn tables(&self, public_values: &[u8], min_log_rows: usize) -> Result<Vec<Table>, ClaimError> {
        let claim = Claim::parse(public_values)?;
        let [transfers, updates, verify, chains, paths, compressions] =
            log_heights(claim.count, min_log_rows);
        let mut tables = vec![
            Table {
                air: ProgramAir::new(TransferAir),
                log_height: transfers,
                public_values: claim.table_public_values(),
            },
            Table {
                air: ProgramAir::new(UpdateAir),
                log_height: updates,
                public_values: vec![],
            },
        ];
        tables.extend(signatures::verification_tables([verify, chains, paths]));
        tables.push(Table {
            air: ProgramAir::new(Poseidon2BusAir::new()),
            log_height: compressions,
            public_values: vec![],
        });
        Ok(tables)
    }

    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        let zero = [Val::ZERO; DIGEST];
        let block = parse(input)?;
        Ok(Claim {
            old_root: zero,
            new_root: zero,
            commitment: zero,
            count: block.transfers.len() as u32,
            chain_id: block.chain_id,
        }
        .to_bytes())
    }

    fn stark_extremes(&self) -> [Vec<u8>; 2] {
        let zero = [Val::ZERO; DIGEST];
        let claim = |count| {
            Claim {
                old_root: zero,
                new_root: zero,
                commitment: zero,
                count,
                chain_id: 0,
            }
            .to_bytes()
        };
        [claim(0), claim(MAX_TRANSFERS as u32)]
    }

    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError> {
        let (claim, steps) = run(input)?;
        let rows: Vec<trace::Row> = steps.iter().map(trace::Row::new).collect();
        let statements: Vec<Statement> =
            steps.iter().map(|s| statement(s, claim.chain_id)).collect();
        let heights = log_heights(claim.count, min_log_rows);
        let t = trace::generate(&rows, claim.old_root, 1 << heights[0], 1 << heights[1]);
        debug_assert_eq!(t.outcome.new_root, claim.new_root);
        debug_assert_eq!(t.outcome.commitment, claim.commitment);
        let traces = witness_traces(t.transfers, t.updates, t.compressions, &statements, heights);
        Ok(Witness {
            execution: Execution {
                public_values: claim.to_bytes(),
                steps: claim.count.into(),
            },
            traces,
        })
    }
}
