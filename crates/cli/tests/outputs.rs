//! An output never replaces an input: for every command that reads files and writes one, an
//! output naming an input — by the same path, a hard link or a path through `..` — is refused
//! with exit 2, naming both, before any work, and the input is left as it was. `rollup apply`
//! keeps its documented in-place update of the state.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{l2x, stderr};

/// The three names of `file` a mistyped output could use: itself, a hard link to it, and a
/// path to it through `sub/..`.
fn aliases(file: &Path) -> [PathBuf; 3] {
    let dir = file.parent().unwrap();
    let name = file.file_name().unwrap();
    let link = dir.join(format!("{}.link", name.to_string_lossy()));
    if !link.exists() {
        fs::hard_link(file, &link).unwrap();
    }
    let sub = dir.join("sub");
    fs::create_dir_all(&sub).unwrap();
    [file.to_path_buf(), link, sub.join("..").join(name)]
}

/// Runs `args` with the output `-o`-style argument replaced by each alias of `input`: every run
/// exits 2 naming the output and the input, and `input` keeps its bytes.
fn refused(args: &[&str], input: &Path) {
    let before = fs::read(input).unwrap();
    for alias in aliases(input) {
        let alias = alias.to_str().unwrap();
        let args: Vec<&str> = args
            .iter()
            .map(|&a| if a == "OUT" { alias } else { a })
            .collect();
        let out = l2x(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("is the input"), "{args:?}: {err}");
        assert!(err.contains(alias), "{args:?}: {err}");
        assert_eq!(
            fs::read(input).unwrap(),
            before,
            "{args:?} changed its input"
        );
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A state of 4 accounts and a block of 2 transfers on it, in `dir`.
fn state_and_block(dir: &Path) -> (PathBuf, PathBuf) {
    let (state, block) = (dir.join("state"), dir.join("block"));
    let genesis = ["rollup", "genesis", "--accounts", "4", "-o", path(&state)];
    assert!(l2x(&genesis).status.success());
    let wallet = dir.join("state.wallet");
    let make = [
        "rollup",
        "block",
        "--state",
        path(&state),
        "--wallet",
        path(&wallet),
        "--transfers",
        "2",
        "-o",
        path(&block),
    ];
    assert!(l2x(&make).status.success());
    (state, block)
}

#[test]
fn rollup_block_and_apply() {
    let dir = tempfile::tempdir().unwrap();
    let (state, block) = state_and_block(dir.path());
    let wallet = dir.path().join("state.wallet");
    let args = [
        "rollup",
        "block",
        "--state",
        path(&state),
        "--wallet",
        path(&wallet),
        "--transfers",
        "1",
    ];
    refused(&[&args[..], &["-o", "OUT"]].concat(), &state);
    refused(&[&args[..], &["-o", "OUT"]].concat(), &wallet);
    let apply = ["rollup", "apply", "--state", path(&state), "--block"];
    refused(&[&apply[..], &[path(&block), "-o", "OUT"]].concat(), &block);
    // The state is updated in place, as documented.
    let before = fs::read(&state).unwrap();
    let out = l2x(&[&apply[..], &[path(&block), "-o", path(&state)]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(fs::read(&state).unwrap(), before);
}

#[test]
fn rollup_genesis_keeps_the_wallet_apart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s");
    let out = l2x(&[
        "rollup",
        "genesis",
        "--accounts",
        "2",
        "-o",
        path(&state),
        "--wallet",
        path(&state),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the wallet"), "{}", stderr(&out));
    assert!(!state.exists());
}

#[test]
fn prove_and_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    fs::write(&input, b"abc").unwrap();
    refused(
        &["prove", "sha256", "--input-file", path(&input), "-o", "OUT"],
        &input,
    );
    let receipts: Vec<PathBuf> = (0..2).map(|i| dir.path().join(format!("r{i}"))).collect();
    for (n, r) in ["5", "6"].iter().zip(&receipts) {
        let out = l2x(&["prove", "fibonacci", "--input", n, "-o", path(r)]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let args = ["aggregate", path(&receipts[0]), path(&receipts[1])];
    refused(
        &[&args[..], &["--allow-dev", "-o", "OUT"]].concat(),
        &receipts[1],
    );
}

#[test]
fn batch() {
    let dir = tempfile::tempdir().unwrap();
    let (jobs, input) = (dir.path().join("jobs.jsonl"), dir.path().join("input"));
    fs::write(&input, b"abc").unwrap();
    let line = r#"{"program": "sha256", "input_file": "input"}"#;
    fs::write(&jobs, format!("{line}\n")).unwrap();
    refused(&["batch", path(&jobs), "--aggregate", "OUT"], &jobs);
    let aggregate = dir.path().join("out.l2xa");
    let publish = ["--aggregate", path(&aggregate), "--publish", "OUT"];
    refused(&[&["batch", path(&jobs)][..], &publish[..]].concat(), &jobs);
    // A file a job reads is an input too.
    refused(&["batch", path(&jobs), "--aggregate", "OUT"], &input);
}

#[test]
fn da_encode_decode_and_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (data, blobs) = (dir.path().join("data"), dir.path().join("blobs"));
    fs::write(&data, b"some batch data").unwrap();
    let out = l2x(&["da", "encode", path(&data), "-o", path(&blobs)]);
    assert!(out.status.success(), "{}", stderr(&out));
    refused(&["da", "encode", path(&data), "-o", "OUT"], &data);
    refused(
        &["da", "decode", "--blob-file", path(&blobs), "-o", "OUT"],
        &blobs,
    );
    refused(
        &["da", "commit", "--blob-file", path(&blobs), "-o", "OUT"],
        &blobs,
    );
}

#[test]
fn bench_reports_and_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    fs::write(&report, b"{}").unwrap();
    // Re-rendering a report into the directory it came from would replace it.
    let before = fs::read(&report).unwrap();
    let args = [
        "bench",
        "--report",
        path(&report),
        "--out",
        path(dir.path()),
    ];
    let out = l2x(&args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));
    assert_eq!(fs::read(&report).unwrap(), before);
    // Comparing with a baseline and saving over it.
    let base = dir.path().join("base.json");
    fs::write(&base, b"{}").unwrap();
    let out = l2x(&[
        "bench",
        "--baseline",
        path(&base),
        "--save-baseline",
        path(&base),
        "--out",
        path(&dir.path().join("out")),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));
}
