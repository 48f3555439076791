//! Reading files with size limits, and writing a command's outputs all or nothing.
//!
//! Outputs go through [`Outputs`]: every file is first written to a temporary file beside its
//! destination, named `.NAME.PID.l2x-tmp` so that it is recognisably ours, and the destinations
//! are replaced by renames only once every file is written and synced. A command that fails
//! before that publishes nothing; temporary files left by a killed process are removed by the
//! next write to that directory. New files get the usual `0666 & !umask` mode; a replaced file
//! keeps its mode. A destination that exists and is not a regular file (a device, a FIFO, a
//! symlink, a directory) is refused: replacing it would be a surprise at best.
//!
//! An output is never one of the command's inputs. Every input read through [`read_limited`]
//! is remembered by its identity (device and inode, so hard links, symbolic links and `..` do
//! not hide it); [`check_output`], [`check_output_against`] and [`Outputs::stage`] refuse a
//! destination that is the same file. The one command that updates a file in place on purpose
//! (`rollup apply`) says so with [`Outputs::replacing_input`].

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};

/// The largest input file read: above every program's limit, so programs give the precise error.
pub const MAX_INPUT_FILE: u64 = 64 << 20;

/// The largest receipt file read. The largest STARK receipt is well under 2 MiB; seals are
/// further bounded by the shape their claim implies.
pub const MAX_RECEIPT_FILE: u64 = 16 << 20;

/// The largest aggregate file read (thousands of STARK receipts).
pub const MAX_AGGREGATE_FILE: u64 = 1 << 30;

/// The suffix of our temporary files.
const TMP_SUFFIX: &str = ".l2x-tmp";

/// A file's identity: two paths name the same file exactly when their identities are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    device: u64,
    inode: u64,
}

impl FileId {
    fn of(meta: &fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            device: meta.dev(),
            inode: meta.ino(),
        }
    }

    /// The identity of the file at `path` (through symbolic links), if there is one.
    fn at(path: &Path) -> Option<Self> {
        fs::metadata(path).ok().map(|m| Self::of(&m))
    }
}

/// The inputs this process has read, by identity, with the path each was read by.
static INPUTS: Mutex<Vec<(FileId, PathBuf)>> = Mutex::new(Vec::new());

fn note_input(file: &File, path: &Path) {
    if let Ok(meta) = file.metadata() {
        let mut inputs = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
        inputs.push((FileId::of(&meta), path.to_path_buf()));
    }
}

/// The input already read that `path` names, if any. An input must still be there under its
/// own path: a deleted input's inode may have been reused by another file.
fn read_input_at(path: &Path) -> Option<PathBuf> {
    let id = FileId::at(path)?;
    let inputs = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
    inputs
        .iter()
        .find(|(i, p)| *i == id && FileId::at(p) == Some(id))
        .map(|(_, p)| p.clone())
}

fn same_file_error(output: &Path, input: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "refusing to write {}: it is the input {} (the same file); choose another output",
        output.display(),
        input.display()
    )
}

/// Refuses output `path` if it is the same file as one of `inputs` (about to be read).
/// Commands call it before any work, so a mistyped output fails at once, not after a proof.
pub fn refuse_inputs(path: &Path, inputs: &[&Path]) -> Result<()> {
    let Some(id) = FileId::at(path) else {
        return Ok(());
    };
    match inputs.iter().find(|i| FileId::at(i) == Some(id)) {
        Some(input) => Err(same_file_error(path, input)),
        None => Ok(()),
    }
}

/// [`refuse_inputs`], then [`check_output`].
pub fn check_output_against(path: &Path, inputs: &[&Path]) -> Result<()> {
    refuse_inputs(path, inputs)?;
    check_output(path)
}

