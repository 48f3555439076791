//! The `risc0` backend through the command line (built with `--features risc0`): the issue's
//! acceptance run (`prove fibonacci --input 1000 --backend risc0 --json`, then `verify`), a
//! flipped byte in the seal or the journal refused with exit 1, a user's guest by `--elf`, and
//! files that are not guests refused with exit 2.
#![cfg(feature = "risc0")]
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use common::{json, l2x, stderr};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn balances_elf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests/elf/balances.elf")
}

#[test]
fn fibonacci_proves_verifies_and_refuses_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let receipt = dir.path().join("fib.receipt");
    let out = l2x(&[
        "prove",
        "fibonacci",
        "--input",
        "1000",
        "--backend",
        "risc0",
        "-o",
        path(&receipt),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let proved = json(&out);
    assert_eq!(proved["output"], "817770325994397771");
    assert_eq!(proved["backend"], "risc0");
    assert_eq!(proved["dev"], false);

    let out = l2x(&["verify", path(&receipt), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["valid"], true);

    let bytes = std::fs::read(&receipt).unwrap();
    let journal_at = bytes
        .windows(16)
        .position(|w| {
            w[..8] == 1000u64.to_le_bytes() && w[8..] == 817_770_325_994_397_771u64.to_le_bytes()
        })
        .expect("the claim's public values are in the envelope");
    for at in [journal_at + 9, bytes.len() / 2, bytes.len() - 40] {
        let mut forged = bytes.clone();
        forged[at] ^= 0x01;
        let file = dir.path().join(format!("forged-{at}.receipt"));
        std::fs::write(&file, &forged).unwrap();
        let out = l2x(&["verify", path(&file), "--json"]);
        assert_eq!(out.status.code(), Some(1), "byte {at}: {}", stderr(&out));
        assert_eq!(json(&out)["valid"], false);
    }
}

#[test]
fn a_users_guest_proves_and_verifies_by_elf() {
    let dir = tempfile::tempdir().unwrap();
    let receipt = dir.path().join("step.receipt");
    let elf = balances_elf();
    let out = l2x(&[
        "prove",
        "--elf",
        path(&elf),
        "--input",
        "100 50 7; 0 1 30; 1 2 5",
        "--backend",
        "risc0",
        "-o",
        path(&receipt),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let proved = json(&out);
    assert!(proved["program"].as_str().unwrap().starts_with("guest-"));
    let out = l2x(&["verify", path(&receipt), "--elf", path(&elf), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["program"], proved["program"]);

    let out = l2x(&["verify", path(&receipt), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "without its ELF the guest is unknown"
    );

    let not_elf = dir.path().join("not.elf");
    std::fs::write(&not_elf, b"hello").unwrap();
    let out = l2x(&[
        "prove",
        "--elf",
        path(&not_elf),
        "--input",
        "x",
        "--backend",
        "risc0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a RISC Zero guest ELF"),
        "{}",
        stderr(&out)
    );
}

/// Batches, the cache, aggregation and blobs take risc0 receipts as any other: a repeated job
/// is proven once, and the aggregate (with its blobs) verifies.
#[test]
fn a_batch_aggregates_and_publishes_risc0_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    std::fs::write(
        &jobs,
        "{\"program\": \"fibonacci\", \"input\": \"10\"}\n\
         {\"program\": \"sha256\", \"input\": \"abc\"}\n\
         {\"program\": \"fibonacci\", \"input\": \"10\"}\n",
    )
    .unwrap();
    let receipts = dir.path().join("receipts");
    std::fs::create_dir(&receipts).unwrap();
    let aggregate = dir.path().join("batch.l2xa");
    let blobs = dir.path().join("batch.blobs");
    let out = l2x(&[
        "batch",
        path(&jobs),
        "--backend",
        "risc0",
        "-o",
        path(&receipts),
        "--aggregate",
        path(&aggregate),
        "--publish",
        path(&blobs),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["jobs"], 3, "{report}");
    assert_eq!(
        report["proven"], 2,
        "the repeated job is proven once: {report}"
    );
    let out = l2x(&[
        "verify-aggregate",
        path(&aggregate),
        "--blob-file",
        path(&blobs),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["valid"], true);
}
