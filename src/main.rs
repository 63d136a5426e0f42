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
    /// Prove and verify a committed matrix product Z = A W on synthetic data
    /// (exercises the cryptographic core end to end).
    Demo {
        /// Rows of A (batch), a power of two.
        #[arg(long, default_value_t = 64)]
        batch: usize,
        /// Columns of A = rows of W, a power of two.
        #[arg(long, default_value_t = 256)]
        inner: usize,
        /// Columns of W, a power of two.
        #[arg(long, default_value_t = 128)]
        out: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Demo { batch, inner, out, seed } => zkdl::demo::run(batch, inner, out, seed),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zkdl: error: {e}");
            ExitCode::from(2)
        }
    }
}
