//! `cargo xtask`: the project's own chores. `reproduce` regenerates every table and figure
//! under `data/` (writing them atomically, ARCHITECTURE.md, invariant 9); `bounds` and `prune`
//! are aliases of the `logprune` command line (crates/cli), which users install.
//!
//! - `cargo xtask reproduce [--check] [--only NAME]... [--slow] [--quiet]`: regenerates every
//!   table and figure under `data/`; `--check` regenerates in memory and fails, naming each
//!   stale file; `--slow` adds the slow experiments.
//! - `cargo xtask bounds ...`, `cargo xtask prune ...`: `logprune bounds ...`, `logprune prune ...`.
//! - `cargo xtask scale [--only CASE]... [--baseline BIN]`: the scale benchmarks (figures under
//!   `target/scale/`), with the ratios to an older build's `BIN prune`.
//! - `cargo xtask target --widths 784,500,10 [--seed S] --out FILE`: a random target with
//!   PyTorch's default init, as `scale` makes them (`scripts/slurm-array-check.sh` uses it).

mod reproduce;
mod scale;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// logprune's project commands.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate every table and figure in data/ (or check that they are up to date).
    Reproduce(reproduce::ReproduceArgs),
    /// `logprune bounds`: the paper's bounds for a setting.
    Bounds(logprune::bounds::BoundsArgs),
    /// `logprune prune`: prune G to a checked Ĝ for a target model.
    Prune(Box<logprune::prune::PruneArgs>),
    /// The scale benchmarks (100×100, 300×300, 784-500-10 and 10 × 1000, PyTorch's default init, ε = 0.01):
    /// wall time, stages, peak memory, ticket size, into target/scale/.
    Scale(scale::ScaleArgs),
    /// Write a random target with PyTorch's default init (as `scale` makes them) to a
    /// safetensors file.
    Target {
        /// The widths n_0,...,n_ℓ, e.g. 784,500,10.
        #[arg(long, value_name = "N0,N1,...", value_delimiter = ',', required = true)]
        widths: Vec<usize>,
        /// The seed of its weights.
        #[arg(long, default_value = "2020")]
        seed: u64,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// One case of `scale`, in its own process (internal).
    #[command(hide = true)]
    ScaleChild {
        /// The target.
        target: String,
        /// The output directory.
        out: String,
        /// Extra flags for `logprune prune`.
        #[arg(last = true)]
        extra: Vec<String>,
    },
    /// (internal) One `logprune verify` of a scale case's ticket, in-process, with its peak
    /// memory.
    #[command(hide = true)]
    ScaleVerifyChild {
        /// The target.
        target: String,
        /// The run's output directory (its ticket and report).
        out: String,
    },
}

/// The repository root: the parent of this crate's manifest directory.
pub fn project_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Reproduce(args) => reproduce::run(&args),
        Command::Bounds(args) => logprune::run(&logprune::Command::Bounds(args)),
        Command::Prune(args) => logprune::run(&logprune::Command::Prune(args)),
        Command::Scale(args) => scale::run(&args),
        Command::Target { widths, seed, out } => scale::write_target(&widths, seed, &out),
        Command::ScaleChild { target, out, extra } => {
            let (t, o) = scale::case_paths(&target, &out);
            scale::child(&t, &o, &extra)
        }
        Command::ScaleVerifyChild { target, out } => {
            let (t, o) = scale::case_paths(&target, &out);
            scale::verify_child(&t, &o)
        }
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
