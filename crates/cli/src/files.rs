//! Reading inputs and receipts with size limits, and writing files atomically.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// The largest input file read: above every program's limit, so programs give the precise error.
pub const MAX_INPUT_FILE: u64 = 64 << 20;

/// The largest receipt file read.
pub const MAX_RECEIPT_FILE: u64 = 256 << 20;

/// Reads at most `limit` bytes of `path`, failing if the file is larger.
pub fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let file =
        File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{what} {} is larger than the {} MiB this command reads",
            path.display(),
            limit >> 20
        );
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// that `path` never holds a partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let fail = || format!("cannot write {}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(fail)?;
    tmp.write_all(bytes).with_context(fail)?;
    tmp.as_file().sync_all().with_context(fail)?;
    tmp.persist(path).map_err(|e| e.error).with_context(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_then_limited_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.bin");
        write_atomic(&path, b"hello").unwrap();
        assert_eq!(read_limited(&path, 5, "file").unwrap(), b"hello");
        let err = read_limited(&path, 4, "file").unwrap_err().to_string();
        assert!(err.contains("larger"), "{err}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn atomic_write_into_a_missing_directory_fails_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/r.bin");
        assert!(write_atomic(&path, b"x").is_err());
        assert!(!path.exists());
    }
}
