//! File-system helpers shared by the commands: the project root and atomic writes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The repository root: the parent of this crate's manifest directory.
pub fn project_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
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
        let mut f = fs::File::create(&staged.tmp)
            .map_err(|e| format!("cannot create {}: {e}", staged.tmp.display()))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", staged.tmp.display()))?;
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
    let mut staged = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        staged.push(Staged::new(path, bytes)?);
    }
    for s in staged {
        s.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_appear_only_on_commit() {
        let dir = std::env::temp_dir().join(format!("logprune-xtask-test-{}", std::process::id()));
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
