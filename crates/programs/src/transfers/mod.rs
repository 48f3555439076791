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
//! bumps the nonce). A *key rotation* (`Transfer::new_key`) is a transfer to oneself of 0,
//! signed by the old key on [`state::rotation_message`] (which names the new key); the sender's
//! key is the new one from then on.
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
//! **Public values.** 116 bytes: the old root, the new root, the commitment to the transfers
//! (eight u32 LE elements each), the number of transfers, the chain id, and the block's shape —
//! the accounts it touches, the state tree's nodes on their paths and the key rotations (u32
//! LE each), which fix the heights of the account, node and compression tables (anyone holding
//! the published transfers can recount them; a wrong shape only makes a proof impossible or
//! larger). The commitment ([`state::commitment`]) hashes each transfer's from, to, amount and
//! nonce, and a rotation's new key (not the signature), so the block's published data ([`Block::published`]) can be checked
//! against a proof; the proof, not the published data, attests the signatures.
//!
//! **Steps.** The number of transfers.
//!
//! **STARK.** Eight tables. The state is hashed once per block: the transfers ([`air`], one
//! row each) run against account *records* checked by a memory argument (each access consumes
//! the account's last record and supplies the next, on `account-record`); the account table
//! ([`accounts`], one row per touched account) supplies each record before the block and
//! consumes the last, and hashes both into the account's leaf before and after; the node table
//! ([`nodes`]) hashes each node on the touched accounts' paths once in the old and once in the
//! new tree, with the same untouched siblings, up to the two public roots. Then the signature
//! verification's three tables ([`crate::signatures`]: verification, chains, paths), whose
//! verified statements the transfer rows look up on `signature-verified`, and the Poseidon2
//! compressions all of them look up ([`crate::poseidon2::bus`], [`Claim::compressions`]), and
//! the 16-bit range table the transfer rows' limbs, nonce and record times are looked up in
//! ([`crate::range`]).

pub mod accounts;
pub mod air;
pub mod columns;
pub mod fixture;
pub mod nodes;
pub mod state;
pub mod trace;

use l2x_air::{AirProgram, ProgramAir, Table, Val, Witness, log_height_for};
use l2x_core::{ClaimError, Execution, InputError, Program, ProgramId, PublicField, PublicOutput};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::join;

pub use accounts::AccountAir;
pub use air::TransferAir;
pub use nodes::NodeAir;
pub use state::{
    Account, Block, DEPTH, Fault, MAX_ACCOUNTS, MAX_TRANSFERS, Refused, Signatures, Transfer, Tree,
};

use crate::poseidon2::bus::{self, Poseidon2BusAir};
use crate::poseidon2::columns::DIGEST;
use crate::poseidon2::{Digest, digest_from_bytes, digest_hex, digest_to_bytes};
use crate::range::{self, RangeAir};
use crate::signatures::trace::Verification;
use crate::signatures::{self, Statement};

/// The program's name.
pub const NAME: &str = "transfers";
/// The program's id.
pub const ID: ProgramId = ProgramId::from_static(NAME);
/// Length of the public values in bytes.
pub const PUBLIC_VALUES_LEN: usize = 3 * 4 * DIGEST + 5 * 4;
/// Poseidon2 compressions per transfer that do not depend on the state's shape: the
/// commitment's two blocks and the signature's verification
/// ([`l2x_sig::params::VERIFY_COMPRESSIONS`]). The state adds two per touched account (its leaf
/// before and after) and two per node ([`Claim::compressions`]).
pub const COMPRESSIONS_PER_TRANSFER: usize = 2 + l2x_sig::params::VERIFY_COMPRESSIONS;
/// log2 of the fewest rows of the transfer table.
const MIN_LOG_TRANSFER_ROWS: usize = 2;
/// log2 of the fewest rows of the account and node tables.
const MIN_LOG_STATE_ROWS: usize = 2;
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
    /// The accounts the block touches: the account table's rows.
    pub accounts: u32,
    /// The state tree's nodes on the touched accounts' paths (the root alone for an empty
    /// block): the node table's rows.
    pub nodes: u32,
    /// The transfers that are key rotations: each adds one compression (its new key, a third
    /// commitment block), so this sizes the compression table, as `accounts` and `nodes` size
    /// theirs. The commitment, not this count, says which transfers they are.
    pub rotations: u32,
}

