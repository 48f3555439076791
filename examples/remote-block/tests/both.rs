//! The example proves the same block locally and on a live service (in this process, with an
//! API key) and prints the same verified claim.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::Command;
use std::sync::Arc;

use l2x_jobs::{JobStore, NewKey, Quotas, Role, Secret, SqliteStore};

/// Runs the example with `vars`: its line, or the test fails with its stderr.
fn example(vars: &[(&str, &str)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_remote-block"))
        .arg("4")
        .env_remove("L2X_DEV_MODE")
        .env_remove("L2X_PROVER")
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The claim part of the example's line (without where and how long).
fn claim(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .filter(|w| !w.starts_with("seconds="))
        .skip(1)
        .collect()
}

#[test]
fn the_same_block_is_proven_locally_and_remotely() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let secret = Secret::generate().unwrap();
    store
        .create_key(&NewKey {
            name: "node".into(),
            hash: secret.hash(),
            role: Role::Prove,
            quotas: Quotas::default(),
        })
        .unwrap();
    let executor = l2x_executor::Executor::builder()
        .threads(2)
        .build()
        .unwrap();
    let config = l2x_service::WorkerConfig::new(1);
    let limits = l2x_service::Limits::default();
    let service = l2x_service::LocalService::start(store, executor, config, limits).unwrap();
    let server = service.url();

    let local = example(&[("L2X_BACKEND", "stark")]);
    let remote = example(&[
        ("L2X_PROVER", "remote"),
        ("L2X_SERVER", &server),
        ("L2X_API_KEY", secret.expose()),
        ("L2X_BACKEND", "stark"),
    ]);
    assert!(local.starts_with("local stark transfers=4 "), "{local}");
    assert!(remote.starts_with("remote stark transfers=4 "), "{remote}");
    assert_eq!(claim(&local), claim(&remote));

    let out = Command::new(env!("CARGO_BIN_EXE_remote-block"))
        .env("L2X_PROVER", "remote")
        .env("L2X_SERVER", &server)
        .env_remove("L2X_API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
}
