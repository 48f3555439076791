//! Witness generation for `signatures`: each statement's verification replayed with
//! [`l2x_sig::hash`]'s own calls, recording every compression's input and output, laid out as
//! the tables' rows.

use l2x_air::Val;
use l2x_sig::hash::{self, Input};
use l2x_sig::params::{
    CHAIN_LEN, CHUNK_BITS, CHUNKS_PER_LIMB, DIGEST_LEN, ENCODING_LIMBS, HEIGHT, LEAF_CALLS,
    LIMB_BITS, MESSAGE_LEN, PARAM_LEN, WIDE_LEN,
};
use l2x_sig::{Digest, Wide};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use super::Statement;
use super::columns::{self, statement};
use super::statement::FIRST_PART;
use crate::poseidon2::Digest as Digest8;

/// The traces of the four tables and the compressions their rows look up.
#[derive(Debug)]
pub struct Traces {
    /// The verification table.
    pub verify: RowMajorMatrix<Val>,
    /// The chain table.
    pub chains: RowMajorMatrix<Val>,
    /// The path table.
    pub paths: RowMajorMatrix<Val>,
    /// The statement table.
    pub statements: RowMajorMatrix<Val>,
    /// Every compression looked up, in order: (lanes 0–7, lanes 8–15).
    pub compressions: Vec<(Digest8, Digest8)>,
    /// The commitment to the statements.
    pub commitment: Digest8,
}

/// Records one compression's input among `compressions` and returns its output.
fn record(input: &Input, compressions: &mut Vec<(Digest8, Digest8)>) -> Wide {
    compressions.push((
        std::array::from_fn(|j| input[j]),
        std::array::from_fn(|j| input[8 + j]),
    ));
    hash::compress(input)
}

/// A verification's row, given the leaf sponge's last state (the chain table's), pushing its
/// two compressions.
pub fn verify_row(
    statement: &Statement,
    leaf_state: &Wide,
    compressions: &mut Vec<(Digest8, Digest8)>,
) -> Vec<Val> {
    let mut row = vec![Val::ZERO; columns::WIDTH];
    let Statement {
        key,
        epoch,
        message,
        signature,
    } = statement;
    let mut put = |at: usize, values: &[Val]| row[at..at + values.len()].copy_from_slice(values);
    put(columns::ACTIVE, &[Val::ONE]);
    put(columns::ROOT, &key.root);
    put(columns::PARAM, &key.param);
    put(columns::EPOCH, &[Val::from_u32(*epoch)]);
    put(columns::MESSAGE, message);
    put(columns::RHO, &signature.rho);
    let mu = record(&hash::message_input(*epoch, message), compressions);
    put(columns::MU, &mu);
    let encoding = record(
        &hash::encode_input(&signature.rho, &key.param, &mu),
        compressions,
    );
    put(columns::ENCODING, &encoding);
    put(columns::LEAF, leaf_state);
    encoding_cells(&encoding, &mut row);
    row
}

/// The chunks of an encoding digest's first limbs, read as the tables read them (no check).
pub fn chunks_of(encoding: &Wide) -> [usize; columns::CHUNKS] {
    std::array::from_fn(|i| {
        let x = encoding[i / CHUNKS_PER_LIMB].as_canonical_u32() & ((1 << LIMB_BITS) - 1);
        ((x >> (CHUNK_BITS * (i % CHUNKS_PER_LIMB))) & ((1 << CHUNK_BITS) - 1)) as usize
    })
}

/// The encoding digest of a statement's ρ, as the verification recomputes it.
fn encoding_of(statement: &Statement) -> Wide {
    let mu = hash::message_digest(statement.epoch, &statement.message);
    hash::encode_digest(&statement.signature.rho, &statement.key.param, &mu)
}

