//! Shared by the `transfers` forgeries: signing forged rows and proving the seven tables.
//!
//! A forgery aimed at one constraint family gives each row its sender's *true* signature of the
//! message the row names (the tests hold every wallet they make), so the signature lookup
//! balances and only the family under test can reject the row. Forgeries of the signature
//! lookup itself (`transfers_signed.rs`) build their statements by hand.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

use l2x_air::{AirProgram, Val};
use l2x_programs::Transfers;
use l2x_programs::poseidon2::{Digest, compress};
use l2x_programs::signatures::Statement;
use l2x_programs::transfers::columns;
use l2x_programs::transfers::fixture::Wallet;
use l2x_programs::transfers::state::{ROTATION_TAG, TRANSFER_TAG};
use l2x_programs::transfers::trace::{self, Row, Traces};
use l2x_programs::transfers::{self, Block, Claim, Tree};
use l2x_sig::{Message, PublicKey, SecretKey};
use l2x_stark::{prove_tables, verify_tables};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_matrix::dense::RowMajorMatrix;

/// Every secret key of the wallets made by [`wallet`], by public key.
static KEYS: LazyLock<Mutex<BTreeMap<Vec<u32>, SecretKey>>> = LazyLock::new(Mutex::default);

fn id(key: &Digest) -> Vec<u32> {
    key.iter().map(|v| v.as_canonical_u32()).collect()
}

/// [`Wallet::genesis`], its keys kept for [`statement`].
pub fn wallet(n: usize, seed: u64) -> Wallet {
    let wallet = Wallet::genesis(n, seed);
    let mut keys = KEYS.lock().unwrap();
    for h in wallet.accounts.values() {
        keys.insert(id(&h.key.public_key().to_elements()), h.key.clone());
    }
    wallet
}

/// What the signature lookup of a transfer-table row names, its cells read as the AIR reads
/// them: the sender's key, the epoch (nonce limbs 0 and 1) and the message on chain `chain_id`
/// (a key rotation's on a row whose `ROTATE` is 1).
pub fn named(row: &[Val], chain_id: u32) -> (Digest, u32, Message) {
    use columns::*;
    let key: Digest = std::array::from_fn(|j| row[SENDER_KEY + j]);
    let nonce = &row[limbs_of(5)..];
    let epoch = (nonce[0] + Val::from_u32(1 << 16) * nonce[1]).as_canonical_u32();
    let amount = &row[limbs_of(0)..];
    let half = |x: u32, k: u32| Val::from_u32((x >> (16 * k)) & 0xffff);
    if row[ROTATE] == Val::ONE {
        let head = [
            Val::from_u32(u32::from(ROTATION_TAG) << 16) + half(chain_id, 0),
            half(chain_id, 1),
            row[FROM_LO],
            row[FROM_HI],
        ];
        let message = std::array::from_fn(|j| if j < 4 { head[j] } else { row[NEW_KEY + j - 4] });
        return (key, epoch, message);
    }
    let message = [
        Val::from_u16(TRANSFER_TAG),
        half(chain_id, 0),
        half(chain_id, 1),
        row[FROM_LO],
        row[FROM_HI],
        row[TO_LO],
        row[TO_HI],
        amount[0],
        amount[1],
        amount[2],
        amount[3],
        Val::ZERO,
    ];
    (key, epoch, message)
}

/// The statement a row names ([`named`]), signed by the secret of the row's sender key
/// ([`wallet`]'s); `None` if that key is unknown or cannot sign the row's epoch.
pub fn statement(row: &[Val], chain_id: u32) -> Option<Statement> {
    let (key, epoch, message) = named(row, chain_id);
    let keys = KEYS.lock().unwrap();
    let signature = keys.get(&id(&key))?.sign(epoch, &message).ok()?;
    Some(Statement {
        key: PublicKey::from_elements(&key),
        epoch,
        message,
        signature,
    })
}

/// The statements the transfer rows' signature lookups need, each signed by its sender
/// ([`statement`]): a row counted c times (`ACTIVE` = c, a small number) needs its own c
/// times.
pub fn statements(transfers: &RowMajorMatrix<Val>, chain_id: u32) -> Vec<Statement> {
    let mut list = Vec::new();
    for row in transfers.values.chunks_exact(columns::WIDTH) {
        let count = row[columns::ACTIVE].as_canonical_u32();
        if (1..16).contains(&count)
            && let Some(s) = statement(row, chain_id)
        {
            list.extend(std::iter::repeat_n(s, count as usize));
        }
    }
    list
}

/// The rows of `block`'s transfers and their honest statements (each transfer's own
/// signature).
pub fn honest_rows(block: &Block) -> (Vec<Row>, Vec<Statement>) {
    let (_, steps, _) = block.apply().unwrap();
    let statements = steps
        .iter()
        .map(|s| transfers::statement(s, block.chain_id))
        .collect();
    (steps.iter().map(Row::new).collect(), statements)
}

