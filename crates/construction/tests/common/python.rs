//! Running the Python reference code from the integration tests: the interpreter named by
//! `$LOGPRUNE_PYTHON` (skipping, and saying so, when it is unset), `python/`, temporary
//! directories, and a checked run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The interpreter, or `None` (after saying that `unchecked` is not compared with Rust and what
/// the python needs, on stderr past the test harness's capture) when `LOGPRUNE_PYTHON` is
/// unset.
pub fn python(test: &str, unchecked: &str, needs: &str) -> Option<PathBuf> {
    let Some(py) = std::env::var_os("LOGPRUNE_PYTHON") else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: LOGPRUNE_PYTHON is unset, so {unchecked} is not compared with Rust \
             (set it to a python with {needs}, as .ci/run does)"
        );
        return None;
    };
    Some(PathBuf::from(py))
}

/// `python/` at the workspace root.
pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python")
}

/// A temporary directory, removed when dropped (also when the test fails).
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `logprune-python-{suite}-{pid}-{label}` under the system's temporary directory, empty.
    pub fn new(suite: &str, label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "logprune-python-{suite}-{}-{label}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `py` with `args` (no bytecode written into the source tree), panicking with its output
/// unless it succeeds; returns its stdout.
pub fn run(py: &Path, args: &[&std::ffi::OsStr], what: &str) -> String {
    let out = Command::new(py)
        .arg("-B")
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("LOGPRUNE_PYTHON={} cannot be run: {e}", py.display()));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "{what} failed ({}) with LOGPRUNE_PYTHON={}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status,
        py.display()
    );
    stdout
}
