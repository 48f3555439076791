//! `l2x rollup` and `l2x prove transfers`: states and blocks chain root to root, a block made
//! for another state is refused, an invalid block is refused naming the transfer (exit 2,
//! nothing written), and a state file that is not one is refused without panicking.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::Output;

use common::{json, l2x, stderr};

/// Runs `l2x` with `args`, each `@NAME` standing for `dir/NAME`.
fn l2x_in(dir: &Path, args: &[&str]) -> Output {
    let full: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix('@') {
            Some(name) => dir.join(name).to_string_lossy().into_owned(),
            None => (*a).to_owned(),
        })
        .collect();
    let refs: Vec<&str> = full.iter().map(String::as_str).collect();
    l2x(&refs)
}

/// Runs `l2x` as [`l2x_in`] with `--json`, and returns what it printed (a failure fails the test).
fn run(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = l2x_in(dir, &[args, &["--json"]].concat());
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    json(&out)
}

#[test]
fn blocks_chain_root_to_root_and_proofs_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let genesis = run(
        dir.path(),
        &[
            "rollup",
            "genesis",
            "--accounts",
            "20",
            "--seed",
            "5",
            "-o",
            "@s0",
        ],
    );
    let b1 = run(
        dir.path(),
        &[
            "rollup",
            "block",
            "--state",
            "@s0",
            "--transfers",
            "4",
            "--seed",
            "6",
            "-o",
            "@b1",
        ],
    );
    assert_eq!(b1["old_root"], genesis["root"]);
    let proof = run(
        dir.path(),
        &[
            "prove",
            "transfers",
            "--input-file",
            "@b1",
            "--backend",
            "stark",
            "-o",
            "@b1.stark",
        ],
    );
    assert_eq!(proof["output"], b1["new_root"]);
    let applied = run(
        dir.path(),
        &[
            "rollup", "apply", "--state", "@s0", "--block", "@b1", "-o", "@s0",
        ],
    );
    assert_eq!(applied["new_root"], b1["new_root"]);
    let b2 = run(
        dir.path(),
        &[
            "rollup",
            "block",
            "--state",
            "@s0",
            "--transfers",
            "3",
            "--seed",
            "7",
            "-o",
            "@b2",
        ],
    );
    assert_eq!(
        b2["old_root"], b1["new_root"],
        "the state was replaced in place"
    );
    let verified = run(dir.path(), &["verify", "@b1.stark"]);
    assert_eq!(verified["valid"], true);

    // The first block again, on the state after it: refused, the state untouched.
    let before = std::fs::read(dir.path().join("s0")).unwrap();
    let out = l2x_in(
        dir.path(),
        &[
            "rollup", "apply", "--state", "@s0", "--block", "@b1", "-o", "@s0",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pre-state is not this state"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(dir.path().join("s0")).unwrap(), before);
}

#[test]
fn an_invalid_block_is_refused_naming_the_transfer() {
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        &[
            "rollup",
            "genesis",
            "--accounts",
            "3",
            "--seed",
            "1",
            "-o",
            "@s",
        ],
    );
    run(
        dir.path(),
        &[
            "rollup",
            "block",
            "--state",
            "@s",
            "--transfers",
            "2",
            "--seed",
            "2",
            "-o",
            "@b",
        ],
    );
    let mut block = std::fs::read(dir.path().join("b")).unwrap();
    // The second transfer's amount (after the 3 accounts, the count and the first transfer).
    let amount = 4 + 3 * 52 + 4 + 56 + 8;
    block[amount..amount + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(dir.path().join("bad"), &block).unwrap();
    let out = l2x_in(
        dir.path(),
        &[
            "prove",
            "transfers",
            "--input-file",
            "@bad",
            "--backend",
            "stark",
            "-o",
            "@bad.stark",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("transfer 1 (") && err.contains("overdraft"),
        "{err}"
    );
    assert!(!dir.path().join("bad.stark").exists());
}

#[test]
fn a_file_that_is_not_a_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("junk"),
        b"L2XSTATE\x01\0\0\0\xff\xff\xff\xff",
    )
    .unwrap();
    let out = l2x_in(
        dir.path(),
        &[
            "rollup",
            "block",
            "--state",
            "@junk",
            "--transfers",
            "1",
            "-o",
            "@b",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a state file"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("b").exists());
}
