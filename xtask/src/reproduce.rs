//! `cargo xtask reproduce`: runs every experiment of `logprune-experiments` and writes its
//! artifacts under `data/`, all-or-nothing; `--check` compares instead of writing.
//!
//! Columns a table declares volatile (wall-clock seconds) differ from run to run by nature, so
//! the committed file under `data/` leaves them out, and the full table with them goes to the
//! same relative path under `target/reproduce/` (not committed). `--check` compares `data/`
//! byte for byte and writes nothing.
//!
//! The slow experiments (`logprune_experiments::slow_experiments`) run only with `--slow` or
//! `--only NAME`; a plain `--check` leaves their files alone.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logprune_experiments::{
    Artifact, Ctx, Experiment, Progress, SLOW_OUTPUTS, experiments, slow_experiments,
};

use crate::project_root;
use logprune::fsutil::write_all_atomically;

/// Arguments of `cargo xtask reproduce`.
#[derive(Debug, clap::Args)]
pub struct ReproduceArgs {
    /// Regenerate in memory and fail, naming each stale file, when data/ differs.
    #[arg(long)]
    check: bool,
    /// Run only the named experiment (repeatable). `--list` shows the names.
    #[arg(long = "only", value_name = "NAME")]
    only: Vec<String>,
    /// List the experiments and the items of the paper they reproduce, and exit.
    #[arg(long)]
    list: bool,
    /// Also run the slow experiments (several minutes each; `--list` marks them), which a
    /// plain run leaves out.
    #[arg(long)]
    slow: bool,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn add_total(&self, n: u64) {
        self.0.inc_length(n);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

/// Runs the command; returns the text for stdout or an error message.
pub fn run(args: &ReproduceArgs) -> Result<String, String> {
    let slow = slow_experiments();
    if args.list {
        let mut out = String::new();
        for e in &experiments() {
            let _ = writeln!(out, "{:<24} {}", e.name, e.paper);
        }
        for e in &slow {
            let _ = writeln!(out, "{:<24} (slow: --only or --slow) {}", e.name, e.paper);
        }
        return Ok(out);
    }
    let mut all = experiments();
    let whole = args.only.is_empty();
    if args.slow || !whole {
        all.extend(slow.iter().copied());
    }
    let selected: Vec<Experiment> = if whole {
        all.clone()
    } else {
        let names: BTreeSet<&str> = all.iter().map(|e| e.name).collect();
        for o in &args.only {
            if !names.contains(o.as_str()) {
                return Err(format!(
                    "--only {o}: no such experiment (expected one of: {})",
                    names.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        all.iter()
            .filter(|e| args.only.iter().any(|o| o == e.name))
            .copied()
            .collect()
    };

    let data = project_root().join("data");
    let timings = timing_dir();
    let mut report = String::new();
    let mut produced: Vec<Produced> = Vec::new();
    let total_start = Instant::now();
    for e in &selected {
        let bar = ProgressBar::new(0);
        if args.quiet {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{prefix:>22} [{elapsed_precise}] {wide_bar} {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(e.name);
        let progress = Bar(bar.clone());
        let start = Instant::now();
        let artifacts = (e.run)(&Ctx {
            progress: &progress,
        })
        .map_err(|err| format!("experiment `{}` failed: {err}", e.name))?;
        bar.finish_and_clear();
        let secs = start.elapsed().as_secs_f64();
        let _ = writeln!(
            report,
            "{:<22} {:>8.1} s  {}",
            e.name,
            secs,
            artifacts
                .iter()
                .map(|a| a.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for a in &artifacts {
            let p =
                Produced::new(&data, a).map_err(|err| format!("experiment `{}`, {err}", e.name))?;
            if produced.iter().any(|q| q.path == p.path) {
                return Err(format!("two experiments produce data/{}", a.path));
            }
            produced.push(p);
        }
    }
    let _ = writeln!(
        report,
        "{:<22} {:>8.1} s",
        "total",
        total_start.elapsed().as_secs_f64()
    );

    if args.check {
        let mut stale = Vec::new();
        for p in &produced {
            if let Some(why) = differs(&p.path, &p.bytes) {
                stale.push(format!("data/{}: {why}", p.rel));
            }
        }
        if whole {
            let paths: BTreeSet<&Path> = produced.iter().map(|p| p.path.as_path()).collect();
            let slow_files: BTreeSet<PathBuf> = SLOW_OUTPUTS.iter().map(|f| data.join(f)).collect();
            for extra in generated_files(&data) {
                if !paths.contains(extra.as_path()) && !slow_files.contains(&extra) {
                    stale.push(format!(
                        "{}: not produced by any experiment (remove it)",
                        extra
                            .strip_prefix(project_root())
                            .unwrap_or(&extra)
                            .display()
                    ));
                }
            }
        }
        if stale.is_empty() {
            let _ = writeln!(report, "data/ is up to date ({} files)", produced.len());
            Ok(report)
        } else {
            Err(format!(
                "{} stale file(s) in data/; run `cargo xtask reproduce`:\n  {}",
                stale.len(),
                stale.join("\n  ")
            ))
        }
    } else {
        let files = files_to_write(&timings, &produced)?;
        write_all_atomically(&files)?;
        let _ = writeln!(report, "wrote {} files under data/", produced.len());
        let timed: Vec<&str> = produced
            .iter()
            .filter(|p| p.timing.is_some())
            .map(|p| p.rel.as_str())
            .collect();
        if !timed.is_empty() {
            let _ = writeln!(
                report,
                "wall-clock columns are not in data/; the full tables are under {}: {}",
                timings.display(),
                timed.join(", ")
            );
        }
        Ok(report)
    }
}

/// Where the full tables, wall-clock columns included, are written: `target/reproduce/` at the
/// repository root (ignored by git).
fn timing_dir() -> PathBuf {
    project_root().join("target").join("reproduce")
}

/// One artifact, serialized: its path under `data/`, the committed bytes (without volatile
/// columns) and, for a table with volatile columns, the full table.
struct Produced {
    rel: String,
    path: PathBuf,
    bytes: Vec<u8>,
    timing: Option<Vec<u8>>,
}

impl Produced {
    fn new(data: &Path, a: &Artifact) -> Result<Self, String> {
        let err = |e: logprune_experiments::ExperimentError| format!("{}: {e}", a.path);
        Ok(Produced {
            rel: a.path.clone(),
            path: resolve(data, &a.path)?,
            bytes: a.to_bytes().map_err(err)?,
            timing: a.to_timing_bytes().map_err(err)?,
        })
    }
}

/// Every file a run writes: each artifact's committed bytes at its `data/` path, and each full
/// table at the same relative path under `timings`.
fn files_to_write(
    timings: &Path,
    produced: &[Produced],
) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let mut files = Vec::with_capacity(produced.len());
    for p in produced {
        files.push((p.path.clone(), p.bytes.clone()));
        if let Some(t) = &p.timing {
            files.push((resolve(timings, &p.rel)?, t.clone()));
        }
    }
    Ok(files)
}

/// `data/` joined with an artifact's relative path, refusing paths that leave `data/`.
fn resolve(data: &Path, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if rel.is_empty()
        || p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!(
            "artifact path `{rel}` must be relative to data/ without `..`"
        ));
    }
    Ok(data.join(p))
}

/// Files under `data/` that `reproduce` owns: every `.csv` and `.svg`, except in `data/datasets/`
/// (shipped data sets, copied by hand with their attribution).
fn generated_files(data: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![data.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "datasets") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|e| e == "csv" || e == "svg") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Why the file at `path` differs from the fresh bytes, or `None` when it is identical.
fn differs(path: &Path, fresh: &[u8]) -> Option<String> {
    let Ok(old) = std::fs::read(path) else {
        return Some("missing".to_owned());
    };
    if old == fresh {
        return None;
    }
    let old = String::from_utf8_lossy(&old);
    let new = String::from_utf8_lossy(fresh);
    for (i, (o, n)) in old.lines().zip(new.lines()).enumerate() {
        if o != n {
            return Some(format!("differs at line {}", i + 1));
        }
    }
    Some(format!(
        "has {} lines, a fresh run gives {}",
        old.lines().count(),
        new.lines().count()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use logprune_experiments::row;
    use logprune_experiments::table::Table;

    fn timed_artifact() -> Artifact {
        let mut t = Table::new(&["n", "seconds", "rate"]).with_volatile(&["seconds"]);
        t.push(row![8_u64, 0.125, 0.5]);
        Artifact::csv("sub/timed.csv", t)
    }

    #[test]
    fn volatile_columns_go_to_the_timing_file_only() {
        let data = Path::new("/repo/data");
        let timings = Path::new("/repo/target/reproduce");
        let mut plain = Table::new(&["n"]);
        plain.push(row![1_u64]);
        let produced = vec![
            Produced::new(data, &timed_artifact()).unwrap(),
            Produced::new(data, &Artifact::csv("plain.csv", plain)).unwrap(),
            Produced::new(data, &Artifact::svg("f.svg", "<svg/>".to_owned())).unwrap(),
        ];
        let files = files_to_write(timings, &produced).unwrap();
        let text = |p: &str| {
            let (_, b) = files.iter().find(|(q, _)| q == Path::new(p)).unwrap();
            String::from_utf8(b.clone()).unwrap()
        };
        assert_eq!(files.len(), 4, "three data files and one timing file");
        assert_eq!(text("/repo/data/sub/timed.csv"), "n,rate\n8,0.5\n");
        assert_eq!(
            text("/repo/target/reproduce/sub/timed.csv"),
            "n,seconds,rate\n8,0.125,0.5\n"
        );
        assert_eq!(text("/repo/data/plain.csv"), "n\n1\n");
        assert_eq!(text("/repo/data/f.svg"), "<svg/>");
        assert!(
            !files
                .iter()
                .any(|(p, _)| p.ends_with("reproduce/plain.csv"))
        );
    }

    #[test]
    fn written_files_are_checked_byte_for_byte() {
        let dir = std::env::temp_dir().join(format!("logprune-reproduce-{}", std::process::id()));
        let (data, timings) = (dir.join("data"), dir.join("timings"));
        let produced = vec![Produced::new(&data, &timed_artifact()).unwrap()];
        write_all_atomically(&files_to_write(&timings, &produced).unwrap()).unwrap();
        let committed = data.join("sub/timed.csv");
        assert_eq!(differs(&committed, &produced[0].bytes), None);
        assert_eq!(
            std::fs::read_to_string(timings.join("sub/timed.csv")).unwrap(),
            "n,seconds,rate\n8,0.125,0.5\n"
        );
        // Any changed byte is stale, whatever the column.
        std::fs::write(&committed, "n,rate\n8,0.25\n").unwrap();
        assert_eq!(
            differs(&committed, &produced[0].bytes).as_deref(),
            Some("differs at line 2")
        );
        std::fs::write(&committed, "n,rate\n").unwrap();
        assert!(
            differs(&committed, &produced[0].bytes)
                .unwrap()
                .contains("1 lines")
        );
        assert_eq!(
            differs(&dir.join("absent.csv"), b"x").as_deref(),
            Some("missing")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn artifact_paths_stay_inside_data() {
        let d = Path::new("/d");
        assert_eq!(resolve(d, "a/b.csv").unwrap(), Path::new("/d/a/b.csv"));
        assert!(resolve(d, "../x.csv").is_err());
        assert!(resolve(d, "/x.csv").is_err());
        assert!(resolve(d, "").is_err());
    }
}