impl Claim {
    /// The public values: old root ‖ new root ‖ commitment ‖ count ‖ chain id ‖ accounts ‖
    /// nodes ‖ rotations.
    pub fn to_bytes(&self) -> Vec<u8> {
        digest_to_bytes(&self.old_root)
            .chain(digest_to_bytes(&self.new_root))
            .chain(digest_to_bytes(&self.commitment))
            .chain(self.count.to_le_bytes())
            .chain(self.chain_id.to_le_bytes())
            .chain(self.accounts.to_le_bytes())
            .chain(self.nodes.to_le_bytes())
            .chain(self.rotations.to_le_bytes())
            .collect()
    }

    /// The most nodes `accounts` touched accounts' paths can hold: 32 each (the root alone
    /// for none).
    pub fn max_nodes(accounts: u32) -> u32 {
        (DEPTH as u32 * accounts).max(1)
    }

    /// The Poseidon2 compressions the proof looks up: [`COMPRESSIONS_PER_TRANSFER`] per
    /// transfer, one more per key rotation, two per touched account, two per node.
    pub fn compressions(&self) -> u64 {
        COMPRESSIONS_PER_TRANSFER as u64 * u64::from(self.count)
            + u64::from(self.rotations)
            + 2 * u64::from(self.accounts)
            + 2 * u64::from(self.nodes)
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
        let (accounts, nodes) = (word(3 * 4 * DIGEST + 8), word(3 * 4 * DIGEST + 12));
        if accounts > 2 * count {
            return Err(invalid(format!(
                "{accounts} accounts touched by {count} transfers"
            )));
        }
        let rotations = word(3 * 4 * DIGEST + 16);
        if rotations > count {
            return Err(invalid(format!(
                "{rotations} key rotations among {count} transfers"
            )));
        }
        if nodes == 0 || nodes > Self::max_nodes(accounts) {
            return Err(invalid(format!(
                "{nodes} tree nodes for {accounts} accounts, 1 to {}",
                Self::max_nodes(accounts)
            )));
        }
        Ok(Self {
            old_root: digest(0)?,
            new_root: digest(1)?,
            commitment: digest(2)?,
            count,
            chain_id: word(3 * 4 * DIGEST + 4),
            accounts,
            nodes,
            rotations,
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
    let (old_root, steps, post) = block.apply().map_err(refused)?;
    Ok((claim_of(&block, old_root, post.root()), steps))
}

/// Applies the block natively, its signatures left to the witness's own hashing
/// ([`Signatures::Deferred`]): the claim, the steps and the tree before the block. A refusal
/// comes from the checked application ([`checked_refusal`]), so it names the first invalid
/// transfer whatever its fault, as [`Program::execute`] would.
fn apply(block: &Block) -> Result<(Claim, Vec<state::Step>, Tree), InputError> {
    let (pre, steps, post) = block
        .apply_both_with(Signatures::Deferred)
        .map_err(|_| checked_refusal(block))?;
    Ok((claim_of(block, pre.root(), post.root()), steps, pre))
}

/// Why `block` is refused, from its application with every signature checked. Called once a
/// deferred check failed; should that application accept the block after all (the native and
/// the witness's verification disagreeing), the block is refused rather than proven.
fn checked_refusal(block: &Block) -> InputError {
    match block.apply_both_with(Signatures::Checked) {
        Err(r) => refused(r),
        Ok(_) => InputError::Malformed {
            program: ID,
            reason: "a signature the block's checked application accepts does not verify in \
                     the witness"
                .into(),
        },
    }
}

fn refused(refused: state::Refused) -> InputError {
    InputError::Malformed {
        program: ID,
        reason: refused.to_string(),
    }
}

/// The claim of `block`, applied from `old_root` to `new_root`.
fn claim_of(block: &Block, old_root: Digest, new_root: Digest) -> Claim {
    let (accounts, nodes) = state::shape(&block.transfers);
    Claim {
        old_root,
        new_root,
        commitment: state::commitment(&block.transfers),
        count: block.transfers.len() as u32,
        chain_id: block.chain_id,
        accounts,
        nodes,
        rotations: state::rotations(&block.transfers),
    }
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

/// The number of tables.
pub const TABLES: usize = 8;

/// The tables' log2 heights for a claim: transfers, accounts, nodes, verifications, chains,
/// paths, compressions, the 16-bit range table.
pub fn log_heights(claim: &Claim, min_log_rows: usize) -> [usize; TABLES] {
    let [verify, chains, paths] = signatures::verification_log_heights(claim.count, min_log_rows);
    let state = min_log_rows.max(MIN_LOG_STATE_ROWS);
    [
        log_height_for(claim.count.into(), min_log_rows.max(MIN_LOG_TRANSFER_ROWS)),
        log_height_for(claim.accounts.into(), state),
        log_height_for(claim.nodes.into(), state),
        verify,
        chains,
        paths,
        log_height_for(claim.compressions(), min_log_rows.max(MIN_LOG_BUS_ROWS)),
        range::LOG_HEIGHT,
    ]
}

/// The fewest rows of the three state tables (see [`trace::generate`]).
pub fn min_heights(min_log_rows: usize) -> trace::Heights {
    let state = 1 << min_log_rows.max(MIN_LOG_STATE_ROWS);
    trace::Heights {
        transfers: 1 << min_log_rows.max(MIN_LOG_TRANSFER_ROWS),
        accounts: state,
        nodes: state,
    }
}

/// The eight traces in table order: the three state tables as given, the verification tables
/// of `statements` (the statements the transfer rows look up) at the heights of `log_heights`,
/// the compression table providing `compressions` (the state tables') with the verifications'
/// own, and the range table counting the transfer table's range checks. Tests give it edited tables and statements.
pub fn witness_traces(
    state: trace::Traces,
    statements: &[Statement],
    log_heights: [usize; TABLES],
) -> Vec<RowMajorMatrix<Val>> {
    let v = signature_tables(statements, log_heights);
    assemble(state, v, log_heights)
}

/// The verification tables of `statements` at the heights of `log_heights`.
fn signature_tables(statements: &[Statement], log_heights: [usize; TABLES]) -> Verification {
    let [_, _, _, verify, chains, paths, _, _] = log_heights.map(|h| 1 << h);
    tracing::info_span!("signature tables")
        .in_scope(|| signatures::trace::verification(statements, [verify, chains, paths]))
}

/// The eight traces from the state tables and the verification tables (see
/// [`witness_traces`]).
fn assemble(
    state: trace::Traces,
    v: Verification,
    log_heights: [usize; TABLES],
) -> Vec<RowMajorMatrix<Val>> {
    let [.., rows, _] = log_heights.map(|h| 1 << h);
    let mut compressions = state.compressions;
    compressions.extend(v.compressions);
    let compressions =
        tracing::info_span!("compression table").in_scope(|| bus::generate(&compressions, rows));
    let range = trace::range_table(&state.transfers);
    vec![
        state.transfers,
        state.accounts,
        state.nodes,
        v.verify,
        v.chains,
        v.paths,
        compressions,
        range,
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
        "old root || new root || transfer commitment (8 u32 LE elements each) || transfer count || chain id || accounts touched || tree nodes touched || key rotations (u32 LE each)"
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
                field("accounts", claim.accounts.to_string()),
                field("nodes", claim.nodes.to_string()),
                field("rotations", claim.rotations.to_string()),
            ],
        })
    }

    /// The block's transfers as published: [`Block::published`], 24 bytes each (56 for a key
    /// rotation, with its new key).
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
        let Some((commitment, count)) = state::commitment_of_published(data) else {
            return Err(refuse(format!(
                "the published data ({} bytes) is not a list of transfers ({} bytes each, {} for a key rotation)",
                data.len(),
                state::PUBLISHED_TRANSFER_BYTES,
                state::ROTATION_BYTES
            )));
        };
        if count != claim.count as usize {
            return Err(refuse(format!(
                "{count} transfers published, the proof commits to {}",
                claim.count
            )));
        }
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
        let [
            transfers,
            accounts,
            nodes,
            verify,
            chains,
            paths,
            compressions,
            range,
        ] = log_heights(&claim, min_log_rows);
        let state = |air: ProgramAir, log_height| Table {
            air,
            log_height,
            public_values: vec![],
        };
        let mut tables = vec![
            Table {
                air: ProgramAir::new(TransferAir),
                log_height: transfers,
                public_values: claim.table_public_values(),
            },
            state(ProgramAir::new(AccountAir), accounts),
            state(ProgramAir::new(NodeAir), nodes),
        ];
        tables.extend(signatures::verification_tables([verify, chains, paths]));
        tables.push(Table {
            air: ProgramAir::new(Poseidon2BusAir::new()),
            log_height: compressions,
            public_values: vec![],
        });
        tables.push(state(ProgramAir::new(RangeAir::SIXTEEN), range));
        Ok(tables)
    }

    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        let zero = [Val::ZERO; DIGEST];
        let block = parse(input)?;
        let (accounts, nodes) = state::shape(&block.transfers);
        Ok(Claim {
            old_root: zero,
            new_root: zero,
            commitment: zero,
            count: block.transfers.len() as u32,
            chain_id: block.chain_id,
            accounts,
            nodes,
            rotations: state::rotations(&block.transfers),
        }
        .to_bytes())
    }

    fn stark_extremes(&self) -> [Vec<u8>; 2] {
        let zero = [Val::ZERO; DIGEST];
        let claim = |count: u32, accounts: u32| {
            Claim {
                old_root: zero,
                new_root: zero,
                commitment: zero,
                count,
                chain_id: 0,
                accounts,
                nodes: Claim::max_nodes(accounts),
                rotations: count,
            }
            .to_bytes()
        };
        let most = MAX_TRANSFERS as u32;
        [claim(0, 0), claim(most, 2 * most)]
    }

    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError> {
        let block = parse(input)?;
        let (claim, steps, pre) = tracing::info_span!("apply").in_scope(|| apply(&block))?;
        let rows: Vec<trace::Row> = steps.iter().map(trace::Row::new).collect();
        let statements: Vec<Statement> =
            steps.iter().map(|s| statement(s, claim.chain_id)).collect();
        // The state tables (partly sequential: the commitment chain, the levels near the root)
        // are built beside the signature tables, which keep both cores busy.
        let heights = log_heights(&claim, min_log_rows);
        let (t, v) = join(
            || {
                tracing::info_span!("state tables")
                    .in_scope(|| trace::generate(&rows, &pre, min_heights(min_log_rows)))
            },
            || signature_tables(&statements, heights),
        );
        let o = t.outcome;
        debug_assert_eq!(
            (o.old_root, o.new_root, o.commitment, o.accounts, o.nodes),
            (
                claim.old_root,
                claim.new_root,
                claim.commitment,
                claim.accounts,
                claim.nodes
            )
        );
        if v.unverified.is_some() {
            return Err(checked_refusal(&block));
        }
        let traces = assemble(t, v, heights);
        Ok(Witness {
            execution: Execution {
                public_values: claim.to_bytes(),
                steps: claim.count.into(),
            },
            traces,
        })
    }
}