/// Writes the encoding digest's high parts and the last limb's spare chunks (bits).
fn encoding_cells(encoding: &Wide, row: &mut [Val]) {
    let spare = encoding[ENCODING_LIMBS - 1].as_canonical_u32() & ((1 << LIMB_BITS) - 1);
    let spare = spare >> (LIMB_BITS - columns::SPARE_BITS);
    for b in 0..columns::SPARE_BITS {
        row[columns::SPARE + b] = Val::from_bool((spare >> b) & 1 == 1);
    }
    for (limb, value) in encoding.iter().take(ENCODING_LIMBS).enumerate() {
        let high = value.as_canonical_u32() >> LIMB_BITS;
        let bits: Vec<Val> = (0..columns::HIGH_BITS)
            .map(|b| Val::from_bool((high >> b) & 1 == 1))
            .collect();
        let at = columns::HIGH + columns::HIGH_BITS * limb;
        row[at..at + columns::HIGH_BITS].copy_from_slice(&bits);
        row[columns::HIGH_AND + 2 * limb] = bits[0] * bits[1] * bits[2];
        row[columns::HIGH_AND + 2 * limb + 1] = bits[3] * bits[4] * bits[5];
    }
}

/// What the leaf sponge has absorbed before a call: its state, the limbs' low parts read from
/// the chains' positions so far, and their sum.
#[derive(Debug, Clone, Copy)]
pub struct Sponge {
    /// The state.
    pub state: Wide,
    /// Σ 8^(i mod 8) · xᵢ per limb over the chains absorbed.
    pub low: [Val; ENCODING_LIMBS],
    /// Σ xᵢ over the chains absorbed.
    pub sum: Val,
}

impl Sponge {
    /// The sponge before its first call: the IV of `param` and `epoch`.
    pub fn start(param: &[Val; PARAM_LEN], epoch: u32) -> Self {
        Self {
            state: hash::leaf_iv(param, epoch),
            low: [Val::ZERO; ENCODING_LIMBS],
            sum: Val::ZERO,
        }
    }
}

/// Writes chain `chain` of a chain-table row (the row's `j`-th) walked from `tip` at position
/// `start`, pushing its steps' compressions; returns its end.
fn walk_chain(
    row: &mut [Val],
    j: usize,
    (param, epoch): (&[Val; PARAM_LEN], u32),
    (chain, start, tip): (usize, usize, Digest),
    compressions: &mut Vec<(Digest8, Digest8)>,
) -> Digest {
    use columns::chain::*;
    let base = CHAIN + CHAIN_WIDTH * j;
    row[base + AT + start] = Val::ONE;
    let mut v = tip;
    row[base + VALUE + DIGEST_LEN * start..][..DIGEST_LEN].copy_from_slice(&v);
    for k in start..CHAIN_LEN - 1 {
        let out = record(&hash::chain_input(param, epoch, chain, k, &v), compressions);
        v = hash::narrow(&out);
        row[base + VALUE + DIGEST_LEN * (k + 1)..][..DIGEST_LEN].copy_from_slice(&v);
        row[base + REST + columns::REST_LEN * k..][..columns::REST_LEN]
            .copy_from_slice(&out[DIGEST_LEN..]);
    }
    v
}

/// The chain table's row of call `call` of a statement's leaf sponge: its two chains walked
/// from the signature's values at `chunks`' positions, and the call on `sponge`. Pushes the
/// compressions; returns the row and the sponge after the call.
pub fn chain_row(
    statement: &Statement,
    call: usize,
    chunks: &[usize],
    sponge: &Sponge,
    compressions: &mut Vec<(Digest8, Digest8)>,
) -> (Vec<Val>, Sponge) {
    use columns::chain::*;
    let (param, epoch) = (statement.key.param, statement.epoch);
    let mut row = vec![Val::ZERO; WIDTH];
    row[PARAM..PARAM + PARAM_LEN].copy_from_slice(&param);
    row[EPOCH] = Val::from_u32(epoch);
    row[CALL + call] = Val::ONE;
    row[CALL_INDEX] = Val::from_usize(call);
    let mut next = *sponge;
    let mut input = [Val::ZERO; 16];
    input[..WIDE_LEN].copy_from_slice(&sponge.state);
    for j in 0..columns::CHAINS_PER_CALL {
        let chain = columns::CHAINS_PER_CALL * call + j;
        let (start, tip) = (chunks[chain], statement.signature.chains[chain]);
        let end = walk_chain(
            &mut row,
            j,
            (&param, epoch),
            (chain, start, tip),
            compressions,
        );
        input[WIDE_LEN + DIGEST_LEN * j..][..DIGEST_LEN].copy_from_slice(&end);
        let start = Val::from_usize(start);
        next.low[chain / CHUNKS_PER_LIMB] +=
            Val::from_u32(super::chain::chunk_weight(chain)) * start;
        next.sum += start;
    }
    next.state = record(&input, compressions);
    row[STATE_IN..STATE_IN + WIDE_LEN].copy_from_slice(&sponge.state);
    row[STATE_OUT..STATE_OUT + WIDE_LEN].copy_from_slice(&next.state);
    row[LOW_IN..LOW_IN + ENCODING_LIMBS].copy_from_slice(&sponge.low);
    row[SUM_IN] = sponge.sum;
    (row, next)
}

