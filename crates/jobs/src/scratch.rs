//! Scratch resources for tests (feature `scratch`): fresh PostgreSQL databases, each test its
//! own, dropped afterwards, so tests run in parallel against one server; and small filesystems
//! of their own to fill up, so a test meets a real full disk.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};

use crate::StoreError;

/// The variable naming the server tests use (`scripts/test.sh` sets it).
pub const DATABASE_URL_VAR: &str = "L2X_TEST_DATABASE_URL";

/// The variable that makes every optional component of the test suite required (`L2X_CI=1`,
/// set by `scripts/test.sh` and so by CI): a missing server is then a failure, not a skip.
pub const REQUIRE_ALL_VAR: &str = "L2X_CI";

/// A database created for one test, dropped (with its connections) when this is dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

impl ScratchDatabase {
    /// Creates a database on the server `L2X_TEST_DATABASE_URL` names; None when it is unset
    /// (the test then skips, saying so once per test binary on stderr), unless `L2X_CI` is set:
    /// then an unset URL panics, so that CI never skips the PostgreSQL tests silently.
    pub fn from_env() -> Option<Result<Self, StoreError>> {
        match std::env::var(DATABASE_URL_VAR) {
            Ok(url) => Some(Self::create(&url)),
            Err(_) => {
                skipped(
                    &format!(
                        "the PostgreSQL tests of this binary ({DATABASE_URL_VAR} is not set; scripts/test.sh starts the local server and runs them)"
                    ),
                    &format!(
                        "{DATABASE_URL_VAR} is not set: run scripts/test.sh, or set {DATABASE_URL_VAR}=postgres://USER@HOST:5432/DB"
                    ),
                );
                None
            }
        }
    }

    /// Creates a database on the server of `admin_url`.
    pub fn create(admin_url: &str) -> Result<Self, StoreError> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "l2x_scratch_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = Client::connect(admin_url, NoTls)?;
        // Two statements: DROP DATABASE cannot share a (multi-statement) transaction.
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Panics under `L2X_CI` (saying `why`); otherwise says once per test binary and `what`, on the
/// process's stderr (not the test's captured output, which a passing test never shows), that
/// `what` did not run.
fn skipped(what: &str, why: &str) {
    assert!(
        std::env::var_os(REQUIRE_ALL_VAR).is_none(),
        "{why}, and {REQUIRE_ALL_VAR} requires {what}"
    );
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !said.iter().any(|w| w == what) {
        said.push(what.to_owned());
        let _ = writeln!(std::io::stderr(), "skipped: {what}");
    }
}

/// A small filesystem for one test (a tmpfs, mounted in a fresh directory and unmounted when
/// this is dropped), to fill up: a full disk as the store meets it, not a simulation.
#[derive(Debug)]
pub struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `bytes`. Needs root and `mount`: without them None (the test skips,
    /// saying so on stderr), unless `L2X_CI` is set, which makes it a failure.
    pub fn mount(bytes: u64) -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "l2x-small-disk-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mounted = std::fs::create_dir_all(&path).is_ok()
            && Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
                .arg(&path)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        if !mounted {
            let _ = std::fs::remove_dir(&path);
            skipped(
                "the full-disk tests of this binary (they mount a small tmpfs: run them as root)",
                "cannot mount a tmpfs (not root?)",
            );
            return None;
        }
        Some(Self { path })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fills it: a file grows until the filesystem says it has no space left.
    pub fn fill(&self) -> std::io::Result<()> {
        let mut filler = std::fs::File::create(self.path.join("filler"))?;
        let chunk = vec![0u8; 4096];
        loop {
            match filler.write_all(&chunk) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Frees what [`SmallDisk::fill`] took.
    pub fn free(&self) -> std::io::Result<()> {
        std::fs::remove_file(self.path.join("filler"))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg(&self.path)
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://root@127.0.0.1:5432/test", "x"),
            "postgres://root@127.0.0.1:5432/x"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            with_database("postgresql://h/db?sslmode=disable", "x"),
            "postgresql://h/x?sslmode=disable"
        );
    }
}
