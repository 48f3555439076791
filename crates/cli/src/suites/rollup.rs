//! Signed L2 blocks (`transfers`) proven per second, against the floor of their cost: a block's
//! Poseidon2 compression table alone — the same number of permutations (the claim's
//! `compressions`, printed per transfer), padded as ours is, of Plonky3's `p3-poseidon2-air`
//! proven by `p3-uni-stark` with our configuration — timed in alternation; then each block's
//! verification time, proof size and the peak RSS of an `l2x prove transfers` process; then the
//! check of its published transfers against its receipt (the publish link), beside that
//! verification. Beside each block on 1,000 accounts, the same block against the floor of the
//! state design before issue 32 (its compression table alone, 297 compressions a transfer).
//! Blocks of 64 to 2,048 transfers on 1,000 accounts; then how the state's cost grows, 1,024 transfers on 10,000 and 65,536 accounts (paths that share fewer nodes) and on
//! two (all transfers on two accounts).

use std::hint::black_box;
use std::io::Write;

use anyhow::Result;
use l2x_core::BackendId;
use l2x_executor::Policy;
use l2x_lab::{Case, Metric, Outcome, Spec, time};
use l2x_programs::transfers::fixture::{DEFAULT_CHAIN_ID, Wallet};
use l2x_programs::transfers::state::DEPTH;
use l2x_programs::transfers::{COMPRESSIONS_PER_TRANSFER, Claim};
use std::sync::LazyLock;

use super::memory::child_peak_rss;
use super::poseidon2::against_plonky3;
use super::{Work, executor, fail, keep};

/// Accounts in the benchmark's state.
const ACCOUNTS: usize = 1000;

/// One-time keys per account in the benchmark's state: a block of 2,048 transfers sends about
/// two per account, and the blocks' senders are drawn among the keys that can still sign.
const EPOCHS: u32 = 8;

/// The benchmark's state: [`ACCOUNTS`] accounts with [`EPOCHS`] keys each.
static STATE: LazyLock<Wallet> =
    LazyLock::new(|| Wallet::genesis_with(ACCOUNTS, 1, EPOCHS, DEFAULT_CHAIN_ID));
/// 10,000 accounts, one key each (a 1,024-transfer block sends once per sender at most).
static STATE_10K: LazyLock<Wallet> =
    LazyLock::new(|| Wallet::genesis_with(10_000, 1, 1, DEFAULT_CHAIN_ID));
/// 65,536 accounts (the most a block's input holds), one key each.
static STATE_64K: LazyLock<Wallet> =
    LazyLock::new(|| Wallet::genesis_with(1 << 16, 1, 1, DEFAULT_CHAIN_ID));
/// Two accounts with 1,024 keys each: every transfer between them.
static STATE_TWO: LazyLock<Wallet> =
    LazyLock::new(|| Wallet::genesis_with(2, 1, 1024, DEFAULT_CHAIN_ID));

/// A block of `transfers` random signed transfers on `state`.
fn block_on(state: &Wallet, transfers: usize) -> Vec<u8> {
    state
        .random_block(transfers, 2)
        .expect("the state's keys sign the block")
        .to_bytes()
}

/// A block of `transfers` random signed transfers on a state of [`ACCOUNTS`] accounts.
fn block(transfers: usize) -> Vec<u8> {
    block_on(&STATE, transfers)
}

/// The Poseidon2 compressions of a block's proof (its claim's).
fn compressions(input: &[u8]) -> u64 {
    claim(input).map_or(0, |claim| claim.compressions())
}

/// The claim of a block (`None` if it does not run).
fn claim(input: &[u8]) -> Option<Claim> {
    l2x_programs::transfers::run(input)
        .ok()
        .map(|(claim, _)| claim)
}

/// Compressions a transfer's state cost in the design before issue 32, which climbed the tree
/// four times a transfer (old and new path, sender and receiver) and hashed four leaves: 132 a
/// transfer whatever the block shares (134 with the commitment's two).
const STATE_BEFORE_PER_TRANSFER: u64 = 4 * DEPTH as u64 + 4;

