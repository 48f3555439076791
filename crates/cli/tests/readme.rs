//! The README's tour, run: every ```console block of README.md is executed with `trycmd` and its
//! output compared with what the README prints (`[..]` where times and sizes change).
//!
//! The commands run in a fresh directory that holds the README's `jobs.jsonl` and `blocks.jsonl`
//! and nothing else, with dev receipts not allowed by the environment and the CPU warning off
//! (the workspace's own build already uses the CPU's vector features; the warning is tested in
//! the executor).

use std::path::Path;

/// The jobs file the README's batch section describes.
const JOBS: &str = r#"{"program": "fibonacci", "input": "1000"}
{"program": "sha256", "input": "abc"}
{"program": "sha256", "input_hex": "00ff"}
{"program": "fibonacci", "input": "1000"}
"#;

/// The jobs file of the README's section on publishing blocks.
const BLOCKS: &str = r#"{"program": "transfers", "input_file": "block1"}
{"program": "transfers", "input_file": "block2"}
"#;

#[test]
fn the_readme_tour_prints_what_the_readme_shows() {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("README.md");
    std::fs::copy(&readme, &copy).expect("README.md is readable");
    // trycmd runs a `NAME.md` case in `NAME.in/` when that directory exists.
    let cwd = dir.path().join("README.in");
    std::fs::create_dir(&cwd).expect("cwd");
    std::fs::write(cwd.join("jobs.jsonl"), JOBS).expect("jobs file");
    std::fs::write(cwd.join("blocks.jsonl"), BLOCKS).expect("blocks file");
    trycmd::TestCases::new()
        .register_bin("l2x", Path::new(env!("CARGO_BIN_EXE_l2x")))
        .register_bin("mkdir", Path::new("/bin/mkdir"))
        .env("L2X_DEV_MODE", "0")
        .env("L2X_NO_CPU_WARNING", "1")
        .env("NO_COLOR", "1")
        .case(&copy);
}
