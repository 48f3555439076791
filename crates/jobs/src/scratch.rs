//! Fresh PostgreSQL databases for tests (feature `scratch`): each test gets its own, dropped
//! afterwards, so tests run in parallel against one server.

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
                skipped();
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

/// Panics under `L2X_CI`; otherwise says once, on the process's stderr (not the test's captured
/// output, which a passing test never shows), that the PostgreSQL tests did not run.
fn skipped() {
    assert!(
        std::env::var_os(REQUIRE_ALL_VAR).is_none(),
        "{DATABASE_URL_VAR} is not set and {REQUIRE_ALL_VAR} requires the PostgreSQL tests: run \
         scripts/test.sh, or set {DATABASE_URL_VAR}=postgres://USER@HOST:5432/DB"
    );
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the PostgreSQL tests of this binary ({DATABASE_URL_VAR} is not set; \
             scripts/test.sh starts the local server and runs them)"
        );
    });
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
