//! STARK benchmark: prove time, verify time, proof size and peak RSS per workload, with the stock
//! `p3-keccak-air` (2^10 Keccak-f permutations, same configuration, proven by `p3-uni-stark` as
//! Plonky3 does; the AIR is not `Clone`, which `p3-batch-stark` needs) measured in the same run
//! as the reference.
//!
//! Peak RSS is a per-process high-water mark, so each workload runs in its own child process
//! (this binary, re-invoked with `--workload NAME`). Each child proves 3 times and verifies 5
//! times and reports medians. Run: `cargo bench -p l2x-stark --bench stark [-- NAME...]`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use l2x_air::{AirProgram, Val};
use l2x_programs::{Fibonacci, Sha256};
use l2x_stark::Mode;
use l2x_stark::config::config;
use l2x_stark::security::Grinding;
use p3_keccak_air::{KeccakAir, generate_trace_rows};
use serde_json::{Value, json};

const PROVE_RUNS: usize = 3;
const VERIFY_RUNS: usize = 5;

/// (name, what it is, program units: blocks or permutations, for per-second rates)
const WORKLOADS: &[(&str, &str, u64)] = &[
    (
        "keccak-2^10",
        "reference: p3-keccak-air, 2^10 Keccak-f permutations",
        1024,
    ),
    (
        "p3-poseidon2-2^14",
        "reference: p3-poseidon2-air by p3-uni-stark, 2^14 permutations",
        1 << 14,
    ),
    (
        "poseidon2-2^14",
        "poseidon2: 2^14 chained permutations (a 393,215-byte message)",
        1 << 14,
    ),
    (
        "p3-poseidon2-2^16",
        "reference: p3-poseidon2-air by p3-uni-stark, 2^16 permutations",
        1 << 16,
    ),
    (
        "poseidon2-2^16",
        "poseidon2: 2^16 chained permutations (a 1,572,863-byte message)",
        1 << 16,
    ),
    ("fib-2^16", "Fibonacci, 2^16 steps (n = 65535)", 0),
    ("fib-2^20", "Fibonacci, 2^20 steps (n = 1048575)", 0),
    ("sha256-1KiB", "SHA-256 of 1 KiB (17 compressions)", 17),
    ("sha256-16KiB", "SHA-256 of 16 KiB (257 compressions)", 257),
    (
        "sha256-64KiB",
        "SHA-256 of 64 KiB (1025 compressions)",
        1025,
    ),
    ("zk-fib-2^16", "stark-zk: Fibonacci, 2^16 steps", 0),
    (
        "zk-sha256-16KiB",
        "stark-zk: SHA-256 of 16 KiB (257 compressions)",
        257,
    ),
    (
        "zk-sha256-64KiB",
        "stark-zk: SHA-256 of 64 KiB (1025 compressions)",
        1025,
    ),
];

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn message(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Proves and verifies one of our programs through the backend's own functions.
fn run_program(
    mode: Mode,
    program: &dyn AirProgram,
    input: &[u8],
) -> (Vec<Duration>, Vec<Duration>, usize) {
    let mut proves = vec![];
    let mut receipt = None;
    for _ in 0..PROVE_RUNS {
        let t = Instant::now();
        receipt = Some(l2x_stark::prove_in(mode, program, input).unwrap());
        proves.push(t.elapsed());
    }
    let receipt = receipt.unwrap();
    let verifies = (0..VERIFY_RUNS)
        .map(|_| {
            let t = Instant::now();
            l2x_stark::verify_in(mode, program, &receipt).unwrap();
            t.elapsed()
        })
        .collect();
    (proves, verifies, receipt.seal.len())
}

/// Proves and verifies one AIR alone with `p3-uni-stark` and our configuration, generating its
/// trace (`$trace`, an expression using the AIR `$air`) inside each timed prove. A macro: the
/// bounds `p3-uni-stark` puts on an AIR type are long, and the two references share the rest.
macro_rules! run_uni_stark {
    ($air:ident = $make:expr, $trace:expr) => {{
        let config = config(Grinding::default(), &[0; 32]);
        let $air = $make;
        let mut proves = vec![];
        let mut encoded = vec![];
        let mut proof = None;
        for _ in 0..PROVE_RUNS {
            let t = Instant::now();
            let trace = $trace;
            let p = p3_uni_stark::prove(&config, &$air, trace, &[]).unwrap();
            proves.push(t.elapsed());
            encoded = postcard::to_allocvec(&p).unwrap();
            proof = Some(p);
        }
        let proof = proof.unwrap();
        let verifies = (0..VERIFY_RUNS)
            .map(|_| {
                let t = Instant::now();
                p3_uni_stark::verify(&config, &$air, &proof, &[]).unwrap();
                t.elapsed()
            })
            .collect();
        (proves, verifies, encoded.len())
    }};
}

/// The reference: the stock Keccak AIR proven with our configuration and prover path.
fn run_keccak(count: usize) -> (Vec<Duration>, Vec<Duration>, usize) {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let inputs: Vec<[u64; 25]> = (0..count)
        .map(|_| {
            std::array::from_fn(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            })
        })
        .collect();
    run_uni_stark!(
        air = KeccakAir {},
        generate_trace_rows::<Val>(inputs.clone(), 0)
    )
}

