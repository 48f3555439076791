//! Where `serve` and `worker` find the job store — `--store`, the `L2X_STORE` variable or a
//! file — and how a store is shown (never with its password).
//!
//! A PostgreSQL URL may carry a password, and a command line is visible to every local user
//! (`ps`), so the URL can come from the environment or from a file only its owner reads.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

/// The variable a store may be given by.
pub const STORE_VAR: &str = "L2X_STORE";

/// The largest store file read: a URL, not a document.
const MAX_STORE_FILE: u64 = 64 << 10;

/// The store's arguments.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Where jobs live: a data directory for the embedded store (`serve` without any store uses
    /// ./l2x-data), or a postgres:// URL shared with `l2x worker` processes. A URL with a
    /// password is better given by L2X_STORE or --store-file: a command line is visible to
    /// every local user.
    #[arg(long, value_name = "DIR|URL", env = STORE_VAR, hide_env_values = true)]
    store: Option<String>,

    /// A file whose first line is the store (a URL with its password, in a file only the
    /// service's user reads).
    #[arg(long, value_name = "FILE")]
    store_file: Option<PathBuf>,
}

impl StoreArgs {
    /// The store, from exactly one of `--store` / `L2X_STORE` and `--store-file`, else
    /// `default` (an error if there is none).
    pub fn spec(&self, default: Option<&str>) -> Result<String> {
        let spec = match (&self.store, &self.store_file) {
            (Some(_), Some(_)) => bail!(
                "the store is given twice: by --store or {STORE_VAR}, and by --store-file; give one"
            ),
            (Some(spec), None) => {
                let from_env = std::env::var(STORE_VAR).is_ok_and(|v| &v == spec);
                if !from_env && has_password(spec) {
                    tracing::warn!(
                        "the store URL's password is visible to every local user on the command line; give it by {STORE_VAR} or --store-file"
                    );
                }
                spec.clone()
            }
            (None, Some(file)) => read_store_file(file)?,
            (None, None) => match default {
                Some(default) => default.to_owned(),
                None => bail!("no store: give --store URL, {STORE_VAR} or --store-file FILE"),
            },
        };
        if spec.is_empty() {
            bail!("the store is empty: give a data directory or a postgres:// URL");
        }
        Ok(spec)
    }
}

/// The first line of `file`, trimmed.
fn read_store_file(file: &std::path::Path) -> Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_STORE_FILE).read_to_string(&mut text))
        .with_context(|| format!("cannot read the store file {}", file.display()))?;
    Ok(text.lines().next().unwrap_or("").trim().to_owned())
}

/// Whether a store URL carries a password (`scheme://user:password@host`).
fn has_password(spec: &str) -> bool {
    shown(spec) != spec
}

/// A store as it may be printed: a URL's password replaced by `***`.
pub fn shown(spec: &str) -> String {
    match (spec.find("://"), spec.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &spec[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &spec[..scheme + 3], &spec[at..]),
                None => spec.to_owned(),
            }
        }
        _ => spec.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(shown("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(shown("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(shown("l2x-data"), "l2x-data");
        assert!(has_password("postgres://u:secret@h/db"));
        assert!(!has_password("postgres://u@h/db"));
    }

    #[test]
    fn a_store_file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("store");
        std::fs::write(&file, "postgres://u:secret@h/db  \nignored\n").unwrap();
        let args = StoreArgs {
            store: None,
            store_file: Some(file.clone()),
        };
        assert_eq!(args.spec(None).unwrap(), "postgres://u:secret@h/db");
        let twice = StoreArgs {
            store: Some("l2x-data".into()),
            store_file: Some(file),
        };
        assert!(twice.spec(None).unwrap_err().to_string().contains("twice"));
        let none = StoreArgs {
            store: None,
            store_file: None,
        };
        assert_eq!(none.spec(Some("l2x-data")).unwrap(), "l2x-data");
        assert!(none.spec(None).is_err());
    }
}