/// The compressions the design before issue 32 needed for a block with this claim: its state's
/// ([`STATE_BEFORE_PER_TRANSFER`] a transfer), and the commitment's and the signatures' as now
/// (with each rotation's new key).
fn compressions_before(claim: &Claim) -> u64 {
    let per_transfer = STATE_BEFORE_PER_TRANSFER + COMPRESSIONS_PER_TRANSFER as u64;
    per_transfer * u64::from(claim.count) + u64::from(claim.rotations)
}

/// Blocks of 64, 256, 1024 and 2048 transfers on 1,000 accounts (64 in quick runs); then
/// 1,024 transfers on 10,000, 65,536 and 2 accounts.
pub fn rollup(quick: bool) -> Result<Vec<Case<'static>>> {
    let sizes: &[usize] = if quick { &[64] } else { &[64, 256, 1024, 2048] };
    let mut cases = vec![];
    for &transfers in sizes {
        let proven = Proven {
            group: "rollup",
            program: "transfers",
            unit: "transfers",
            compressions: |n| compressions(&block(n)),
            input: block,
        };
        cases.extend(proven.cases(
            transfers,
            format!("a {transfers}-transfer block's compression table"),
            format!("a block of {transfers} transfers on {ACCOUNTS} accounts, STARK"),
        ));
        // The same block against the floor of the state design it replaced: that design's
        // compression table for the block, alone. A speedup above 1 says the whole block now
        // proves faster than the old design could have proven its hashes alone.
        let before = claim(&block(transfers)).map_or(0, |claim| compressions_before(&claim));
        cases.extend(proven.against_table(
            transfers,
            ["before-32", "against-before-32"],
            before,
            "the state design before issue 32",
            format!("the block of {transfers} transfers again, against the design before issue 32"),
        ));
        cases.push(published(transfers as u64, transfers));
    }
    if quick {
        return Ok(cases);
    }
    type Growth = (
        &'static str,
        &'static str,
        fn(usize) -> Vec<u8>,
        fn(usize) -> u64,
    );
    let growth: [Growth; 3] = [
        (
            "rollup-10k",
            "10,000",
            |n| block_on(&STATE_10K, n),
            |n| compressions(&block_on(&STATE_10K, n)),
        ),
        (
            "rollup-65536",
            "65,536",
            |n| block_on(&STATE_64K, n),
            |n| compressions(&block_on(&STATE_64K, n)),
        ),
        (
            "rollup-two",
            "2",
            |n| block_on(&STATE_TWO, n),
            |n| compressions(&block_on(&STATE_TWO, n)),
        ),
    ];
    for (group, accounts, input, compressions) in growth {
        let proven = Proven {
            group,
            program: "transfers",
            unit: "transfers",
            compressions,
            input,
        };
        cases.extend(proven.cases(
            1024,
            "a 1024-transfer block's compression table".into(),
            format!("a block of 1024 transfers on {accounts} accounts, STARK"),
        ));
    }
    Ok(cases)
}

/// A program's proofs of `n` units (transfers, signatures) measured against the floor of their
/// cost: its compression table alone, by `p3-uni-stark`, timed in alternation; then the proof's
/// verification time, size and the peak RSS of an `l2x prove` process.
pub(super) struct Proven {
    /// The lab group (`rollup/prove/1024`).
    pub group: &'static str,
    /// The program proven.
    pub program: &'static str,
    /// What the throughput counts.
    pub unit: &'static str,
    /// The compressions in the program's compression table at `n` units.
    pub compressions: fn(usize) -> u64,
    /// The program's input for `n` units.
    pub input: fn(usize) -> Vec<u8>,
}