/// A padding row of the chain table: no call, both chains at position 7, no step.
pub fn chain_padding_row() -> Vec<Val> {
    use columns::chain::*;
    let mut row = vec![Val::ZERO; WIDTH];
    for j in 0..columns::CHAINS_PER_CALL {
        row[CHAIN + CHAIN_WIDTH * j + AT + CHAIN_LEN - 1] = Val::ONE;
    }
    row
}

/// The path group of a statement: 32 rows climbing from `leaf` with its siblings, pushing the
/// 30 compressions.
pub fn path_rows(
    statement: &Statement,
    leaf: Digest,
    compressions: &mut Vec<(Digest8, Digest8)>,
) -> Vec<Val> {
    use columns::path::*;
    let (param, epoch) = (statement.key.param, statement.epoch);
    let mut rows = Vec::with_capacity(columns::PATH_ROWS * WIDTH);
    let mut node = leaf;
    for level in 0..columns::PATH_ROWS {
        let mut row = vec![Val::ZERO; WIDTH];
        row[ACTIVE] = Val::ONE;
        row[PARAM..PARAM + DIGEST_LEN].copy_from_slice(&param);
        row[EPOCH] = Val::from_u32(epoch);
        row[LEAF..LEAF + DIGEST_LEN].copy_from_slice(&leaf);
        row[NODE..NODE + DIGEST_LEN].copy_from_slice(&node);
        row[LEVEL] = Val::from_usize(level);
        row[IS_LAST] = Val::from_bool(level + 1 == columns::PATH_ROWS);
        if let Some(sibling) = statement.signature.path.get(level) {
            let bit = (epoch >> level) & 1;
            row[LIVE] = Val::ONE;
            row[BIT] = Val::from_u32(bit);
            row[INDEX] = Val::from_u32(epoch >> level);
            row[SIBLING..SIBLING + DIGEST_LEN].copy_from_slice(sibling);
            let (left, right) = if bit == 0 {
                (node, *sibling)
            } else {
                (*sibling, node)
            };
            let input = hash::tree_input(&param, level + 1, epoch >> (level + 1), &left, &right);
            let out = record(&input, compressions);
            node = hash::narrow(&out);
            row[REST..REST + DIGEST_LEN].copy_from_slice(&out[DIGEST_LEN..]);
        }
        row[PARENT..PARENT + DIGEST_LEN].copy_from_slice(&node);
        rows.extend(row);
    }
    rows
}

/// A padding group of the path table: inactive, nothing looked up or provided.
pub fn path_padding_rows() -> Vec<Val> {
    use columns::path::*;
    let mut rows = Vec::with_capacity(columns::PATH_ROWS * WIDTH);
    for level in 0..columns::PATH_ROWS {
        let mut row = vec![Val::ZERO; WIDTH];
        row[LEVEL] = Val::from_usize(level);
        row[IS_LAST] = Val::from_bool(level + 1 == columns::PATH_ROWS);
        row[LIVE] = Val::from_bool(level < HEIGHT);
        rows.extend(row);
    }
    rows
}

