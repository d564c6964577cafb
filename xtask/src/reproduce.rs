//! `cargo xtask reproduce`: runs every experiment of `logprune-experiments` and writes its
//! artifacts under `data/`, all-or-nothing; `--check` compares instead of writing.
//!
//! Columns a table declares volatile (wall-clock seconds) are not compared by `--check`: they
//! differ from run to run by nature. Every other cell, and every SVG byte, must match.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logprune_experiments::{Artifact, Ctx, Experiment, Progress, experiments};

use crate::fsutil::{project_root, write_all_atomically};

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
    let all = experiments();
    if args.list {
        let mut out = String::new();
        for e in &all {
            let _ = writeln!(out, "{:<24} {}", e.name, e.paper);
        }
        return Ok(out);
    }
    let selected: Vec<Experiment> = if args.only.is_empty() {
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
    let mut report = String::new();
    let mut artifacts: Vec<(PathBuf, Artifact, Vec<u8>)> = Vec::new();
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
        let produced = (e.run)(&Ctx {
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
            produced
                .iter()
                .map(|a| a.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for a in produced {
            let bytes = a
                .to_bytes()
                .map_err(|err| format!("experiment `{}`, {}: {err}", e.name, a.path))?;
            let path = resolve(&data, &a.path)?;
            if artifacts.iter().any(|(p, _, _)| *p == path) {
                return Err(format!("two experiments produce data/{}", a.path));
            }
            artifacts.push((path, a, bytes));
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
        for (path, a, bytes) in &artifacts {
            if let Some(why) = differs(path, a, bytes) {
                stale.push(format!("data/{}: {why}", a.path));
            }
        }
        if args.only.is_empty() {
            let produced: BTreeSet<&Path> = artifacts.iter().map(|(p, _, _)| p.as_path()).collect();
            for extra in generated_files(&data) {
                if !produced.contains(extra.as_path()) {
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
            let _ = writeln!(report, "data/ is up to date ({} files)", artifacts.len());
            Ok(report)
        } else {
            Err(format!(
                "{} stale file(s) in data/; run `cargo xtask reproduce`:\n  {}",
                stale.len(),
                stale.join("\n  ")
            ))
        }
    } else {
        let files: Vec<(PathBuf, Vec<u8>)> = artifacts
            .iter()
            .map(|(p, _, b)| (p.clone(), b.clone()))
            .collect();
        write_all_atomically(&files)?;
        let _ = writeln!(report, "wrote {} files under data/", files.len());
        Ok(report)
    }
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

/// Why the file at `path` differs from the artifact, or `None` when it is up to date.
fn differs(path: &Path, a: &Artifact, fresh: &[u8]) -> Option<String> {
    let Ok(old) = std::fs::read(path) else {
        return Some("missing".to_owned());
    };
    if old == fresh {
        return None;
    }
    let volatile = a.volatile_columns();
    if volatile.is_empty() {
        return Some(first_difference(&old, fresh));
    }
    let (Ok(old), Ok(new)) = (std::str::from_utf8(&old), std::str::from_utf8(fresh)) else {
        return Some("not UTF-8".to_owned());
    };
    compare_csv_ignoring(old, new, volatile)
}

fn first_difference(old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    for (i, (o, n)) in old.lines().zip(new.lines()).enumerate() {
        if o != n {
            return format!("differs at line {}", i + 1);
        }
    }
    format!(
        "has {} lines, a fresh run gives {}",
        old.lines().count(),
        new.lines().count()
    )
}

/// Compares two CSV texts cell by cell, skipping the named columns.
fn compare_csv_ignoring(old: &str, new: &str, volatile: &[String]) -> Option<String> {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    if old_lines.len() != new_lines.len() {
        return Some(format!(
            "has {} lines, a fresh run gives {}",
            old_lines.len(),
            new_lines.len()
        ));
    }
    let header = split_csv_line(new_lines.first().copied().unwrap_or(""));
    let skip: Vec<bool> = header.iter().map(|h| volatile.contains(h)).collect();
    for (i, (o, n)) in old_lines.iter().zip(&new_lines).enumerate() {
        let (o, n) = (split_csv_line(o), split_csv_line(n));
        if o.len() != n.len() {
            return Some(format!("differs at line {}", i + 1));
        }
        for (c, (a, b)) in o.iter().zip(&n).enumerate() {
            if !skip.get(c).copied().unwrap_or(false) && a != b {
                return Some(format!(
                    "differs at line {}, column `{}`",
                    i + 1,
                    header.get(c).map_or("?", |s| s.as_str())
                ));
            }
        }
    }
    None
}

/// Splits one CSV line as written by `Table::to_csv` (fields quoted when they hold a comma or a
/// quote; quotes doubled inside).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    fields.push(cur);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_comparison_skips_volatile_columns_only() {
        let vol = vec!["seconds".to_owned()];
        let a = "x,seconds,y\n1,0.5,\"a,b\"\n";
        assert_eq!(
            compare_csv_ignoring(a, "x,seconds,y\n1,0.7,\"a,b\"\n", &vol),
            None
        );
        assert!(
            compare_csv_ignoring(a, "x,seconds,y\n2,0.5,\"a,b\"\n", &vol)
                .unwrap()
                .contains("column `x`")
        );
        assert!(compare_csv_ignoring(a, "x,seconds,y\n", &vol).is_some());
    }

    #[test]
    fn artifact_paths_stay_inside_data() {
        let d = Path::new("/d");
        assert_eq!(resolve(d, "a/b.csv").unwrap(), Path::new("/d/a/b.csv"));
        assert!(resolve(d, "../x.csv").is_err());
        assert!(resolve(d, "/x.csv").is_err());
        assert!(resolve(d, "").is_err());
    }

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(
            split_csv_line("a,\"b,c\",\"d\"\"e\""),
            vec!["a", "b,c", "d\"e"]
        );
    }
}
