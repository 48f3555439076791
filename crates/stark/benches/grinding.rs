//! What per-proof grinding costs: each workload is proven with the grinding its shape calls for
//! (`Grinding::for_shape`, this build) and with the fixed grinding of the previous build (10-bit
//! batch proof of work, nothing else), in alternation, so that drift on a shared machine falls
//! on both sides alike. A proof-of-work search takes a geometrically distributed number of
//! tries that depends on the transcript, so each run proves a different input of the same shape
//! (another n, another message of the same length), and the table reports **means**, the right
//! estimate of an expected cost under that spread: small proofs, where the 16-bit query proof of
//! work alone varies 20–150 ms from input to input, take 40 inputs, large ones 5. Prints a
//! Markdown table with both means, their ratio and each side's conjectured level.
//!
//! Run: `cargo bench -p l2x-stark --bench grinding [-- NAME...]`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use l2x_air::AirProgram;
use l2x_programs::{Fibonacci, Sha256};
use l2x_stark::Mode;
use l2x_stark::security::{Grinding, ProofSecurity};

/// Inputs per workload: many for small proofs (proof-of-work luck dominates), few for large.
const RUNS_SMALL: usize = 40;
const RUNS_LARGE: usize = 5;

fn message(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn mean(v: &[Duration]) -> Duration {
    v.iter().sum::<Duration>() / v.len() as u32
}

/// `RUNS` inputs of the same shape as `input`: a decimal n counted down, or a message with its
/// first byte changed.
fn variants(input: &[u8], decimal: bool, runs: usize) -> Vec<Vec<u8>> {
    (0..runs)
        .map(|i| {
            if decimal {
                let n: u64 = std::str::from_utf8(input).unwrap().parse().unwrap();
                (n - i as u64).to_string().into_bytes()
            } else {
                let mut m = input.to_vec();
                m[0] = m[0].wrapping_add(i as u8);
                m
            }
        })
        .collect()
}

fn workload(name: &str, mode: Mode, program: &dyn AirProgram, input: &[u8], small: bool) {
    let decimal = program.id().as_str() == "fibonacci";
    let runs = if small { RUNS_SMALL } else { RUNS_LARGE };
    let inputs = variants(input, decimal, runs);
    let witnesses: Vec<_> = inputs
        .iter()
        .map(|i| program.witness(i, mode.min_log_rows()).unwrap())
        .collect();
    let tables: Vec<_> = witnesses
        .iter()
        .map(|w| {
            program
                .tables(&w.execution.public_values, mode.min_log_rows())
                .unwrap()
        })
        .collect();
    let shapes = mode.shapes(&tables[0]).unwrap();
    let old_grinding = Grinding {
        batch: 10,
        ..Grinding::default()
    };
    let old = ProofSecurity::with_grinding(mode.fri(), &shapes, old_grinding);
    let new = ProofSecurity::of(mode.fri(), &shapes);
    let (mut before, mut after) = (vec![], vec![]);
    for (witness, tables) in witnesses.iter().zip(&tables) {
        assert_eq!(
            mode.shapes(tables).unwrap(),
            shapes,
            "variants share one shape"
        );
        for (grinding, times) in [(old_grinding, &mut before), (new.grinding, &mut after)] {
            let t = Instant::now();
            l2x_stark::prove_tables_with(mode, &program.id(), tables, &witness.traces, grinding)
                .unwrap();
            times.push(t.elapsed());
        }
    }
    let (b, a) = (mean(&before), mean(&after));
    println!(
        "| {name} | 2^{} | {runs} | {:.1} ms | {:.1} ({}) | {:.1} ms | {:.1} ({}) | {:?} | {:.3} |",
        new.max_log_height,
        b.as_secs_f64() * 1e3,
        old.bits,
        old.binding,
        a.as_secs_f64() * 1e3,
        new.bits,
        new.binding,
        (
            new.grinding.commit,
            new.grinding.batch,
            new.grinding.lookup,
            new.grinding.out_of_domain
        ),
        a.as_secs_f64() / b.as_secs_f64(),
    );
}

/// A name, the mode, the program, an input and whether its proofs are small.
type Workload<'a> = (&'a str, Mode, &'a dyn AirProgram, &'a [u8], bool);

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let wanted = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    println!(
        "| workload | rows | inputs | prove, fixed grinding (mean) | bits then | prove, per-proof grinding (mean) | bits now | grinding (commit, batch, lookup, ood) | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let sha_16k = message(16 << 10);
    let sha_64k = message(64 << 10);
    let sha_1k = message(1 << 10);
    let cases: [Workload<'_>; 9] = [
        ("sha256-abc", Mode::Plain, &Sha256, b"abc", true),
        ("sha256-1KiB", Mode::Plain, &Sha256, &sha_1k, true),
        ("fib-2^10", Mode::Plain, &Fibonacci, b"1023", false),
        ("fib-2^16", Mode::Plain, &Fibonacci, b"65535", false),
        ("fib-2^20", Mode::Plain, &Fibonacci, b"1048575", false),
        ("sha256-16KiB", Mode::Plain, &Sha256, &sha_16k, false),
        ("sha256-64KiB", Mode::Plain, &Sha256, &sha_64k, false),
        ("zk-fib-2^16", Mode::Hiding, &Fibonacci, b"65535", false),
        ("zk-sha256-16KiB", Mode::Hiding, &Sha256, &sha_16k, false),
    ];
    for (name, mode, program, input, small) in cases {
        if wanted(name) {
            workload(name, mode, program, input, small);
        }
    }
}
