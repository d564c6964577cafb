//! Every table and figure of logprune as a function from a configuration to rows.
//!
//! Each experiment is an [`Experiment`]: a name, the item of the paper it reproduces and a
//! function that returns [`Artifact`]s (CSV tables and SVG figures) in memory. Nothing here
//! writes files: `cargo xtask reproduce` does, atomically (ARCHITECTURE.md, invariant 9). Columns a
//! table declares volatile (wall-clock seconds) are left out of the committed file
//! ([`Artifact::to_bytes`]) and kept in the full table ([`Artifact::to_timing_bytes`]), which
//! `reproduce` writes under `target/reproduce/`.
//!
//! Sweeps run in parallel with rayon over work items that are seeded by their index, and
//! their rows are collected in index order, so a table is byte-identical on 1 or many
//! threads (ARCHITECTURE.md, invariant 10); [`with_threads`] runs a closure on a pool of a given size so that
//! tests can check this.
//!
//! # Example
//! ```
//! use logprune_experiments::table::{Cell, Table};
//! let mut t = Table::new(&["n", "value"]);
//! t.push(vec![Cell::from(3_u64), Cell::from(0.5)]);
//! assert_eq!(t.to_csv().unwrap(), "n,value\n3,0.5\n");
//! ```
#![deny(missing_docs)]

pub mod bounds_tables;
pub mod conv_targets;
pub mod decomposition_tables;
pub mod digits;
pub mod end_to_end;
pub mod notation;
pub mod peers;
pub mod peers_mnist;
pub mod plot;
pub mod sample_efficiency;
pub mod sampling_tables;
pub mod table;

use table::Table;

/// Why an experiment could not produce its artifacts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// A cell of a table is not a finite number (ARCHITECTURE.md, invariant 8: no table shows `inf` or `NaN`).
    #[error("table {table}: column `{column}` has the non-finite value {value} in row {row}")]
    NonFinite {
        /// Name of the table (its first column names), for the message.
        table: String,
        /// Column of the offending cell.
        column: String,
        /// Row index (0-based, header excluded).
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// A row does not have as many cells as the table has columns.
    #[error("table {table}: row {row} has {got} cells, expected {expected}")]
    RowLength {
        /// Name of the table.
        table: String,
        /// Row index.
        row: usize,
        /// Number of cells in the row.
        got: usize,
        /// Number of columns.
        expected: usize,
    },
    /// Drawing a figure failed.
    #[error("plot `{figure}`: {message}")]
    Plot {
        /// Which figure.
        figure: String,
        /// What the plotting backend reported.
        message: String,
    },
    /// A lower crate refused a parameter of the experiment's configuration.
    #[error("experiment `{experiment}`: {source}")]
    Computation {
        /// Which experiment.
        experiment: &'static str,
        /// The error of the lower crate.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ExperimentError {
    /// Wraps an error of a lower crate, naming the experiment it happened in.
    pub fn computation<E: std::error::Error + Send + Sync + 'static>(
        experiment: &'static str,
        source: E,
    ) -> Self {
        ExperimentError::Computation {
            experiment,
            source: Box::new(source),
        }
    }
}

/// What an artifact contains.
#[derive(Debug, Clone)]
pub enum Contents {
    /// A CSV table.
    Csv(Table),
    /// An SVG figure, as text.
    Svg(String),
}

/// One file under `data/`, in memory.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Path relative to `data/`, with `/` separators (e.g. `bounds_sweep.csv`).
    pub path: String,
    /// The contents.
    pub contents: Contents,
}

impl Artifact {
    /// A CSV artifact.
    pub fn csv(path: impl Into<String>, table: Table) -> Self {
        Artifact {
            path: path.into(),
            contents: Contents::Csv(table),
        }
    }

    /// An SVG artifact.
    pub fn svg(path: impl Into<String>, svg: String) -> Self {
        Artifact {
            path: path.into(),
            contents: Contents::Svg(svg),
        }
    }