/// Reads at most `limit` bytes of `path`, failing if the file is larger (without reading it
/// when its size is known up front). The file is remembered as an input: no output of this
/// process may replace it.
pub fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let file =
        File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
    note_input(&file, path);
    let too_large = || {
        anyhow::anyhow!(
            "{what} {} is larger than the {} this command reads",
            path.display(),
            size_text(limit)
        )
    };
    let known = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    if known.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(known.unwrap_or(0) as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// Checks, before any work, that `path` can be written as an output: its directory exists and
/// takes new files, nothing but a regular file is there already, and that file is no input
/// read so far.
pub fn check_output(path: &Path) -> Result<()> {
    if let Some(input) = read_input_at(path) {
        return Err(same_file_error(path, &input));
    }
    let dir = parent(path);
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => bail!(
            "cannot write {}: {} is not a directory",
            path.display(),
            dir.display()
        ),
        Err(e) => bail!(
            "cannot write {}: directory {}: {e}",
            path.display(),
            dir.display()
        ),
    }
    if let Ok(meta) = fs::symlink_metadata(path) {
        let kind = meta.file_type();
        if !kind.is_file() {
            let what = if kind.is_symlink() {
                "a symbolic link"
            } else if kind.is_dir() {
                "a directory"
            } else {
                "not a regular file (a device, FIFO or socket)"
            };
            bail!(
                "refusing to write {}: it exists and is {what}",
                path.display()
            );
        }
    }
    let probe = tmp_path(path);
    File::create_new(&probe)
        .and_then(|_| fs::remove_file(&probe))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Checks that `dir` is a directory that takes new files (for commands writing many outputs).
pub fn check_output_dir(dir: &Path) -> Result<()> {
    check_output(&dir.join("l2x-probe"))
}

/// Writes `bytes` to `path` all or nothing (one [`Outputs`] of one file).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut outputs = Outputs::default();
    outputs.stage(path, bytes)?;
    outputs.commit()
}

/// The files one command writes, published together by [`Outputs::commit`]. Dropped without a
/// commit, it removes what it staged.
#[derive(Debug, Default)]
pub struct Outputs {
    staged: Vec<(PathBuf, PathBuf)>,
    cleaned: BTreeSet<PathBuf>,
    replacing_input: bool,
}

impl Outputs {
    /// Outputs that may replace an input read before: for a command whose documented job is
    /// to update a file in place (`rollup apply`), atomically as every output.
    pub fn replacing_input() -> Self {
        Self {
            staged: Vec::new(),
            cleaned: BTreeSet::new(),
            replacing_input: true,
        }
    }

    /// [`Outputs::stage`] for a file of secrets: on Unix only its owner may read it (mode
    /// 0600), whatever the umask.
    pub fn stage_secret(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.stage_with(path, bytes, true)
    }

