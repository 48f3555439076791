//! `l2x rollup` and `l2x prove transfers`: states and blocks chain root to root, a block made
//! for another state is refused, an invalid block is refused naming the transfer (exit 2,
//! nothing written), a state file that is not one is refused without panicking, the secrets
//! stay in the wallet file, and a published block's transfers are checked against its receipt.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::Output;

use common::{json, l2x, stderr};
use l2x_executor::da::{batch_data, batch_from_data};
use l2x_executor::{Aggregate, Executor};

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
            "--wallet",
            "@s0.wallet",
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
            "--wallet",
            "@s0.wallet",
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
            "--wallet",
            "@s.wallet",
            "--transfers",
            "2",
            "--seed",
            "2",
            "-o",
            "@b",
        ],
    );
    let mut block = std::fs::read(dir.path().join("b")).unwrap();
    // The second transfer's amount (after the chain id, the 3 accounts, the count and the
    // first transfer): its signature no longer verifies.
    let amount = 4 + 4 + 3 * 52 + 4 + (24 + 1164) + 8;
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
        err.contains("transfer 1 (") && err.contains("signature does not verify"),
        "{err}"
    );
    assert!(!dir.path().join("bad.stark").exists());
}

#[test]
fn secrets_stay_in_the_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let genesis = run(
        d,
        &[
            "rollup",
            "genesis",
            "--accounts",
            "5",
            "--seed",
            "9",
            "--epochs",
            "4",
            "-o",
            "@s",
        ],
    );
    assert_eq!(
        genesis["wallet"],
        d.join("s.wallet").to_string_lossy().as_ref()
    );
    run(
        d,
        &[
            "rollup",
            "block",
            "--state",
            "@s",
            "--wallet",
            "@s.wallet",
            "--transfers",
            "6",
            "-o",
            "@b",
        ],
    );
    let wallet = std::fs::read(d.join("s.wallet")).unwrap();
    let (state, block) = (
        std::fs::read(d.join("s")).unwrap(),
        std::fs::read(d.join("b")).unwrap(),
    );
    // Each key's record: index (4 bytes), seed (32), first epoch, epochs.
    for record in wallet[20..].chunks_exact(44) {
        let seed = &record[4..36];
        for file in [&state, &block] {
            assert!(
                !file.windows(32).any(|w| w == seed),
                "a seed left the wallet"
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("s.wallet"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the wallet is its owner's alone");
    }
    // Five accounts of four one-time keys sign at most twenty transfers: twenty-one need key
    // rotations, and the wallet after them (new seeds) is written beside the block, its
    // owner's alone, its seeds in no public file.
    let block = run(
        d,
        &[
            "rollup",
            "block",
            "--state",
            "@s",
            "--wallet",
            "@s.wallet",
            "--transfers",
            "21",
            "-o",
            "@b2",
        ],
    );
    assert!(block["rotations"].as_u64().unwrap() > 0, "{block}");
    assert_eq!(
        block["wallet"],
        d.join("b2.wallet").to_string_lossy().as_ref()
    );
    let after = std::fs::read(d.join("b2.wallet")).unwrap();
    assert_ne!(after, wallet, "the rotated keys' seeds are new");
    let block = std::fs::read(d.join("b2")).unwrap();
    for record in after[20..].chunks_exact(44) {
        assert!(!block.windows(32).any(|w| w == &record[4..36]));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("b2.wallet"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the wallet is its owner's alone");
    }
}

#[test]
fn a_rotation_on_demand_is_proven_and_the_next_block_signs_with_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let genesis = run(
        d,
        &[
            "rollup",
            "genesis",
            "--accounts",
            "3",
            "--seed",
            "4",
            "-o",
            "@s",
        ],
    );
    assert_eq!(genesis["accounts"], 3);
    let state = std::fs::read(d.join("s")).unwrap();
    // The first account's index: the state's first record, after the 20-byte header.
    let index = u32::from_le_bytes(state[20..24].try_into().unwrap()).to_string();
    let args = |out: &'static str, wallet_out: &'static str| {
        vec![
            "rollup",
            "rotate",
            "--state",
            "@s",
            "--wallet",
            "@s.wallet",
            "--account",
            "INDEX",
            "--epochs",
            "3",
            "-o",
            out,
            "--wallet-out",
            wallet_out,
        ]
    };
    // The wallet after the block never replaces the wallet read.
    let refused = l2x_in(d, &with_index(args("@r", "@s.wallet"), &index));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(!d.join("r").exists());
    let rotated = run(d, &with_index(args("@r", "@r.wallet"), &index));
    assert_eq!(rotated["rotations"], 1);
    let proof = run(
        d,
        &[
            "prove",
            "transfers",
            "--input-file",
            "@r",
            "--backend",
            "stark",
            "-o",
            "@r.stark",
        ],
    );
    assert_eq!(proof["output"], rotated["new_root"]);
    run(d, &["verify", "@r.stark"]);
    run(
        d,
        &[
            "rollup", "apply", "--state", "@s", "--block", "@r", "-o", "@s",
        ],
    );
    // The old wallet no longer signs for the state; the new one does.
    let stale = l2x_in(
        d,
        &[
            "rollup",
            "block",
            "--state",
            "@s",
            "--wallet",
            "@s.wallet",
            "--transfers",
            "1",
            "-o",
            "@b",
        ],
    );
    assert_eq!(stale.status.code(), Some(2));
    let next = run(
        d,
        &[
            "rollup",
            "block",
            "--state",
            "@s",
            "--wallet",
            "@r.wallet",
            "--transfers",
            "4",
            "-o",
            "@b",
        ],
    );
    assert_eq!(next["old_root"], rotated["new_root"]);
}

/// `args` with the placeholder `INDEX` replaced by `index`.
fn with_index<'a>(args: Vec<&'a str>, index: &'a str) -> Vec<&'a str> {
    args.into_iter()
        .map(|a| if a == "INDEX" { index } else { a })
        .collect()
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
            "--wallet",
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

/// A block published in a batch: the blobs carry its transfers beside its receipt, and
/// `verify-aggregate --blob-file` checks them against the commitment the receipt exposes. A
/// publication whose transfers were altered (re-encoded, re-committed and linked into a new
/// aggregate, so every hash matches) is refused naming the entry.
#[test]
fn a_published_block_links_its_transfers_to_the_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(
        d,
        &[
            "rollup",
            "genesis",
            "--accounts",
            "6",
            "--seed",
            "3",
            "-o",
            "@s",
        ],
    );
    let block = run(
        d,
        &[
            "rollup",
            "block",
            "--state",
            "@s",
            "--wallet",
            "@s.wallet",
            "--transfers",
            "3",
            "--seed",
            "4",
            "-o",
            "@b",
        ],
    );
    std::fs::write(
        d.join("jobs.jsonl"),
        "{\"program\": \"fibonacci\", \"input\": \"10\"}\n\
         {\"program\": \"transfers\", \"input_file\": \"b\"}\n",
    )
    .unwrap();
    let batch = run(
        d,
        &[
            "batch",
            "@jobs.jsonl",
            "--aggregate",
            "@agg",
            "--publish",
            "@blobs",
        ],
    );
    assert_eq!(batch["proven"], 2);
    let checked = run(
        d,
        &[
            "verify-aggregate",
            "@agg",
            "--blob-file",
            "@blobs",
            "--allow-dev",
        ],
    );
    assert_eq!(checked["program_data_checked"], 1, "{checked}");

    let blobs = l2x_da::blobs_from_bytes(&std::fs::read(d.join("blobs")).unwrap()).unwrap();
    let mut entries = batch_from_data(&l2x_da::decode(&blobs).unwrap()).unwrap();
    assert_eq!(
        entries[1].data.len(),
        3 * 24,
        "three transfers, 24 bytes each"
    );
    assert_eq!(
        entries[1].receipt.claim.public_values[64..96],
        hex::decode(block["commitment"].as_str().unwrap()).unwrap()[..],
        "the receipt commits to the block's transfers"
    );
    entries[1].data[8] ^= 1; // the first transfer's amount
    let forged = l2x_da::encode(&batch_data(&entries));
    let executor = Executor::builder()
        .allow_dev_receipts(true)
        .build()
        .unwrap();
    let hashes = executor
        .commit_blobs(&forged)
        .unwrap()
        .blobs
        .iter()
        .map(|b| b.versioned_hash)
        .collect();
    let receipts = entries.into_iter().map(|e| e.receipt).collect();
    let aggregate = Aggregate::with_data(receipts, hashes).unwrap();
    std::fs::write(d.join("forged.agg"), aggregate.to_bytes()).unwrap();
    std::fs::write(d.join("forged.blobs"), l2x_da::blobs_to_bytes(&forged)).unwrap();
    let out = l2x_in(
        d,
        &[
            "verify-aggregate",
            "@forged.agg",
            "--blob-file",
            "@forged.blobs",
            "--allow-dev",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("batch entry 1 (transfers)") && err.contains("the proof commits to"),
        "{err}"
    );
}
