//! Atomic writes: every file of a command is staged in a temporary sibling and renamed only
//! when all of them are written, so a failed command leaves no half-written file
//! (ARCHITECTURE.md, invariant 9). Large files are streamed ([`Contents::Stream`]).
//!
//! The temporaries not yet committed or removed, and the directories created for them, are
//! registered, so that a command stopped by a signal removes them before it exits
//! ([`remove_pending_and_exit`], called by [`crate::signals`]): registering a temporary and
//! creating it happen under one lock, and committing a set of files under another, so the
//! signal's cleanup sees every temporary and never runs between two renames of one set.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// What a stopped command must remove.
struct Pending {
    /// Temporaries created and neither committed nor removed yet.
    temps: Vec<PathBuf>,
    /// Directories created for them (removed if empty).
    dirs: Vec<PathBuf>,
    /// Whether a set of files was committed.
    committed: bool,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    temps: Vec::new(),
    dirs: Vec::new(),
    committed: false,
});

/// Held while a set of staged files is renamed into place.
static COMMITTING: Mutex<()> = Mutex::new(());

fn pending() -> MutexGuard<'static, Pending> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes every registered temporary and the directories created for them that are empty,
/// prints `message` (one line) on stderr and exits with `code`; waits for a commit in
/// progress to finish first, and holds both locks until the process has exited, so no new
/// temporary appears meanwhile.
pub fn remove_pending_and_exit(message: &str, code: i32) -> ! {
    let _committing = COMMITTING.lock().unwrap_or_else(PoisonError::into_inner);
    let mut p = pending();
    for t in &p.temps {
        let _ = fs::remove_file(t);
    }
    // Deepest first, so a directory made for another's child goes after it.
    p.dirs
        .sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in &p.dirs {
        let _ = fs::remove_dir(d);
    }
    let when = if p.committed {
        "after its outputs were written"
    } else {
        "temporaries removed, nothing written"
    };
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!(); // below the progress bar
    }
    eprintln!("{message}: {when}");
    std::process::exit(code)
}

/// A writer of a file's contents, streamed through a buffer.
pub type Writer<'a> = Box<dyn FnOnce(&mut dyn Write) -> Result<(), String> + 'a>;

/// What to write into one file.
pub enum Contents<'a> {
    /// These bytes.
    Bytes(Vec<u8>),
    /// Whatever this writes.
    Stream(Writer<'a>),
}

/// A file prepared in a temporary sibling, made visible by [`Staged::commit`] (a rename), or
/// removed when dropped uncommitted. A set of files is written all-or-nothing by staging every
/// one first and committing them only when all staged.
pub struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl Staged {
    /// Writes `bytes` to a temporary file beside `dest` (creating `dest`'s directory).
    pub fn new(dest: &Path, bytes: &[u8]) -> Result<Self, String> {
        Self::with(dest, Contents::Bytes(bytes.to_vec()))
    }

    /// A temporary file beside `dest` (creating `dest`'s directory), for the caller to write:
    /// [`Staged::commit`] renames it onto `dest`; dropped uncommitted, it is removed.
    pub fn open(dest: &Path) -> Result<(Self, fs::File), String> {
        let dir = dest
            .parent()
            .ok_or_else(|| format!("{} has no parent directory", dest.display()))?;
        {
            let mut p = pending();
            let created = missing_dirs(dir);
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            p.dirs.extend(created);
        }
        let name = dest
            .file_name()
            .ok_or_else(|| format!("{} has no file name", dest.display()))?
            .to_string_lossy();
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let staged = Staged {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        };
        let opened = {
            let mut p = pending();
            p.temps.push(staged.tmp.clone());
            fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&staged.tmp)
        };
        // The lock is released before `staged` may be dropped (its drop takes it).
        let f = opened.map_err(|e| format!("cannot create {}: {e}", staged.tmp.display()))?;
        Ok((staged, f))
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Writes `contents` to a temporary file beside `dest` (creating `dest`'s directory).
    pub fn with(dest: &Path, contents: Contents<'_>) -> Result<Self, String> {
        let (staged, f) = Self::open(dest)?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let cannot = |e: std::io::Error| format!("cannot write {}: {e}", staged.tmp.display());
        match contents {
            Contents::Bytes(bytes) => w.write_all(&bytes).map_err(cannot)?,
            Contents::Stream(write) => write(&mut w)?,
        }
        let f = w.into_inner().map_err(|e| cannot(e.into_error()))?;
        f.sync_all().map_err(cannot)?;
        Ok(staged)
    }

    /// Renames the temporary file onto its destination.
    pub fn commit(mut self) -> Result<(), String> {
        fs::rename(&self.tmp, &self.dest).map_err(|e| {
            format!(
                "cannot rename {} to {}: {e}",
                self.tmp.display(),
                self.dest.display()
            )
        })?;
        self.committed = true;
        let mut p = pending();
        p.temps.retain(|t| t != &self.tmp);
        p.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let mut p = pending();
            let _ = fs::remove_file(&self.tmp);
            p.temps.retain(|t| t != &self.tmp);
        }
    }
}

/// `dir` and those of its ancestors that do not exist, deepest first.
fn missing_dirs(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect()
}

/// Writes several files all-or-nothing: every file is staged first; if any staging fails,
/// nothing is renamed and the temporaries are removed.
pub fn write_all_atomically(files: &[(PathBuf, Vec<u8>)]) -> Result<(), String> {
    write_streams_atomically(
        files
            .iter()
            .map(|(p, b)| (p.clone(), Contents::Bytes(b.clone())))
            .collect(),
    )
}

/// [`write_all_atomically`] for contents that may be streamed.
pub fn write_streams_atomically(files: Vec<(PathBuf, Contents<'_>)>) -> Result<(), String> {
    commit_with(Vec::new(), files)
}

/// Stages `files`, then commits the already staged `ready` and them, all or nothing (a
/// failure leaves none of them).
pub fn commit_with(ready: Vec<Staged>, files: Vec<(PathBuf, Contents<'_>)>) -> Result<(), String> {
    let mut staged = ready;
    for (path, contents) in files {
        staged.push(Staged::with(&path, contents)?);
    }
    let _committing = COMMITTING.lock().unwrap_or_else(PoisonError::into_inner);
    for s in staged {
        s.commit()?;
    }
    Ok(())
}

/// The directories of `dir` that do not exist yet, removed again (if empty) when dropped
/// unkept: a command that stages files before it knows it will succeed leaves no directory
/// behind when it fails.
pub struct NewDirs {
    missing: Vec<PathBuf>,
}

impl NewDirs {
    /// Records which of `dir` and its ancestors do not exist.
    pub fn new(dir: &Path) -> Self {
        NewDirs {
            missing: missing_dirs(dir),
        }
    }

    /// Keeps them.
    pub fn keep(mut self) {
        self.missing.clear();
    }
}

impl Drop for NewDirs {
    fn drop(&mut self) {
        for d in &self.missing {
            let _ = fs::remove_dir(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_appear_only_on_commit() {
        let dir = std::env::temp_dir().join(format!("logprune-fsutil-test-{}", std::process::id()));
        let a = dir.join("a.txt");
        let s = Staged::new(&a, b"hello").unwrap();
        assert!(!a.exists());
        s.commit().unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"hello");
        {
            let _dropped = Staged::new(&dir.join("b.txt"), b"x").unwrap();
        }
        assert!(!dir.join("b.txt").exists());
        let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only a.txt remains, no temporaries");
        fs::remove_dir_all(&dir).unwrap();
    }
}