    /// The bytes of the file under `data/`: CSV text without its volatile (wall-clock) columns
    /// ([`table::Table::to_stable_csv`], refusing non-finite numbers) or SVG text. The same on
    /// every run, so `reproduce --check` compares them byte for byte.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ExperimentError> {
        match &self.contents {
            Contents::Csv(t) => Ok(t.to_stable_csv()?.into_bytes()),
            Contents::Svg(s) => Ok(s.clone().into_bytes()),
        }
    }

    /// The full table, wall-clock columns included ([`table::Table::to_csv`]), when it has
    /// volatile columns; `None` otherwise (and for SVG figures). `reproduce` writes it under
    /// `target/reproduce/`, outside the committed tree.
    pub fn to_timing_bytes(&self) -> Result<Option<Vec<u8>>, ExperimentError> {
        match &self.contents {
            Contents::Csv(t) if !t.volatile_columns().is_empty() => {
                Ok(Some(t.to_csv()?.into_bytes()))
            }
            _ => Ok(None),
        }
    }
}

/// Progress of a long experiment, reported in work items. `xtask` shows it as a bar.
pub trait Progress: Sync {
    /// Adds `n` to the number of work items expected.
    fn add_total(&self, n: u64);
    /// Marks `n` work items as done.
    fn advance(&self, n: u64);
}

/// A [`Progress`] that ignores everything (tests, `--quiet`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn add_total(&self, _n: u64) {}
    fn advance(&self, _n: u64) {}
}

/// What an experiment is given when it runs.
pub struct Ctx<'a> {
    /// Where to report progress.
    pub progress: &'a dyn Progress,
}

impl Default for Ctx<'static> {
    fn default() -> Self {
        Ctx {
            progress: &NoProgress,
        }
    }
}

/// One experiment: a named producer of artifacts.
#[derive(Clone, Copy)]
pub struct Experiment {
    /// Short name, used by `cargo xtask reproduce --only NAME`.
    pub name: &'static str,
    /// The item of the paper it reproduces or tests, for the README map and the progress bar.
    pub paper: &'static str,
    /// Runs the experiment.
    pub run: fn(&Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError>,
}

impl std::fmt::Debug for Experiment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Experiment")
            .field("name", &self.name)
            .field("paper", &self.paper)
            .finish()
    }
}

/// Every experiment that `cargo xtask reproduce` runs, in the order it runs them.
pub fn experiments() -> Vec<Experiment> {
    let mut all = Vec::new();
    all.extend_from_slice(bounds_tables::EXPERIMENTS);
    all.extend_from_slice(sampling_tables::EXPERIMENTS);
    all.extend_from_slice(decomposition_tables::EXPERIMENTS);
    all.extend_from_slice(peers::EXPERIMENTS);
    all.extend_from_slice(notation::EXPERIMENTS);
    all.extend_from_slice(end_to_end::EXPERIMENTS);
    all.extend_from_slice(sample_efficiency::EXPERIMENTS);
    all.extend_from_slice(conv_targets::EXPERIMENTS);
    all
}

/// The experiments that `cargo xtask reproduce` runs only when asked (`--only NAME` or
/// `--slow`), because they take several minutes: Pensia et al.'s question on the 784-500-10
/// network (`peers_mnist`, about 7 minutes on 2 cores).
pub fn slow_experiments() -> Vec<Experiment> {
    peers_mnist::EXPERIMENTS.to_vec()
}

/// The files under `data/` that the [`slow_experiments`] write: a default `reproduce --check`
/// does not regenerate them, and does not count them as stray.
pub const SLOW_OUTPUTS: &[&str] = peers_mnist::OUTPUTS;

/// Runs `f` on a fresh rayon pool of `threads` threads (at least 1), so that a test can check
/// that an experiment gives identical rows on 1 and on 2 threads.
///
/// # Panics
/// If the operating system refuses to start the threads.
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    #[allow(clippy::expect_used)]
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("failed to start a rayon thread pool");
    pool.install(f)
}
