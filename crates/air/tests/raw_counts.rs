//! No table of ours reaches a LogUp bus except through `l2x_air::count`, whose query counts are
//! bounded by construction: this scans every Rust source of the workspace (crates, examples,
//! fuzz targets) for a raw `p3-lookup` count or bus call elsewhere.

use std::path::{Path, PathBuf};

/// What reaches a bus or builds a count without the helpers.
const RAW: [&str; 9] = [
    "Count::",
    ".lookup_key(",
    ".table_entry(",
    "push_interaction(",
    "push_local_interaction(",
    "push_exclusive_interaction(",
    "lookup_key_exclusive(",
    ".send(builder",
    ".receive(builder",
];

/// Files allowed to: the helpers themselves, the test that builds the bug's shape on purpose to
/// show the forgery check catches it, and this scan (which names the patterns).
const ALLOWED: [&str; 3] = [
    "crates/air/src/count.rs",
    "crates/stark/tests/counts.rs",
    "crates/air/tests/raw_counts.rs",
];

/// Whether `code` contains `pattern` not as the tail of a longer name (`SegmentCount::` is not
/// `Count::`).
fn contains_raw(code: &str, pattern: &str) -> bool {
    code.match_indices(pattern).any(|(at, _)| {
        pattern.starts_with('.')
            || !code[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() && name != "target" && name != "corpus" && name != "artifacts" {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_count_goes_through_the_bounding_helpers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["crates", "examples", "fuzz"] {
        sources(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} sources", files.len());
    let mut raw = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap_or(file);
        let relative = relative.to_string_lossy().replace('\\', "/");
        if ALLOWED.contains(&relative.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if RAW.iter().any(|pattern| contains_raw(code, pattern)) {
                raw.push(format!("{relative}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        raw.is_empty(),
        "raw lookup counts or bus calls outside l2x_air::count:\n{}",
        raw.join("\n")
    );
}