/// The three commitment blocks of a statement.
pub fn commitment_blocks(statement: &Statement) -> [Digest8; 3] {
    let m = &statement.message;
    let mut second = [Val::ZERO; WIDE_LEN];
    second[0] = Val::from_u32(statement.epoch);
    second[1..].copy_from_slice(&m[..FIRST_PART]);
    let mut third = [Val::ZERO; WIDE_LEN];
    third[..MESSAGE_LEN - FIRST_PART].copy_from_slice(&m[FIRST_PART..]);
    [statement.key.to_elements(), second, third]
}

/// The statement table's row for `statement` from commitment `commit`, pushing its three
/// compressions; returns the row and the commitment after it.
fn statement_row(
    statement: &Statement,
    commit: Digest8,
    count: u32,
    compressions: &mut Vec<(Digest8, Digest8)>,
) -> (Vec<Val>, Digest8) {
    use statement::*;
    let mut row = vec![Val::ZERO; WIDTH];
    row[ACTIVE] = Val::ONE;
    row[COUNT] = Val::from_u32(count);
    row[ROOT..ROOT + 4].copy_from_slice(&statement.key.root);
    row[PARAM..PARAM + 4].copy_from_slice(&statement.key.param);
    row[EPOCH] = Val::from_u32(statement.epoch);
    row[MESSAGE..MESSAGE + MESSAGE_LEN].copy_from_slice(&statement.message);
    let mut c = commit;
    for (block, at) in commitment_blocks(statement)
        .iter()
        .zip([COMMIT_IN, COMMIT_A, COMMIT_B])
    {
        row[at..at + WIDE_LEN].copy_from_slice(&c);
        let mut input = [Val::ZERO; 16];
        input[..8].copy_from_slice(&c);
        input[8..].copy_from_slice(block);
        compressions.push((c, *block));
        c = hash::compress(&input);
    }
    row[COMMIT_OUT..COMMIT_OUT + WIDE_LEN].copy_from_slice(&c);
    (row, c)
}

/// The statement table for `statements`, padded to `rows` rows, the compressions it looks up
/// and the commitment. Reads only the statements, not their signatures.
pub fn statement_table(
    statements: &[Statement],
    rows: usize,
) -> (RowMajorMatrix<Val>, Vec<(Digest8, Digest8)>, Digest8) {
    let mut compressions = Vec::new();
    let mut values = Vec::with_capacity(rows * statement::WIDTH);
    let mut commit = [Val::ZERO; WIDE_LEN];
    for (n, s) in statements.iter().enumerate() {
        let (row, next) = statement_row(s, commit, n as u32 + 1, &mut compressions);
        values.extend(row);
        commit = next;
    }
    for _ in statements.len()..rows {
        let mut row = vec![Val::ZERO; statement::WIDTH];
        row[statement::COUNT] = Val::from_usize(statements.len());
        for at in [
            statement::COMMIT_IN,
            statement::COMMIT_A,
            statement::COMMIT_B,
            statement::COMMIT_OUT,
        ] {
            row[at..at + WIDE_LEN].copy_from_slice(&commit);
        }
        values.extend(row);
    }
    (
        RowMajorMatrix::new(values, statement::WIDTH),
        compressions,
        commit,
    )
}

/// The tables that verify signatures — verification, chains, paths — and the compressions
/// they look up: what a program that consumes [`VERIFIED_BUS`](super::air::VERIFIED_BUS) proves
/// beside its own tables.
#[derive(Debug)]
pub struct Verification {
    /// The verification table.
    pub verify: RowMajorMatrix<Val>,
    /// The chain table.
    pub chains: RowMajorMatrix<Val>,
    /// The path table.
    pub paths: RowMajorMatrix<Val>,
    /// Every compression looked up, in order: (lanes 0–7, lanes 8–15).
    pub compressions: Vec<(Digest8, Digest8)>,
    /// The first statement whose signature does not verify (its encoding has no valid
    /// chunks, or its path climbs to another root), if any: such tables are no proof of it,
    /// and a caller that skipped the native check learns here that it must refuse.
    pub unverified: Option<usize>,
}

/// One statement's rows of the verification, chain and path tables, and its compressions.
struct Rows {
    verify: Vec<Val>,
    chains: Vec<Val>,
    paths: Vec<Val>,
    compressions: Vec<(Digest8, Digest8)>,
    /// Whether the signature verifies, as [`l2x_sig::verify`] decides.
    verified: bool,
}

