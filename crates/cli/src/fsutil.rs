//! Atomic writes: every file of a command is staged in a temporary sibling and renamed only
//! when all of them are written, so a failed command leaves no half-written file
//! (ARCHITECTURE.md, invariant 9). Large files are streamed ([`Contents::Stream`]).

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

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
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
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
        let f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&staged.tmp)
            .map_err(|e| format!("cannot create {}: {e}", staged.tmp.display()))?;
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
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
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
        let missing = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        NewDirs { missing }
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