    /// Writes `bytes` to a temporary file beside `path` (not synced yet, nothing replaced).
    /// A destination that is an input read before is refused (unless [`Self::replacing_input`]).
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.stage_with(path, bytes, false)
    }

    fn stage_with(&mut self, path: &Path, bytes: &[u8], secret: bool) -> Result<()> {
        check_destination(path)?;
        if !self.replacing_input
            && let Some(input) = read_input_at(path)
        {
            return Err(same_file_error(path, &input));
        }
        let dir = parent(path).to_path_buf();
        if self.cleaned.insert(dir.clone()) {
            remove_stale_temps(&dir);
        }
        let tmp = tmp_path(path);
        let fail = || format!("cannot write {}", path.display());
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if secret {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).with_context(fail)?;
        self.staged.push((tmp, path.to_path_buf()));
        file.write_all(bytes).with_context(fail)?;
        // A secret keeps the mode it was created with, whatever was at `path` before.
        if !secret && let Ok(meta) = fs::metadata(path) {
            file.set_permissions(meta.permissions())
                .with_context(fail)?;
        }
        Ok(())
    }

    /// Syncs every staged file, renames each onto its destination, then syncs the directories.
    pub fn commit(mut self) -> Result<()> {
        let dirs: BTreeSet<&Path> = self.staged.iter().map(|(_, p)| parent(p)).collect();
        sync_staged(&self.staged, &dirs)?;
        for (tmp, path) in &self.staged {
            check_destination(path)?;
            fs::rename(tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
        }
        for dir in dirs {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .with_context(|| format!("cannot sync directory {}", dir.display()))?;
        }
        self.staged.clear();
        Ok(())
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Above this many staged files, one `syncfs` per directory's file system is cheaper than an
/// `fsync` each (20,000 receipts: one flush instead of 20,000); below it, `fsync` flushes only
/// our files, not whatever else the file system holds.
const SYNCFS_ABOVE: usize = 16;

/// Syncs the staged files in `dirs`: `fsync` each, or on Linux for many files one `syncfs`
/// per directory.
fn sync_staged(staged: &[(PathBuf, PathBuf)], dirs: &BTreeSet<&Path>) -> Result<()> {
    #[cfg(target_os = "linux")]
    if staged.len() > SYNCFS_ABOVE {
        for dir in dirs {
            let handle = File::open(dir)
                .with_context(|| format!("cannot open directory {}", dir.display()))?;
            rustix::fs::syncfs(&handle)
                .with_context(|| format!("cannot sync the file system of {}", dir.display()))?;
        }
        return Ok(());
    }
    let _ = dirs;
    for (tmp, path) in staged {
        File::open(tmp)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Refuses a destination that exists and is not a regular file.
fn check_destination(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => check_output(path),
        _ => Ok(()),
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// `.NAME.PID.l2x-tmp` beside `path`.
fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent(path).join(format!(".{name}.{}{TMP_SUFFIX}", std::process::id()))
}

/// Removes our temporary files in `dir` whose process is gone (a kill mid-write).
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(stale_pid) else {
            continue;
        };
        if !process_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The PID in a name of ours, `.NAME.PID.l2x-tmp`.
fn stale_pid(name: &str) -> Option<u32> {
    let stem = name.strip_prefix('.')?.strip_suffix(TMP_SUFFIX)?;
    stem.rsplit_once('.')?.1.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn atomic_write_then_limited_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.bin");
        write_atomic(&path, b"hello").unwrap();
        assert_eq!(read_limited(&path, 5, "file").unwrap(), b"hello");
        let err = read_limited(&path, 4, "file").unwrap_err().to_string();
        assert!(err.contains("larger"), "{err}");
        assert_eq!(names(dir.path()), ["r.bin"], "no temp file left");
    }

    #[test]
    fn atomic_write_into_a_missing_directory_fails_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/r.bin");
        assert!(check_output(&path).is_err());
        assert!(write_atomic(&path, b"x").is_err());
        assert!(!path.exists());
    }

    #[test]
    fn refuses_to_replace_anything_but_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        for (path, what) in [
            (&link, "symbolic link"),
            (&sub, "directory"),
            (&PathBuf::from("/dev/null"), "regular file"),
        ] {
            let err = format!("{:#}", check_output(path).unwrap_err());
            assert!(err.contains(what) && err.contains("refusing"), "{err}");
            assert!(write_atomic(path, b"x").is_err());
        }
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"keep");
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn new_files_honour_the_umask_and_replaced_files_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh");
        write_atomic(&fresh, b"1").unwrap();
        let reference = dir.path().join("reference");
        fs::write(&reference, b"0").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&fresh), mode(&reference), "0666 less the umask");
        let kept = dir.path().join("kept");
        fs::write(&kept, b"old").unwrap();
        fs::set_permissions(&kept, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&kept, b"new").unwrap();
        assert_eq!(mode(&kept), 0o640);
        assert_eq!(fs::read(&kept).unwrap(), b"new");
    }

    #[test]
    fn outputs_are_published_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let mut outputs = Outputs::default();
        outputs.stage(&dir.path().join("a"), b"a").unwrap();
        outputs.stage(&dir.path().join("b"), b"b").unwrap();
        assert_eq!(names(dir.path()).len(), 2);
        assert!(
            !dir.path().join("a").exists(),
            "nothing published before commit"
        );
        drop(outputs);
        assert!(names(dir.path()).is_empty(), "a dropped set leaves nothing");

        let mut outputs = Outputs::default();
        outputs.stage(&dir.path().join("a"), b"a").unwrap();
        outputs.stage(&dir.path().join("b"), b"b").unwrap();
        outputs.commit().unwrap();
        assert_eq!(names(dir.path()), ["a", "b"]);
    }

    #[test]
    fn stale_temp_files_of_dead_processes_are_removed_on_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        // PIDs above the kernel's maximum (2^22) never run.
        let stale = dir.path().join(".x.receipt.4999999.l2x-tmp");
        fs::write(&stale, b"partial").unwrap();
        let live = dir
            .path()
            .join(format!(".y.{}.l2x-tmp", std::process::id()));
        fs::write(&live, b"in progress").unwrap();
        let foreign = dir.path().join(".z.tmp123");
        fs::write(&foreign, b"not ours").unwrap();
        write_atomic(&dir.path().join("out"), b"1").unwrap();
        assert!(!stale.exists());
        assert!(live.exists(), "a running process's file is left alone");
        assert!(foreign.exists(), "files that are not ours are left alone");
        assert_eq!(stale_pid(".a.b.12.l2x-tmp"), Some(12));
        assert_eq!(stale_pid("a.12.l2x-tmp"), None);
    }
}