/// The Poseidon2 reference: Plonky3's own AIR for the same permutation (same constants), on
/// random inputs, proven alone by `p3-uni-stark` with our configuration.
fn run_p3_poseidon2(count: usize) -> (Vec<Duration>, Vec<Duration>, usize) {
    run_uni_stark!(
        air = l2x_programs::poseidon2::permutation_air(),
        air.generate_random_trace_rows(count, 0)
    )
}

/// A message of exactly `blocks` Poseidon2 blocks.
fn blocks_message(blocks: usize) -> Vec<u8> {
    message(blocks * l2x_programs::poseidon2::BLOCK_BYTES - 1)
}

/// Proves a message of `blocks` blocks through the backend's own functions.
fn run_poseidon2(blocks: usize) -> (Vec<Duration>, Vec<Duration>, usize) {
    run_program(
        Mode::Plain,
        &l2x_programs::Poseidon2,
        &blocks_message(blocks),
    )
}

fn child(name: &str) {
    let (proves, verifies, proof_bytes) = match name {
        "keccak-2^10" => run_keccak(1 << 10),
        "p3-poseidon2-2^14" => run_p3_poseidon2(1 << 14),
        "poseidon2-2^14" => run_poseidon2(1 << 14),
        "p3-poseidon2-2^16" => run_p3_poseidon2(1 << 16),
        "poseidon2-2^16" => run_poseidon2(1 << 16),
        "fib-2^16" => run_program(Mode::Plain, &Fibonacci, b"65535"),
        "fib-2^20" => run_program(Mode::Plain, &Fibonacci, b"1048575"),
        "sha256-1KiB" => run_program(Mode::Plain, &Sha256, &message(1 << 10)),
        "sha256-16KiB" => run_program(Mode::Plain, &Sha256, &message(16 << 10)),
        "sha256-64KiB" => run_program(Mode::Plain, &Sha256, &message(64 << 10)),
        "zk-fib-2^16" => run_program(Mode::Hiding, &Fibonacci, b"65535"),
        "zk-sha256-16KiB" => run_program(Mode::Hiding, &Sha256, &message(16 << 10)),
        "zk-sha256-64KiB" => run_program(Mode::Hiding, &Sha256, &message(64 << 10)),
        other => panic!("unknown workload {other}"),
    };
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    let out = json!({
        "workload": name,
        "prove_ms": proves.iter().map(ms).collect::<Vec<_>>(),
        "prove_median_ms": ms(&median(proves.clone())),
        "verify_median_ms": ms(&median(verifies)),
        "proof_bytes": proof_bytes,
        "peak_rss_bytes": peak_rss_bytes(),
    });
    println!("{out}");
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(i) = args.iter().position(|a| a == "--workload") {
        child(&args[i + 1]);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut results: Vec<Value> = vec![];
    for &(name, about, units) in WORKLOADS {
        if !args.is_empty() && !args.iter().any(|a| a == name) {
            continue;
        }
        eprintln!("running {name}: {about}");
        let out = Command::new(&exe)
            .args(["--workload", name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let prove_s = v["prove_median_ms"].as_f64().unwrap() / 1e3;
        if units > 0 {
            v["units_per_s"] = json!(units as f64 / prove_s);
        }
        v["about"] = json!(about);
        results.push(v);
    }
    println!(
        "| workload | prove (median of {PROVE_RUNS}) | verify (median of {VERIFY_RUNS}) | proof | peak RSS | per second | prove time / reference |"
    );
    println!("|---|---|---|---|---|---|---|");
    let reference = results
        .iter()
        .find(|r| r["workload"] == "keccak-2^10")
        .and_then(|r| r["prove_median_ms"].as_f64());
    for r in &results {
        let prove = r["prove_median_ms"].as_f64().unwrap();
        let ratio = reference.map_or("—".into(), |k| format!("{:.2}", prove / k));
        let rate = r["units_per_s"]
            .as_f64()
            .map_or("—".into(), |u| format!("{u:.0}"));
        println!(
            "| {} | {:.0} ms | {:.1} ms | {:.0} KiB | {:.0} MiB | {rate} | {ratio} |",
            r["about"].as_str().unwrap(),
            prove,
            r["verify_median_ms"].as_f64().unwrap(),
            r["proof_bytes"].as_f64().unwrap() / 1024.0,
            r["peak_rss_bytes"].as_f64().unwrap() / 1048576.0,
        );
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stark-bench.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results).unwrap()).unwrap();
    eprintln!("wrote {}", path.display());
}
