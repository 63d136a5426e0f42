//! The `zkdl` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "zkdl", version, about = "Zero-knowledge proofs of neural-network training")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a small MLP for a few SGD steps on built-in synthetic data, prove the
    /// training, and verify the proof.
    Demo {
        /// Number of SGD steps.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
        steps: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Demo { steps, seed } => zkdl::demo::run(steps as usize, seed),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zkdl: error: {e}");
            ExitCode::from(2)
        }
    }
}
