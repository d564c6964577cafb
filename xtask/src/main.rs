//! `cargo xtask`: the project's commands. The only code in logprune that writes files
//! (DESIGN.md, invariant 4), and it writes them atomically (temporary file, then rename).
//!
//! - `cargo xtask reproduce [--check] [--only NAME]... [--quiet]`: regenerates every table and
//!   figure under `data/`; `--check` regenerates in memory and fails, naming each stale file.
//! - `cargo xtask bounds ...`: the paper's bounds for your own setting.
//! - `cargo xtask prune ...`: prune G to a checked Ĝ for a target model (safetensors).

mod bounds_cmd;
mod fsutil;
mod prune_cmd;
mod reproduce;

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
    /// Compute the paper's bounds (Lemma 1, Theorems 3 and 30, Malach et al.) for a setting.
    Bounds(bounds_cmd::BoundsArgs),
    /// Prune the large random network G to a subnetwork Ĝ within ε of a target (safetensors).
    Prune(prune_cmd::PruneArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Reproduce(args) => reproduce::run(&args),
        Command::Bounds(args) => bounds_cmd::run(&args),
        Command::Prune(args) => prune_cmd::run(&args),
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
