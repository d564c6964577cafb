//! The `logprune` command line: the paper's bounds for your setting, pruning a large random
//! network G to a certified Ĝ for your own model, and checking or merging what it wrote.
//!
//! ```text
//! logprune bounds --n 100 --layers 10 --eps 0.01 --delta 0.01
//! logprune prune  --target model.safetensors --eps 0.01 --out run/
//! logprune verify --ticket run/ticket.safetensors --target model.safetensors --report run/report.json
//! logprune merge  --target model.safetensors --out run/ shard-*.ticket.safetensors
//! ```
//!
//! Flags are parsed by clap into typed values: a bad value fails in the parser with a
//! message naming the flag, exit code 2, and nothing written. A run that fails later (G too
//! small, not within ε, over the memory budget) says why, exits with 1, and writes nothing:
//! every output file is staged and renamed only when all are written
//! ([`fsutil::write_all_atomically`]; ARCHITECTURE.md, invariant 9).
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bounds;
pub mod fsutil;
pub mod graph;
pub mod progress;
pub mod prune;
pub mod signals;

use clap::{Parser, Subcommand};

/// The paper's bounds, pruning and checking (see the crate docs).
#[derive(Debug, Parser)]
#[command(name = "logprune", bin_name = "logprune", version, about)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `logprune`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the paper's bounds (Lemma 1, Theorems 3 and 30, Malach et al.) for a setting.
    Bounds(bounds::BoundsArgs),
    /// Prune the large random network G to a subnetwork Ĝ within ε of a target (safetensors).
    Prune(Box<prune::PruneArgs>),
    /// Check a written ticket: re-derive every kept weight from G's seed, recompute the
    /// certificate and the measurement, and compare with its report.
    Verify(prune::VerifyArgs),
    /// Merge the shards of a run (`prune --shard K/N`) into its ticket, check it and write it.
    Merge(prune::MergeArgs),
}

/// Runs a command; returns the text for stdout, or an error message (nothing is written
/// then).
///
/// # Errors
/// The message of what failed.
pub fn run(command: &Command) -> Result<String, String> {
    match command {
        Command::Bounds(args) => bounds::run(args),
        Command::Prune(args) => prune::run_prune(args),
        Command::Verify(args) => prune::run_verify(args),
        Command::Merge(args) => prune::run_merge(args),
    }
}