/// Hashes `s` once: its chain rows walk its chains and absorb their ends, the verification row
/// reads the sponge's last state, whose leaf its path group climbs from.
fn statement_rows(s: &Statement) -> Rows {
    let mut compressions = Vec::new();
    let encoding = encoding_of(s);
    let chunks = chunks_of(&encoding);
    let mut chains = Vec::with_capacity(LEAF_CALLS * columns::chain::WIDTH);
    let mut sponge = Sponge::start(&s.key.param, s.epoch);
    for call in 0..LEAF_CALLS {
        let (row, next) = chain_row(s, call, &chunks, &sponge, &mut compressions);
        chains.extend(row);
        sponge = next;
    }
    let verify = verify_row(s, &sponge.state, &mut compressions);
    let paths = path_rows(s, hash::narrow(&sponge.state), &mut compressions);
    let root = &paths[(columns::PATH_ROWS - 1) * columns::path::WIDTH + columns::path::PARENT..]
        [..DIGEST_LEN];
    let verified = l2x_sig::encoding::chunks(&encoding).is_ok() && root == s.key.root;
    Rows {
        verify,
        chains,
        paths,
        compressions,
        verified,
    }
}

/// The verification, chain and path tables for `statements`, padded to `rows` rows. Each
/// statement is hashed once: its chain rows give the verification row its ends, and the
/// verification row's last sponge state is the leaf its path group climbs from.
pub fn verification(statements: &[Statement], rows: [usize; 3]) -> Verification {
    // Statements are independent: each is hashed on its own core, then the rows and the
    // compressions are joined in statement order.
    let parts: Vec<Rows> = statements.par_iter().map(statement_rows).collect();
    let unverified = parts.iter().position(|part| !part.verified);
    let mut compressions = Vec::with_capacity(parts.iter().map(|p| p.compressions.len()).sum());
    let mut verify = Vec::with_capacity(rows[0] * columns::WIDTH);
    let mut chains = Vec::with_capacity(rows[1] * columns::chain::WIDTH);
    let mut paths = Vec::with_capacity(rows[2] * columns::path::WIDTH);
    for part in parts {
        verify.extend(part.verify);
        chains.extend(part.chains);
        paths.extend(part.paths);
        compressions.extend(part.compressions);
    }
    verify.resize(rows[0] * columns::WIDTH, Val::ZERO);
    let padding = chain_padding_row();
    for _ in statements.len() * LEAF_CALLS..rows[1] {
        chains.extend_from_slice(&padding);
    }
    let padding = path_padding_rows();
    for _ in (statements.len() * columns::PATH_ROWS..rows[2]).step_by(columns::PATH_ROWS) {
        paths.extend_from_slice(&padding);
    }
    Verification {
        verify: RowMajorMatrix::new(verify, columns::WIDTH),
        chains: RowMajorMatrix::new(chains, columns::chain::WIDTH),
        paths: RowMajorMatrix::new(paths, columns::path::WIDTH),
        compressions,
        unverified,
    }
}

/// The four tables for `statements`, padded to `rows` rows: verification, chains, paths
/// ([`verification`]), statements.
pub fn generate(statements: &[Statement], rows: [usize; 4]) -> Traces {
    let Verification {
        verify,
        chains,
        paths,
        mut compressions,
        ..
    } = verification(statements, [rows[0], rows[1], rows[2]]);
    let (statements, more, commitment) = statement_table(statements, rows[3]);
    compressions.extend(more);
    Traces {
        verify,
        chains,
        paths,
        statements,
        compressions,
        commitment,
    }
}

/// The commitment to `statements`, natively.
pub fn commitment(statements: &[Statement]) -> Digest8 {
    statements.iter().fold([Val::ZERO; WIDE_LEN], |c, s| {
        commitment_blocks(s).iter().fold(c, |c, block| {
            let mut input = [Val::ZERO; 16];
            input[..8].copy_from_slice(&c);
            input[8..].copy_from_slice(block);
            hash::compress(&input)
        })
    })
}
