//! `signatures` end to end: honest batches prove and verify, and forged witnesses — each the
//! best an attacker (or a signer bending the rules) can give, with the compression table built
//! from exactly what the forged rows look up — are rejected.
//!
//! Mutation checks (run by hand, each failing the test named when the constraint is deleted):
//! in `crates/programs/src/signatures/air.rs`, `high ≤ 126` (`HIGH_AND` product) —
//! `a_non_canonical_limb_is_rejected`; the spare chunks' bit checks —
//! `a_spare_chunk_out_of_range_is_rejected`; the high parts' bit checks —
//! `a_high_part_out_of_range_is_rejected`; the root left out of the path bus's message (in both
//! tables) — `a_path_to_another_root_is_rejected`; the message call's lookup —
//! `a_signature_of_another_message_is_rejected`; in `chain.rs`, the chunk sum left out of the
//! leaf bus's message — `an_encoding_off_by_one_is_rejected`; the limbs' low parts left out of
//! it — `a_signature_reused_for_another_message_is_rejected`; call 0's zero low parts and sum —
//! `a_sponge_started_with_low_parts_is_rejected` and `a_sponge_started_with_a_sum_is_rejected`
//! (each deleted alone fails only its own); the calls chained (each consuming the state
//! before it; mutated so that only call 20 supplies and none consumes) —
//! `a_last_call_without_the_calls_before_is_rejected`; the call flags' bit checks —
//! `a_call_flagged_by_non_bits_is_rejected`; `CALL_INDEX = Σ m·CALL[m]` —
//! `a_call_indexed_apart_from_its_flag_is_rejected`; the start flags' bit checks —
//! `a_chain_whose_start_flags_are_not_bits_is_rejected`; step k counted from k ≥ x (made k > x) —
//! `a_skipped_chain_step_is_rejected`; the start position left out of the low parts and the sum
//! — `a_chain_walked_from_another_position_is_rejected`; in `path.rs`, the idle levels'
//! `PARENT = NODE` — `a_path_whose_idle_levels_change_the_root_is_rejected`.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;

use l2x_air::forge::bus_messages;
use l2x_air::{AirProgram, Val};
use l2x_programs::poseidon2::bus;
use l2x_programs::signatures::trace::Sponge;
use l2x_programs::signatures::{self, Claim, Signatures, Statement, columns, trace};
use l2x_sig::hash::{encode_digest, message_digest, walk};
use l2x_sig::params::{
    CHAINS, CHUNK_BITS, CHUNKS_PER_LIMB, ENCODING_LIMBS, LEAF_CALLS, LIMB_BITS, TARGET_SUM,
};
use l2x_sig::{ActiveRange, Message, SecretKey, Seed, Signature, message_of_u16};
use l2x_stark::{prove_tables, verify_tables};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;

fn key(seed: u8) -> SecretKey {
    SecretKey::generate(
        &Seed::from_bytes([seed; 32]),
        ActiveRange::new(0, 4).unwrap(),
    )
}

