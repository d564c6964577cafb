//! The `logprune` binary (see the library's documentation).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = logprune::Cli::parse();
    if let Err(e) = logprune::signals::install() {
        eprintln!("warning: {e}; a stopped run may leave temporaries behind");
    }
    match logprune::run(&cli.command) {
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