/// The honest claim of `rows` applied to `block`'s pre-state and their traces: the pre-state's
/// root, and what the traces show.
pub fn witness(block: &Block, rows: &[Row]) -> (Claim, Traces) {
    let pre = Tree::new(block.accounts.iter().copied());
    let traces = trace::generate(rows, &pre, transfers::min_heights(0));
    let o = traces.outcome;
    let claim = Claim {
        old_root: pre.root(),
        new_root: o.new_root,
        commitment: o.commitment,
        count: rows.len() as u32,
        chain_id: block.chain_id,
        accounts: o.accounts,
        nodes: o.nodes,
        rotations: rows.iter().filter(|r| r.rotate).count() as u32,
    };
    (claim, traces)
}

/// Whether `rows` (the transfer table's, applied from the block's pre-state) verify, their
/// traces and claim edited by `edit` first, with the verification tables of `statements` — or,
/// if `None`, of what each row names signed by its sender ([`statements`]).
pub fn rows_accepted(
    block: &Block,
    rows: &[Row],
    edit: impl FnOnce(&mut Traces, &mut Claim),
    statements: Option<&[Statement]>,
) -> bool {
    let (mut claim, mut traces) = witness(block, rows);
    edit(&mut traces, &mut claim);
    match statements {
        Some(statements) => accepted_signed(&claim, traces, statements),
        None => accepted(&claim, traces),
    }
}

/// The seven tables' heights (rows) for `claim`.
pub fn heights(claim: &Claim) -> Vec<usize> {
    Transfers
        .tables(&claim.to_bytes(), 0)
        .unwrap()
        .iter()
        .map(|t| 1 << t.log_height)
        .collect()
}

/// Whether the tables of `claim` accept the state's traces, the verification tables of the
/// statements the transfer rows need ([`statements`]: each signed by its sender), and the
/// compression table of the state's compressions with the verifications' own: proven, then
/// verified.
pub fn accepted(claim: &Claim, traces: Traces) -> bool {
    let statements = statements(&traces.transfers, claim.chain_id);
    accepted_signed(claim, traces, &statements)
}

/// As [`accepted`], with the verification tables of `statements` (whatever the rows name).
pub fn accepted_signed(claim: &Claim, traces: Traces, statements: &[Statement]) -> bool {
    let witness = transfers::witness_traces(traces, statements, transfers::log_heights(claim, 0));
    proves(claim, &witness)
}

/// Whether `witness` (the seven traces) proves `claim` and the proof verifies.
pub fn proves(claim: &Claim, witness: &[RowMajorMatrix<Val>]) -> bool {
    let tables = Transfers.tables(&claim.to_bytes(), 0).unwrap();
    match prove_tables(&transfers::ID, &tables, witness) {
        Ok(seal) => verify_tables(&transfers::ID, &tables, &seal).is_ok(),
        Err(_) => false,
    }
}

/// Restarts the commitment chain at `row` from `start`: that row's and the later rows'
/// commitments, their compressions and the claim follow (a block without key rotations: two
/// compressions a row).
pub fn recommit(traces: &mut Traces, claim: &mut Claim, row: usize, start: Digest) {
    assert_eq!(
        claim.rotations, 0,
        "recommit follows two compressions a row"
    );
    let perm = default_koalabear_poseidon2_16();
    let active = claim.count as usize;
    let mut c = start;
    for r in row..traces.transfers.values.len() / columns::WIDTH {
        put(&mut traces.transfers, r, columns::COMMIT_IN, &c);
        if r < active {
            let base = 2 * r;
            let first = traces.compressions[base].1;
            let second = traces.compressions[base + 1].1;
            let mid = compress(&perm, &c, &first);
            traces.compressions[base].0 = c;
            traces.compressions[base + 1].0 = mid;
            put(&mut traces.transfers, r, columns::COMMIT_MID, &mid);
            c = compress(&perm, &mid, &second);
        }
        put(&mut traces.transfers, r, columns::COMMIT_SECOND, &c);
        put(&mut traces.transfers, r, columns::COMMIT_OUT, &c);
    }
    claim.commitment = c;
}

/// Writes `values` into `matrix`'s row `row` from `column` on.
pub fn put(matrix: &mut RowMajorMatrix<Val>, row: usize, column: usize, values: &[Val]) {
    let width = matrix.width;
    matrix.values[row * width + column..][..values.len()].copy_from_slice(values);
}

/// The digest at `column` of `matrix`'s row `row`.
pub fn get(matrix: &RowMajorMatrix<Val>, row: usize, column: usize) -> Digest {
    std::array::from_fn(|j| matrix.values[row * matrix.width + column + j])
}