fn message(n: u16) -> Message {
    message_of_u16([n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
}

fn signed(key: &SecretKey, epoch: u32, m: Message) -> Statement {
    Statement {
        key: key.public_key(),
        epoch,
        message: m,
        signature: key.sign(epoch, &m).unwrap(),
    }
}

fn batch() -> Vec<Statement> {
    let (a, b) = (key(1), key(2));
    vec![
        signed(&a, 0, message(1)),
        signed(&b, 3, message(2)),
        signed(&a, 1, message(3)),
    ]
}

/// The rows a forger gives the verification, chain and path tables.
#[derive(Clone)]
struct Rows {
    verify: Vec<Val>,
    chains: Vec<Val>,
    paths: Vec<Val>,
}

fn tables(statements: &[Statement]) -> Vec<l2x_air::Table> {
    let claim = Claim {
        commitment: signatures::commitment(statements),
        count: statements.len() as u32,
    };
    Signatures.tables(&claim.to_bytes(), 0).unwrap()
}

/// Whether the program's tables for these statements accept `rows` with honest statement rows
/// and the compression table an attacker would give: one row per compression the tables look
/// up (true or not: a false one cannot balance).
fn accepted(statements: &[Statement], rows: Rows) -> bool {
    let tables = tables(statements);
    let (statement_rows, _, _) = trace::statement_table(statements, 1 << tables[3].log_height);
    let verify = RowMajorMatrix::new(rows.verify, columns::WIDTH);
    let chains = RowMajorMatrix::new(rows.chains, columns::chain::WIDTH);
    let paths = RowMajorMatrix::new(rows.paths, columns::path::WIDTH);
    let mut net: BTreeMap<Vec<u32>, (Vec<Val>, i64)> = BTreeMap::new();
    for (table, rows) in [
        (&tables[0], &verify),
        (&tables[1], &chains),
        (&tables[2], &paths),
        (&tables[3], &statement_rows),
    ] {
        for (m, count) in bus_messages(table, rows, bus::BUS.name()) {
            let count = if count == Val::NEG_ONE {
                -1
            } else {
                i64::from(count.as_canonical_u32())
            };
            let key = m.iter().map(|v| v.as_canonical_u32()).collect();
            net.entry(key).or_insert((m, 0)).1 += count;
        }
    }
    let mut compressions = Vec::new();
    for (m, count) in net.into_values() {
        assert!(count >= 0, "a message is needed {count} times");
        let half = |at: usize| -> [Val; 8] { std::array::from_fn(|j| m[at + j]) };
        compressions.extend(std::iter::repeat_n((half(0), half(8)), count as usize));
    }
    let height = 1 << tables[4].log_height;
    assert!(
        compressions.len() <= height,
        "the forged rows look up more than fits"
    );
    let witness = [
        verify,
        chains,
        paths,
        statement_rows,
        bus::generate(&compressions, height),
    ];
    match prove_tables(&signatures::ID, &tables, &witness) {
        Ok(seal) => verify_tables(&signatures::ID, &tables, &seal).is_ok(),
        Err(_) => false,
    }
}

/// The verification, chain and path tables' honest rows for `statements`, padded as the
/// program pads them.
fn rows(statements: &[Statement]) -> Rows {
    let heights: Vec<usize> = tables(statements)
        .iter()
        .map(|t| 1 << t.log_height)
        .collect();
    let traces = trace::generate(statements, [heights[0], heights[1], heights[2], heights[3]]);
    Rows {
        verify: traces.verify.values,
        chains: traces.chains.values,
        paths: traces.paths.values,
    }
}

/// `rows` (of one statement) with its chain rows walking `chains_of`'s chains from `chunks`,
/// the leaf sponge started from `start`, and its verification row made for `verified` from the
/// sponge's last state.
fn with_chains(
    mut rows: Rows,
    chains_of: &Statement,
    chunks: &[usize],
    start: Sponge,
    verified: &Statement,
) -> Rows {
    let width = columns::chain::WIDTH;
    let mut compressions = Vec::new();
    let mut sponge = start;
    for call in 0..LEAF_CALLS {
        let (row, next) = trace::chain_row(chains_of, call, chunks, &sponge, &mut compressions);
        rows.chains[width * call..width * (call + 1)].copy_from_slice(&row);
        sponge = next;
    }
    let verify = trace::verify_row(verified, &sponge.state, &mut compressions);
    rows.verify[..columns::WIDTH].copy_from_slice(&verify);
    rows
}

/// Cell `c` of chain i's columns in the chain table (chain i is on call i / 2's row).
fn chain_cell(i: usize, c: usize) -> usize {
    use columns::chain::{CHAIN, CHAIN_WIDTH, WIDTH};
    WIDTH * (i / 2) + CHAIN + CHAIN_WIDTH * (i % 2) + c
}

#[test]
fn an_honest_batch_proves_and_verifies() {
    let statements = batch();
    assert!(accepted(&statements, rows(&statements)));
    // And through the program's own witness.
    let input = signatures::input_bytes(&statements);
    let witness = Signatures.witness(&input, 0).unwrap();
    let tables = Signatures
        .tables(&witness.execution.public_values, 0)
        .unwrap();
    let seal = prove_tables(&signatures::ID, &tables, &witness.traces).unwrap();
    verify_tables(&signatures::ID, &tables, &seal).unwrap();
}

#[test]
fn an_empty_batch_proves() {
    assert!(accepted(&[], rows(&[])));
}

/// A ρ (searched from `start`) whose encoding of `m` at `epoch` under `key` is valid but for
/// its sum, which is `sum`; and its chunks.
fn rho_with_sum(
    key: &SecretKey,
    epoch: u32,
    m: &Message,
    sum: usize,
    also: impl Fn(&[Val; 8]) -> bool,
) -> ([Val; 3], [u8; CHAINS]) {
    let mu = message_digest(epoch, m);
    (0u32..)
        .find_map(|n| {
            let rho = [Val::from_u32(n), Val::from_u32(7), Val::from_u32(9)];
            let digest = encode_digest(&rho, &key.public_key().param, &mu);
            let chunks = canonical_chunks(&digest)?;
            let total: usize = chunks.iter().map(|&c| usize::from(c)).sum();
            (total == sum && also(&digest)).then_some((rho, chunks))
        })
        .unwrap()
}

fn canonical_chunks(digest: &[Val; 8]) -> Option<[u8; CHAINS]> {
    let mut chunks = [0u8; CHAINS];
    for (i, c) in chunks.iter_mut().enumerate() {
        let x = digest[i / CHUNKS_PER_LIMB].as_canonical_u32();
        if x == Val::ORDER_U32 - 1 {
            return None;
        }
        *c = ((x >> (CHUNK_BITS * (i % CHUNKS_PER_LIMB))) & 7) as u8;
    }
    Some(chunks)
}

/// The statement of a signature the key's holder made with ρ and its chunks as they are (the
/// chains at those positions, the path of the epoch).
fn made_with(
    key: &SecretKey,
    epoch: u32,
    m: Message,
    rho: [Val; 3],
    positions: &[u8; CHAINS],
) -> Statement {
    let honest = key.sign(epoch, &m).unwrap();
    Statement {
        key: key.public_key(),
        epoch,
        message: m,
        signature: Signature {
            rho,
            chains: key.chains_at(epoch, positions).unwrap(),
            path: honest.path,
        },
    }
}

#[test]
fn an_encoding_off_by_one_is_rejected() {
    // A signer's own signature whose encoding sums to 183 or 185: every chain and the path are
    // right, only the target sum fails (a verifier without it would accept encodings that
    // dominate a revealed one).
    let k = key(5);
    for sum in [TARGET_SUM - 1, TARGET_SUM + 1] {
        let (rho, chunks) = rho_with_sum(&k, 2, &message(4), sum, |_| true);
        let statements = vec![made_with(&k, 2, message(4), rho, &chunks)];
        assert!(!accepted(&statements, rows(&statements)), "sum {sum}");
    }
}

/// The first limb (of those whose chunks are all chains') below 2^24 whose chunk 0 is below 7.
fn small_limb(digest: &[Val; 8]) -> Option<usize> {
    (0..CHAINS / CHUNKS_PER_LIMB).find(|&l| {
        let x = digest[l].as_canonical_u32();
        x >> LIMB_BITS == 0 && x & 7 < 7
    })
}

#[test]
fn a_non_canonical_limb_is_rejected() {
    // An encoding summing to 183 with a limb x below 2^24, read as x + p: high part 127 and
    // low part x + 1, so the limb's chunk 0 is one more and the sum 184. The signer reveals the
    // chains at those positions, so every other check holds.
    let (k, epoch, m) = (key(6), 1, message(5));
    let (rho, canonical) = rho_with_sum(&k, epoch, &m, TARGET_SUM - 1, |d| small_limb(d).is_some());
    let digest = encode_digest(&rho, &k.public_key().param, &message_digest(epoch, &m));
    let limb = small_limb(&digest).unwrap();
    let chunk = CHUNKS_PER_LIMB * limb;
    let mut read = canonical;
    read[chunk] += 1;
    let statement = made_with(&k, epoch, m, rho, &read);
    // The canonical statement's rows, with chain `chunk` walked from one position higher
    // (through the same values, to the same end) and the limb's high part 127.
    let honest = made_with(&k, epoch, m, rho, &canonical);
    let read: Vec<usize> = read.iter().map(|&x| usize::from(x)).collect();
    let start = Sponge::start(&statement.key.param, epoch);
    let mut forged = with_chains(rows(&[honest]), &statement, &read, start, &statement);
    for b in 0..columns::HIGH_BITS {
        forged.verify[columns::HIGH + columns::HIGH_BITS * limb + b] = Val::ONE;
    }
    forged.verify[columns::HIGH_AND + 2 * limb] = Val::ONE;
    forged.verify[columns::HIGH_AND + 2 * limb + 1] = Val::ONE;
    assert!(!accepted(&[statement], forged));
}

#[test]
fn a_path_to_another_root_is_rejected() {
    // The statement names another key's root with this key's parameter; the signature's path
    // reaches this key's root.
    let (a, b) = (key(7), key(8));
    let mut s = signed(&a, 2, message(6));
    s.key.root = b.public_key().root;
    let mut forged = rows(&[signed(&a, 2, message(6))]);
    forged.verify[columns::ROOT..columns::ROOT + 4].copy_from_slice(&s.key.root);
    assert!(!accepted(&[s], forged));
}

#[test]
fn a_signature_of_another_message_is_rejected() {
    // The statement's message is another than the one signed; every other cell is the honest
    // signature's.
    let k = key(9);
    let honest = signed(&k, 3, message(7));
    let mut s = honest.clone();
    s.message = message(8);
    let mut forged = rows(std::slice::from_ref(&honest));
    forged.verify[columns::MESSAGE..columns::MESSAGE + 12].copy_from_slice(&s.message);
    assert!(!accepted(&[s], forged));
}

#[test]
fn another_epochs_one_time_key_is_rejected() {
    // The signature of epoch 1 claimed for epoch 3 (another nonce): every tweak reads the epoch.
    let k = key(10);
    let honest = signed(&k, 1, message(9));
    let mut s = honest.clone();
    s.epoch = 3;
    let mut forged = rows(std::slice::from_ref(&honest));
    forged.verify[columns::EPOCH] = Val::from_u32(3);
    assert!(!accepted(&[s], forged));
}

#[test]
fn a_skipped_chain_step_is_rejected() {
    // A chain's first step skipped: the signature reveals chain i at xᵢ + 1 (one step further
    // than its encoding allows) and the value at xᵢ is anything; the walk from xᵢ + 1 reaches
    // the true end, but the step from xᵢ is still looked up.
    let k = key(11);
    let honest = signed(&k, 0, message(10));
    let chunks = l2x_sig::encoding(&honest.key, 0, &honest.message, &honest.signature.rho).unwrap();
    let i = (0..CHAINS).find(|&i| chunks[i] < 7).unwrap();
    let x = usize::from(chunks[i]);
    let mut forged = rows(std::slice::from_ref(&honest));
    let value = |k: usize| chain_cell(i, columns::chain::VALUE + 4 * k);
    let mut s = honest.clone();
    s.signature.chains[i] = std::array::from_fn(|j| forged.chains[value(x + 1) + j]);
    forged.chains[value(x)..value(x) + 4].fill(Val::ZERO);
    assert!(!accepted(&[s], forged));
}

#[test]
fn a_chain_walked_from_another_position_is_rejected() {
    // The chain table walks chain i from xᵢ + 1 (a true walk, from the value the signer reveals
    // there, to the true end) while the encoding says xᵢ: the walk's entry names its start, so
    // the verification row's lookup finds nothing to match.
    let k = key(12);
    let honest = signed(&k, 2, message(11));
    let chunks = l2x_sig::encoding(&honest.key, 2, &honest.message, &honest.signature.rho).unwrap();
    let i = (0..CHAINS).find(|&i| chunks[i] < 7).unwrap();
    let x = usize::from(chunks[i]);
    let mut forged = rows(std::slice::from_ref(&honest));
    let at = |k: usize| chain_cell(i, columns::chain::AT + k);
    forged.chains[at(x)] = Val::ZERO;
    forged.chains[at(x + 1)] = Val::ONE;
    let mut s = honest.clone();
    let value = chain_cell(i, columns::chain::VALUE + 4 * (x + 1));
    s.signature.chains[i] = std::array::from_fn(|j| forged.chains[value + j]);
    assert!(!accepted(&[s], forged));
}

#[test]
fn a_path_whose_idle_levels_change_the_root_is_rejected() {
    // Levels 30 and 31 compress nothing; were the node free to change there, a path group
    // would provide any root for any leaf.
    let (a, b) = (key(13), key(14));
    let honest = signed(&a, 1, message(12));
    let mut s = honest.clone();
    s.key.root = b.public_key().root;
    let mut forged = rows(std::slice::from_ref(&honest));
    forged.verify[columns::ROOT..columns::ROOT + 4].copy_from_slice(&s.key.root);
    let cell = |level: usize, c: usize| columns::path::WIDTH * level + c;
    for j in 0..4 {
        forged.paths[cell(30, columns::path::PARENT + j)] = s.key.root[j];
        forged.paths[cell(31, columns::path::NODE + j)] = s.key.root[j];
        forged.paths[cell(31, columns::path::PARENT + j)] = s.key.root[j];
    }
    assert!(!accepted(&[s], forged));
}

/// The low parts of `statement`'s encoding limbs as the verification row reads them.
/// (Only the chains' chunks count: the last limb's spare ones are not in its low part.)
fn lows(statement: &Statement) -> [Val; ENCODING_LIMBS] {
    let mu = message_digest(statement.epoch, &statement.message);
    let digest = encode_digest(&statement.signature.rho, &statement.key.param, &mu);
    std::array::from_fn(|limb| {
        let x = digest[limb].as_canonical_u32();
        let chains = CHAINS
            .saturating_sub(CHUNKS_PER_LIMB * limb)
            .min(CHUNKS_PER_LIMB);
        Val::from_u32(x & ((1 << (CHUNK_BITS * chains)) - 1))
    })
}

/// A signer's signature of m1 and, with the same ρ, another message m2 whose encoding under
/// that ρ is canonical.
struct Reuse {
    /// The statement signed.
    honest: Statement,
    /// The statement claimed: m2 with m1's signature.
    claimed: Statement,
    /// m1's chunks: the positions the signature's chains are at.
    chunks: [usize; columns::CHUNKS],
}

impl Reuse {
    fn new(k: &SecretKey, epoch: u32) -> Self {
        let honest = signed(k, epoch, message(20));
        let encoding = |m: &Message| {
            let mu = message_digest(epoch, m);
            encode_digest(&honest.signature.rho, &honest.key.param, &mu)
        };
        let mut claimed = honest.clone();
        claimed.message = (21..)
            .map(message)
            .find(|m| canonical_chunks(&encoding(m)).is_some())
            .unwrap();
        let chunks = trace::chunks_of(&encoding(&honest.message));
        Self {
            honest,
            claimed,
            chunks,
        }
    }

    /// The leaf sponge before its first call, honestly.
    fn start(&self) -> Sponge {
        Sponge::start(&self.honest.key.param, self.honest.epoch)
    }

    /// The honest rows with the chains walked from `start` and the verification row made for
    /// the claimed statement.
    fn forged(&self, start: Sponge) -> Rows {
        let rows = rows(std::slice::from_ref(&self.honest));
        with_chains(rows, &self.honest, &self.chunks, start, &self.claimed)
    }
}

#[test]
fn a_signature_reused_for_another_message_is_rejected() {
    // The chains of a signature of m1 at their true positions (summing to 184), the
    // verification row honest for another message m2 with the same ρ: only the limbs' low parts
    // on the leaf bus tie the positions to m2's encoding.
    let reuse = Reuse::new(&key(15), 2);
    let forged = reuse.forged(reuse.start());
    assert!(!accepted(&[reuse.claimed], forged));
}

#[test]
fn a_sponge_started_with_low_parts_is_rejected() {
    // As above, with call 0's low parts and sum not zero but the difference between m2's and
    // m1's: the leaf's message then carries m2's low parts and a sum of 184.
    let reuse = Reuse::new(&key(16), 1);
    let (want, have) = (lows(&reuse.claimed), lows(&reuse.honest));
    let mut start = reuse.start();
    start.low = std::array::from_fn(|limb| want[limb] - have[limb]);
    let forged = reuse.forged(start);
    assert!(!accepted(&[reuse.claimed], forged));
}

#[test]
fn a_last_call_without_the_calls_before_is_rejected() {
    // Only the sponge's last call is walked, from the honest state before it but with the low
    // parts and sum m2's encoding needs; the other 20 chain rows are padding. Call 20 consumes
    // a state no row supplied.
    let reuse = Reuse::new(&key(17), 3);
    let Reuse {
        honest,
        claimed,
        chunks,
    } = &reuse;
    let mut sponge = reuse.start();
    for call in 0..LEAF_CALLS - 1 {
        sponge = trace::chain_row(honest, call, chunks, &sponge, &mut Vec::new()).1;
    }
    let (x40, x41) = (Val::from_usize(chunks[40]), Val::from_usize(chunks[41]));
    let want = lows(claimed);
    sponge.low = want;
    sponge.low[ENCODING_LIMBS - 1] -= x40 + x41 * Val::from_u32(8);
    sponge.sum = Val::from_usize(TARGET_SUM) - x40 - x41;
    let (last, after) = trace::chain_row(honest, LEAF_CALLS - 1, chunks, &sponge, &mut Vec::new());
    let mut forged = rows(std::slice::from_ref(honest));
    let width = columns::chain::WIDTH;
    let padding = trace::chain_padding_row();
    for call in 0..LEAF_CALLS - 1 {
        forged.chains[width * call..width * (call + 1)].copy_from_slice(&padding);
    }
    forged.chains[width * (LEAF_CALLS - 1)..width * LEAF_CALLS].copy_from_slice(&last);
    let verify = trace::verify_row(claimed, &after.state, &mut Vec::new());
    forged.verify[..columns::WIDTH].copy_from_slice(&verify);
    assert!(!accepted(std::slice::from_ref(claimed), forged));
}

/// A signer's encoding summing to 183 whose chain `chain` sits below 7, read with that chunk
/// one higher (sum 184): the statement as read, its rows (the chain walked from one position
/// higher, through the same values), and the encoding digest. Some other cell must balance
/// the limb for such rows to verify.
fn read_one_higher(seed: u8, chain: usize) -> (Statement, Rows, [Val; 8]) {
    let (k, epoch, m) = (key(seed), 0, message(13));
    let limb = chain / CHUNKS_PER_LIMB;
    let shift = CHUNK_BITS * (chain % CHUNKS_PER_LIMB);
    let (rho, canonical) = rho_with_sum(&k, epoch, &m, TARGET_SUM - 1, |d| {
        (d[limb].as_canonical_u32() >> shift) & 7 < 7
    });
    let mut read = canonical;
    read[chain] += 1;
    let statement = made_with(&k, epoch, m, rho, &read);
    let honest = made_with(&k, epoch, m, rho, &canonical);
    let chunks: Vec<usize> = read.iter().map(|&x| usize::from(x)).collect();
    let start = Sponge::start(&statement.key.param, epoch);
    let forged = with_chains(rows(&[honest]), &statement, &chunks, start, &statement);
    let digest = encode_digest(&rho, &k.public_key().param, &message_digest(epoch, &m));
    (statement, forged, digest)
}

#[test]
fn a_spare_chunk_out_of_range_is_rejected() {
    // Chunk 40 (the last limb's first) read one higher, the limb's spare part one 64th lower
    // in the field to balance it: only the spare part's bit checks stop it.
    let (statement, mut forged, digest) = read_one_higher(18, CHAINS - 2);
    let spare = (digest[ENCODING_LIMBS - 1].as_canonical_u32() & ((1 << LIMB_BITS) - 1)) >> 6;
    let shifted = Val::from_u32(spare) - Val::from_u32(64).inverse();
    forged.verify[columns::SPARE..columns::SPARE + columns::SPARE_BITS].fill(Val::ZERO);
    forged.verify[columns::SPARE] = shifted;
    assert!(!accepted(&[statement], forged));
}

#[test]
fn a_high_part_out_of_range_is_rejected() {
    // Chunk 0 read one higher, limb 0's high part 2^-24 lower in the field to balance it: only
    // the high part's bit checks stop it.
    let (statement, mut forged, digest) = read_one_higher(19, 0);
    let high = digest[0].as_canonical_u32() >> LIMB_BITS;
    let shifted = Val::from_u32(high) - Val::from_u32(1 << LIMB_BITS).inverse();
    forged.verify[columns::HIGH..columns::HIGH + columns::HIGH_BITS].fill(Val::ZERO);
    forged.verify[columns::HIGH] = shifted;
    forged.verify[columns::HIGH_AND..columns::HIGH_AND + 2].fill(Val::ZERO);
    assert!(!accepted(&[statement], forged));
}

/// Flags for call `c`'s row that are not bits but pass every linear check: they sum to 1, name
/// call `c` and chains 2c and 2c + 1, and weigh the row's two positions `x` so that its
/// contribution to limb L's low part is `target[L]` (call 0's flag stays 0).
fn crooked_flags(c: usize, x: [usize; 2], target: [Val; ENCODING_LIMBS]) -> [Val; LEAF_CALLS] {
    // Call m adds 64^(m mod 4) · s to limb m / 4, s = x₀ + 8·x₁.
    let s = Val::from_usize(x[0] + 8 * x[1]);
    let inv = s.inverse();
    let mut f = [Val::ZERO; LEAF_CALLS];
    for (limb, &t) in target.iter().enumerate() {
        // One call per limb carries it: 4L + 1, or 20 for the last limb.
        let m = (4 * limb + 1).min(LEAF_CALLS - 1);
        f[m] = t * inv * Val::from_u32(64).exp_u64((m % 4) as u64).inverse();
    }
    // Two directions that keep every limb's sum: 64·e₄ − e₅ and 64·e₈ − e₉. Solve
    // Σf = 1 and Σ m·f = c with them.
    let total: Val = f.iter().copied().sum();
    let named: Val = f
        .iter()
        .enumerate()
        .map(|(m, &v)| Val::from_usize(m) * v)
        .sum();
    let (sum_1, sum_2) = (Val::from_u32(63), Val::from_u32(63));
    let (named_1, named_2) = (Val::from_u32(64 * 4 - 5), Val::from_u32(64 * 8 - 9));
    let (r1, r2) = (Val::ONE - total, Val::from_usize(c) - named);
    let det = sum_1 * named_2 - sum_2 * named_1;
    let a = (r1 * named_2 - sum_2 * r2) * det.inverse();
    let b = (sum_1 * r2 - named_1 * r1) * det.inverse();
    f[4] += a * Val::from_u32(64);
    f[5] -= a;
    f[8] += b * Val::from_u32(64);
    f[9] -= b;
    f
}

#[test]
fn a_call_flagged_by_non_bits_is_rejected() {
    // A signature of m1 claimed for m2: one row's call flags, not bits but summing to 1 and
    // naming its call, weigh its two positions so that it adds what m2's low parts need. Only
    // the flags' bit checks stop it.
    let reuse = Reuse::new(&key(20), 2);
    let Reuse {
        honest,
        claimed,
        chunks,
    } = &reuse;
    let c = (1..LEAF_CALLS)
        .find(|&c| chunks[2 * c] + chunks[2 * c + 1] > 0)
        .unwrap();
    let (want, have) = (lows(claimed), lows(honest));
    let x = [chunks[2 * c], chunks[2 * c + 1]];
    let own = Val::from_u32(64).exp_u64((c % 4) as u64) * Val::from_usize(x[0] + 8 * x[1]);
    let target: [Val; ENCODING_LIMBS] = std::array::from_fn(|limb| {
        let honest_part = if limb == c / 4 { own } else { Val::ZERO };
        honest_part + want[limb] - have[limb]
    });
    let flags = crooked_flags(c, x, target);
    let mut forged = rows(std::slice::from_ref(honest));
    let width = columns::chain::WIDTH;
    let mut sponge = reuse.start();
    for call in 0..LEAF_CALLS {
        let (mut row, mut next) = trace::chain_row(honest, call, chunks, &sponge, &mut Vec::new());
        if call == c {
            row[columns::chain::CALL..columns::chain::CALL + LEAF_CALLS].copy_from_slice(&flags);
            next.low = std::array::from_fn(|limb| sponge.low[limb] + target[limb]);
        }
        forged.chains[width * call..width * (call + 1)].copy_from_slice(&row);
        sponge = next;
    }
    let verify = trace::verify_row(claimed, &sponge.state, &mut Vec::new());
    forged.verify[..columns::WIDTH].copy_from_slice(&verify);
    assert!(!accepted(std::slice::from_ref(claimed), forged));
}

#[test]
fn a_sponge_started_with_a_sum_is_rejected() {
    // A signer's encoding summing to 183, every chain at its true position, and call 0's sum
    // started at 1: the leaf's message then carries 184.
    let (k, epoch, m) = (key(21), 1, message(14));
    let (rho, chunks) = rho_with_sum(&k, epoch, &m, TARGET_SUM - 1, |_| true);
    let statement = made_with(&k, epoch, m, rho, &chunks);
    let chunks: Vec<usize> = chunks.iter().map(|&x| usize::from(x)).collect();
    let mut start = Sponge::start(&statement.key.param, epoch);
    start.sum = Val::ONE;
    let honest = rows(std::slice::from_ref(&statement));
    let forged = with_chains(honest, &statement, &chunks, start, &statement);
    assert!(!accepted(&[statement], forged));
}

/// Gives chain `j` of a chain-table row, built walking from its true position `x`, the start
/// flags +1 at 0, −1 at x − y and +1 at x (so Σ k·AT\[k\] = y < x, every partial sum a bit):
/// the steps from 0 to x − y hash a made-up value, the step into x is not taken, and the
/// signature's value at x walks on to the true end.
fn start_lower(row: &mut [Val], j: usize, s: &Statement, chain: usize, x: usize, y: usize) {
    use columns::chain::{AT, CHAIN, CHAIN_WIDTH, REST, VALUE};
    let base = CHAIN + CHAIN_WIDTH * j;
    let d = x - y;
    row[base + AT] += Val::ONE;
    row[base + AT + d] -= Val::ONE;
    let mut v = [Val::ZERO; 4];
    row[base + VALUE..base + VALUE + 4].copy_from_slice(&v);
    for k in 0..d {
        let input = l2x_sig::hash::chain_input(&s.key.param, s.epoch, chain, k, &v);
        let out = l2x_sig::hash::compress(&input);
        v = l2x_sig::hash::narrow(&out);
        row[base + VALUE + 4 * (k + 1)..][..4].copy_from_slice(&v);
        row[base + REST + 4 * k..][..4].copy_from_slice(&out[4..]);
    }
}

#[test]
fn a_chain_whose_start_flags_are_not_bits_is_rejected() {
    // A signature of m1 claimed for m2, whose encoding under the same ρ is valid (sum 184): a
    // chain m2 puts higher is walked forward from m1's value, one it puts lower (y < x, y ≥ 1)
    // gets start flags that are not bits (`start_lower`). Only the flags' bit checks stop it.
    let (k, epoch) = (key(22), 1);
    let honest = signed(&k, epoch, message(30));
    let rho = honest.signature.rho;
    let x = l2x_sig::encoding(&honest.key, epoch, &honest.message, &rho).unwrap();
    let (m2, y) = (31u16..)
        .find_map(|n| {
            let y = l2x_sig::encoding(&honest.key, epoch, &message(n), &rho).ok()?;
            let lower_ok = y.iter().zip(&x).all(|(&a, &b)| a >= b || a >= 1);
            (lower_ok && y != x).then_some((message(n), y))
        })
        .unwrap();
    let mut claimed = honest.clone();
    claimed.message = m2;
    let (x, y): (Vec<usize>, Vec<usize>) = x
        .iter()
        .zip(&y)
        .map(|(&a, &b)| (usize::from(a), usize::from(b)))
        .unzip();
    // Chains m2 puts higher start there, walked on from m1's values; the others at m1's x.
    let mut walked = honest.clone();
    let mut starts = x.clone();
    for i in 0..CHAINS {
        if y[i] >= x[i] {
            let v = honest.signature.chains[i];
            walked.signature.chains[i] = walk(&honest.key.param, epoch, i, x[i], y[i], v);
            starts[i] = y[i];
        }
    }
    let mut forged = rows(std::slice::from_ref(&honest));
    let width = columns::chain::WIDTH;
    let mut sponge = Sponge::start(&honest.key.param, epoch);
    for call in 0..LEAF_CALLS {
        let (mut row, mut next) =
            trace::chain_row(&walked, call, &starts, &sponge, &mut Vec::new());
        for j in 0..2 {
            let i = 2 * call + j;
            if y[i] < x[i] {
                start_lower(&mut row, j, &walked, i, x[i], y[i]);
                let lower = Val::from_usize(x[i] - y[i]);
                next.low[i / CHUNKS_PER_LIMB] -=
                    Val::from_u32(1 << (3 * (i % CHUNKS_PER_LIMB))) * lower;
                next.sum -= lower;
            }
        }
        forged.chains[width * call..width * (call + 1)].copy_from_slice(&row);
        sponge = next;
    }
    let verify = trace::verify_row(&claimed, &sponge.state, &mut Vec::new());
    forged.verify[..columns::WIDTH].copy_from_slice(&verify);
    assert!(!accepted(&[claimed], forged));
}

#[test]
fn a_call_indexed_apart_from_its_flag_is_rejected() {
    // Two calls a and b of one limb trade flags and keep their indices: each walks its own
    // chains (the tweaks name the chain by the index) while its positions are weighed as the
    // other's (the weights follow the flag). Chains given at the encoding's positions with the
    // two calls' pairs swapped, which `l2x_sig::verify` refuses, then pass. (The statement is
    // a true one here, its honest signature known; a false one this way needs a message whose
    // encoding permutes a signed one's call pairs within limbs, ~2^-100 a try. The witness
    // would still not be the verification the proof means.) Only `CALL_INDEX = Σ m·CALL[m]`
    // stops it.
    use columns::chain::{CALL, WIDTH};
    use l2x_programs::signatures::chain::chunk_weight;
    let (k, epoch, m) = (key(23), 1, message(40));
    let honest = signed(&k, epoch, m);
    let y = l2x_sig::encoding(&honest.key, epoch, &m, &honest.signature.rho).unwrap();
    let (a, b) = (1..LEAF_CALLS)
        .flat_map(|a| (a + 1..LEAF_CALLS).map(move |b| (a, b)))
        .find(|&(a, b)| a / 4 == b / 4 && y[2 * a..2 * a + 2] != y[2 * b..2 * b + 2])
        .unwrap();
    let mut x = y;
    x.swap(2 * a, 2 * b);
    x.swap(2 * a + 1, 2 * b + 1);
    let claimed = made_with(&k, epoch, m, honest.signature.rho, &x);
    assert!(l2x_sig::verify(&claimed.key, epoch, &m, &claimed.signature).is_err());
    let chunks: Vec<usize> = x.iter().map(|&c| usize::from(c)).collect();
    // The honest rows climb the path from the one-time key's leaf, as the forged chains do.
    let mut forged = rows(std::slice::from_ref(&honest));
    let mut sponge = Sponge::start(&claimed.key.param, epoch);
    for call in 0..LEAF_CALLS {
        let (mut row, mut next) =
            trace::chain_row(&claimed, call, &chunks, &sponge, &mut Vec::new());
        let flagged = [(a, b), (b, a)]
            .into_iter()
            .find_map(|(from, to)| (call == from).then_some(to));
        if let Some(other) = flagged {
            row[CALL + call] = Val::ZERO;
            row[CALL + other] = Val::ONE;
            for j in 0..2 {
                let (own, theirs) = (2 * call + j, 2 * other + j);
                let weight = Val::from_u32(chunk_weight(theirs)) - Val::from_u32(chunk_weight(own));
                next.low[own / CHUNKS_PER_LIMB] += weight * Val::from_usize(chunks[own]);
            }
        }
        forged.chains[WIDTH * call..WIDTH * (call + 1)].copy_from_slice(&row);
        sponge = next;
    }
    let verify = trace::verify_row(&claimed, &sponge.state, &mut Vec::new());
    forged.verify[..columns::WIDTH].copy_from_slice(&verify);
    assert!(!accepted(&[claimed], forged));
}

#[test]
fn the_witness_flags_every_signature_the_native_check_refuses() {
    // A block's witness checks its signatures in its own hashing (`Verification::unverified`)
    // instead of natively: it must refuse what `l2x_sig::verify` refuses — a chain value off
    // (another root), and a signer's chains at the true positions of an encoding summing to
    // 183 (the right root, no valid encoding).
    let (k, epoch, m) = (key(24), 1, message(41));
    let honest = signed(&k, epoch, m);
    let mut off_chain = honest.clone();
    off_chain.signature.chains[5][0] += Val::ONE;
    let (rho, chunks) = rho_with_sum(&k, epoch, &m, TARGET_SUM - 1, |_| true);
    let off_sum = made_with(&k, epoch, m, rho, &chunks);
    for (s, valid) in [(honest, true), (off_chain, false), (off_sum, false)] {
        let native = l2x_sig::verify(&s.key, s.epoch, &s.message, &s.signature);
        assert_eq!(native.is_ok(), valid, "{native:?}");
        let v = trace::verification(std::slice::from_ref(&s), [1, 32, 32]);
        assert_eq!(v.unverified, (!valid).then_some(0));
    }
}