impl Proven {
    /// The prove pair and the verify case at `n` units.
    pub fn cases(&self, n: usize, table: String, about: String) -> Vec<Case<'static>> {
        let needed = (self.compressions)(n);
        let mut cases: Vec<Case<'static>> = self
            .against_table(n, ["p3-uni-stark", "prove"], needed, &table, about)
            .into();
        cases.push(self.verify(n));
        cases
    }

    /// The proof of `n` units (`group/names[1]/n`) timed in alternation with its reference
    /// (`group/names[0]/n`): `needed` Poseidon2 permutations (`table`'s), padded to a power of
    /// two, of `p3-poseidon2-air` alone by `p3-uni-stark`.
    pub fn against_table(
        &self,
        n: usize,
        [reference_name, name]: [&'static str; 2],
        needed: u64,
        table: &str,
        about: String,
    ) -> [Case<'static>; 2] {
        let Proven {
            group,
            program,
            unit,
            input,
            ..
        } = *self;
        let count = n as u64;
        let permutations = (needed as usize).next_power_of_two();
        let reference = Spec::new(
            group,
            reference_name,
            Some(count),
            format!(
                "{permutations} Poseidon2 permutations ({table}: {needed}, {:.1} per {unit}) by p3-uni-stark (reference)",
                needed as f64 / n as f64
            ),
        )
        .throughput(unit, n as f64);
        let spec = Spec::new(group, name, Some(count), about)
            .throughput(unit, n as f64)
            .against(reference.id.clone());
        against_plonky3(reference, spec, permutations, move || {
            let ex = executor(BackendId::Stark, Policy::Sequential).map_err(fail)?;
            let bytes = input(n);
            let ours: Work = Box::new(move || keep(ex.prove(program, black_box(&bytes))));
            Ok(ours)
        })
    }

    /// The verification of the proof of `n` units, its size and the peak RSS of `l2x prove`.
    fn verify(&self, n: usize) -> Case<'static> {
        let Proven {
            group,
            program,
            unit,
            input,
            ..
        } = *self;
        let count = n as u64;
        let verify = Spec::new(
            group,
            "verify",
            Some(count),
            format!("verify the STARK of {n} {unit}; its size; peak RSS of `l2x prove {program}`"),
        )
        .against(format!("{group}/prove/{count}"));
        Case::new(verify, move |c| {
            let bytes = input(n);
            let ex = executor(BackendId::Stark, Policy::Sequential).map_err(fail)?;
            let receipt = ex.prove(program, &bytes).map_err(fail)?;
            let size = receipt.to_bytes().len();
            let mut file = tempfile::NamedTempFile::new().map_err(fail)?;
            file.write_all(&bytes).map_err(fail)?;
            let path = file.path().to_string_lossy().into_owned();
            let peak = child_peak_rss(&[
                "prove",
                program,
                "--input-file",
                &path,
                "--backend",
                "stark",
            ])?;
            let samples = time(c, || ex.verify(black_box(&receipt)).is_ok());
            Ok(Outcome::timed(samples)
                .with(Metric::new("proof_bytes", size as f64, "bytes"))
                .with(Metric::new("peak_bytes", peak, "bytes")))
        })
    }
}

/// The publish link's check: the block's published transfers hashed and compared with the
/// commitment of its (verified) receipt, beside verifying that receipt; with the size of the
/// batch data and the blobs it takes.
fn published(count: u64, transfers: usize) -> Case<'static> {
    let spec = Spec::new(
        "rollup",
        "check-published",
        Some(count),
        format!(
            "check a {transfers}-transfer block's published transfers against its receipt (beside verifying it)"
        ),
    )
    .against(format!("rollup/verify/{count}"));
    Case::new(spec, move |c| {
        let input = block(transfers);
        let ex = executor(BackendId::Stark, Policy::Sequential).map_err(fail)?;
        let receipt = ex.prove("transfers", &input).map_err(fail)?;
        let entries = [ex.batch_entry(receipt, &input).map_err(fail)?];
        let data = l2x_executor::da::batch_data(&entries);
        let samples = time(c, || ex.check_published(black_box(&entries)).is_ok());
        Ok(Outcome::timed(samples)
            .with(Metric::new(
                "published_bytes",
                entries[0].data.len() as f64,
                "bytes",
            ))
            .with(Metric::new("batch_data_bytes", data.len() as f64, "bytes"))
            .with(Metric::new(
                "blobs",
                l2x_da::encoding::blobs_needed(data.len()) as f64,
                "blobs",
            )))
    })
}
