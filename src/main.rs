//! The `zkdl` command line.

use std::path::PathBuf;
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
    /// Train in fixed point, prove the training, write the proof file.
    Prove {
        /// Circuit file (default: the built-in circuits/tiny.toml).
        #[arg(long)]
        circuit: Option<PathBuf>,
        /// Data: `synthetic` or `mnist:DIR`.
        #[arg(long, default_value = "synthetic")]
        data: String,
        /// Number of SGD steps (default: the circuit's).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
        steps: Option<u64>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file.
        #[arg(long, default_value = "proof.zkdl")]
        out: PathBuf,
    },
    /// Verify a proof file: exit 0 accepted, 1 rejected, 2 bad input.
    Verify {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Show what a proof file holds.
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("zkdl: error: {e}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { steps, seed } => {
            zkdl::demo::run(steps as usize, seed).map_or_else(fail, |()| ExitCode::SUCCESS)
        }
        Command::Prove { circuit, data, steps, seed, out } => {
            zkdl::cli::prove(circuit.as_deref(), &data, steps.map(|s| s as usize), seed, &out)
                .map_or_else(fail, |()| ExitCode::SUCCESS)
        }
        Command::Verify { file, json } => match zkdl::cli::verify(&file, json) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => fail(e),
        },
        Command::Inspect { file, json } => zkdl::cli::inspect(&file, json).map_or_else(fail, |()| ExitCode::SUCCESS),
    }
}
